/**
 * Get Event Records (0100h) and Clear Event Records (0101h) payloads (CXL r3.1 §8.2.9.2.2-3).
 * Output header 20h bytes: flags @0 (bit0 overflow, bit1 more records), overflow error count
 * u16 @2, first/last overflow timestamps u64 @4/@0Ch, record count u16 @14h, records from @20h.
 */
import { DC_EVENT_FLAG_MORE, EVENT_RECORD_LENGTH, type DcEventRecord, type DcEventType } from "./dc-event.js";
import { readDcExtent } from "./dc-extent.js";
import type { DcExtent } from "./extent.js";
import { readU64, requireLength, view, writeU64 } from "./bytes.js";
import { checkDcEventUuid, type DcEventRecordHead, readDcEventRecord, writeDcEventRecord } from "./event-record.js";

export const GET_EVENT_RECORDS_HEADER = 0x20;
export const GET_EVENT_FLAG_OVERFLOW = 1 << 0;
export const GET_EVENT_FLAG_MORE_RECORDS = 1 << 1;
export const CLEAR_EVENT_RECORDS_HEADER = 6;
export const CLEAR_EVENT_FLAG_CLEAR_ALL = 1 << 0;

export interface GetEventRecordsIn {
  readonly logType: number;
}

export interface EventRecordsPage {
  readonly overflow: boolean;
  readonly moreRecords: boolean;
  readonly overflowErrorCount: number;
  readonly firstOverflowTimestamp: number;
  readonly lastOverflowTimestamp: number;
  readonly records: readonly DcEventRecord[];
}

export interface ClearEventRecordsIn {
  readonly logType: number;
  readonly clearAll: boolean;
  readonly handles: readonly number[];
}

export function encodeGetEventRecordsIn(i: GetEventRecordsIn): Uint8Array {
  return Uint8Array.of(i.logType & 0xff);
}

export function decodeGetEventRecordsIn(bytes: Uint8Array): GetEventRecordsIn {
  requireLength(bytes, 1, "0100h input");
  return { logType: bytes[0] as number };
}

/** The 20h-byte 0100h output header for `count` records (the records follow from 20h). */
export function writeGetEventRecordsHeader(v: DataView, bytes: Uint8Array, overflow: boolean, moreRecords: boolean, overflowErrorCount: number, firstOverflowTimestamp: number, lastOverflowTimestamp: number, count: number): void {
  bytes[0] = (overflow ? GET_EVENT_FLAG_OVERFLOW : 0) | (moreRecords ? GET_EVENT_FLAG_MORE_RECORDS : 0);
  v.setUint16(2, Math.min(overflowErrorCount, 0xffff), true);
  writeU64(v, 4, firstOverflowTimestamp);
  writeU64(v, 0x0c, lastOverflowTimestamp);
  v.setUint16(0x14, count, true);
}

export function encodeGetEventRecordsOut(p: EventRecordsPage): Uint8Array {
  const bytes = new Uint8Array(GET_EVENT_RECORDS_HEADER + p.records.length * EVENT_RECORD_LENGTH);
  const v = view(bytes);
  writeGetEventRecordsHeader(v, bytes, p.overflow, p.moreRecords, p.overflowErrorCount, p.firstOverflowTimestamp, p.lastOverflowTimestamp, p.records.length);
  p.records.forEach((r, i) => {
    writeDcEventRecord(v, bytes, GET_EVENT_RECORDS_HEADER + i * EVENT_RECORD_LENGTH, r);
  });
  return bytes;
}

export function decodeGetEventRecordsOut(bytes: Uint8Array): EventRecordsPage {
  requireLength(bytes, GET_EVENT_RECORDS_HEADER, "0100h output");
  const v = view(bytes);
  const n = v.getUint16(0x14, true);
  requireLength(bytes, GET_EVENT_RECORDS_HEADER + n * EVENT_RECORD_LENGTH, "0100h output");
  const records: DcEventRecord[] = [];
  for (let i = 0; i < n; i++) records.push(readDcEventRecord(v, bytes, GET_EVENT_RECORDS_HEADER + i * EVENT_RECORD_LENGTH));
  const flags = bytes[0] as number;
  return {
    overflow: (flags & GET_EVENT_FLAG_OVERFLOW) !== 0,
    moreRecords: (flags & GET_EVENT_FLAG_MORE_RECORDS) !== 0,
    overflowErrorCount: v.getUint16(2, true),
    firstOverflowTimestamp: readU64(v, 4),
    lastOverflowTimestamp: readU64(v, 0x0c),
    records,
  };
}

/**
 * {@link decodeGetEventRecordsOut} reading only what the host's DC event handler uses of each
 * record (handle, type, More, extent), with the same length and UUID checks.
 */
export function decodeGetEventRecordHeads(bytes: Uint8Array): DcEventRecordHead[] {
  // The columns decoder does the checks (in the same order) and reads the same fields.
  const c = decodeGetEventRecordColumns(bytes);
  const records = new Array<DcEventRecordHead>(c.count);
  for (let i = 0; i < c.count; i++) {
    records[i] = { handle: c.handles[i] as number, eventType: c.eventTypes[i] as DcEventType, more: c.mores[i] as boolean, extent: c.extents[i] as DcExtent };
  }
  return records;
}

/** {@link decodeGetEventRecordHeads} as columns, record k at index k of each: no object per record. */
export interface DcEventRecordColumns {
  readonly count: number;
  readonly handles: number[];
  readonly eventTypes: DcEventType[];
  readonly mores: boolean[];
  readonly extents: DcExtent[];
}

/** {@link decodeGetEventRecordHeads} into columns (same length and UUID checks, same values). */
export function decodeGetEventRecordColumns(bytes: Uint8Array): DcEventRecordColumns {
  requireLength(bytes, GET_EVENT_RECORDS_HEADER, "0100h output");
  const v = view(bytes);
  const n = v.getUint16(0x14, true);
  requireLength(bytes, GET_EVENT_RECORDS_HEADER + n * EVENT_RECORD_LENGTH, "0100h output");
  const handles = new Array<number>(n);
  const eventTypes = new Array<DcEventType>(n);
  const mores = new Array<boolean>(n);
  const extents = new Array<DcExtent>(n);
  // Imports read once, not per record (under vitest's module runner each read is a getter).
  const check = checkDcEventUuid;
  const extent = readDcExtent;
  let off = GET_EVENT_RECORDS_HEADER;
  for (let i = 0; i < n; i++) {
    check(v, bytes, off);
    handles[i] = v.getUint16(off + 0x14, true);
    eventTypes[i] = bytes[off + 0x30] as DcEventType;
    mores[i] = ((bytes[off + 0x35] as number) & DC_EVENT_FLAG_MORE) !== 0;
    extents[i] = extent(v, bytes, off + 0x38);
    off += EVENT_RECORD_LENGTH;
  }
  return { count: n, handles, eventTypes, mores, extents };
}

export function encodeClearEventRecordsIn(c: ClearEventRecordsIn): Uint8Array {
  const bytes = new Uint8Array(CLEAR_EVENT_RECORDS_HEADER + c.handles.length * 2);
  const v = view(bytes);
  bytes[0] = c.logType;
  bytes[1] = c.clearAll ? CLEAR_EVENT_FLAG_CLEAR_ALL : 0;
  bytes[2] = c.handles.length;
  c.handles.forEach((h, i) => {
    v.setUint16(CLEAR_EVENT_RECORDS_HEADER + i * 2, h, true);
  });
  return bytes;
}

/** Number of handles the header announces (the mailbox checks the length before decoding). */
export function clearEventRecordsCount(bytes: Uint8Array): number {
  requireLength(bytes, CLEAR_EVENT_RECORDS_HEADER, "0101h input");
  return bytes[2] as number;
}

export function decodeClearEventRecordsIn(bytes: Uint8Array): ClearEventRecordsIn {
  const n = clearEventRecordsCount(bytes);
  requireLength(bytes, CLEAR_EVENT_RECORDS_HEADER + n * 2, "0101h input");
  const v = view(bytes);
  const handles = new Array<number>(n);
  for (let i = 0; i < n; i++) handles[i] = v.getUint16(CLEAR_EVENT_RECORDS_HEADER + i * 2, true);
  return { logType: bytes[0] as number, clearAll: ((bytes[1] as number) & CLEAR_EVENT_FLAG_CLEAR_ALL) !== 0, handles };
}
