/**
 * Seed 000's comparison as text: per release, the direct path next to the dax-kmem path (steps
 * taken, where it stopped and why, pages migrated, simulated time).
 */
import { type UnplugComparison } from "../compare.js";
import { type SysramReleaseReport } from "../types.js";

const COLUMNS = ["release", "path", "outcome", "steps", "stages", "failed at", "errno", "reason", "migrated", "sim ms"] as const;

function row(i: number, r: SysramReleaseReport): string[] {
  const failed = r.failurePoints[0];
  return [
    `#${i}`,
    r.path,
    r.outcome,
    String(r.steps.length),
    r.steps.map((s) => (s.ok ? s.stage : `${s.stage}!`)).join(">"),
    failed?.stage ?? "-",
    failed?.errno ?? "-",
    failed?.reason ?? (failed === undefined ? "-" : failed.kind),
    String(r.migratedPages),
    String(Math.round(r.durationMs)),
  ];
}

/** One row per release per path, the paths of a release next to each other; columns padded. */
export function formatReleaseComparison(c: UnplugComparison): string {
  const rows: string[][] = [];
  for (const [i, d] of c.direct.entries()) {
    rows.push(row(i, d));
    const other = c.daxKmem?.[i];
    if (other !== undefined) rows.push(row(i, other));
  }
  const table = [[...COLUMNS], ...rows];
  const widths = COLUMNS.map((_, k) => Math.max(...table.map((r) => (r[k] ?? "").length)));
  return table.map((r) => r.map((cell, k) => cell.padEnd(widths[k] ?? 0)).join("  ").trimEnd()).join("\n") + "\n";
}
