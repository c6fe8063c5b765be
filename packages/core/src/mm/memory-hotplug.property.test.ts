/**
 * Properties of the memory-hotplug model over random sequences of hotplug operations and workload
 * changes: accounting always balances, no block belongs to two ranges, pages in use are never lost
 * (so nothing in use is removed), and a failed offline leaves every block exactly as it was.
 */
import { fc, test } from "@fast-check/vitest";
import { useLeakCheck } from "@dcd/testing";
import { describe, expect } from "vitest";
import { isDcdError, type MemoryHotplug, type MemoryRange, type OnlineType, type PageKind } from "../index.js";
import { type MemoryHost, memoryHost, MiB, REGION_BASE, SMALL } from "./test-support/memory-host.js";

useLeakCheck();

const BS = 128 * MiB;
const WINDOW = 8;
const windows = { boot: 0, region: REGION_BASE / BS } as const;
type Window = keyof typeof windows;

/** A range in a window of 8 blocks, or (resolved when it runs) a whole plugged range or one existing block. */
type Target =
  | { readonly window: Window; readonly offset: number; readonly count: number }
  | { readonly existing: "resource" | "block"; readonly pick: number };

type Op =
  | { readonly op: "add"; readonly at: Target; readonly node: number; readonly onlineType: OnlineType; readonly memmapOnMemory: boolean; readonly private: boolean }
  | { readonly op: "online"; readonly at: Target; readonly onlineType: Exclude<OnlineType, "offline"> }
  | { readonly op: "offline" | "remove" | "offline-and-remove"; readonly at: Target }
  | { readonly op: "allocate" | "free"; readonly pick: number; readonly pages: number; readonly kind: PageKind }
  | { readonly op: "pin" | "unpin"; readonly pick: number; readonly pages: number };

const target = (): fc.Arbitrary<Target> =>
  fc.oneof(
    fc.record({
      window: fc.constantFrom<Window>("boot", "region", "region"),
      offset: fc.integer({ min: 0, max: WINDOW - 1 }),
      count: fc.integer({ min: 1, max: 4 }),
    }),
    fc.record({ existing: fc.constantFrom("resource" as const, "block" as const), pick: fc.nat() }),
  );
const pagesArb = fc.oneof(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 2000, max: 40_000 }));
const onlineTypeArb = fc.constantFrom<Exclude<OnlineType, "offline">>("online", "online_kernel", "online_movable");

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("add" as const), at: target(), node: fc.integer({ min: 1, max: 3 }), onlineType: fc.constantFrom<OnlineType>("offline", "online", "online_kernel", "online_movable"), memmapOnMemory: fc.boolean(), private: fc.boolean() }),
  fc.record({ op: fc.constant("online" as const), at: target(), onlineType: onlineTypeArb }),
  fc.record({ op: fc.constantFrom("offline" as const, "remove" as const, "offline-and-remove" as const), at: target() }),
  fc.record({ op: fc.constantFrom("allocate" as const, "free" as const), pick: fc.nat(), pages: pagesArb, kind: fc.constantFrom<PageKind>("movable", "movable", "unmovable", "pinned") }),
  fc.record({ op: fc.constantFrom("pin" as const, "unpin" as const), pick: fc.nat(), pages: pagesArb }),
);

function rangeOf(mm: MemoryHotplug, t: Target): MemoryRange {
  if ("window" in t) {
    const count = Math.min(t.count, WINDOW - t.offset);
    return { start: (windows[t.window] + t.offset) * BS, size: count * BS };
  }
  if (t.existing === "resource") {
    const plugged = mm.ranges().filter((r) => !r.boot);
    const r = plugged[t.pick % Math.max(1, plugged.length)];
    return r === undefined ? { start: REGION_BASE, size: BS } : { start: r.start, size: r.size };
  }
  const blocks = mm.blocks();
  const b = blocks[t.pick % blocks.length];
  return b === undefined ? { start: REGION_BASE, size: BS } : { start: b.start, size: b.size };
}

/** What the workload put in, by kind: migration and hotplug must conserve it. */
type Ledger = Record<PageKind, number>;

function checkInvariants(mm: MemoryHotplug, ledger: Ledger, host: MemoryHost["host"]): void {
  const snap = mm.snapshot();
  const { totals } = snap;
  // Online + offline = everything plugged (boot included); plugged = the hot-added resources.
  expect(totals.onlineBytes + totals.offlineBytes).toBe(snap.blocks.length * BS);
  expect(totals.bootBytes + totals.pluggedBytes).toBe(snap.blocks.length * BS);
  expect(totals.pluggedBytes).toBe(snap.resources.filter((r) => !r.boot).reduce((s, r) => s + r.size, 0));
  // Resources never overlap, and every block lies in exactly one.
  for (let i = 1; i < snap.resources.length; i++) {
    const a = snap.resources[i - 1];
    const b = snap.resources[i];
    if (a !== undefined && b !== undefined) expect(a.start + a.size).toBeLessThanOrEqual(b.start);
  }
  for (const b of snap.blocks) {
    const owners = snap.resources.filter((r) => r.start <= b.start && b.start + b.size <= r.start + r.size);
    expect(owners, `memory${b.id}`).toHaveLength(1);
    const p = b.pages;
    if (b.state === "offline") {
      expect([p.free, p.movable, p.unmovable, p.pinned, p.memmapHosted], `memory${b.id}`).toEqual([0, 0, 0, 0, 0]);
    } else {
      expect(p.free + p.movable + p.unmovable + p.pinned + p.memmapHosted + p.memmap, `memory${b.id}`).toBe(p.present);
    }
  }
  // Memmap: 64 B per page of every hot-plugged block, in the block or hosted elsewhere.
  const perBlock = (BS / 4096) * 64 / 4096;
  const hotplugged = snap.blocks.filter((b) => !b.boot);
  expect(totals.pages.memmapHosted).toBe(hotplugged.filter((b) => !b.memmapOnMemory).length * perBlock);
  expect(totals.pages.memmap).toBe(hotplugged.filter((b) => b.memmapOnMemory).length * perBlock);
  // Per-node counters (kept incrementally by the model) are the sums over the node's blocks.
  for (const n of snap.nodes) {
    const mine = snap.blocks.filter((b) => b.node === n.id && b.state !== "offline");
    const sum = (f: (b: (typeof mine)[number]) => number) => mine.reduce((s, b) => s + f(b), 0);
    expect(
      { blocks: n.blocks, present: n.presentPages, managed: n.managedPages, free: n.freePages, kernel: n.kernelPages, movable: n.movablePages },
      `node${n.id}`,
    ).toEqual({
      // SMALL has one boot node, so no block is linked under two nodes.
      blocks: snap.blocks.filter((b) => b.node === n.id).map((b) => b.id),
      present: sum((b) => b.pages.present),
      managed: sum((b) => b.pages.present - b.pages.memmap),
      free: sum((b) => b.pages.free),
      kernel: sum((b) => (b.zone === "Movable" ? 0 : b.pages.present)),
      movable: sum((b) => (b.zone === "Movable" ? b.pages.present : 0)),
    });
  }
  // valid_zones of an offline hot-plugged block follows the zone spans (kept incrementally by the
  // model), recomputed here from the online blocks: contig-zones inherits the one zone whose span on
  // the node meets the block, else Normal. Hot-plugged blocks are all far above 4 GiB, on nodes 1-3.
  for (const b of snap.blocks.filter((x) => x.phase === "live" && !x.boot && x.state === "offline")) {
    const meets = (zone: string) => {
      const on = snap.blocks.filter((o) => o.node === b.node && o.state !== "offline" && o.zone === zone);
      return on.length > 0 && Math.min(...on.map((o) => o.start)) < b.start + b.size && b.start < Math.max(...on.map((o) => o.start + o.size));
    };
    const first = meets("Normal") !== meets("Movable") && meets("Movable") ? "Movable" : "Normal";
    expect(host.sysfs.read(`/sys/devices/system/memory/${b.name}/valid_zones`), b.name).toBe(first === "Movable" ? "Movable Normal\n" : "Normal Movable\n");
  }
  // Pages in use are never lost or invented: so no block was removed (or offlined) holding them.
  expect([totals.pages.movable, totals.pages.unmovable, totals.pages.pinned]).toEqual([ledger.movable, ledger.unmovable, ledger.pinned]);
  // sysfs agrees with the model.
  const live = snap.blocks.filter((b) => b.phase === "live");
  expect(host.sysfs.list("/sys/devices/system/memory").filter((n) => /^memory\d+$/.test(n)).sort()).toEqual(live.map((b) => b.name).sort());
  for (const b of live) expect(host.sysfs.read(`/sys/devices/system/memory/${b.name}/state`)).toBe(`${b.state}\n`);
}

async function run(h: MemoryHost, op: Op, ledger: Ledger): Promise<void> {
  const { mm } = h;
  switch (op.op) {
    case "add":
      await mm.addMemory({ ...rangeOf(mm, op.at), node: op.node, onlineType: op.onlineType, memmapOnMemory: op.memmapOnMemory, ...(op.private ? { privateFeatures: [] } : {}) });
      return;
    case "online":
      mm.onlineRange(rangeOf(mm, op.at), op.onlineType);
      return;
    case "offline":
    case "offline-and-remove": {
      const before = mm.snapshot();
      const r = op.op === "offline" ? mm.offlineRange(rangeOf(mm, op.at)) : await mm.offlineAndRemoveMemory(rangeOf(mm, op.at));
      // A failed offline leaves every block exactly as it was.
      if (!r.ok) expect(mm.snapshot()).toEqual(before);
      return;
    }
    case "remove": {
      const before = mm.snapshot();
      const r = await mm.removeMemory(rangeOf(mm, op.at));
      if (!r.ok) expect(mm.snapshot()).toEqual(before);
      return;
    }
    default: {
      const blocks = mm.blocks().filter((b) => b.state === "online");
      const b = blocks[op.pick % Math.max(1, blocks.length)];
      if (b === undefined) return;
      const before = mm.snapshot();
      try {
        if (op.op === "allocate") {
          mm.workload.allocate(b.id, op.pages, op.kind);
          ledger[op.kind] += op.pages;
        } else if (op.op === "free") {
          mm.workload.free(b.id, op.pages, op.kind);
          ledger[op.kind] -= op.pages;
        } else if (op.op === "pin") {
          mm.workload.pin(b.id, op.pages);
          ledger.movable -= op.pages;
          ledger.pinned += op.pages;
        } else {
          mm.workload.unpin(b.id, op.pages);
          ledger.pinned -= op.pages;
          ledger.movable += op.pages;
        }
      } catch (err) {
        // Bad input leaves all state exactly as it was.
        expect(isDcdError(err)).toBe(true);
        expect(mm.snapshot()).toEqual(before);
      }
    }
  }
}

describe("memory hotplug properties", () => {
  test.prop([fc.array(opArb, { minLength: 1, maxLength: 30 })], { numRuns: 60 })(
    "accounting balances, ranges stay disjoint and pages in use are conserved after every operation",
    async (ops) => {
      const h = await memoryHost(SMALL);
      try {
        const ledger: Ledger = { movable: 0, unmovable: 0, pinned: 0 };
        for (const op of ops) {
          await run(h, op, ledger);
          await h.host.settle();
          checkInvariants(h.mm, ledger, h.host);
        }
      } finally {
        await h.host.dispose();
      }
    },
  );

  const usage = fc.record({ movable: fc.integer({ min: 0, max: 30_000 }), unmovable: fc.constantFrom(0, 0, 0, 1, 50), pinned: fc.constantFrom(0, 0, 0, 1, 9) });
  test.prop([fc.array(usage, { minLength: 1, maxLength: 4 }), fc.constantFrom<Exclude<OnlineType, "offline">>("online_kernel", "online_movable"), fc.integer({ min: 0, max: 6 })], { numRuns: 60 })(
    "offlining a range either offlines every block, conserving its pages, or leaves every block exactly as it was",
    async (blocks, onlineType, fill) => {
      const h = await memoryHost(SMALL);
      try {
        const range = { start: REGION_BASE, size: blocks.length * BS };
        await h.mm.addMemory({ ...range, node: 2, onlineType });
        // Shrink the room outside the range so that migration sometimes has nowhere to go.
        for (let id = 1; id <= fill; id++) {
          const free = h.mm.block(id)?.pages.free ?? 0;
          if (free > 0) h.mm.workload.allocate(id, free, "unmovable");
        }
        blocks.forEach((u, i) => {
          const id = REGION_BASE / BS + i;
          h.mm.workload.allocate(id, u.movable);
          if (onlineType === "online_kernel") h.mm.workload.allocate(id, u.unmovable, "unmovable");
          h.mm.workload.allocate(id, u.pinned, "pinned");
        });
        const before = h.mm.snapshot();
        const r = h.mm.offlineRange(range);
        const after = h.mm.snapshot();
        if (r.ok) {
          expect(after.blocks.filter((b) => !b.boot).every((b) => b.state === "offline")).toBe(true);
          expect(after.totals.pages.movable).toBe(before.totals.pages.movable);
          expect(blocks.every((u) => u.pinned === 0 && (onlineType === "online_movable" || u.unmovable === 0))).toBe(true);
        } else {
          expect(after).toEqual(before);
          expect(r.error.code).toBe("EBUSY");
          expect(r.steps.filter((s) => !s.ok)).toHaveLength(1);
        }
      } finally {
        await h.host.dispose();
      }
    },
  );
});
