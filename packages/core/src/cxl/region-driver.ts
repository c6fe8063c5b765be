/**
 * The region-driver plug-in contract (Gregory Price's region-driver series, host-rules R67-R71).
 *
 * A CXL region is claimed by whichever region driver binds it on the cxl bus
 * (`cxl_sysram_region`, `cxl_devdax_region`, later famfs and virtio, or the core's default
 * `cxl_region`). The CXL core keeps every rule of the kernel in one place: chain assembly, the
 * 20 s timeout and 100-extent cap, the group and per-extent gates, the host-wide tag registry,
 * seq_num assignment, the one Add DC Response per chain, the probe-time scan, whole-group release
 * and the Release DC commands. What a host *does* with capacity is the region driver's policy,
 * and that policy is all a region driver implements, through {@link RegionExtentPolicy}.
 *
 * The core never names a driver: it asks the bound driver's policy, whatever it is.
 */
import { type DependencyContainer, type InjectionToken } from "tsyringe";
import { type Device } from "../driver-model/device.js";
import { type Driver, type ProbeContext } from "../driver-model/driver.js";
import { DRIVER } from "../host/tokens.js";

/** One extent of a group, as the core hands it to a region driver (after every core gate passed). */
export interface RegionExtent {
  /** Absolute device physical address and length, in bytes. */
  readonly dpa: number;
  readonly length: number;
  /** Host physical address of the first byte (region HPA start + offset). */
  readonly hpa: number;
  /** Offset inside the region's HPA window (the sysfs `offset` of `extentZ.K`). */
  readonly offset: number;
  /** The extent's tag; `NULL_UUID` when untagged. */
  readonly tag: string;
  /** The host's seq_num inside its group (device-stamped when sharable, arrival order otherwise). */
  readonly seqNum: number;
  /** The device's Shared Extent Sequence as received. */
  readonly sharedSeq: number;
  /** The `extentZ.K` device name once realised (empty while the group is only offered). */
  readonly name: string;
}

/**
 * A tag group: the unit of allocation (R23, R51). All extents of one closed More-chain that carry
 * the same non-null tag; or all untagged extents of one chain.
 */
export interface ExtentGroup {
  /** The group's tag; `NULL_UUID` for the untagged group of a chain. */
  readonly tag: string;
  readonly tagged: boolean;
  /** The DC partition is sharable (CDAT DSMAS): other hosts may map the same capacity. */
  readonly sharable: boolean;
  /** The region's name (`region0`). */
  readonly region: string;
  /** The memdev the group arrived through (`mem0`). */
  readonly memdev: string;
  /** Members in seq_num order. */
  readonly extents: readonly RegionExtent[];
  /** Found by the probe-time scan (R35-R37): already accepted, never re-acknowledged. */
  readonly existing: boolean;
}

/** A policy's answer to an offered group. */
export type Admission = { readonly admit: true } | { readonly admit: false; readonly reason: string };

/** Why a group is being released. */
export type ReleaseCause =
  /** The device asked (a Release Capacity event record). */
  | "device"
  /** The host user asked (`cxl release-extents`, a `release` write). */
  | "host"
  /** The region is being destroyed or its driver unbound (R60): the policy cannot refuse. */
  | "teardown";

/** A policy's answer to a release request. */
export type ReleaseVerdict =
  | { readonly result: "released" }
  /** In use: nothing is torn down and nothing is sent to the device (R43); the FM must ask again. */
  | { readonly result: "deferred"; readonly reason: string };

/**
 * What a region driver decides, per bound region. The core calls it in this order for an add:
 * core gates → `admit` → the core realises the `extentZ.K` devices → `accepted` → the group is
 * listed in the Add DC Response. For a release: the core matches the group → `release` → the
 * core unregisters every member and sends Release DC for each (or does nothing when deferred).
 */
export interface RegionExtentPolicy {
  /** Accept or refuse a group that passed every core gate; a refusal names its reason. */
  admit(group: ExtentGroup): Admission | Promise<Admission>;
  /**
   * Build the host objects for an admitted group (memory blocks, dax resources, a VMM backend).
   * Throwing tears the group down and leaves it out of the response (R31-R32).
   */
  accepted(group: ExtentGroup): void | Promise<void>;
  /** Give a group back. For cause `teardown` a "deferred" answer is ignored: teardown always releases. */
  release(group: ExtentGroup, cause: ReleaseCause): ReleaseVerdict | Promise<ReleaseVerdict>;
  /** The device revoked the group (Forced Capacity Release). Linux ignores it (R46); a policy may record it. */
  forcedRelease?(group: ExtentGroup): void;
  /** The region is going away; called after every group was released. */
  teardown?(): void | Promise<void>;
}

/**
 * A region driver: a cxl-bus driver for region devices that also supplies the extent policy of
 * each region it binds. `D` is the region device class the CXL core defines.
 */
export interface RegionDriver<D extends Device = Device> extends Driver<D> {
  /** Build the policy for a region this driver has just bound (called at the end of its probe). */
  policy(region: D, ctx: ProbeContext<D>): RegionExtentPolicy;
}

/** Region drivers contributed by driver packages (for lookup by name, e.g. `create-region --driver`). */
export const REGION_DRIVER: InjectionToken<RegionDriver<never>> = Symbol("RegionDriver");

/**
 * Register a region driver in a host's container (what a driver package's `register()` does): as
 * a driver, so the host registers it on the cxl bus like any other, and as a region driver.
 */
export function provideRegionDriver(container: DependencyContainer, driver: RegionDriver<never>): void {
  container.register(DRIVER, { useValue: driver });
  container.register(REGION_DRIVER, { useValue: driver });
}

/** True when a bound driver supplies an extent policy. */
export function isRegionDriver(driver: Driver<never> | undefined): driver is RegionDriver<never> {
  return driver !== undefined && typeof (driver as Partial<RegionDriver<never>>).policy === "function";
}
