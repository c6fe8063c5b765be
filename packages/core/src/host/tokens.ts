/**
 * Injection tokens of a host and the shape of a driver package.
 *
 * A driver package does what a kernel module's `module_init` does, without global side effects:
 * it exports a {@link DriverModule} whose `register(container)` puts its drivers (and, for a
 * subsystem core, its buses) into the container it is given. The host gathers them with
 * `@injectAll(..., { isOptional: true })` and registers them with its driver core.
 */
import { type DependencyContainer, type InjectionToken } from "tsyringe";
import { type BusType } from "../driver-model/bus-type.js";
import { type DriverCore } from "../driver-model/driver-core.js";
import { type Driver } from "../driver-model/driver.js";
import { type SysfsTree } from "../sysfs/sysfs-tree.js";
import { type Host } from "./host.js";

/**
 * Drivers a module contributes (`module_driver`). `Driver<never>` reads "a driver for some device
 * class": a `Driver<CxlMemdev>` fits without pretending it can probe any `Device`.
 */
export const DRIVER: InjectionToken<Driver<never>> = Symbol("Driver");
/** Buses a subsystem module contributes (`bus_register` in a core module's init), of any device class. */
export const BUS_TYPE: InjectionToken<BusType<never, never>> = Symbol("BusType");
/** The host a container belongs to. */
export const HOST: InjectionToken<Host> = Symbol("Host");
/** The host's driver core. */
export const DRIVER_CORE: InjectionToken<DriverCore> = Symbol("DriverCore");
/** The host's sysfs tree. */
export const SYSFS_TREE: InjectionToken<SysfsTree> = Symbol("SysfsTree");

/**
 * Work a subsystem runs outside the driver core's operations (event-log drains, hot-unplug on an
 * extent release) that may itself need the driver core. `host.dispose()` waits for every
 * `quiesce()` before it tears the driver core down, as the kernel flushes its workqueues before it
 * unbinds: otherwise a release still removing memory blocks would wait for the teardown while the
 * teardown waits for the release.
 */
export interface HostQuiesce {
  quiesce(): Promise<void>;
}
/** Registered by subsystems with detached work; see {@link HostQuiesce}. */
export const HOST_QUIESCE: InjectionToken<HostQuiesce> = Symbol("HostQuiesce");

/** What a driver package exports: a name and a registration into the host's container. */
export interface DriverModule {
  readonly name: string;
  register(container: DependencyContainer): void;
}
