/**
 * The direct hot-unplug path of seed 000 ("FM: release A → host: hotunplug(extents_map[A]) →
 * RELEASE_DC"): offline every block of the group in one all-or-nothing operation (movable pages
 * migrate; anything unmovable or pinned fails it and the blocks already offlined come back
 * online), then remove the ranges. Shared by the driver and the comparison runner.
 */
import { type DcdError, type HotplugResult, type HotplugStep, type MemoryHotplug, type MemoryRange, type OnlineType } from "@dcd/core";
import { type SysramFailurePoint, type SysramReleaseStep } from "./types.js";

export interface DirectUnplugOutcome {
  /** Undefined when every range was removed. */
  readonly error: DcdError | undefined;
  readonly steps: readonly SysramReleaseStep[];
  readonly failurePoints: readonly SysramFailurePoint[];
  readonly migratedPages: number;
}

/** Failure points of a hotplug result: the failing block steps (rollbacks excluded). */
export function hotplugFailurePoints(stage: SysramReleaseStep["stage"], result: HotplugResult): SysramFailurePoint[] {
  if (result.ok) return [];
  const points: SysramFailurePoint[] = [];
  for (const s of result.steps) {
    if (s.ok || s.rollback || s.error === undefined) continue;
    points.push({
      stage,
      kind: "hotplug",
      errno: s.error.code,
      message: s.error.message,
      ...(s.block === undefined ? {} : { block: s.block }),
      ...(s.reason === undefined ? {} : { reason: s.reason }),
    });
  }
  return points.length > 0 ? points : [{ stage, kind: "hotplug", errno: result.error.code, message: result.error.message }];
}

/** Pages migrated by the successful offline steps. */
export function migratedPages(steps: readonly HotplugStep[]): number {
  return steps.reduce((sum, s) => sum + (!s.rollback && s.ok ? (s.migratedPages ?? 0) : 0), 0);
}

/**
 * Offline and remove `ranges` as one unit. On failure nothing is removed and every block is as it
 * was (`restoreType` re-onlines ranges if a remove failed after the offline succeeded).
 */
export async function directHotUnplug(mm: MemoryHotplug, ranges: readonly MemoryRange[], restoreType: OnlineType, now: () => number): Promise<DirectUnplugOutcome> {
  const startMs = now();
  const off = mm.offlineRanges(ranges);
  const hotplug: HotplugStep[] = [...off.steps];
  let error: DcdError | undefined = off.ok ? undefined : off.error;
  let failurePoints = hotplugFailurePoints("hotunplug", off);
  if (off.ok) {
    const removed: MemoryRange[] = [];
    for (const r of ranges) {
      const rem = await mm.removeMemory(r);
      hotplug.push(...rem.steps);
      if (!rem.ok) {
        error = rem.error;
        failurePoints = hotplugFailurePoints("hotunplug", rem);
        break;
      }
      removed.push(r);
    }
    if (error !== undefined && restoreType !== "offline") {
      // Put back online what is still plugged, so a deferred release leaves the group as it was.
      for (const r of ranges) if (!removed.includes(r)) hotplug.push(...mm.onlineRange(r, restoreType).steps);
    }
    if (error !== undefined && removed.length > 0) error = undefined; // partly removed: cannot be undone; report it as released.
  }
  const steps: SysramReleaseStep[] = [{ stage: "hotunplug", ok: error === undefined, hotplug, startMs, durationMs: now() - startMs }];
  if (error === undefined) steps.push({ stage: "release-dc", ok: true, hotplug: [], startMs: now(), durationMs: 0 });
  return { error, steps, failurePoints: error === undefined ? [] : failurePoints, migratedPages: migratedPages(hotplug) };
}
