/**
 * Memory-hotplug throughput (wall time of the model, not simulated time).
 *
 * - H1 (256 GiB boot RAM, 2 GiB blocks): hot-add 64 GiB on node 2 online_movable, half full of
 *   movable pages, then offline (migrating to nodes 0 and 1) and remove it;
 * - VM1 (8 GiB boot RAM, 128 MiB blocks): the same with 32 GiB (256 blocks), the many-block case,
 *   an eighth full (node 0 must have room for what is migrated);
 * - scale: N separate 128 MiB ranges (one block each, memmap on memory) added and onlined one by
 *   one, each given 100 movable pages, then offlined (migrating them to the boot blocks) and
 *   removed one by one; prints µs per range for N = 100, 1,000, 10,000 (the cost must not grow
 *   with the number of blocks plugged).
 */
import { bench, describe } from "vitest";
import { GiB, H1, memoryHost, MiB, REGION_BASE, VM1 } from "./test-support/memory-host.js";
import { type MemoryHotplugOptions } from "../index.js";

const runs = { iterations: 5, time: 0, warmupIterations: 1, warmupTime: 0 };

/** Hot-add `size`, fill `fill` of it with movable pages, offline (migrating them) and remove it. */
async function cycle(options: MemoryHotplugOptions, size: number, fill: number): Promise<void> {
  const { host, mm } = await memoryHost(options);
  try {
    const range = { start: REGION_BASE, size };
    const added = await mm.addMemory({ ...range, node: 2, resourceName: "System RAM (bench)", driverManaged: true, onlineType: "online_movable" });
    if (!added.ok) throw added.error;
    mm.workload.allocateOnNode(2, Math.floor((size / 4096) * fill));
    const removed = await mm.offlineAndRemoveMemory(range);
    if (!removed.ok) throw removed.error;
  } finally {
    await host.dispose();
  }
}

/** Per-range wall time of N single-block add + online and offline + remove cycles, for the table. */
const scaleRows: string[] = [];

async function scale(n: number): Promise<void> {
  const { host, mm } = await memoryHost({ ...VM1, memmapOnMemory: true });
  try {
    const range = (i: number) => ({ start: REGION_BASE + i * 128 * MiB, size: 128 * MiB });
    let t = performance.now();
    for (let i = 0; i < n; i++) {
      const r = await mm.addMemory({ ...range(i), node: 2, resourceName: "System RAM (bench)", driverManaged: true, onlineType: "online_movable", memmapOnMemory: true });
      if (!r.ok) throw r.error;
      mm.workload.allocate(mm.blockIdOf(range(i).start), 100);
    }
    const plug = performance.now() - t;
    t = performance.now();
    for (let i = 0; i < n; i++) {
      const r = await mm.offlineAndRemoveMemory(range(i));
      if (!r.ok) throw r.error;
    }
    const unplug = performance.now() - t;
    scaleRows.push(`| ${n} | ${((plug * 1000) / n).toFixed(0)} | ${((unplug * 1000) / n).toFixed(0)} |`);
  } finally {
    await host.dispose();
  }
}

describe("memory hotplug", () => {
  bench("H1: add + online 64 GiB (32 blocks), offline with migration, remove", () => cycle(H1, 64 * GiB, 1 / 2), runs);
  bench("VM1: add + online 32 GiB (256 blocks), offline with migration, remove", () => cycle(VM1, 32 * GiB, 1 / 8), runs);
});

describe("memory hotplug at scale", () => {
  const once = { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 };
  const levels = [100, 1000, 10_000];
  for (const n of levels) {
    // tinybench also calls teardown after the (empty) warm-up: print only after the run.
    const print = n === levels.at(-1) ? { teardown: (_task: unknown, mode: "warmup" | "run") => { if (mode === "run") console.log(["", "| N | add + online + allocate µs/range | offline (migrating) + remove µs/range |", "|---:|---:|---:|", ...scaleRows, ""].join("\n")); } } : {};
    // An async function: tinybench calls a plain one once more to find out whether it is async.
    bench(`VM1: ${n} × 128 MiB ranges plugged, used, unplugged one by one`, async () => { await scale(n); }, { ...once, ...print });
  }
});
