/**
 * Extent pipeline throughput and memory: N extents offered by the FM (5604h prescriptive, chains
 * of 100 extents: the v11 cap), read from the DC event log by the host (Get + Clear Event
 * Records), run through grouping, the group gates and the per-extent checks, admitted by a no-op
 * region driver, realised as `extentZ.K` records (served through sysfs) and answered with one Add
 * DC Response per chain; then released (one FM release record per group, R44: the host releases
 * the whole group, one Release DC per extent, as the kernel does). Reported per level of live
 * extents N (1e3 .. 1e6):
 *   - extents/s for add, for release, and for the whole cycle (wall clock),
 *   - CPU ns per extent of the cycle (user + system, all threads: less sensitive to other load),
 *     and its ratio to the first level,
 *   - heap bytes per live extent: V8 heap plus ArrayBuffer backing stores after a full GC with
 *     all N accepted, minus the same worlds empty (small levels fill several worlds, ~1e5 live
 *     extents in all, so that GC noise does not swamp the figure).
 *
 * Method. The pipeline runs in a plain `node --expose-gc` process on the built packages, not in
 * vitest's module runner (whose import bindings are getters and whose transforms would be
 * measured too): this file brings `@dcd/core` and `@dcd/fabric` up to date with `tsc -b`
 * (incremental), transpiles `test-support/extent-pipeline-runner.ts` with their names pointed at
 * the built `dist`, and runs it. The runner makes one world (device, host, memdev, DC region) per
 * level, with its FM requests built once (the caller's input; the device copies what it keeps);
 * a cycle adds N extents and releases them all, so every cycle runs at N live extents. A
 * warm-up cycle of 1e5 extents runs first (JIT). Each level then runs up to 5 samples of about
 * 1e5 extents each (1e3: 100 cycles per sample; 1e6: one sample of one cycle), with a full GC
 * between samples, never inside one, each followed by about 1e5 extents of untimed cycles over
 * the world's first extents: a full GC while no extent is live frees the hidden classes of the
 * records and lists of both sides and deoptimizes the code that checks them, which a running host
 * and device (always holding extents) do not see. The table shows the median sample. Every cycle
 * checks that all N were accepted and then released, on the host and on the device.
 *
 * `pnpm --filter @dcd/core bench` (or `pnpm bench`). `DCD_BENCH_LEVELS=1000,10000` runs fewer
 * levels, `DCD_BENCH_SAMPLES=3` changes the sample count. The table is printed on stderr, with the
 * load average (other processes compete for the CPUs).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";
import { bench, describe } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, "../../..");
const require = createRequire(import.meta.url);

/** Build both packages, then the runner as plain JS whose package imports name the built files. */
function prepareRunner(dir: string): string {
  // The fabric's lib project references the core's: both are brought up to date.
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-b", join(pkg, "../fabric/tsconfig.lib.json")], { stdio: "inherit" });
  const source = readFileSync(join(here, "test-support/extent-pipeline-runner.ts"), "utf8");
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true } });
  const targets: Record<string, string> = {
    "@dcd/core": pathToFileURL(join(pkg, "dist/index.js")).href,
    "@dcd/fabric": pathToFileURL(join(pkg, "../fabric/dist/index.js")).href,
    "reflect-metadata": pathToFileURL(require.resolve("reflect-metadata")).href,
  };
  const js = outputText.replace(/from "(@dcd\/core|@dcd\/fabric)"|import "(reflect-metadata)"/g, (whole, name?: string, side?: string) => {
    const target = targets[name ?? side ?? ""];
    if (target === undefined) throw new Error(`extent bench: no target for ${whole}`);
    return name !== undefined ? `from "${target}"` : `import "${target}"`;
  });
  const file = join(dir, "extent-pipeline-runner.mjs");
  writeFileSync(file, js);
  return file;
}

describe("extent pipeline: device -> host gates -> region driver -> response -> release", () => {
  let ran = false;
  bench(
    "1e3..1e6 live extents, full cycle (plain node on the built dist; table on stderr)",
    () => {
      // tinybench may call a task more than once; the runner measures on its own.
      if (ran) return;
      ran = true;
      const dir = mkdtempSync(join(tmpdir(), "dcd-extent-bench-"));
      try {
        execFileSync(process.execPath, ["--expose-gc", prepareRunner(dir)], { stdio: "inherit", env: process.env });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 },
  );
});
