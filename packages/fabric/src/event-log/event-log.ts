/**
 * One bounded event log (the Dynamic Capacity log of one logical device, or the FM's view).
 * Behaves like QEMU's `cxl-events.c`: handles are u16 from 1 and skip 0 on wrap; a full log
 * drops the new record and counts it (overflow count, first and last overflow timestamps);
 * clearing any record resets the overflow state; Clear Event Records must name the oldest
 * records in order, or nothing is cleared.
 */
import type { Clock } from "@dcd/core";
import type { EventRecordsPage } from "@dcd/core";
import type { DcExtent } from "../device/types.js";
import { DC_EVENT_VALID_COUNTERS, type DcEventBody, type DcEventRecord, type DcEventType } from "@dcd/core";
import { EVENT_RECORD_LENGTH, GET_EVENT_RECORDS_HEADER, view, writeDcEventRecordParts, writeGetEventRecordsHeader } from "@dcd/core";

/** Default depth of a DC event log, as QEMU (`CXL_TEST_EVENT_OVERFLOW`). */
export const DEFAULT_EVENT_LOG_CAPACITY = 8;

/** Result of an append: how many records went in and how many were dropped for lack of room. */
export interface AppendResult {
  readonly appended: number;
  readonly dropped: number;
  /** First and last handle written (0 when nothing was written). */
  readonly firstHandle: number;
  readonly lastHandle: number;
}

/** Outcome of Clear Event Records. */
export type ClearResult = "cleared" | "handle-mismatch";

export interface EventLogSnapshot {
  readonly capacity: number;
  readonly nextHandle: number;
  readonly overflowCount: number;
  readonly firstOverflowTimestamp: number;
  readonly lastOverflowTimestamp: number;
  readonly records: readonly DcEventRecord[];
}

export class EventLog {
  /**
   * Records held are slots `[head, end)` of parallel columns: one slot per record, no object per
   * record (the DC log takes one record per offered or released extent, and the host reads them
   * as bytes). A record's other header fields are zero. `getRecords`/`snapshot` build the record
   * objects on demand; `encodeRecords` writes the 0100h output straight from the columns. The
   * columns keep their length when drained (a host that clears every batch would otherwise
   * regrow them each time); slots outside `[head, end)` hold stale values.
   */
  private readonly eventTypes: DcEventType[] = [];
  private readonly validity: number[] = [];
  private readonly hostIds: number[] = [];
  private readonly regionIndexes: number[] = [];
  private readonly mores: boolean[] = [];
  private readonly extents: (DcExtent | undefined)[] = [];
  private readonly availExtents: number[] = [];
  private readonly availTags: number[] = [];
  private readonly handles: number[] = [];
  private readonly timestamps: number[] = [];
  private head = 0;
  private end = 0;
  private nextHandle = 1;
  private overflowCount = 0;
  private firstOverflowTimestamp = 0;
  private lastOverflowTimestamp = 0;

  constructor(
    readonly capacity: number,
    private readonly clock: Clock,
  ) {}

  /** Records currently held. */
  get length(): number {
    return this.end - this.head;
  }

  get freeSlots(): number {
    return Math.max(0, this.capacity - this.length);
  }

  get overflowed(): boolean {
    return this.overflowCount > 0;
  }

  get overflowErrorCount(): number {
    return this.overflowCount;
  }

  /**
   * Append records in order; those that do not fit are dropped and counted as overflow.
   * `alsoDropped` counts further records the caller did not build because they could not fit.
   */
  append(bodies: readonly DcEventBody[], alsoDropped = 0): AppendResult {
    const timestamp = this.timestampNs();
    let appended = 0;
    let firstHandle = 0;
    let lastHandle = 0;
    for (const body of bodies) {
      if (this.end - this.head >= this.capacity) {
        this.addOverflow(1, timestamp);
        continue;
      }
      const handle = this.nextHandle;
      this.nextHandle = this.nextHandle === 0xffff ? 1 : this.nextHandle + 1;
      this.put(body.eventType, body.validityFlags, body.hostId, body.updatedRegionIndex, body.more, body.extent, body.numAvailExtents, body.numAvailTags, handle, timestamp);
      if (firstHandle === 0) firstHandle = handle;
      lastHandle = handle;
      appended++;
    }
    if (alsoDropped > 0) this.addOverflow(alsoDropped, timestamp);
    return { appended, dropped: bodies.length - appended + alsoDropped, firstHandle, lastHandle };
  }

  /**
   * One record per extent (one event: More on all but the last unless `lastMore`), built
   * directly as records: the per-extent hot path of adds and releases. `alsoDropped` counts
   * further extents of the same event, after `extents`, that the caller did not pass because
   * they could not fit: they are dropped and counted, and the passed ones carry More.
   */
  appendExtents(eventType: DcEventType, extents: readonly DcExtent[], lastMore: boolean, hostId: number, numAvailExtents: number, numAvailTags: number, alsoDropped = 0): AppendResult {
    const timestamp = this.timestampNs();
    // Read once, not per record: under vitest's module runner an imported binding is a getter.
    const validityFlags = DC_EVENT_VALID_COUNTERS;
    const room = Math.max(0, Math.min(extents.length, this.capacity - this.length));
    const total = extents.length + alsoDropped;
    const firstHandle = room > 0 ? this.nextHandle : 0;
    let lastHandle = 0;
    for (let i = 0; i < room; i++) {
      const handle = this.nextHandle;
      this.nextHandle = this.nextHandle === 0xffff ? 1 : this.nextHandle + 1;
      lastHandle = handle;
      this.put(eventType, validityFlags, hostId, 0, i < total - 1 || lastMore, extents[i] as DcExtent, numAvailExtents, numAvailTags, handle, timestamp);
    }
    const dropped = total - room;
    if (dropped > 0) this.addOverflow(dropped, timestamp);
    return { appended: room, dropped, firstHandle, lastHandle };
  }

  /**
   * Count `n` records that did not fit as overflow, as `appendExtents` does for what it cannot
   * write (a full FM log on every response and release): same state, no result object.
   */
  countOverflow(n: number): void {
    if (n <= 0) return;
    this.addOverflow(n, this.timestampNs());
  }

  /** Count `n` (> 0) dropped records at `timestamp`: the first overflow also starts the window. */
  private addOverflow(n: number, timestamp: number): void {
    if (this.overflowCount === 0) this.firstOverflowTimestamp = timestamp;
    this.overflowCount += n;
    this.lastOverflowTimestamp = timestamp;
  }

  /** Up to `max` oldest records, without removing them (Get Event Records). */
  getRecords(max: number): EventRecordsPage {
    const n = Math.max(0, Math.min(max, this.length));
    const records = new Array<DcEventRecord>(n);
    for (let k = 0; k < n; k++) records[k] = this.recordAt(this.head + k);
    return {
      overflow: this.overflowCount > 0,
      moreRecords: this.length > n,
      overflowErrorCount: this.overflowCount,
      firstOverflowTimestamp: this.firstOverflowTimestamp,
      lastOverflowTimestamp: this.lastOverflowTimestamp,
      records,
    };
  }

  /**
   * `getRecords(max)` as the exact 0100h output bytes (`encodeGetEventRecordsOut` of that page),
   * written from the columns: no record object per record.
   */
  encodeRecords(max: number): Uint8Array {
    const n = Math.max(0, Math.min(max, this.length));
    const bytes = new Uint8Array(GET_EVENT_RECORDS_HEADER + n * EVENT_RECORD_LENGTH);
    const v = view(bytes);
    writeGetEventRecordsHeader(v, bytes, this.overflowCount > 0, this.length > n, this.overflowCount, this.firstOverflowTimestamp, this.lastOverflowTimestamp, n);
    // Imports read once, not per record (under vitest's module runner each read is a getter).
    const write = writeDcEventRecordParts;
    const size = EVENT_RECORD_LENGTH;
    let off = GET_EVENT_RECORDS_HEADER;
    for (let i = this.head; i < this.head + n; i++) {
      write(v, bytes, off, this.eventTypes[i] as DcEventType, this.validity[i] as number, this.hostIds[i] as number, this.regionIndexes[i] as number, this.mores[i] as boolean, this.extents[i] as DcExtent, this.availExtents[i] as number, this.availTags[i] as number, this.handles[i] as number, this.timestamps[i] as number);
      off += size;
    }
    return bytes;
  }

  /**
   * Clear the oldest records named by `handles`, which must be exactly the oldest ones in order
   * (CXL r3.1 §8.2.9.2.3). Checked first, so a mismatch clears nothing. Handles beyond the
   * records held are ignored, as QEMU does.
   */
  clear(handles: readonly number[]): ClearResult {
    const n = Math.min(handles.length, this.length);
    for (let i = 0; i < n; i++) {
      const h = handles[i] as number;
      if (h === 0 || this.handles[this.head + i] !== h) return "handle-mismatch";
    }
    this.dropHead(n);
    return "cleared";
  }

  /** Clear every record (Clear Event Records with the Clear All flag). Returns how many. */
  clearAll(): number {
    const n = this.length;
    this.dropHead(n);
    return n;
  }

  snapshot(): EventLogSnapshot {
    return {
      capacity: this.capacity,
      nextHandle: this.nextHandle,
      overflowCount: this.overflowCount,
      firstOverflowTimestamp: this.firstOverflowTimestamp,
      lastOverflowTimestamp: this.lastOverflowTimestamp,
      records: this.getRecords(this.length).records,
    };
  }

  /** The record in slot `i` as an object (header fields the log does not set are zero). */
  private recordAt(i: number): DcEventRecord {
    return {
      eventType: this.eventTypes[i] as DcEventType,
      validityFlags: this.validity[i] as number,
      hostId: this.hostIds[i] as number,
      updatedRegionIndex: this.regionIndexes[i] as number,
      more: this.mores[i] as boolean,
      extent: this.extents[i] as DcExtent,
      numAvailExtents: this.availExtents[i] as number,
      numAvailTags: this.availTags[i] as number,
      headerFlags: 0, // severity 00b: informational (Table 8-229)
      handle: this.handles[i] as number,
      relatedHandle: 0,
      timestamp: this.timestamps[i] as number,
      maintOpClass: 0,
      maintOpSubClass: 0,
      ldId: 0,
      headId: 0,
    };
  }

  private put(eventType: DcEventType, validityFlags: number, hostId: number, updatedRegionIndex: number, more: boolean, extent: DcExtent, numAvailExtents: number, numAvailTags: number, handle: number, timestamp: number): void {
    const i = this.end;
    if (i === this.handles.length) {
      this.eventTypes.push(eventType);
      this.validity.push(validityFlags);
      this.hostIds.push(hostId);
      this.regionIndexes.push(updatedRegionIndex);
      this.mores.push(more);
      this.extents.push(extent);
      this.availExtents.push(numAvailExtents);
      this.availTags.push(numAvailTags);
      this.handles.push(handle);
      this.timestamps.push(timestamp);
    } else {
      this.eventTypes[i] = eventType;
      this.validity[i] = validityFlags;
      this.hostIds[i] = hostId;
      this.regionIndexes[i] = updatedRegionIndex;
      this.mores[i] = more;
      this.extents[i] = extent;
      this.availExtents[i] = numAvailExtents;
      this.availTags[i] = numAvailTags;
      this.handles[i] = handle;
      this.timestamps[i] = timestamp;
    }
    this.end++;
  }

  private dropHead(n: number): void {
    if (n === 0) return;
    // The extent objects are the only references a cleared slot would keep alive.
    this.extents.fill(undefined, this.head, this.head + n);
    this.head += n;
    // QEMU resets the overflow state whenever it deletes a record.
    this.overflowCount = 0;
    this.firstOverflowTimestamp = 0;
    this.lastOverflowTimestamp = 0;
    if (this.head === this.end) {
      this.head = 0;
      this.end = 0;
    } else if (this.head > 1024 && this.head * 2 > this.end) {
      // Move the held records to the front so the columns do not grow without bound.
      const held = this.end - this.head;
      for (const column of [this.eventTypes, this.validity, this.hostIds, this.regionIndexes, this.mores, this.extents, this.availExtents, this.availTags, this.handles, this.timestamps] as unknown[][]) {
        column.copyWithin(0, this.head, this.end);
      }
      this.extents.fill(undefined, held, this.end);
      this.head = 0;
      this.end = held;
    }
  }

  private timestampNs(): number {
    return Math.round(this.clock.now() * 1e6);
  }
}
