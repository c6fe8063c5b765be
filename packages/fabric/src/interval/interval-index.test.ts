import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { IntervalIndex, type Interval } from "./interval-index.js";
import { firstOverlapIndex } from "./list-overlap.js";

function build(ranges: [number, number][]): IntervalIndex<Interval> {
  const ix = new IntervalIndex<Interval>();
  for (const [dpa, len] of ranges) ix.insert({ dpa, len });
  return ix;
}

describe("IntervalIndex", () => {
  const ix = build([
    [0, 10],
    [10, 10],
    [30, 5],
  ]);

  it("answers overlap, containment and coverage in DPA terms", () => {
    expect(ix.overlaps(19, 1)).toBe(true);
    expect(ix.overlaps(20, 10)).toBe(false);
    expect(ix.overlaps(25, 6)).toBe(true);
    expect(ix.overlaps(35, 100)).toBe(false);
    expect(ix.containing(12, 8)?.dpa).toBe(10);
    expect(ix.containing(5, 10)).toBeUndefined();
    expect(ix.covers(5, 15)).toBe(true); // spans two adjacent intervals
    expect(ix.covers(5, 16)).toBe(false);
    expect(ix.covers(29, 2)).toBe(false);
    expect(ix.at(34)?.dpa).toBe(30);
    expect(ix.at(35)).toBeUndefined();
    expect(ix.overlapping(9, 22).map((v) => v.dpa)).toEqual([0, 10, 30]);
    expect(ix.overlapping(20, 10)).toEqual([]);
  });

  it("pages with forEachFrom", () => {
    const seen: number[] = [];
    ix.forEachFrom(1, (v) => (seen.push(v.dpa), true));
    expect(seen).toEqual([10, 30]);
  });

  test.prop([fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 12 })), { maxLength: 60 }), fc.integer({ min: 0, max: 220 }), fc.integer({ min: 1, max: 40 })])(
    "agrees with a byte-set model",
    (cands, qd, ql) => {
      // Keep only candidates that do not overlap earlier kept ones.
      const bytes = new Set<number>();
      const ix = new IntervalIndex<Interval>();
      for (const [dpa, len] of cands) {
        let free = true;
        for (let b = dpa; b < dpa + len; b++) if (bytes.has(b)) free = false;
        if (!free) continue;
        for (let b = dpa; b < dpa + len; b++) bytes.add(b);
        ix.insert({ dpa, len });
      }
      let any = false;
      let all = true;
      for (let b = qd; b < qd + ql; b++) {
        if (bytes.has(b)) any = true;
        else all = false;
      }
      expect(ix.overlaps(qd, ql)).toBe(any);
      expect(ix.covers(qd, ql)).toBe(all);
      const touched = ix.values().filter((v) => v.dpa < qd + ql && v.dpa + v.len > qd);
      expect(ix.overlapping(qd, ql)).toEqual(touched);
    },
  );
});

describe("firstOverlapIndex", () => {
  it("finds the first entry touching an earlier one, in list order", () => {
    expect(firstOverlapIndex([{ dpa: 0, len: 4 }, { dpa: 4, len: 4 }])).toBe(-1);
    expect(firstOverlapIndex([{ dpa: 8, len: 4 }, { dpa: 0, len: 4 }, { dpa: 2, len: 1 }])).toBe(2);
    expect(firstOverlapIndex([{ dpa: 0, len: 4 }, { dpa: 0, len: 0 }, { dpa: 3, len: 2 }])).toBe(2);
  });

  test.prop([fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 8 })), { maxLength: 30 })])(
    "agrees with the quadratic definition",
    (list) => {
      const ranges = list.map(([dpa, len]) => ({ dpa, len }));
      let expected = -1;
      outer: for (let i = 0; i < ranges.length; i++) {
        for (let j = 0; j < i; j++) {
          const a = ranges[i]!;
          const b = ranges[j]!;
          if (a.len > 0 && b.len > 0 && a.dpa < b.dpa + b.len && b.dpa < a.dpa + a.len) {
            expected = i;
            break outer;
          }
        }
      }
      expect(firstOverlapIndex(ranges)).toBe(expected);
    },
  );
});
