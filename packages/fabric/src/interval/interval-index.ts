/**
 * Non-overlapping half-open DPA intervals `[dpa, dpa + len)` keyed by start, as one sorted array
 * of objects: the plain reference implementation. The device keeps its extents (and every other
 * interval set it needs) in `ExtentIndex`, the typed-array B+ tree; this class is the oracle its
 * property tests compare against, and stays exported for callers that want intervals of their own
 * objects. Lookups are binary searches (O(log n)); inserts and removals move the tail (O(n)).
 *
 * Because the intervals never overlap, their ends are sorted like their starts, so "does
 * [a, b) overlap anything" is one floor lookup: the interval with the greatest start below `b`
 * is the only candidate.
 */

/** Anything with a DPA start and a length in bytes. */
export interface Interval {
  readonly dpa: number;
  readonly len: number;
}

export class IntervalIndex<V extends Interval> {
  private readonly items: V[] = [];

  get size(): number {
    return this.items.length;
  }

  /** Add `v`; the caller guarantees it overlaps nothing already present (an equal start replaces). */
  insert(v: V): void {
    const i = this.floorIndex(v.dpa);
    if (i >= 0 && (this.items[i] as V).dpa === v.dpa) this.items[i] = v;
    else this.items.splice(i + 1, 0, v);
  }

  /** Remove the interval starting at `v.dpa` (if it is `v`). */
  remove(v: V): boolean {
    const i = this.floorIndex(v.dpa);
    if (i < 0 || this.items[i] !== v) return false;
    this.items.splice(i, 1);
    return true;
  }

  /** The interval starting exactly at `dpa`. */
  startingAt(dpa: number): V | undefined {
    const v = this.items[this.floorIndex(dpa)];
    return v !== undefined && v.dpa === dpa ? v : undefined;
  }

  /** The interval that contains byte `dpa`, if any. */
  at(dpa: number): V | undefined {
    const v = this.items[this.floorIndex(dpa)];
    return v !== undefined && dpa < v.dpa + v.len ? v : undefined;
  }

  /** True when some interval shares at least one byte with `[dpa, dpa + len)`. */
  overlaps(dpa: number, len: number): boolean {
    if (len <= 0) return false;
    const v = this.items[this.floorIndex(dpa + len - 1)];
    return v !== undefined && v.dpa + v.len > dpa;
  }

  /** The single interval that contains all of `[dpa, dpa + len)`, if any. */
  containing(dpa: number, len: number): V | undefined {
    const v = this.at(dpa);
    return v !== undefined && dpa + len <= v.dpa + v.len ? v : undefined;
  }

  /** True when the intervals cover every byte of `[dpa, dpa + len)` (possibly several adjacent ones). */
  covers(dpa: number, len: number): boolean {
    return this.coveringPieces(dpa, len) !== undefined;
  }

  /** The intervals covering every byte of `[dpa, dpa + len)` without a gap, in DPA order, or undefined. */
  coveringPieces(dpa: number, len: number): V[] | undefined {
    const end = dpa + len;
    const out: V[] = [];
    let reached = dpa;
    for (let i = this.floorIndex(dpa); i >= 0 && i < this.items.length && reached < end; i++) {
      const v = this.items[i] as V;
      if (v.dpa > reached) return undefined;
      const vEnd = v.dpa + v.len;
      if (vEnd <= reached) return undefined;
      out.push(v);
      reached = vEnd;
    }
    return reached >= end ? out : undefined;
  }

  /** The intervals overlapping `[dpa, dpa + len)`, in DPA order. */
  overlapping(dpa: number, len: number): V[] {
    const out: V[] = [];
    const end = dpa + len;
    let i = this.floorIndex(dpa);
    if (i < 0) i = 0;
    else if ((this.items[i] as V).dpa + (this.items[i] as V).len <= dpa) i++;
    for (; i < this.items.length; i++) {
      const v = this.items[i] as V;
      if (v.dpa >= end) break;
      out.push(v);
    }
    return out;
  }

  /** Visit intervals in DPA order starting at the `index`-th; stop when `visit` returns false. */
  forEachFrom(index: number, visit: (v: V) => boolean): void {
    for (let i = Math.max(0, index); i < this.items.length; i++) if (!visit(this.items[i] as V)) return;
  }

  /** Every interval in DPA order. */
  values(): V[] {
    return this.items.slice();
  }

  clear(): void {
    this.items.length = 0;
  }

  /** Index of the last interval starting at or below `dpa`, or -1. */
  private floorIndex(dpa: number): number {
    let lo = 0;
    let hi = this.items.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.items[mid] as V).dpa <= dpa) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi;
  }
}
