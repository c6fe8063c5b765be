/**
 * Overlap inside one request list. QEMU walks the list with a block bitmap and fails at the first
 * entry that touches an earlier one; the index of that entry matters because other checks run
 * per entry in the same loop (an earlier out-of-region entry wins). This finds that index in
 * O(m) for the usual ascending list and O(m log m) otherwise, instead of O(region / block).
 */
import { NULL_UUID } from "@dcd/core";
import { ExtentIndex } from "./extent-index.js";
import type { Interval } from "./interval-index.js";
import { RangeList } from "./range-list.js";

/**
 * Index of the first entry that overlaps an entry before it, or -1. Zero-length entries never
 * overlap (they cover no block), as in QEMU's bitmap test.
 */
export function firstOverlapIndex(ranges: readonly Interval[]): number {
  return firstOverlapIn(RangeList.from(ranges));
}

/** `firstOverlapIndex` on a range list (what the mailbox decodes into). */
export function firstOverlapIn(ranges: RangeList): number {
  // Fast path: strictly ascending, disjoint lists (what hosts and benchmarks send).
  let lastEnd = -Infinity;
  let ascending = true;
  for (let i = 0; i < ranges.length; i++) {
    const len = ranges.len(i);
    if (len <= 0) continue;
    const dpa = ranges.dpa(i);
    if (dpa < lastEnd) {
      ascending = false;
      break;
    }
    lastEnd = dpa + len;
  }
  if (ascending) return -1;
  const seen = new ExtentIndex();
  for (let i = 0; i < ranges.length; i++) {
    const len = ranges.len(i);
    if (len <= 0) continue;
    const dpa = ranges.dpa(i);
    if (seen.overlaps(dpa, len)) return i;
    seen.add(dpa, len, NULL_UUID, 0);
  }
  return -1;
}
