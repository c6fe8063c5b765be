/**
 * 5600h Get DCD Info (CXL r3.1 §7.6.7.6.1): no input; 84 bytes of output.
 *
 * | off | size | field |
 * |---|---|---|
 * | 00h | 1 | num_hosts |
 * | 01h | 1 | num_supported_dc_regions |
 * | 02h | 2 | reserved |
 * | 04h | 2 | capacity_selection_policies (bit n = selection policy n) |
 * | 06h | 2 | reserved |
 * | 08h | 2 | capacity_removal_policies (bit n = removal policy n) |
 * | 0Ah | 1 | sanitize_on_release_config_mask (bit n = region n configurable) |
 * | 0Bh | 1 | reserved |
 * | 0Ch | 8 | total_dynamic_capacity (256 MiB units) |
 * | 14h | 8×8 | region 0..7 supported block size mask (bit n = 2^n bytes) |
 */
import { readU64, view, writeU64 } from "@dcd/core";
import { CXL_CAPACITY_MULTIPLIER, DCD_MAX_NUM_REGION } from "../../device/types.js";
import { fail, MBOX_RC, ok, type DcdResult } from "@dcd/core";

export const GET_DCD_INFO_OUT_SIZE = 0x54;

/** 5600h output. `totalDynamicCapacity` is in bytes (the wire carries 256 MiB units). */
export interface GetDcdInfoOut {
  readonly numHosts: number;
  readonly numRegions: number;
  readonly selectionPolicyMask: number;
  readonly removalPolicyMask: number;
  readonly sanitizeOnReleaseConfigMask: number;
  readonly totalDynamicCapacity: number;
  /** Supported block sizes of regions 0..7; regions past `numRegions` report 0. */
  readonly regionBlockSizeMasks: readonly number[];
}

export function encodeGetDcdInfoOut(info: GetDcdInfoOut): Uint8Array {
  const bytes = new Uint8Array(GET_DCD_INFO_OUT_SIZE);
  const v = view(bytes);
  v.setUint8(0x00, info.numHosts);
  v.setUint8(0x01, info.numRegions);
  v.setUint16(0x04, info.selectionPolicyMask, true);
  v.setUint16(0x08, info.removalPolicyMask, true);
  v.setUint8(0x0a, info.sanitizeOnReleaseConfigMask);
  writeU64(v, 0x0c, Math.floor(info.totalDynamicCapacity / CXL_CAPACITY_MULTIPLIER));
  for (let i = 0; i < DCD_MAX_NUM_REGION; i++) writeU64(v, 0x14 + 8 * i, info.regionBlockSizeMasks[i] ?? 0);
  return bytes;
}

export function decodeGetDcdInfoOut(bytes: Uint8Array): DcdResult<GetDcdInfoOut> {
  if (bytes.length < GET_DCD_INFO_OUT_SIZE) return fail(MBOX_RC.INVALID_PAYLOAD_LENGTH, `Get DCD Info output: ${bytes.length} bytes, need ${GET_DCD_INFO_OUT_SIZE}`);
  const v = view(bytes);
  return ok({
    numHosts: v.getUint8(0x00),
    numRegions: v.getUint8(0x01),
    selectionPolicyMask: v.getUint16(0x04, true),
    removalPolicyMask: v.getUint16(0x08, true),
    sanitizeOnReleaseConfigMask: v.getUint8(0x0a),
    totalDynamicCapacity: readU64(v, 0x0c) * CXL_CAPACITY_MULTIPLIER,
    regionBlockSizeMasks: Array.from({ length: DCD_MAX_NUM_REGION }, (_, i) => readU64(v, 0x14 + 8 * i)),
  });
}
