export { DAX_DCD_ALIGN, DaxGroup, DaxRegionPolicy, DaxResource, type DaxResourceOwner } from "./dax-resource-pool.js";
export { DaxRegion, type DaxMapping, type DaxRegionEnv, hexAlt as daxHexAlt, DEV_DAX_TYPE, DEVICE_DAX_DRIVER_NAME, DevDax, KMEM_DRIVER_NAME } from "./dax-region.js";
export { daxBusType, deviceDaxDriver } from "./dax-bus.js";
export { KMEM_RESOURCE_NAME, type KmemBinding, kmemBindingOf, kmemDriver, type KmemOptions, type KmemState, type KmemTransition, type KmemWritableState } from "./kmem.js";
export { daxBusModule, daxDefaultPolicyHooks, type DaxDeviceInfo, type DaxLayerOptions, type DaxRegionInfo, daxRegionPolicy, DaxSubsystem, type KmemOnlineOptions, registerDaxBus } from "./dax-subsystem.js";
