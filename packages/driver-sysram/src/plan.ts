/**
 * What a group becomes in memory blocks: one block-aligned range per extent (untagged extents are
 * tracked one by one; a tagged set is the union of its members' ranges), and what is stranded.
 * Pure arithmetic, so `admit` can decide without touching anything.
 */
import { alignToBlocks, type ExtentGroup, formatRange, type MemoryRange } from "@dcd/core";
import { type StrandedPolicy, type SysramRange } from "./types.js";

export type GroupPlan = { readonly ok: true; readonly ranges: readonly SysramRange[]; readonly truncated: readonly SysramRange[] } | { readonly ok: false; readonly reason: string };

/** `%s` of a byte count the way the scenarios log it (`2.00 GiB`). */
export function formatBytes(bytes: number): string {
  const GiB = 1024 ** 3;
  const MiB = 1024 ** 2;
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(2)} GiB`;
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(2)} MiB`;
  return `${bytes} bytes`;
}

function extentLabel(name: string, index: number): string {
  return name === "" ? `extent #${index}` : name;
}

/**
 * Align every member inward to whole blocks. Any member with no whole block refuses the group
 * ("too small after alignment"), whatever the policy: a tagged set is all or nothing, and an
 * untagged member that cannot be plugged would be accepted capacity the host never uses. With
 * `reject`, any stranded byte refuses the group; with `truncate`, the rest is stranded.
 */
export function planGroup(group: ExtentGroup, blockSize: number, policy: StrandedPolicy): GroupPlan {
  const ranges: SysramRange[] = [];
  const truncated: SysramRange[] = [];
  for (const [i, e] of group.extents.entries()) {
    const name = extentLabel(e.name, i);
    const whole: MemoryRange = { start: e.hpa, size: e.length };
    const { aligned, strandedBytes } = alignToBlocks(whole, blockSize);
    if (aligned === undefined) {
      return { ok: false, reason: `${name} ${formatRange(whole)}: too small after alignment to the ${formatBytes(blockSize)} memory block size` };
    }
    if (strandedBytes > 0 && policy === "reject") {
      return {
        ok: false,
        reason: `${name} ${formatRange(whole)}: not aligned to the ${formatBytes(blockSize)} memory block size; ${formatBytes(strandedBytes)} would be stranded (stranded_policy=reject)`,
      };
    }
    const range: SysramRange = { start: aligned.start, size: aligned.size, extent: e.name, strandedBytes };
    ranges.push(range);
    if (strandedBytes > 0) truncated.push(range);
  }
  return { ok: true, ranges, truncated };
}
