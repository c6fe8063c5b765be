/**
 * `struct bus_type`: how a bus matches, probes, removes and describes its devices.
 *
 * `match` is called whenever a device or a driver appears, and again on every rescan and
 * deferred retry, so it must be synchronous and pure: the same device and driver always give the
 * same answer. The driver core consults `driverOverride` before calling it
 * (`device_match_driver_override`), so a bus never has to.
 */
import { type Device } from "./device.js";
import { type AttributeGroup } from "./device-type.js";
import { type Driver, type ProbeContext } from "./driver.js";

/** `match()`'s answer: >0, 0, or -EPROBE_DEFER ("cannot tell yet, try no other driver now"). */
export type MatchResult = boolean | "defer";

export interface BusType<D extends Device = Device, R extends Driver<D> = Driver<D>> {
  /** `/sys/bus/<name>`, `SUBSYSTEM=<name>`. */
  readonly name: string;
  /** Pure and synchronous. Omitted: every driver matches every device (as in the kernel). */
  match?(dev: D, drv: R): MatchResult;
  /** Wraps the driver's probe (the bus calls `drv.probe` itself), as `cxl_bus_probe` does. */
  probe?(dev: D, drv: R, ctx: ProbeContext<D>): void | Promise<void>;
  /** Wraps the driver's remove. */
  remove?(dev: D, drv: R, ctx: ProbeContext<D>): void | Promise<void>;
  /** Bus uevent variables, typically `MODALIAS` (`cxl:t5`). Must be pure. */
  uevent?(dev: D): Readonly<Record<string, string>> | undefined;
  /** Directory under `/sys/devices` for parent-less devices; default `virtual/<name>`. */
  readonly root?: string;
  /** Whether devices show a `driver_override` attribute (`bus_type.driver_override`); default true. */
  readonly driverOverride?: boolean;
  /** Attributes every device on the bus shows (`bus->dev_groups`). */
  readonly devGroups?: readonly AttributeGroup<D>[];
}
