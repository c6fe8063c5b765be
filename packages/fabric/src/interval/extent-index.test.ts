import { NULL_UUID, type DcExtent } from "@dcd/core";
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { ExtentIndex } from "./extent-index.js";
import { IntervalIndex } from "./interval-index.js";

const TAGS = [NULL_UUID, "5be13bce-ae34-4a77-b6c3-16df975fcf1a", "0f8e2c1a-3b4d-4e5f-8a9b-0c1d2e3f4a5b"];

function ext(dpa: number, len: number, t = 0, seq = 0): DcExtent {
  return { dpa, len, tag: TAGS[t % TAGS.length]!, sharedSeq: seq };
}

/** Apply the same operations to an ExtentIndex and to the object-per-entry IntervalIndex. */
class Pair {
  readonly x = new ExtentIndex();
  readonly ref = new IntervalIndex<DcExtent>();

  insert(e: DcExtent): void {
    if (this.ref.overlaps(e.dpa, e.len)) return;
    this.x.insert(e);
    this.ref.insert(e);
  }

  removeAt(dpa: number): void {
    const v = this.ref.startingAt(dpa);
    // As a Release DC does: the length at the start first (the head fast path when FIFO).
    expect(this.x.lengthAt(dpa)).toBe(v?.len ?? -1);
    expect(this.x.removeAt(dpa)).toBe(v !== undefined);
    if (v !== undefined) this.ref.remove(v);
  }

  check(qd: number, ql: number): void {
    const { x, ref } = this;
    expect(x.size).toBe(ref.size);
    expect(x.overlaps(qd, ql)).toBe(ref.overlaps(qd, ql));
    expect(x.covers(qd, ql)).toBe(ref.covers(qd, ql));
    expect(x.at(qd)).toEqual(ref.at(qd));
    expect(x.startingAt(qd)).toEqual(ref.startingAt(qd));
    expect(x.lengthAt(qd)).toBe(ref.startingAt(qd)?.len ?? -1);
    expect(x.containing(qd, ql)).toEqual(ref.containing(qd, ql));
    expect(x.overlapping(qd, ql)).toEqual(ref.overlapping(qd, ql));
    expect(x.coveringPieces(qd, ql)).toEqual(ref.coveringPieces(qd, ql));
  }

  checkAll(): void {
    this.x.assertValid();
    const all = this.ref.values();
    expect(this.x.values()).toEqual(all);
    for (const start of [0, 1, all.length >> 1, all.length - 1, all.length]) {
      const a: DcExtent[] = [];
      const b: DcExtent[] = [];
      this.x.forEachFrom(start, (e) => (a.push(e), a.length < 70));
      this.ref.forEachFrom(start, (e) => (b.push(e), b.length < 70));
      expect(a).toEqual(b);
    }
  }
}

describe("ExtentIndex", () => {
  it("appends, pages and drains in DPA order through many leaves and levels", () => {
    const p = new Pair();
    const n = 20_000;
    for (let i = 0; i < n; i++) p.insert(ext(i * 4, 4, i % 7 === 0 ? 1 : 0, i & 0xffff));
    p.checkAll();
    p.check(4 * 5000 + 2, 4 * 300);
    // FIFO release (the head fast path), then from the far end, then the middle.
    for (let i = 0; i < 5000; i++) p.removeAt(i * 4);
    for (let i = n - 1; i >= n - 5000; i--) p.removeAt(i * 4);
    p.checkAll();
    for (let i = 5000; i < n - 5000; i += 2) p.removeAt(i * 4);
    p.checkAll();
    for (let i = 5001; i < n - 5000; i += 2) p.removeAt(i * 4);
    expect(p.x.size).toBe(0);
    expect(p.x.values()).toEqual([]);
    expect(p.x.overlaps(0, 1e9)).toBe(false);
    // Reusable after draining.
    p.insert(ext(8, 4, 2, 3));
    p.checkAll();
  });

  it("splits extents the way releases do (remove, re-add the remainders)", () => {
    const p = new Pair();
    for (let i = 0; i < 3000; i++) p.insert(ext(i * 100, 100, i % 3));
    for (let i = 0; i < 3000; i += 3) {
      const e = p.ref.startingAt(i * 100)!;
      p.removeAt(e.dpa);
      p.insert({ ...e, len: 30 });
      p.insert({ ...e, dpa: e.dpa + 60, len: 40 });
    }
    p.checkAll();
    p.check(150, 10_000);
  });

  it("replaces an entry inserted twice at the same start, keeping the tag count right", () => {
    const x = new ExtentIndex();
    x.insert(ext(0, 10, 1));
    x.insert(ext(0, 20, 2, 5));
    expect(x.size).toBe(1);
    expect(x.values()).toEqual([ext(0, 20, 2, 5)]);
    expect(x.removeAt(0)).toBe(true);
    expect(x.removeAt(0)).toBe(false);
    x.insert(ext(0, 10, 1));
    expect(x.values()).toEqual([ext(0, 10, 1)]);
    x.clear();
    expect(x.size).toBe(0);
    expect(x.at(5)).toBeUndefined();
  });

  test.prop(
    [
      fc.array(
        fc.oneof(
          fc.record({ op: fc.constant("add" as const), dpa: fc.integer({ min: 0, max: 4000 }), len: fc.integer({ min: 1, max: 9 }), tag: fc.nat(2), seq: fc.nat(0xffff) }),
          fc.record({ op: fc.constant("run" as const), dpa: fc.integer({ min: 0, max: 4000 }), len: fc.integer({ min: 1, max: 4 }), count: fc.integer({ min: 1, max: 300 }) }),
          fc.record({ op: fc.constant("del" as const), dpa: fc.integer({ min: 0, max: 4000 }) }),
          fc.record({ op: fc.constant("delRun" as const), dpa: fc.integer({ min: 0, max: 4000 }), count: fc.integer({ min: 1, max: 300 }), reverse: fc.boolean() }),
        ),
        { maxLength: 60 },
      ),
      fc.integer({ min: 0, max: 4100 }),
      fc.integer({ min: 1, max: 200 }),
    ],
    { numRuns: 200 },
  )("agrees with IntervalIndex under random inserts, runs and deletes", (ops, qd, ql) => {
    const p = new Pair();
    for (const o of ops) {
      switch (o.op) {
        case "add":
          p.insert(ext(o.dpa, o.len, o.tag, o.seq));
          break;
        case "run":
          for (let i = 0; i < o.count; i++) p.insert(ext(o.dpa + i * o.len, o.len, i));
          break;
        case "del": {
          const v = p.ref.at(o.dpa);
          p.removeAt(v?.dpa ?? o.dpa);
          break;
        }
        case "delRun": {
          const vs = p.ref.overlapping(o.dpa, 1e9).slice(0, o.count);
          if (o.reverse) vs.reverse();
          for (const v of vs) p.removeAt(v.dpa);
          break;
        }
      }
    }
    p.check(qd, ql);
    p.checkAll();
  });

  it("its structure check catches a corrupted layout", () => {
    const x = new ExtentIndex();
    for (let i = 0; i < 200; i++) x.insert(ext(i * 4, 4));
    x.assertValid();
    // Swap two keys behind the index's back.
    const raw = x as unknown as { dpaOf: Float64Array };
    const a = raw.dpaOf[0]!;
    raw.dpaOf[0] = raw.dpaOf[1]!;
    raw.dpaOf[1] = a;
    expect(() => {
      x.assertValid();
    }).toThrow(/out of order/);
  });
});
