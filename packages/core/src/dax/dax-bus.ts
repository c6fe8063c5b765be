/**
 * The `dax` bus (drivers/dax/bus.c `dax_bus_type`) and its two drivers for DC capacity:
 * `device_dax` (drivers/dax/device.c, daxctl mode `devdax`) and `kmem` (drivers/dax/kmem.c,
 * daxctl mode `system-ram`).
 */
import { type DependencyContainer } from "tsyringe";
import { type BusType } from "../driver-model/bus-type.js";
import { type Driver, type ProbeContext } from "../driver-model/driver.js";
import { errno } from "../errors.js";
import { KERNEL_LOG } from "../cxl/kernel-log.js";
import { MEMORY_HOTPLUG } from "../mm/install.js";
import { type MemoryRange, type OnlineType } from "../mm/types.js";
import { DEVICE_DAX_DRIVER_NAME, DevDax, KMEM_DRIVER_NAME } from "./dax-region.js";

/** `dax_bus_type`: every dax driver may bind any device (driver_override picks one); `dax:t0`. */
export const daxBusType: BusType<DevDax, Driver<DevDax>> = {
  name: "dax",
  uevent: () => ({ MODALIAS: "dax:t0" }),
  // `dax_bus_probe`: a device without capacity cannot be enabled.
  async probe(dev, drv, ctx) {
    if (!(dev instanceof DevDax)) throw errno("ENXIO", `${String(dev)} is not a dax device`);
    if (dev.size === 0) throw errno("ENXIO", `${dev.name}: size 0, nothing to enable`);
    const pending = drv.probe?.(dev, ctx);
    if (pending !== undefined) await pending;
    dev.daxRegion.bound(dev);
  },
};

/** `device_dax`: the character device `/dev/daxZ.N` (mmap in `align` units); nothing to undo. */
export const deviceDaxDriver: Driver<DevDax> = Object.freeze({
  name: DEVICE_DAX_DRIVER_NAME,
  bus: "dax",
  probe(dev: DevDax): void {
    for (const m of dev.mappings()) {
      if (m.start % dev.align !== 0 || m.size % dev.align !== 0) throw errno("EINVAL", `${dev.name}: mapping at ${m.start.toString(16)} is not ${dev.align}-aligned`);
    }
  },
});

/** How `kmem` onlines what it adds (daxctl `reconfigure-device -m system-ram` default: movable). */
export interface KmemOptions {
  readonly onlineType?: OnlineType;
}

function rangesOf(dev: DevDax): MemoryRange[] {
  return dev.mappings().map((m) => ({ start: m.start, size: m.size }));
}

/**
 * `kmem` (`dev_dax_kmem_probe`): add every range as driver-managed System RAM on the region's
 * target node and online it; refused (EPERM) for extents of a sharable partition, whose memory
 * other hosts map. Remove offlines and removes; if offlining fails the memory stays, as the
 * kernel's "cannot be hotremoved until the next reboot".
 */
export function kmemDriver(container: DependencyContainer, options: KmemOptions = {}): Driver<DevDax> {
  const onlineType = options.onlineType ?? "online_movable";
  const hotplug = () => {
    if (!container.isRegistered(MEMORY_HOTPLUG, true)) throw errno("ENODEV", "kmem: the host has no memory hotplug (installMemoryHotplug)");
    return container.resolve(MEMORY_HOTPLUG);
  };
  const log = (message: string) => {
    if (container.isRegistered(KERNEL_LOG, true)) container.resolve(KERNEL_LOG).warn(undefined, message);
  };
  return Object.freeze({
    name: KMEM_DRIVER_NAME,
    bus: "dax",
    async probe(dev: DevDax, ctx: ProbeContext<DevDax>): Promise<void> {
      if (dev.sharable) throw errno("EPERM", `${dev.name}: extents of a sharable partition cannot be onlined as System RAM`);
      const mm = hotplug();
      const added: MemoryRange[] = [];
      const undo = async () => {
        for (const r of added.reverse()) {
          mm.offlineRange(r);
          await mm.removeMemory(r);
        }
      };
      for (const range of rangesOf(dev)) {
        const add = await mm.addMemory({ ...range, node: dev.targetNode, driverManaged: true, resourceName: "System RAM (kmem)", onlineType: "offline" });
        if (!add.ok) {
          await undo();
          throw add.error;
        }
        added.push(range);
        const online = mm.onlineRange(range, onlineType);
        if (!online.ok) {
          await undo();
          throw online.error;
        }
      }
      // What was added, not what the device holds at remove time: a region teardown (R60) may
      // have revoked the device's ranges before the device goes.
      ctx.drvdata = [...added];
    },
    async remove(dev: DevDax, ctx: ProbeContext<DevDax>): Promise<void> {
      const mm = hotplug();
      const ranges = (ctx.drvdata as MemoryRange[] | undefined) ?? [];
      if (ranges.length === 0) return;
      const off = mm.offlineRanges(ranges);
      if (!off.ok) {
        log(`${dev.name}: cannot be hotremoved until the next reboot (${off.error.code})`);
        return;
      }
      for (const r of ranges) await mm.removeMemory(r);
    },
  });
}
