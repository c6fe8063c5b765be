/**
 * QEMU's `cxl_detect_malformed_extent_list`, shared by 4802h, 4803h, 5604h and 5605h. Per entry,
 * in list order: not inside one DC region → INVALID_PA; start (relative to region 0's base) or
 * length not a multiple of that region's block size → INVALID_EXTENT_LIST; overlapping an
 * earlier entry → INVALID_EXTENT_LIST. The first failing entry decides.
 *
 * Deviation: a zero-length entry is INVALID_EXTENT_LIST here (the spec requires Length > 0;
 * QEMU lets it through to checks that then misbehave).
 */
import type { DeviceCore } from "../device/device-core.js";
import type { DpaRange } from "../device/types.js";
import { firstOverlapIndex } from "../interval/list-overlap.js";
import { MBOX_RC, type MboxRc } from "@dcd/core";

export interface MalformedResult {
  readonly rc: MboxRc;
  /** Index of the offending entry (-1 on success). */
  readonly index: number;
  readonly reason: string;
}

const OK: MalformedResult = { rc: MBOX_RC.SUCCESS, index: -1, reason: "" };

export function detectMalformedExtentList(core: DeviceCore, ranges: readonly DpaRange[]): MalformedResult {
  const region0 = core.partitions[0];
  const overlapAt = firstOverlapIndex(ranges);
  for (let i = 0; i < ranges.length; i++) {
    const { dpa, len } = ranges[i] as DpaRange;
    const p = core.findPartition(dpa, len);
    if (p === undefined || region0 === undefined) {
      return { rc: MBOX_RC.INVALID_PA, index: i, reason: `extent ${i} [0x${dpa.toString(16)}, +0x${len.toString(16)}) is not inside one DC region` };
    }
    if ((dpa - region0.base) % p.blockSize !== 0 || len % p.blockSize !== 0 || len === 0) {
      return { rc: MBOX_RC.INVALID_EXTENT_LIST, index: i, reason: `extent ${i} start 0x${dpa.toString(16)} or length 0x${len.toString(16)} is not a non-zero multiple of region ${p.index} block size 0x${p.blockSize.toString(16)}` };
    }
    if (i === overlapAt) return { rc: MBOX_RC.INVALID_EXTENT_LIST, index: i, reason: `extent ${i} overlaps an earlier extent of the list` };
  }
  return OK;
}
