/**
 * What the extent pipeline reports, as plain data on typed streams. Errors travel in payloads
 * (`errno`, `reason`, `rule`); no stream ever errors, and every stream completes when its owner
 * (memdev, region, host) goes away.
 */
import type { ErrnoCode } from "../../errors.js";
import type { ExtentGroup, ReleaseCause } from "../region-driver.js";
import type { DcEventType } from "../wire/dc-event.js";
import type { DcExtent, DpaRange } from "../wire/extent.js";

/** A line of the host's kernel log (`dev_err`, `dev_warn`, `dev_dbg`...). */
export interface KernelLogLine {
  readonly level: "err" | "warn" | "info" | "debug";
  /** The device the line is printed for (`mem0`, `dax_region0`, `decoder2.0`). */
  readonly device: string;
  readonly message: string;
  /** The host-rules rule the line belongs to, when one does. */
  readonly rule?: string;
  /** Simulated time (ms) of the host clock. */
  readonly time: number;
}

/** The rules a rejection or a refusal names. `policy` = the region driver's `admit` said no. */
export type ExtentRule =
  | "R20" | "R21" | "R24" | "R25" | "R26" | "R27" | "R28.1" | "R28.2" | "R28.3" | "R28.4" | "R28.5" | "R28.6"
  | "R30" | "R31" | "R32" | "R33" | "R38" | "R50" | "Q2" | "policy";

/**
 * Per memdev: what the host read from and sent to the device's DC log and mailbox.
 * `record` is the `cxl_dynamic_capacity` trace point, one per record read, in log order.
 */
export type DcEvent =
  | {
      readonly type: "record";
      readonly memdev: string;
      readonly handle: number;
      readonly eventType: DcEventType;
      readonly more: boolean;
      readonly extent: DcExtent;
      readonly time: number;
    }
  /** A DC record's handler failed (R18 "dcd event failed: %d"). */
  | { readonly type: "event-failed"; readonly memdev: string; readonly eventType: number; readonly errno: ErrnoCode; readonly rc: number }
  /** The one Add DC Response of a chain (R34), or the empty one of a timeout; `errno` when the device refused it. */
  | { readonly type: "add-response"; readonly memdev: string; readonly extents: readonly DpaRange[]; readonly payloads: number; readonly errno?: ErrnoCode; readonly cause: "chain" | "timeout" | "cap" }
  /** A Release DC command (R40, R44, R60). */
  | { readonly type: "release-dc"; readonly memdev: string; readonly extent: DpaRange; readonly errno?: ErrnoCode }
  /** The More-chain watchdog fired (R20) or the cap tripped (R21); `dropped` staged extents. */
  | { readonly type: "chain-refused"; readonly memdev: string; readonly rule: "R20" | "R21"; readonly dropped: number }
  /** Get/Clear Event Records failed; the drain stops until the next interrupt. */
  | { readonly type: "log-error"; readonly memdev: string; readonly op: "get" | "clear"; readonly errno: ErrnoCode };

/** Per region (and host-wide): the life of extent groups. */
export type ExtentLifecycleEvent =
  /** A group formed from a closed chain (or from the probe-time scan: `existing`). */
  | { readonly type: "offered"; readonly region: string | undefined; readonly memdev: string; readonly tag: string; readonly existing: boolean; readonly extents: readonly DcExtent[] }
  /** A whole group (`scope: "group"`) or one member (`scope: "extent"`) was left out. */
  | {
      readonly type: "rejected";
      readonly scope: "group" | "extent";
      readonly region: string | undefined;
      readonly memdev: string;
      readonly tag: string;
      readonly existing: boolean;
      readonly extents: readonly DcExtent[];
      readonly rule: ExtentRule;
      readonly errno: ErrnoCode;
      readonly reason: string;
    }
  /** A member already accepted was offered again: no new object (R28.6, R33). */
  | { readonly type: "duplicate"; readonly region: string; readonly memdev: string; readonly tag: string; readonly extent: DcExtent }
  /** Realised and (unless `existing`) listed in the Add DC Response. */
  | { readonly type: "accepted"; readonly region: string; readonly memdev: string; readonly existing: boolean; readonly group: ExtentGroup }
  | { readonly type: "release-requested"; readonly region: string; readonly memdev: string; readonly cause: ReleaseCause; readonly group: ExtentGroup; readonly range?: DpaRange }
  /** The policy said in use (R43): nothing torn down, nothing sent. */
  | { readonly type: "release-deferred"; readonly region: string; readonly memdev: string; readonly cause: ReleaseCause; readonly group: ExtentGroup; readonly reason: string }
  /** Every member unregistered and released with Release DC (R44, R60). */
  | { readonly type: "released"; readonly region: string; readonly memdev: string; readonly cause: ReleaseCause; readonly group: ExtentGroup }
  /** A Forced Capacity Release named this group: ignored (R46). */
  | { readonly type: "forced-release-ignored"; readonly region: string; readonly memdev: string; readonly group: ExtentGroup; readonly range: DpaRange };

export type ExtentLifecycleType = ExtentLifecycleEvent["type"];
