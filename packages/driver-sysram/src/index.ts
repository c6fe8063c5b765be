/**
 * @packageDocumentation
 * `@dcd/driver-sysram`: the `cxl_sysram_region` region driver (direct memory hotplug of Dynamic
 * Capacity extents, Gregory Price's proposal, R67-R71) and the `cxl_dax_kmem_region` second stage
 * for RAM regions.
 */
export {
  createSysramRegionDriver,
  CXL_DAX_KMEM_REGION_DRIVER_NAME,
  CXL_SYSRAM_REGION_DRIVER_NAME,
  cxlDaxKmemRegionDriver,
  cxlSysramRegionDriver,
  releaseExtents,
  sysramRegionDriverModule,
  sysramRegionDriverModuleWith,
  sysramRegionOf,
} from "./driver.js";
export { CXL_DEVICE_SYSRAM_REGION, KMEM_RESOURCE_NAME, type ReleaseSelect, SYSRAM_REGION_TYPE, SYSRAM_RESOURCE_NAME, SysramRegion, type SysramRegionOptions } from "./sysram-region.js";
export { formatBytes, type GroupPlan, planGroup } from "./plan.js";
export { compareReleasePaths, type DaxKmemHook, daxKmemHook, type MemoryModelHandle, type UnplugComparison, type UnplugWorkload } from "./compare.js";
export { type DaxKmemPathOptions, daxKmemReleasePath, type DaxPathEnv } from "./dax-path/dax-kmem-path.js";
export { formatReleaseComparison } from "./dax-path/side-by-side.js";
export { directHotUnplug, type DirectUnplugOutcome } from "./direct-path.js";
export * from "./types.js";
