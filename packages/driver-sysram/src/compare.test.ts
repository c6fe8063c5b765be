/**
 * Comparison data (issue 7 §6, seed 000): the same hot-unplug workload through the direct path
 * and through region → dax_region → dax0.N → kmem, run for real on the dax layer.
 */
import { createHost, installMemoryHotplug, VirtualClock } from "@dcd/core";
import { useLeakCheck } from "@dcd/testing";
import { describe, expect, it } from "vitest";
import { compareReleasePaths, daxKmemHook, type MemoryModelHandle, type UnplugWorkload } from "./compare.js";
import { daxKmemReleasePath } from "./dax-path/dax-kmem-path.js";
import { formatReleaseComparison } from "./dax-path/side-by-side.js";
import { daxKmemModel, WINDOW_BASE } from "./dax-path/test-support/dax-kmem-host.js";
import { directHotUnplug } from "./direct-path.js";

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const BASE = WINDOW_BASE;

async function model(): Promise<MemoryModelHandle> {
  const host = await createHost({ name: "cmp", clock: new VirtualClock() });
  const mm = await installMemoryHotplug(host, { boot: [{ node: 0, size: 16 * GIB }] });
  return { mm, dispose: () => host.dispose() };
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

  it("seed 000: the same workload through dax-kmem takes more steps, and the pinned page fails it at dax-unplug instead of hotunplug", async () => {
    const result = await compareReleasePaths(daxKmemModel, workload, daxKmemHook);
    const dax = result.daxKmem ?? [];
    expect(dax.map((r) => [r.path, r.outcome])).toEqual([
      ["dax-kmem", "released"],
      ["dax-kmem", "deferred"],
    ]);
    expect(dax[0]?.steps.map((s) => s.stage)).toEqual(["hotunplug", "dax-coverage", "dax-unplug", "dax-unbind", "release-dc"]);
    expect(dax[0]?.steps.every((s) => s.ok)).toBe(true);
    expect(dax[0]?.failurePoints).toEqual([]);
    // Same pages migrated either way: the dax layer adds steps, not memory work.
    expect(dax[0]?.migratedPages).toBe(result.direct[0]?.migratedPages);
    expect(dax[1]?.steps.map((s) => [s.stage, s.ok])).toEqual([
      ["hotunplug", true],
      ["dax-coverage", true],
      ["dax-unplug", false],
    ]);
    expect(dax[1]?.failurePoints).toEqual([expect.objectContaining({ stage: "dax-unplug", kind: "hotplug", errno: "EBUSY", reason: "timeout" })]);
    expect(dax[1]?.durationMs).toBeGreaterThanOrEqual(30_000);
    // The deferred group keeps its blocks on both paths.
    expect(dax[1]?.blocks).toHaveLength(2);
    expect(result.direct[1]?.blocks).toHaveLength(2);
    // Side by side: per release, more steps through dax, and the failure at a later step.
    for (const [i, d] of result.direct.entries()) expect(dax[i]?.steps.length ?? 0).toBeGreaterThan(d.steps.length);
    const failedAt = (r: { steps: readonly { ok: boolean }[] } | undefined) => r?.steps.findIndex((s) => !s.ok);
    expect([failedAt(result.direct[1]), failedAt(dax[1])]).toEqual([0, 2]);
    const table = formatReleaseComparison(result).split("\n");
    expect(table[0]).toMatch(/^release\s+path\s+outcome\s+steps\s+stages\s+failed at\s+errno\s+reason\s+migrated\s+sim ms$/);
    expect(table.slice(1, 5).map((l) => l.split(/\s{2,}/).slice(0, 8))).toEqual([
      ["#0", "direct", "released", "2", "hotunplug>release-dc", "-", "-", "-"],
      ["#0", "dax-kmem", "released", "5", "hotunplug>dax-coverage>dax-unplug>dax-unbind>release-dc", "-", "-", "-"],
      ["#1", "direct", "deferred", "1", "hotunplug!", "hotunplug", "EBUSY", "timeout"],
      ["#1", "dax-kmem", "deferred", "3", "hotunplug>dax-coverage>dax-unplug!", "dax-unplug", "EBUSY", "timeout"],
    ]);
  });

  it("a release that covers part of a dax device fails for a dax reason; the direct path releases the same range", async () => {
    const h = await daxKmemModel();
    try {
      const path = daxKmemReleasePath(h.dax ?? expect.unreachable(), { onlineType: "online_movable" });
      const a = { start: BASE, size: 128 * MIB };
      const b = { start: BASE + 512 * MIB, size: 128 * MIB };
      await path.plug([a, b]);
      const partial = await path.release([a]);
      expect(partial.outcome).toBe("deferred");
      expect(partial.steps.map((s) => [s.stage, s.ok])).toEqual([
        ["hotunplug", true],
        ["dax-coverage", false],
      ]);
      expect(partial.failurePoints).toEqual([expect.objectContaining({ stage: "dax-coverage", kind: "dax", errno: "EBUSY" })]);
      // Nothing moved: both blocks are still online and both extents still the host's.
      expect(h.mm.blocks().filter((x) => x.start >= BASE && x.start < BASE + GIB).map((x) => x.state)).toEqual(["online", "online"]);
      expect([a, b].map((r) => h.dax?.accepted(r))).toEqual([true, true]);
      const direct = await directHotUnplug(h.mm, [a], "online_movable", () => h.mm.now);
      expect(direct.error).toBeUndefined();
      expect(direct.steps.map((s) => s.stage)).toEqual(["hotunplug", "release-dc"]);
    } finally {
      await h.dispose();
    }
  });
});
