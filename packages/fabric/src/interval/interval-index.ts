/**
 * Non-overlapping half-open DPA intervals `[dpa, dpa + len)` keyed by start, on a B+ tree.
 *
 * Because the intervals never overlap, their ends are sorted like their starts, so "does
 * [a, b) overlap anything" is one floor lookup: the interval with the greatest start below `b`
 * is the only candidate. Overlap, containment and coverage checks are O(log n); walking the k
 * intervals a range touches is O(log n + k). A block bitmap would be O(range / block).
 */
import { BPlusTree, type TreeCursor } from "./bplus-tree.js";

/** Anything with a DPA start and a length in bytes. */
export interface Interval {
  readonly dpa: number;
  readonly len: number;
}

export class IntervalIndex<V extends Interval> {
  private readonly tree = new BPlusTree<V>();

  get size(): number {
    return this.tree.size;
  }

  /** Add `v`; the caller guarantees it overlaps nothing already present. */
  insert(v: V): void {
    this.tree.set(v.dpa, v);
  }

  /** Remove the interval starting at `v.dpa` (if it is `v`). */
  remove(v: V): boolean {
    return this.tree.deleteIf(v.dpa, v);
  }

  /** The interval starting exactly at `dpa`. */
  startingAt(dpa: number): V | undefined {
    return this.tree.get(dpa);
  }

  /** The interval that contains byte `dpa`, if any. */
  at(dpa: number): V | undefined {
    const v = this.tree.floorValue(dpa);
    return v !== undefined && dpa < v.dpa + v.len ? v : undefined;
  }

  /** True when some interval shares at least one byte with `[dpa, dpa + len)`. */
  overlaps(dpa: number, len: number): boolean {
    if (len <= 0) return false;
    const v = this.tree.floorValue(dpa + len - 1);
    return v !== undefined && v.dpa + v.len > dpa;
  }

  /** The single interval that contains all of `[dpa, dpa + len)`, if any. */
  containing(dpa: number, len: number): V | undefined {
    const v = this.at(dpa);
    return v !== undefined && dpa + len <= v.dpa + v.len ? v : undefined;
  }

  /**
   * True when the intervals cover every byte of `[dpa, dpa + len)` (possibly several adjacent
   * ones). O(log n + k) for the k intervals walked.
   */
  covers(dpa: number, len: number): boolean {
    const end = dpa + len;
    const c = this.tree.floor(dpa);
    let reached = dpa;
    while (c.leaf !== null && reached < end) {
      const v = c.leaf.vals[c.pos] as V;
      if (v.dpa > reached) return false;
      const vEnd = v.dpa + v.len;
      if (vEnd <= reached) return false;
      reached = vEnd;
      this.tree.advance(c);
    }
    return reached >= end;
  }

  /**
   * The intervals covering every byte of `[dpa, dpa + len)` without a gap, in DPA order, or
   * undefined when some byte is not covered: `covers` and `overlapping` in one descent.
   */
  coveringPieces(dpa: number, len: number): V[] | undefined {
    const end = dpa + len;
    const c = this.tree.floor(dpa);
    const out: V[] = [];
    let reached = dpa;
    while (c.leaf !== null && reached < end) {
      const v = c.leaf.vals[c.pos] as V;
      if (v.dpa > reached) return undefined;
      const vEnd = v.dpa + v.len;
      if (vEnd <= reached) return undefined;
      out.push(v);
      reached = vEnd;
      this.tree.advance(c);
    }
    return reached >= end ? out : undefined;
  }

  /** The intervals overlapping `[dpa, dpa + len)`, in DPA order. O(log n + k). */
  overlapping(dpa: number, len: number): V[] {
    const out: V[] = [];
    const end = dpa + len;
    const c = this.firstEndingAfter(dpa);
    while (c.leaf !== null) {
      const v = c.leaf.vals[c.pos] as V;
      if (v.dpa >= end) break;
      out.push(v);
      this.tree.advance(c);
    }
    return out;
  }

  /** Visit intervals in DPA order starting at the `index`-th; stop when `visit` returns false. */
  forEachFrom(index: number, visit: (v: V) => boolean): void {
    const c = this.tree.at(index);
    while (c.leaf !== null) {
      if (!visit(c.leaf.vals[c.pos] as V)) return;
      this.tree.advance(c);
    }
  }

  /** Every interval in DPA order (O(n): snapshots, listings). */
  values(): V[] {
    return this.tree.values();
  }

  clear(): void {
    this.tree.clear();
  }

  private firstEndingAfter(dpa: number): TreeCursor<V> {
    const c = this.tree.floor(dpa);
    if (c.leaf === null) return this.tree.first();
    const v = c.leaf.vals[c.pos] as V;
    if (v.dpa + v.len <= dpa) this.tree.advance(c);
    return c;
  }
}
