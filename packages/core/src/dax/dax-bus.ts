/**
 * The `dax` bus (drivers/dax/bus.c `dax_bus_type`) and `device_dax` (drivers/dax/device.c,
 * daxctl mode `devdax`). The other driver, `kmem` (daxctl mode `system-ram`), is in `kmem.ts`.
 */
import { type BusType } from "../driver-model/bus-type.js";
import { type Driver } from "../driver-model/driver.js";
import { errno } from "../errors.js";
import { DEVICE_DAX_DRIVER_NAME, DevDax } from "./dax-region.js";

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
