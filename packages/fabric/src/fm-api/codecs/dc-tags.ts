/**
 * 5606h DC Add Reference / 5607h DC Remove Reference (input: tag[16], no output) and 5608h DC
 * List Tags (CXL r3.1 §7.6.7.6.7-9).
 *
 * 5608h input (8 bytes): start_idx u32 @00h, tags_count u32 @04h. Output: generation_num u32 @00h,
 * total_num_tags u32 @04h, num_tags_returned u32 @08h, validity_bitmap u8 @0Ch, reserved[3], then
 * 54h-byte entries from @10h: tag[16] @00h, flags u8 @10h, reserved[3], ref_bitmap[32] @14h
 * (bit n = host n holds the tag), pending_ref_bitmap[32] @34h.
 */
import { uuidFromBytes, uuidToBytes } from "@dcd/core";
import { view } from "@dcd/core";
import { fail, MBOX_RC, ok, type DcdResult } from "@dcd/core";
import { decodeBitmap, encodeBitmap, requireFixedLength } from "./payload.js";

export const DC_REFERENCE_IN_SIZE = 0x10;
export const DC_LIST_TAGS_IN_SIZE = 0x08;
export const DC_LIST_TAGS_HEADER_SIZE = 0x10;
export const DC_TAG_ENTRY_SIZE = 0x54;
const HOST_BITMAP_BYTES = 0x20;

export function encodeDcReferenceIn(tag: string): Uint8Array {
  return uuidToBytes(tag);
}

export function decodeDcReferenceIn(bytes: Uint8Array): DcdResult<{ readonly tag: string }> {
  const len = requireFixedLength(bytes, DC_REFERENCE_IN_SIZE, "DC Add/Remove Reference");
  if (len.rc !== MBOX_RC.SUCCESS) return len;
  return ok({ tag: uuidFromBytes(bytes, 0) });
}

export interface DcListTagsIn {
  readonly startIndex: number;
  readonly count: number;
}

export interface DcTagEntry {
  readonly tag: string;
  readonly flags: number;
  /** Hosts holding the tag (ref_bitmap bits), ascending. */
  readonly hosts: readonly number[];
  /** Hosts with an add of the tag still pending (pending_ref_bitmap bits), ascending. */
  readonly pendingHosts: readonly number[];
}

export interface DcListTagsOut {
  readonly generation: number;
  readonly totalTags: number;
  readonly validityBitmap: number;
  /** `num_tags_returned` is the length of this list. */
  readonly tags: readonly DcTagEntry[];
}

export function encodeDcListTagsIn(req: DcListTagsIn): Uint8Array {
  const bytes = new Uint8Array(DC_LIST_TAGS_IN_SIZE);
  const v = view(bytes);
  v.setUint32(0, req.startIndex, true);
  v.setUint32(4, req.count, true);
  return bytes;
}

export function decodeDcListTagsIn(bytes: Uint8Array): DcdResult<DcListTagsIn> {
  const len = requireFixedLength(bytes, DC_LIST_TAGS_IN_SIZE, "DC List Tags");
  if (len.rc !== MBOX_RC.SUCCESS) return len;
  const v = view(bytes);
  return ok({ startIndex: v.getUint32(0, true), count: v.getUint32(4, true) });
}

export function encodeDcListTagsOut(out: DcListTagsOut): Uint8Array {
  const bytes = new Uint8Array(DC_LIST_TAGS_HEADER_SIZE + out.tags.length * DC_TAG_ENTRY_SIZE);
  const v = view(bytes);
  v.setUint32(0x00, out.generation, true);
  v.setUint32(0x04, out.totalTags, true);
  v.setUint32(0x08, out.tags.length, true);
  v.setUint8(0x0c, out.validityBitmap);
  out.tags.forEach((t, i) => {
    const o = DC_LIST_TAGS_HEADER_SIZE + i * DC_TAG_ENTRY_SIZE;
    bytes.set(uuidToBytes(t.tag), o);
    v.setUint8(o + 0x10, t.flags);
    bytes.set(encodeBitmap(t.hosts, HOST_BITMAP_BYTES), o + 0x14);
    bytes.set(encodeBitmap(t.pendingHosts, HOST_BITMAP_BYTES), o + 0x34);
  });
  return bytes;
}

export function decodeDcListTagsOut(bytes: Uint8Array): DcdResult<DcListTagsOut> {
  if (bytes.length < DC_LIST_TAGS_HEADER_SIZE) return fail(MBOX_RC.INVALID_PAYLOAD_LENGTH, `DC List Tags output: ${bytes.length} bytes`);
  const v = view(bytes);
  const n = v.getUint32(0x08, true);
  const need = DC_LIST_TAGS_HEADER_SIZE + n * DC_TAG_ENTRY_SIZE;
  if (bytes.length < need) return fail(MBOX_RC.INVALID_PAYLOAD_LENGTH, `DC List Tags output: ${bytes.length} bytes, need ${need}`);
  return ok({
    generation: v.getUint32(0x00, true),
    totalTags: v.getUint32(0x04, true),
    validityBitmap: v.getUint8(0x0c),
    tags: Array.from({ length: n }, (_, i): DcTagEntry => {
      const o = DC_LIST_TAGS_HEADER_SIZE + i * DC_TAG_ENTRY_SIZE;
      return {
        tag: uuidFromBytes(bytes, o),
        flags: v.getUint8(o + 0x10),
        hosts: decodeBitmap(bytes, o + 0x14, HOST_BITMAP_BYTES),
        pendingHosts: decodeBitmap(bytes, o + 0x34, HOST_BITMAP_BYTES),
      };
    }),
  });
}
