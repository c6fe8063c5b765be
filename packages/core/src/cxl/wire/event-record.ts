/**
 * The 128-byte Dynamic Capacity event record: common header 00h-2Fh (uuid, length, flags,
 * handle, related handle, timestamp, maintenance class/subclass, LD-ID, head-ID), then the DC
 * body (CXL r3.1 Table 8-229; host-rules §1.3).
 */
import { errno, uuidFromBytes, uuidToBytes } from "@dcd/core";
import { DC_EVENT_FLAG_MORE, DC_EVENT_UUID, EVENT_RECORD_LENGTH, type DcEventRecord, type DcEventType } from "./dc-event.js";
import { readU64, requireLength, view, writeU64 } from "./bytes.js";
import { readDcExtent, writeDcExtent } from "./dc-extent.js";
import type { DcExtent } from "./extent.js";

const DC_UUID_BYTES = uuidToBytes(DC_EVENT_UUID);
/** The UUID as four little-endian u32 words: a record is checked and written with four accesses, not sixteen. */
const DC_UUID_WORDS = ((): readonly [number, number, number, number] => {
  const v = new DataView(DC_UUID_BYTES.buffer);
  return [v.getUint32(0, true), v.getUint32(4, true), v.getUint32(8, true), v.getUint32(12, true)];
})();
const [UUID_W0, UUID_W1, UUID_W2, UUID_W3] = DC_UUID_WORDS;

/** Write `r` into `bytes` at `offset` (128 bytes, which the caller has zeroed). */
export function writeDcEventRecord(v: DataView, bytes: Uint8Array, offset: number, r: DcEventRecord): void {
  writeDcEventRecordParts(v, bytes, offset, r.eventType, r.validityFlags, r.hostId, r.updatedRegionIndex, r.more, r.extent, r.numAvailExtents, r.numAvailTags, r.handle, r.timestamp);
  // The common header fields the parts writer leaves at zero.
  bytes[offset + 0x11] = r.headerFlags & 0xff;
  bytes[offset + 0x12] = (r.headerFlags >>> 8) & 0xff;
  bytes[offset + 0x13] = (r.headerFlags >>> 16) & 0xff;
  v.setUint16(offset + 0x16, r.relatedHandle, true);
  bytes[offset + 0x20] = r.maintOpClass;
  bytes[offset + 0x21] = r.maintOpSubClass;
  v.setUint16(offset + 0x22, r.ldId, true);
  bytes[offset + 0x24] = r.headId;
}

/**
 * A record the way an event log stores it, field by field (no record object), into zeroed
 * `bytes`: the common header fields a log leaves at zero (flags, related handle, maintenance
 * class/subclass, LD-ID, head-ID) stay zero. Same bytes as {@link writeDcEventRecord} for a
 * record with those fields 0.
 */
export function writeDcEventRecordParts(v: DataView, bytes: Uint8Array, offset: number, eventType: DcEventType, validityFlags: number, hostId: number, updatedRegionIndex: number, more: boolean, extent: DcExtent, numAvailExtents: number, numAvailTags: number, handle: number, timestamp: number): void {
  v.setUint32(offset, UUID_W0, true);
  v.setUint32(offset + 4, UUID_W1, true);
  v.setUint32(offset + 8, UUID_W2, true);
  v.setUint32(offset + 12, UUID_W3, true);
  bytes[offset + 0x10] = EVENT_RECORD_LENGTH;
  v.setUint16(offset + 0x14, handle, true);
  writeU64(v, offset + 0x18, timestamp);
  bytes[offset + 0x30] = eventType;
  bytes[offset + 0x31] = validityFlags;
  v.setUint16(offset + 0x32, hostId, true);
  bytes[offset + 0x34] = updatedRegionIndex;
  bytes[offset + 0x35] = more ? DC_EVENT_FLAG_MORE : 0;
  writeDcExtent(v, bytes, offset + 0x38, extent);
  v.setUint32(offset + 0x78, numAvailExtents, true);
  v.setUint32(offset + 0x7c, numAvailTags, true);
}

export function readDcEventRecord(v: DataView, bytes: Uint8Array, offset: number): DcEventRecord {
  // Compare the record UUID as bytes: the text is only needed for the error, and a record cut
  // short inside its UUID is refused with EINVAL like any other mismatch.
  for (let i = 0; i < 16; i++) {
    if (bytes[offset + i] !== DC_UUID_BYTES[i]) {
      throw errno("EINVAL", `event record at 0x${offset.toString(16)}: uuid ${uuidFromBytes(bytes, offset)} is not the Dynamic Capacity event uuid`);
    }
  }
  return {
    headerFlags: (bytes[offset + 0x11] as number) | ((bytes[offset + 0x12] as number) << 8) | ((bytes[offset + 0x13] as number) << 16),
    handle: v.getUint16(offset + 0x14, true),
    relatedHandle: v.getUint16(offset + 0x16, true),
    timestamp: readU64(v, offset + 0x18),
    maintOpClass: bytes[offset + 0x20] as number,
    maintOpSubClass: bytes[offset + 0x21] as number,
    ldId: v.getUint16(offset + 0x22, true),
    headId: bytes[offset + 0x24] as number,
    eventType: bytes[offset + 0x30] as DcEventType,
    validityFlags: bytes[offset + 0x31] as number,
    hostId: v.getUint16(offset + 0x32, true),
    updatedRegionIndex: bytes[offset + 0x34] as number,
    more: ((bytes[offset + 0x35] as number) & DC_EVENT_FLAG_MORE) !== 0,
    extent: readDcExtent(v, bytes, offset + 0x38),
    numAvailExtents: v.getUint32(offset + 0x78, true),
    numAvailTags: v.getUint32(offset + 0x7c, true),
  };
}

/** What the host's DC event handler reads of a record (R18): its handle, type, More and extent. */
export interface DcEventRecordHead {
  readonly handle: number;
  readonly eventType: DcEventType;
  readonly more: boolean;
  readonly extent: DcExtent;
}

/** EINVAL unless the record at `offset` (of `v`'s bytes) carries the Dynamic Capacity event UUID. */
export function checkDcEventUuid(v: DataView, bytes: Uint8Array, offset: number): void {
  if (v.getUint32(offset, true) !== UUID_W0 || v.getUint32(offset + 4, true) !== UUID_W1 || v.getUint32(offset + 8, true) !== UUID_W2 || v.getUint32(offset + 12, true) !== UUID_W3) {
    throw errno("EINVAL", `event record at 0x${offset.toString(16)}: uuid ${uuidFromBytes(bytes, offset)} is not the Dynamic Capacity event uuid`);
  }
}

/** {@link readDcEventRecord} for those four fields only (same checks): one small object per record. */
export function readDcEventRecordHead(v: DataView, bytes: Uint8Array, offset: number): DcEventRecordHead {
  checkDcEventUuid(v, bytes, offset);
  return {
    handle: v.getUint16(offset + 0x14, true),
    eventType: bytes[offset + 0x30] as DcEventType,
    more: ((bytes[offset + 0x35] as number) & DC_EVENT_FLAG_MORE) !== 0,
    extent: readDcExtent(v, bytes, offset + 0x38),
  };
}

export function encodeDcEventRecord(r: DcEventRecord): Uint8Array {
  const bytes = new Uint8Array(EVENT_RECORD_LENGTH);
  writeDcEventRecord(view(bytes), bytes, 0, r);
  return bytes;
}

export function decodeDcEventRecord(bytes: Uint8Array, offset = 0): DcEventRecord {
  requireLength(bytes, offset + EVENT_RECORD_LENGTH, "DC event record");
  return readDcEventRecord(view(bytes), bytes, offset);
}
