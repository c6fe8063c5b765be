/**
 * @internal The model's blocks with the indexes its operations need, kept up to date on every change
 * so that no operation scans every block: blocks linked under each node, per-node page counters
 * (what `meminfo`, `has_memory` and the auto-movable policy read), zone spans per node (what
 * `zone_for_pfn_range` tests), and the online blocks of each node in zonelist order with their free
 * pages (where migration and memmap allocation take pages from).
 *
 * Every change to a block's state, zone or pages goes through {@link BlockIndex.update} or
 * {@link BlockIndex.updateUsage}, which take the block out of the counters and put it back.
 */
import { type Block, zoneSegmentsOf } from "./block.js";
import { SortedList } from "./sorted-list.js";
import { type ZoneName } from "./types.js";

/** Zonelist order inside a node: ZONE_MOVABLE, Normal, DMA32, then DMA (and blocks spanning zones). */
export function zoneRank(b: Block): ZoneRank {
  switch (b.zone) {
    case "Movable":
      return 0;
    case "Normal":
      return 1;
    case "DMA32":
      return 2;
    default:
      return 3;
  }
}

export type ZoneRank = 0 | 1 | 2 | 3;
export const ALL_RANKS: readonly ZoneRank[] = [0, 1, 2, 3];
/** The kernel zones' ranks (everything but ZONE_MOVABLE). */
export const KERNEL_RANKS: readonly ZoneRank[] = [1, 2, 3];

/** Counters of the online blocks whose `mem->nid` is the node. */
export interface NodeCounters {
  present: number;
  /** Present minus self-hosted memmap. */
  managed: number;
  /** Present pages outside ZONE_MOVABLE. */
  kernel: number;
  movable: number;
  /** Present pages of boot blocks outside ZONE_MOVABLE (`KERNEL_EARLY`). */
  kernelEarly: number;
}

interface NodeIndex extends NodeCounters {
  /** Blocks linked under the node (every node of a block's `nodes`). */
  readonly linked: Set<Block>;
  /** Free pages of online blocks, per zone rank. */
  readonly free: [number, number, number, number];
  /** Ids of online blocks, per zone rank. */
  readonly online: [SortedList<number>, SortedList<number>, SortedList<number>, SortedList<number>];
}

interface Span {
  readonly starts: SortedList<number>;
  readonly ends: SortedList<number>;
}

export class BlockIndex {
  private readonly byId = new Map<number, Block>();
  private readonly byNode = new Map<number, NodeIndex>();
  /** Zone spans by `node/zone`: the starts and ends of the online segments. */
  private readonly spans = new Map<string, Span>();

  get size(): number {
    return this.byId.size;
  }

  get(id: number): Block | undefined {
    return this.byId.get(id);
  }

  values(): IterableIterator<Block> {
    return this.byId.values();
  }

  /** Every block, by id. */
  sorted(): Block[] {
    return [...this.byId.values()].sort((a, b) => a.id - b.id);
  }

  insert(b: Block): void {
    this.byId.set(b.id, b);
    for (const n of b.nodes) this.nodeIndex(n).linked.add(b);
    this.account(b, 1);
  }

  delete(b: Block): void {
    if (this.byId.get(b.id) !== b) return;
    this.account(b, -1);
    this.byId.delete(b.id);
    for (const n of b.nodes) this.byNode.get(n)?.linked.delete(b);
  }

  /** Change a block's state, zone, online type or usage (`change` mutates it). */
  update(b: Block, change: () => void): void {
    const indexed = this.byId.get(b.id) === b;
    if (indexed) this.account(b, -1);
    change();
    if (indexed) this.account(b, 1);
  }

  /** Change only a block's page usage (not its state or zone). */
  updateUsage(b: Block, change: () => void): void {
    const indexed = this.byId.get(b.id) === b && b.state !== "offline";
    if (indexed) this.addFree(b, -1);
    change();
    if (indexed) this.addFree(b, 1);
  }

  /** How many blocks are linked under `node`. */
  linkedCount(node: number): number {
    return this.byNode.get(node)?.linked.size ?? 0;
  }

  /** Blocks linked under `node`, in no order. */
  linked(node: number): ReadonlySet<Block> {
    return this.byNode.get(node)?.linked ?? new Set();
  }

  /** Counters of `node`'s online blocks, or of every node's when undefined. */
  counters(node: number | undefined): NodeCounters {
    const sum: NodeCounters = { present: 0, managed: 0, kernel: 0, movable: 0, kernelEarly: 0 };
    for (const [id, n] of this.byNode) {
      if (node !== undefined && id !== node) continue;
      sum.present += n.present;
      sum.managed += n.managed;
      sum.kernel += n.kernel;
      sum.movable += n.movable;
      sum.kernelEarly += n.kernelEarly;
    }
    return sum;
  }

  /** Free pages of the online blocks of `node` (every node when undefined) in the zones of `ranks`. */
  free(node: number | undefined, ranks: readonly ZoneRank[] = ALL_RANKS): number {
    let sum = 0;
    for (const [id, n] of this.byNode) {
      if (node !== undefined && id !== node) continue;
      for (const r of ranks) sum += n.free[r];
    }
    return sum;
  }

  /** `zone_intersects`: does the span of `zone` on `node` meet `[start, end)`? */
  spanIntersects(node: number, zone: ZoneName, start: number, end: number): boolean {
    const span = this.spans.get(spanKey(node, zone));
    const lo = span?.starts.first();
    const hi = span?.ends.last();
    return lo !== undefined && hi !== undefined && lo < end && start < hi;
  }

  /** Nodes that have or had blocks, ascending. */
  nodeIds(): number[] {
    return [...this.byNode.keys()].sort((a, b) => a - b);
  }

  /**
   * Online blocks with free pages, node by node in `nodes` order, and inside a node in zonelist
   * order (the ranks given) then by id.
   */
  *withFreePages(nodes: readonly number[], ranks: readonly ZoneRank[]): Generator<Block> {
    for (const id of nodes) {
      const n = this.byNode.get(id);
      if (n === undefined) continue;
      for (const r of ranks) {
        if (n.free[r] === 0) continue;
        for (const blockId of n.online[r].values()) {
          const b = this.byId.get(blockId);
          if (b !== undefined && b.usage.free > 0) yield b;
        }
      }
    }
  }

  private nodeIndex(id: number): NodeIndex {
    let n = this.byNode.get(id);
    if (n === undefined) {
      n = {
        linked: new Set(),
        present: 0,
        managed: 0,
        kernel: 0,
        movable: 0,
        kernelEarly: 0,
        free: [0, 0, 0, 0],
        online: [numbers(), numbers(), numbers(), numbers()],
      };
      this.byNode.set(id, n);
    }
    return n;
  }

  private account(b: Block, sign: 1 | -1): void {
    if (b.state === "offline") return;
    const n = this.nodeIndex(b.node);
    n.present += sign * b.present;
    n.managed += sign * (b.present - b.memmapSelf);
    if (b.zone === "Movable") n.movable += sign * b.present;
    else {
      n.kernel += sign * b.present;
      if (b.boot) n.kernelEarly += sign * b.present;
    }
    const rank = zoneRank(b);
    if (sign > 0) n.online[rank].insert(b.id);
    else n.online[rank].remove(b.id);
    this.addFree(b, sign);
    for (const s of zoneSegmentsOf(b)) {
      const key = spanKey(s.node, s.zone);
      let span = this.spans.get(key);
      if (span === undefined) {
        span = { starts: numbers(), ends: numbers() };
        this.spans.set(key, span);
      }
      if (sign > 0) {
        span.starts.insert(s.start);
        span.ends.insert(s.end);
      } else {
        span.starts.remove(s.start);
        span.ends.remove(s.end);
      }
    }
  }

  private addFree(b: Block, sign: 1 | -1): void {
    this.nodeIndex(b.node).free[zoneRank(b)] += sign * b.usage.free;
  }
}

function numbers(): SortedList<number> {
  return new SortedList((n) => n);
}

function spanKey(node: number, zone: ZoneName): string {
  return `${node}/${zone}`;
}
