/**
 * The memory-hotplug model of one host (`mm/memory_hotplug.c` with `drivers/base/memory.c`).
 *
 * Memory is cut into blocks of `block_size_bytes`; each block is `online` in one zone or `offline`.
 * Boot memory is online from the start; drivers (sysram, dax_kmem) add ranges of whole blocks with
 * {@link MemoryHotplug.addMemory}, online and offline them, and remove them once offline. Offlining
 * migrates the movable pages of a block elsewhere, fails with EBUSY on unmovable or pinned pages or
 * when nothing has room, and over a range is all or nothing: a failure onlines again what this call
 * offlined and leaves every block (pages included) as it was.
 *
 * Every operation is atomic in simulated time: its steps run at once, their costs are summed, and
 * the clock is advanced by the total once the model is consistent again and the hotplug lock is
 * released, so that timers firing meanwhile see the final state and may start operations of their
 * own. Events and uevents of an operation go out after that. (So `going-offline` is never
 * observed.) Operations are serialized as under `device_hotplug_lock`; a call that finds the lock
 * held gets EBUSY rather than waiting, which the model itself never provokes.
 *
 * Adding and removing register and delete devices with the driver core, which is asynchronous; the
 * model's state changes happen synchronously when the call is made, the blocks stay `registering`
 * (or `removing`) until their devices are in (or out of) sysfs, and refuse other operations
 * meanwhile with EBUSY.
 *
 * A host may hold ten thousand hot-plugged blocks, so no operation walks them all: the blocks are
 * indexed by node and zone with their counters kept current ({@link BlockIndex}), resources are
 * kept sorted, and a rollback restores only the blocks its operation touched ({@link Journal}).
 */
import { type Observable, Subject, type Subscription } from "rxjs";
import { DcdError, describe, errno, type ErrnoCode, isDcdError } from "../errors.js";
import { type DriverCore } from "../driver-model/driver-core.js";
import { type Disposable, toDisposable } from "../lifecycle/disposable.js";
import { leakTracker } from "../lifecycle/leak-tracker.js";
import { formatHex as hex, parseBool } from "../sysfs/attributes.js";
import { type SysfsTree } from "../sysfs/sysfs-tree.js";
import { type Clock, VirtualClock } from "../time/clock.js";
import { type Block, blockInfo, bootSegmentsOf, emptyUsage, freshUsage, type MemmapPiece, pagesOf, type Usage, type ZoneSegment } from "./block.js";
import { ALL_RANKS, BlockIndex, KERNEL_RANKS } from "./block-index.js";
import { SortedList } from "./sorted-list.js";
import { addRootAttributes, MEMORY_ROOT, MemoryBlockDevice, memoryBus, NODE_ROOT, NodeDevice, nodeBus, parseOnlineType } from "./memory-sysfs.js";
import { alignToBlocks, type AlignedRange, blockIdOf, checkBlockAligned, defaultMemoryBlockSize, formatRange, isValidBlockSize } from "./ranges.js";
import {
  type AddMemoryRequest,
  DEFAULT_HOTPLUG_COSTS,
  GiB,
  type HotplugCosts,
  type HotplugEvent,
  type HotplugFault,
  type HotplugOperation,
  type HotplugResult,
  type HotplugStep,
  type KernelZoneName,
  type MemoryBlockInfo,
  type MemoryNodeInfo,
  type MemoryRange,
  type MemoryResource,
  type MemorySnapshot,
  type MemoryTotals,
  type OfflineFailureReason,
  ONLINE_TYPES,
  type OnlinePolicy,
  type OnlineType,
  type MemoryHotplugOptions,
  PAGE_SIZE,
  PRIVATE_NODE_FEATURES,
  type PrivateNodeFeature,
  SECTION_SIZE,
  STRUCT_PAGE_SIZE,
  type ZoneName,
} from "./types.js";
import { MemoryWorkload, type WorkloadTarget } from "./workload.js";

/** What the model runs on: a driver core with sysfs, and a clock. */
export interface MemoryHotplugEnv {
  /** Names the model in errors and leak reports (usually the host name). */
  readonly name: string;
  readonly core: DriverCore;
  readonly sysfs: SysfsTree;
  readonly clock: Clock;
}

interface NodeState {
  readonly id: number;
  online: boolean;
  readonly hasCpu: boolean;
  device: NodeDevice | undefined;
  /**
   * The feature mask the node's memory was added with, when private. Only meaningful while the
   * node has memory blocks (see {@link MemoryHotplug.privateFeaturesOf}); the next add to an empty
   * node sets it again.
   */
  privateFeatures: ReadonlySet<PrivateNodeFeature> | undefined;
}

interface Resource {
  start: number;
  size: number;
  readonly name: string;
  readonly driverManaged: boolean;
  readonly boot: boolean;
}

interface ArmedFault {
  readonly fault: HotplugFault;
  left: number;
}

interface SavedBlock {
  readonly state: Block["state"];
  readonly zone: Block["zone"];
  readonly onlineType: Block["onlineType"];
  readonly usage: Usage;
}

/**
 * What an all-or-nothing operation saves for its rollback: each block it is about to change, as it
 * was before the first change (only the blocks touched, never the whole model).
 */
class Journal {
  private readonly saved = new Map<Block, SavedBlock>();

  /** Call before changing `b`; later calls keep the first state. */
  touch(b: Block): void {
    if (!this.saved.has(b)) this.saved.set(b, { state: b.state, zone: b.zone, onlineType: b.onlineType, usage: { ...b.usage } });
  }

  get(b: Block): SavedBlock | undefined {
    return this.saved.get(b);
  }

  entries(): IterableIterator<[Block, SavedBlock]> {
    return this.saved.entries();
  }
}

/** The blocks one offline takes together, and the free pages they still hold per node (not a migration target). */
interface OfflineScope {
  readonly ids: ReadonlySet<number>;
  readonly freeByNode: Map<number, number>;
}

type StepInit = Omit<HotplugStep, "startMs" | "durationMs" | "ok" | "rollback"> & { readonly rollback?: boolean };

/** The steps, events and clock charge of one operation. */
class Transaction {
  readonly steps: HotplugStep[] = [];
  readonly events: HotplugEvent[] = [];
  readonly uevents: { readonly device: MemoryBlockDevice; readonly action: "online" | "offline" }[] = [];
  readonly startMs: number;
  private cursor: number;
  private uncharged = 0;

  constructor(
    readonly operation: HotplugOperation,
    readonly range: MemoryRange,
    now: number,
  ) {
    this.startMs = now;
    this.cursor = now;
  }

  get now(): number {
    return this.cursor;
  }

  step(init: StepInit, durationMs: number): HotplugStep {
    const step: HotplugStep = { ...init, rollback: init.rollback ?? false, ok: init.error === undefined, startMs: this.cursor, durationMs };
    this.steps.push(step);
    this.cursor += durationMs;
    this.uncharged += durationMs;
    return step;
  }

  /** The time not yet charged to the clock; resets it. */
  takeCharge(): number {
    const ms = this.uncharged;
    this.uncharged = 0;
    return ms;
  }

  /** After an await: continue from the clock if it moved past the cursor. */
  resync(now: number): void {
    if (now > this.cursor) this.cursor = now;
  }
}

/** A started add: its blocks exist in the model and wait for their devices. */
interface AddJob {
  readonly tx: Transaction;
  readonly request: AddMemoryRequest;
  readonly blocks: readonly Block[];
  readonly resource: Resource;
  readonly nodeOnlined: boolean;
}

export class MemoryHotplug implements Disposable {
  /** Block added/onlined/offlined/removed and failures, after each operation. Completes on {@link dispose}. */
  readonly events$: Observable<HotplugEvent>;
  readonly name: string;
  /** `block_size_bytes`. */
  readonly blockSize: number;
  /** Nodes 0 .. possibleNodes-1 may receive memory. */
  readonly possibleNodes: number;
  /** `memory_hotplug.memmap_on_memory` (read-only at runtime, as in the kernel). */
  readonly memmapOnMemory: boolean;
  /** `movable_node`. */
  readonly movableNode: boolean;
  readonly costs: HotplugCosts;
  /** Simulated use of pages ("in use" memory for tests and benchmarks). */
  readonly workload: MemoryWorkload;
  /** `auto_online_blocks`: how blocks added without an explicit online type come up. */
  autoOnlineBlocks: OnlineType;
  onlinePolicy: OnlinePolicy;
  autoMovableNumaAware: boolean;

  private ratio: number;
  private readonly subject = new Subject<HotplugEvent>();
  private readonly blockMap = new BlockIndex();
  private readonly nodeMap = new Map<number, NodeState>();
  /** By start; they never overlap, so their ends are in order too. */
  private readonly resources = new SortedList<Resource>((r) => r.start);
  private readonly faults: ArmedFault[] = [];
  private readonly core: DriverCore;
  private readonly sysfs: SysfsTree;
  private readonly clock: Clock;
  private readonly maxPhysAddr: number;
  private readonly probeAttribute: boolean;
  private readonly firstBootNode: number;
  private rootPaths: string[] = [];
  private coreSubscription: Subscription | undefined;
  private busy = false;
  private disposed = false;
  private readonly untrack: () => void;

  /**
   * Build the memory and node subsystems on `env`'s driver core: buses, root attributes, boot
   * blocks and nodes. EEXIST when the core already has a `memory` bus; EINVAL for bad options.
   * The model disposes itself when the driver core shuts down.
   */
  static async create(env: MemoryHotplugEnv, options: MemoryHotplugOptions = {}): Promise<MemoryHotplug> {
    if (env.core.bus("memory") !== undefined || env.core.bus("node") !== undefined) {
      throw errno("EEXIST", `${env.name}: the memory subsystem is already installed`);
    }
    const mm = new MemoryHotplug(env, options);
    try {
      await mm.start();
    } catch (err) {
      mm.dispose();
      throw err;
    }
    return mm;
  }

  private constructor(env: MemoryHotplugEnv, options: MemoryHotplugOptions) {
    this.name = env.name;
    this.core = env.core;
    this.sysfs = env.sysfs;
    this.clock = env.clock;
    const boot = options.boot ?? [{ node: 0, size: 16 * GiB }];
    const bootEnd = boot.reduce((sum, r) => sum + r.size, 0);
    this.blockSize = options.blockSize ?? defaultMemoryBlockSize(bootEnd, options.hypervisor ?? false);
    if (!isValidBlockSize(this.blockSize)) throw errno("EINVAL", `${this.name}: memory block size ${hex(this.blockSize)} is not a power of two ≥ ${hex(SECTION_SIZE)}`);
    this.possibleNodes = options.possibleNodes ?? 8;
    if (!Number.isSafeInteger(this.possibleNodes) || this.possibleNodes < 1) throw errno("EINVAL", `${this.name}: possibleNodes ${String(this.possibleNodes)} is not a positive integer`);
    for (const r of boot) {
      if (!Number.isSafeInteger(r.node) || r.node < 0 || r.node >= this.possibleNodes) throw errno("EINVAL", `${this.name}: boot node ${String(r.node)} is not a possible node (0-${this.possibleNodes - 1})`);
      if (!Number.isSafeInteger(r.size) || r.size <= 0 || r.size % SECTION_SIZE !== 0) throw errno("EINVAL", `${this.name}: boot memory of node ${r.node} (${hex(r.size)}) is not a positive multiple of the section size ${hex(SECTION_SIZE)}`);
    }
    this.autoOnlineBlocks = options.autoOnlineBlocks ?? "offline";
    this.onlinePolicy = options.onlinePolicy ?? "contig-zones";
    this.ratio = 301;
    this.autoMovableRatio = options.autoMovableRatio ?? 301;
    this.autoMovableNumaAware = options.autoMovableNumaAware ?? true;
    this.memmapOnMemory = options.memmapOnMemory ?? false;
    this.movableNode = options.movableNode ?? false;
    this.probeAttribute = options.probeAttribute ?? false;
    this.firstBootNode = boot[0]?.node ?? 0;
    const bits = options.maxPhysmemBits ?? 46;
    this.maxPhysAddr = 2 ** bits;
    this.costs = { ...DEFAULT_HOTPLUG_COSTS, ...options.costs };
    for (const [key, value] of Object.entries(this.costs)) {
      if (!(typeof value === "number" && value >= 0 && Number.isFinite(value))) throw errno("EINVAL", `${this.name}: cost ${key} = ${String(value)} is not a non-negative number`);
    }
    if (this.costs.migrateGiBPerSec === 0) throw errno("EINVAL", `${this.name}: cost migrateGiBPerSec must be positive`);
    this.events$ = this.subject.asObservable();
    this.workload = new MemoryWorkload(this.workloadTarget());
    this.layoutBoot(boot);
    this.untrack = leakTracker.track("memory-hotplug", this.name);
  }

  /** `memory_hotplug.auto_movable_ratio` (percent). */
  get autoMovableRatio(): number {
    return this.ratio;
  }

  set autoMovableRatio(value: number) {
    if (!Number.isSafeInteger(value) || value < 0) throw errno("EINVAL", `auto_movable_ratio ${String(value)} is not a non-negative integer`);
    this.ratio = value;
  }

  // ---- queries -------------------------------------------------------------------------------

  /** The simulated time the model charges its costs to (ms), for callers that time their operations. */
  get now(): number {
    return this.clock.now();
  }

  /** The block holding `address` (`phys_to_block_id`). */
  blockIdOf(address: number): number {
    return blockIdOf(address, this.blockSize);
  }

  /** One block, or undefined when absent. */
  block(id: number): MemoryBlockInfo | undefined {
    const b = this.blockMap.get(id);
    return b === undefined ? undefined : blockInfo(b);
  }

  /** Every block, by id. */
  blocks(): MemoryBlockInfo[] {
    return this.sortedBlocks().map(blockInfo);
  }

  /** One node (possible nodes only). */
  node(id: number): MemoryNodeInfo | undefined {
    const n = this.nodeMap.get(id);
    return n === undefined ? undefined : this.nodeInfo(n);
  }

  /**
   * The feature mask of `node` when it is a private node (it has memory blocks added private);
   * undefined for a public node or one without blocks.
   */
  privateFeaturesOf(node: number): ReadonlySet<PrivateNodeFeature> | undefined {
    if (this.blockMap.linkedCount(node) === 0) return undefined;
    return this.nodeMap.get(node)?.privateFeatures;
  }

  /** Every node that is or was online, by id. */
  nodes(): MemoryNodeInfo[] {
    return [...this.nodeMap.values()].sort((a, b) => a.id - b.id).map((n) => this.nodeInfo(n));
  }

  /** The `System RAM` resources, by address. */
  ranges(): MemoryResource[] {
    return [...this.resources.values()].map((r) => ({ ...r }));
  }

  totals(): MemoryTotals {
    let bootBytes = 0;
    let pluggedBytes = 0;
    let onlineBytes = 0;
    let onlineBlocks = 0;
    let onlineMemmap = 0;
    const pages = { present: 0, free: 0, movable: 0, unmovable: 0, pinned: 0, memmap: 0, memmapHosted: 0 };
    for (const b of this.blockMap.values()) {
      const size = b.end - b.start;
      if (b.boot) bootBytes += size;
      else pluggedBytes += size;
      pages.memmap += b.memmapSelf;
      if (b.state === "offline") continue;
      onlineBytes += size;
      onlineBlocks++;
      onlineMemmap += b.memmapSelf;
      pages.present += b.present;
      pages.free += b.usage.free;
      pages.movable += b.usage.movable;
      pages.unmovable += b.usage.unmovable;
      pages.pinned += b.usage.pinned;
      pages.memmapHosted += b.usage.memmapHosted;
    }
    return {
      bootBytes,
      pluggedBytes,
      onlineBytes,
      offlineBytes: bootBytes + pluggedBytes - onlineBytes,
      onlineBlocks,
      offlineBlocks: this.blockMap.size - onlineBlocks,
      pages,
      managedPages: pages.present - onlineMemmap,
    };
  }

  /** Plain data of everything, for before/after comparisons. */
  snapshot(): MemorySnapshot {
    return { blocks: this.blocks(), resources: this.ranges(), nodes: this.nodes(), totals: this.totals() };
  }

  /** The block ids `range` covers, after checking that it is block aligned (EINVAL otherwise). */
  blocksOf(range: MemoryRange): number[] {
    checkBlockAligned(range, this.blockSize);
    const first = range.start / this.blockSize;
    return Array.from({ length: range.size / this.blockSize }, (_, i) => first + i);
  }

  /** Inward alignment to whole blocks (what kmem does), for callers that truncate instead of refusing. */
  alignToBlocks(range: MemoryRange): AlignedRange {
    return alignToBlocks(range, this.blockSize);
  }

  /**
   * `valid_zones`: an online block's zone (`none` if it spans zones); for an offline block the zone
   * `online` would pick, then the other zones it could go to.
   */
  validZones(id: number): string {
    const b = this.blockMap.get(id);
    if (b === undefined) throw errno("ENODEV", `${this.name}: no memory${id}`);
    if (b.state !== "offline") return b.zone ?? "none";
    const first = this.zoneFor("online", b);
    const zones: ZoneName[] = [first];
    for (const z of [this.kernelZoneFor(b), "Movable"] as const) if (!zones.includes(z)) zones.push(z);
    return zones.join(" ");
  }

  // ---- driver API ----------------------------------------------------------------------------

  /**
   * `add_memory_driver_managed` (or `add_memory`): reserve the range, allocate its memmap, create
   * its blocks offline under `node` (onlining the node if needed), then online them with
   * `request.onlineType` (default `auto_online_blocks`). EINVAL: empty or unaligned range, bad
   * node or resource name; E2BIG: beyond `MAX_PHYSMEM_BITS`; EEXIST: overlaps existing memory;
   * ENOMEM: no room for the memmap. An auto-online failure shows in the steps, not as a failure.
   */
  async addMemory(request: AddMemoryRequest): Promise<HotplugResult> {
    const begun = this.beginAdd(request);
    return "result" in begun ? begun.result : this.completeAdd(begun);
  }

  /**
   * Online every offline block of `range` with `onlineType` (blocks already online are skipped).
   * All or nothing: a failure offlines again what this call onlined.
   */
  onlineRange(range: MemoryRange, onlineType: OnlineType): HotplugResult {
    const tx = this.begin("online", range);
    let ids: number[] = [];
    const error = this.exclusive(() => {
      if (!(ONLINE_TYPES as readonly string[]).includes(onlineType) || onlineType === "offline") {
        return errno("EINVAL", `${this.name}: online ${formatRange(range)}: '${onlineType}' is not an online type (online, online_kernel, online_movable)`);
      }
      const blocks = this.lookup(range, "online");
      if (blocks instanceof DcdError) return blocks;
      ids = blocks.map((b) => b.id);
      return this.onlineBlocks(tx, blocks, onlineType);
    });
    return this.conclude(tx, ids, error);
  }

  /**
   * Offline every online block of `range` (blocks already offline are skipped), migrating movable
   * pages to blocks outside the range. All or nothing: on a failure the blocks this call offlined
   * are onlined again into their zones and every block is left exactly as it was.
   */
  offlineRange(range: MemoryRange): HotplugResult {
    const tx = this.begin("offline", range);
    let ids: number[] = [];
    const error = this.exclusive(() => {
      const blocks = this.lookup(range, "offline");
      if (blocks instanceof DcdError) return blocks;
      ids = blocks.map((b) => b.id);
      return this.offlineBlocks(tx, blocks);
    });
    return this.conclude(tx, ids, error);
  }

  /**
   * Offline several disjoint ranges as one operation (a driver giving back a group of extents):
   * movable pages migrate to blocks outside every range, and on a failure every block this call
   * offlined, in any range, is onlined again into its zone. The result's `range` spans all ranges.
   * EINVAL for an empty list.
   */
  offlineRanges(ranges: readonly MemoryRange[]): HotplugResult {
    const start = ranges.length === 0 ? 0 : Math.min(...ranges.map((r) => r.start));
    const end = ranges.length === 0 ? 0 : Math.max(...ranges.map((r) => r.start + r.size));
    const tx = this.begin("offline", { start, size: end - start });
    let ids: number[] = [];
    const error = this.exclusive(() => {
      if (ranges.length === 0) return errno("EINVAL", `${this.name}: offline: no range given`);
      const all: Block[] = [];
      for (const range of ranges) {
        const blocks = this.lookup(range, "offline");
        if (blocks instanceof DcdError) return blocks;
        all.push(...blocks);
      }
      ids = all.map((b) => b.id);
      if (new Set(ids).size !== ids.length) return errno("EINVAL", `${this.name}: offline: the ranges overlap`);
      return this.offlineBlocks(tx, all);
    });
    return this.conclude(tx, ids, error);
  }

  /**
   * `remove_memory`: remove the blocks of a hot-added range (the resource is split when only part
   * of it goes), free their memmap, and take the node offline when nothing is left on it. EBUSY
   * when a block is online; EINVAL when the range is unaligned, not plugged, or boot memory.
   */
  async removeMemory(range: MemoryRange): Promise<HotplugResult> {
    const tx = this.begin("remove", range);
    let blocks: Block[] = [];
    const error = this.exclusive(() => {
      const found = this.lookup(range, "remove");
      if (found instanceof DcdError) return found;
      blocks = found;
      return this.beginRemove(tx, found);
    });
    if (error !== undefined) return this.conclude(tx, blocks.map((b) => b.id), error);
    return this.completeRemove(tx, blocks);
  }

  /**
   * `offline_and_remove_memory`: offline the range (all or nothing), then remove it. If removing
   * fails, the blocks are onlined again as they were.
   */
  async offlineAndRemoveMemory(range: MemoryRange): Promise<HotplugResult> {
    const tx = this.begin("offline-and-remove", range);
    let blocks: Block[] = [];
    const error = this.exclusive(() => {
      const found = this.lookup(range, "remove");
      if (found instanceof DcdError) return found;
      blocks = found;
      const journal = new Journal();
      const offlined = blocks.filter((b) => b.state !== "offline");
      const offlineError = this.offlineBlocks(tx, blocks, journal);
      if (offlineError !== undefined) return offlineError;
      const removeError = this.beginRemove(tx, blocks);
      if (removeError !== undefined) {
        for (const b of [...offlined].reverse()) this.recordReonline(tx, b, journal.get(b));
        this.restore(journal);
      }
      return removeError;
    });
    if (error !== undefined) return this.conclude(tx, blocks.map((b) => b.id), error);
    return this.completeRemove(tx, blocks);
  }

  /** Make the next matching steps fail (notifier NAK, ENOMEM, a signal). Dispose to disarm. */
  injectFault(fault: HotplugFault): Disposable {
    const armed: ArmedFault = { fault, left: fault.times ?? 1 };
    this.faults.push(armed);
    return toDisposable(() => {
      const i = this.faults.indexOf(armed);
      if (i >= 0) this.faults.splice(i, 1);
    });
  }

  /**
   * Complete `events$`, remove the subsystem's root attributes and stop tracking. The block and node
   * devices belong to the driver core, which deletes them when the host goes. Idempotent.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.coreSubscription?.unsubscribe();
    for (const path of [...this.rootPaths].reverse()) this.sysfs.removeIfExists(path);
    this.rootPaths = [];
    this.subject.complete();
    this.untrack();
  }

  // ---- sysfs stores --------------------------------------------------------------------------

  /** @internal `state_store`: EINVAL for an unknown type or a block already in that state. */
  storeState(id: number, value: string): void {
    const type = parseOnlineType(value, "state");
    const b = this.sysfsBlock(id);
    if (type === "offline") {
      if (b.state === "offline") throw errno("EINVAL", `memory${id} is already offline`);
      throwIfFailed(this.offlineRange(this.rangeOf(b)));
    } else {
      if (b.state !== "offline") throw errno("EINVAL", `memory${id} is already online`);
      throwIfFailed(this.onlineRange(this.rangeOf(b), type));
    }
  }

  /** @internal `online_store` (driver core): 1 onlines with the policy's zone, 0 offlines; no-op when already so. */
  storeOnline(id: number, value: string): void {
    const on = parseBool(value, "online");
    const b = this.sysfsBlock(id);
    if (on && b.state === "offline") throwIfFailed(this.onlineRange(this.rangeOf(b), "online"));
    if (!on && b.state !== "offline") throwIfFailed(this.offlineRange(this.rangeOf(b)));
  }

  /**
   * @internal `probe_store`: add one block at `address` (`__add_memory`), in the background. The
   * node is `memory_add_physaddr_to_nid`'s on x86: the first boot range's, as no firmware range
   * describes hot-pluggable addresses here.
   */
  probeStore(address: number): void {
    if (address % this.blockSize !== 0) throw errno("EINVAL", `probe: ${hex(address)} is not aligned to the memory block size ${hex(this.blockSize)}`);
    const begun = this.beginAdd({ start: address, size: this.blockSize, node: this.firstBootNode });
    if ("result" in begun) {
      if (!begun.result.ok) throw begun.result.error;
      return;
    }
    this.completeAdd(begun).catch(() => undefined);
  }

  // ---- start-up ------------------------------------------------------------------------------

  private layoutBoot(boot: readonly { node: number; size: number }[]): void {
    let cursor = 0;
    const segments: ZoneSegment[] = [];
    for (const r of boot) {
      segments.push(...bootSegmentsOf(cursor, cursor + r.size, r.node));
      if (!this.nodeMap.has(r.node)) this.nodeMap.set(r.node, { id: r.node, online: true, hasCpu: true, device: undefined, privateFeatures: undefined });
      cursor += r.size;
    }
    if (cursor > 0) this.resources.insert({ start: 0, size: cursor, name: "System RAM", driverManaged: false, boot: true });
    const bs = this.blockSize;
    for (let id = 0; id * bs < cursor; id++) {
      const start = id * bs;
      const end = start + bs;
      const mine = segments.filter((s) => s.start < end && s.end > start).map((s) => ({ ...s, start: Math.max(s.start, start), end: Math.min(s.end, end) }));
      const covered = mine.reduce((sum, s) => sum + s.end - s.start, 0);
      const nodes = [...new Set(mine.map((s) => s.node))];
      const zones = new Set(mine.map((s) => s.zone));
      const last = mine.at(-1);
      const block: Block = {
        id,
        start,
        end,
        boot: true,
        node: last?.node ?? 0,
        nodes,
        present: pagesOf(covered),
        holes: covered < bs,
        bootSegments: mine,
        memmapSelf: 0,
        memmapHome: [],
        resource: "System RAM",
        state: "online",
        zone: zones.size === 1 && nodes.length === 1 ? (last?.zone ?? "none") : "none",
        onlineType: undefined,
        usage: emptyUsage(),
        phase: "registering",
        device: undefined,
      };
      block.usage = freshUsage(block);
      this.blockMap.insert(block);
    }
  }

  private async start(): Promise<void> {
    this.coreSubscription = this.core.events$.subscribe({
      complete: () => {
        this.dispose();
      },
      error: () => undefined,
    });
    this.core.busRegister(nodeBus);
    this.core.busRegister(memoryBus);
    this.rootPaths = addRootAttributes(this.sysfs, this, this.probeAttribute);
    for (const node of [...this.nodeMap.values()].sort((a, b) => a.id - b.id)) await this.registerNode(node);
    for (const block of this.sortedBlocks()) await this.registerBlock(block);
  }

  private async registerNode(node: NodeState): Promise<void> {
    const device = new NodeDevice(this, node.id);
    node.device = device;
    await this.core.deviceAdd(device);
  }

  private async registerBlock(block: Block): Promise<void> {
    const device = new MemoryBlockDevice(this, block.id);
    block.device = device;
    await this.core.deviceAdd(device);
    for (const n of block.nodes) {
      // register_mem_block_under_node: links both ways.
      this.sysfs.addLink(`${NODE_ROOT}/node${n}/memory${block.id}`, `${MEMORY_ROOT}/memory${block.id}`);
      this.sysfs.addLink(`${MEMORY_ROOT}/memory${block.id}/node${n}`, `${NODE_ROOT}/node${n}`);
    }
    block.phase = "live";
  }

  // ---- add -----------------------------------------------------------------------------------

  /** The synchronous half of an add: checks and model state. */
  private beginAdd(request: AddMemoryRequest): AddJob | { result: HotplugResult } {
    const range = { start: request.start, size: request.size };
    const tx = this.begin("add", range);
    const outcome = this.exclusive((): AddJob | DcdError => {
      const checked = this.checkAdd(request);
      if (checked !== undefined) {
        tx.step({ action: "check-range", error: checked }, 0);
        return checked;
      }
      const kind = this.checkNodeKind(request);
      if (kind !== undefined) {
        tx.step({ action: "check-range", node: request.node, error: kind }, 0);
        return kind;
      }
      const overlap = this.overlappingResource(range);
      if (overlap !== undefined) {
        const err = errno("EEXIST", `System RAM resource ${formatRange(range)} cannot be added: it overlaps ${overlap.name} ${formatRange(overlap)}`);
        tx.step({ action: "reserve-resource", error: err }, 0);
        return err;
      }
      const resource: Resource = { ...range, name: request.resourceName ?? "System RAM", driverManaged: request.driverManaged ?? false, boot: false };
      this.insertResource(resource);
      tx.step({ action: "reserve-resource" }, 0);
      let node = this.nodeMap.get(request.node);
      const nodeOnlined = node?.online !== true;
      if (node === undefined) {
        node = { id: request.node, online: true, hasCpu: false, device: undefined, privateFeatures: undefined };
        this.nodeMap.set(node.id, node);
      }
      node.online = true;
      // An empty node takes the kind of its first range (a node with blocks was checked to match).
      if (this.blockMap.linkedCount(node.id) === 0) node.privateFeatures = request.privateFeatures === undefined ? undefined : new Set(request.privateFeatures);
      if (nodeOnlined) tx.step({ action: "online-node", node: node.id }, 0);
      const ids = this.blocksOf(range);
      const selfMemmap = (request.memmapOnMemory ?? false) && this.memmapOnMemory;
      const memmapPages = this.memmapPagesPerBlock();
      const created: Block[] = [];
      const undo = (err: DcdError): DcdError => {
        for (const b of [...created].reverse()) {
          this.freeMemmap(b);
          this.blockMap.delete(b);
          tx.step({ action: "remove-block", block: b.id, node: b.node, rollback: true }, 0);
          tx.events.push({ type: "block-removed", block: b.id, node: b.node, atMs: tx.now, rollback: true });
        }
        this.releaseResource(range);
        tx.step({ action: "release-resource", rollback: true }, 0);
        if (nodeOnlined) this.maybeOfflineNode(tx, request.node, true);
        return err;
      };
      for (const id of ids) {
        const home = selfMemmap ? [] : this.allocateMemmap(request.node, memmapPages);
        if (home === undefined) {
          const err = errno("ENOMEM", `${this.name}: no kernel memory for the ${memmapPages * PAGE_SIZE} byte memmap of memory${id}`);
          tx.step({ action: "allocate-memmap", block: id, node: request.node, error: err }, 0);
          return undo(err);
        }
        if (!selfMemmap) tx.step({ action: "allocate-memmap", block: id, node: request.node }, 0);
        const fault = this.takeFault("add-block", id);
        const block: Block = {
          id,
          start: id * this.blockSize,
          end: (id + 1) * this.blockSize,
          boot: false,
          node: request.node,
          nodes: [request.node],
          present: pagesOf(this.blockSize),
          holes: false,
          bootSegments: [],
          memmapSelf: selfMemmap ? memmapPages : 0,
          memmapHome: home,
          resource: resource.name,
          state: "offline",
          zone: undefined,
          onlineType: undefined,
          usage: emptyUsage(),
          phase: "registering",
          device: undefined,
        };
        if (fault !== undefined) {
          this.freeMemmap(block);
          const err = errno(fault.code, `${this.name}: adding memory${id} failed (injected ${fault.code})`);
          tx.step({ action: "add-block", block: id, node: request.node, error: err }, 0);
          return undo(err);
        }
        this.blockMap.insert(block);
        created.push(block);
        tx.step({ action: "add-block", block: id, node: request.node }, this.perGiB(this.costs.addMsPerGiB));
        tx.events.push({ type: "block-added", block: id, node: request.node, atMs: tx.now, rollback: false });
      }
      return { tx, request, blocks: created, resource, nodeOnlined };
    });
    if (outcome instanceof DcdError) return { result: this.conclude(tx, [], outcome) };
    this.chargeClock(tx);
    return outcome;
  }

  private checkAdd(request: AddMemoryRequest): DcdError | undefined {
    const range = { start: request.start, size: request.size };
    try {
      checkBlockAligned(range, this.blockSize);
    } catch (err) {
      return err as DcdError;
    }
    if (range.start + range.size > this.maxPhysAddr) {
      return errno("E2BIG", `Hotplug memory ${formatRange(range)} exceeds maximum addressable range [mem 0x0-${hex(this.maxPhysAddr - 1)}]`);
    }
    if (!Number.isSafeInteger(request.node) || request.node < 0 || request.node >= this.possibleNodes) {
      return errno("EINVAL", `${this.name}: node ${String(request.node)} was absent from the node_possible_map (0-${this.possibleNodes - 1})`);
    }
    const name = request.resourceName;
    if ((request.driverManaged ?? false) && (name === undefined || !name.startsWith("System RAM (") || !name.endsWith(")"))) {
      return errno("EINVAL", `${this.name}: driver-managed resource name '${String(name)}' does not read 'System RAM (<driver>)'`);
    }
    if (request.onlineType !== undefined && !(ONLINE_TYPES as readonly string[]).includes(request.onlineType)) {
      return errno("EINVAL", `${this.name}: '${request.onlineType}' is not an online type`);
    }
    const features = request.privateFeatures;
    if (features !== undefined) {
      const unknown = features.find((f) => !(PRIVATE_NODE_FEATURES as readonly string[]).includes(f));
      if (unknown !== undefined) return errno("EINVAL", `${this.name}: '${unknown}' is not a private node feature (${PRIVATE_NODE_FEATURES.join(", ")})`);
      if (features.includes("DEMOTION") && !features.includes("RECLAIM")) return errno("EINVAL", `${this.name}: private node feature DEMOTION requires RECLAIM`);
    }
    return undefined;
  }

  /**
   * A node holds public or private memory, and a private node one feature mask, for as long as it
   * has memory blocks (the node belongs to the driver that made it private): EBUSY otherwise.
   */
  private checkNodeKind(request: AddMemoryRequest): DcdError | undefined {
    if (this.blockMap.linkedCount(request.node) === 0) return undefined;
    const current = this.privateFeaturesOf(request.node);
    const wanted = request.privateFeatures;
    const node = `node${request.node}`;
    if (current === undefined && wanted !== undefined) return errno("EBUSY", `${this.name}: ${node} has public memory; private memory cannot be added to it`);
    if (current !== undefined && wanted === undefined) return errno("EBUSY", `${this.name}: ${node} is a private node; public memory cannot be added to it`);
    if (current !== undefined && wanted !== undefined && formatFeatures(current) !== formatFeatures(wanted)) {
      return errno("EBUSY", `${this.name}: ${node} is a private node with features {${formatFeatures(current)}} while it has memory; a range with {${formatFeatures(wanted)}} is refused`);
    }
    return undefined;
  }

  /** The asynchronous half: devices, links, then auto-online. */
  private async completeAdd(job: AddJob): Promise<HotplugResult> {
    const { tx, request, blocks } = job;
    const ids = blocks.map((b) => b.id);
    const node = this.nodeMap.get(request.node);
    let current: Block | undefined;
    try {
      if (node !== undefined && node.device === undefined) await this.registerNode(node);
      for (const b of blocks) {
        current = b;
        await this.registerBlock(b);
      }
    } catch (err) {
      tx.resync(this.clock.now());
      const error = errno(isDcdError(err) ? err.code : "EIO", `${this.name}: registering ${current === undefined ? `node${request.node}` : `memory${current.id}`} failed: ${describe(err)}`, { cause: err });
      tx.step({ action: "add-block", ...(current === undefined ? {} : { block: current.id }), node: request.node, error }, 0);
      await this.undoAdd(tx, job);
      return this.conclude(tx, ids, error);
    }
    tx.resync(this.clock.now());
    const onlineType = request.onlineType ?? this.autoOnlineBlocks;
    if (onlineType !== "offline") {
      const busy = this.exclusive(() => {
        // online_memory_block via walk_memory_blocks: stops at the first failure, which the add ignores.
        for (const b of blocks) {
          if (b.phase !== "live" || b.state !== "offline") continue;
          if (this.onlineBlock(tx, b, onlineType, false) !== undefined) break;
        }
        return undefined;
      });
      if (busy !== undefined) tx.step({ action: "online-block", error: busy }, 0);
    }
    return this.conclude(tx, ids, undefined);
  }

  /** Take back an add whose devices could not all be registered. */
  private async undoAdd(tx: Transaction, job: AddJob): Promise<void> {
    for (const b of [...job.blocks].reverse()) {
      b.phase = "removing";
      await this.unregisterBlock(b);
      this.freeMemmap(b);
      this.blockMap.delete(b);
      tx.step({ action: "remove-block", block: b.id, node: b.node, rollback: true }, 0);
      tx.events.push({ type: "block-removed", block: b.id, node: b.node, atMs: tx.now, rollback: true });
    }
    this.releaseResource({ start: job.resource.start, size: job.resource.size });
    tx.step({ action: "release-resource", rollback: true }, 0);
    if (job.nodeOnlined) await this.maybeOfflineNodeAsync(tx, job.request.node, true);
  }

  // ---- remove --------------------------------------------------------------------------------

  /** `try_remove_memory`'s checks and the model's part; the devices go in {@link completeRemove}. */
  private beginRemove(tx: Transaction, blocks: readonly Block[]): DcdError | undefined {
    const online = blocks.find((b) => b.state !== "offline");
    if (online !== undefined) {
      const err = errno("EBUSY", `${this.name}: removing memory fails, because memory ${formatRange(this.rangeOf(online))} (memory${online.id}) is onlined`);
      tx.step({ action: "remove-block", block: online.id, node: online.node, error: err }, 0);
      return err;
    }
    for (const b of blocks) {
      const fault = this.takeFault("remove-block", b.id);
      if (fault !== undefined) {
        const err = errno(fault.code, `${this.name}: removing memory${b.id} failed (injected ${fault.code})`);
        tx.step({ action: "remove-block", block: b.id, node: b.node, error: err }, 0);
        return err;
      }
    }
    for (const b of blocks) {
      b.phase = "removing";
      if (b.memmapHome.length > 0) {
        this.freeMemmap(b);
        tx.step({ action: "free-memmap", block: b.id, node: b.node }, 0);
      }
      tx.step({ action: "remove-block", block: b.id, node: b.node }, this.perGiB(this.costs.removeMsPerGiB));
      tx.events.push({ type: "block-removed", block: b.id, node: b.node, atMs: tx.now, rollback: false });
    }
    return undefined;
  }

  private async completeRemove(tx: Transaction, blocks: readonly Block[]): Promise<HotplugResult> {
    this.chargeClock(tx);
    for (const b of blocks) await this.unregisterBlock(b);
    tx.resync(this.clock.now());
    for (const b of blocks) this.blockMap.delete(b);
    const first = blocks[0];
    const last = blocks.at(-1);
    if (first !== undefined && last !== undefined) {
      this.releaseResource({ start: first.start, size: last.end - first.start });
      tx.step({ action: "release-resource" }, 0);
    }
    const nodes = new Set(blocks.map((b) => b.node));
    for (const n of nodes) await this.maybeOfflineNodeAsync(tx, n, false);
    return this.conclude(tx, blocks.map((b) => b.id), undefined);
  }

  private async unregisterBlock(b: Block): Promise<void> {
    for (const n of b.nodes) this.sysfs.removeIfExists(`${NODE_ROOT}/node${n}/memory${b.id}`);
    const device = b.device;
    b.device = undefined;
    if (device?.isRegistered === true) {
      try {
        await this.core.deviceDel(device);
      } catch {
        // The driver core is shutting down and deletes it itself.
      }
    }
  }

  /** `try_offline_node`: a node without CPUs and without blocks goes offline. Returns the node to unregister. */
  private maybeOfflineNode(tx: Transaction, id: number, rollback: boolean): NodeState | undefined {
    const node = this.nodeMap.get(id);
    if (node === undefined || node.hasCpu || !node.online) return undefined;
    if (this.blockMap.linkedCount(id) > 0) return undefined;
    node.online = false;
    tx.step({ action: "offline-node", node: id, rollback }, 0);
    return node;
  }

  private async maybeOfflineNodeAsync(tx: Transaction, id: number, rollback: boolean): Promise<void> {
    const node = this.maybeOfflineNode(tx, id, rollback);
    const device = node?.device;
    if (node === undefined || device === undefined) return;
    node.device = undefined;
    if (device.isRegistered) {
      try {
        await this.core.deviceDel(device);
      } catch {
        // The driver core is shutting down and deletes it itself.
      }
    }
  }

  // ---- online / offline ----------------------------------------------------------------------

  private onlineBlocks(tx: Transaction, blocks: readonly Block[], type: Exclude<OnlineType, "offline">): DcdError | undefined {
    const journal = new Journal();
    const done: Block[] = [];
    for (const b of blocks) {
      if (b.state !== "offline") {
        tx.step({ action: "online-block", block: b.id, node: b.node, skipped: true }, 0);
        continue;
      }
      journal.touch(b);
      const error = this.onlineBlock(tx, b, type, false);
      if (error !== undefined) {
        for (const d of [...done].reverse()) {
          tx.step({ action: "offline-block", block: d.id, node: d.node, rollback: true, migratedPages: 0 }, this.costs.offlineMsPerBlock);
          tx.events.push({ type: "block-offlined", block: d.id, node: d.node, migratedPages: 0, atMs: tx.now, rollback: true });
          this.queueUevent(tx, d, "offline");
        }
        this.restore(journal);
        return error;
      }
      done.push(b);
    }
    return undefined;
  }

  /** `memory_block_online`. */
  private onlineBlock(tx: Transaction, b: Block, type: Exclude<OnlineType, "offline">, rollback: boolean): DcdError | undefined {
    const zone = this.zoneFor(type, b);
    const fault = this.takeFault("online-block", b.id);
    if (fault !== undefined) {
      const error = errno(fault.code, `${this.name}: onlining memory${b.id} to ${zone} failed (injected ${fault.code})`);
      tx.step({ action: "online-block", block: b.id, node: b.node, zone, error, rollback }, 0);
      tx.events.push({ type: "online-failed", block: b.id, node: b.node, error, atMs: tx.now });
      return error;
    }
    this.blockMap.update(b, () => {
      b.state = "online";
      b.zone = zone;
      b.onlineType = type;
      b.usage = freshUsage(b);
    });
    tx.step({ action: "online-block", block: b.id, node: b.node, zone, rollback }, this.perGiB(this.costs.onlineMsPerGiB));
    tx.events.push({ type: "block-onlined", block: b.id, node: b.node, zone, onlineType: type, atMs: tx.now, rollback });
    this.queueUevent(tx, b, "online");
    return undefined;
  }

  /** `journal`: where to save what changes, when the caller may roll back further (its own by default). */
  private offlineBlocks(tx: Transaction, blocks: readonly Block[], journal = new Journal()): DcdError | undefined {
    const range: OfflineScope = { ids: new Set(blocks.map((b) => b.id)), freeByNode: new Map() };
    for (const b of blocks) if (b.state !== "offline") range.freeByNode.set(b.node, (range.freeByNode.get(b.node) ?? 0) + b.usage.free);
    const done: Block[] = [];
    for (const b of blocks) {
      if (b.state === "offline") {
        tx.step({ action: "offline-block", block: b.id, node: b.node, skipped: true }, 0);
        continue;
      }
      const error = this.offlineBlock(tx, b, range, journal);
      if (error !== undefined) {
        for (const d of [...done].reverse()) this.recordReonline(tx, d, journal.get(d));
        this.restore(journal);
        return error;
      }
      done.push(b);
    }
    return undefined;
  }

  /** The rollback step of an offline: the block comes back online in the zone it had. */
  private recordReonline(tx: Transaction, b: Block, before: SavedBlock | undefined): void {
    const zone = before?.zone;
    const realZone: ZoneName = zone === undefined || zone === "none" ? this.kernelZoneFor(b) : zone;
    const onlineType: OnlineType = before?.onlineType ?? (realZone === "Movable" ? "online_movable" : "online_kernel");
    tx.step({ action: "online-block", block: b.id, node: b.node, zone: realZone, rollback: true }, this.perGiB(this.costs.onlineMsPerGiB));
    tx.events.push({ type: "block-onlined", block: b.id, node: b.node, zone: realZone, onlineType, atMs: tx.now, rollback: true });
    this.queueUevent(tx, b, "online");
  }

  /** `memory_block_offline` → `offline_pages`. */
  private offlineBlock(tx: Transaction, b: Block, range: OfflineScope, journal: Journal): DcdError | undefined {
    const fail = (code: ErrnoCode, reason: OfflineFailureReason, why: string, durationMs: number): DcdError => {
      const error = errno(code, `${this.name}: memory offlining ${formatRange(this.rangeOf(b))} (memory${b.id}) failed due to ${reason}: ${why}`, {
        detail: { block: b.id, reason },
      });
      tx.step({ action: "offline-block", block: b.id, node: b.node, reason, error }, durationMs);
      tx.events.push({ type: "offline-failed", block: b.id, node: b.node, reason, error, atMs: tx.now });
      return error;
    };
    if (b.zone === "none") return fail("EINVAL", "multizone range", "the block spans more than one zone or node", 0);
    if (b.holes) return fail("EINVAL", "memory holes", "the block is not fully populated", 0);
    const fault = this.takeFault("offline-block", b.id);
    if (fault !== undefined) return fail(fault.code, fault.reason ?? "notifier failure", `injected ${fault.code}`, this.costs.offlineMsPerBlock);
    const u = b.usage;
    if (u.unmovable + u.memmapHosted > 0) {
      return fail("EBUSY", "failure to isolate range", `${u.unmovable + u.memmapHosted} unmovable pages`, this.costs.offlineMsPerBlock);
    }
    const timeout = this.costs.offlineTimeoutMs;
    if (u.pinned > 0) return fail("EBUSY", "timeout", `${u.pinned} pinned pages cannot be migrated; gave up after ${timeout} ms`, timeout);
    // Online blocks outside the range have every free page not in the range (offline ones have none).
    const nodes = this.migrationNodes(b);
    const room = nodes.reduce((sum, n) => sum + this.blockMap.free(n) - (range.freeByNode.get(n) ?? 0), 0);
    if (room < u.movable) {
      return fail("EBUSY", "timeout", `${u.movable} movable pages to migrate, ${room} free pages outside the range; gave up after ${timeout} ms`, timeout);
    }
    let left = u.movable;
    if (left > 0) {
      for (const t of this.migrationTargets(nodes, range.ids)) {
        const take = Math.min(left, t.usage.free);
        journal.touch(t);
        this.blockMap.updateUsage(t, () => {
          t.usage.free -= take;
          t.usage.movable += take;
        });
        left -= take;
        if (left === 0) break;
      }
    }
    const migrated = u.movable;
    journal.touch(b);
    range.freeByNode.set(b.node, (range.freeByNode.get(b.node) ?? 0) - u.free);
    this.blockMap.update(b, () => {
      b.state = "offline";
      b.zone = undefined;
      b.onlineType = undefined;
      b.usage = emptyUsage();
    });
    const migrateMs = (migrated * PAGE_SIZE) / ((this.costs.migrateGiBPerSec * GiB) / 1000);
    tx.step({ action: "offline-block", block: b.id, node: b.node, migratedPages: migrated }, this.costs.offlineMsPerBlock + migrateMs);
    tx.events.push({ type: "block-offlined", block: b.id, node: b.node, migratedPages: migrated, atMs: tx.now, rollback: false });
    this.queueUevent(tx, b, "offline");
    return undefined;
  }

  /**
   * Where `do_migrate_range` puts pages: online blocks outside the range with free pages, other
   * nodes first (the source node is cleared from the target mask), then the source node; in a
   * node, highest zone first (the zonelist order), then by address.
   */
  private *migrationTargets(nodes: readonly number[], range: ReadonlySet<number>): Generator<Block> {
    // Online blocks are never `removing`: remove takes offline blocks only.
    for (const t of this.blockMap.withFreePages(nodes, ALL_RANKS)) if (!range.has(t.id)) yield t;
  }

  /**
   * The nodes pages of `source` may migrate to, in order: the other public nodes, then its own.
   * Private nodes are absent from the fallback zonelists, so nothing from elsewhere lands there.
   */
  private migrationNodes(source: Block): number[] {
    return [...this.publicNodes().filter((n) => n !== source.node), source.node];
  }

  /** Nodes that have or had blocks and are not private now, ascending. */
  private publicNodes(): number[] {
    return this.blockMap.nodeIds().filter((n) => this.privateFeaturesOf(n) === undefined);
  }

  // ---- zones ---------------------------------------------------------------------------------

  /** `zone_for_pfn_range`. */
  private zoneFor(type: Exclude<OnlineType, "offline">, b: Block): ZoneName {
    const kernel = this.kernelZoneFor(b);
    if (type === "online_kernel") return kernel;
    if (type === "online_movable") return "Movable";
    if (this.onlinePolicy === "auto-movable") return this.autoMovableZone(b, kernel);
    // default_zone_for_pfn: inherit the zone whose span the block falls in, if exactly one does.
    const inKernel = this.spanIntersects(b, kernel);
    const inMovable = this.spanIntersects(b, "Movable");
    if (inKernel !== inMovable) return inKernel ? kernel : "Movable";
    return this.movableNode ? "Movable" : kernel;
  }

  /** `default_kernel_zone_for_pfn`: the first of DMA, DMA32 whose span meets the block, else Normal. */
  private kernelZoneFor(b: Block): KernelZoneName {
    for (const zone of ["DMA", "DMA32"] as const) if (this.spanIntersects(b, zone)) return zone;
    return "Normal";
  }

  /** `zone_intersects` against the zone's span on the block's node (spans cover online blocks only). */
  private spanIntersects(b: Block, zone: ZoneName): boolean {
    return this.blockMap.spanIntersects(b.node, zone, b.start, b.end);
  }

  /** `auto_movable_zone_for_pfn` (no memory groups: each block is its own unit). */
  private autoMovableZone(b: Block, kernel: KernelZoneName): ZoneName {
    if (this.ratio === 0) return kernel;
    if (!this.canOnlineMovable(undefined, b.present)) return kernel;
    if (this.autoMovableNumaAware && !this.canOnlineMovable(b.node, b.present)) return kernel;
    return "Movable";
  }

  /** `auto_movable_can_online_movable`: MOVABLE + nr ≤ ratio% × KERNEL_EARLY (boot memory in kernel zones). */
  private canOnlineMovable(node: number | undefined, pages: number): boolean {
    const { movable, kernelEarly } = this.blockMap.counters(node);
    return movable + pages <= Math.floor((this.ratio * kernelEarly) / 100);
  }

  // ---- memmap --------------------------------------------------------------------------------

  /** `sizeof(struct page)` per page of a block, in pages. */
  private memmapPagesPerBlock(): number {
    return pagesOf((pagesOf(this.blockSize) * STRUCT_PAGE_SIZE));
  }

  /**
   * vmemmap for a block without `memmap_on_memory`: kernel allocations, from kernel-zone blocks of
   * the target node first, then of the other nodes, highest zone first (the zonelist order).
   * Undefined (nothing taken) when they lack room.
   */
  private allocateMemmap(node: number, pages: number): MemmapPiece[] | undefined {
    // Kernel data never goes to a private node (its own memmap included: it is not in the zonelists).
    const publicNodes = this.publicNodes();
    const nodes = publicNodes.includes(node) ? [node, ...publicNodes.filter((n) => n !== node)] : publicNodes;
    if (nodes.reduce((sum, n) => sum + this.blockMap.free(n, KERNEL_RANKS), 0) < pages) return undefined;
    const pieces: MemmapPiece[] = [];
    let left = pages;
    if (left === 0) return pieces;
    for (const h of this.blockMap.withFreePages(nodes, KERNEL_RANKS)) {
      const take = Math.min(left, h.usage.free);
      this.blockMap.updateUsage(h, () => {
        h.usage.free -= take;
        h.usage.memmapHosted += take;
      });
      left -= take;
      pieces.push({ block: h.id, pages: take });
      if (left === 0) break;
    }
    return pieces;
  }

  private freeMemmap(b: Block): void {
    for (const piece of b.memmapHome) {
      const host = this.blockMap.get(piece.block);
      if (host === undefined) continue;
      this.blockMap.updateUsage(host, () => {
        host.usage.memmapHosted -= piece.pages;
        host.usage.free += piece.pages;
      });
    }
    b.memmapHome = [];
  }

  // ---- resources -----------------------------------------------------------------------------

  /** The first resource (by address) that overlaps `range`. */
  private overlappingResource(range: MemoryRange): Resource | undefined {
    const r = this.resources.find((x) => x.start + x.size > range.start);
    return r !== undefined && r.start < range.start + range.size ? r : undefined;
  }

  private insertResource(r: Resource): void {
    this.resources.insert(r);
  }

  /** `release_mem_region_adjustable`: drop `range` from the resources it falls in, splitting them. */
  private releaseResource(range: MemoryRange): void {
    const end = range.start + range.size;
    const hit: Resource[] = [];
    for (const r of this.resources.from((x) => x.start + x.size > range.start)) {
      if (r.start >= end) break;
      if (!r.boot) hit.push(r);
    }
    for (const r of hit) {
      const rEnd = r.start + r.size;
      this.resources.remove(r);
      if (r.start < range.start) this.resources.insert({ ...r, size: range.start - r.start });
      if (rEnd > end) this.resources.insert({ ...r, start: end, size: rEnd - end });
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  private begin(operation: HotplugOperation, range: MemoryRange): Transaction {
    return new Transaction(operation, range, this.clock.now());
  }

  /** Run `body` under the hotplug lock; ENODEV once disposed, EBUSY while another operation runs. */
  private exclusive<T>(body: () => T): T | DcdError {
    if (this.disposed) return errno("ENODEV", `${this.name}: the memory subsystem is shut down`);
    if (this.busy) return errno("EBUSY", `${this.name}: another memory hotplug operation is in progress`);
    this.busy = true;
    try {
      return body();
    } finally {
      this.busy = false;
    }
  }

  /** Build the result, charge the clock, then emit the operation's uevents and events. */
  private conclude(tx: Transaction, blocks: readonly number[], error: DcdError | undefined): HotplugResult {
    if (error !== undefined && !tx.steps.some((s) => !s.ok && !s.rollback)) tx.step({ action: "check-range", error }, 0);
    this.chargeClock(tx);
    const base = { operation: tx.operation, range: { ...tx.range }, blocks: [...blocks], steps: [...tx.steps], startMs: tx.startMs, durationMs: tx.now - tx.startMs };
    const result: HotplugResult =
      error === undefined ? { ...base, ok: true } : { ...base, ok: false, error, failedStep: tx.steps.findIndex((s) => !s.ok && !s.rollback) };
    for (const { device, action } of tx.uevents) {
      if (device.isRegistered) this.core.uevent(device, action);
    }
    if (!this.disposed) for (const event of tx.events) this.subject.next(event);
    return result;
  }

  private chargeClock(tx: Transaction): void {
    const ms = tx.takeCharge();
    // Costs are simulated: only a virtual clock can be charged; any other clock just records them.
    if (ms > 0 && this.clock instanceof VirtualClock) this.clock.advance(ms);
  }

  private queueUevent(tx: Transaction, b: Block, action: "online" | "offline"): void {
    if (b.device !== undefined) tx.uevents.push({ device: b.device, action });
  }

  /** The blocks of `range` for an operation, or why not. */
  private lookup(range: MemoryRange, what: "online" | "offline" | "remove"): Block[] | DcdError {
    let ids: number[];
    try {
      ids = this.blocksOf(range);
    } catch (err) {
      return err as DcdError;
    }
    const blocks: Block[] = [];
    for (const id of ids) {
      const b = this.blockMap.get(id);
      if (b === undefined) return errno("EINVAL", `${this.name}: ${what} ${formatRange(range)}: memory${id} is not present`);
      if (b.phase !== "live") return errno("EBUSY", `${this.name}: ${what} ${formatRange(range)}: memory${id} is being ${b.phase === "registering" ? "added" : "removed"}`);
      if (what === "remove" && b.boot) return errno("EINVAL", `${this.name}: remove ${formatRange(range)}: memory${id} is boot memory`);
      blocks.push(b);
    }
    return blocks;
  }

  private sysfsBlock(id: number): Block {
    const b = this.blockMap.get(id);
    if (b === undefined) throw errno("ENODEV", `${this.name}: no memory${id}`);
    return b;
  }

  private takeFault(step: HotplugFault["step"], block: number): HotplugFault | undefined {
    const armed = this.faults.find((f) => f.fault.step === step && (f.fault.block === undefined || f.fault.block === block));
    if (armed === undefined) return undefined;
    armed.left--;
    if (armed.left <= 0) this.faults.splice(this.faults.indexOf(armed), 1);
    return armed.fault;
  }

  private restore(journal: Journal): void {
    for (const [b, s] of journal.entries()) {
      this.blockMap.update(b, () => {
        b.state = s.state;
        b.zone = s.zone;
        b.onlineType = s.onlineType;
        b.usage = { ...s.usage };
      });
    }
  }

  private rangeOf(b: Block): MemoryRange {
    return { start: b.start, size: b.end - b.start };
  }

  private perGiB(msPerGiB: number): number {
    return (msPerGiB * this.blockSize) / GiB;
  }

  private sortedBlocks(): Block[] {
    return this.blockMap.sorted();
  }

  private nodeInfo(n: NodeState): MemoryNodeInfo {
    const c = this.blockMap.counters(n.id);
    const blocks = [...this.blockMap.linked(n.id)].map((b) => b.id).sort((a, b) => a - b);
    const features = this.privateFeaturesOf(n.id);
    return {
      id: n.id,
      online: n.online,
      hasCpu: n.hasCpu,
      private: features !== undefined,
      privateFeatures: features === undefined ? [] : PRIVATE_NODE_FEATURES.filter((f) => features.has(f)),
      blocks,
      presentPages: c.present,
      managedPages: c.managed,
      freePages: this.blockMap.free(n.id),
      kernelPages: c.kernel,
      movablePages: c.movable,
    };
  }

  private workloadTarget(): WorkloadTarget {
    return {
      name: this.name,
      workloadBlock: (id) => {
        if (this.busy) throw errno("EBUSY", `${this.name}: a memory hotplug operation is in progress`);
        const b = this.blockMap.get(id);
        if (b === undefined) throw errno("ENODEV", `${this.name}: no memory${id}`);
        return b;
      },
      workloadBlocksOn: (node) => {
        if (this.busy) throw errno("EBUSY", `${this.name}: a memory hotplug operation is in progress`);
        return [...this.blockMap.linked(node)].filter((b) => b.node === node && b.state === "online" && b.phase === "live").sort((a, b) => a.id - b.id);
      },
      updateUsage: (b, change) => {
        this.blockMap.updateUsage(b, change);
      },
      workloadNodes: () =>
        [...this.nodeMap.keys()]
          .filter((id) => this.blockMap.counters(id).present > 0)
          .sort((a, b) => a - b)
          .map((id) => {
            const features = this.privateFeaturesOf(id);
            return { id, private: features !== undefined, userNuma: features?.has("USER_NUMA") ?? false };
          }),
      possibleNodes: this.possibleNodes,
      localNode: this.firstBootNode,
    };
  }
}


/** A feature mask in the canonical order, for messages and comparisons. */
function formatFeatures(features: Iterable<PrivateNodeFeature>): string {
  const set = new Set(features);
  return PRIVATE_NODE_FEATURES.filter((f) => set.has(f)).join(",");
}

function throwIfFailed(result: HotplugResult): void {
  if (!result.ok) throw result.error;
}
