/**
 * The public vocabulary of the memory-hotplug model (`mm/memory_hotplug.c`, `drivers/base/memory.c`,
 * `drivers/base/node.c`): online types, zones, block and node facts, the results of hotplug
 * operations with their steps, and the events they emit.
 */
import { type DcdError, type ErrnoCode } from "../errors.js";

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
/** `PAGE_SIZE` (x86_64). */
export const PAGE_SIZE = 4 * KiB;
/** `MIN_MEMORY_BLOCK_SIZE`: one SPARSEMEM section on x86_64; the smallest block size. */
export const SECTION_SIZE = 128 * MiB;
/** `sizeof(struct page)`: what the memmap costs per 4 KiB page. */
export const STRUCT_PAGE_SIZE = 64;
/** End of `ZONE_DMA` (x86_64: the first 16 MiB). */
export const DMA_END = 16 * MiB;
/** End of `ZONE_DMA32` (4 GiB). */
export const DMA32_END = 4 * GiB;

/** `enum mmop` in the order of `online_type_to_str[]` (MMOP_OFFLINE = 0 ... MMOP_ONLINE_MOVABLE = 3). */
export const ONLINE_TYPES = ["offline", "online", "online_kernel", "online_movable"] as const;
/** What `state` and `auto_online_blocks` accept. `online` lets the online policy pick the zone. */
export type OnlineType = (typeof ONLINE_TYPES)[number];

/**
 * `memoryN/state` as the kernel prints it. `going-offline` only lasts while an offline runs; the
 * model's offlines are atomic in simulated time, so it never shows.
 */
export type MemoryBlockState = "online" | "offline" | "going-offline";

/** Zone names as `valid_zones` prints them (`zone->name`). */
export const ZONE_NAMES = ["DMA", "DMA32", "Normal", "Movable"] as const;
export type ZoneName = (typeof ZONE_NAMES)[number];
/** The kernel zones (everything but ZONE_MOVABLE): they may hold unmovable allocations. */
export type KernelZoneName = Exclude<ZoneName, "Movable">;

/** `memory_hotplug.online_policy`. */
export const ONLINE_POLICIES = ["contig-zones", "auto-movable"] as const;
export type OnlinePolicy = (typeof ONLINE_POLICIES)[number];

/**
 * How the workload uses a page. `movable`: user memory or page cache, migrated when its block goes
 * offline. `unmovable`: kernel allocations (slab, page tables), only in kernel zones; a block holding
 * one fails to isolate. `pinned`: a pinned page (DMA in flight, RDMA, vfio) that migration cannot
 * move, so offlining retries until the caller gives up.
 */
export type PageKind = "movable" | "unmovable" | "pinned";

/** A physical address range, in bytes. */
export interface MemoryRange {
  readonly start: number;
  readonly size: number;
}

/** How the pages of one block are used, in 4 KiB pages. All zero while the block is offline, except `memmap`. */
export interface PageUsage {
  /** Pages of the block that exist (a boot block at the end of RAM may have holes). */
  readonly present: number;
  readonly free: number;
  readonly movable: number;
  readonly unmovable: number;
  readonly pinned: number;
  /** The block's own memmap, kept inside it (`memmap_on_memory`); present but never managed. */
  readonly memmap: number;
  /** Memmap of other hot-plugged blocks that lives here (without `memmap_on_memory`): unmovable. */
  readonly memmapHosted: number;
}

/** One `memoryN` as the model sees it. */
export interface MemoryBlockInfo {
  readonly id: number;
  /** `memoryN`. */
  readonly name: string;
  readonly start: number;
  readonly size: number;
  /** `mem->nid`: the node the block links to (the last one, for a boot block spanning nodes). */
  readonly node: number;
  /** Present at boot (not hot-plugged). */
  readonly boot: boolean;
  readonly state: MemoryBlockState;
  /** Online: its zone, or `none` when it spans zones or nodes (it can never go offline). */
  readonly zone: ZoneName | "none" | undefined;
  /** The online type the block was onlined with; undefined for boot memory and offline blocks. */
  readonly onlineType: OnlineType | undefined;
  /** The resource (`/proc/iomem` name) the block belongs to. */
  readonly resource: string;
  /** The block carries its own memmap. */
  readonly memmapOnMemory: boolean;
  /** `registering` until its device is in sysfs, `removing` while its device is deleted. */
  readonly phase: "registering" | "live" | "removing";
  readonly pages: PageUsage;
}

/** A `System RAM` resource: boot memory, or one hot-added range (split when part of it is removed). */
export interface MemoryResource {
  readonly start: number;
  readonly size: number;
  readonly name: string;
  /** `IORESOURCE_SYSRAM_DRIVER_MANAGED` (added by `add_memory_driver_managed`). */
  readonly driverManaged: boolean;
  readonly boot: boolean;
}

/**
 * Services a private node opts into (Gregory Price's "Private Memory NUMA Nodes" v5): a private node
 * is `N_MEMORY` but not `N_MEMORY_PUBLIC`, absent from the fallback zonelists, and gets only what its
 * feature mask names. `USER_NUMA`: mbind/set_mempolicy/move_pages may target it (only `MPOL_BIND`);
 * `DEMOTION` requires `RECLAIM`.
 */
export const PRIVATE_NODE_FEATURES = ["RECLAIM", "USER_NUMA", "DEMOTION", "NUMA_BALANCING", "LTPIN", "DAMON", "KSM", "COLLAPSE"] as const;
export type PrivateNodeFeature = (typeof PRIVATE_NODE_FEATURES)[number];

/** One NUMA node. */
export interface MemoryNodeInfo {
  readonly id: number;
  /**
   * The node's memory was added private (`N_MEMORY` but not `N_MEMORY_PUBLIC`): ordinary
   * allocations never land there. Set by the first private range, cleared with its last block.
   */
  readonly private: boolean;
  /** The feature mask of a private node (fixed while it has memory blocks); empty otherwise. */
  readonly privateFeatures: readonly PrivateNodeFeature[];
  /** `node_online()`: it has (or had since boot) CPUs or memory blocks; `nodeN` exists in sysfs. */
  readonly online: boolean;
  /** Boot nodes have CPUs and are never taken offline. */
  readonly hasCpu: boolean;
  /** Ids of the memory blocks linked under the node. */
  readonly blocks: readonly number[];
  /** Present pages of its online blocks (N_MEMORY when > 0). */
  readonly presentPages: number;
  /** Managed pages (`MemTotal`): present minus self-hosted memmap. */
  readonly managedPages: number;
  /** `MemFree`. */
  readonly freePages: number;
  /** Present pages in kernel zones (N_NORMAL_MEMORY when > 0). */
  readonly kernelPages: number;
  /** Present pages in ZONE_MOVABLE. */
  readonly movablePages: number;
}

/** Totals over the whole host. Blocks count whole (`bytes` = blocks × block size). */
export interface MemoryTotals {
  readonly bootBytes: number;
  /** Bytes of hot-added blocks (boot memory excluded). */
  readonly pluggedBytes: number;
  readonly onlineBytes: number;
  readonly offlineBytes: number;
  readonly onlineBlocks: number;
  readonly offlineBlocks: number;
  /** Sums of {@link PageUsage} over online blocks (memmap over all blocks). */
  readonly pages: PageUsage;
  readonly managedPages: number;
}

/** Everything a property test compares: blocks, resources, nodes, totals. */
export interface MemorySnapshot {
  readonly blocks: readonly MemoryBlockInfo[];
  readonly resources: readonly MemoryResource[];
  readonly nodes: readonly MemoryNodeInfo[];
  readonly totals: MemoryTotals;
}

/**
 * What each hotplug step costs on the simulated clock. Defaults: add + online of 128 MiB ≈ 4.5 ms
 * (reference: 4-5 ms); offline 5 ms per block plus in-use pages migrated at 2 GiB/s; a caller
 * timeout of 30 s for an offline that cannot converge (the kernel itself retries forever).
 */
export interface HotplugCosts {
  /** `arch_add_memory` + memmap init + block device creation. */
  readonly addMsPerGiB: number;
  /** `online_pages`. */
  readonly onlineMsPerGiB: number;
  /** Isolation, scan and bookkeeping of one block offline. */
  readonly offlineMsPerBlock: number;
  /** Migration throughput of movable pages while offlining. */
  readonly migrateGiBPerSec: number;
  /** `remove_memory` (block devices, page tables, resources). */
  readonly removeMsPerGiB: number;
  /** How long an offline that cannot converge (pinned pages, no room to migrate) runs before EBUSY. */
  readonly offlineTimeoutMs: number;
}

export const DEFAULT_HOTPLUG_COSTS: HotplugCosts = {
  addMsPerGiB: 16,
  onlineMsPerGiB: 20,
  offlineMsPerBlock: 5,
  migrateGiBPerSec: 2,
  removeMsPerGiB: 8,
  offlineTimeoutMs: 30_000,
};

/** One node's boot RAM. Ranges are laid out one after the other from physical address 0. */
export interface BootMemory {
  readonly node: number;
  /** Bytes; a multiple of the section size (128 MiB). */
  readonly size: number;
}

/** How to build the memory subsystem of a host. */
export interface MemoryHotplugOptions {
  /** Boot RAM per node. Default: 16 GiB on node 0. Boot nodes have CPUs. */
  readonly boot?: readonly BootMemory[];
  /**
   * `block_size_bytes`: a power of two ≥ 128 MiB. Default as x86_64 probes it: 128 MiB when boot
   * memory ends below 64 GiB, else 2 GiB on bare metal, or (`hypervisor`) the largest power of two
   * ≤ 2 GiB that divides the end of boot memory.
   */
  readonly blockSize?: number;
  readonly hypervisor?: boolean;
  /** `node_possible_map`: nodes 0 .. possibleNodes-1 may receive memory. Default 8. */
  readonly possibleNodes?: number;
  /** `auto_online_blocks` at boot (`memhp_default_state=`). Default `offline`. */
  readonly autoOnlineBlocks?: OnlineType;
  /** `memory_hotplug.online_policy`. Default `contig-zones`. */
  readonly onlinePolicy?: OnlinePolicy;
  /** `memory_hotplug.auto_movable_ratio` (percent MOVABLE:KERNEL). Default 301. */
  readonly autoMovableRatio?: number;
  /** `memory_hotplug.auto_movable_numa_aware`. Default true. */
  readonly autoMovableNumaAware?: boolean;
  /** `memory_hotplug.memmap_on_memory`: lets callers ask for the memmap inside the block. Default false. */
  readonly memmapOnMemory?: boolean;
  /** `movable_node` on the command line: `online` prefers ZONE_MOVABLE for new ranges. Default false. */
  readonly movableNode?: boolean;
  /** Expose `/sys/devices/system/memory/probe` (CONFIG_ARCH_MEMORY_PROBE). Default false. */
  readonly probeAttribute?: boolean;
  /** `MAX_PHYSMEM_BITS`: hot-added memory must end below 2^bits. Default 46 (x86_64, 4-level paging). */
  readonly maxPhysmemBits?: number;
  /** Costs charged to the clock; each defaults to {@link DEFAULT_HOTPLUG_COSTS}. */
  readonly costs?: Partial<HotplugCosts>;
}

/** `add_memory_driver_managed(nid, start, size, resource_name, mhp_flags)` (or `add_memory` without `driverManaged`). */
export interface AddMemoryRequest {
  readonly start: number;
  readonly size: number;
  /** Target NUMA node (a region's `target_node`). */
  readonly node: number;
  /** `/proc/iomem` name; must read `System RAM (<driver>)` when driver-managed. Default `System RAM`. */
  readonly resourceName?: string;
  readonly driverManaged?: boolean;
  /**
   * Online type for the new blocks (`__add_memory_driver_managed(..., online_type)`); default the
   * current `auto_online_blocks`. As in the kernel, an auto-online failure does not fail the add.
   */
  readonly onlineType?: OnlineType;
  /** `MHP_MEMMAP_ON_MEMORY`: honoured only when the `memmapOnMemory` module parameter is on. */
  readonly memmapOnMemory?: boolean;
  /**
   * Add the range to a private node with this feature mask (v5's `features` argument; an empty
   * mask is a private node with no services). Omitted: ordinary (public) memory. A node holds
   * either kind, and a private node one mask, while it has memory blocks: anything else is EBUSY.
   */
  readonly privateFeatures?: readonly PrivateNodeFeature[];
}

/**
 * `MPOL_*` modes of the workload's memory policies. `default`: local node first, then the other
 * public nodes; `preferred`: the first node given, then as `default`; `bind`: only the nodes given.
 */
export const MEMPOLICY_MODES = ["default", "preferred", "bind"] as const;
export type MempolicyMode = (typeof MEMPOLICY_MODES)[number];

/** A memory policy as `mbind` installed it: the node mask after private nodes were trimmed. */
export interface Mempolicy {
  readonly mode: MempolicyMode;
  readonly nodes: readonly number[];
}

/** Operations of the driver API. */
export type HotplugOperation = "add" | "online" | "offline" | "remove" | "offline-and-remove";

/** What one step did. Rollback steps undo earlier steps of the same operation. */
export type HotplugStepAction =
  | "check-range"
  | "reserve-resource"
  | "release-resource"
  | "online-node"
  | "offline-node"
  | "allocate-memmap"
  | "free-memmap"
  | "add-block"
  | "online-block"
  | "offline-block"
  | "remove-block";

/**
 * Why an offline failed: the reasons `offline_pages` prints, plus `timeout`, the model's stand-in
 * for the caller's `timeout` around an offline that retries forever (pinned pages, nowhere to
 * migrate to). `signal backoff` (EINTR) is only reachable through an injected fault.
 */
export type OfflineFailureReason =
  | "memory holes"
  | "multizone range"
  | "failure to isolate range"
  | "notifier failure"
  | "signal backoff"
  | "unmovable page"
  | "failure to dissolve huge pages"
  | "timeout";

export interface HotplugStep {
  readonly action: HotplugStepAction;
  readonly block?: number;
  readonly node?: number;
  /** Undoes an earlier step of the same operation. */
  readonly rollback: boolean;
  readonly ok: boolean;
  /** Nothing to do: the block already was in the requested state. */
  readonly skipped?: boolean;
  /** The zone a block was onlined to. */
  readonly zone?: ZoneName;
  /** Pages moved out of the block by this offline. */
  readonly migratedPages?: number;
  readonly reason?: OfflineFailureReason;
  readonly error?: DcdError;
  /** Simulated time the step started at, and how long it took. */
  readonly startMs: number;
  readonly durationMs: number;
}

/** What every {@link HotplugResult} carries. */
export interface HotplugResultBase {
  readonly operation: HotplugOperation;
  readonly range: MemoryRange;
  /** Ids of the blocks the range covers (empty when the range was refused). */
  readonly blocks: readonly number[];
  /** Every step taken, rollbacks included, in order. */
  readonly steps: readonly HotplugStep[];
  readonly startMs: number;
  readonly durationMs: number;
}

export interface HotplugSuccess extends HotplugResultBase {
  readonly ok: true;
}

export interface HotplugFailure extends HotplugResultBase {
  readonly ok: false;
  readonly error: DcdError;
  /** Index in `steps` of the step that failed (the rollback steps, if any, follow it). */
  readonly failedStep: number;
}

/** What every driver-API operation returns; failures never throw. */
export type HotplugResult = HotplugSuccess | HotplugFailure;

/** Steps a {@link HotplugFault} can fail. */
export type FaultableStep = "add-block" | "online-block" | "offline-block" | "remove-block";

/** A failure to inject (a notifier NAK, ENOMEM, a signal): the next matching steps fail with `code`. */
export interface HotplugFault {
  readonly step: FaultableStep;
  /** Only this block; any block when omitted. */
  readonly block?: number;
  readonly code: ErrnoCode;
  /** For `offline-block`: the reason reported. Default `notifier failure`. */
  readonly reason?: OfflineFailureReason;
  /** How many steps fail before the fault disarms itself. Default 1. */
  readonly times?: number;
}

/** What every {@link HotplugEvent} carries: the block, its node, and the simulated time. */
export interface HotplugEventBase {
  readonly block: number;
  readonly node: number;
  readonly atMs: number;
}

/** What {@link MemoryHotplug.events$} carries. Failures travel in payloads, never as stream errors. */
export type HotplugEvent =
  | (HotplugEventBase & { readonly type: "block-added"; readonly rollback: false })
  | (HotplugEventBase & { readonly type: "block-onlined"; readonly zone: ZoneName; readonly onlineType: OnlineType; readonly rollback: boolean })
  | (HotplugEventBase & { readonly type: "block-offlined"; readonly migratedPages: number; readonly rollback: boolean })
  | (HotplugEventBase & { readonly type: "block-removed"; readonly rollback: boolean })
  | (HotplugEventBase & { readonly type: "online-failed"; readonly error: DcdError })
  | (HotplugEventBase & { readonly type: "offline-failed"; readonly reason: OfflineFailureReason; readonly error: DcdError });
