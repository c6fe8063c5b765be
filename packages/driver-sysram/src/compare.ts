/**
 * Comparison data (seed 000's argument): run one hot-unplug workload through the direct path and,
 * when asked, through region → dax_region → dax0.0 → kmem, and return one
 * {@link SysramReleaseReport} per release per path, as data; `formatReleaseComparison` is one way
 * to print it side by side, a report may tabulate it its own way.
 */
import { errno, type MemoryHotplug, type MemoryRange, type OnlineType, type PageKind } from "@dcd/core";
import { daxKmemReleasePath, type DaxPathEnv } from "./dax-path/dax-kmem-path.js";
import { directHotUnplug } from "./direct-path.js";
import { type DaxKmemReleasePath, type SysramReleaseReport } from "./types.js";

/** What to plug, how pages are used, and then release each group in order. */
export interface UnplugWorkload {
  readonly onlineType: Exclude<OnlineType, "offline">;
  readonly node: number;
  /** One entry per group (a tagged set or one untagged extent): its block-aligned ranges. */
  readonly groups: readonly (readonly MemoryRange[])[];
  /** Pages to allocate after plugging, by group and block index inside the group. */
  readonly pages?: readonly { readonly group: number; readonly block: number; readonly kind: PageKind; readonly pages: number }[];
}

/** A fresh memory model and how to get rid of it (its host). */
export interface MemoryModelHandle {
  readonly mm: MemoryHotplug;
  /** The host and FM for a real dax-kmem run ({@link daxKmemHook}); its host owns `mm`. */
  readonly dax?: DaxPathEnv;
  dispose(): Promise<void>;
}

/** Builds the dax-kmem path on the second model. */
export type DaxKmemHook = (mm: MemoryHotplug, handle: MemoryModelHandle, workload: UnplugWorkload) => DaxKmemReleasePath;

/**
 * The real dax-kmem path (`dax-path/dax-kmem-path.ts`) over `handle.dax`, onlining as the
 * workload says. EINVAL when the model handle has no dax environment.
 */
export const daxKmemHook: DaxKmemHook = (_mm, handle, workload) => {
  if (handle.dax === undefined) throw errno("EINVAL", "compareReleasePaths: the model handle has no dax environment (MemoryModelHandle.dax)");
  return daxKmemReleasePath(handle.dax, { onlineType: workload.onlineType });
};

export interface UnplugComparison {
  readonly direct: readonly SysramReleaseReport[];
  /** Absent when no dax path was given. */
  readonly daxKmem?: readonly SysramReleaseReport[];
}

function applyPages(mm: MemoryHotplug, workload: UnplugWorkload): void {
  for (const p of workload.pages ?? []) {
    const ranges = workload.groups[p.group];
    if (ranges === undefined) throw errno("EINVAL", `workload: no group ${p.group}`);
    const blocks = ranges.flatMap((r) => mm.blocksOf(r));
    const block = blocks[p.block];
    if (block === undefined) throw errno("EINVAL", `workload: group ${p.group} has no block #${p.block}`);
    if (p.kind === "pinned") {
      mm.workload.allocate(block, p.pages, "movable");
      mm.workload.pin(block, p.pages);
    } else mm.workload.allocate(block, p.pages, p.kind);
  }
}

/**
 * Run `workload` on a fresh memory model from `makeMm` for each path. The direct path plugs each
 * range driver-managed and onlines it; the dax path plugs through its own `plug` (for the real
 * one, {@link daxKmemHook}: FM offer → claim by tag → system-ram).
 */
export async function compareReleasePaths(makeMm: () => Promise<MemoryModelHandle>, workload: UnplugWorkload, daxKmem?: DaxKmemHook): Promise<UnplugComparison> {
  const direct: SysramReleaseReport[] = [];
  const first = await makeMm();
  const mm = first.mm;
  try {
    for (const ranges of workload.groups) {
      for (const r of ranges) {
        const add = await mm.addMemory({ ...r, node: workload.node, resourceName: "System RAM (cxl_sysram)", driverManaged: true, onlineType: "offline" });
        if (!add.ok) throw add.error;
        const on = mm.onlineRange(r, workload.onlineType);
        if (!on.ok) throw on.error;
      }
    }
    applyPages(mm, workload);
    for (const [i, ranges] of workload.groups.entries()) {
      const startMs = mm.now;
      const out = await directHotUnplug(mm, ranges, workload.onlineType, () => mm.now);
      direct.push({
        path: "direct",
        region: "workload",
        tag: `group${i}`,
        extents: ranges.map((_, k) => `group${i}.${k}`),
        cause: "device",
        outcome: out.error === undefined ? "released" : "deferred",
        blocks: ranges.flatMap((r) => (out.error === undefined ? [] : mm.blocksOf(r))),
        steps: out.steps,
        failurePoints: out.failurePoints,
        migratedPages: out.migratedPages,
        startMs,
        durationMs: mm.now - startMs,
      });
    }
  } finally {
    await first.dispose();
  }
  if (daxKmem === undefined) return { direct };
  const daxReports: SysramReleaseReport[] = [];
  const second = await makeMm();
  const mm2 = second.mm;
  try {
    const path = daxKmem(mm2, second, workload);
    for (const ranges of workload.groups) await path.plug(ranges);
    applyPages(mm2, workload);
    for (const ranges of workload.groups) daxReports.push(await path.release(ranges));
  } finally {
    await second.dispose();
  }
  return { direct, daxKmem: daxReports };
}
