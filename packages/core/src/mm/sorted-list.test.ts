/** SortedList against a plain sorted array, with chunks small enough that splits and empty chunks happen. */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { SortedList } from "./sorted-list.js";

interface Item {
  readonly key: number;
  readonly id: number;
}

type Op = { readonly kind: "insert"; readonly key: number } | { readonly kind: "remove"; readonly pick: number } | { readonly kind: "remove-absent"; readonly key: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("insert" as const), key: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("remove-absent" as const), key: fc.integer({ min: 0, max: 40 }) }) },
);

describe("SortedList", () => {
  test.prop([fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 300 }), fc.integer({ min: 0, max: 41 })])(
    "keeps the order, the multiset and stable insertion order of equal keys, whatever the chunk size",
    (chunkSize, ops, probe) => {
      const list = new SortedList<Item>((t) => t.key, chunkSize);
      let model: Item[] = [];
      let next = 0;
      for (const o of ops) {
        if (o.kind === "insert") {
          const item = { key: o.key, id: next++ };
          list.insert(item);
          // After the items with the same key.
          const at = model.findIndex((t) => t.key > o.key);
          model.splice(at < 0 ? model.length : at, 0, item);
        } else if (o.kind === "remove") {
          if (model.length === 0) continue;
          const item = model[o.pick % model.length] as Item;
          expect(list.remove(item)).toBe(true);
          model = model.filter((t) => t !== item);
        } else {
          // Same key, different object: never removed.
          expect(list.remove({ key: o.key, id: -1 })).toBe(false);
        }
        expect(list.size).toBe(model.length);
      }
      expect([...list.values()]).toEqual(model);
      expect(list.first()).toBe(model[0]);
      expect(list.last()).toBe(model[model.length - 1]);
      expect(list.find((t) => t.key >= probe)).toBe(model.find((t) => t.key >= probe));
      expect([...list.from((t) => t.key >= probe)]).toEqual(model.filter((t) => t.key >= probe));
    },
  );
});
