/**
 * DC extents (non-overlapping `[dpa, dpa + len)` intervals with a tag and a shared sequence
 * number) keyed by DPA, on a B+ tree whose leaves keep their entries in typed arrays (struct of
 * arrays) instead of one object per extent. Objects (`DcExtent`, or what the factory builds) are
 * made on demand by the queries that return them; the stored entries are plain numbers. A
 * host's accepted extents live here, and its pending ones (with the group id in `aux`).
 *
 * Why: at 1e6 live extents, one object per extent (plus a boxed number for its DPA) is two
 * million long-lived heap objects. Every young-generation collection copies the new ones and
 * every full collection marks all of them, so the cost of adding an extent grew with the number
 * already held. Here an extent is five array slots (32 bytes) in one ArrayBuffer, and the
 * garbage collector sees one small object per leaf of up to 64 extents.
 *
 * Layout: every leaf owns a slot of `STRIDE` entries in the shared arrays `dpaOf`, `lenOf`,
 * `seqOf`, `tagOf` (a tag id, see below) and `auxOf`; its entries are `[leaf.base, leaf.base +
 * leaf.n)` inside the slot, so removing the first entry (releases in DPA order) is O(1), as is
 * appending. `STRIDE` is one more than a leaf may hold, so an insert can go in before the leaf
 * splits. The leftmost leaf may drain below the minimum fill and is dropped when empty (FIFO
 * releases would otherwise refill it from its sibling every 16 removals). Branches are ordinary
 * objects with per-child entry counts (`forEachFrom(i)` for 4801h paging is O(log n)). Tags are
 * interned per index (id 0 is the null UUID) and reference-counted. A finger remembers the leaf
 * and entry of the last lookup: hosts and the FM name extents in DPA order, so most lookups
 * skip the descent and the binary search.
 *
 * Overlap, containment and coverage are O(log n), walking the k extents a range touches
 * O(log n + k). `IntervalIndex` is the plain reference implementation the tests compare with.
 */
import { NULL_UUID } from "@dcd/core";
import type { DcExtent } from "@dcd/core";

/**
 * The null tag, read once: code here compares against it per extent, and under vitest's module
 * runner (tests, benchmarks) every read of an imported binding is a getter call (~40 ns).
 */
const NULL_TAG: string = NULL_UUID;

/** Builds the object a query returns from an entry's fields (`aux`: see `add`). */
export type ExtentFactory<T extends DcExtent> = (dpa: number, len: number, tag: string, sharedSeq: number, aux: number) => T;

const LEAF_MAX = 64;
const LEAF_MIN = LEAF_MAX >> 2;
const STRIDE = LEAF_MAX + 1;
const BRANCH_MAX = 64;
const BRANCH_MIN = BRANCH_MAX >> 2;
/** Deeper than any tree that fits in memory. */
const MAX_DEPTH = 16;
/** Slots a new index starts with (8 leaves of 64, ~17 KiB); doubled as needed. */
const INITIAL_SLOTS = 8;
/** `clear()` keeps the arrays up to this many slots (a pending index is cleared once per add). */
const KEEP_SLOTS_ON_CLEAR = 64;
/** dpa, len, seq (f64) + tag id, aux (i32), all five in one ArrayBuffer. */
const BYTES_PER_ENTRY = 8 * 3 + 4 * 2;

/** One node class for leaves and branches (monomorphic property access). */
class Node {
  /** Leaves: slot start, first entry and entry count in the shared arrays. */
  slot = 0;
  base = 0;
  n = 0;
  next: Node | null = null;
  prev: Node | null = null;
  /** Branches: separator keys (<= every key of the child), children, entries per child. */
  keys: number[];
  children: Node[];
  counts: number[];

  constructor(readonly leaf: boolean) {
    this.keys = leaf ? NO_NUMBERS : [];
    this.children = leaf ? NO_NODES : [];
    this.counts = leaf ? NO_NUMBERS : [];
  }

  get length(): number {
    return this.leaf ? this.n : this.children.length;
  }
}
const NO_NUMBERS: number[] = [];

const NO_NODES: Node[] = [];

function sum(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

/** Index of the last element of sorted `keys` that is <= key, or -1. */
function floorIndex(keys: readonly number[], key: number): number {
  let lo = 0;
  let hi = keys.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as number) <= key) lo = mid + 1;
    else hi = mid - 1;
  }
  return hi;
}

function insertAt<T>(arr: T[], at: number, v: T): void {
  let i = arr.length;
  arr.push(v);
  for (; i > at; i--) arr[i] = arr[i - 1] as T;
  arr[at] = v;
}

function removeAt(arr: unknown[], at: number): void {
  const n = arr.length - 1;
  for (let i = at; i < n; i++) arr[i] = arr[i + 1];
  arr.pop();
}

export class ExtentIndex<T extends DcExtent = DcExtent> {
  private root = new Node(true);
  private count = 0;
  // Shared entry arrays, `slots * STRIDE` long.
  private dpaOf: Float64Array;
  private lenOf: Float64Array;
  private seqOf: Float64Array;
  private tagOf: Int32Array;
  /** A caller-defined number per entry (the pending index keeps the group id here). */
  private auxOf: Int32Array;
  private slots: number;
  private usedSlots = 0;
  private readonly freeSlots: number[] = [];
  // Tag interning: id -> tag, tag -> id, live entries per id.
  private readonly tagNames: string[] = [NULL_UUID];
  private readonly tagIds = new Map<string, number>([[NULL_UUID, 0]]);
  private readonly tagRefs: number[] = [0];
  private readonly freeTagIds: number[] = [];
  /** The rightmost leaf and the branches above it (appends skip the descent). */
  private tail: Node | null = null;
  private tailPath: Node[] = [];
  /** The leftmost leaf and the branches above it (removing the smallest key skips the descent). */
  private head: Node | null = null;
  private headPath: Node[] = [];
  private readonly pathNodes: Node[] = new Array<Node>(MAX_DEPTH);
  private readonly pathIdx: number[] = new Array<number>(MAX_DEPTH).fill(0);
  /** Result of `floorEntry`: the leaf of the entry found (the entry index is the return value). */
  private foundLeaf: Node | null = null;
  /**
   * The leaf of the last lookup: hosts and the FM name extents in DPA order, so the next lookup
   * usually lands in the same leaf and skips the descent. Cleared when a leaf is freed.
   */
  private finger: Node | null = null;
  /** The entry the last finger lookup found (a hint: checked against the finger's bounds). */
  private fingerPos = 0;

  /** `make` builds returned objects (default: plain `DcExtent`s). */
  constructor(private readonly make: ExtentFactory<T> | null = null) {
    this.slots = INITIAL_SLOTS;
    const n = INITIAL_SLOTS * STRIDE;
    const buf = new ArrayBuffer(n * BYTES_PER_ENTRY);
    this.dpaOf = new Float64Array(buf, 0, n);
    this.lenOf = new Float64Array(buf, 8 * n, n);
    this.seqOf = new Float64Array(buf, 16 * n, n);
    this.tagOf = new Int32Array(buf, 24 * n, n);
    this.auxOf = new Int32Array(buf, 28 * n, n);
    this.initLeaf(this.root);
  }

  get size(): number {
    return this.count;
  }

  // ---- queries -------------------------------------------------------------------------------

  /** True when some extent shares at least one byte with `[dpa, dpa + len)`. No allocation. */
  overlaps(dpa: number, len: number): boolean {
    if (len <= 0) return false;
    const i = this.floorEntry(dpa + len - 1);
    return i >= 0 && (this.dpaOf[i] as number) + (this.lenOf[i] as number) > dpa;
  }

  /** Length of the extent starting exactly at `dpa`, or -1. No allocation. */
  lengthAt(dpa: number): number {
    // The smallest key (releases in DPA order ask for it, then remove it): no lookup.
    const head = this.head;
    if (head !== null && head.n > 0 && this.dpaOf[head.base] === dpa) return this.lenOf[head.base] as number;
    const i = this.floorEntry(dpa);
    return i >= 0 && this.dpaOf[i] === dpa ? (this.lenOf[i] as number) : -1;
  }

  /** The extent starting exactly at `dpa`. */
  startingAt(dpa: number): T | undefined {
    const i = this.floorEntry(dpa);
    return i >= 0 && this.dpaOf[i] === dpa ? this.extentAt(i) : undefined;
  }

  /** The extent that contains byte `dpa`, if any. */
  at(dpa: number): T | undefined {
    const i = this.floorEntry(dpa);
    return i >= 0 && dpa < (this.dpaOf[i] as number) + (this.lenOf[i] as number) ? this.extentAt(i) : undefined;
  }

  /** The single extent that contains all of `[dpa, dpa + len)`, if any. */
  containing(dpa: number, len: number): T | undefined {
    const i = this.floorEntry(dpa);
    if (i < 0) return undefined;
    const end = (this.dpaOf[i] as number) + (this.lenOf[i] as number);
    return dpa < end && dpa + len <= end ? this.extentAt(i) : undefined;
  }

  /** True when the extents cover every byte of `[dpa, dpa + len)` (possibly several adjacent ones). */
  covers(dpa: number, len: number): boolean {
    return this.coveringPieces(dpa, len) !== undefined;
  }

  /**
   * The extents covering every byte of `[dpa, dpa + len)` without a gap, in DPA order, or
   * undefined when some byte is not covered.
   */
  coveringPieces(dpa: number, len: number): T[] | undefined {
    const end = dpa + len;
    let i = this.floorEntry(dpa);
    let leaf = this.foundLeaf;
    const out: T[] = [];
    let reached = dpa;
    while (leaf !== null && reached < end) {
      const d = this.dpaOf[i] as number;
      if (d > reached) return undefined;
      const vEnd = d + (this.lenOf[i] as number);
      if (vEnd <= reached) return undefined;
      out.push(this.extentAt(i));
      reached = vEnd;
      if (++i >= leaf.base + leaf.n) {
        leaf = this.nextNonEmpty(leaf.next);
        i = leaf === null ? 0 : leaf.base;
      }
    }
    return reached >= end ? out : undefined;
  }

  /** The extents overlapping `[dpa, dpa + len)`, in DPA order. O(log n + k). */
  overlapping(dpa: number, len: number): T[] {
    const out: T[] = [];
    const end = dpa + len;
    let i = this.floorEntry(dpa);
    let leaf = this.foundLeaf;
    if (leaf === null) {
      leaf = this.firstLeaf();
      i = leaf === null ? 0 : leaf.base;
    } else if ((this.dpaOf[i] as number) + (this.lenOf[i] as number) <= dpa) {
      if (++i >= leaf.base + leaf.n) {
        leaf = this.nextNonEmpty(leaf.next);
        i = leaf === null ? 0 : leaf.base;
      }
    }
    while (leaf !== null) {
      if ((this.dpaOf[i] as number) >= end) break;
      out.push(this.extentAt(i));
      if (++i >= leaf.base + leaf.n) {
        leaf = this.nextNonEmpty(leaf.next);
        i = leaf === null ? 0 : leaf.base;
      }
    }
    return out;
  }

  /** Visit extents in DPA order starting at the `index`-th; stop when `visit` returns false. */
  forEachFrom(index: number, visit: (e: T) => boolean): void {
    if (index < 0 || index >= this.count) return;
    let node = this.root;
    let rest = index;
    while (!node.leaf) {
      let c = 0;
      while (rest >= (node.counts[c] as number)) {
        rest -= node.counts[c] as number;
        c++;
      }
      node = node.children[c] as Node;
    }
    let leaf: Node | null = node;
    let i = node.base + rest;
    while (leaf !== null) {
      if (!visit(this.extentAt(i))) return;
      if (++i >= leaf.base + leaf.n) {
        leaf = this.nextNonEmpty(leaf.next);
        i = leaf === null ? 0 : leaf.base;
      }
    }
  }

  /** Every extent in DPA order (O(n): snapshots, listings). */
  values(): T[] {
    const out: T[] = new Array<T>(this.count);
    let k = 0;
    for (let leaf = this.firstLeaf(); leaf !== null; leaf = this.nextNonEmpty(leaf.next)) {
      const end = leaf.base + leaf.n;
      for (let i = leaf.base; i < end; i++) out[k++] = this.extentAt(i);
    }
    return out;
  }

  // ---- updates -------------------------------------------------------------------------------

  /** Add an extent; the caller guarantees it overlaps nothing present (an equal start replaces). */
  insert(e: DcExtent, aux = 0): void {
    this.add(e.dpa, e.len, e.tag, e.sharedSeq, aux);
  }

  /** `insert` from the fields (no object needed); `aux` is kept with the entry for the factory. */
  add(dpa: number, len: number, tag: string, sharedSeq: number, aux = 0): void {
    const tagId = tag === NULL_TAG ? 0 : this.internTag(tag);
    this.tagRefs[tagId] = (this.tagRefs[tagId] as number) + 1;
    // Fast path: appending past the largest key into the rightmost leaf, which has room.
    const tail = this.tail;
    if (tail !== null && tail.n > 0 && tail.n < LEAF_MAX && dpa > (this.dpaOf[tail.base + tail.n - 1] as number)) {
      if (tail.base + tail.n === tail.slot + STRIDE) this.compact(tail);
      this.write(tail.base + tail.n, dpa, len, sharedSeq, tagId, aux);
      tail.n++;
      const path = this.tailPath;
      for (let d = 0; d < path.length; d++) {
        const counts = (path[d] as Node).counts;
        counts[counts.length - 1] = (counts[counts.length - 1] as number) + 1;
      }
      this.count++;
      return;
    }
    const depth = this.descend(dpa);
    const leaf = this.pathNodes[depth] as Node;
    const rel = this.floorInLeaf(leaf, dpa);
    if (rel >= 0 && this.dpaOf[leaf.base + rel] === dpa) {
      const at = leaf.base + rel;
      this.unrefTag(this.tagOf[at] as number);
      this.write(at, dpa, len, sharedSeq, tagId, aux);
      return;
    }
    const pos = rel + 1;
    this.openGap(leaf, pos);
    this.write(leaf.base + pos, dpa, len, sharedSeq, tagId, aux);
    this.count++;
    for (let d = 0; d < depth; d++) {
      const b = this.pathNodes[d] as Node;
      const ci = this.pathIdx[d] as number;
      b.counts[ci] = (b.counts[ci] as number) + 1;
      if (dpa < (b.keys[ci] as number)) b.keys[ci] = dpa;
    }
    if (leaf.n > LEAF_MAX) this.splitUp(depth, pos === leaf.n - 1 && leaf.next === null);
    else if (leaf.next === null) this.rememberTail(depth);
  }

  /** Fields of the extent the last successful `removeAt` removed (its start is the DPA asked). */
  removedLen = 0;
  removedTag: string = NULL_UUID;
  removedSeq = 0;

  /** Remove the extent starting exactly at `dpa`; returns whether there was one (see `removed*`). */
  removeAt(dpa: number): boolean {
    // Fast path: the smallest key (releases in DPA order). The leftmost leaf may drain below
    // LEAF_MIN this way; it is dropped once empty instead of refilled from its sibling 16
    // removals early (only this one leaf is ever under-full, so the space bound holds).
    const head = this.head;
    if (head !== null && head.n > 1 && this.dpaOf[head.base] === dpa) {
      this.noteRemoved(head.base);
      this.unrefTag(this.tagOf[head.base] as number);
      head.base++;
      head.n--;
      const path = this.headPath;
      for (let d = 0; d < path.length; d++) {
        const counts = (path[d] as Node).counts;
        counts[0] = (counts[0] as number) - 1;
      }
      this.count--;
      return true;
    }
    const depth = this.descend(dpa);
    const leaf = this.pathNodes[depth] as Node;
    const rel = this.floorInLeaf(leaf, dpa);
    if (rel < 0 || this.dpaOf[leaf.base + rel] !== dpa) return false;
    this.noteRemoved(leaf.base + rel);
    this.unrefTag(this.tagOf[leaf.base + rel] as number);
    this.closeGap(leaf, rel);
    this.count--;
    for (let d = 0; d < depth; d++) {
      const b = this.pathNodes[d] as Node;
      const ci = this.pathIdx[d] as number;
      b.counts[ci] = (b.counts[ci] as number) - 1;
    }
    // Walk up while a node is under-full: borrow from or merge with a sibling.
    let restructured = false;
    for (let d = depth; d > 0; d--) {
      const node = this.pathNodes[d] as Node;
      if (node.length >= (node.leaf ? LEAF_MIN : BRANCH_MIN)) break;
      this.rebalance(this.pathNodes[d - 1] as Node, this.pathIdx[d - 1] as number);
      restructured = true;
    }
    // Collapse a root branch with a single child so depth shrinks as the tree empties.
    while (!this.root.leaf && this.root.children.length === 1) {
      this.root = this.root.children[0] as Node;
      restructured = true;
    }
    if (restructured) {
      this.tail = null;
      this.head = null;
    } else if (leaf.prev === null) {
      this.head = leaf;
      this.headPath = this.pathNodes.slice(0, depth);
    }
    return true;
  }

  /** Remove every entry; the arrays are kept unless they grew large. */
  clear(): void {
    this.root = new Node(true);
    this.count = 0;
    if (this.slots > KEEP_SLOTS_ON_CLEAR) this.allocate(INITIAL_SLOTS, false);
    this.usedSlots = 0;
    this.freeSlots.length = 0;
    this.tagNames.length = 1;
    this.tagIds.clear();
    this.tagIds.set(NULL_UUID, 0);
    this.tagRefs.length = 1;
    this.tagRefs[0] = 0;
    this.freeTagIds.length = 0;
    this.tail = null;
    this.tailPath = [];
    this.head = null;
    this.headPath = [];
    this.finger = null;
    this.initLeaf(this.root);
  }

  /**
   * Check the structure (tests): every leaf's entries inside its own slot, slots distinct, keys
   * ascending along the leaf chain, separators <= their subtree's keys, counts exact. Throws.
   */
  assertValid(): void {
    const slots = new Set<number>();
    const leaves: Node[] = [];
    const walk = (node: Node, lower: number): number => {
      if (node.leaf) {
        if (node.base < node.slot || node.base + node.n > node.slot + STRIDE || node.slot % STRIDE !== 0) throw new Error(`leaf at ${node.slot}: entries [${node.base}, +${node.n}) outside its slot`);
        if (slots.has(node.slot)) throw new Error(`slot ${node.slot} used twice`);
        slots.add(node.slot);
        if (node.n > 0 && (this.dpaOf[node.base] as number) < lower) throw new Error(`leaf at ${node.slot}: key below its separator`);
        leaves.push(node);
        return node.n;
      }
      if (node.children.length !== node.keys.length || node.children.length !== node.counts.length) throw new Error("branch arrays differ in length");
      let total = 0;
      for (let c = 0; c < node.children.length; c++) {
        const n = walk(node.children[c] as Node, node.keys[c] as number);
        if (n !== node.counts[c]) throw new Error(`branch count ${node.counts[c]} != ${n}`);
        total += n;
      }
      return total;
    };
    if (walk(this.root, -Infinity) !== this.count) throw new Error("size differs from the tree");
    let last = -Infinity;
    for (let k = 0; k < leaves.length; k++) {
      const leaf = leaves[k] as Node;
      if (leaf.prev !== (leaves[k - 1] ?? null) || leaf.next !== (leaves[k + 1] ?? null)) throw new Error("leaf chain broken");
      for (let i = leaf.base; i < leaf.base + leaf.n; i++) {
        const d = this.dpaOf[i] as number;
        if (d <= last) throw new Error(`keys out of order at ${d}`);
        last = d;
      }
    }
  }

  // ---- entries -------------------------------------------------------------------------------

  private extentAt(i: number): T {
    const tag = this.tagNames[this.tagOf[i] as number] as string;
    // A u16 read from a Float64Array is a double: one double stored into `sharedSeq` makes V8
    // box that field in every object of the `{ dpa, len, tag, sharedSeq }` shape (decoded
    // records and offers included), so it is made a small integer again.
    const seq = (this.seqOf[i] as number) | 0;
    if (this.make === null) return { dpa: this.dpaOf[i] as number, len: this.lenOf[i] as number, tag, sharedSeq: seq } as T;
    return this.make(this.dpaOf[i] as number, this.lenOf[i] as number, tag, seq, this.auxOf[i] as number);
  }

  private noteRemoved(i: number): void {
    this.removedLen = this.lenOf[i] as number;
    this.removedTag = this.tagNames[this.tagOf[i] as number] as string;
    this.removedSeq = (this.seqOf[i] as number) | 0;
  }

  private write(i: number, dpa: number, len: number, seq: number, tagId: number, aux: number): void {
    this.dpaOf[i] = dpa;
    this.lenOf[i] = len;
    this.seqOf[i] = seq;
    this.tagOf[i] = tagId;
    this.auxOf[i] = aux;
  }

  /** Copy `n` entries from `src` to `dst` (overlapping ranges allowed). */
  private move(src: number, dst: number, n: number): void {
    if (n <= 0 || src === dst) return;
    const { dpaOf, lenOf, seqOf, tagOf, auxOf } = this;
    if (dst < src) {
      for (let k = 0; k < n; k++) {
        dpaOf[dst + k] = dpaOf[src + k] as number;
        lenOf[dst + k] = lenOf[src + k] as number;
        seqOf[dst + k] = seqOf[src + k] as number;
        tagOf[dst + k] = tagOf[src + k] as number;
        auxOf[dst + k] = auxOf[src + k] as number;
      }
    } else {
      for (let k = n - 1; k >= 0; k--) {
        dpaOf[dst + k] = dpaOf[src + k] as number;
        lenOf[dst + k] = lenOf[src + k] as number;
        seqOf[dst + k] = seqOf[src + k] as number;
        tagOf[dst + k] = tagOf[src + k] as number;
        auxOf[dst + k] = auxOf[src + k] as number;
      }
    }
  }

  /** Make room for one entry at relative position `pos` of `leaf` (n grows by one). */
  private openGap(leaf: Node, pos: number): void {
    const end = leaf.base + leaf.n;
    const roomRight = end < leaf.slot + STRIDE;
    const roomLeft = leaf.base > leaf.slot;
    if (roomRight && (!roomLeft || pos >= leaf.n >> 1)) {
      this.move(leaf.base + pos, leaf.base + pos + 1, leaf.n - pos);
    } else {
      this.move(leaf.base, leaf.base - 1, pos);
      leaf.base--;
    }
    leaf.n++;
  }

  /** Remove the entry at relative position `pos` of `leaf`, moving the shorter side. */
  private closeGap(leaf: Node, pos: number): void {
    if (pos < leaf.n >> 1) {
      this.move(leaf.base, leaf.base + 1, pos);
      leaf.base++;
    } else {
      this.move(leaf.base + pos + 1, leaf.base + pos, leaf.n - pos - 1);
    }
    leaf.n--;
  }

  /** Move a leaf's entries to the start of its slot. */
  private compact(leaf: Node): void {
    this.move(leaf.base, leaf.slot, leaf.n);
    leaf.base = leaf.slot;
  }

  private initLeaf(leaf: Node): void {
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      if (this.usedSlots === this.slots) this.grow();
      slot = this.usedSlots++;
    }
    leaf.slot = slot * STRIDE;
    leaf.base = leaf.slot;
    leaf.n = 0;
  }

  private freeLeaf(leaf: Node): void {
    this.freeSlots.push(leaf.slot / STRIDE);
    leaf.n = 0;
    if (this.finger === leaf) this.finger = null;
  }

  private grow(): void {
    this.allocate(this.slots * 2, true);
  }

  /** New arrays for `slots` slots in one buffer (one allocation), copying the entries if asked. */
  private allocate(slots: number, copy: boolean): void {
    const n = slots * STRIDE;
    const buf = new ArrayBuffer(n * BYTES_PER_ENTRY);
    const dpaOf = new Float64Array(buf, 0, n);
    const lenOf = new Float64Array(buf, 8 * n, n);
    const seqOf = new Float64Array(buf, 16 * n, n);
    const tagOf = new Int32Array(buf, 24 * n, n);
    const auxOf = new Int32Array(buf, 28 * n, n);
    if (copy) {
      dpaOf.set(this.dpaOf);
      lenOf.set(this.lenOf);
      seqOf.set(this.seqOf);
      tagOf.set(this.tagOf);
      auxOf.set(this.auxOf);
    }
    this.dpaOf = dpaOf;
    this.lenOf = lenOf;
    this.seqOf = seqOf;
    this.tagOf = tagOf;
    this.auxOf = auxOf;
    this.slots = slots;
  }

  private internTag(tag: string): number {
    let id = this.tagIds.get(tag);
    if (id === undefined) {
      id = this.freeTagIds.pop() ?? this.tagNames.length;
      this.tagNames[id] = tag;
      this.tagRefs[id] = 0;
      this.tagIds.set(tag, id);
    }
    return id;
  }

  private unrefTag(id: number): void {
    const n = (this.tagRefs[id] as number) - 1;
    this.tagRefs[id] = n;
    if (n === 0 && id !== 0) {
      this.tagIds.delete(this.tagNames[id] as string);
      this.tagNames[id] = NULL_UUID;
      this.freeTagIds.push(id);
    }
  }

  // ---- tree ----------------------------------------------------------------------------------

  /** Index of the last entry of `leaf` whose DPA is <= key, relative to `leaf.base`, or -1. */
  private floorInLeaf(leaf: Node, key: number): number {
    const d = this.dpaOf;
    let lo = leaf.base;
    let hi = leaf.base + leaf.n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((d[mid] as number) <= key) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi - leaf.base;
  }

  /**
   * Absolute entry index of the greatest DPA <= key, its leaf in `foundLeaf`; -1 and a null
   * leaf when there is none.
   */
  private floorEntry(key: number): number {
    const f = this.finger;
    const d = this.dpaOf;
    if (f !== null && f.n > 0 && (d[f.base] as number) <= key && (f.next === null || (f.next.n > 0 && key < (d[f.next.base] as number)))) {
      this.foundLeaf = f;
      // Sequential lookups land on the entry found last time or the one after it.
      const last = f.base + f.n - 1;
      let p = this.fingerPos;
      if (p >= f.base && p <= last && (d[p] as number) <= key) {
        if (p < last && (d[p + 1] as number) <= key) p++;
        if (p === last || key < (d[p + 1] as number)) {
          this.fingerPos = p;
          return p;
        }
      }
      p = f.base + this.floorInLeaf(f, key);
      this.fingerPos = p;
      return p;
    }
    let node = this.root;
    while (!node.leaf) {
      const c = floorIndex(node.keys, key);
      node = node.children[c < 0 ? 0 : c] as Node;
    }
    const rel = this.floorInLeaf(node, key);
    if (rel >= 0) {
      this.foundLeaf = node;
      this.finger = node;
      this.fingerPos = node.base + rel;
      return node.base + rel;
    }
    // Every key in this leaf is > key: the floor, if any, is the previous leaf's last entry.
    let prev = node.prev;
    while (prev !== null && prev.n === 0) prev = prev.prev;
    this.foundLeaf = prev;
    return prev === null ? -1 : prev.base + prev.n - 1;
  }

  private firstLeaf(): Node | null {
    let node = this.root;
    while (!node.leaf) node = node.children[0] as Node;
    return this.nextNonEmpty(node);
  }

  /** `leaf` or the first non-empty leaf after it (only a lone root leaf is ever empty). */
  private nextNonEmpty(leaf: Node | null): Node | null {
    let l = leaf;
    while (l !== null && l.n === 0) l = l.next;
    return l;
  }

  /** Fill pathNodes/pathIdx from the root to the leaf for `key`; returns the leaf's depth. */
  private descend(key: number): number {
    let node = this.root;
    let d = 0;
    while (!node.leaf) {
      let i = floorIndex(node.keys, key);
      if (i < 0) i = 0;
      this.pathNodes[d] = node;
      this.pathIdx[d] = i;
      d++;
      node = node.children[i] as Node;
    }
    this.pathNodes[d] = node;
    return d;
  }

  private rememberTail(depth: number): void {
    this.tail = this.pathNodes[depth] as Node;
    this.tailPath = this.pathNodes.slice(0, depth);
  }

  private firstKey(node: Node): number {
    return node.leaf ? (this.dpaOf[node.base] as number) : (node.keys[0] as number);
  }

  /** The leaf at `depth` overflowed: split it and any ancestors that overflow in turn. */
  private splitUp(depth: number, appending: boolean): void {
    for (let d = depth; d >= 0; d--) {
      const node = this.pathNodes[d] as Node;
      const max = node.leaf ? LEAF_MAX : BRANCH_MAX;
      if (node.length <= max) break;
      // Appending past the last key (sequential DPAs): keep this node full, start a new one.
      const half = appending ? node.length - 1 : node.length >> 1;
      const right = new Node(node.leaf);
      let rightSize: number;
      if (node.leaf) {
        this.initLeaf(right);
        const moved = node.n - half;
        this.move(node.base + half, right.base, moved);
        right.n = moved;
        node.n = half;
        right.next = node.next;
        right.prev = node;
        if (node.next !== null) node.next.prev = right;
        node.next = right;
        rightSize = moved;
      } else {
        right.keys = node.keys.splice(half);
        right.children = node.children.splice(half);
        right.counts = node.counts.splice(half);
        rightSize = sum(right.counts);
      }
      if (d === 0) {
        const root = new Node(false);
        root.children = [node, right];
        root.keys = [this.firstKey(node), this.firstKey(right)];
        root.counts = [node.leaf ? node.n : sum(node.counts), rightSize];
        this.root = root;
      } else {
        const parent = this.pathNodes[d - 1] as Node;
        const ci = this.pathIdx[d - 1] as number;
        parent.counts[ci] = (parent.counts[ci] as number) - rightSize;
        insertAt(parent.children, ci + 1, right);
        insertAt(parent.keys, ci + 1, this.firstKey(right));
        insertAt(parent.counts, ci + 1, rightSize);
        appending = appending && ci + 1 === parent.children.length - 1;
      }
    }
    this.tail = null;
    this.head = null;
  }

  /** Child `i` of `parent` is under-full: merge it with a sibling, or borrow from one. */
  private rebalance(parent: Node, i: number): void {
    const child = parent.children[i] as Node;
    const left = i > 0 ? (parent.children[i - 1] as Node) : undefined;
    const right = i + 1 < parent.children.length ? (parent.children[i + 1] as Node) : undefined;
    const max = child.leaf ? LEAF_MAX : BRANCH_MAX;
    const min = child.leaf ? LEAF_MIN : BRANCH_MIN;
    if (child.length === 0 && (left !== undefined || right !== undefined)) {
      // An empty node (the drained leftmost leaf): drop it rather than refill it.
      this.unlink(child);
      if (child.leaf) this.freeLeaf(child);
      removeAt(parent.children, i);
      removeAt(parent.keys, i);
      removeAt(parent.counts, i);
    } else if (left !== undefined && left.length + child.length <= max) {
      this.merge(parent, i - 1);
    } else if (right !== undefined && right.length + child.length <= max) {
      this.merge(parent, i);
    } else if (left !== undefined && left.length > min) {
      this.shift(parent, i - 1, i, left.length - ((left.length + child.length) >> 1));
    } else if (right !== undefined && right.length > min) {
      this.shift(parent, i + 1, i, right.length - ((right.length + child.length) >> 1));
    } else if (child.length === 0) {
      // Only reachable under a root with a single child: drop the empty node.
      this.unlink(child);
      if (child.leaf) this.freeLeaf(child);
      removeAt(parent.children, i);
      removeAt(parent.keys, i);
      removeAt(parent.counts, i);
    }
  }

  /** Merge children[a+1] into children[a]. */
  private merge(parent: Node, a: number): void {
    const into = parent.children[a] as Node;
    const from = parent.children[a + 1] as Node;
    if (into.leaf) {
      if (into.base + into.n + from.n > into.slot + STRIDE) this.compact(into);
      this.move(from.base, into.base + into.n, from.n);
      into.n += from.n;
      this.unlink(from);
      this.freeLeaf(from);
    } else {
      for (let k = 0; k < from.children.length; k++) {
        into.keys.push(from.keys[k] as number);
        into.children.push(from.children[k] as Node);
        into.counts.push(from.counts[k] as number);
      }
    }
    parent.counts[a] = (parent.counts[a] as number) + (parent.counts[a + 1] as number);
    removeAt(parent.children, a + 1);
    removeAt(parent.keys, a + 1);
    removeAt(parent.counts, a + 1);
  }

  /** Move `n` entries from sibling `src` to its neighbour `dst` (adjacent indexes). */
  private shift(parent: Node, src: number, dst: number, n: number): void {
    const from = parent.children[src] as Node;
    const to = parent.children[dst] as Node;
    let moved: number;
    if (from.leaf) {
      if (src < dst) {
        // The last n of `from` go in front of `to`.
        if (to.base - to.slot < n) {
          this.move(to.base, to.slot + n, to.n);
          to.base = to.slot + n;
        }
        to.base -= n;
        this.move(from.base + from.n - n, to.base, n);
      } else {
        // The first n of `from` go after `to`.
        if (to.base + to.n + n > to.slot + STRIDE) this.compact(to);
        this.move(from.base, to.base + to.n, n);
        from.base += n;
      }
      from.n -= n;
      to.n += n;
      moved = n;
    } else if (src < dst) {
      const at = from.children.length - n;
      to.keys.unshift(...from.keys.splice(at));
      to.children.unshift(...from.children.splice(at));
      const cnt = from.counts.splice(at);
      to.counts.unshift(...cnt);
      moved = sum(cnt);
    } else {
      to.keys.push(...from.keys.splice(0, n));
      to.children.push(...from.children.splice(0, n));
      const cnt = from.counts.splice(0, n);
      to.counts.push(...cnt);
      moved = sum(cnt);
    }
    parent.counts[src] = (parent.counts[src] as number) - moved;
    parent.counts[dst] = (parent.counts[dst] as number) + moved;
    // Exact separators for both: the receiver may now hold smaller keys, the giver lost its smallest.
    parent.keys[src] = this.firstKey(from);
    parent.keys[dst] = this.firstKey(to);
  }

  private unlink(node: Node): void {
    if (!node.leaf) return;
    if (node.prev !== null) node.prev.next = node.next;
    if (node.next !== null) node.next.prev = node.prev;
    node.prev = null;
    node.next = null;
  }
}
