/** Get Dynamic Capacity Configuration (4800h): 2-byte input, 8-byte header + 40-byte region records + 4 counters. */
import { CXL_CAPACITY_MULTIPLIER } from "./extent.js";
import { readU64, requireLength, view, writeU64 } from "./bytes.js";

export interface GetDcConfigIn {
  readonly regionCount: number;
  readonly startRegion: number;
}

/** One 28h-byte region configuration entry. `decodeLength` is in bytes here, 256 MiB units on the wire. */
export interface DcRegionConfig {
  readonly base: number;
  readonly decodeLength: number;
  readonly length: number;
  readonly blockSize: number;
  readonly dsmadHandle: number;
  /** bit 0 = Sanitize on Release. */
  readonly flags: number;
}

export interface DcConfig {
  readonly numRegions: number;
  readonly regions: readonly DcRegionConfig[];
  readonly numExtentsSupported: number;
  readonly numExtentsAvailable: number;
  readonly numTagsSupported: number;
  readonly numTagsAvailable: number;
}

export const GET_DC_CONFIG_IN_SIZE = 2;
export const DC_REGION_CONFIG_SIZE = 0x28;
const OUT_HEADER = 8;
const OUT_TRAILER = 16;

export function encodeGetDcConfigIn(i: GetDcConfigIn): Uint8Array {
  return Uint8Array.of(i.regionCount & 0xff, i.startRegion & 0xff);
}

export function decodeGetDcConfigIn(bytes: Uint8Array): GetDcConfigIn {
  requireLength(bytes, GET_DC_CONFIG_IN_SIZE, "4800h input");
  return { regionCount: bytes[0] as number, startRegion: bytes[1] as number };
}

export function encodeGetDcConfigOut(o: DcConfig): Uint8Array {
  const n = o.regions.length;
  const bytes = new Uint8Array(OUT_HEADER + n * DC_REGION_CONFIG_SIZE + OUT_TRAILER);
  const v = view(bytes);
  bytes[0] = o.numRegions;
  bytes[1] = n;
  o.regions.forEach((r, i) => {
    const off = OUT_HEADER + i * DC_REGION_CONFIG_SIZE;
    writeU64(v, off, r.base);
    writeU64(v, off + 0x08, Math.floor(r.decodeLength / CXL_CAPACITY_MULTIPLIER));
    writeU64(v, off + 0x10, r.length);
    writeU64(v, off + 0x18, r.blockSize);
    v.setUint32(off + 0x20, r.dsmadHandle, true);
    bytes[off + 0x24] = r.flags;
  });
  const t = OUT_HEADER + n * DC_REGION_CONFIG_SIZE;
  v.setUint32(t, o.numExtentsSupported, true);
  v.setUint32(t + 4, o.numExtentsAvailable, true);
  v.setUint32(t + 8, o.numTagsSupported, true);
  v.setUint32(t + 12, o.numTagsAvailable, true);
  return bytes;
}

export function decodeGetDcConfigOut(bytes: Uint8Array): DcConfig {
  requireLength(bytes, OUT_HEADER, "4800h output");
  const n = bytes[1] as number;
  requireLength(bytes, OUT_HEADER + n * DC_REGION_CONFIG_SIZE + OUT_TRAILER, "4800h output");
  const v = view(bytes);
  const regions: DcRegionConfig[] = [];
  for (let i = 0; i < n; i++) {
    const off = OUT_HEADER + i * DC_REGION_CONFIG_SIZE;
    regions.push({
      base: readU64(v, off),
      decodeLength: readU64(v, off + 0x08) * CXL_CAPACITY_MULTIPLIER,
      length: readU64(v, off + 0x10),
      blockSize: readU64(v, off + 0x18),
      dsmadHandle: v.getUint32(off + 0x20, true),
      flags: bytes[off + 0x24] as number,
    });
  }
  const t = OUT_HEADER + n * DC_REGION_CONFIG_SIZE;
  return {
    numRegions: bytes[0] as number,
    regions,
    numExtentsSupported: v.getUint32(t, true),
    numExtentsAvailable: v.getUint32(t + 4, true),
    numTagsSupported: v.getUint32(t + 8, true),
    numTagsAvailable: v.getUint32(t + 12, true),
  };
}
