/**
 * The two drivers of Gregory Price's two-stage flow (R67-R71, host-rules §5.1):
 *
 * - `cxl_sysram_region` (a region driver): binds `regionZ` (RAM or DC partition), creates
 *   `sysram_regionZ` with `online_type = invalid`, and for a DC region supplies the extent policy
 *   that hot-plugs each accepted group directly;
 * - `cxl_dax_kmem_region` (a cxl driver for `sysram_regionZ`): the second stage for RAM regions;
 *   its probe fails with ENODEV while `online_type` is `invalid`, else it hot-plugs the region once.
 *
 * ```
 * echo region0 > /sys/bus/cxl/drivers/cxl_sysram_region/bind
 * echo online_movable > /sys/bus/cxl/devices/sysram_region0/online_type
 * echo sysram_region0 > /sys/bus/cxl/drivers/cxl_dax_kmem_region/bind
 * ```
 */
import {
  type CxlDriver,
  type CxlRegion,
  cxlOf,
  DRIVER,
  type DriverModule,
  HOST,
  HOST_QUIESCE,
  errno,
  MEMORY_HOTPLUG,
  type ProbeContext,
  provideRegionDriver,
  type RegionDriver,
  type RegionExtentPolicy,
  type ReleaseVerdict,
} from "@dcd/core";
import { CXL_DEVICE_SYSRAM_REGION, type ReleaseSelect, SysramRegion } from "./sysram-region.js";
import { type SysramOptions } from "./types.js";

export const CXL_SYSRAM_REGION_DRIVER_NAME = "cxl_sysram_region";
export const CXL_DAX_KMEM_REGION_DRIVER_NAME = "cxl_dax_kmem_region";

/** The `sysram_regionZ` of each region bound to a sysram driver. */
const bound = new WeakMap<CxlRegion, SysramRegion>();

/** The `sysram_regionZ` of `region`, while `cxl_sysram_region` holds it. */
export function sysramRegionOf(region: CxlRegion): SysramRegion | undefined {
  return bound.get(region);
}

/** Build a `cxl_sysram_region` driver with its knobs' defaults. */
export function createSysramRegionDriver(options: SysramOptions = {}): RegionDriver<CxlRegion> {
  return {
    name: CXL_SYSRAM_REGION_DRIVER_NAME,
    bus: "cxl",
    async probe(region: CxlRegion, ctx: ProbeContext<CxlRegion>) {
      // R69 (extended by R71): RAM regions hot-plug once through the kmem stage, DC regions per extent.
      if (region.mode === "pmem") throw errno("ENODEV", `${CXL_SYSRAM_REGION_DRIVER_NAME}: ${region.name} is a pmem region`);
      const container = region.cxl.container;
      if (!container.isRegistered(MEMORY_HOTPLUG, true)) throw errno("ENXIO", `${CXL_SYSRAM_REGION_DRIVER_NAME}: ${region.name}: the host has no memory hotplug`);
      const mm = container.resolve(MEMORY_HOTPLUG);
      const sysram = new SysramRegion({ ...options, region, mm });
      await region.cxl.core.deviceAdd(sysram);
      bound.set(region, sysram);
      const removeExtentsDir = region.isDynamic ? sysram.addExtentsDir() : undefined;
      ctx.devm.add(async () => {
        await sysram.idle();
        if (bound.get(region) === sysram) bound.delete(region);
        removeExtentsDir?.();
        await region.cxl.core.deviceDel(sysram);
        sysram.complete();
      });
      ctx.drvdata = sysram;
    },
    policy(region: CxlRegion, ctx: ProbeContext<CxlRegion>): RegionExtentPolicy {
      const sysram = ctx.drvdata;
      if (!(sysram instanceof SysramRegion)) throw errno("ENXIO", `${CXL_SYSRAM_REGION_DRIVER_NAME}: ${region.name} has no sysram_region`);
      return sysram.policy;
    },
  };
}

/** The default `cxl_sysram_region` (online_type `invalid`, stranded_policy `reject`). */
export const cxlSysramRegionDriver: RegionDriver<CxlRegion> = createSysramRegionDriver();

/** `cxl_dax_kmem_region`: binds `sysram_regionZ` of a RAM region once `online_type` is set. */
export const cxlDaxKmemRegionDriver: CxlDriver<SysramRegion> = {
  name: CXL_DAX_KMEM_REGION_DRIVER_NAME,
  bus: "cxl",
  id: CXL_DEVICE_SYSRAM_REGION,
  async probe(dev: SysramRegion, ctx: ProbeContext<SysramRegion>) {
    await dev.plugRam();
    ctx.devm.add(() => dev.unplugRam());
  },
};

/** Host-initiated release of one group of a sysram DC region, through the core's release API. */
export async function releaseExtents(region: CxlRegion, select: ReleaseSelect): Promise<ReleaseVerdict> {
  const sysram = sysramRegionOf(region);
  if (sysram === undefined) throw errno("ENXIO", `${region.name}: not bound to ${CXL_SYSRAM_REGION_DRIVER_NAME}`);
  return sysram.releaseExtents(select);
}

/** A module with both drivers, built with `options`. */
export function sysramRegionDriverModuleWith(options: SysramOptions = {}): DriverModule {
  const driver = Object.keys(options).length === 0 ? cxlSysramRegionDriver : createSysramRegionDriver(options);
  return {
    name: "cxl_sysram",
    register(container) {
      provideRegionDriver(container, driver);
      container.register(DRIVER, { useValue: cxlDaxKmemRegionDriver });
      // A host release started from sysfs removes memory blocks through the driver core; the
      // region's devres waits for it, so it must end before the host's teardown unbinds the region.
      container.register(HOST_QUIESCE, {
        useValue: {
          quiesce: async () => {
            for (const region of cxlOf(container.resolve(HOST)).regions()) await sysramRegionOf(region)?.idle();
          },
        },
      });
    },
  };
}

/** `createHost({ drivers: [cxlCoreModule(), sysramRegionDriverModule] })`. */
export const sysramRegionDriverModule: DriverModule = sysramRegionDriverModuleWith();
