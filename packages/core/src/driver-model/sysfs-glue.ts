/**
 * The driver core's face in sysfs (`bus_add_device`, `driver_sysfs_add`, `device_add_attrs`...).
 *
 * - `/sys/bus/<bus>/{devices/,drivers/,drivers_probe,drivers_autoprobe}`;
 * - `/sys/bus/<bus>/drivers/<drv>/{bind,unbind}` (write-only) and one link per bound device;
 * - `/sys<devpath>/` per device with `uevent`, `subsystem`, `driver_override` (if the bus has
 *   it), `driver` while a driver is set, and the bus's, type's and bound driver's attribute groups;
 * - `/sys/bus/<bus>/devices/<dev>` links into `/sys/devices`.
 *
 * Binding is async while the tree's checks are synchronous, so `bind`, `unbind` and
 * `drivers_probe` check what `bind_store` and friends check (and fail with their errnos) at
 * once, then queue the operation and return its promise. `SysfsTree.writeAsync` (what `dcd
 * sysfs write` uses) waits for it and fails with the probe's errno, as `bind_store` does;
 * `SysfsTree.write` returns at once, and a failed probe is then seen only on `events$`
 * (`driver-not-bound`, as the kernel logs it).
 */
import { errno } from "../errors.js";
import { type AttributeSpec, type SysfsTree } from "../sysfs/sysfs-tree.js";
import { type Bus } from "./bus.js";
import { type MatchResult } from "./bus-type.js";
import { DEVICE_STATE, type Device } from "./device.js";
import { type AttributeGroup } from "./device-type.js";
import { type Driver } from "./driver.js";
import { type UeventAction } from "./events.js";
import { deviceUeventVars, formatUeventVars, parseSynthUevent } from "./uevent.js";

/** What the glue needs from its driver core (kept narrow to avoid a cycle of concrete types). */
export interface GlueCore {
  /** `driver_match_device` (driver_override first, then the bus's match). */
  match(dev: Device, drv: Driver, bus: Bus): MatchResult;
  uevent(dev: Device, action: UeventAction, extra?: Readonly<Record<string, string>>): void;
  storeDriverOverride(dev: Device, driver: string | undefined): void;
}

/** `PAGE_SIZE - 1`: the longest `driver_override` the kernel accepts. */
const OVERRIDE_MAX = 4095;

export class SysfsGlue {
  constructor(
    private readonly sysfs: SysfsTree,
    private readonly core: GlueCore,
  ) {
    // The two roots every sysfs has, even with no bus or device yet.
    sysfs.mkdir("/sys/bus");
    sysfs.mkdir("/sys/devices");
  }

  // ---- buses and drivers ---------------------------------------------------------------------

  busAdded(bus: Bus): void {
    const dir = busDir(bus);
    this.sysfs.mkdir(`${dir}/devices`);
    this.sysfs.mkdir(`${dir}/drivers`);
    this.sysfs.addAttribute(`${dir}/drivers_probe`, {
      store: (name) => {
        if (bus.device(name) === undefined) throw errno("ENODEV", `no device '${name}' on bus '${bus.name}'`);
        return bus.probeDevice(name);
      },
    });
    this.sysfs.addAttribute(`${dir}/drivers_autoprobe`, {
      show: () => (bus.autoprobe ? "1" : "0"),
      // drivers_autoprobe_store: "0..." turns it off, anything else on.
      store: (value) => {
        bus.autoprobe = !value.startsWith("0");
      },
    });
  }

  busRemoved(bus: Bus): void {
    this.sysfs.removeIfExists(busDir(bus));
  }

  driverAdded(bus: Bus, drv: Driver): void {
    const dir = driverDir(bus.name, drv.name);
    this.sysfs.mkdir(dir);
    this.sysfs.addAttribute(`${dir}/bind`, {
      store: (name) => this.bindStore(bus, drv, name),
    });
    this.sysfs.addAttribute(`${dir}/unbind`, {
      store: (name) => this.unbindStore(bus, drv, name),
    });
  }

  driverRemoved(bus: Bus, drv: Driver): void {
    this.sysfs.removeIfExists(driverDir(bus.name, drv.name));
  }

  // ---- devices -------------------------------------------------------------------------------

  /**
   * `device_add` + `bus_add_device`; on failure nothing of the device is left behind. The driver
   * core owns `/sys<devpath>` (it refuses duplicate devpaths), so the directory is not looked up
   * first: a lookup miss costs an exception in the tree, once per device.
   */
  deviceAdded(dev: Device, bus: Bus | undefined): void {
    const dir = deviceDir(dev);
    try {
      this.sysfs.mkdir(dir);
      this.sysfs.addAttribute(`${dir}/uevent`, {
        show: () => formatUeventVars(deviceUeventVars(dev, bus?.type)),
        store: (value) => {
          const { action, env } = parseSynthUevent(value);
          this.core.uevent(dev, action, env);
        },
      });
      for (const group of dev.type?.groups ?? []) this.addGroup(dev, group);
      if (bus === undefined) return;
      for (const group of bus.type.devGroups ?? []) this.addGroup(dev, group);
      if (bus.type.driverOverride !== false) {
        this.sysfs.addAttribute(`${dir}/driver_override`, {
          show: () => dev.driverOverride ?? "(null)",
          store: (value) => {
            this.core.storeDriverOverride(dev, parseOverride(value));
          },
        });
      }
      this.sysfs.addLink(`${dir}/subsystem`, busDir(bus));
      this.sysfs.addLink(`${busDir(bus)}/devices/${dev.name}`, dir);
    } catch (err) {
      this.deviceRemoved(dev, bus);
      throw err;
    }
  }

  deviceRemoved(dev: Device, bus: Bus | undefined): void {
    if (bus !== undefined) this.sysfs.removeIfExists(`${busDir(bus)}/devices/${dev.name}`);
    this.sysfs.removeIfExists(deviceDir(dev));
  }

  /** `driver_sysfs_add`: the driver's link to the device and the device's `driver` link. */
  driverBind(dev: Device, bus: Bus, drv: Driver): void {
    const drvDir = driverDir(bus.name, drv.name);
    this.sysfs.addLink(`${drvDir}/${dev.name}`, deviceDir(dev));
    this.sysfs.addLink(`${deviceDir(dev)}/driver`, drvDir);
  }

  /** After a successful probe: the driver's `dev_groups`. */
  driverBound(dev: Device, drv: Driver): void {
    for (const group of drv.devGroups ?? []) this.addGroup(dev, group);
  }

  /** `driver_sysfs_remove` and the driver's groups; tolerant of a half-done bind. */
  driverUnbind(dev: Device, bus: Bus, drv: Driver): void {
    const dir = deviceDir(dev);
    for (const group of drv.devGroups ?? []) {
      if (group.name !== undefined) this.sysfs.removeIfExists(`${dir}/${group.name}`);
      else for (const attr of group.attrs) this.sysfs.removeIfExists(`${dir}/${attr.name}`);
    }
    this.sysfs.removeIfExists(`${dir}/driver`);
    this.sysfs.removeIfExists(`${driverDir(bus.name, drv.name)}/${dev.name}`);
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** `sysfs_create_group`, honouring `isVisible` (0/false hides, a number is the mode). */
  private addGroup(dev: Device, group: AttributeGroup<never>): void {
    const dir = group.name === undefined ? deviceDir(dev) : `${deviceDir(dev)}/${group.name}`;
    if (group.name !== undefined) this.sysfs.mkdir(dir);
    for (const attr of group.attrs) {
      const visible = group.isVisible?.(dev as never, attr) ?? true;
      if (visible === false || visible === 0) continue;
      const mode = typeof visible === "number" ? visible : attr.mode;
      const spec: AttributeSpec = {};
      if (attr.show !== undefined) spec.show = () => attr.show?.(dev as never) ?? "";
      if (attr.store !== undefined) {
        spec.store = (v) => {
          attr.store?.(dev as never, v);
        };
      }
      if (mode !== undefined) spec.mode = mode;
      this.sysfs.addAttribute(`${dir}/${attr.name}`, spec);
    }
  }

  /**
   * `bind_store`'s checks at once, then the bind itself through the probe queue. The returned
   * promise carries the probe's errno to `SysfsTree.writeAsync`, as `bind_store` returns it.
   */
  private bindStore(bus: Bus, drv: Driver, name: string): Promise<void> {
    const dev = bus.device(name);
    if (dev === undefined) throw errno("ENODEV", `no device '${name}' on bus '${bus.name}'`);
    if (this.core.match(dev, drv, bus) === false) throw errno("ENODEV", `driver '${drv.name}' does not match ${name}`);
    if (dev.driver !== undefined) throw errno("EBUSY", `${name} is already bound to '${dev.driver.name}'`);
    return bus.bind(name, drv.name);
  }

  /** `unbind_store`: ENODEV unless the device is bound to this driver. */
  private unbindStore(bus: Bus, drv: Driver, name: string): Promise<void> {
    const dev = bus.device(name);
    if (dev?.[DEVICE_STATE].driver !== drv) throw errno("ENODEV", `${name} is not bound to '${drv.name}'`);
    return bus.unbind(name, drv.name);
  }
}

/** `__device_set_driver_override`: up to the first NUL, then the first newline; empty clears. */
export function parseOverride(value: string): string | undefined {
  if (value.length >= OVERRIDE_MAX) throw errno("EINVAL", `driver_override: ${value.length} bytes is too long`);
  let name = value;
  const nul = name.indexOf("\0");
  if (nul >= 0) name = name.slice(0, nul);
  const nl = name.indexOf("\n");
  if (nl >= 0) name = name.slice(0, nl);
  return name === "" ? undefined : name;
}

function busDir(bus: Bus): string {
  return `/sys/bus/${bus.name}`;
}

function driverDir(bus: string, driver: string): string {
  return `/sys/bus/${bus}/drivers/${driver}`;
}

function deviceDir(dev: Device): string {
  return `/sys${dev.devpath}`;
}
