import { NULL_UUID, VirtualClock } from "@dcd/core";
import { describe, expect, it } from "vitest";
import { DC_EVENT_TYPE, decodeGetEventRecordsOut, encodeGetEventRecordsOut, type DcEventBody } from "@dcd/core";
import { EventLog } from "./event-log.js";

const TAG = "5be13bce-ae34-4a77-b6c3-16df975fcf1a";

const body = (dpa: number, more = false): DcEventBody => ({
  eventType: DC_EVENT_TYPE.ADD_CAPACITY,
  validityFlags: 1,
  hostId: 0,
  updatedRegionIndex: 0,
  more,
  extent: { dpa, len: 0x200000, tag: NULL_UUID, sharedSeq: 0 },
  numAvailExtents: 0,
  numAvailTags: 0,
});

describe("EventLog", () => {
  it("numbers records from handle 1 and stamps them with the clock in ns", () => {
    const clock = new VirtualClock(5);
    const log = new EventLog(8, clock);
    log.append([body(0, true), body(1)]);
    const page = log.getRecords(10);
    expect(page.records.map((r) => [r.handle, r.timestamp, r.more, r.headerFlags])).toEqual([
      [1, 5_000_000, true, 0],
      [2, 5_000_000, false, 0],
    ]);
    expect(page.moreRecords).toBe(false);
    expect(log.getRecords(1).moreRecords).toBe(true);
  });

  it("drops records beyond its capacity and reports overflow until a record is cleared", () => {
    const clock = new VirtualClock(1);
    const log = new EventLog(2, clock);
    const r = log.append([body(0), body(1)]);
    expect(r).toMatchObject({ appended: 2, dropped: 0 });
    clock.advance(1);
    expect(log.append([body(2)])).toMatchObject({ appended: 0, dropped: 1 });
    clock.advance(1);
    log.append([body(3)], 2);
    const page = log.getRecords(8);
    expect(page).toMatchObject({ overflow: true, overflowErrorCount: 4, firstOverflowTimestamp: 2_000_000, lastOverflowTimestamp: 3_000_000 });
    expect(page.records.map((x) => x.extent.dpa)).toEqual([0, 1]);
    expect(log.clear([1])).toBe("cleared");
    expect(log.getRecords(8)).toMatchObject({ overflow: false, overflowErrorCount: 0 });
  });

  it("clears only the oldest records named in order, else nothing", () => {
    const log = new EventLog(8, new VirtualClock());
    log.append([body(0), body(1), body(2)]);
    const before = log.snapshot();
    expect(log.clear([2])).toBe("handle-mismatch");
    expect(log.clear([1, 3])).toBe("handle-mismatch");
    expect(log.clear([0])).toBe("handle-mismatch");
    expect(log.snapshot()).toEqual(before);
    expect(log.clear([1, 2])).toBe("cleared");
    expect(log.getRecords(8).records.map((x) => x.handle)).toEqual([3]);
    expect(log.clearAll()).toBe(1);
    expect(log.length).toBe(0);
  });

  it("encodes a page as the exact 0100h output of the records it holds", () => {
    const clock = new VirtualClock(3);
    const log = new EventLog(3, clock);
    log.append([body(0x80000000, true)]);
    log.appendExtents(DC_EVENT_TYPE.RELEASE_CAPACITY, [{ dpa: 0x80200000, len: 0x200000, tag: TAG, sharedSeq: 4 }], false, 2, 9, 5);
    clock.advance(1);
    log.appendExtents(DC_EVENT_TYPE.ADD_CAPACITY, [body(1).extent, body(2).extent], false, 0, 1, 1);
    for (const max of [0, 1, 3, 8]) expect(log.encodeRecords(max)).toEqual(encodeGetEventRecordsOut(log.getRecords(max)));
    expect(decodeGetEventRecordsOut(log.encodeRecords(8)).records.map((r) => [r.handle, r.extent.tag, r.more])).toEqual([
      [1, NULL_UUID, true],
      [2, TAG, false],
      [3, NULL_UUID, true],
    ]);
    expect(log.encodeRecords(8)[0]).toBe(0b01);
    expect(log.clear([1, 2])).toBe("cleared");
    expect(log.encodeRecords(8)).toEqual(encodeGetEventRecordsOut(log.getRecords(8)));
  });

  it("counts records that did not fit exactly as an append that drops them", () => {
    const clock = new VirtualClock(1);
    const counted = new EventLog(1, clock);
    const appended = new EventLog(1, clock);
    for (const log of [counted, appended]) log.append([body(0)]);
    clock.advance(2);
    counted.countOverflow(3);
    appended.appendExtents(DC_EVENT_TYPE.ADD_CAPACITY, [], false, 0, 0, 0, 3);
    counted.countOverflow(0);
    expect(counted.snapshot()).toEqual(appended.snapshot());
    expect(counted.snapshot()).toMatchObject({ overflowCount: 3, firstOverflowTimestamp: 3_000_000, lastOverflowTimestamp: 3_000_000 });
  });

  it("wraps handles past 0xFFFF to 1, never 0", () => {
    const log = new EventLog(1, new VirtualClock());
    for (let i = 0; i < 0xffff; i++) {
      log.append([body(i)]);
      log.clearAll();
    }
    log.append([body(1)]);
    expect(log.getRecords(1).records[0]!.handle).toBe(1);
  });
});
