/**
 * Properties of the DAX pool under any sequence of claims, unclaims and releases:
 * `available_size` is always the bytes of unclaimed live resources, a resource has at most one
 * owner, a release is deferred exactly when a member is claimed, and a failed claim changes
 * nothing.
 */
import { fc, test } from "@fast-check/vitest";
import { DaxRegionPolicy, type DaxResource, type DaxResourceOwner, type ExtentGroup, NULL_UUID, type RegionExtent } from "@dcd/core";
import { useLeakCheck } from "@dcd/testing";
import { describe, expect } from "vitest";

const MIB = 1024 * 1024;
const TAGS = ["11111111-0000-0000-0000-000000000001", "11111111-0000-0000-0000-000000000002", "11111111-0000-0000-0000-000000000003"];

type Op = { kind: "claim"; tag: number } | { kind: "unclaim"; dev: number } | { kind: "release"; group: number; cause: "device" | "teardown" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("claim" as const), tag: fc.integer({ min: -1, max: TAGS.length }) }),
  fc.record({ kind: fc.constant("unclaim" as const), dev: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("release" as const), group: fc.integer({ min: 0, max: 4 }), cause: fc.constantFrom("device" as const, "teardown" as const) }),
);

describe("DaxRegionPolicy properties", () => {
  useLeakCheck();

  test.prop([fc.array(opArb, { minLength: 1, maxLength: 40 })], { numRuns: 150 })("available_size balances and a release is deferred exactly while claimed", (ops) => {
    const p = new DaxRegionPolicy("region0");
    let hpa = 0;
    const mk = (tag: string, n: number): ExtentGroup => {
      const extents: RegionExtent[] = [];
      for (let k = 0; k < n; k++) {
        extents.push({ dpa: hpa, length: 2 * MIB, hpa, offset: hpa, tag, seqNum: k, sharedSeq: 0, name: "" });
        hpa += 2 * MIB;
      }
      return { tag, tagged: tag !== NULL_UUID, sharable: false, region: "region0", memdev: "mem0", extents, existing: false };
    };
    const groups = [mk(NULL_UUID, 2), mk(NULL_UUID, 1), ...TAGS.map((t, i) => mk(t, i + 1))];
    for (const g of groups) p.accepted(g);
    const live = new Set(groups);
    const held: { owner: DaxResourceOwner; res: DaxResource[] }[] = [];
    for (let i = 0; i < 8; i++) {
      const slot = { owner: { name: `dax0.${i + 1}`, revoked: (r: DaxResource) => (slot.res = slot.res.filter((x) => x !== r)) }, res: [] as DaxResource[] };
      held.push(slot);
    }
    for (const op of ops) {
      if (op.kind === "claim") {
        const slot = held.find((h) => h.res.length === 0);
        if (slot === undefined) continue;
        const tag = op.tag === -1 || op.tag === TAGS.length ? NULL_UUID : (TAGS[op.tag] as string);
        const before = p.availableSize;
        try {
          slot.res = p.claim(tag, slot.owner);
        } catch (err) {
          expect((err as { code?: string }).code).toBe("ENOENT");
          expect(p.availableSize).toBe(before);
        }
      } else if (op.kind === "unclaim") {
        const slot = held[op.dev];
        if (slot === undefined) continue;
        p.unclaim(slot.res);
        slot.res = [];
      } else {
        const g = groups[op.group];
        if (g === undefined || !live.has(g)) continue;
        const claimed = held.some((h) => h.res.some((r) => r.group.view === g));
        const verdict = p.release(g, op.cause);
        expect(verdict.result).toBe(claimed && op.cause !== "teardown" ? "deferred" : "released");
        if (verdict.result === "released") live.delete(g);
      }
      const owned = held.flatMap((h) => h.res);
      expect(new Set(owned).size).toBe(owned.length);
      let free = 0;
      for (const g of live) free += g.extents.length * 2 * MIB;
      for (const r of owned) free -= r.size;
      expect(p.availableSize).toBe(free);
    }
  });
});
