#!/usr/bin/env node
// Benchmark (issue 5): `dcd cxl list -N` against a running `dcd serve` holding 10,000 extents,
// end to end (a fresh client process each run, process start included). Median and p95 of 20 runs.
// Run with `pnpm --filter @dcd/cli bench` (builds first).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../dist/bin/dcd.js", import.meta.url));
const EXTENTS = Number(process.env.DCD_BENCH_EXTENTS ?? 10_000);
const RUNS = 20;
const CHAIN = 100; // the host caps a More chain at 100 extents (R21)
const MiB = 1024 * 1024;

const dir = mkdtempSync(join(tmpdir(), "dcd-bench-"));
const socket = join(dir, "dcd.sock");
const topo = join(dir, "topo.yaml");
const partition = Math.ceil((EXTENTS * 2 * MiB) / (256 * MiB)) * 256 * MiB;
writeFileSync(topo, [
  "devices:",
  "  - name: dcd0",
  `    extentBudget: ${EXTENTS + 1024}`,
  "    eventLogCapacity: 256",
  `    partitions: [{ size: ${partition} }]`,
  "hosts:",
  "  - name: host0",
  "    attach: [{ device: dcd0, hostId: 0 }]",
].join("\n"));

// CPU time from /proc (Linux): the server's own (utime+stime) and that of this process's
// waited-for children (cutime+cstime), i.e. the client processes. Clock ticks, usually 10 ms.
const TICK_MS = 10;
const procTimes = (pid) => {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return { self: (Number(f[11]) + Number(f[12])) * TICK_MS, children: (Number(f[13]) + Number(f[14])) * TICK_MS };
  } catch {
    return undefined;
  }
};

const dcd = (...args) => {
  const r = spawnSync(process.execPath, [bin, "--socket", socket, ...args], { encoding: "utf8", maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`dcd ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
};

// DCD_BENCH_CPU_PROF=DIR writes a V8 CPU profile of the server (written when it stops).
const prof = process.env.DCD_BENCH_CPU_PROF;
const nodeArgs = prof ? ["--cpu-prof", `--cpu-prof-dir=${prof}`] : [];
const server = spawn(process.execPath, [...nodeArgs, bin, "serve", "--topology", topo, "--socket", socket], { stdio: ["ignore", "ignore", "inherit"] });
try {
  for (let i = 0; i < 600 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
  if (!existsSync(socket)) throw new Error("server did not start");
  dcd("cxl", "create-region", "-m", "mem0", "-d", "decoder0.0", "-t", "dynamic_ram_1");
  const t0 = performance.now();
  for (let start = 0; start < EXTENTS; start += CHAIN) {
    const n = Math.min(CHAIN, EXTENTS - start);
    const extents = Array.from({ length: n }, (_, k) => ["--extent", `${(start + k) * 2 * MiB}:${2 * MiB}`]).flat();
    dcd("fm", "add", "--device", "dcd0", "--host-id", "0", "--policy", "prescriptive", "--region", "0", ...extents);
  }
  const loadMs = performance.now() - t0;
  const listed = JSON.parse(dcd("cxl", "list", "-r", "region0", "-N"));
  const have = (Array.isArray(listed) ? listed[0] : listed)?.extents?.length ?? 0;
  if (have !== EXTENTS) throw new Error(`expected ${EXTENTS} extents in region0, cxl list shows ${have}`);

  const times = [];
  let bytes = 0;
  const load = loadavg();
  const before = { server: procTimes(server.pid), clients: procTimes(process.pid) };
  for (let i = 0; i < RUNS; i++) {
    const s = performance.now();
    bytes = dcd("cxl", "list", "-N").length;
    times.push(performance.now() - s);
  }
  const after = { server: procTimes(server.pid), clients: procTimes(process.pid) };
  const cpuPerRun = (a, b) => (a === undefined || b === undefined ? "n/a" : ((b - a) / RUNS).toFixed(0));
  times.sort((a, b) => a - b);
  const q = (p) => times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)];
  console.table([
    {
      bench: "dcd cxl list -N (client process, server holds extents)",
      extents: EXTENTS,
      runs: RUNS,
      "median ms": q(0.5).toFixed(1),
      "p95 ms": q(0.95).toFixed(1),
      "min ms": times[0].toFixed(1),
      "output bytes": bytes,
      "server cpu ms/run": cpuPerRun(before.server?.self, after.server?.self),
      "client cpu ms/run": cpuPerRun(before.clients?.children, after.clients?.children),
      "goal": "< 300 ms",
    },
  ]);
  console.log(`load average (1/5/15 min) at the start of the timed runs: ${load.map((l) => l.toFixed(2)).join(" ")}; after: ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log(`(loading ${EXTENTS} extents through ${Math.ceil(EXTENTS / CHAIN)} 'dcd fm add' client processes took ${(loadMs / 1000).toFixed(1)} s)`);
} finally {
  server.kill("SIGTERM");
  await new Promise((r) => server.once("exit", r));
  rmSync(dir, { recursive: true, force: true });
}
