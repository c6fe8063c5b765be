#!/usr/bin/env node
// Runs every package's tests (vitest projects) and ends with the plain line CI reads:
// "N passed, N failed". Extra arguments go to vitest (`pnpm test -- --project core`).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Tools some tests run for real (Debian's ndctl 76.1); a no-op when present.
spawnSync("bash", [new URL("./ensure-ndctl.sh", import.meta.url).pathname], { stdio: "inherit" });

const dir = mkdtempSync(join(tmpdir(), "dcd-vitest-"));
const report = join(dir, "report.json");
const args = ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...process.argv.slice(2)];
const run = spawnSync("pnpm", ["exec", ...args], { stdio: "inherit" });

let passed = 0;
let failed = 0;
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, "utf8"));
  const suites = r.testResults ?? [];
  // A suite that fails to load has no failed test but is a failure all the same.
  const brokenSuites = suites.filter((s) => s.status === "failed" && !(s.assertionResults ?? []).some((a) => a.status === "failed")).length;
  passed = r.numPassedTests ?? 0;
  failed = (r.numFailedTests ?? 0) + brokenSuites;
} else if (run.status !== 0) {
  failed = 1;
}
rmSync(dir, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(run.status ?? 1);
