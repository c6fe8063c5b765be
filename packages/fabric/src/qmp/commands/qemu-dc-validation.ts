/**
 * QEMU's `qmp_cxl_process_dynamic_capacity_prescriptive` checks, in QEMU's order, with QEMU's
 * `desc` strings. The first failure aborts the request before anything is queued; per-extent
 * checks run extent by extent in list order, so a state check on extent 0 can fire before a
 * length check on extent 1, exactly as in QEMU.
 *
 * | # | condition | desc |
 * |---|---|---|
 * | 1 | path does not resolve | `Unable to resolve CXL type 3 device` |
 * | 2 | no DC regions | `No dynamic capacity support from the device` |
 * | 3 | region ≥ number of regions | `region id is too large` |
 * | 4 | len = 0 | `extent with 0 length is not allowed` |
 * | 5 | offset or len not a block multiple | `dpa or len is not aligned to region block size` |
 * | 6 | offset + len > region length | `extent range is beyond the region end` |
 * | 7 | two extents of the request overlap | `duplicate or overlapped extents are detected` |
 * | 8 | (release) overlaps a pending add | `cannot release extent with pending DPA range` |
 * | 9 | (release) not fully accepted | `cannot release extent with non-existing DPA range` |
 * | 10 | (add) overlaps an accepted extent | `cannot add DPA already accessible to the same LD` |
 * | 11 | (add) overlaps a pending add | `cannot add DPA again while still pending` |
 *
 * Arithmetic is exact (bigint): QEMU's `offset + len` can wrap in uint64, dcd's cannot, so a
 * wrapping request is "beyond the region end" here.
 */
import type { DpaRange } from "../../device/types.js";
import { genericError } from "../qmp-error.js";
import type { QomDcdEntry } from "../qom-device-registry.js";

export const QEMU_DC_ERRORS = {
  unresolved: "Unable to resolve CXL type 3 device",
  noDynamicCapacity: "No dynamic capacity support from the device",
  regionTooLarge: "region id is too large",
  zeroLength: "extent with 0 length is not allowed",
  unaligned: "dpa or len is not aligned to region block size",
  beyondRegionEnd: "extent range is beyond the region end",
  overlapped: "duplicate or overlapped extents are detected",
  releasePending: "cannot release extent with pending DPA range",
  releaseNonExisting: "cannot release extent with non-existing DPA range",
  addAccepted: "cannot add DPA already accessible to the same LD",
  addPending: "cannot add DPA again while still pending",
  selectionPolicy: "Selection policy not supported",
  forcedRemoval: "Forced removal not supported yet",
  removalPolicy: "Removal policy not supported",
} as const;

/** An extent as QMP carries it: relative to the region, uint64. */
export interface QmpExtent {
  readonly offset: bigint;
  readonly len: bigint;
}

/** What the checks decide about a request (`add`, or a release; `forced` skips rows 8-9). */
export interface DcRequestCheck {
  readonly kind: "add" | "release";
  readonly hostId: number;
  readonly region: number;
  readonly extents: readonly QmpExtent[];
  /** Rows 8-11 (device state) run only for prescriptive requests that are not forced. */
  readonly checkState: boolean;
  /** Offsets matter (rows 5-7); free/contiguous requests only name lengths. */
  readonly checkOffsets: boolean;
}

/** Rows 1-3: resolve the device and region; throws QEMU's GenericError. */
export function resolveDcRegion(entry: QomDcdEntry | undefined, region: number): QomDcdEntry {
  if (entry === undefined) throw genericError(QEMU_DC_ERRORS.unresolved);
  if (entry.device.partitions.length === 0) throw genericError(QEMU_DC_ERRORS.noDynamicCapacity);
  if (region >= entry.device.partitions.length) throw genericError(QEMU_DC_ERRORS.regionTooLarge);
  return entry;
}

/** Sorted, non-overlapping [start, end) block ranges of the request so far (QEMU's bitmap). */
class RangeSet {
  private readonly starts: bigint[] = [];
  private readonly ends: bigint[] = [];

  /** Add [start, end); false (and nothing added) when it overlaps what is there. */
  tryAdd(start: bigint, end: bigint): boolean {
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.starts[mid] ?? 0n) < start) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0 && (this.ends[lo - 1] ?? 0n) > start) return false;
    if (lo < this.starts.length && (this.starts[lo] ?? 0n) < end) return false;
    this.starts.splice(lo, 0, start);
    this.ends.splice(lo, 0, end);
    return true;
  }
}

/**
 * Rows 4-11 for every extent, in list order. Returns the absolute DPA ranges (safe integers:
 * they lie inside the region once row 6 passed).
 */
export function checkDcExtents(entry: QomDcdEntry, req: DcRequestCheck): DpaRange[] {
  const p = entry.device.partitions[req.region];
  if (p === undefined) throw genericError(QEMU_DC_ERRORS.regionTooLarge);
  const bs = BigInt(p.blockSize);
  const regionLen = BigInt(p.length);
  const seen = new RangeSet();
  const out: DpaRange[] = [];
  for (const e of req.extents) {
    if (e.len === 0n) throw genericError(QEMU_DC_ERRORS.zeroLength);
    if ((req.checkOffsets && e.offset % bs !== 0n) || e.len % bs !== 0n) throw genericError(QEMU_DC_ERRORS.unaligned);
    if (!req.checkOffsets) continue;
    if (e.offset + e.len > regionLen) throw genericError(QEMU_DC_ERRORS.beyondRegionEnd);
    if (!seen.tryAdd(e.offset, e.offset + e.len)) throw genericError(QEMU_DC_ERRORS.overlapped);
    const range: DpaRange = { dpa: p.base + Number(e.offset), len: Number(e.len) };
    if (req.checkState) {
      const d = entry.device;
      if (req.kind === "release") {
        if (d.overlapsPending(req.hostId, range)) throw genericError(QEMU_DC_ERRORS.releasePending);
        if (!d.isFullyBacked(req.hostId, range)) throw genericError(QEMU_DC_ERRORS.releaseNonExisting);
      } else {
        if (d.overlapsAccepted(req.hostId, range)) throw genericError(QEMU_DC_ERRORS.addAccepted);
        if (d.overlapsPending(req.hostId, range)) throw genericError(QEMU_DC_ERRORS.addPending);
      }
    }
    out.push(range);
  }
  return out;
}
