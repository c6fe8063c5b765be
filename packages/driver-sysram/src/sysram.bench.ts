/**
 * Hot-plug and hot-unplug of N untagged extents (one chain each) by cxl_sysram_region, on a real
 * host (CXL core, a sysram-bound DC region, the memory model with a virtual clock), two ways:
 *
 * - `policy`: groups are handed to the region's extent policy directly (admit → accepted →
 *   release), so the numbers are the driver's and the memory model's cost per extent
 *   (sysram_region → mm: add_memory_driver_managed, online, offline, remove, block devices in
 *   sysfs), without the device, mailbox and event pipeline (benchmarked by core's extent.bench.ts);
 * - `device`: the whole path a user sees: FM Initiate Add / Release on the DCD device → event log →
 *   CXL core gates and responses → sysram_region → mm.
 *
 * Cases: 128 MiB extents on a 16 GiB host with 128 MiB blocks (both ways); 2 GiB extents on a 64 GiB
 * bare-metal host with 2 GiB blocks (policy). memmap_on_memory is on: 10,000 hot-plugged blocks would
 * otherwise need 20 GiB (resp. 320 GiB) of boot RAM for their memmap. Prints a table of wall time,
 * CPU time and simulated time per extent and the ratio of the per-extent wall cost to the first
 * level's (the goal: flat from 100 to 10,000), with the load average at the time (the machine is
 * shared).
 */
import { loadavg } from "node:os";
import { type ExtentGroup, type MemoryHotplugOptions, NULL_UUID } from "@dcd/core";
import { bench, describe } from "vitest";
import { dcRegion, fmRelease, GIB, MIB, offer, sysramHost, sysramOf } from "./test-support/sysram-host.js";

/** One phase (plug or unplug) of one run, in totals. */
interface Phase {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly simMs: number;
}

interface Row {
  readonly case: string;
  readonly extents: number;
  readonly plug: Phase;
  readonly unplug: Phase;
  /** `uptime`'s 1-minute load average when the run ended. */
  readonly load: number;
  /** How many runs this is the best of. */
  readonly runs: number;
}

/**
 * Run `c` with `n` extents `runs` times and keep the fastest (plug + unplug wall time): the machine
 * is shared, and garbage collection and JIT tiers land on different runs, so the best of a few is
 * the steadiest measure of what the code costs.
 */
async function best(c: Case, n: number, runs: number): Promise<Row> {
  let kept: Row | undefined;
  for (let i = 0; i < runs; i++) {
    const r = await run(c, n);
    if (kept === undefined || r.plug.wallMs + r.unplug.wallMs < kept.plug.wallMs + kept.unplug.wallMs) kept = r;
  }
  return { ...(kept as Row), runs };
}

const rows: Row[] = [];
const BASE = 128 * GIB;

function group(i: number, size: number): ExtentGroup {
  return {
    tag: NULL_UUID,
    tagged: false,
    sharable: false,
    region: "region0",
    memdev: "mem0",
    existing: false,
    extents: [{ dpa: i * size, length: size, hpa: BASE + i * size, offset: i * size, tag: NULL_UUID, seqNum: 0, sharedSeq: 0, name: `extent0.${i}` }],
  };
}

/** CPU time of this process (user + system), in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Time `body` in wall, CPU and simulated ms. */
async function phase(now: () => number, body: () => Promise<void>): Promise<Phase> {
  const sim = now();
  const cpu = cpuMs();
  const wall = performance.now();
  await body();
  return { wallMs: performance.now() - wall, cpuMs: cpuMs() - cpu, simMs: now() - sim };
}

/** Which way extents reach the driver. */
type BenchPath = "policy" | "device";

interface Case {
  readonly label: string;
  readonly name: (n: number) => string;
  readonly size: number;
  readonly mm: MemoryHotplugOptions;
  readonly path: BenchPath;
}

/** Plug and unplug `n` extents of `c`, one group (one chain) at a time. */
async function run(c: Case, n: number): Promise<Row> {
  const total = n * c.size;
  // The device path needs a DC partition (and a CFMWS window, a power of two) holding every extent.
  const dcSize = c.path === "device" ? total : GIB;
  const windowSize = c.path === "device" ? Math.max(16 * GIB, 2 ** Math.ceil(Math.log2(total))) : 16 * GIB;
  const h = await sysramHost({ memory: { ...c.mm, memmapOnMemory: true }, sysram: { onlineType: "online_movable", memmapOnMemory: true }, dcSize, windowSize });
  try {
    const policy = sysramOf(await dcRegion(h)).policy;
    const groups = Array.from({ length: n }, (_, i) => group(i, c.size));
    const now = () => h.mm.now;
    const plug = await phase(now, async () => {
      if (c.path === "device") {
        // FM Initiate Dynamic Capacity Add → event log → CXL core (gates, Add DC Response) → sysram → mm.
        for (let i = 0; i < n; i++) {
          const rc = offer(h, [{ offset: i * c.size, len: c.size }]);
          if (rc !== 0) throw new Error(`initiate add of extent ${i}: rc ${rc}`);
          await h.idle();
        }
        return;
      }
      for (const g of groups) {
        const a = await policy.admit(g);
        if (!a.admit) throw new Error(a.reason);
        await policy.accepted(g);
      }
    });
    if (h.mm.totals().pluggedBytes !== total) throw new Error("not all plugged");
    const unplug = await phase(now, async () => {
      if (c.path === "device") {
        // FM Initiate Dynamic Capacity Release → CXL core → sysram offline + remove → Release DC.
        for (let i = 0; i < n; i++) {
          const rc = fmRelease(h, [{ offset: i * c.size, len: c.size }]);
          if (rc !== 0) throw new Error(`initiate release of extent ${i}: rc ${rc}`);
          await h.idle();
        }
        return;
      }
      for (const g of groups) {
        const v = await policy.release(g, "device");
        if (v.result !== "released") throw new Error(v.reason);
      }
    });
    if (h.mm.totals().pluggedBytes !== 0) throw new Error("not all unplugged");
    return { case: c.label, extents: n, plug, unplug, load: loadavg()[0] ?? 0, runs: 1 };
  } finally {
    await h.dispose();
  }
}

/** The table for the issue note: per-extent costs and the ratio of the per-extent wall cost to the smallest N's. */
function table(): string {
  const us = (ms: number, n: number) => ((ms * 1000) / n).toFixed(0);
  const simMs = (ms: number, n: number) => (ms / n).toFixed(2);
  const lines = [
    "| case | N | plug wall µs/extent | plug CPU µs/extent | unplug wall µs/extent | unplug CPU µs/extent | sim ms/extent plug | sim ms/extent unplug | wall ratio plug / unplug vs first N | CPU ratio plug / unplug vs first N | wall s (plug + unplug) | best of | load avg (1 min) |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    const first = rows.find((o) => o.case === r.case) ?? r;
    const ratio = (p: (x: Row) => Phase, t: "wallMs" | "cpuMs" = "wallMs") => (p(r)[t] / r.extents / (p(first)[t] / first.extents)).toFixed(2);
    lines.push(
      `| ${r.case} | ${r.extents} | ${us(r.plug.wallMs, r.extents)} | ${us(r.plug.cpuMs, r.extents)} | ${us(r.unplug.wallMs, r.extents)} | ${us(r.unplug.cpuMs, r.extents)} | ` +
        `${simMs(r.plug.simMs, r.extents)} | ${simMs(r.unplug.simMs, r.extents)} | ${ratio((x) => x.plug)} / ${ratio((x) => x.unplug)} | ${ratio((x) => x.plug, "cpuMs")} / ${ratio((x) => x.unplug, "cpuMs")} | ` +
        `${((r.plug.wallMs + r.unplug.wallMs) / 1000).toFixed(1)} | ${r.runs} | ${r.load.toFixed(2)} |`,
    );
  }
  return lines.join("\n");
}

const WARM_UP = 1000;
const once = { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 };
const SMALL: MemoryHotplugOptions = { boot: [{ node: 0, size: 16 * GIB }] };
const LARGE: MemoryHotplugOptions = { boot: [{ node: 0, size: 64 * GIB }], blockSize: 2 * GIB };

// DCD_BENCH_LEVELS=100,1000 for a quick run.
const LEVELS = (process.env.DCD_BENCH_LEVELS ?? "100,1000,10000").split(",").map(Number);
const CASES: readonly Case[] = [
  { label: "128 MiB / 128 MiB blocks", name: (n) => `${n} × 128 MiB extents (128 MiB blocks)`, size: 128 * MIB, mm: SMALL, path: "policy" },
  { label: "2 GiB / 2 GiB blocks", name: (n) => `${n} × 2 GiB extents (2 GiB blocks)`, size: 2 * GIB, mm: LARGE, path: "policy" },
  { label: "128 MiB via the device", name: (n) => `${n} × 128 MiB extents from the device (128 MiB blocks)`, size: 128 * MIB, mm: SMALL, path: "device" },
];

describe("sysram direct hot-plug / unplug", () => {
  const all = CASES.flatMap((c) => LEVELS.map((n) => ({ c, n })));
  all.forEach(({ c, n }, i) => {
    // vitest's bench mode runs no afterAll: the last bench's teardown prints the table.
    // tinybench also calls teardown after the (empty) warm-up: print only after the run.
    const last = i === all.length - 1 ? { teardown: (_task: unknown, mode: "warmup" | "run") => { if (mode === "run") console.log(`\n${table()}\n`); } } : {};
    // An async function: tinybench calls a plain one once more to find out whether it is async.
    // The first level of a case starts with an unrecorded run of 1,000 extents, so that its row
    // measures the code once compiled (as the larger levels do) rather than the JIT warming up.
    const first = n === LEVELS[0];
    bench(
      c.name(n),
      async () => {
        if (first) await run(c, WARM_UP);
        rows.push(await best(c, n, n <= 1000 ? 3 : 1));
      },
      { ...once, ...last },
    );
  });
});
