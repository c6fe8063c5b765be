/**
 * @packageDocumentation
 * `@dcd/core`: the host kernel model. Driver core (`driver-model`), sysfs, the CXL core, dax and
 * mm, the coded error family and the lifecycle primitives every package shares.
 */
export * from "./errors.js";
export * from "./lifecycle/disposable.js";
export { leakTracker, LeakTracker, type LiveResource } from "./lifecycle/leak-tracker.js";
export * from "./time/clock.js";
export * from "./uuid.js";
export * from "./sysfs/index.js";
export * from "./cxl/wire/index.js";
export { Device, type DeviceOptions } from "./driver-model/device.js";
export { type AttributeGroup, type DeviceAttribute, type DeviceType } from "./driver-model/device-type.js";
export { deferProbe, type Driver, type ProbeContext, type ProbeOutcome, probeOutcome } from "./driver-model/driver.js";
export { type BusType, type MatchResult } from "./driver-model/bus-type.js";
export { Bus } from "./driver-model/bus.js";
export { type Devm, type DevresAction } from "./driver-model/devres.js";
export * from "./driver-model/events.js";
export { formatUeventVars, parseSynthUevent } from "./driver-model/uevent.js";
export { DriverCore, type DriverCoreOptions } from "./driver-model/driver-core.js";
export { createHost, Host, type HostOptions } from "./host/host.js";
export { BUS_TYPE, DRIVER, DRIVER_CORE, type DriverModule, HOST, HOST_QUIESCE, type HostQuiesce, SYSFS_TREE } from "./host/tokens.js";
export * from "./cxl/region-driver.js";
export * from "./cxl/mbox/index.js";
export * from "./cxl/extent/index.js";
export * from "./cxl/dax-region/index.js";
export * from "./cxl/index.js";
export * from "./mm/index.js";
export * from "./dax/index.js";
