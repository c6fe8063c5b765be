/**
 * Direct hot-plug and hot-unplug of N untagged extents through the sysram policy (admit →
 * accepted → release), on a real host (CXL core, a sysram-bound DC region, the memory model with a
 * virtual clock). Groups are handed to the policy directly, so the numbers are the driver's and the
 * memory model's cost per extent, without the device, mailbox and event pipeline (benchmarked by
 * core's extent.bench.ts).
 *
 * - 128 MiB extents on a 16 GiB host with 128 MiB blocks;
 * - 2 GiB extents on a 64 GiB bare-metal host with 2 GiB blocks.
 *
 * memmap_on_memory is on: 10,000 hot-plugged blocks would otherwise need 20 GiB (resp. 320 GiB) of
 * boot RAM for their memmap. Prints a table of wall time, simulated time and per-extent cost for
 * N = 100 … 10,000.
 *
 * Known cost: core mm does O(blocks) work per operation (save() per offline, zone-span and node
 * scans over every block), so the per-extent wall cost grows with N. 3,000 extents already take
 * about 22 s, and 10,000 take more than 15 minutes on a shared 2-core machine.
 */
import { type ExtentGroup, type MemoryHotplugOptions, NULL_UUID } from "@dcd/core";
import { bench, describe } from "vitest";
import { dcRegion, GIB, MIB, sysramHost, sysramOf } from "./test-support/sysram-host.js";

interface Row {
  readonly case: string;
  readonly extents: number;
  readonly plugWallMs: number;
  readonly unplugWallMs: number;
  readonly plugSimMs: number;
  readonly unplugSimMs: number;
  readonly plugWallUsPerExtent: number;
  readonly unplugWallUsPerExtent: number;
  readonly plugSimMsPerExtent: number;
  readonly unplugSimMsPerExtent: number;
}

const rows: Row[] = [];
const BASE = 128 * GIB;

function group(i: number, size: number): ExtentGroup {
  return {
    tag: NULL_UUID,
    tagged: false,
    sharable: false,
    region: "region0",
    memdev: "mem0",
    existing: false,
    extents: [{ dpa: i * size, length: size, hpa: BASE + i * size, offset: i * size, tag: NULL_UUID, seqNum: 0, sharedSeq: 0, name: `extent0.${i}` }],
  };
}

async function run(label: string, n: number, size: number, memory: MemoryHotplugOptions): Promise<void> {
  const h = await sysramHost({ memory: { ...memory, memmapOnMemory: true }, sysram: { onlineType: "online_movable", memmapOnMemory: true }, dcSize: GIB });
  try {
    const policy = sysramOf(await dcRegion(h)).policy;
    const groups = Array.from({ length: n }, (_, i) => group(i, size));
    let sim = h.mm.now;
    let wall = performance.now();
    for (const g of groups) {
      const a = await policy.admit(g);
      if (!a.admit) throw new Error(a.reason);
      await policy.accepted(g);
    }
    const plugWallMs = performance.now() - wall;
    const plugSimMs = h.mm.now - sim;
    if (h.mm.totals().pluggedBytes !== n * size) throw new Error("not all plugged");
    sim = h.mm.now;
    wall = performance.now();
    for (const g of groups) {
      const v = await policy.release(g, "device");
      if (v.result !== "released") throw new Error(v.reason);
    }
    const unplugWallMs = performance.now() - wall;
    const unplugSimMs = h.mm.now - sim;
    if (h.mm.totals().pluggedBytes !== 0) throw new Error("not all unplugged");
    rows.push({
      case: label,
      extents: n,
      plugWallMs: Math.round(plugWallMs),
      unplugWallMs: Math.round(unplugWallMs),
      plugSimMs: Math.round(plugSimMs),
      unplugSimMs: Math.round(unplugSimMs),
      plugWallUsPerExtent: Math.round((plugWallMs * 1000) / n),
      unplugWallUsPerExtent: Math.round((unplugWallMs * 1000) / n),
      plugSimMsPerExtent: Number((plugSimMs / n).toFixed(3)),
      unplugSimMsPerExtent: Number((unplugSimMs / n).toFixed(3)),
    });
  } finally {
    await h.dispose();
  }
}

const once = { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 };
const SMALL: MemoryHotplugOptions = { boot: [{ node: 0, size: 16 * GIB }] };
const LARGE: MemoryHotplugOptions = { boot: [{ node: 0, size: 64 * GIB }], blockSize: 2 * GIB };

// 10,000 extents are reachable (DCD_BENCH_LEVELS=100,1000,10000) but slow until core/src/mm stops
// scanning every block per operation; the default levels keep `pnpm bench` to a few minutes.
const LEVELS = (process.env.DCD_BENCH_LEVELS ?? "100,1000").split(",").map(Number);
const CASES: { label: string; name: (n: number) => string; size: number; mm: MemoryHotplugOptions }[] = [
  { label: "128 MiB / 128 MiB blocks", name: (n) => `${n} × 128 MiB extents (128 MiB blocks)`, size: 128 * MIB, mm: SMALL },
  { label: "2 GiB / 2 GiB blocks", name: (n) => `${n} × 2 GiB extents (2 GiB blocks)`, size: 2 * GIB, mm: LARGE },
];

describe("sysram direct hot-plug / unplug", () => {
  const all = CASES.flatMap((c) => LEVELS.map((n) => ({ c, n })));
  all.forEach(({ c, n }, i) => {
    // vitest's bench mode runs no afterAll: the last bench's teardown prints the table.
    const last = i === all.length - 1 ? { teardown: () => { console.table(rows); } } : {};
    bench(c.name(n), () => run(c.label, n, c.size, c.mm), { ...once, ...last });
  });
});
