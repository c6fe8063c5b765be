/**
 * Device model throughput and memory: N extents offered by the FM (5604h, prescriptive),
 * announced in the host's DC event log (Get + Clear Event Records), accepted by the host
 * (4802h, binary payload) and then released by the host (4803h, binary payload), in batches of
 * BATCH extents. Reported per level of live extents N (1e3 .. 1e6):
 *   - extents/s for the whole cycle (offer + log + accept + release),
 *   - ns per extent, and its ratio to the 1e3 level,
 *   - heap bytes per live extent (after a full GC, all N accepted, minus the empty device).
 *
 * `--expose-gc` is switched on at run time (v8.setFlagsFromString + vm) so no runner flag is
 * needed: `pnpm --filter @dcd/fabric bench`. The table is printed after the vitest summary.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { bench, describe } from "vitest";
import type { DpaRange, ExtentRequest } from "./types.js";
import { DcdDevice } from "./device.js";
import { OPCODE } from "@dcd/core";
import { encodeUpdatedExtentList } from "@dcd/core";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const MIB = 1024 * 1024;
const BLOCK = 2 * MIB;
const BASE = 0x80000000;
const BATCH = 1024;
/** `DCD_BENCH_LEVELS=1000,10000` runs fewer levels (quick checks). */
const LEVELS: readonly number[] = process.env.DCD_BENCH_LEVELS?.split(",").map(Number) ?? [1_000, 10_000, 100_000, 1_000_000];
/** Repeat small levels so each timing covers at least ~1e6 extents of work. */
const REPS: Record<number, number> = { 1_000: 300, 10_000: 30, 100_000: 3, 1_000_000: 1 };

interface Row {
  n: number;
  /** Best wall-clock ns per extent over the repetitions. */
  nsPerExtent: number;
  /** CPU (user + system) ns per extent of that repetition: less sensitive to other load on the machine. */
  cpuNsPerExtent: number;
  heapPerExtent: number;
}
const rows = new Map<number, Row>();

function makeDevice(n: number): DcdDevice {
  const length = Math.ceil((n * BLOCK) / (256 * MIB)) * 256 * MIB;
  return new DcdDevice({
    name: `bench-${n}`,
    ramSize: 2 * 1024 * MIB,
    partitions: [{ base: BASE, decodeLength: length, length, blockSize: BLOCK, dsmadHandle: 0 }],
    extentBudget: n + BATCH,
    // The host drains its log every batch; the FM's view keeps QEMU's depth (nobody reads it here).
    eventLogCapacity: BATCH,
    fmEventLogCapacity: 8,
    payloadSize: 1 << 20,
  });
}

/** FM add -> event log -> 4802h for extents [from, from + count). */
function offerAndAccept(d: DcdDevice, from: number, count: number): void {
  const extents: ExtentRequest[] = new Array<ExtentRequest>(count);
  for (let i = 0; i < count; i++) extents[i] = { dpa: BASE + (from + i) * BLOCK, len: BLOCK };
  if (d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents }).rc !== 0) throw new Error("add refused");
  const ld = d.logicalDevice(0);
  const page = ld.getEventRecords({ logType: 4 });
  if (page.rc !== 0) throw new Error("get records refused");
  const recs = page.value.records;
  const handles = new Array<number>(recs.length);
  const accept: DpaRange[] = new Array<DpaRange>(recs.length);
  for (let i = 0; i < recs.length; i++) {
    const r = recs[i]!;
    handles[i] = r.handle;
    accept[i] = { dpa: r.extent.dpa, len: r.extent.len };
  }
  if (ld.clearEventRecords({ logType: 4, clearAll: false, handles }).rc !== 0) throw new Error("clear refused");
  if (ld.execute(OPCODE.ADD_DC_RESPONSE, encodeUpdatedExtentList({ more: false, extents: accept })).rc !== 0) throw new Error("4802h refused");
}

/** 4803h for extents [from, from + count). */
function release(d: DcdDevice, from: number, count: number): void {
  const ranges: DpaRange[] = new Array<DpaRange>(count);
  for (let i = 0; i < count; i++) ranges[i] = { dpa: BASE + (from + i) * BLOCK, len: BLOCK };
  if (d.logicalDevice(0).execute(OPCODE.RELEASE_DC, encodeUpdatedExtentList({ more: false, extents: ranges })).rc !== 0) throw new Error("4803h refused");
}

/** Heap in use after full collections (twice: the first may only schedule finalization). */
function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

function runLevel(n: number): void {
  let best = Infinity;
  let bestCpu = Infinity;
  let heapPerExtent = 0;
  for (let rep = 0; rep < (REPS[n] ?? 1); rep++) {
    const measureHeap = rep === 0;
    const d = makeDevice(n);
    const empty = measureHeap ? heapUsed() : 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i += BATCH) offerAndAccept(d, i, Math.min(BATCH, n - i));
    const t1 = performance.now();
    const c1 = process.cpuUsage(c0);
    if (d.totalExtentCount !== n) throw new Error(`expected ${n} live extents, have ${d.totalExtentCount}`);
    if (measureHeap) heapPerExtent = (heapUsed() - empty) / n;
    const c2 = process.cpuUsage();
    const t2 = performance.now();
    for (let i = 0; i < n; i += BATCH) release(d, i, Math.min(BATCH, n - i));
    const t3 = performance.now();
    const c3 = process.cpuUsage(c2);
    if (d.totalExtentCount !== 0) throw new Error("release left extents behind");
    d.dispose();
    const wall = ((t1 - t0 + (t3 - t2)) * 1e6) / n;
    if (wall < best) {
      best = wall;
      bestCpu = ((c1.user + c1.system + c3.user + c3.system) * 1e3) / n;
    }
  }
  // tinybench may call a task more than once: keep the best timing and the first heap figure.
  const prev = rows.get(n);
  if (prev === undefined || best < prev.nsPerExtent) rows.set(n, { n, nsPerExtent: best, cpuNsPerExtent: bestCpu, heapPerExtent: prev?.heapPerExtent ?? heapPerExtent });
}

/** The table, on stdout directly (vitest's bench reporter does not relay console output). */
function printTable(): void {
  const base = rows.get(1_000)?.nsPerExtent ?? NaN;
  const lines = [
    "",
    `DcdDevice: FM add -> event log -> 4802h -> 4803h, batches of ${BATCH} (best of repetitions: ${LEVELS.map((n) => `${n}x${REPS[n] ?? 1}`).join(", ")})`,
    "| live extents | extents/s (wall) | ns/extent (wall) | ns/extent (CPU) | vs 1e3 | heap bytes / live extent |",
    "|---:|---:|---:|---:|---:|---:|",
    ...[...rows.values()].map(
      (r) =>
        `| ${r.n.toLocaleString("en-US")} | ${Math.round(1e9 / r.nsPerExtent).toLocaleString("en-US")} | ${r.nsPerExtent.toFixed(0)} | ${r.cpuNsPerExtent.toFixed(0)} | ${(r.nsPerExtent / base).toFixed(2)}x | ${r.heapPerExtent.toFixed(0)} |`,
    ),
    "",
  ];
  process.stderr.write(lines.join("\n") + "\n");
}

describe("DcdDevice: FM add -> event log -> 4802h -> 4803h", () => {
  const last = LEVELS[LEVELS.length - 1];
  for (const n of LEVELS) {
    bench(
      `${n.toLocaleString("en-US")} live extents, full cycle`,
      () => {
        runLevel(n);
      },
      {
        // One warm-up call (JIT) and one measured call per level; vitest runs no afterAll in
        // bench mode, so the table is printed by the last level's teardown.
        iterations: 1,
        time: 1,
        warmupIterations: 1,
        warmupTime: 1,
        teardown: (_task, mode) => {
          if (mode === "run" && n === last) printTable();
        },
      },
    );
  }
});
