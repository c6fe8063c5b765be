/**
 * @packageDocumentation
 * `@dcd/driver-devdax`: the `cxl_devdax_region` region driver. DC capacity becomes device-dax
 * devices claimed by tag (`daxZ.N/uuid`); releases are deferred while a device holds a group
 * (R43). The dax bus, dax regions and devices live in `@dcd/core` (`DaxSubsystem`).
 */
export {
  DEVDAX_REGION_DRIVER_NAME,
  devdaxDefaultPolicyHooks,
  devdaxModule,
  type DevdaxModuleOptions,
  devdaxRegionDriver,
  devdaxRegionDriverModule,
} from "./devdax-region-driver.js";
