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
import type { DcExtent, DpaRange } from "./types.js";
import { NULL_UUID } from "@dcd/core";

export type ReleasePlan =
  | {
      readonly ok: true;
      readonly skip: ReadonlySet<number>;
      /** Per range, the accepted extents it touches, valid for the commit when no range cut an extent another range also touches. */
      readonly pieces: readonly (readonly DcExtent[] | undefined)[] | undefined;
    }
  | { readonly ok: false; readonly rc: typeof MBOX_RC.INVALID_PA | typeof MBOX_RC.RESOURCES_EXHAUSTED | typeof MBOX_RC.INVALID_EXTENT_LIST; readonly reason: string };

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

export function planRelease(core: DeviceCore, h: HostState, ranges: readonly DpaRange[], opts: ReleasePlanOptions): ReleasePlan {
  const limit = core.cfg.extentBudget - core.totalExtentCount;
  let delta = 0;
  let skip: Set<number> | undefined;
  // Earlier ranges of this request that cut an extent partially, per extent: only those can
  // already have removed the bytes next to a later range's ends. Whole-extent releases (the
  // common case) record nothing.
  let partial: Map<DcExtent, DpaRange[]> | undefined;
  const allPieces = new Array<DcExtent[] | undefined>(ranges.length);
  /** Some extent is touched by two ranges: the pieces found here go stale during the commit. */
  let shared = false;
  const cutBefore = (p: DcExtent, byte: number): boolean => {
    const cuts = partial?.get(p);
    if (cuts === undefined) return false;
    for (const c of cuts) if (byte >= c.dpa && byte < c.dpa + c.len) return true;
    return false;
  };
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i] as DpaRange;
    const end = r.dpa + r.len;
    const pieces = opts.requireBacked ? h.accepted.coveringPieces(r.dpa, r.len) : h.accepted.overlapping(r.dpa, r.len);
    if (pieces === undefined) {
      if (opts.skipUnbacked) {
        (skip ??= new Set()).add(i);
        continue;
      }
      return { ok: false, rc: MBOX_RC.INVALID_PA, reason: `extent ${i} [${hex(r.dpa)}, +${hex(r.len)}) is not fully backed by accepted extents of host ${h.hostId}` };
    }
    allPieces[i] = pieces;
    if (opts.sharedWhole) {
      for (const p of pieces) {
        if ((p.dpa < r.dpa || p.dpa + p.len > end) && isSharedExtent(core, p)) {
          return { ok: false, rc: MBOX_RC.INVALID_EXTENT_LIST, reason: `extent ${i} releases part of shared extent [${hex(p.dpa)}, +${hex(p.len)}) tagged ${p.tag}` };
        }
      }
    }
    const k = pieces.length;
    if (k === 0) continue;
    const first = pieces[0] as DcExtent;
    const last = pieces[k - 1] as DcExtent;
    const left = first.dpa < r.dpa && !cutBefore(first, r.dpa - 1);
    const right = last.dpa + last.len > end && !cutBefore(last, end);
    for (let j = 0; j < k; j++) {
      delta += (j === 0 && left ? 1 : 0) + (j === k - 1 && right ? 1 : 0) - 1;
      if (delta > limit) {
        return { ok: false, rc: MBOX_RC.RESOURCES_EXHAUSTED, reason: `splitting for extent ${i} needs more than the ${core.cfg.extentBudget} extents the device can track` };
      }
    }
    for (const p of first === last ? [first] : [first, last]) {
      if (p.dpa < r.dpa || p.dpa + p.len > end) {
        partial ??= new Map();
        const cuts = partial.get(p);
        if (cuts === undefined) partial.set(p, [r]);
        else {
          cuts.push(r);
          shared = true;
        }
      }
    }
  }
  return { ok: true, skip: skip ?? NO_SKIP, pieces: shared ? undefined : allPieces };
}

/** Remove the ranges from the accepted extents (splitting); returns the released pieces. */
export function applyRelease(h: HostState, ranges: readonly DpaRange[], plan: { readonly skip: ReadonlySet<number>; readonly pieces: readonly (readonly DcExtent[] | undefined)[] | undefined }): DcExtent[] {
  const released: DcExtent[] = [];
  const { skip, pieces } = plan;
  for (let i = 0; i < ranges.length; i++) {
    if (skip.has(i)) continue;
    const r = ranges[i] as DpaRange;
    const end = r.dpa + r.len;
    for (const p of pieces?.[i] ?? h.accepted.overlapping(r.dpa, r.len)) {
      const pEnd = p.dpa + p.len;
      h.removeAccepted(p);
      if (p.dpa < r.dpa) h.addAccepted({ dpa: p.dpa, len: r.dpa - p.dpa, tag: p.tag, sharedSeq: p.sharedSeq });
      if (pEnd > end) h.addAccepted({ dpa: end, len: pEnd - end, tag: p.tag, sharedSeq: p.sharedSeq });
      if (p.dpa >= r.dpa && pEnd <= end) {
        released.push(p);
      } else {
        const s = Math.max(p.dpa, r.dpa);
        released.push({ dpa: s, len: Math.min(pEnd, end) - s, tag: p.tag, sharedSeq: p.sharedSeq });
      }
    }
  }
  return released;
}
