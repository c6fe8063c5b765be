/**
 * Memory-hotplug throughput (wall time of the model, not simulated time).
 *
 * - H1 (256 GiB boot RAM, 2 GiB blocks): hot-add 64 GiB on node 2 online_movable, half full of
 *   movable pages, then offline (migrating to nodes 0 and 1) and remove it;
 * - VM1 (8 GiB boot RAM, 128 MiB blocks): the same with 32 GiB (256 blocks), the many-block case,
 *   an eighth full (node 0 must have room for what is migrated).
 */
import { bench, describe } from "vitest";
import { GiB, H1, memoryHost, REGION_BASE, VM1 } from "./test-support/memory-host.js";
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

describe("memory hotplug", () => {
  bench("H1: add + online 64 GiB (32 blocks), offline with migration, remove", () => cycle(H1, 64 * GiB, 1 / 2), runs);
  bench("VM1: add + online 32 GiB (256 blocks), offline with migration, remove", () => cycle(VM1, 32 * GiB, 1 / 8), runs);
});
