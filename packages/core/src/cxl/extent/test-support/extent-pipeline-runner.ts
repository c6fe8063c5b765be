/**
 * The extent pipeline benchmark itself, run by `extent.bench.ts` in a plain `node --expose-gc`
 * process on the built `dist` of `@dcd/core` and `@dcd/fabric` (so vitest's module runner is
 * not measured): see that file for what is measured and how. Imports only the two packages by
 * name and `reflect-metadata` (the launcher points them at the built files).
 */
import "reflect-metadata";
import { availableParallelism, loadavg } from "node:os";
import { CxlExtentCore, CxlMailbox, type CxlDaxRegion, createHost, cxlBusType, daxCxlModule, Device, type RegionExtentPolicy, VirtualClock } from "@dcd/core";
import { DcdDevice } from "@dcd/fabric";

/** Started with `--expose-gc`. */
const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => undefined);

const MIB = 1024 * 1024;
const BLOCK = 2 * MIB;
const BASE = 0x80000000;
/** Extents per More-chain (`CXL_DC_MAX_PENDING_EXTENTS`). */
const CHAIN = 100;
/** Chains offered before the host is awaited (the device log holds them all). */
const CHAINS_PER_BATCH = 100;
const LEVELS: readonly number[] = process.env.DCD_BENCH_LEVELS?.split(",").map(Number) ?? [1_000, 10_000, 100_000, 1_000_000];
const SAMPLES = Number(process.env.DCD_BENCH_SAMPLES ?? 5);
/** Extents of work per sample (at least one cycle). */
const WORK_PER_SAMPLE = 100_000;
const WARM_UP = 100_000;
/** Live extents (over several worlds at small levels) for the heap figure. */
const HEAP_EXTENTS = 100_000;

interface Sample {
  /** Wall-clock ns per extent: add, release. */
  readonly add: number;
  readonly release: number;
  /** CPU ns per extent of the whole cycle. */
  readonly cpu: number;
}
interface Row {
  readonly n: number;
  readonly cycles: number;
  readonly samples: Sample[];
  heapPerExtent: number;
}
const rows = new Map<number, Row>();
let loadAtStart: number | undefined;

/** The FM's requests for one cycle of n extents, built once (the caller's input, not the pipeline). */
interface Cycle {
  readonly n: number;
  /** One prescriptive add per chain. */
  readonly adds: readonly (readonly { dpa: number; len: number }[])[];
  /** Per batch of chains, one release naming each chain's first extent. */
  readonly releases: readonly (readonly { dpa: number; len: number }[])[];
}

interface World {
  readonly device: DcdDevice;
  readonly core: CxlExtentCore;
  readonly dax: CxlDaxRegion;
  /** A cycle of the world's n extents. */
  readonly full: Cycle;
  /** The first min(n, WORK_PER_SAMPLE) extents: re-warms the code before a sample. */
  readonly warm: Cycle;
  dispose(): Promise<void>;
}

/**
 * One cycle's FM requests for the first n extents of a world. The device copies what it keeps,
 * so the same requests serve every cycle and building them is not timed.
 */
function cycleOf(n: number): Cycle {
  const adds: { dpa: number; len: number }[][] = [];
  const releases: { dpa: number; len: number }[][] = [];
  for (let done = 0; done < n; ) {
    const batch: { dpa: number; len: number }[] = [];
    for (let c = 0; c < CHAINS_PER_BATCH && done < n; c++) {
      const count = Math.min(CHAIN, n - done);
      const extents = new Array<{ dpa: number; len: number }>(count);
      for (let i = 0; i < count; i++) extents[i] = { dpa: BASE + (done + i) * BLOCK, len: BLOCK };
      adds.push(extents);
      batch.push({ dpa: BASE + done * BLOCK, len: BLOCK });
      done += count;
    }
    releases.push(batch);
  }
  return { n, adds, releases };
}

async function makeWorld(n: number): Promise<World> {
  const length = Math.ceil((n * BLOCK) / (256 * MIB)) * 256 * MIB;
  const device = new DcdDevice({
    name: `bench-${n}`,
    ramSize: 2 * 1024 * MIB,
    partitions: [{ base: BASE, decodeLength: length, length, blockSize: BLOCK, dsmadHandle: 0 }],
    extentBudget: n + CHAIN * CHAINS_PER_BATCH,
    eventLogCapacity: CHAIN * CHAINS_PER_BATCH,
    fmEventLogCapacity: 8,
    payloadSize: 1 << 20,
  });
  const host = await createHost({ name: `bench-${n}`, clock: new VirtualClock(), buses: [cxlBusType()], drivers: [daxCxlModule] });
  const core = CxlExtentCore.of(host.container);
  const root = new Device({ name: "root0", bus: "cxl" });
  const memdev = new Device({ name: "mem0", bus: "cxl", parent: root });
  const regionDev = new Device({ name: "region0", bus: "cxl", parent: root });
  for (const d of [root, memdev, regionDev]) await host.core.deviceAdd(d);
  const ld = device.logicalDevice(0);
  const handle = core.attachMemdev({ memdev, mailbox: new CxlMailbox(ld, { name: "mem0", payloadSize: 1 << 20 }), interrupt$: ld.interrupt$, partitions: [{ index: 0, start: BASE, size: length, sharable: false }] });
  const hpa = 2 ** 40;
  // The no-op region driver.
  const policy: RegionExtentPolicy = { admit: () => ({ admit: true }), accepted: () => undefined, release: () => ({ result: "released" }) };
  const dax = await core.attachDcRegion({ region: regionDev, regionId: 0, hpaStart: hpa, size: length, targets: [{ memdev, decoder: "decoder2.0", dpaStart: BASE, dpaSize: length, hpaStart: hpa }], policy });
  await core.idle();
  const full = cycleOf(n);
  return {
    device,
    core,
    dax,
    full,
    warm: n <= WORK_PER_SAMPLE ? full : cycleOf(WORK_PER_SAMPLE),
    async dispose() {
      handle.dispose();
      await host.dispose();
      device.dispose();
    },
  };
}

async function addAll(w: World, c: Cycle = w.full): Promise<void> {
  let k = 0;
  for (const extents of c.adds) {
    if (w.device.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents }).rc !== 0) throw new Error("add refused");
    // The host is awaited after every CHAINS_PER_BATCH chains (the device log holds them all).
    if (++k % CHAINS_PER_BATCH === 0 || k === c.adds.length) await w.core.idle();
  }
  if (w.dax.extentCount !== c.n || w.device.totalExtentCount !== c.n) throw new Error(`expected ${c.n} live extents, host ${w.dax.extentCount}, device ${w.device.totalExtentCount}`);
}

async function releaseAll(w: World, c: Cycle = w.full): Promise<void> {
  // One FM release per group (its first extent): the host releases the whole group (R44).
  for (const extents of c.releases) {
    if (w.device.initiateRelease({ hostId: 0, removalPolicy: "prescriptive", extents }).rc !== 0) throw new Error("release refused");
    await w.core.idle();
  }
  if (w.dax.extentCount !== 0 || w.device.totalExtentCount !== 0) throw new Error(`releasing ${c.n} left ${w.dax.extentCount} host / ${w.device.totalExtentCount} device extents`);
}

/** V8 heap plus ArrayBuffer backing stores, after full collections. */
function memoryUsed(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** `cycles` add-all + release-all cycles at n live extents. */
async function sample(w: World, n: number, cycles: number): Promise<Sample> {
  gc();
  // A full collection while no extent is live frees the hidden classes of the records, groups
  // and lists of both sides (V8 holds them only through live objects and weak transitions), and
  // every function that checks them is deoptimized. A running host and device always hold
  // extents, so that does not happen to them; here about WORK_PER_SAMPLE extents of untimed
  // cycles over the world's first extents get the optimized code back before timing.
  for (let done = 0; done < WORK_PER_SAMPLE; done += w.warm.n) {
    await addAll(w, w.warm);
    await releaseAll(w, w.warm);
  }
  let add = 0;
  let release = 0;
  let cpuUs = 0;
  for (let i = 0; i < cycles; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await addAll(w);
    const t1 = performance.now();
    await releaseAll(w);
    const t2 = performance.now();
    const c = process.cpuUsage(c0);
    add += t1 - t0;
    release += t2 - t1;
    cpuUs += c.user + c.system;
  }
  const total = n * cycles;
  return { add: (add * 1e6) / total, release: (release * 1e6) / total, cpu: (cpuUs * 1e3) / total };
}

/**
 * Heap bytes per live extent: worlds of n extents holding about 1e5 in all (one world from 1e5
 * on), so that GC noise does not swamp the figure at small levels; full worlds minus empty ones.
 */
async function heapPerExtent(n: number): Promise<number> {
  const worlds: World[] = [];
  try {
    for (let i = 0; i < Math.max(1, Math.round(HEAP_EXTENTS / n)); i++) worlds.push(await makeWorld(n));
    const empty = memoryUsed();
    for (const w of worlds) await addAll(w);
    return (memoryUsed() - empty) / (n * worlds.length);
  } finally {
    for (const w of worlds) await w.dispose();
  }
}

async function runLevel(n: number): Promise<void> {
  const heap = await heapPerExtent(n);
  const w = await makeWorld(n);
  try {
    await addAll(w);
    await releaseAll(w);
    loadAtStart ??= loadavg()[0];
    const cycles = Math.max(1, Math.round(WORK_PER_SAMPLE / n));
    const samples = Math.max(1, Math.min(SAMPLES, Math.round((SAMPLES * WORK_PER_SAMPLE) / n)));
    const row: Row = { n, cycles, samples: [], heapPerExtent: heap };
    for (let s = 0; s < samples; s++) row.samples.push(await sample(w, n, cycles));
    rows.set(n, row);
  } finally {
    await w.dispose();
  }
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function printTable(): void {
  const perS = (ns: number): string => Math.round(1e9 / ns).toLocaleString("en-US");
  const all = [...rows.values()];
  const first = all[0];
  const firstCpu = first === undefined ? NaN : median(first.samples.map((s) => s.cpu));
  const lines = [
    "",
    `Extent pipeline (plain node on the built dist): FM add -> DC log -> gates -> no-op region driver -> extentZ.K -> 4802h; FM release -> whole group -> one 4803h per extent (chains of ${CHAIN})`,
    `median of the samples per level (${all.map((r) => `${r.n.toLocaleString("en-US")}: ${r.samples.length} x ${r.cycles} cycle${r.cycles > 1 ? "s" : ""}`).join(", ")}); ${availableParallelism()} CPUs, 1-minute load average ${(loadAtStart ?? NaN).toFixed(1)} at the first sample, ${(loadavg()[0] ?? NaN).toFixed(1)} at the end`,
    "| live extents | add extents/s | release extents/s | cycle extents/s (wall) | CPU ns/extent | CPU vs first | heap B/live extent |",
    "|---:|---:|---:|---:|---:|---:|---:|",
    ...all.map((r) => {
      const add = median(r.samples.map((s) => s.add));
      const release = median(r.samples.map((s) => s.release));
      const cycle = median(r.samples.map((s) => s.add + s.release));
      const cpu = median(r.samples.map((s) => s.cpu));
      return `| ${r.n.toLocaleString("en-US")} | ${perS(add)} | ${perS(release)} | ${perS(cycle)} | ${cpu.toFixed(0)} | ${(cpu / firstCpu).toFixed(2)}x | ${r.heapPerExtent.toFixed(0)} |`;
    }),
    "",
  ];
  process.stderr.write(lines.join("\n") + "\n");
}

async function main(): Promise<void> {
  // JIT warm-up, not reported.
  const w = await makeWorld(WARM_UP);
  try {
    await addAll(w);
    await releaseAll(w);
  } finally {
    await w.dispose();
  }
  for (const n of LEVELS) await runLevel(n);
  printTable();
}

await main();
