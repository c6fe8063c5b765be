/**
 * The DAX path of seed 000 ("current setup"), run for real through `@dcd/core`'s dax layer:
 * region (DAX policy) → dax_regionZ → daxZ.N claimed by tag → kmem (system-ram) → workload →
 * release. A release walks seed 000's steps, each of which can stop it:
 *
 * 1. `hotunplug` — cxl: hotunplug(dax_map[A]): find the dax device holding the extents;
 * 2. `dax-coverage` — does A cover the entire dax device? (no → reject: a dax reason);
 * 3. `dax-unplug` — `daxZ.N/state` ← `unplugged`: offline and remove every range at once
 *    (normal hot-unplug reasons: EBUSY, rolled back);
 * 4. `dax-unbind` — unbind kmem and destroy the device, giving its extents back to the region;
 * 5. `release-dc` — the FM re-issues the release (v11 forgets a deferred one) and the host
 *    answers with Release DC.
 */
import { type DaxMapping, DaxSubsystem, type DevDax, errno, type ErrnoCode, type Host, type HotplugStep, type MemoryHotplug, memoryHotplugOf, type MemoryRange, type OnlineType } from "@dcd/core";
import { hotplugFailurePoints, migratedPages } from "../direct-path.js";
import { type DaxKmemReleasePath, type SysramFailurePoint, type SysramReleaseReport, type SysramReleaseStage, type SysramReleaseStep } from "../types.js";

/** A host set up for the DAX path, and the FM that offers and releases its extents. */
export interface DaxPathEnv {
  /** Has the memory-hotplug model, the dax layer and a live DC dax region `region`. */
  readonly host: Host;
  /** Z of `dax_regionZ`. */
  readonly region: number;
  /** FM: add extents covering exactly `ranges` (HPA) as one chain tagged `tag`; resolves when the host answered. */
  offer(ranges: readonly MemoryRange[], tag: string): Promise<void>;
  /** FM: ask for the extents covering `ranges` back; resolves when the host answered. */
  release(ranges: readonly MemoryRange[], tag: string): Promise<void>;
  /** Whether the device still counts the extent at `range` as the host's. */
  accepted(range: MemoryRange): boolean;
}

export interface DaxKmemPathOptions {
  /** How kmem's memory is onlined after the device goes system-ram. Default `online_movable` (daxctl). */
  readonly onlineType?: Exclude<OnlineType, "offline">;
}

interface PluggedGroup {
  readonly tag: string;
  readonly device: string;
}

/** A deterministic tag per plugged group (the FM's allocation UUID). */
function groupTag(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
}

const overlaps = (a: MemoryRange, m: DaxMapping): boolean => a.start <= m.end && m.start < a.start + a.size;

/** The dax-kmem path over `env` (see the file comment for its steps). */
export function daxKmemReleasePath(env: DaxPathEnv, options: DaxKmemPathOptions = {}): DaxKmemReleasePath {
  const dax = DaxSubsystem.of(env.host);
  const mmOrUndefined = memoryHotplugOf(env.host);
  if (mmOrUndefined === undefined) throw errno("ENODEV", `${env.host.name}: the dax-kmem path needs the memory-hotplug model`);
  const mm: MemoryHotplug = mmOrUndefined;
  const onlineType = options.onlineType ?? "online_movable";
  const plugged = new Map<string, PluggedGroup>();
  const key = (ranges: readonly MemoryRange[]): string => ranges.map((r) => `${r.start}+${r.size}`).join(",");

  return {
    path: "dax-kmem",
    async plug(ranges) {
      const tag = groupTag(plugged.size + 1);
      await env.offer(ranges, tag);
      const missing = ranges.find((r) => !env.accepted(r));
      if (missing !== undefined) throw errno("EINVAL", `dax-kmem path: the host did not accept the extent at ${missing.start.toString(16)}`);
      const dev = await dax.createDevice({ region: env.region, uuid: tag });
      await dax.reconfigure(dev, "system-ram", { online: onlineType });
      plugged.set(key(ranges), { tag, device: dev.name });
    },
    async release(ranges) {
      const startMs = mm.now;
      const steps: SysramReleaseStep[] = [];
      const hotplug: HotplugStep[] = [];
      let failurePoints: SysramFailurePoint[] = [];
      const group = plugged.get(key(ranges));
      const tag = group?.tag ?? "";
      let device: string | undefined;
      const step = (stage: SysramReleaseStage, ok: boolean, at: number, taken: readonly HotplugStep[] = []): boolean => {
        steps.push({ stage, ok, hotplug: taken, startMs: at, durationMs: mm.now - at });
        hotplug.push(...taken);
        return ok;
      };
      const daxFailure = (stage: SysramReleaseStage, code: ErrnoCode, message: string): false => {
        failurePoints = [{ stage, kind: "dax", errno: code, message }];
        return false;
      };
      const run = async (): Promise<boolean> => {
        // 2) cxl: hotunplug(dax_map[A]).
        let at = mm.now;
        const holders = dax.devices().filter((d) => d.mappings().some((m) => ranges.some((r) => overlaps(r, m))));
        const holder: DevDax | undefined = holders[0];
        if (holder === undefined || holders.length > 1) {
          step("hotunplug", false, at);
          return daxFailure("hotunplug", "ENXIO", holder === undefined ? "no dax device maps these extents" : `the extents are split over ${holders.map((d) => d.name).join(", ")}`);
        }
        device = holder.name;
        step("hotunplug", true, at);
        // 3) dax: does this cover the entire dax device? (no → reject).
        at = mm.now;
        const mappings = holder.mappings();
        const whole = mappings.every((m) => ranges.some((r) => r.start <= m.start && m.end < r.start + r.size)) && ranges.every((r) => mappings.some((m) => overlaps(r, m)));
        if (!step("dax-coverage", whole, at)) return daxFailure("dax-coverage", "EBUSY", `${holder.name}: the release covers part of the device; a dax device goes whole`);
        // ... unplug(): might fail for normal hot-unplug reasons, rolled back.
        at = mm.now;
        const t = await dax.setKmemState(holder, "unplugged");
        if (!step("dax-unplug", t.ok, at, t.results.flatMap((r) => r.steps))) {
          const failed = t.results.find((r) => !r.ok);
          failurePoints = failed === undefined ? [] : hotplugFailurePoints("dax-unplug", failed);
          return false;
        }
        // 4) unbind dax (and destroy the device: its extents go back to the region).
        at = mm.now;
        try {
          await dax.destroyDevice(holder);
        } catch (err) {
          step("dax-unbind", false, at);
          const e = err as { code?: ErrnoCode; message?: string };
          return daxFailure("dax-unbind", e.code ?? "EIO", e.message ?? String(err));
        }
        step("dax-unbind", true, at);
        // 5) return extent: the FM asks again and the host answers with Release DC.
        at = mm.now;
        await env.release(ranges, tag);
        const kept = ranges.filter((r) => env.accepted(r));
        if (!step("release-dc", kept.length === 0, at)) return daxFailure("release-dc", "EBUSY", `${kept.length} extent(s) still held by the host`);
        return true;
      };
      const released = await run();
      if (released) plugged.delete(key(ranges));
      const report: SysramReleaseReport = {
        path: "dax-kmem",
        region: `region${env.region}`,
        tag,
        extents: ranges.map((_, k) => `${device ?? "?"}/mapping${k}`),
        cause: "device",
        outcome: released ? "released" : "deferred",
        blocks: released ? [] : mm.blocks().filter((b) => ranges.some((r) => b.start >= r.start && b.start < r.start + r.size)).map((b) => b.id),
        steps,
        failurePoints,
        migratedPages: migratedPages(hotplug),
        startMs,
        durationMs: mm.now - startMs,
      };
      return report;
    },
  };
}
