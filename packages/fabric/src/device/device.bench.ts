/**
 * Device model throughput and memory: N extents offered by the FM (5604h, prescriptive),
 * announced in the host's DC event log (Get + Clear Event Records), accepted by the host
 * (4802h, binary payload) and then released by the host (4803h, binary payload), in batches of
 * BATCH extents. Reported per level of live extents N (1e3 .. 1e6):
 *   - extents/s for the whole cycle (offer + log + accept + release),
 *   - ns per extent (wall clock and CPU time), and the wall-clock ratio to the 1e3 level,
 *   - heap bytes per live extent: V8 heap plus ArrayBuffer backing stores (the device keeps its
 *     extent indexes in typed arrays, which `heapUsed` alone would not count), after a full GC
 *     with all N accepted, minus the same devices empty (small levels fill several devices,
 *     ~1e5 live extents in all, so that heap noise does not swamp the figure).
 *
 * Method: a sample pushes about 1e6 extents through the cycle at every level (1e3: 1000 devices
 * one after the other, 1e6: one device), timing only the cycle (device construction is setup)
 * and including whatever garbage collection happens during it. Each level runs one warm-up
 * sample (tinybench's warm-up call: JIT), then SAMPLES measured samples; the table shows the
 * median sample and the spread of the wall-clock figure. A full GC runs between samples, never
 * inside one. Every sample checks that all N extents were offered, logged, accepted and released.
 *
 * `--expose-gc` is switched on at run time (v8.setFlagsFromString + vm) so no runner flag is
 * needed: `pnpm --filter @dcd/fabric bench`. `DCD_BENCH_LEVELS=1000,10000` limits the levels,
 * `DCD_BENCH_SAMPLES=5` changes the sample count. The table is printed after the last level.
 * The machine's other load shows in the wall-clock column; the CPU column is less sensitive to it.
 */
import { availableParallelism, loadavg } from "node:os";
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
const SAMPLES = Number(process.env.DCD_BENCH_SAMPLES ?? 3);
/** Extents of work per sample at every level. */
const WORK_PER_SAMPLE = 1_000_000;
/** Live extents (over several devices at small levels) for the heap figure. */
const HEAP_EXTENTS = 100_000;

interface Sample {
  /** Wall-clock ns per extent. */
  wall: number;
  /** CPU (user + system, all threads) ns per extent: less sensitive to other load on the machine. */
  cpu: number;
}
interface Row {
  n: number;
  reps: number;
  samples: Sample[];
  heapPerExtent: number;
}
const rows = new Map<number, Row>();
/** Set by tinybench's setup hook: the warm-up call runs one discarded sample. */
let measuring = false;
/** 1-minute load average when the first measured sample starts (other processes compete for the CPUs). */
let loadAtStart: number | undefined;

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
  if (recs.length !== count) throw new Error(`expected ${count} Add Capacity records, got ${recs.length}`);
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

function addAll(d: DcdDevice, n: number): void {
  for (let i = 0; i < n; i += BATCH) offerAndAccept(d, i, Math.min(BATCH, n - i));
}

function releaseAll(d: DcdDevice, n: number): void {
  for (let i = 0; i < n; i += BATCH) release(d, i, Math.min(BATCH, n - i));
}

/** All n accepted (host's 4801h total), nothing pending. Outside the timed part. */
function checkAccepted(d: DcdDevice, n: number): void {
  const list = d.logicalDevice(0).getExtentList({ extentCount: 0, startIndex: 0 });
  if (list.rc !== 0 || list.value.total !== n || d.totalExtentCount !== n || d.pendingGroups(0).length !== 0) {
    throw new Error(`expected ${n} accepted extents, have ${d.totalExtentCount} tracked`);
  }
}

/** V8 heap plus ArrayBuffer backing stores, after full collections (twice: the first may only schedule finalization). */
function memoryUsed(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** One sample: about WORK_PER_SAMPLE extents through the cycle, devices of n live extents. */
function sample(n: number, reps: number): Sample {
  gc();
  let wallMs = 0;
  let cpuUs = 0;
  for (let rep = 0; rep < reps; rep++) {
    const d = makeDevice(n);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    addAll(d, n);
    const t1 = performance.now();
    const c1 = process.cpuUsage(c0);
    checkAccepted(d, n);
    const c2 = process.cpuUsage();
    const t2 = performance.now();
    releaseAll(d, n);
    const t3 = performance.now();
    const c3 = process.cpuUsage(c2);
    if (d.totalExtentCount !== 0) throw new Error("release left extents behind");
    d.dispose();
    wallMs += t1 - t0 + (t3 - t2);
    cpuUs += c1.user + c1.system + c3.user + c3.system;
  }
  return { wall: (wallMs * 1e6) / (n * reps), cpu: (cpuUs * 1e3) / (n * reps) };
}

/**
 * Heap per live extent, outside any timing: devices filled to n (enough of them to hold ~1e5
 * extents in all, so that a few KiB of unrelated heap noise do not swamp small levels), minus
 * the same devices empty.
 */
function heapPerExtent(n: number): number {
  const devices = Array.from({ length: Math.max(1, Math.round(HEAP_EXTENTS / n)) }, () => makeDevice(n));
  const empty = memoryUsed();
  for (const d of devices) {
    addAll(d, n);
    checkAccepted(d, n);
  }
  const full = memoryUsed();
  for (const d of devices) {
    releaseAll(d, n);
    d.dispose();
  }
  return (full - empty) / (n * devices.length);
}

function runLevel(n: number): void {
  const reps = Math.max(1, Math.round(WORK_PER_SAMPLE / n));
  if (!measuring) {
    sample(n, reps);
    return;
  }
  loadAtStart ??= loadavg()[0];
  const samples: Sample[] = [];
  for (let s = 0; s < SAMPLES; s++) samples.push(sample(n, reps));
  rows.set(n, { n, reps, samples, heapPerExtent: heapPerExtent(n) });
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The table, on stderr directly (vitest's bench reporter does not relay console output). */
function printTable(): void {
  const base = rows.get(1_000);
  const baseWall = base === undefined ? NaN : median(base.samples.map((s) => s.wall));
  const baseCpu = base === undefined ? NaN : median(base.samples.map((s) => s.cpu));
  const lines = [
    "",
    `DcdDevice: FM add -> event log -> 4802h -> 4803h, batches of ${BATCH}; median of ${SAMPLES} samples of ~${WORK_PER_SAMPLE.toLocaleString("en-US")} extents each (${[...rows.values()].map((r) => `${r.n.toLocaleString("en-US")}: ${r.reps} device${r.reps > 1 ? "s" : ""}`).join(", ")} per sample)`,
    `${availableParallelism()} CPUs, 1-minute load average ${(loadAtStart ?? NaN).toFixed(1)} at the first sample, ${loadavg()[0]!.toFixed(1)} at the end`,
    "| live extents | extents/s (wall) | ns/extent (wall) | wall min-max | ns/extent (CPU) | vs 1e3 (wall) | vs 1e3 (CPU) | heap bytes / live extent |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...[...rows.values()].map((r) => {
      const walls = r.samples.map((s) => s.wall);
      const wall = median(walls);
      const cpu = median(r.samples.map((s) => s.cpu));
      return `| ${r.n.toLocaleString("en-US")} | ${Math.round(1e9 / wall).toLocaleString("en-US")} | ${wall.toFixed(0)} | ${Math.min(...walls).toFixed(0)}-${Math.max(...walls).toFixed(0)} | ${cpu.toFixed(0)} | ${(wall / baseWall).toFixed(2)}x | ${(cpu / baseCpu).toFixed(2)}x | ${r.heapPerExtent.toFixed(0)} |`;
    }),
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
        // One warm-up call (one discarded sample: JIT) and one measured call (SAMPLES samples)
        // per level; vitest runs no afterAll in bench mode, so the table is printed by the last
        // level's teardown.
        iterations: 1,
        time: 0,
        warmupIterations: 1,
        warmupTime: 0,
        setup: (_task, mode) => {
          measuring = mode === "run";
        },
        teardown: (_task, mode) => {
          if (mode === "run" && n === last) printTable();
        },
      },
    );
  }
});
