/**
 * Comparison data (issue 7 §6): the same hot-unplug workload through the direct path and, through
 * the typed hook, a stand-in for region → dax_region → dax0.0 → kmem (the dax layer is not wired
 * here yet; the stand-in only shows the hook's contract: the extra dax steps and failure points).
 */
import { createHost, installMemoryHotplug, type MemoryHotplug, type MemoryRange, VirtualClock } from "@dcd/core";
import { useLeakCheck } from "@dcd/testing";
import { describe, expect, it } from "vitest";
import { compareReleasePaths, type MemoryModelHandle, type UnplugWorkload } from "./compare.js";
import { directHotUnplug } from "./direct-path.js";
import { type DaxKmemReleasePath, type SysramReleaseReport } from "./types.js";

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const BASE = 64 * GIB;

async function model(): Promise<MemoryModelHandle> {
  const host = await createHost({ name: "cmp", clock: new VirtualClock() });
  const mm = await installMemoryHotplug(host, { boot: [{ node: 0, size: 16 * GIB }] });
  return { mm, dispose: () => host.dispose() };
}

/** Seed 000's current flow, modelled on the memory model only: a dax device is the union of the ranges; releasing part of it is refused. */
function fakeDaxPath(mm: MemoryHotplug): DaxKmemReleasePath {
  const devices: MemoryRange[][] = [];
  return {
    path: "dax-kmem",
    async plug(ranges) {
      for (const r of ranges) {
        const add = await mm.addMemory({ ...r, node: 1, resourceName: "System RAM (kmem)", driverManaged: true, onlineType: "online_movable" });
        if (!add.ok) throw add.error;
      }
      devices.push([...ranges]);
    },
    async release(ranges) {
      const startMs = mm.now;
      const covered = devices.some((d) => d.length === ranges.length);
      const out = await directHotUnplug(mm, ranges, "online_movable", () => mm.now);
      const report: SysramReleaseReport = {
        path: "dax-kmem",
        region: "workload",
        tag: "",
        extents: [],
        cause: "device",
        outcome: covered && out.error === undefined ? "released" : "deferred",
        blocks: [],
        steps: [{ stage: "dax-coverage", ok: covered, hotplug: [], startMs, durationMs: 0 }, ...out.steps.slice(0, 1), { stage: "dax-unbind", ok: true, hotplug: [], startMs: mm.now, durationMs: 0 }, ...out.steps.slice(1)],
        failurePoints: out.failurePoints,
        migratedPages: out.migratedPages,
        startMs,
        durationMs: mm.now - startMs,
      };
      return report;
    },
  };
}

describe("compareReleasePaths", () => {
  useLeakCheck();

  const workload: UnplugWorkload = {
    onlineType: "online_movable",
    node: 1,
    groups: [[{ start: BASE, size: 256 * MIB }], [{ start: BASE + GIB, size: 128 * MIB }, { start: BASE + 2 * GIB, size: 128 * MIB }]],
    pages: [
      { group: 0, block: 0, kind: "movable", pages: 1000 },
      { group: 1, block: 1, kind: "pinned", pages: 4 },
    ],
  };

  it("runs the workload through the direct path: steps and failure points per release", async () => {
    const result = await compareReleasePaths(model, workload);
    expect(result.daxKmem).toBeUndefined();
    expect(result.direct.map((r) => r.outcome)).toEqual(["released", "deferred"]);
    expect(result.direct[0]?.steps.map((s) => s.stage)).toEqual(["hotunplug", "release-dc"]);
    expect(result.direct[0]?.migratedPages).toBe(1000);
    expect(result.direct[1]?.failurePoints).toEqual([expect.objectContaining({ stage: "hotunplug", kind: "hotplug", errno: "EBUSY", reason: "timeout" })]);
    expect(result.direct[1]?.steps.map((s) => s.stage)).toEqual(["hotunplug"]);
    // The pinned block's offline ran into the 30 s caller timeout: simulated time shows it.
    expect(result.direct[1]?.durationMs).toBeGreaterThanOrEqual(30_000);
  });

  it("runs the same workload through a dax-kmem path given by the hook", async () => {
    const result = await compareReleasePaths(model, workload, fakeDaxPath);
    expect(result.daxKmem?.map((r) => r.path)).toEqual(["dax-kmem", "dax-kmem"]);
    expect(result.daxKmem?.[0]?.steps.map((s) => s.stage)).toEqual(["dax-coverage", "hotunplug", "dax-unbind", "release-dc"]);
    expect(result.daxKmem?.[1]?.outcome).toBe("deferred");
  });
});
