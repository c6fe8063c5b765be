/**
 * Properties of direct extent hot-plug over random add / use / release sequences:
 * - accounting balances (online + offline blocks = plugged capacity; no block in two groups) and the
 *   device's accepted extents are exactly the hot-plugged ones;
 * - nothing is released while a page in it is unmovable or pinned;
 * - a failed offline leaves every block exactly as it was.
 */
import { fc, test } from "@fast-check/vitest";
import { useLeakCheck } from "@dcd/testing";
import { describe, expect } from "vitest";
import { acceptedOffsets, checkAccounting, dcRegion, fmRelease, MIB, offer, sysramHost, sysramOf, WINDOW_BASE, writeErr } from "./test-support/sysram-host.js";

type Op =
  | { readonly kind: "add"; readonly slot: number; readonly blocks: number; readonly tagged: boolean }
  | { readonly kind: "use"; readonly pick: number; readonly block: number; readonly page: "movable" | "unmovable" | "pinned"; readonly pages: number }
  | { readonly kind: "release"; readonly pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("add" as const), slot: fc.integer({ min: 0, max: 15 }), blocks: fc.integer({ min: 1, max: 2 }), tagged: fc.boolean() }),
  fc.record({ kind: fc.constant("use" as const), pick: fc.nat(), block: fc.nat(), page: fc.constantFrom("movable" as const, "unmovable" as const, "pinned" as const), pages: fc.integer({ min: 1, max: 512 }) }),
  fc.record({ kind: fc.constant("release" as const), pick: fc.nat() }),
);

const SLOT = 256 * MIB;
const tagOf = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;

describe("sysram properties", () => {
  useLeakCheck();

  test.prop([fc.constantFrom("online_movable", "online_kernel"), fc.array(opArb, { minLength: 1, maxLength: 14 })], { numRuns: 12 })(
    "accounting balances, in-use memory is never released, failed offlines change nothing",
    async (onlineType, ops) => {
      const h = await sysramHost();
      try {
        const region = await dcRegion(h);
        const sysram = sysramOf(region);
        expect(writeErr(h.sysfs, `/sys/bus/cxl/devices/sysram_region${region.id}/online_type`, onlineType)).toBeUndefined();
        const used = new Set<number>();
        let tags = 0;
        for (const op of ops) {
          const groups = sysram.groups();
          if (op.kind === "add") {
            if (used.has(op.slot)) continue;
            used.add(op.slot);
            const tag = op.tagged ? tagOf(++tags) : undefined;
            expect(offer(h, [{ offset: op.slot * SLOT, len: op.blocks * 128 * MIB, ...(tag === undefined ? {} : { tag }) }])).toBe(0);
            await h.idle();
          } else if (op.kind === "use") {
            const g = groups[op.pick % Math.max(1, groups.length)];
            if (g === undefined) continue;
            const block = g.blocks[op.block % g.blocks.length] as number;
            const info = h.mm.block(block);
            if (info?.state !== "online") continue;
            const kind = op.page === "unmovable" && info.zone === "Movable" ? "pinned" : op.page;
            if (info.pages.free < op.pages) continue;
            if (kind === "pinned") {
              h.mm.workload.allocate(block, op.pages, "movable");
              h.mm.workload.pin(block, op.pages);
            } else h.mm.workload.allocate(block, op.pages, kind);
          } else {
            const g = groups[op.pick % Math.max(1, groups.length)];
            if (g === undefined) continue;
            // Busy: unmovable or pinned pages, or the memmap of another hot-plugged block that the
            // kernel placed in this one (online_kernel puts new blocks in ZONE_NORMAL, where later
            // hot-adds allocate their memmap: the reason online_movable is the advice for removable memory).
            const busy = g.blocks.some((b) => {
              const p = h.mm.block(b)?.pages;
              return p !== undefined && p.unmovable + p.pinned + p.memmapHosted > 0;
            });
            const before = h.mm.snapshot().blocks.filter((b) => g.blocks.includes(b.id));
            const first = g.ranges[0] as { start: number; size: number };
            expect(fmRelease(h, g.tagged ? [] : g.ranges.map((r) => ({ offset: r.start - WINDOW_BASE, len: r.size })), g.tagged ? g.tag : undefined)).toBe(0);
            await h.idle();
            const still = sysram.groups().some((x) => x.key === g.key);
            expect(still).toBe(busy);
            if (busy) {
              expect(h.mm.snapshot().blocks.filter((b) => g.blocks.includes(b.id))).toEqual(before);
              expect(acceptedOffsets(h)).toContain(first.start - WINDOW_BASE);
            } else {
              for (const b of g.blocks) expect(h.mm.block(b)).toBeUndefined();
            }
          }
          checkAccounting(h, [sysram]);
          const held = sysram
            .groups()
            .flatMap((g) => g.ranges.map((r) => r.start - WINDOW_BASE))
            .sort((a, b) => a - b);
          expect(acceptedOffsets(h)).toEqual(held);
        }
      } finally {
        await h.dispose();
      }
    },
    60_000,
  );
});
