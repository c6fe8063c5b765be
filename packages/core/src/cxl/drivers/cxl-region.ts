/**
 * `cxl_region` (drivers/cxl/core/region.c `cxl_region_driver`): the default region driver. Auto-
 * regions bind to it (R70); a user binds it with `echo regionZ > .../drivers/cxl_region/bind`.
 * Its extent policy is the extent pipeline's default (`CxlDcdHooks.defaultPolicy`, the kernel's
 * DAX behaviour) or, without one, "admit every group, release on request".
 */
import { type ProbeContext } from "../../driver-model/driver.js";
import { CXL_DEVICE, type CxlDriver } from "../bus.js";
import { type CxlRegion } from "../region.js";
import { type RegionDriver, type RegionExtentPolicy } from "../region-driver.js";

/** Admits every group the core passed, releases whatever is asked. */
export const admitAllPolicy: RegionExtentPolicy = {
  admit: () => ({ admit: true }),
  accepted: () => undefined,
  release: () => ({ result: "released" }),
};

export const cxlRegionDriver: RegionDriver<CxlRegion> & CxlDriver<CxlRegion> = {
  name: "cxl_region",
  bus: "cxl",
  id: CXL_DEVICE.REGION,
  policy(region: CxlRegion, ctx: ProbeContext<CxlRegion>): RegionExtentPolicy {
    for (const hooks of region.cxl.hooks()) {
      const policy = hooks.defaultPolicy?.(region, ctx);
      if (policy !== undefined) return policy;
    }
    return admitAllPolicy;
  },
};
