/**
 * Overlap inside one request list. QEMU walks the list with a block bitmap and fails at the first
 * entry that touches an earlier one; the index of that entry matters because other checks run
 * per entry in the same loop (an earlier out-of-region entry wins). This finds that index in
 * O(m) for the usual ascending list and O(m log m) otherwise, instead of O(region / block).
 */
import { IntervalIndex, type Interval } from "./interval-index.js";

/**
 * Index of the first entry that overlaps an entry before it, or -1. Zero-length entries never
 * overlap (they cover no block), as in QEMU's bitmap test.
 */
export function firstOverlapIndex(ranges: readonly Interval[]): number {
  // Fast path: strictly ascending, disjoint lists (what hosts and benchmarks send).
  let lastEnd = -Infinity;
  let ascending = true;
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i] as Interval;
    if (r.len <= 0) continue;
    if (r.dpa < lastEnd) {
      ascending = false;
      break;
    }
    lastEnd = r.dpa + r.len;
  }
  if (ascending) return -1;
  const seen = new IntervalIndex<Interval>();
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i] as Interval;
    if (r.len <= 0) continue;
    if (seen.overlaps(r.dpa, r.len)) return i;
    seen.insert({ dpa: r.dpa, len: r.len });
  }
  return -1;
}
