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
