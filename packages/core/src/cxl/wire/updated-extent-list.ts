/**
 * Add Dynamic Capacity Response (4802h) and Release Dynamic Capacity (4803h) share one layout:
 * `num_entries_updated` u32 @0, flags u8 @4 (bit 0 More), 3 reserved, then 24-byte entries
 * { start_dpa u64, len u64, 8 reserved }.
 */
import type { DpaRange } from "./extent.js";
import { getU32, putU32, putU64, readU64, requireLength, view, writeU64 } from "./bytes.js";

export interface UpdatedExtentList {
  /** Flags bit 0: this payload is one of several forming a single response or release. */
  readonly more: boolean;
  readonly extents: readonly DpaRange[];
}

export const UPDATED_EXTENT_LIST_HEADER = 8;
export const UPDATED_EXTENT_SIZE = 0x18;

export function encodeUpdatedExtentList(l: UpdatedExtentList): Uint8Array {
  const bytes = new Uint8Array(UPDATED_EXTENT_LIST_HEADER + l.extents.length * UPDATED_EXTENT_SIZE);
  putU32(bytes, 0, l.extents.length);
  bytes[4] = l.more ? 1 : 0;
  // One DataView, two word stores per u64 (a one-extent Release DC does not come here: it is
  // written into the mailbox's registers by `encodeSingleUpdatedExtent`).
  const v = view(bytes);
  const write = writeU64;
  const list = l.extents;
  let off = UPDATED_EXTENT_LIST_HEADER;
  for (let i = 0; i < list.length; i++) {
    const e = list[i] as DpaRange;
    write(v, off, e.dpa);
    write(v, off + 8, e.len);
    off += UPDATED_EXTENT_SIZE;
  }
  return bytes;
}

/**
 * A one-entry list (More=0) written over `bytes` (header + one entry, reused between commands):
 * every byte is rewritten, reserved ones to zero.
 */
export function encodeSingleUpdatedExtent(bytes: Uint8Array, dpa: number, len: number): Uint8Array {
  putU32(bytes, 0, 1);
  // Flags and reserved bytes written as zeros, not a `fill(0)` of the whole payload first (a
  // builtin call per Release DC, and every other byte is written anyway).
  putU32(bytes, 4, 0);
  putU64(bytes, UPDATED_EXTENT_LIST_HEADER, dpa);
  putU64(bytes, UPDATED_EXTENT_LIST_HEADER + 8, len);
  putU32(bytes, UPDATED_EXTENT_LIST_HEADER + 16, 0);
  putU32(bytes, UPDATED_EXTENT_LIST_HEADER + 20, 0);
  // A longer register file (reused by a caller) keeps nothing from an earlier command either.
  if (bytes.length > UPDATED_EXTENT_LIST_HEADER + UPDATED_EXTENT_SIZE) bytes.fill(0, UPDATED_EXTENT_LIST_HEADER + UPDATED_EXTENT_SIZE);
  return bytes;
}

/** The header count alone (the mailbox checks it against the payload length before decoding). */
export function updatedExtentCount(bytes: Uint8Array): number {
  requireLength(bytes, UPDATED_EXTENT_LIST_HEADER, "updated extent list");
  return getU32(bytes, 0);
}

export function decodeUpdatedExtentList(bytes: Uint8Array): UpdatedExtentList {
  const n = updatedExtentCount(bytes);
  requireLength(bytes, UPDATED_EXTENT_LIST_HEADER + n * UPDATED_EXTENT_SIZE, "updated extent list");
  const v = view(bytes);
  const extents: DpaRange[] = new Array<DpaRange>(n);
  let off = UPDATED_EXTENT_LIST_HEADER;
  for (let i = 0; i < n; i++) {
    extents[i] = { dpa: readU64(v, off), len: readU64(v, off + 8) };
    off += UPDATED_EXTENT_SIZE;
  }
  return { more: ((bytes[4] as number) & 1) !== 0, extents };
}
