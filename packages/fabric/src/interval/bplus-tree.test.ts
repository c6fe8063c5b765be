import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { BPlusTree } from "./bplus-tree.js";

/** Keys in order, read through the leaf chain (proves the links survive splits and merges). */
function chainKeys(tree: BPlusTree<number>): number[] {
  const out: number[] = [];
  const c = tree.first();
  while (c.leaf !== null) {
    out.push(c.leaf.keys[c.pos]!);
    tree.advance(c);
  }
  return out;
}

describe("BPlusTree", () => {
  it("keeps keys ordered across many splits and answers floor/ceiling/at", () => {
    const t = new BPlusTree<number>();
    for (let i = 0; i < 5000; i++) t.set(((i * 7919) % 5000) * 2, i);
    expect(t.size).toBe(5000);
    const keys = chainKeys(t);
    expect(keys).toEqual(Array.from({ length: 5000 }, (_, i) => i * 2));
    const f = t.floor(101);
    expect(f.leaf!.keys[f.pos]).toBe(100);
    const c = t.ceiling(101);
    expect(c.leaf!.keys[c.pos]).toBe(102);
    expect(t.floor(-1).leaf).toBeNull();
    expect(t.ceiling(10_000).leaf).toBeNull();
    const a = t.at(1234);
    expect(a.leaf!.keys[a.pos]).toBe(2468);
    expect(t.at(5000).leaf).toBeNull();
  });

  it("shrinks back to empty when every key is deleted in either order", () => {
    for (const reverse of [false, true]) {
      const t = new BPlusTree<number>();
      for (let i = 0; i < 3000; i++) t.set(i, i);
      for (let i = 0; i < 3000; i++) expect(t.delete(reverse ? 2999 - i : i)).toBe(true);
      expect(t.size).toBe(0);
      expect(t.first().leaf).toBeNull();
      expect(t.delete(5)).toBe(false);
    }
  });

  it("walks backwards with retreat", () => {
    const t = new BPlusTree<number>();
    for (let i = 0; i < 300; i++) t.set(i, i);
    const c = t.floor(299);
    const seen: number[] = [];
    while (c.leaf !== null) {
      seen.push(c.leaf.keys[c.pos]!);
      t.retreat(c);
    }
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => 299 - i));
  });

  test.prop([fc.integer({ min: 1, max: 2 ** 31 - 1 })], { numRuns: 5 })("stays consistent through branch-level splits and merges", (seed) => {
    let x = seed;
    const rand = (n: number): number => {
      x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
      return x % n;
    };
    const t = new BPlusTree<number>();
    const model = new Set<number>();
    for (let i = 0; i < 30_000; i++) {
      const k = rand(12_000);
      // Insert-heavy first half, delete-heavy second half: grows to 3 levels, then shrinks.
      if (rand(100) < (i < 15_000 ? 80 : 15)) {
        t.set(k, k);
        model.add(k);
      } else {
        expect(t.delete(k)).toBe(model.delete(k));
      }
    }
    const sorted = [...model].sort((a, b) => a - b);
    expect(chainKeys(t)).toEqual(sorted);
    expect(t.size).toBe(sorted.length);
    for (let i = 0; i < sorted.length; i += 97) {
      const c = t.at(i);
      expect(c.leaf!.keys[c.pos]).toBe(sorted[i]);
    }
  });

  test.prop([fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 400 })), { maxLength: 1500 })])(
    "matches a sorted-set model under random inserts and deletes",
    (ops) => {
      const t = new BPlusTree<number>();
      const model = new Map<number, number>();
      ops.forEach(([ins, k], i) => {
        if (ins) {
          t.set(k, i);
          model.set(k, i);
        } else {
          expect(t.delete(k)).toBe(model.delete(k));
        }
      });
      const sorted = [...model.keys()].sort((a, b) => a - b);
      expect(t.size).toBe(sorted.length);
      expect(chainKeys(t)).toEqual(sorted);
      sorted.forEach((k, i) => {
        expect(t.get(k)).toBe(model.get(k));
        const c = t.at(i);
        expect(c.leaf!.keys[c.pos]).toBe(k);
      });
    },
  );
});
