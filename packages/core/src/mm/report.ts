/**
 * Plain-text rendering of a hotplug result, one line per step, for logs and for comparing what a
 * driver does with the flows discussed on the list (seed 000: "hotunplug(extents_map[A])" versus
 * going through dax): which steps ran, which one failed, and what was rolled back.
 */
import { formatRange } from "./ranges.js";
import { type HotplugResult, type HotplugStep } from "./types.js";

/** Milliseconds to two decimals, without trailing zeros. */
function ms(n: number): string {
  return String(Math.round(n * 100) / 100);
}

function describeStep(step: HotplugStep): string {
  const target = step.block !== undefined ? ` memory${step.block}` : step.node !== undefined ? ` node${step.node}` : "";
  const notes: string[] = [];
  if (step.rollback) notes.push("rollback");
  if (step.skipped === true) notes.push("already done");
  if (step.zone !== undefined) notes.push(step.zone);
  if (step.migratedPages !== undefined && step.migratedPages > 0) notes.push(`${step.migratedPages} pages migrated`);
  const detail = notes.length > 0 ? ` (${notes.join(", ")})` : "";
  const failure = step.error === undefined ? "" : `: ${step.error.code}${step.reason === undefined ? "" : ` ${step.reason}`}`;
  return `${step.action}${target}${detail}${failure}`;
}

/**
 * `offline [mem 0x4000000000-0x40ffffffff]: EBUSY at step 2 of 3`, then one numbered line per step
 * with its status (`ok`, `FAILED`) and its simulated duration.
 */
export function formatHotplugResult(result: HotplugResult): string {
  const head = `${result.operation} ${formatRange(result.range)}: ${result.ok ? "ok" : `${result.error.code} at step ${result.failedStep + 1} of ${result.steps.length}`} (${ms(result.durationMs)} ms)`;
  const lines = result.steps.map((s, i) => `  ${String(i + 1).padStart(2)} ${(s.ok ? "ok" : "FAILED").padEnd(6)} ${describeStep(s)} ${ms(s.durationMs)} ms`);
  return [head, ...lines].join("\n");
}
