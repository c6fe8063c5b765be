/** The 40-byte DC extent (CXL r3.1 Table 8-230), shared by event records, 4801h and 5603h-5605h. */
import { NULL_UUID, uuidFromBytes, uuidToBytes } from "@dcd/core";
import type { DcExtent } from "./extent.js";
import { readU64, requireLength, writeU64 } from "./bytes.js";

export const DC_EXTENT_SIZE = 0x28;

/** Write `e` at `offset` of `v`/`bytes`: start_dpa @0, len @8, tag @10h, shared_seq @20h, rsvd @22h. */
export function writeDcExtent(v: DataView, bytes: Uint8Array, offset: number, e: DcExtent): void {
  writeU64(v, offset, e.dpa);
  writeU64(v, offset + 8, e.len);
  // The null tag is the common case: the bytes are already zero.
  if (e.tag !== NULL_UUID) bytes.set(uuidToBytes(e.tag), offset + 0x10);
  v.setUint16(offset + 0x20, e.sharedSeq, true);
}

export function readDcExtent(v: DataView, bytes: Uint8Array, offset: number): DcExtent {
  return {
    dpa: readU64(v, offset),
    len: readU64(v, offset + 8),
    // Untagged is the common case: four word reads instead of sixteen byte reads.
    tag: v.getUint32(offset + 0x10, true) === 0 && v.getUint32(offset + 0x14, true) === 0 && v.getUint32(offset + 0x18, true) === 0 && v.getUint32(offset + 0x1c, true) === 0 ? NULL_UUID : uuidFromBytes(bytes, offset + 0x10),
    sharedSeq: v.getUint16(offset + 0x20, true),
  };
}

export function encodeDcExtent(e: DcExtent): Uint8Array {
  const bytes = new Uint8Array(DC_EXTENT_SIZE);
  writeDcExtent(new DataView(bytes.buffer), bytes, 0, e);
  return bytes;
}

export function decodeDcExtent(bytes: Uint8Array, offset = 0): DcExtent {
  requireLength(bytes, offset + DC_EXTENT_SIZE, "DC extent");
  return readDcExtent(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), bytes, offset);
}
