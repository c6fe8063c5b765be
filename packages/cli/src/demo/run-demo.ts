/**
 * `dcd demo`, the main job: the cover letter's workflow for every region driver that exists,
 * with the sequence diagram of what actually happened and the final `cxl list` JSON. Exits 0
 * only if every step behaved as the kernel rules say.
 */
import { type Host } from "@dcd/core";
import { cxlList } from "../commands/cxl/list.js";
import { type Io } from "../main.js";
import { DEMO_DRIVERS } from "./drivers.js";
import { renderSequence } from "./sequence-diagram.js";
import { ACTORS, type DemoDriver, runWorkflow } from "./workflow.js";

export interface DemoOptions {
  readonly io: Io;
  /** Print the sequence diagrams (default true). */
  readonly diagram?: boolean;
  /** Drivers to run; default every one the demo knows. */
  readonly drivers?: readonly DemoDriver[];
  /** Renders `cxl list -M -R -N` of a host; default: the cxl commands' libcxl-style reader of its sysfs. */
  readonly cxlList?: (host: Host) => string;
}

function defaultList(host: Host): string {
  return cxlList(host.sysfs, { memdevs: true, regions: true, extents: true }).out;
}

export async function runDemo(options: DemoOptions): Promise<number> {
  const { io } = options;
  let failed = 0;
  for (const d of options.drivers ?? DEMO_DRIVERS) {
    const run = await runWorkflow(d, options.cxlList ?? defaultList);
    try {
      io.out(`\n== ${run.driver}: region driver ${d.driver} ==\n\n`);
      if (options.diagram !== false) io.out(renderSequence(ACTORS, run.steps) + "\n\n");
      for (const c of run.checks) io.out(`${c.ok ? "ok  " : "FAIL"} ${c.step}: ${c.detail}\n`);
      failed += run.checks.filter((c) => !c.ok).length;
      for (const l of run.listings) io.out(`\n# ${l.when}\n${l.text}`);
    } finally {
      await run.dispose();
    }
  }
  io.out(failed === 0 ? "\ndemo: every step behaved as the kernel rules say\n" : `\ndemo: ${failed} step(s) misbehaved\n`);
  return failed === 0 ? 0 : 1;
}
