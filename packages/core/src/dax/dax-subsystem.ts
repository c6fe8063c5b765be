/**
 * The host's DAX layer: the `dax` bus with `device_dax` and `kmem`, and one {@link DaxRegion} per
 * DC region whose `dax_regionZ` is bound by `dax_cxl` while its region driver's extent policy is
 * a {@link DaxRegionPolicy}.
 *
 * How it hooks in (no change to the extent pipeline): the policy is created by the region driver
 * (`cxl_devdax_region`, or `cxl_region` via `CXL_DCD_HOOKS.defaultPolicy`), and the CXL core hands
 * it to `dax_regionZ` (`CxlDaxRegion.policy`). This layer listens to the driver core's bus
 * notifications: `bound-driver` of `cxl_dax_region` publishes `dax_region/` and the seed
 * `daxZ.0` (drivers/dax/cxl.c probe), `unbound-driver` takes them away after the driver's remove
 * released every extent (R60).
 *
 * It also is the library API daxctl needs: list, create (claim), destroy, reconfigure.
 */
import { type DependencyContainer } from "tsyringe";
import { CxlDaxRegion, CXL_DAX_REGION_DRIVER_NAME } from "../cxl/dax-region/cxl-dax-region.js";
import { KERNEL_LOG } from "../cxl/kernel-log.js";
import { type CxlDcdHooks } from "../cxl/hooks.js";
import { type CxlRegion } from "../cxl/region.js";
import { type DriverCore } from "../driver-model/driver-core.js";
import { type BusNotification } from "../driver-model/events.js";
import { errno } from "../errors.js";
import { type Host } from "../host/host.js";
import { BUS_TYPE, DRIVER, DRIVER_CORE, type DriverModule, SYSFS_TREE } from "../host/tokens.js";
import { MEMORY_HOTPLUG } from "../mm/install.js";
import { type OnlineType } from "../mm/types.js";
import { type SysfsTree } from "../sysfs/sysfs-tree.js";
import { daxBusType, deviceDaxDriver } from "./dax-bus.js";
import { type DaxMapping, DaxRegion, DEVICE_DAX_DRIVER_NAME, type DevDax, KMEM_DRIVER_NAME } from "./dax-region.js";
import { DaxRegionPolicy } from "./dax-resource-pool.js";
import { kmemBindingOf, kmemDriver, type KmemOptions, type KmemState, type KmemTransition, type KmemWritableState } from "./kmem.js";

/** What `daxctl list -R` prints for a region. */
export interface DaxRegionInfo {
  /** Z. */
  readonly id: number;
  /** `regionZ`. */
  readonly name: string;
  readonly size: number;
  readonly available_size: number;
  readonly align: number;
  /** The idle seed device, if any. */
  readonly seed: string | undefined;
  readonly devices: readonly DaxDeviceInfo[];
}

/** What `daxctl list -D [-M]` prints for a device. */
export interface DaxDeviceInfo {
  readonly chardev: string;
  readonly size: number;
  readonly target_node: number;
  readonly align: number;
  /** `devdax` / `system-ram`; `devdax` also for a disabled device, as daxctl reports it. */
  readonly mode: "devdax" | "system-ram";
  /** Present when no driver is bound. */
  readonly state?: "disabled";
  readonly uuid: string;
  readonly region: number;
  readonly mappings: readonly DaxMapping[];
}

/** How `enable`/`reconfigure` bring system-ram memory online, as daxctl does after kmem binds. */
export interface KmemOnlineOptions {
  /**
   * Online type for blocks kmem left offline: `online_movable` (daxctl's default), `online`
   * (`--no-movable`), or false to leave them (`--no-online`).
   */
  readonly online?: Exclude<OnlineType, "offline"> | false;
}

export interface DaxLayerOptions {
  /** `target_node` of region Z's dax region (the CFMWS proximity domain); default 1. */
  readonly targetNode?: (region: CxlDaxRegion) => number;
  readonly kmem?: KmemOptions;
}

const layers = new WeakMap<DriverCore, DaxSubsystem>();

/** One host's DAX layer. */
export class DaxSubsystem {
  private readonly regionsById = new Map<number, DaxRegion>();
  private readonly byParent = new Map<CxlDaxRegion, DaxRegion>();

  /** @internal Use {@link registerDaxBus}. */
  constructor(
    private readonly container: DependencyContainer,
    readonly core: DriverCore,
    readonly sysfs: SysfsTree,
    private readonly options: DaxLayerOptions,
  ) {
    // Owned by the driver core: the subscription ends when it completes its stream (host
    // dispose). Errors never travel on events$; the handler is there for the rule's sake.
    core.events$.subscribe({
      next: (e) => {
        if (e.kind === "notify") this.onNotify(e);
      },
      error: () => undefined,
    });
  }

  /** The DAX layer of a host (or its container); ENODEV when none was registered. */
  static of(target: Host | DependencyContainer): DaxSubsystem {
    const container = "container" in target ? target.container : target;
    const layer = container.isRegistered(DRIVER_CORE, true) ? layers.get(container.resolve(DRIVER_CORE)) : undefined;
    if (layer === undefined) throw errno("ENODEV", "no DAX layer in this host (load a dax module)");
    return layer;
  }

  // ---- lookups -------------------------------------------------------------------------------

  regions(): DaxRegion[] {
    return [...this.regionsById.values()].sort((a, b) => a.id - b.id);
  }

  /** By id, `regionZ` or `dax_regionZ`. */
  region(which: number | string): DaxRegion | undefined {
    if (typeof which === "number") return this.regionsById.get(which);
    const m = /^(?:dax_)?region(\d+)$/.exec(which);
    return m === null ? undefined : this.regionsById.get(Number(m[1]));
  }

  devices(): DevDax[] {
    return this.regions().flatMap((r) => r.deviceList());
  }

  device(name: string): DevDax | undefined {
    const m = /^dax(\d+)\.(\d+)$/.exec(name);
    return m === null ? undefined : this.regionsById.get(Number(m[1]))?.devices.get(Number(m[2]));
  }

  deviceInfo(dev: DevDax): DaxDeviceInfo {
    const mode = dev.mode;
    return {
      chardev: dev.name,
      size: dev.size,
      target_node: dev.targetNode,
      align: dev.align,
      mode: mode ?? "devdax",
      ...(mode === undefined ? { state: "disabled" as const } : {}),
      uuid: dev.uuid,
      region: dev.daxRegion.id,
      mappings: dev.mappings(),
    };
  }

  regionInfo(region: DaxRegion): DaxRegionInfo {
    return {
      id: region.id,
      name: region.name,
      size: region.size,
      available_size: region.availableSize,
      align: region.align,
      seed: region.seed?.name,
      devices: region.deviceList().map((d) => this.deviceInfo(d)),
    };
  }

  /** `daxctl list -R -D`. */
  list(): DaxRegionInfo[] {
    return this.regions().map((r) => this.regionInfo(r));
  }

  // ---- daxctl operations ---------------------------------------------------------------------

  /**
   * `daxctl create-device -r R --uuid U|0`: write `create` (ENOSPC when nothing is available),
   * claim with the new seed's `uuid`, then enable it (`device_dax`, or `kmem` for `system-ram`).
   * A failed claim leaves the new device as the idle seed, as daxctl does.
   */
  async createDevice(options: { readonly region: number | string; readonly uuid: string; readonly mode?: "devdax" | "system-ram" }): Promise<DevDax> {
    const region = this.requireRegion(options.region);
    region.createStore("1");
    await this.core.waitForProbe();
    const dev = region.seed;
    if (dev === undefined) throw errno("ENXIO", `${region.name}: create left no seed`);
    dev.uuidStore(options.uuid);
    await this.enable(dev, options.mode ?? "devdax");
    return dev;
  }

  /**
   * `daxctl disable-device`: unbind its driver. A `kmem` device is unplugged first through its
   * `state` (all or nothing); when that fails (EBUSY) it stays system-ram.
   */
  async disableDevice(which: DevDax | string): Promise<void> {
    const dev = this.requireDevice(which);
    if (dev.driver === undefined) return;
    if (dev.driver.name === KMEM_DRIVER_NAME) {
      const t = await this.setKmemState(dev, "unplugged");
      if (!t.ok) {
        const cause = t.error;
        throw errno(cause?.code ?? "EBUSY", `${dev.name}: offline failed: ${cause?.message ?? "unknown"}`, { cause });
      }
    }
    await this.bus().unbind(dev.name);
  }

  /**
   * `daxctl enable-device` in a mode. For `system-ram`, what kmem added offline (under
   * `auto_online_blocks=offline`) is then onlined block by block as daxctl does, movable unless
   * `options.online` says otherwise; the device's `state` keeps reading what kmem added with.
   */
  async enable(which: DevDax | string, mode: "devdax" | "system-ram" = "devdax", options: KmemOnlineOptions = {}): Promise<void> {
    const dev = this.requireDevice(which);
    await this.bus().bind(dev.name, mode === "devdax" ? DEVICE_DAX_DRIVER_NAME : KMEM_DRIVER_NAME);
    if (dev.driver === undefined) throw errno("ENXIO", `${dev.name}: enabling in ${mode} mode failed`);
    const online = options.online ?? "online_movable";
    const binding = mode === "system-ram" ? kmemBindingOf(dev) : undefined;
    if (online === false || binding === undefined || !this.container.isRegistered(MEMORY_HOTPLUG, true)) return;
    const mm = this.container.resolve(MEMORY_HOTPLUG);
    for (const range of binding.addedRanges) {
      const r = mm.onlineRange(range, online);
      if (!r.ok) throw errno(r.error.code, `${dev.name}: failed to online memory: ${r.error.message}`, { cause: r.error });
    }
  }

  /** `daxX.Y/state` of a kmem device; undefined when kmem does not hold it. */
  kmemState(which: DevDax | string): KmemState | undefined {
    return kmemBindingOf(this.requireDevice(which))?.state;
  }

  /**
   * Write `daxX.Y/state` and report what it did, failures included (`ok` false, state as it was).
   * ENXIO when kmem does not hold the device; EINVAL for a transition the attribute refuses.
   */
  async setKmemState(which: DevDax | string, state: KmemWritableState): Promise<KmemTransition> {
    const dev = this.requireDevice(which);
    const binding = kmemBindingOf(dev);
    if (binding === undefined) throw errno("ENXIO", `${dev.name}: not in system-ram mode (kmem does not hold it)`);
    return binding.request(state);
  }

  /** `daxctl disable-device X && daxctl destroy-device X`: size 0, then `delete` (R59). */
  async destroyDevice(which: DevDax | string): Promise<void> {
    const dev = this.requireDevice(which);
    await this.disableDevice(dev);
    dev.sizeStore("0");
    dev.daxRegion.deleteStore(dev.name);
    await this.core.waitForProbe();
  }

  /**
   * `daxctl reconfigure-device -m system-ram|devdax`: rebind to the other driver. Going back to
   * devdax offlines the memory first and fails with its errno (EBUSY) leaving it System RAM.
   */
  async reconfigure(which: DevDax | string, mode: "devdax" | "system-ram", options: KmemOnlineOptions = {}): Promise<void> {
    const dev = this.requireDevice(which);
    if (dev.mode === mode) return;
    await this.disableDevice(dev);
    await this.enable(dev, mode, options);
  }

  // ---- internals -----------------------------------------------------------------------------

  private bus() {
    const bus = this.core.bus("dax");
    if (bus === undefined) throw errno("ENODEV", "the dax bus is not registered");
    return bus;
  }

  private requireRegion(which: number | string): DaxRegion {
    const region = this.region(which);
    if (region === undefined) throw errno("ENOENT", `no dax region ${String(which)}`);
    return region;
  }

  private requireDevice(which: DevDax | string): DevDax {
    const dev = typeof which === "string" ? this.device(which) : which;
    if (dev === undefined) throw errno("ENOENT", `no dax device ${String(which)}`);
    return dev;
  }

  private background(work: Promise<unknown>, what: string): void {
    work.catch((err: unknown) => {
      if (this.container.isRegistered(KERNEL_LOG, true)) this.container.resolve(KERNEL_LOG).debug(undefined, `${what}: ${String(err)}`);
    });
  }

  private onNotify(e: BusNotification): void {
    const dev = e.device;
    if (e.bus !== "cxl" || !(dev instanceof CxlDaxRegion) || e.driver?.name !== CXL_DAX_REGION_DRIVER_NAME) return;
    if (e.action === "bound-driver") this.attach(dev);
    else if (e.action === "unbound-driver") this.detach(dev);
  }

  private attach(parent: CxlDaxRegion): void {
    const pool = parent.policy;
    if (!(pool instanceof DaxRegionPolicy) || this.byParent.has(parent)) return;
    const targetNode = this.options.targetNode?.(parent) ?? 1;
    const region = new DaxRegion(parent.regionId, parent, pool, parent.hpaStart, parent.size, targetNode, {
      core: this.core,
      sysfs: this.sysfs,
      background: (w, what) => { this.background(w, what); },
      memmapOnMemory: () => this.container.isRegistered(MEMORY_HOTPLUG, true) && this.container.resolve(MEMORY_HOTPLUG).memmapOnMemory,
      // Host-initiated release (region destroy) takes system-ram memory away too: unplug it
      // while the device still exists; if that fails, unbind leaks it with kmem's warning.
      beforeTeardown: async (dev) => {
        await kmemBindingOf(dev)?.request("unplugged");
      },
    });
    this.byParent.set(parent, region);
    this.regionsById.set(region.id, region);
    this.background(region.attach(), `${parent.name}: dax region`);
  }

  private detach(parent: CxlDaxRegion): void {
    const region = this.byParent.get(parent);
    if (region === undefined) return;
    this.byParent.delete(parent);
    if (this.regionsById.get(region.id) === region) this.regionsById.delete(region.id);
    this.background(region.detach(), `${parent.name}: dax region teardown`);
  }
}

/**
 * Register the `dax` bus, `device_dax`, `kmem` and the DAX layer in a host container, once per
 * host (every dax consumer's module calls it). Returns the layer.
 */
export function registerDaxBus(container: DependencyContainer, options: DaxLayerOptions = {}): DaxSubsystem {
  const core = container.resolve(DRIVER_CORE);
  const existing = layers.get(core);
  if (existing !== undefined) return existing;
  const layer = new DaxSubsystem(container, core, container.resolve(SYSFS_TREE), options);
  layers.set(core, layer);
  container.register(BUS_TYPE, { useValue: daxBusType });
  container.register(DRIVER, { useValue: deviceDaxDriver });
  container.register(DRIVER, { useValue: kmemDriver(container, options.kmem) });
  return layer;
}

/** A module that loads only the DAX layer (`modprobe dax device_dax kmem`). */
export const daxBusModule: DriverModule = Object.freeze({
  name: "dax",
  register(container: DependencyContainer): void {
    registerDaxBus(container);
  },
});

/**
 * The default `cxl_region` policy for DC regions when the DAX layer owns them (register under
 * `CXL_DCD_HOOKS`): the DAX policy, as the kernel's default region driver behaves.
 */
export const daxDefaultPolicyHooks: CxlDcdHooks = Object.freeze({
  defaultPolicy(region: CxlRegion) {
    return region.isDynamic ? daxRegionPolicy(region) : undefined;
  },
});

/** The DAX policy for a DC region (what a dax-backed region driver returns from `policy()`). */
export function daxRegionPolicy(region: CxlRegion): DaxRegionPolicy {
  return new DaxRegionPolicy(region.name, (message) => {
    region.cxl.log.warn(region, message);
  });
}
