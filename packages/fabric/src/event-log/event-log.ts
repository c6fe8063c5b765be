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
   * Records held are `records[head .. end)`. Slots outside are `undefined`; the array keeps its
   * capacity when drained (a host that clears every batch would otherwise regrow it each time).
   */
  private records: (DcEventRecord | undefined)[] = [];
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
        if (this.overflowCount === 0) this.firstOverflowTimestamp = timestamp;
        this.overflowCount++;
        this.lastOverflowTimestamp = timestamp;
        continue;
      }
      const handle = this.nextHandle;
      this.nextHandle = this.nextHandle === 0xffff ? 1 : this.nextHandle + 1;
      // An explicit literal (not a spread) keeps one object shape for every record.
      this.put({
        eventType: body.eventType,
        validityFlags: body.validityFlags,
        hostId: body.hostId,
        updatedRegionIndex: body.updatedRegionIndex,
        more: body.more,
        extent: body.extent,
        numAvailExtents: body.numAvailExtents,
        numAvailTags: body.numAvailTags,
        headerFlags: 0, // severity 00b: informational (Table 8-229)
        handle,
        relatedHandle: 0,
        timestamp,
        maintOpClass: 0,
        maintOpSubClass: 0,
        ldId: 0,
        headId: 0,
      });
      if (firstHandle === 0) firstHandle = handle;
      lastHandle = handle;
      appended++;
    }
    if (alsoDropped > 0) {
      if (this.overflowCount === 0) this.firstOverflowTimestamp = timestamp;
      this.overflowCount += alsoDropped;
      this.lastOverflowTimestamp = timestamp;
    }
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
      this.put({
        eventType,
        validityFlags,
        hostId,
        updatedRegionIndex: 0,
        more: i < total - 1 || lastMore,
        extent: extents[i] as DcExtent,
        numAvailExtents,
        numAvailTags,
        headerFlags: 0,
        handle,
        relatedHandle: 0,
        timestamp,
        maintOpClass: 0,
        maintOpSubClass: 0,
        ldId: 0,
        headId: 0,
      });
    }
    const dropped = total - room;
    if (dropped > 0) {
      if (this.overflowCount === 0) this.firstOverflowTimestamp = timestamp;
      this.overflowCount += dropped;
      this.lastOverflowTimestamp = timestamp;
    }
    return { appended: room, dropped, firstHandle, lastHandle };
  }

  /** Up to `max` oldest records, without removing them (Get Event Records). */
  getRecords(max: number): EventRecordsPage {
    const n = Math.max(0, Math.min(max, this.length));
    const records = this.records.slice(this.head, this.head + n) as DcEventRecord[];
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
   * Clear the oldest records named by `handles`, which must be exactly the oldest ones in order
   * (CXL r3.1 §8.2.9.2.3). Checked first, so a mismatch clears nothing. Handles beyond the
   * records held are ignored, as QEMU does.
   */
  clear(handles: readonly number[]): ClearResult {
    const n = Math.min(handles.length, this.length);
    for (let i = 0; i < n; i++) {
      const h = handles[i] as number;
      if (h === 0 || (this.records[this.head + i] as DcEventRecord).handle !== h) return "handle-mismatch";
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
      records: this.records.slice(this.head, this.end) as DcEventRecord[],
    };
  }

  private put(r: DcEventRecord): void {
    if (this.end === this.records.length) this.records.push(r);
    else this.records[this.end] = r;
    this.end++;
  }

  private dropHead(n: number): void {
    if (n === 0) return;
    const records = this.records;
    for (let i = this.head; i < this.head + n; i++) records[i] = undefined;
    this.head += n;
    // QEMU resets the overflow state whenever it deletes a record.
    this.overflowCount = 0;
    this.firstOverflowTimestamp = 0;
    this.lastOverflowTimestamp = 0;
    if (this.head === this.end) {
      this.head = 0;
      this.end = 0;
    } else if (this.head > 1024 && this.head * 2 > this.end) {
      // Move the held records to the front so the array does not grow without bound.
      const held = this.end - this.head;
      records.copyWithin(0, this.head, this.end);
      records.fill(undefined, held, this.end);
      this.head = 0;
      this.end = held;
    }
  }

  private timestampNs(): number {
    return Math.round(this.clock.now() * 1e6);
  }
}
