/**
 * Random FM/host traffic against a byte-level model: after every step the accepted extents of
 * each host cover exactly the blocks the model says, never overlap, no block of the
 * non-sharable region belongs to two hosts, the extent count adds up, and every refused
 * command left the whole device unchanged.
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { DcdDevice } from "./device.js";
import { BASE, drain, MIB, specConfig } from "./test-support/fixtures.js";
import type { DpaRange } from "./types.js";

const BLOCK = 2 * MIB;
const BLOCKS = 24;
const blockRange = fc.tuple(fc.integer({ min: 0, max: BLOCKS - 1 }), fc.integer({ min: 1, max: 6 })).map(([b, n]): DpaRange => ({ dpa: BASE + b * BLOCK, len: Math.min(n, BLOCKS - b) * BLOCK }));
const host = fc.integer({ min: 0, max: 1 });
const op = fc.oneof(
  fc.record({ kind: fc.constant("offer" as const), host, ranges: fc.array(blockRange, { minLength: 1, maxLength: 3 }) }),
  fc.record({ kind: fc.constant("accept" as const), host, ranges: fc.array(blockRange, { maxLength: 3 }), more: fc.boolean() }),
  fc.record({ kind: fc.constant("release" as const), host, ranges: fc.array(blockRange, { maxLength: 3 }) }),
  fc.record({ kind: fc.constant("fm-release" as const), host, ranges: fc.array(blockRange, { minLength: 1, maxLength: 2 }), forced: fc.boolean() }),
);

function blocksOf(ranges: readonly DpaRange[]): Set<number> {
  const s = new Set<number>();
  for (const r of ranges) for (let b = (r.dpa - BASE) / BLOCK; b < (r.dpa - BASE + r.len) / BLOCK; b++) s.add(b);
  return s;
}

describe("bookkeeping", () => {
  test.prop([fc.array(op, { maxLength: 40 }), fc.integer({ min: 4, max: 40 })], { numRuns: 150 })("agrees with a block model and refusals change nothing", (ops, budget) => {
    const d = new DcdDevice(specConfig({ numHosts: 2, extentBudget: budget, partitions: [{ base: BASE, decodeLength: 256 * MIB, length: 256 * MIB, blockSize: BLOCK, dsmadHandle: 0 }] }));
    const model = [new Set<number>(), new Set<number>()];
    try {
      for (const o of ops) {
        const before = d.snapshot();
        const ld = d.logicalDevice(o.host);
        let rc: number;
        switch (o.kind) {
          case "offer":
            rc = d.initiateAdd({ hostId: o.host, selectionPolicy: "prescriptive", extents: o.ranges }).rc;
            drain(ld);
            break;
          case "accept":
            rc = ld.addCapacityResponse({ more: o.more, extents: o.ranges }).rc;
            if (rc === 0) for (const b of blocksOf(o.ranges)) model[o.host]!.add(b);
            break;
          case "release":
            rc = ld.releaseCapacity({ more: false, extents: o.ranges }).rc;
            if (rc === 0) for (const b of blocksOf(o.ranges)) model[o.host]!.delete(b);
            break;
          case "fm-release":
            rc = d.initiateRelease({ hostId: o.host, removalPolicy: "prescriptive", forcedRemoval: o.forced, extents: o.ranges }).rc;
            drain(ld);
            if (rc === 0 && o.forced) for (const b of blocksOf(o.ranges)) model[o.host]!.delete(b);
            break;
        }
        if (rc !== 0) expect(d.snapshot()).toEqual(before);
        let count = 0;
        for (const h of [0, 1]) {
          const acc = d.acceptedExtents(h);
          for (let i = 1; i < acc.length; i++) expect(acc[i]!.dpa).toBeGreaterThanOrEqual(acc[i - 1]!.dpa + acc[i - 1]!.len);
          expect([...blocksOf(acc)].sort((a, b) => a - b)).toEqual([...model[h]!].sort((a, b) => a - b));
          count += acc.length + d.pendingGroups(h).reduce((s, g) => s + g.extents.length, 0);
        }
        const owned0 = blocksOf([...d.acceptedExtents(0), ...d.pendingGroups(0).flatMap((g) => g.extents)]);
        for (const b of blocksOf([...d.acceptedExtents(1), ...d.pendingGroups(1).flatMap((g) => g.extents)])) expect(owned0.has(b)).toBe(false);
        expect(d.totalExtentCount).toBe(count);
        expect(count).toBeLessThanOrEqual(budget);
      }
    } finally {
      d.dispose();
    }
  });
});
