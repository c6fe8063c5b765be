/**
 * The log against a plain-array model through random appends (with and without the
 * `alsoDropped` prefix form), partial clears, wrong-handle clears and clear-all, with a capacity
 * large enough for the log's internal compaction (held records moved to the front) to run.
 */
import { DC_EVENT_TYPE, NULL_UUID, VirtualClock, type DcExtent } from "@dcd/core";
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { EventLog } from "./event-log.js";

const ext = (dpa: number): DcExtent => ({ dpa, len: 1, tag: NULL_UUID, sharedSeq: 0 });

interface ModelRecord {
  handle: number;
  dpa: number;
  more: boolean;
}

const op = fc.oneof(
  fc.record({ kind: fc.constant("append" as const), n: fc.integer({ min: 1, max: 700 }), cut: fc.integer({ min: 0, max: 700 }), lastMore: fc.boolean() }),
  fc.record({ kind: fc.constant("clear" as const), n: fc.integer({ min: 0, max: 900 }), wrong: fc.boolean() }),
  fc.record({ kind: fc.constant("clearAll" as const) }),
);

describe("EventLog (model)", () => {
  test.prop([fc.array(op, { maxLength: 40 }), fc.integer({ min: 1, max: 3000 })], { numRuns: 120 })("holds, numbers and drops records as a plain FIFO would", (ops, capacity) => {
    const log = new EventLog(capacity, new VirtualClock(0));
    let held: ModelRecord[] = [];
    let next = 1;
    let overflow = 0;
    let dpa = 0;
    for (const o of ops) {
      if (o.kind === "append") {
        // `cut` extents passed, the rest announced as dropped (the FM-log form), or all passed.
        const passed = Math.min(o.n, o.cut === 0 ? o.n : o.cut);
        const extents = Array.from({ length: passed }, () => ext(dpa++));
        const r = log.appendExtents(DC_EVENT_TYPE.ADD_CAPACITY, extents, o.lastMore, 0, 0, 0, o.n - passed);
        dpa += o.n - passed;
        const room = Math.max(0, Math.min(passed, capacity - held.length));
        for (let i = 0; i < room; i++) {
          held.push({ handle: next, dpa: (extents[i] as DcExtent).dpa, more: i < o.n - 1 || o.lastMore });
          next = next === 0xffff ? 1 : next + 1;
        }
        overflow += o.n - room;
        expect(r.appended).toBe(room);
        expect(r.dropped).toBe(o.n - room);
      } else if (o.kind === "clear") {
        const n = Math.min(o.n, held.length);
        const handles = held.slice(0, n).map((r) => r.handle);
        if (o.wrong && n > 0) handles[n - 1] = (handles[n - 1] as number) + 1;
        const res = log.clear(handles);
        if (o.wrong && n > 0) {
          expect(res).toBe("handle-mismatch");
        } else {
          expect(res).toBe("cleared");
          held = held.slice(n);
          if (n > 0) overflow = 0;
        }
      } else {
        expect(log.clearAll()).toBe(held.length);
        if (held.length > 0) overflow = 0;
        held = [];
      }
      expect(log.length).toBe(held.length);
      expect(log.freeSlots).toBe(capacity - held.length);
      expect(log.overflowErrorCount).toBe(overflow);
    }
    const page = log.getRecords(held.length + 1);
    expect(page.records.map((r) => ({ handle: r.handle, dpa: r.extent.dpa, more: r.more }))).toEqual(held);
    expect(log.snapshot().records.map((r) => r.handle)).toEqual(held.map((r) => r.handle));
  });

  it("keeps the held records in order when a partly drained log moves them to the front", () => {
    const log = new EventLog(3000, new VirtualClock(0));
    log.appendExtents(DC_EVENT_TYPE.ADD_CAPACITY, Array.from({ length: 2000 }, (_, i) => ext(i)), false, 0, 0, 0);
    expect(log.clear(Array.from({ length: 1100 }, (_, i) => i + 1))).toBe("cleared");
    log.appendExtents(DC_EVENT_TYPE.ADD_CAPACITY, Array.from({ length: 300 }, (_, i) => ext(2000 + i)), false, 0, 0, 0);
    expect(log.clear([1101, 1102])).toBe("cleared");
    const records = log.getRecords(5000).records;
    expect(records.map((r) => r.handle)).toEqual(Array.from({ length: 1198 }, (_, i) => 1103 + i));
    expect(records.map((r) => r.extent.dpa)).toEqual(Array.from({ length: 1198 }, (_, i) => 1102 + i));
    expect(log.length).toBe(1198);
  });
});
