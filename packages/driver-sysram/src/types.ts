/**
 * The vocabulary of the sysram region driver: its knobs (consumers.md §2.7, issue 7), the events a
 * `sysram_regionZ` emits, and the per-release data (`SysramReleaseReport`) that compares the direct
 * hot-unplug path with the region → dax_region → dax0.0 → kmem path (seed 000).
 */
import { type DcdError, type ErrnoCode, type HotplugStep, type MemoryRange, type OfflineFailureReason, type OnlineType, type PrivateNodeFeature } from "@dcd/core";

/** `sysram_regionZ/online_type`: `invalid` until user space picks one (R68). */
export type SysramOnlineType = OnlineType | "invalid";

/** What to do with the part of an extent that does not cover whole, aligned memory blocks. */
export type StrandedPolicy =
  /** Refuse the group: capacity the host cannot use should go back to the FM at once. */
  | "reject"
  /** Hot-plug the whole blocks inside, strand the rest (dax/kmem's behaviour). */
  | "truncate";

/**
 * Which tags a region takes (Ira Weiny's region UUID, consumers.md §2.3): the string `any`
 * (default), only untagged extents (`null`), or only the given tag (a uuid).
 */
export type RegionTagFilter = null | string;

/** Whether a tag may come back once its group was released (seed 002, Set(A) then Set(A)'). */
export type TagReusePolicy =
  /** A tag names one chain for the life of the binding: a later set with a tag seen before is refused. */
  | "reject"
  /** A tag may be used again once every extent carrying it was released. */
  | "after-release";

/** Options of a `cxl_sysram_region` driver instance. */
export interface SysramOptions {
  /**
   * `online_type` every new `sysram_regionZ` starts with. Default `invalid` (R68): user space must
   * write one before extents are hot-plugged or the kmem stage binds.
   */
  readonly onlineType?: SysramOnlineType;
  /** Default `reject` (issue 7; consumers.md recommends `truncate` for kmem parity). */
  readonly strandedPolicy?: StrandedPolicy;
  /** Default `any`. */
  readonly regionTag?: RegionTagFilter;
  /** Default `reject`. */
  readonly tagReuse?: TagReusePolicy;
  /** NUMA node the region's memory goes to (the CXL window's node). Default 1. */
  readonly targetNode?: number;
  /** Ask for the memmap inside each block (`MHP_MEMMAP_ON_MEMORY`). Default false. */
  readonly memmapOnMemory?: boolean;
  /**
   * `sysram_regionZ/private` (consumers.md §2.3-2.4): hot-plug onto a private node (`N_MEMORY`
   * but not public), which ordinary allocations never use. Default false.
   */
  readonly private?: boolean;
  /** `sysram_regionZ/private_features`: the private node's feature mask. Default none. */
  readonly privateFeatures?: readonly PrivateNodeFeature[];
}

/** Where a group was refused or a release stopped. */
export type SysramStage = "admit" | "add" | "online" | "offline" | "remove" | "teardown";

/** One memory range the driver hot-plugged for one extent. */
export interface SysramRange extends MemoryRange {
  /** `extentZ.K` it came from. */
  readonly extent: string;
  /** Bytes of the extent outside whole blocks (stranded by `truncate`). */
  readonly strandedBytes: number;
}

/** A group as sysram holds it: its ranges, in extent order. */
export interface SysramGroupInfo {
  readonly key: string;
  readonly tag: string;
  readonly tagged: boolean;
  readonly extents: readonly string[];
  readonly ranges: readonly SysramRange[];
  /** Memory block ids of all ranges. */
  readonly blocks: readonly number[];
  readonly pluggedBytes: number;
  readonly strandedBytes: number;
}

/** Which hot-unplug path a report describes. */
export type SysramReleasePath = "direct" | "dax-kmem";

/**
 * One step of a release as seed 000 lists them. Direct: `hotunplug` → `release-dc`. Through dax:
 * `hotunplug` (of `dax_map[A]`) → `dax-coverage` (does A cover the whole dax device?) → `dax-unplug`
 * → `dax-unbind` → `release-dc`.
 */
export type SysramReleaseStage = "hotunplug" | "dax-coverage" | "dax-unplug" | "dax-unbind" | "release-dc";

export interface SysramReleaseStep {
  readonly stage: SysramReleaseStage;
  readonly ok: boolean;
  /** The memory-hotplug steps taken in this stage (offline/online/remove per block, rollbacks included). */
  readonly hotplug: readonly HotplugStep[];
  readonly startMs: number;
  readonly durationMs: number;
}

/** A place where a release failed (seed 000: "might fail due to dax reasons / normal hot-unplug reasons"). */
export interface SysramFailurePoint {
  readonly stage: SysramReleaseStage;
  /** `dax` for the dax layer's own reasons, `hotplug` for normal hot-unplug reasons. */
  readonly kind: "dax" | "hotplug";
  readonly errno: ErrnoCode;
  readonly message: string;
  readonly block?: number;
  readonly reason?: OfflineFailureReason;
}

/** Per release: what was done and where it failed, as data (no printer yet). */
export interface SysramReleaseReport {
  readonly path: SysramReleasePath;
  readonly region: string;
  readonly tag: string;
  readonly extents: readonly string[];
  readonly cause: "device" | "host" | "teardown";
  /** `released`: blocks gone, the core sends Release DC; `deferred`: state as before; `leaked`: teardown could not offline. */
  readonly outcome: "released" | "deferred" | "leaked";
  readonly blocks: readonly number[];
  readonly steps: readonly SysramReleaseStep[];
  readonly failurePoints: readonly SysramFailurePoint[];
  /** Pages migrated out of the group's blocks. */
  readonly migratedPages: number;
  readonly startMs: number;
  readonly durationMs: number;
}

/**
 * The other path for comparison data: give back the same ranges through region → dax_region →
 * dax0.0 → kmem. The dax layer implements it; sysram only defines the shape so that the same
 * workload can be run through both (see `compareReleasePaths`).
 */
export interface DaxKmemReleasePath {
  readonly path: "dax-kmem";
  /** Hot-plug `ranges` as one dax device onlined by kmem. */
  plug(ranges: readonly MemoryRange[]): Promise<void>;
  /** Release the extents covering `ranges` (seed 000's current flow) and report. */
  release(ranges: readonly MemoryRange[]): Promise<SysramReleaseReport>;
}

/** What `sysram_regionZ.events$` carries; failures travel in payloads. */
export type SysramEvent =
  | { readonly type: "group-plugged"; readonly region: string; readonly group: SysramGroupInfo; readonly atMs: number }
  | { readonly type: "group-refused"; readonly region: string; readonly tag: string; readonly extents: readonly string[]; readonly stage: SysramStage; readonly reason: string; readonly error?: DcdError; readonly atMs: number }
  | { readonly type: "extent-truncated"; readonly region: string; readonly extent: string; readonly strandedBytes: number; readonly message: string; readonly atMs: number }
  | { readonly type: "release-deferred"; readonly region: string; readonly reason: string; readonly report: SysramReleaseReport; readonly atMs: number }
  | { readonly type: "group-released"; readonly region: string; readonly report: SysramReleaseReport; readonly atMs: number }
  | { readonly type: "teardown-leaked"; readonly region: string; readonly reason: string; readonly report: SysramReleaseReport; readonly atMs: number }
  | { readonly type: "ram-plugged" | "ram-unplugged"; readonly region: string; readonly range: MemoryRange; readonly blocks: readonly number[]; readonly atMs: number }
  | { readonly type: "host-release-failed"; readonly region: string; readonly select: string; readonly error: DcdError; readonly atMs: number };
