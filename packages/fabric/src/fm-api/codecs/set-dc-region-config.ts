/**
 * 5602h Set DC Region Configuration (CXL r3.1 §7.6.7.6.3). Input (16 bytes): region_id u8 @00h,
 * reserved[3], block_sz u64 @04h, sanitize_on_release u8 @0Ch (bit 0), reserved[3]. No output.
 */
import { readU64, view, writeU64 } from "@dcd/core";
import { MBOX_RC, ok, type DcdResult } from "@dcd/core";
import { requireFixedLength } from "./payload.js";

export const SET_DC_REGION_CONFIG_IN_SIZE = 0x10;

export interface SetDcRegionConfigIn {
  readonly regionId: number;
  readonly blockSize: number;
  readonly sanitizeOnRelease: boolean;
}

export function encodeSetDcRegionConfigIn(req: SetDcRegionConfigIn): Uint8Array {
  const bytes = new Uint8Array(SET_DC_REGION_CONFIG_IN_SIZE);
  const v = view(bytes);
  v.setUint8(0x00, req.regionId);
  writeU64(v, 0x04, req.blockSize);
  v.setUint8(0x0c, req.sanitizeOnRelease ? 1 : 0);
  return bytes;
}

export function decodeSetDcRegionConfigIn(bytes: Uint8Array): DcdResult<SetDcRegionConfigIn> {
  const len = requireFixedLength(bytes, SET_DC_REGION_CONFIG_IN_SIZE, "Set DC Region Configuration");
  if (len.rc !== MBOX_RC.SUCCESS) return len;
  const v = view(bytes);
  return ok({ regionId: v.getUint8(0x00), blockSize: readU64(v, 0x04), sanitizeOnRelease: (v.getUint8(0x0c) & 1) !== 0 });
}
