/**
 * The layout 5604h and 5605h share: host_id u16 @00h, a policy/flags byte @02h, a byte @03h
 * (5604h: region number; 5605h: reserved), length u64 @04h, tag[16] @0Ch, ext_count u32 @1Ch,
 * then ext_count 28h-byte DC extents (absolute DPA) from @20h.
 */
import { NULL_UUID, uuidFromBytes, uuidToBytes } from "@dcd/core";
import type { DcExtent } from "../../device/types.js";
import { readU64, view, writeU64 } from "@dcd/core";
import { DC_EXTENT_SIZE, readDcExtent, writeDcExtent } from "@dcd/core";
import { fail, MBOX_RC, ok, type DcdResult } from "@dcd/core";

export const CAPACITY_REQUEST_HEADER_SIZE = 0x20;

/** The fields of the shared layout, bytes @02h and @03h raw. */
export interface CapacityRequestFields {
  readonly hostId: number;
  readonly byte2: number;
  readonly byte3: number;
  readonly length: number;
  readonly tag: string;
  readonly extents: readonly DcExtent[];
}

export function encodeCapacityRequest(f: CapacityRequestFields): Uint8Array {
  const bytes = new Uint8Array(CAPACITY_REQUEST_HEADER_SIZE + f.extents.length * DC_EXTENT_SIZE);
  const v = view(bytes);
  v.setUint16(0x00, f.hostId, true);
  v.setUint8(0x02, f.byte2);
  v.setUint8(0x03, f.byte3);
  writeU64(v, 0x04, f.length);
  if (f.tag !== NULL_UUID) bytes.set(uuidToBytes(f.tag), 0x0c);
  v.setUint32(0x1c, f.extents.length, true);
  f.extents.forEach((e, i) => {
    writeDcExtent(v, bytes, CAPACITY_REQUEST_HEADER_SIZE + i * DC_EXTENT_SIZE, e);
  });
  return bytes;
}

/**
 * Decode the shared layout. The payload must hold the header and exactly `ext_count` extents;
 * anything else is INVALID_PAYLOAD_LENGTH (checked before any field is trusted).
 */
export function decodeCapacityRequest(bytes: Uint8Array, what: string): DcdResult<CapacityRequestFields> {
  if (bytes.length < CAPACITY_REQUEST_HEADER_SIZE) {
    return fail(MBOX_RC.INVALID_PAYLOAD_LENGTH, `${what}: input payload is ${bytes.length} bytes, the header alone is ${CAPACITY_REQUEST_HEADER_SIZE}`);
  }
  const v = view(bytes);
  const count = v.getUint32(0x1c, true);
  const need = CAPACITY_REQUEST_HEADER_SIZE + count * DC_EXTENT_SIZE;
  if (bytes.length !== need) {
    return fail(MBOX_RC.INVALID_PAYLOAD_LENGTH, `${what}: ext_count ${count} needs ${need} bytes of input, got ${bytes.length}`);
  }
  return ok({
    hostId: v.getUint16(0x00, true),
    byte2: v.getUint8(0x02),
    byte3: v.getUint8(0x03),
    length: readU64(v, 0x04),
    tag: uuidFromBytes(bytes, 0x0c),
    extents: Array.from({ length: count }, (_, i) => readDcExtent(v, bytes, CAPACITY_REQUEST_HEADER_SIZE + i * DC_EXTENT_SIZE)),
  });
}
