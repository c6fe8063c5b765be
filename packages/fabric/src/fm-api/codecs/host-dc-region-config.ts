/**
 * 5601h Get Host DC Region Configuration (CXL r3.1 §7.6.7.6.2).
 *
 * Input (4 bytes): host_id u16 @00h, region_cnt u8 @02h, start_region_id u8 @03h.
 *
 * Output: host_id u16 @00h, num_regions u8 @02h, regions_returned u8 @03h, then one 28h-byte
 * record per region from @04h:
 *
 * | off | size | field |
 * |---|---|---|
 * | 00h | 8 | base (DPA) |
 * | 08h | 8 | decode_len (256 MiB units) |
 * | 10h | 8 | region_len |
 * | 18h | 8 | block_size |
 * | 20h | 1 | flags (DSMAS: bit2 non-volatile, bit3 sharable, bit4 HW coherency, bit5 IC-specific, bit6 read-only) |
 * | 21h | 3 | reserved |
 * | 24h | 1 | sanitize_on_release (bit 0) |
 * | 25h | 3 | reserved |
 *
 * then num_extents_supported, num_extents_available, num_tags_supported, num_tags_available
 * (u32 each).
 */
import { CXL_CAPACITY_MULTIPLIER } from "../../device/types.js";
import { readU64, view, writeU64 } from "@dcd/core";
import { fail, MBOX_RC, ok, type DcdResult } from "@dcd/core";
import { requireFixedLength } from "./payload.js";

export const GET_HOST_DC_REGION_CONFIG_IN_SIZE = 4;
export const HOST_DC_REGION_RECORD_SIZE = 0x28;

export interface GetHostDcRegionConfigIn {
  readonly hostId: number;
  readonly regionCount: number;
  readonly startRegion: number;
}

/** One region record. `decodeLength` is in bytes (the wire carries 256 MiB units). */
export interface HostDcRegionRecord {
  readonly base: number;
  readonly decodeLength: number;
  readonly length: number;
  readonly blockSize: number;
  /** DSMAS flag bits (`DSMAS_FLAG`). */
  readonly flags: number;
  readonly sanitizeOnRelease: boolean;
}

export interface GetHostDcRegionConfigOut {
  readonly hostId: number;
  readonly numRegions: number;
  /** `regions_returned` is the length of this list. */
  readonly regions: readonly HostDcRegionRecord[];
  readonly numExtentsSupported: number;
  readonly numExtentsAvailable: number;
  readonly numTagsSupported: number;
  readonly numTagsAvailable: number;
}

export function encodeGetHostDcRegionConfigIn(req: GetHostDcRegionConfigIn): Uint8Array {
  const bytes = new Uint8Array(GET_HOST_DC_REGION_CONFIG_IN_SIZE);
  const v = view(bytes);
  v.setUint16(0, req.hostId, true);
  v.setUint8(2, req.regionCount);
  v.setUint8(3, req.startRegion);
  return bytes;
}

export function decodeGetHostDcRegionConfigIn(bytes: Uint8Array): DcdResult<GetHostDcRegionConfigIn> {
  const len = requireFixedLength(bytes, GET_HOST_DC_REGION_CONFIG_IN_SIZE, "Get Host DC Region Configuration");
  if (len.rc !== MBOX_RC.SUCCESS) return len;
  const v = view(bytes);
  return ok({ hostId: v.getUint16(0, true), regionCount: v.getUint8(2), startRegion: v.getUint8(3) });
}

export function encodeGetHostDcRegionConfigOut(out: GetHostDcRegionConfigOut): Uint8Array {
  const n = out.regions.length;
  const bytes = new Uint8Array(4 + n * HOST_DC_REGION_RECORD_SIZE + 16);
  const v = view(bytes);
  v.setUint16(0, out.hostId, true);
  v.setUint8(2, out.numRegions);
  v.setUint8(3, n);
  out.regions.forEach((r, i) => {
    const o = 4 + i * HOST_DC_REGION_RECORD_SIZE;
    writeU64(v, o, r.base);
    writeU64(v, o + 0x08, Math.floor(r.decodeLength / CXL_CAPACITY_MULTIPLIER));
    writeU64(v, o + 0x10, r.length);
    writeU64(v, o + 0x18, r.blockSize);
    v.setUint8(o + 0x20, r.flags);
    v.setUint8(o + 0x24, r.sanitizeOnRelease ? 1 : 0);
  });
  const t = 4 + n * HOST_DC_REGION_RECORD_SIZE;
  v.setUint32(t, out.numExtentsSupported, true);
  v.setUint32(t + 4, out.numExtentsAvailable, true);
  v.setUint32(t + 8, out.numTagsSupported, true);
  v.setUint32(t + 12, out.numTagsAvailable, true);
  return bytes;
}

export function decodeGetHostDcRegionConfigOut(bytes: Uint8Array): DcdResult<GetHostDcRegionConfigOut> {
  const n = bytes[3] ?? 0;
  const need = 4 + n * HOST_DC_REGION_RECORD_SIZE + 16;
  if (bytes.length < need) return fail(MBOX_RC.INVALID_PAYLOAD_LENGTH, `Get Host DC Region Configuration output: ${bytes.length} bytes, need ${need}`);
  const v = view(bytes);
  const regions = Array.from({ length: n }, (_, i): HostDcRegionRecord => {
    const o = 4 + i * HOST_DC_REGION_RECORD_SIZE;
    return {
      base: readU64(v, o),
      decodeLength: readU64(v, o + 0x08) * CXL_CAPACITY_MULTIPLIER,
      length: readU64(v, o + 0x10),
      blockSize: readU64(v, o + 0x18),
      flags: v.getUint8(o + 0x20),
      sanitizeOnRelease: (v.getUint8(o + 0x24) & 1) !== 0,
    };
  });
  const t = 4 + n * HOST_DC_REGION_RECORD_SIZE;
  return ok({
    hostId: v.getUint16(0, true),
    numRegions: v.getUint8(2),
    regions,
    numExtentsSupported: v.getUint32(t, true),
    numExtentsAvailable: v.getUint32(t + 4, true),
    numTagsSupported: v.getUint32(t + 8, true),
    numTagsAvailable: v.getUint32(t + 12, true),
  });
}
