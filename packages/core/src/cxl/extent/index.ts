export * from "./host-policy.js";
export * from "./events.js";
export { type DcExtentPartition, type DcRegionTarget } from "./model.js";
export { CXL_EXTENT_CORE, CxlExtentCore, type CxlExtentCoreOptions, type DcMemdevHandle, type DcMemdevOptions, type DcRegionOptions, HOST_POLICY } from "./extent-core.js";
