/** The pipeline's building blocks: host policy presets, the range index, the id allocator, coroutines. */
import { useLeakCheck } from "@dcd/testing";
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { NULL_UUID } from "../../uuid.js";
import { type Co, run, runAsync, wait } from "./co.js";
import { checkGroupSeq, groupChain } from "./gates.js";
import { HOST_POLICY_V10, HOST_POLICY_V11, HOST_POLICY_V9, hostPolicy } from "./host-policy.js";
import { IdTable } from "./id-table.js";
import { DcExtentRecord, TagGroupRecord, TargetState } from "./model.js";
import { LowestIdAllocator, SortedRangeIndex } from "./sorted-index.js";

const TAG = "5be13bce-ae34-4a77-b6c3-16df975fcf1a";

describe("extent pipeline building blocks", () => {
  useLeakCheck();

  it("host policy presets carry each series' switches (§9.1)", () => {
    expect(HOST_POLICY_V11).toMatchObject({ partitionModeName: "dynamic_ram_1", seqBase: 0, tagUniqueness: "host", chainTimeoutMs: 20_000, maxPendingExtents: 100, extentIdBase: 1, alignBytes: 2 * 1024 * 1024, releaseNoMatch: "einval-no-ack" });
    expect(HOST_POLICY_V10).toMatchObject({ partitionModeName: "dynamic_ram_a", seqBase: 1, tagUniqueness: "region", maxPendingExtents: null, extentIdBase: 0 });
    expect(HOST_POLICY_V9).toMatchObject({ tagsSupported: false, alignBytes: 0, tagUniqueness: "none", chainTimeoutMs: null, untaggedGrouping: "per-extent", releaseMatch: "overlap" });
    expect(hostPolicy("L11", { releaseNoMatch: "ack-return-0" }).releaseNoMatch).toBe("ack-return-0");
    expect(() => hostPolicy("L11", { alignBytes: 3 })).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => hostPolicy("L11", { maxPendingExtents: 0 })).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => hostPolicy("L11", { chainTimeoutMs: -1 })).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });

  it("R23: grouping keeps first-appearance order and arrival order within a non-sharable group", () => {
    const e = (dpa: number, tag = NULL_UUID, sharedSeq = 0) => ({ dpa, len: 1, tag, sharedSeq });
    const groups = groupChain([e(1), e(2, TAG, 1), e(3), e(4, TAG, 0)], () => "r0");
    expect(groups.map((g) => [g.tag, g.extents.map((x) => x.dpa)])).toEqual([
      [NULL_UUID, [1, 3]],
      [TAG, [4, 2]],
    ]);
  });

  it("R25: sequence checks name the first fault", () => {
    const e = (sharedSeq: number) => ({ dpa: 0, len: 1, tag: TAG, sharedSeq });
    expect(checkGroupSeq(TAG, [e(0), e(0)], HOST_POLICY_V11)).toBeUndefined();
    expect(checkGroupSeq(TAG, [e(0), e(1), e(2)], HOST_POLICY_V11)).toBeUndefined();
    expect(checkGroupSeq(TAG, [e(0), e(1), e(1)], HOST_POLICY_V11)).toMatch(/gap\/dup: expected 2 got 1/);
    expect(checkGroupSeq(TAG, [e(0), e(0), e(1)], HOST_POLICY_V11)).toMatch(/gap\/dup: expected 1 got 0/);
    expect(checkGroupSeq(TAG, [e(1), e(2)], HOST_POLICY_V10)).toBeUndefined();
  });

  test.prop([fc.uniqueArray(fc.integer({ min: 0, max: 5000 }), { maxLength: 3000 }), fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 50 })])(
    "the range index answers floor/higher/containing like a sorted array, through inserts and deletes",
    (starts, removals) => {
      const idx = new SortedRangeIndex<{ dpa: number; len: number }>();
      const live = new Map<number, { dpa: number; len: number }>();
      for (const s of starts) {
        const entry = { dpa: s * 10, len: 5 };
        idx.insert(entry);
        live.set(entry.dpa, entry);
      }
      for (const r of removals) {
        const entry = live.get(r * 10);
        if (entry !== undefined) {
          expect(idx.delete(entry)).toBe(true);
          live.delete(entry.dpa);
        }
      }
      const sorted = [...live.values()].sort((a, b) => a.dpa - b.dpa);
      expect([...idx.values()]).toEqual(sorted);
      expect(idx.size).toBe(sorted.length);
      expect(idx.last()).toBe(sorted[sorted.length - 1]);
      for (const q of [0, 7, 12345, 25003, 49999]) {
        const floor = [...sorted].reverse().find((x) => x.dpa <= q);
        expect(idx.floor(q)).toBe(floor);
        expect(idx.higher(q)).toBe(sorted.find((x) => x.dpa > q));
        expect(idx.containing(q, 1)).toBe(floor !== undefined && floor.dpa + floor.len >= q + 1 ? floor : undefined);
      }
    },
  );

  test.prop([fc.uniqueArray(fc.integer({ min: 0, max: 2000 }), { maxLength: 1500 }), fc.integer({ min: 0, max: 1500 }), fc.integer({ min: 0, max: 300 }), fc.boolean()])(
    "deleteAll removes exactly the given entries (runs in one splice, absent ones skipped), the rest stays ordered",
    (starts, from, count, reversed) => {
      const idx = new SortedRangeIndex<{ dpa: number; len: number }>();
      const entries = [...starts].sort((a, b) => a - b).map((s) => ({ dpa: s * 10, len: 5 }));
      // Ascending inserts take the append path (and split full chunks).
      for (const e of entries) idx.insert(e);
      expect([...idx.values()]).toEqual(entries);
      const gone = entries.slice(from, from + count);
      const batch = [...gone, { dpa: 7, len: 1 }];
      idx.deleteAll(reversed ? batch.reverse() : batch);
      const left = entries.filter((e) => !gone.includes(e));
      expect([...idx.values()]).toEqual(left);
      expect(idx.size).toBe(left.length);
      for (const e of gone) expect(idx.containing(e.dpa, e.len)).toBeUndefined();
    },
  );

  it("ids are allocated lowest free first, from the base", () => {
    const ids = new LowestIdAllocator(1);
    expect([ids.alloc(), ids.alloc(), ids.alloc(), ids.alloc()]).toEqual([1, 2, 3, 4]);
    ids.release(3);
    ids.release(1);
    expect([ids.alloc(), ids.alloc(), ids.alloc()]).toEqual([1, 3, 5]);
  });

  test.prop([fc.array(fc.oneof(fc.constant(-1), fc.nat(40)), { maxLength: 300 })])("the id allocator always hands out the lowest free id (also after every id was freed)", (ops) => {
    const ids = new LowestIdAllocator(1);
    const live = new Set<number>();
    for (const op of ops) {
      if (op === -1 || live.size === 0) {
        let lowest = 1;
        while (live.has(lowest)) lowest++;
        const id = ids.alloc();
        expect(id).toBe(lowest);
        live.add(id);
      } else {
        const id = [...live][op % live.size] as number;
        ids.release(id);
        live.delete(id);
      }
    }
  });

  it("the id table keeps records by id, in id order, and forgets freed ids", () => {
    const t = new IdTable<string>();
    t.set(3, "c");
    t.set(1, "a");
    t.set(2, "b");
    expect([...t.values()]).toEqual(["a", "b", "c"]);
    expect(t.size).toBe(3);
    expect(t.delete(2)).toBe(true);
    expect(t.delete(2)).toBe(false);
    expect(t.get(2)).toBeUndefined();
    expect(t.get(-1)).toBeUndefined();
    expect([...t.values()]).toEqual(["a", "c"]);
    t.delete(3);
    t.delete(1);
    expect(t.size).toBe(0);
    expect([...t.values()]).toEqual([]);
  });

  it("coroutines run synchronously until a promise, then resume; rejections are thrown into them", async () => {
    function* sync(): Co<number> {
      const a = yield* wait(1);
      const b = yield* wait(2);
      return a + b;
    }
    expect(run(sync())).toBe(3);
    function* mixed(): Co<string> {
      const a = yield* wait(Promise.resolve("x"));
      try {
        yield* wait(Promise.reject(new Error("boom")));
      } catch (err) {
        return `${a} caught ${(err as Error).message}`;
      }
      return "not reached";
    }
    const r = run(mixed());
    expect(r).toBeInstanceOf(Promise);
    await expect(r).resolves.toBe("x caught boom");
    function* failing(): Co<void> {
      yield* wait(undefined);
      throw new Error("sync failure");
    }
    expect(() => run(failing())).toThrow("sync failure");
    await expect(runAsync(failing())).rejects.toThrow("sync failure");
  });

  test.prop([fc.oneof(fc.maxSafeNat(), fc.nat(), fc.constantFrom(0, 2 ** 30 - 1, 2 ** 30, 2 ** 31, 2 ** 61 - 2 ** 30, 2 ** 61, 2 ** 63, 2 ** 64 - 2 ** 11, 4096.25, -4096, -(2 ** 62), Infinity)), fc.oneof(fc.maxSafeNat(), fc.constantFrom(1, 2 ** 21, 2 ** 40, 2 ** 62, 0.5, -1))])("a record keeps its DPA and length exactly, whatever their size (stored as two halves)", (dpa, len) => {
    const region = { name: "region0", regionName: "dax_region0", regionId: 0, hpaStart: 2 ** 40 };
    const target = new TargetState({ memdev: undefined as never, decoder: "decoder2.0", dpaStart: 0, dpaSize: 2 ** 62, hpaStart: 2 ** 40 }, region);
    const rec = new DcExtentRecord(dpa, len, 3, 4, new TagGroupRecord(NULL_UUID, false, region, "mem0", false), target);
    expect([rec.dpa, rec.len, rec.seqNum, rec.sharedSeq]).toEqual([dpa, len, 3, 4]);
    expect(rec.offset).toBe(dpa);
  });
});
