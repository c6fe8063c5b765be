/**
 * Releasing ranges from a host's accepted extents: the dry run (QEMU
 * `cxl_dc_extent_release_dry_run`) and the commit. A range may be part of one extent (the extent
 * is split, remainders kept with their tag and sequence) or span adjacent extents.
 *
 * QEMU's dry run copies the whole list (O(n)) and re-checks the budget after every extent it
 * cuts. Here the same running count is computed without copying: a range cuts one current piece
 * per original extent it touches; only the first piece can leave a left remainder and only the
 * last a right one, unless an earlier range of the same request already cut there. O(log n + k)
 * per range.
 */
import { MBOX_RC } from "@dcd/core";
import type { DeviceCore } from "./device-core.js";
import type { HostState } from "./host-state.js";
import type { DcExtent } from "./types.js";
import { NULL_UUID } from "@dcd/core";
import type { RangeList } from "../interval/range-list.js";
import { ExtentBuffer } from "./extent-buffer.js";

/**
 * Per range, the accepted extents it touches (valid for the commit when no range cut an extent
 * another range also touches), or `EXACT` when the range is exactly one accepted extent.
 */
export type ReleasePieces = readonly (readonly DcExtent[] | typeof EXACT | undefined)[];

export type ReleasePlan =
  | {
      readonly ok: true;
      readonly skip: ReadonlySet<number>;
      readonly pieces: ReleasePieces | undefined;
    }
  | { readonly ok: false; readonly rc: typeof MBOX_RC.INVALID_PA | typeof MBOX_RC.RESOURCES_EXHAUSTED | typeof MBOX_RC.INVALID_EXTENT_LIST; readonly reason: string };

/** The range is exactly one accepted extent (the usual release): no pieces list is built for it. */
export const EXACT = 1;

export interface ReleasePlanOptions {
  /** Each range must be fully backed by accepted extents (else INVALID_PA), as 4803h and 5605h require. */
  readonly requireBacked: boolean;
  /** cxl_test: ranges that are not backed are ignored instead of refused. */
  readonly skipUnbacked: boolean;
  /** R16: refuse cutting part of a shared (sharable-region, tagged) extent with INVALID_EXTENT_LIST. */
  readonly sharedWhole: boolean;
}

const NO_SKIP: ReadonlySet<number> = new Set();
const hex = (n: number): string => `0x${n.toString(16)}`;

/** Is `e` shared capacity (a tagged extent on a sharable partition)? */
export function isSharedExtent(core: DeviceCore, e: DcExtent): boolean {
  return e.tag !== NULL_UUID && core.findPartition(e.dpa, e.len)?.sharable === true;
}

/** The plan of a one-range release that is exactly one accepted extent (e.g. an FM's release of one whole extent). */
const EXACT_ONE: ReleasePlan = Object.freeze({ ok: true, skip: NO_SKIP, pieces: Object.freeze<typeof EXACT[]>([EXACT]) });

export function planRelease(core: DeviceCore, h: HostState, ranges: RangeList, opts: ReleasePlanOptions): ReleasePlan {
  const limit = core.cfg.extentBudget - core.totalExtentCount;
  let delta = 0;
  let skip: Set<number> | undefined;
  // Earlier ranges of this request (their indexes) that cut an extent partially, per extent (by
  // its start DPA): only those can already have removed the bytes next to a later range's ends.
  // Whole-extent releases (the common case) record nothing.
  let partial: Map<number, number[]> | undefined;
  const allPieces = new Array<DcExtent[] | typeof EXACT | undefined>(ranges.length);
  /** Some extent is touched by two ranges: the pieces found here go stale during the commit. */
  let shared = false;
  for (let i = 0; i < ranges.length; i++) {
    const rDpa = ranges.dpa(i);
    const rLen = ranges.len(i);
    const end = rDpa + rLen;
    if (opts.requireBacked && rLen > 0 && h.accepted.lengthAt(rDpa) === rLen) {
      // Exactly one whole extent: no remainder, nothing shared to cut, one extent fewer.
      allPieces[i] = EXACT;
      if (--delta > limit) {
        return { ok: false, rc: MBOX_RC.RESOURCES_EXHAUSTED, reason: `splitting for extent ${i} needs more than the ${core.cfg.extentBudget} extents the device can track` };
      }
      continue;
    }
    const pieces = opts.requireBacked ? h.accepted.coveringPieces(rDpa, rLen) : h.accepted.overlapping(rDpa, rLen);
    if (pieces === undefined) {
      if (opts.skipUnbacked) {
        (skip ??= new Set()).add(i);
        continue;
      }
      return { ok: false, rc: MBOX_RC.INVALID_PA, reason: `extent ${i} [${hex(rDpa)}, +${hex(rLen)}) is not fully backed by accepted extents of host ${h.hostId}` };
    }
    allPieces[i] = pieces;
    if (opts.sharedWhole) {
      for (const p of pieces) {
        if ((p.dpa < rDpa || p.dpa + p.len > end) && isSharedExtent(core, p)) {
          return { ok: false, rc: MBOX_RC.INVALID_EXTENT_LIST, reason: `extent ${i} releases part of shared extent [${hex(p.dpa)}, +${hex(p.len)}) tagged ${p.tag}` };
        }
      }
    }
    const k = pieces.length;
    if (k === 0) continue;
    const first = pieces[0] as DcExtent;
    const last = pieces[k - 1] as DcExtent;
    const left = first.dpa < rDpa && !cutBefore(partial, ranges, first, rDpa - 1);
    const right = last.dpa + last.len > end && !cutBefore(partial, ranges, last, end);
    for (let j = 0; j < k; j++) {
      delta += (j === 0 && left ? 1 : 0) + (j === k - 1 && right ? 1 : 0) - 1;
      if (delta > limit) {
        return { ok: false, rc: MBOX_RC.RESOURCES_EXHAUSTED, reason: `splitting for extent ${i} needs more than the ${core.cfg.extentBudget} extents the device can track` };
      }
    }
    for (const p of k === 1 ? [first] : [first, last]) {
      if (p.dpa < rDpa || p.dpa + p.len > end) {
        partial ??= new Map();
        const cuts = partial.get(p.dpa);
        if (cuts === undefined) partial.set(p.dpa, [i]);
        else {
          cuts.push(i);
          shared = true;
        }
      }
    }
  }
  // A lone range that is exactly one extent (e.g. an FM releasing one extent): the shared frozen plan, no new object.
  if (ranges.length === 1 && allPieces[0] === EXACT && skip === undefined && !shared) return EXACT_ONE;
  return { ok: true, skip: skip ?? NO_SKIP, pieces: shared ? undefined : allPieces };
}

/** Did an earlier range of the request (recorded in `partial`) already remove `byte` of `p`? */
function cutBefore(partial: Map<number, number[]> | undefined, ranges: RangeList, p: DcExtent, byte: number): boolean {
  const cuts = partial?.get(p.dpa);
  if (cuts === undefined) return false;
  for (const c of cuts) if (byte >= ranges.dpa(c) && byte < ranges.dpa(c) + ranges.len(c)) return true;
  return false;
}

/** Remove the ranges from the accepted extents (splitting); returns the released pieces. */
export function applyRelease(h: HostState, ranges: RangeList, plan: { readonly skip: ReadonlySet<number>; readonly pieces: ReleasePieces | undefined }): ExtentBuffer {
  const released = new ExtentBuffer();
  const { skip, pieces } = plan;
  const noSkip = skip.size === 0;
  for (let i = 0; i < ranges.length; i++) {
    if (!noSkip && skip.has(i)) continue;
    const rDpa = ranges.dpa(i);
    const end = rDpa + ranges.len(i);
    let ps = pieces?.[i];
    if (ps === EXACT) {
      h.removeAcceptedAt(rDpa);
      const a = h.accepted;
      released.push(rDpa, a.removedLen, a.removedTag, a.removedSeq);
      continue;
    }
    ps ??= h.accepted.overlapping(rDpa, ranges.len(i));
    for (const p of ps) {
      const pEnd = p.dpa + p.len;
      h.removeAccepted(p);
      if (p.dpa < rDpa) h.addAcceptedParts(p.dpa, rDpa - p.dpa, p.tag, p.sharedSeq);
      if (pEnd > end) h.addAcceptedParts(end, pEnd - end, p.tag, p.sharedSeq);
      if (p.dpa >= rDpa && pEnd <= end) {
        released.pushExtent(p);
      } else {
        const s = Math.max(p.dpa, rDpa);
        released.push(s, Math.min(pEnd, end) - s, p.tag, p.sharedSeq);
      }
    }
  }
  return released;
}
