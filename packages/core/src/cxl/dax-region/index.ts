export { CXL_DAX_REGION_DRIVER_NAME, CXL_DAX_REGION_TYPE, CXL_DEVICE_DAX_REGION, CxlDaxRegion } from "./cxl-dax-region.js";
export { type DcExtentInfo } from "./extent-sysfs.js";
export { cxlDaxRegionDriver, type CxlDaxRegionDriver, daxCxlModule } from "./cxl-dax-region-driver.js";
export { CxlExtentHooks, registerCxlExtentHooks } from "./hooks.js";
