/**
 * `struct device_driver` and what a probe sees.
 *
 * A driver is a plain value (name, bus, optional probe/remove): the same driver object may be
 * registered with several hosts, each driver core keeping its own record of what it bound, so
 * two hosts share nothing through it.
 *
 * Probe reports its outcome the kernel's way, by the errno of what it throws:
 * - nothing: bound;
 * - `EPROBE_DEFER` ({@link deferProbe}): put on the deferred list, retried after the next bind;
 * - `ENODEV` / `ENXIO`: "rejects match", quiet, the next matching driver tries;
 * - anything else: reported as a failure, and the next matching driver tries as well.
 */
import { errno, type DcdError, isDcdError } from "../errors.js";
import { type Device } from "./device.js";
import { type AttributeGroup } from "./device-type.js";
import { type Devm } from "./devres.js";

export interface Driver<D extends Device = Device> {
  /** Unique on its bus; the directory name under `/sys/bus/<bus>/drivers/`. */
  readonly name: string;
  /** The bus the driver registers with. */
  readonly bus: string;
  /** Bind to `dev` or throw (see the module comment for what each errno means). */
  probe?(dev: D, ctx: ProbeContext<D>): void | Promise<void>;
  /** Undo probe's work that devres does not undo; cannot fail the unbind. */
  remove?(dev: D, ctx: ProbeContext<D>): void | Promise<void>;
  /** Attributes a bound device shows while bound (`drv->dev_groups`). */
  readonly devGroups?: readonly AttributeGroup<D>[];
}

/**
 * What a probe (and later remove) of one binding receives. The same context lives from probe to
 * unbind; its devres stack is released on probe failure and on unbind.
 */
export interface ProbeContext<D extends Device = Device> {
  readonly device: D;
  readonly driver: Driver<D>;
  /** The binding's devres stack (`devm_*`). */
  readonly devm: Devm;
  /** `dev_set_drvdata` / `dev_get_drvdata`; cleared on unbind and on probe failure. */
  drvdata: unknown;
}

/** How a failed probe is classified (`call_driver_probe`). */
export type ProbeOutcome = "deferred" | "rejected" | "failed";

/** The error a probe throws to ask for deferral (`return -EPROBE_DEFER` / `dev_err_probe`). */
export function deferProbe(reason: string): DcdError {
  return errno("EPROBE_DEFER", reason);
}

/** Classify a thrown probe error: defer, quiet reject (ENODEV/ENXIO), or a reported failure. */
export function probeOutcome(err: unknown): ProbeOutcome {
  if (isDcdError(err, "EPROBE_DEFER")) return "deferred";
  if (isDcdError(err, "ENODEV", "ENXIO")) return "rejected";
  return "failed";
}
