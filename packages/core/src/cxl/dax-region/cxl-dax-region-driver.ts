/**
 * The `cxl_dax_region` driver (drivers/dax/cxl.c, module `dax_cxl`). Its probe runs the
 * probe-time scan of the device's extent list (R37, v11: the scan moved into this probe); a scan
 * failure fails the probe. Its remove (driver unbind or `modprobe -r dax_cxl`) releases every
 * extent of the region with Release DC (R60). The DAX side of the region is the bound region
 * driver's policy; this driver is the conduit that notifies it (R32: while unbound, extents are
 * still accepted, the policy is not told).
 */
import type { DependencyContainer } from "tsyringe";
import type { Driver } from "../../driver-model/driver.js";
import { DRIVER, type DriverModule } from "../../host/tokens.js";
import { CXL_DAX_REGION_DRIVER_NAME, CXL_DEVICE_DAX_REGION, CxlDaxRegion } from "./cxl-dax-region.js";

/** A cxl-bus driver: `id` is the `CXL_DEVICE_*` type it binds (`cxl_bus_match`). */
export interface CxlDaxRegionDriver extends Driver<CxlDaxRegion> {
  readonly id: number;
}

export const cxlDaxRegionDriver: CxlDaxRegionDriver = Object.freeze({
  name: CXL_DAX_REGION_DRIVER_NAME,
  bus: "cxl",
  id: CXL_DEVICE_DAX_REGION,
  async probe(dev: CxlDaxRegion): Promise<void> {
    if (!(dev instanceof CxlDaxRegion)) throw new TypeError(`${CXL_DAX_REGION_DRIVER_NAME}: ${String(dev)} is not a cxl_dax_region`);
    await dev.engine.probeDaxRegion(dev);
  },
  async remove(dev: CxlDaxRegion): Promise<void> {
    await dev.engine.removeDaxRegion(dev);
  },
});

/** The `dax_cxl` module: registers the `cxl_dax_region` driver in a host. */
export const daxCxlModule: DriverModule = Object.freeze({
  name: "dax_cxl",
  register(container: DependencyContainer): void {
    container.register(DRIVER, { useValue: cxlDaxRegionDriver });
  },
});
