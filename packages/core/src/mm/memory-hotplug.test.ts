/** The memory-hotplug model through its driver API (add, online, offline, remove), zones, memmap, costs and events. */
import { useLeakCheck } from "@dcd/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createHost, formatHotplugResult, type HotplugEvent, installMemoryHotplug, MEMORY_HOTPLUG, memoryHotplugOf, type MemoryRange, type OnlineType } from "../index.js";
import { GiB, H1, type MemoryHost, memoryHost, MiB, outcome, pages, REGION_BASE, thrown, VM1 } from "./test-support/memory-host.js";

useLeakCheck();

let open: MemoryHost[] = [];
afterEach(async () => {
  for (const h of open) await h.host.dispose();
  open = [];
});

async function setup(options = VM1): Promise<MemoryHost> {
  const h = await memoryHost(options);
  open.push(h);
  return h;
}

const region = (offset: number, size: number): MemoryRange => ({ start: REGION_BASE + offset, size });
/** memoryN of the region on a 128 MiB-block host. */
const VM_BLOCK0 = REGION_BASE / (128 * MiB);

async function plug(h: MemoryHost, range: MemoryRange, node = 2, onlineType: OnlineType = "offline") {
  const r = await h.mm.addMemory({ ...range, node, resourceName: "System RAM (test)", driverManaged: true, onlineType });
  expect(r.ok, r.ok ? "" : r.error.message).toBe(true);
  return r;
}

describe("boot memory", () => {
  it("is online from the start, in its zones; the block size follows boot RAM (VM1: 128 MiB)", async () => {
    const { mm } = await setup();
    expect(mm.blockSize).toBe(128 * MiB);
    expect(mm.blocks()).toHaveLength(64);
    expect(mm.block(0)).toMatchObject({ state: "online", zone: "none", boot: true, node: 0 });
    expect(mm.block(1)?.zone).toBe("DMA32");
    expect(mm.block(31)?.zone).toBe("DMA32");
    expect(mm.block(32)?.zone).toBe("Normal");
    expect(mm.block(63)?.pages).toEqual({ present: pages(128 * MiB), free: pages(128 * MiB), movable: 0, unmovable: 0, pinned: 0, memmap: 0, memmapHosted: 0 });
    expect(mm.totals()).toMatchObject({ bootBytes: 8 * GiB, pluggedBytes: 0, onlineBytes: 8 * GiB, offlineBytes: 0, onlineBlocks: 64 });
    expect(mm.ranges()).toEqual([{ start: 0, size: 8 * GiB, name: "System RAM", driverManaged: false, boot: true }]);
  });

  it("uses 2 GiB blocks from 64 GiB of boot RAM (H1), with one node per boot range", async () => {
    const { mm } = await setup(H1);
    expect(mm.blockSize).toBe(2 * GiB);
    expect(mm.blocks()).toHaveLength(128);
    expect(mm.block(63)?.node).toBe(0);
    expect(mm.block(64)).toMatchObject({ node: 1, zone: "Normal" });
    expect(mm.nodes().map((n) => [n.id, n.online, n.hasCpu])).toEqual([
      [0, true, true],
      [1, true, true],
    ]);
  });

  it("marks a block that is not fully populated as having holes: it cannot go offline", async () => {
    const { mm } = await setup({ boot: [{ node: 0, size: 8 * GiB + 128 * MiB }], blockSize: 256 * MiB });
    const last = mm.blocks().at(-1);
    expect(last?.pages.present).toBe(pages(128 * MiB));
    const r = mm.offlineRange({ start: 32 * 256 * MiB, size: 256 * MiB });
    expect(r.ok).toBe(false);
    expect(r.steps[0]).toMatchObject({ action: "offline-block", reason: "memory holes", ok: false });
    expect(!r.ok && r.error.code).toBe("EINVAL");
  });

  it("marks a block spanning two nodes 'none'", async () => {
    const { mm } = await setup({ boot: [{ node: 0, size: 8 * GiB + 128 * MiB }, { node: 1, size: 128 * MiB }], blockSize: 256 * MiB });
    expect(mm.block(32)).toMatchObject({ zone: "none", node: 1 });
    expect(mm.node(0)?.blocks).toContain(32);
    expect(mm.node(1)?.blocks).toEqual([32]);
  });
});

describe("installing", () => {
  it("refuses bad options with EINVAL and leaks nothing", async () => {
    for (const options of [{ blockSize: 100 * MiB }, { blockSize: 3 * 128 * MiB }, { boot: [{ node: 8, size: GiB }] }, { boot: [{ node: 0, size: 100 * MiB }] }, { costs: { offlineMsPerBlock: -1 } }]) {
      const host = await createHost({ name: "bad" });
      await expect(installMemoryHotplug(host, options)).rejects.toMatchObject({ code: "EINVAL" });
      await host.dispose();
    }
  });

  it("refuses a second install with EEXIST", async () => {
    const { host } = await setup();
    await expect(installMemoryHotplug(host)).rejects.toMatchObject({ code: "EEXIST" });
  });

  it("registers the model in the host's container", async () => {
    const { host, mm } = await setup();
    expect(host.container.resolve(MEMORY_HOTPLUG)).toBe(mm);
    expect(memoryHotplugOf(host)).toBe(mm);
    const bare = await createHost({ name: "bare" });
    expect(memoryHotplugOf(bare)).toBeUndefined();
    await bare.dispose();
  });

  it("gives two hosts separate state", async () => {
    const a = await setup();
    const b = await setup();
    await plug(a, region(0, GiB));
    expect(a.mm.totals().pluggedBytes).toBe(GiB);
    expect(b.mm.totals().pluggedBytes).toBe(0);
    expect(b.host.sysfs.exists(`/sys/devices/system/memory/memory${VM_BLOCK0}`)).toBe(false);
    expect(b.clock.now()).toBe(0);
  });

  it("is disposed with its host: events$ completes", async () => {
    const h = await memoryHost(VM1);
    let completed = false;
    h.mm.events$.subscribe({ complete: () => (completed = true), error: () => undefined });
    await h.host.dispose();
    expect(completed).toBe(true);
    const r = h.mm.onlineRange({ start: 0, size: 128 * MiB }, "online");
    expect(!r.ok && r.error.code).toBe("ENODEV");
  });
});

describe("addMemory", () => {
  it("creates offline blocks under the target node, onlining the node, and charges the add cost", async () => {
    const h = await setup();
    const r = await plug(h, region(0, 512 * MiB));
    expect(r.blocks).toEqual([VM_BLOCK0, VM_BLOCK0 + 1, VM_BLOCK0 + 2, VM_BLOCK0 + 3]);
    expect(r.steps.map((s) => [s.action, s.block ?? s.node])).toEqual([
      ["reserve-resource", undefined],
      ["online-node", 2],
      ["allocate-memmap", VM_BLOCK0],
      ["add-block", VM_BLOCK0],
      ["allocate-memmap", VM_BLOCK0 + 1],
      ["add-block", VM_BLOCK0 + 1],
      ["allocate-memmap", VM_BLOCK0 + 2],
      ["add-block", VM_BLOCK0 + 2],
      ["allocate-memmap", VM_BLOCK0 + 3],
      ["add-block", VM_BLOCK0 + 3],
    ]);
    // 16 ms per GiB: 2 ms per 128 MiB block.
    expect(r.durationMs).toBe(8);
    expect(h.clock.now()).toBe(8);
    expect(h.mm.block(VM_BLOCK0)).toMatchObject({ state: "offline", node: 2, boot: false, resource: "System RAM (test)", phase: "live" });
    expect(h.mm.node(2)).toMatchObject({ online: true, hasCpu: false, blocks: r.blocks, presentPages: 0 });
    expect(h.mm.ranges().at(-1)).toEqual({ start: REGION_BASE, size: 512 * MiB, name: "System RAM (test)", driverManaged: true, boot: false });
  });

  it("refuses a range not made of whole blocks with EINVAL naming the range and block size, changing nothing", async () => {
    const h = await setup();
    const before = h.mm.snapshot();
    const r = await h.mm.addMemory({ ...region(64 * MiB, 128 * MiB), node: 2 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe("EINVAL");
    expect(r.error.message).toContain("[mem 0x4004000000-0x400bffffff]");
    expect(r.error.message).toContain("memory block size 0x8000000");
    expect(r.failedStep).toBe(0);
    expect(r.steps).toEqual([expect.objectContaining({ action: "check-range", ok: false })]);
    expect(h.mm.snapshot()).toEqual(before);
    expect(h.clock.now()).toBe(0);
  });

  it("refuses overlaps (EEXIST), impossible nodes and bad resource names (EINVAL), and ranges past MAX_PHYSMEM_BITS (E2BIG)", async () => {
    const h = await setup();
    await plug(h, region(0, GiB));
    const before = h.mm.snapshot();
    const cases: [Parameters<typeof h.mm.addMemory>[0], string][] = [
      [{ start: 4 * GiB, size: 128 * MiB, node: 0 }, "EEXIST"],
      [{ ...region(512 * MiB, GiB), node: 2 }, "EEXIST"],
      [{ ...region(2 * GiB, GiB), node: -1 }, "EINVAL"],
      [{ ...region(2 * GiB, GiB), node: 8 }, "EINVAL"],
      [{ ...region(2 * GiB, GiB), node: 2, driverManaged: true, resourceName: "kmem" }, "EINVAL"],
      [{ ...region(2 * GiB, GiB), node: 2, driverManaged: true }, "EINVAL"],
      [{ start: 2 ** 46, size: GiB, node: 2 }, "E2BIG"],
    ];
    for (const [request, code] of cases) {
      const r = await h.mm.addMemory(request);
      expect(!r.ok && r.error.code, JSON.stringify(request)).toBe(code);
    }
    expect(h.mm.snapshot()).toEqual(before);
  });

  it("onlines the new blocks with the requested online type, or auto_online_blocks", async () => {
    const h = await setup({ ...VM1, autoOnlineBlocks: "online_movable" });
    await plug(h, region(0, 256 * MiB), 2, "online_kernel");
    expect(h.mm.block(VM_BLOCK0)).toMatchObject({ state: "online", zone: "Normal", onlineType: "online_kernel" });
    const r = await h.mm.addMemory({ ...region(GiB, 256 * MiB), node: 2 });
    expect(r.ok).toBe(true);
    expect(h.mm.block(VM_BLOCK0 + 8)).toMatchObject({ state: "online", zone: "Movable", onlineType: "online_movable" });
    // 2 ms add + 2.5 ms online per 128 MiB: about 4.5 ms per block (the reference's 4-5 ms).
    expect(r.durationMs).toBe(9);
  });

  it("does not fail when auto-onlining fails: onlining stops at the failing block (walk_memory_blocks)", async () => {
    const h = await setup();
    const fault = h.mm.injectFault({ step: "online-block", block: VM_BLOCK0 + 1, code: "ENOMEM" });
    const r = await h.mm.addMemory({ ...region(0, 512 * MiB), node: 2, onlineType: "online_movable" });
    fault.dispose();
    expect(r.ok).toBe(true);
    expect(r.steps.filter((s) => s.action === "online-block").map((s) => [s.block, s.ok])).toEqual([
      [VM_BLOCK0, true],
      [VM_BLOCK0 + 1, false],
    ]);
    expect([0, 1, 2, 3].map((i) => h.mm.block(VM_BLOCK0 + i)?.state)).toEqual(["online", "offline", "offline", "offline"]);
  });

  it("undoes everything when adding a block fails: rollback steps, nothing left", async () => {
    const h = await setup();
    const before = h.mm.snapshot();
    h.mm.injectFault({ step: "add-block", block: VM_BLOCK0 + 2, code: "ENOMEM" });
    const events: string[] = [];
    const sub = h.mm.events$.subscribe({ next: (e) => events.push(`${e.type}:${e.block - VM_BLOCK0}`), error: () => undefined });
    const r = await h.mm.addMemory({ ...region(0, 512 * MiB), node: 2 });
    sub.unsubscribe();
    expect(events).toEqual(["block-added:0", "block-added:1", "block-removed:1", "block-removed:0"]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe("ENOMEM");
    expect(r.steps[r.failedStep]).toMatchObject({ action: "add-block", block: VM_BLOCK0 + 2, ok: false });
    expect(r.steps.slice(r.failedStep + 1).map((s) => [s.action, s.block ?? s.node, s.rollback])).toEqual([
      ["remove-block", VM_BLOCK0 + 1, true],
      ["remove-block", VM_BLOCK0, true],
      ["release-resource", undefined, true],
      ["offline-node", 2, true],
    ]);
    expect(h.mm.snapshot()).toEqual({ ...before, nodes: [...before.nodes, expect.objectContaining({ id: 2, online: false })] });
    expect(h.host.sysfs.exists(`/sys/devices/system/memory/memory${VM_BLOCK0}`)).toBe(false);
  });

  it("puts the memmap (64 B per 4 KiB page) in kernel memory of another node when the block does not carry it", async () => {
    const h = await setup();
    const free0 = h.mm.node(0)?.freePages ?? 0;
    await plug(h, region(0, GiB), 2, "online_movable");
    // 1 GiB / 64 = 16 MiB of struct pages, taken from node 0 (node 2 has no kernel memory).
    expect(h.mm.node(0)?.freePages).toBe(free0 - pages(16 * MiB));
    expect(h.mm.totals().pages.memmapHosted).toBe(pages(16 * MiB));
    expect(h.mm.node(2)).toMatchObject({ managedPages: pages(GiB), freePages: pages(GiB) });
    // GFP_KERNEL: ZONE_NORMAL before DMA32 and DMA.
    expect(h.mm.block(32)?.pages.memmapHosted).toBe(pages(16 * MiB));
    const off = await h.mm.offlineAndRemoveMemory(region(0, GiB));
    expect(off.ok).toBe(true);
    expect(h.mm.node(0)?.freePages).toBe(free0);
    expect(h.mm.totals().pages.memmapHosted).toBe(0);
  });

  it("keeps the memmap inside each block with memmap_on_memory: 8 × 126 MiB usable (SYS-12)", async () => {
    const h = await setup({ ...VM1, memmapOnMemory: true });
    const free0 = h.mm.node(0)?.freePages;
    const r = await h.mm.addMemory({ ...region(0, GiB), node: 2, onlineType: "online_movable", memmapOnMemory: true });
    expect(r.ok).toBe(true);
    expect(r.steps.some((s) => s.action === "allocate-memmap")).toBe(false);
    expect(h.mm.block(VM_BLOCK0)?.pages).toMatchObject({ present: pages(128 * MiB), memmap: pages(2 * MiB), free: pages(126 * MiB) });
    expect(h.mm.node(2)?.managedPages).toBe(8 * pages(126 * MiB));
    expect(h.host.sysfs.read("/sys/devices/system/node/node2/meminfo")).toContain(`Node 2 MemTotal:        ${8 * 126 * 1024} kB`);
    expect(h.mm.node(0)?.freePages).toBe(free0);
  });

  it("falls back to a hosted memmap when the memmap_on_memory parameter is off", async () => {
    const h = await setup();
    await h.mm.addMemory({ ...region(0, GiB), node: 2, memmapOnMemory: true });
    expect(h.mm.block(VM_BLOCK0)?.memmapOnMemory).toBe(false);
    expect(h.mm.totals().pages.memmapHosted).toBe(pages(16 * MiB));
  });

  it("fails with ENOMEM when no kernel memory is left for the memmap, changing nothing", async () => {
    const h = await setup();
    const free = h.mm.node(0)?.freePages ?? 0;
    h.mm.workload.allocateOnNode(0, free, "unmovable");
    const before = h.mm.snapshot();
    const r = await h.mm.addMemory({ ...region(0, GiB), node: 2 });
    expect(!r.ok && r.error.code).toBe("ENOMEM");
    expect(r.steps[0]?.action).toBe("reserve-resource");
    expect(h.mm.snapshot()).toEqual({ ...before, nodes: [...before.nodes, expect.objectContaining({ id: 2, online: false })] });
  });

  it("refuses operations on blocks still being registered (EBUSY)", async () => {
    const h = await setup();
    const adding = h.mm.addMemory({ ...region(0, GiB), node: 2 });
    const r = h.mm.onlineRange(region(0, GiB), "online_movable");
    expect(!r.ok && r.error.code).toBe("EBUSY");
    expect((await adding).ok).toBe(true);
    expect(h.mm.onlineRange(region(0, GiB), "online_movable").ok).toBe(true);
  });
});

describe("many blocks", () => {
  it("1,500 single-block ranges added, then offlined and removed in a shuffled order, keep resources, spans and node counters exact", async () => {
    const h = await setup({ ...VM1, memmapOnMemory: true });
    const n = 1500;
    const range = (i: number) => region(i * 128 * MiB, 128 * MiB);
    for (let i = 0; i < n; i++) {
      const r = await h.mm.addMemory({ ...range(i), node: 2, resourceName: "System RAM (test)", driverManaged: true, onlineType: "online_movable", memmapOnMemory: true });
      expect(r.ok).toBe(true);
    }
    // A fixed pseudo-random order (LCG), so that removals hit the front, the middle and the end.
    const order = Array.from({ length: n }, (_, i) => i);
    let seed = 12345;
    for (let i = n - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const j = seed % (i + 1);
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    const left = new Set(order);
    for (const [k, i] of order.entries()) {
      expect(outcome(await h.mm.offlineAndRemoveMemory(range(i)))).toBe("ok");
      left.delete(i);
      if (k % 250 !== 249 && k !== n - 1) continue;
      const remaining = [...left].sort((a, b) => a - b);
      expect(h.mm.ranges().filter((r) => !r.boot).map((r) => r.start)).toEqual(remaining.map((i) => range(i).start));
      expect(h.mm.node(2)?.blocks).toEqual(remaining.map((i) => VM_BLOCK0 + i));
      expect(h.mm.node(2)?.presentPages).toBe(remaining.length * pages(128 * MiB));
      // The Movable span runs from the lowest to the highest block left: a block added back inside
      // it would go Movable with `online`, one outside it Normal.
      const lo = remaining[0];
      const hi = remaining.at(-1);
      if (lo === undefined || hi === undefined) continue;
      const probe = async (i: number, zones: string) => {
        expect((await h.mm.addMemory({ ...range(i), node: 2, onlineType: "offline", memmapOnMemory: true })).ok).toBe(true);
        expect(h.mm.validZones(VM_BLOCK0 + i), `memory${VM_BLOCK0 + i}`).toBe(zones);
        expect(outcome(await h.mm.removeMemory(range(i)))).toBe("ok");
      };
      const hole = order.find((i) => i > lo && i < hi && !left.has(i));
      if (hole !== undefined) await probe(hole, "Movable Normal");
      const outside = hi + 1 < n ? hi + 1 : lo > 0 ? lo - 1 : undefined;
      if (outside !== undefined) await probe(outside, "Normal Movable");
    }
    expect(h.mm.node(2)?.presentPages).toBe(0);
  });
});

describe("zones", () => {
  it("online_kernel goes to Normal, online_movable to Movable", async () => {
    const h = await setup();
    await plug(h, region(0, 256 * MiB));
    expect(h.mm.onlineRange(region(0, 128 * MiB), "online_kernel").steps[0]?.zone).toBe("Normal");
    expect(h.mm.onlineRange(region(128 * MiB, 128 * MiB), "online_movable").steps[0]?.zone).toBe("Movable");
  });

  it("contig-zones: 'online' inherits the zone whose span the block falls in, else the kernel zone", async () => {
    const h = await setup();
    await plug(h, region(0, GiB));
    expect(h.mm.validZones(VM_BLOCK0)).toBe("Normal Movable");
    h.mm.onlineRange(region(0, 128 * MiB), "online_movable");
    h.mm.onlineRange(region(512 * MiB, 128 * MiB), "online_movable");
    // Inside the Movable span [block0, block4]: Movable first.
    expect(h.mm.validZones(VM_BLOCK0 + 2)).toBe("Movable Normal");
    // Past it: neither span, so the kernel zone.
    expect(h.mm.validZones(VM_BLOCK0 + 6)).toBe("Normal Movable");
    expect(h.mm.onlineRange(region(256 * MiB, 128 * MiB), "online").steps[0]?.zone).toBe("Movable");
    expect(h.mm.validZones(VM_BLOCK0 + 2)).toBe("Movable");
  });

  it("zone spans shrink when a block at their edge goes offline (shrink_zone_span), not when one inside does", async () => {
    const h = await setup();
    await plug(h, region(0, 512 * MiB), 2, "online_movable");
    // Offline the middle block: the Movable span still runs from block 0 to block 3.
    expect(h.mm.offlineRange(region(128 * MiB, 128 * MiB)).ok).toBe(true);
    expect(h.mm.validZones(VM_BLOCK0 + 1)).toBe("Movable Normal");
    // Offline both ends: the span is blocks 1..2 minus the offline one, so block 2 alone.
    expect(h.mm.offlineRange(region(0, 128 * MiB)).ok).toBe(true);
    expect(h.mm.offlineRange(region(384 * MiB, 128 * MiB)).ok).toBe(true);
    expect(h.mm.validZones(VM_BLOCK0)).toBe("Normal Movable");
    expect(h.mm.validZones(VM_BLOCK0 + 1)).toBe("Normal Movable");
    expect(h.mm.validZones(VM_BLOCK0 + 3)).toBe("Normal Movable");
    // A failed online's rollback leaves the spans as they were.
    const fault = h.mm.injectFault({ step: "online-block", block: VM_BLOCK0 + 1, code: "ENOMEM" });
    expect(outcome(h.mm.onlineRange(region(0, 256 * MiB), "online_movable"))).toBe("ENOMEM");
    fault.dispose();
    expect(h.mm.validZones(VM_BLOCK0)).toBe("Normal Movable");
  });

  it("movable_node makes 'online' pick Movable for a new range", async () => {
    const h = await setup({ ...VM1, movableNode: true });
    await plug(h, region(0, 128 * MiB));
    expect(h.mm.validZones(VM_BLOCK0)).toBe("Movable Normal");
  });

  it("an offlined boot block can come back in its zone (memory40)", async () => {
    const h = await setup();
    expect(h.mm.offlineRange({ start: 40 * 128 * MiB, size: 128 * MiB }).ok).toBe(true);
    expect(h.mm.validZones(40)).toBe("Normal Movable");
    expect(h.mm.onlineRange({ start: 40 * 128 * MiB, size: 128 * MiB }, "online").steps[0]?.zone).toBe("Normal");
  });

  it("auto-movable: 24 GiB on an 8 GiB VM all go Movable (300 % ≤ 301 %), the next block goes Normal (SYS-08)", async () => {
    const h = await setup({ ...VM1, onlinePolicy: "auto-movable" });
    const r = await h.mm.addMemory({ start: 8 * GiB, size: 24 * GiB, node: 0, onlineType: "online" });
    expect(r.ok).toBe(true);
    const added = h.mm.blocks().filter((b) => !b.boot);
    expect(added).toHaveLength(192);
    expect(added.every((b) => b.zone === "Movable")).toBe(true);
    await h.mm.addMemory({ start: 32 * GiB, size: 128 * MiB, node: 0, onlineType: "online" });
    expect(h.mm.block(256)?.zone).toBe("Normal");
  });

  it("auto-movable is NUMA aware: a node without boot memory gets kernel zones unless that is turned off", async () => {
    const h = await setup({ ...VM1, onlinePolicy: "auto-movable" });
    await plug(h, region(0, 128 * MiB), 2, "online");
    expect(h.mm.block(VM_BLOCK0)?.zone).toBe("Normal");
    h.mm.autoMovableNumaAware = false;
    await plug(h, region(128 * MiB, 128 * MiB), 2, "online");
    expect(h.mm.block(VM_BLOCK0 + 1)?.zone).toBe("Movable");
    h.mm.autoMovableRatio = 0;
    await plug(h, region(256 * MiB, 128 * MiB), 2, "online");
    expect(h.mm.block(VM_BLOCK0 + 2)?.zone).toBe("Normal");
    expect(() => (h.mm.autoMovableRatio = -1)).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });
});

describe("offlineRanges", () => {
  it("offlines disjoint ranges as one operation, migrating out of all of them", async () => {
    const h = await setup();
    await plug(h, region(0, 128 * MiB), 2, "online_movable");
    await plug(h, region(512 * MiB, 128 * MiB), 2, "online_movable");
    h.mm.workload.allocate(VM_BLOCK0, 100);
    const r = h.mm.offlineRanges([region(0, 128 * MiB), region(512 * MiB, 128 * MiB)]);
    expect(r.ok).toBe(true);
    expect(r.blocks).toEqual([VM_BLOCK0, VM_BLOCK0 + 4]);
    expect(r.range).toEqual(region(0, 640 * MiB));
    // Nothing migrated into the other range of the same operation.
    expect(h.mm.block(VM_BLOCK0 + 4)).toMatchObject({ state: "offline" });
    expect(h.mm.block(VM_BLOCK0)).toMatchObject({ state: "offline" });
  });

  it("is all or nothing across ranges: a failure in the second range re-onlines the first", async () => {
    const h = await setup();
    await plug(h, region(0, 128 * MiB), 2, "online_movable");
    await plug(h, region(512 * MiB, 128 * MiB), 2, "online_movable");
    h.mm.workload.allocate(VM_BLOCK0 + 4, 10);
    h.mm.workload.pin(VM_BLOCK0 + 4, 10);
    const before = h.mm.snapshot();
    const r = h.mm.offlineRanges([region(0, 128 * MiB), region(512 * MiB, 128 * MiB)]);
    expect(r.ok).toBe(false);
    expect(outcome(r)).toBe("EBUSY");
    expect(r.steps.map((s) => [s.action, s.block, s.ok, s.rollback])).toEqual([
      ["offline-block", VM_BLOCK0, true, false],
      ["offline-block", VM_BLOCK0 + 4, false, false],
      ["online-block", VM_BLOCK0, true, true],
    ]);
    expect(h.mm.snapshot().blocks).toEqual(before.blocks);
  });

  it("refuses an empty list and overlapping ranges with EINVAL", async () => {
    const h = await setup();
    await plug(h, region(0, 256 * MiB), 2, "online_movable");
    expect(outcome(h.mm.offlineRanges([]))).toBe("EINVAL");
    expect(outcome(h.mm.offlineRanges([region(0, 256 * MiB), region(128 * MiB, 128 * MiB)]))).toBe("EINVAL");
    expect(h.mm.block(VM_BLOCK0)?.state).toBe("online");
  });
});

describe("offlineRange", () => {
  it("migrates movable pages to other nodes first and charges 5 ms per block plus migration at 2 GiB/s", async () => {
    const h = await setup();
    await plug(h, region(0, 256 * MiB), 2, "online_movable");
    h.mm.workload.allocate(VM_BLOCK0, pages(64 * MiB));
    const movableBefore = h.mm.totals().pages.movable;
    const t0 = h.clock.now();
    const r = h.mm.offlineRange(region(0, 256 * MiB));
    expect(r.ok).toBe(true);
    expect(r.steps.map((s) => [s.action, s.block, s.migratedPages, s.durationMs])).toEqual([
      ["offline-block", VM_BLOCK0, pages(64 * MiB), 5 + 31.25],
      ["offline-block", VM_BLOCK0 + 1, 0, 5],
    ]);
    expect(h.clock.now() - t0).toBe(41.25);
    expect(h.mm.totals().pages.movable).toBe(movableBefore);
    // Node 0 takes them, ZONE_NORMAL first, lowest address first.
    expect(h.mm.block(32)?.pages.movable).toBe(pages(64 * MiB));
    expect(h.mm.block(VM_BLOCK0)).toMatchObject({ state: "offline", zone: undefined, onlineType: undefined });
  });

  it("fails with EBUSY on unmovable pages; the range is all or nothing and every block is left as it was (SYS-06)", async () => {
    const h = await setup();
    await plug(h, region(0, 256 * MiB), 2, "online_kernel");
    h.mm.workload.allocate(VM_BLOCK0, 100);
    h.mm.workload.allocate(VM_BLOCK0 + 1, 7, "unmovable");
    const before = h.mm.snapshot();
    const events: HotplugEvent[] = [];
    const sub = h.mm.events$.subscribe({ next: (e) => events.push(e), error: () => undefined });
    const r = h.mm.offlineRange(region(0, 256 * MiB));
    sub.unsubscribe();
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe("EBUSY");
    expect(r.error.message).toContain("failure to isolate range");
    expect(r.failedStep).toBe(1);
    expect(r.steps.map((s) => [s.action, s.block, s.ok, s.rollback, s.reason ?? s.zone])).toEqual([
      ["offline-block", VM_BLOCK0, true, false, undefined],
      ["offline-block", VM_BLOCK0 + 1, false, false, "failure to isolate range"],
      ["online-block", VM_BLOCK0, true, true, "Normal"],
    ]);
    expect(events.map((e) => `${e.type}:${e.block}`)).toEqual([`block-offlined:${VM_BLOCK0}`, `offline-failed:${VM_BLOCK0 + 1}`, `block-onlined:${VM_BLOCK0}`]);
    expect(h.mm.snapshot()).toEqual(before);
    expect(formatHotplugResult(r)).toBe(
      [
        "offline [mem 0x4000000000-0x400fffffff]: EBUSY at step 2 of 3 (12.69 ms)",
        `   1 ok     offline-block memory${VM_BLOCK0} (100 pages migrated) 5.19 ms`,
        `   2 FAILED offline-block memory${VM_BLOCK0 + 1}: EBUSY failure to isolate range 5 ms`,
        `   3 ok     online-block memory${VM_BLOCK0} (rollback, Normal) 2.5 ms`,
      ].join("\n"),
    );
    // Re-issued, it fails the same way while the slab pages exist.
    const again = h.mm.offlineRange(region(0, 256 * MiB));
    expect(!again.ok && again.failedStep).toBe(1);
    h.mm.workload.free(VM_BLOCK0 + 1, 7, "unmovable");
    expect(h.mm.offlineRange(region(0, 256 * MiB)).ok).toBe(true);
  });

  it("gives up on pinned pages after the offline timeout (EBUSY), charging the timeout", async () => {
    const h = await setup();
    await plug(h, region(0, 128 * MiB), 2, "online_movable");
    h.mm.workload.allocate(VM_BLOCK0, 10);
    h.mm.workload.pin(VM_BLOCK0, 3);
    const t0 = h.clock.now();
    const r = h.mm.offlineRange(region(0, 128 * MiB));
    expect(!r.ok && [r.error.code, r.steps[0]?.reason]).toEqual(["EBUSY", "timeout"]);
    expect(h.clock.now() - t0).toBe(30_000);
    h.mm.workload.unpin(VM_BLOCK0, 3);
    expect(h.mm.offlineRange(region(0, 128 * MiB)).ok).toBe(true);
  });

  it("fails with EBUSY when nothing outside the range has room for its movable pages", async () => {
    const h = await setup();
    await plug(h, region(0, 256 * MiB), 2, "online_movable");
    h.mm.workload.allocateOnNode(0, h.mm.node(0)?.freePages ?? 0, "unmovable");
    h.mm.workload.allocate(VM_BLOCK0, 1000);
    const before = h.mm.snapshot();
    // Alone, the block can move its pages to its neighbour...
    const one = h.mm.offlineRange(region(0, 128 * MiB));
    expect(one.ok).toBe(true);
    expect(h.mm.block(VM_BLOCK0 + 1)?.pages.movable).toBe(1000);
    // ... but not when the neighbour goes too.
    expect(h.mm.onlineRange(region(0, 128 * MiB), "online_movable").ok).toBe(true);
    const both = h.mm.offlineRange(region(0, 256 * MiB));
    expect(!both.ok && both.steps[both.failedStep]?.reason).toBe("timeout");
    expect(h.mm.snapshot().totals).toEqual({ ...before.totals });
  });

  it("refuses a block spanning zones (EINVAL) and skips blocks already offline", async () => {
    const h = await setup();
    const r = h.mm.offlineRange({ start: 0, size: 128 * MiB });
    expect(!r.ok && [r.error.code, r.steps[0]?.reason]).toEqual(["EINVAL", "multizone range"]);
    await plug(h, region(0, 256 * MiB));
    const skip = h.mm.offlineRange(region(0, 256 * MiB));
    expect(skip.ok && skip.steps.every((s) => s.skipped === true)).toBe(true);
  });

  it("refuses unaligned and unplugged ranges with EINVAL", async () => {
    const h = await setup();
    expect(outcome(h.mm.offlineRange({ start: 64 * MiB, size: 128 * MiB }))).toBe("EINVAL");
    const unplugged = h.mm.offlineRange(region(0, 128 * MiB));
    expect(!unplugged.ok && [unplugged.error.code, unplugged.error.message.includes("not present")]).toEqual(["EINVAL", true]);
    expect(outcome(h.mm.onlineRange(region(0, 128 * MiB), "offline"))).toBe("EINVAL");
  });

  it("an online failure offlines again what the call onlined (all or nothing)", async () => {
    const h = await setup();
    await plug(h, region(0, 384 * MiB));
    const before = h.mm.snapshot();
    h.mm.injectFault({ step: "online-block", block: VM_BLOCK0 + 2, code: "ENOMEM" });
    const r = h.mm.onlineRange(region(0, 384 * MiB), "online_movable");
    expect(r.steps.map((s) => [s.action, s.block, s.ok, s.rollback])).toEqual([
      ["online-block", VM_BLOCK0, true, false],
      ["online-block", VM_BLOCK0 + 1, true, false],
      ["online-block", VM_BLOCK0 + 2, false, false],
      ["offline-block", VM_BLOCK0 + 1, true, true],
      ["offline-block", VM_BLOCK0, true, true],
    ]);
    expect(h.mm.snapshot()).toEqual(before);
  });

  it("lets an injected fault report any reason (a signal's EINTR stand-in, a notifier NAK)", async () => {
    const h = await setup();
    await plug(h, region(0, 128 * MiB), 2, "online_movable");
    h.mm.injectFault({ step: "offline-block", code: "EAGAIN", reason: "signal backoff", times: 2 });
    expect(h.mm.offlineRange(region(0, 128 * MiB)).steps[0]?.reason).toBe("signal backoff");
    expect(h.mm.offlineRange(region(0, 128 * MiB)).ok).toBe(false);
    expect(h.mm.offlineRange(region(0, 128 * MiB)).ok).toBe(true);
  });
});

describe("removeMemory", () => {
  it("refuses while a block is online (EBUSY naming it), changing nothing", async () => {
    const h = await setup();
    await plug(h, region(0, 256 * MiB));
    h.mm.onlineRange(region(128 * MiB, 128 * MiB), "online_movable");
    const before = h.mm.snapshot();
    const r = await h.mm.removeMemory(region(0, 256 * MiB));
    expect(!r.ok && r.error.code).toBe("EBUSY");
    expect(!r.ok && r.error.message).toContain(`memory${VM_BLOCK0 + 1}`);
    expect(h.mm.snapshot()).toEqual(before);
  });

  it("removes part of a range, splitting its resource, and takes the node offline once empty", async () => {
    const h = await setup();
    await plug(h, region(0, 512 * MiB));
    const r = await h.mm.removeMemory(region(256 * MiB, 128 * MiB));
    expect(r.ok).toBe(true);
    expect(r.steps.map((s) => s.action)).toEqual(["free-memmap", "remove-block", "release-resource"]);
    expect(r.durationMs).toBe(1);
    expect(h.mm.ranges().filter((x) => !x.boot).map((x) => [x.start - REGION_BASE, x.size])).toEqual([
      [0, 256 * MiB],
      [384 * MiB, 128 * MiB],
    ]);
    expect(h.mm.block(VM_BLOCK0 + 2)).toBeUndefined();
    const rest1 = await h.mm.removeMemory(region(0, 256 * MiB));
    expect(rest1.steps.some((s) => s.action === "offline-node")).toBe(false);
    const rest2 = await h.mm.removeMemory(region(384 * MiB, 128 * MiB));
    expect(rest2.steps.at(-1)).toMatchObject({ action: "offline-node", node: 2 });
    expect(h.mm.node(2)?.online).toBe(false);
    expect(h.mm.totals().pluggedBytes).toBe(0);
  });

  it("refuses boot memory, unplugged and unaligned ranges (EINVAL)", async () => {
    const h = await setup();
    for (const range of [{ start: 40 * 128 * MiB, size: 128 * MiB }, region(0, 128 * MiB), region(1, 128 * MiB)]) {
      const r = await h.mm.removeMemory(range);
      expect(!r.ok && r.error.code).toBe("EINVAL");
    }
  });

  it("offlineAndRemoveMemory: all or nothing", async () => {
    const h = await setup();
    await plug(h, region(0, 256 * MiB), 2, "online_kernel");
    h.mm.workload.allocate(VM_BLOCK0 + 1, 1, "unmovable");
    const before = h.mm.snapshot();
    const failed = await h.mm.offlineAndRemoveMemory(region(0, 256 * MiB));
    expect(!failed.ok && failed.error.code).toBe("EBUSY");
    expect(h.mm.snapshot()).toEqual(before);
    h.mm.workload.free(VM_BLOCK0 + 1, 1, "unmovable");
    h.mm.injectFault({ step: "remove-block", code: "EIO" });
    const faulted = await h.mm.offlineAndRemoveMemory(region(0, 256 * MiB));
    expect(faulted.steps.map((s) => [s.action, s.block, s.ok, s.rollback])).toEqual([
      ["offline-block", VM_BLOCK0, true, false],
      ["offline-block", VM_BLOCK0 + 1, true, false],
      ["remove-block", VM_BLOCK0, false, false],
      ["online-block", VM_BLOCK0 + 1, true, true],
      ["online-block", VM_BLOCK0, true, true],
    ]);
    expect(h.mm.blocks().filter((b) => !b.boot).map((b) => b.state)).toEqual(["online", "online"]);
    const ok = await h.mm.offlineAndRemoveMemory(region(0, 256 * MiB));
    expect(ok.ok).toBe(true);
    expect(h.mm.totals().pluggedBytes).toBe(0);
  });
});

describe("events$", () => {
  it("reports added, onlined, offlined and removed blocks after each operation, with simulated times", async () => {
    const h = await setup();
    const events: HotplugEvent[] = [];
    const sub = h.mm.events$.subscribe({ next: (e) => events.push(e), error: () => undefined });
    await plug(h, region(0, 128 * MiB), 2, "online_movable");
    h.mm.offlineRange(region(0, 128 * MiB));
    await h.mm.removeMemory(region(0, 128 * MiB));
    sub.unsubscribe();
    expect(events.map((e) => [e.type, e.block, e.atMs])).toEqual([
      ["block-added", VM_BLOCK0, 2],
      ["block-onlined", VM_BLOCK0, 4.5],
      ["block-offlined", VM_BLOCK0, 9.5],
      ["block-removed", VM_BLOCK0, 10.5],
    ]);
  });

  it("lets a subscriber start another operation (the lock is free when events go out)", async () => {
    const h = await setup();
    await plug(h, region(0, 256 * MiB));
    const results: boolean[] = [];
    const sub = h.mm.events$.subscribe({
      next: (e) => {
        if (e.type === "block-onlined" && e.block === VM_BLOCK0) results.push(h.mm.onlineRange(region(128 * MiB, 128 * MiB), "online_movable").ok);
      },
      error: () => undefined,
    });
    h.mm.onlineRange(region(0, 128 * MiB), "online_movable");
    sub.unsubscribe();
    expect(results).toEqual([true]);
  });

  it("timers due during an operation fire after it, seeing its final state", async () => {
    const h = await setup();
    await plug(h, region(0, 128 * MiB), 2, "online_movable");
    const seen: string[] = [];
    h.clock.setTimeout(() => seen.push(h.mm.block(VM_BLOCK0)?.state ?? "gone"), 1);
    h.mm.offlineRange(region(0, 128 * MiB));
    expect(seen).toEqual(["offline"]);
  });
});

describe("workload", () => {
  it("allocates, frees, pins and unpins, refusing what the kernel would not do", async () => {
    const h = await setup();
    await plug(h, region(0, 256 * MiB), 2, "online_movable");
    const w = h.mm.workload;
    w.allocate(VM_BLOCK0, 10);
    w.pin(VM_BLOCK0, 4);
    expect(w.usage(VM_BLOCK0)).toMatchObject({ free: pages(128 * MiB) - 10, movable: 6, pinned: 4 });
    const movableOnly = thrown(() => {
      w.allocate(VM_BLOCK0, 1, "unmovable");
    });
    expect(movableOnly.code).toBe("EINVAL");
    expect(movableOnly.message).toContain("ZONE_MOVABLE");
    expect(() => {
      w.allocate(VM_BLOCK0, pages(128 * MiB));
    }).toThrow(expect.objectContaining({ code: "ENOMEM" }));
    expect(() => {
      w.free(VM_BLOCK0, 7);
    }).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => {
      w.allocate(VM_BLOCK0, -1);
    }).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => {
      w.allocate(1234567, 1);
    }).toThrow(expect.objectContaining({ code: "ENODEV" }));
    w.unpin(VM_BLOCK0, 4);
    w.free(VM_BLOCK0, 10);
    expect(w.usage(VM_BLOCK0).free).toBe(pages(128 * MiB));
    h.mm.offlineRange(region(0, 128 * MiB));
    const offline = thrown(() => {
      w.allocate(VM_BLOCK0, 1);
    });
    expect([offline.code, offline.message.includes("offline")]).toEqual(["EINVAL", true]);
  });

  it("allocateOnNode fills blocks by id, all or nothing", async () => {
    const h = await setup();
    await plug(h, region(0, 256 * MiB), 2, "online_movable");
    expect(h.mm.workload.allocateOnNode(2, pages(128 * MiB) + 5)).toEqual([
      { block: VM_BLOCK0, pages: pages(128 * MiB) },
      { block: VM_BLOCK0 + 1, pages: 5 },
    ]);
    const before = h.mm.snapshot();
    expect(() => h.mm.workload.allocateOnNode(2, pages(128 * MiB))).toThrow(expect.objectContaining({ code: "ENOMEM" }));
    expect(() => h.mm.workload.allocateOnNode(2, 1, "unmovable")).toThrow(expect.objectContaining({ code: "ENOMEM" }));
    expect(h.mm.snapshot()).toEqual(before);
  });
});
