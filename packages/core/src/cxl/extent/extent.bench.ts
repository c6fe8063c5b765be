/**
 * Extent pipeline throughput and memory: N extents offered by the FM (5604h prescriptive, chains
 * of CHAIN extents: the v11 cap), read from the DC event log by the host (Get + Clear Event
 * Records), run through grouping, the group gates and the per-extent checks, admitted by a no-op
 * region driver, realised as `extentZ.K` devices (driver core + sysfs) and answered with one Add
 * DC Response per chain; then released (one FM release record per group, R44: the host releases
 * the whole group, one Release DC per extent). Reported per level of live extents N:
 *   - extents/s for add and for release, and for the whole cycle,
 *   - ns per extent and its ratio to the 1e3 level,
 *   - heap bytes per live extent (after a full GC, all N accepted, minus the empty host).
 *
 * `--expose-gc` is switched on at run time (v8.setFlagsFromString + vm), as in the device bench:
 * `pnpm --filter @dcd/core exec vitest bench --run src/cxl/extent`. `DCD_BENCH_LEVELS=1000,10000`
 * runs fewer levels. The table is printed on stderr after the vitest summary.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { DcdDevice } from "@dcd/fabric";
import { bench, describe } from "vitest";
import { Device } from "../../driver-model/device.js";
import { createHost, type Host } from "../../host/host.js";
import { VirtualClock } from "../../time/clock.js";
import { cxlBusType } from "../bus.js";
import type { CxlDaxRegion } from "../dax-region/cxl-dax-region.js";
import { daxCxlModule } from "../dax-region/cxl-dax-region-driver.js";
import { CxlMailbox } from "../mbox/mailbox.js";
import type { RegionExtentPolicy } from "../region-driver.js";
import { CxlExtentCore, type DcMemdevHandle } from "./extent-core.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const MIB = 1024 * 1024;
const BLOCK = 2 * MIB;
const BASE = 0x80000000;
/** Extents per More-chain (`CXL_DC_MAX_PENDING_EXTENTS`). */
const CHAIN = 100;
/** Chains offered before the host drains (the device log holds them all). */
const CHAINS_PER_BATCH = 100;
const LEVELS: readonly number[] = process.env.DCD_BENCH_LEVELS?.split(",").map(Number) ?? [1_000, 10_000, 100_000, 1_000_000];
/** Repeat small levels so each timing covers enough work; the best repetition counts. */
const REPS: Record<number, number> = { 1_000: 30, 10_000: 5, 100_000: 2, 1_000_000: 1 };

interface Row {
  n: number;
  /** Wall-clock ns per extent. */
  addNs: number;
  releaseNs: number;
  /** CPU (user + system) ns per extent of the whole cycle: less sensitive to other load. */
  cpuNs: number;
  heapPerExtent: number;
}
const rows = new Map<number, Row>();

/** The no-op region driver. */
const noop: RegionExtentPolicy = {
  admit: () => ({ admit: true }),
  accepted: () => undefined,
  release: () => ({ result: "released" }),
};

interface World {
  host: Host;
  device: DcdDevice;
  core: CxlExtentCore;
  handle: DcMemdevHandle;
  dax: CxlDaxRegion;
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
  const clock = new VirtualClock();
  const host = await createHost({ name: `bench-${n}`, clock, buses: [cxlBusType()], drivers: [daxCxlModule] });
  const core = CxlExtentCore.of(host.container);
  const root = new Device({ name: "root0", bus: "cxl" });
  const memdev = new Device({ name: "mem0", bus: "cxl", parent: root });
  const regionDev = new Device({ name: "region0", bus: "cxl", parent: root });
  for (const d of [root, memdev, regionDev]) await host.core.deviceAdd(d);
  const ld = device.logicalDevice(0);
  const handle = core.attachMemdev({ memdev, mailbox: new CxlMailbox(ld, { name: "mem0", payloadSize: 1 << 20 }), interrupt$: ld.interrupt$, partitions: [{ index: 0, start: BASE, size: length, sharable: false }] });
  const hpa = 1 << 40;
  const dax = await core.attachDcRegion({ region: regionDev, regionId: 0, hpaStart: hpa, size: length, targets: [{ memdev, decoder: "decoder2.0", dpaStart: BASE, dpaSize: length, hpaStart: hpa }], policy: noop });
  await core.idle();
  return { host, device, core, handle, dax };
}

async function addAll(w: World, n: number): Promise<void> {
  for (let done = 0; done < n; ) {
    for (let c = 0; c < CHAINS_PER_BATCH && done < n; c++) {
      const count = Math.min(CHAIN, n - done);
      const extents = new Array<{ dpa: number; len: number }>(count);
      for (let i = 0; i < count; i++) extents[i] = { dpa: BASE + (done + i) * BLOCK, len: BLOCK };
      if (w.device.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents }).rc !== 0) throw new Error("add refused");
      done += count;
    }
    await w.core.idle();
  }
}

async function releaseAll(w: World, n: number): Promise<void> {
  // One FM release per group (its first extent): the host releases the whole group (R44).
  for (let done = 0; done < n; ) {
    const extents: { dpa: number; len: number }[] = [];
    for (let c = 0; c < CHAINS_PER_BATCH && done < n; c++) {
      extents.push({ dpa: BASE + done * BLOCK, len: BLOCK });
      done += Math.min(CHAIN, n - done);
    }
    if (w.device.initiateRelease({ hostId: 0, removalPolicy: "prescriptive", extents }).rc !== 0) throw new Error("release refused");
    await w.core.idle();
  }
}

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function runLevel(n: number): Promise<void> {
  for (let rep = 0; rep < (REPS[n] ?? 1); rep++) await runOnce(n, rep === 0);
}

async function runOnce(n: number, measureHeap: boolean): Promise<void> {
  const w = await makeWorld(n);
  const empty = measureHeap ? heapUsed() : 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await addAll(w, n);
  const t1 = performance.now();
  const c1 = process.cpuUsage(c0);
  if (w.dax.extentCount !== n || w.device.totalExtentCount !== n) throw new Error(`expected ${n} live extents, host ${w.dax.extentCount}, device ${w.device.totalExtentCount}`);
  const heapPerExtent = measureHeap ? (heapUsed() - empty) / n : 0;
  const c2 = process.cpuUsage();
  const t2 = performance.now();
  await releaseAll(w, n);
  const t3 = performance.now();
  const c3 = process.cpuUsage(c2);
  if (w.dax.extentCount !== 0 || w.device.totalExtentCount !== 0) throw new Error(`release left ${w.dax.extentCount} host / ${w.device.totalExtentCount} device extents`);
  w.handle.dispose();
  await w.host.dispose();
  w.device.dispose();
  const row: Row = { n, addNs: ((t1 - t0) * 1e6) / n, releaseNs: ((t3 - t2) * 1e6) / n, cpuNs: ((c1.user + c1.system + c3.user + c3.system) * 1e3) / n, heapPerExtent };
  const prev = rows.get(n);
  if (prev === undefined || row.addNs + row.releaseNs < prev.addNs + prev.releaseNs) rows.set(n, { ...row, heapPerExtent: prev?.heapPerExtent ?? heapPerExtent });
}

function printTable(): void {
  const base = rows.get(LEVELS[0] ?? 1_000);
  const baseCycle = base === undefined ? NaN : base.addNs + base.releaseNs;
  const f = (ns: number): string => Math.round(1e9 / ns).toLocaleString("en-US");
  const lines = [
    "",
    `Extent pipeline: FM add -> DC log -> gates -> no-op region driver -> extentZ.K -> 4802h; FM release -> whole group -> one 4803h per extent (chains of ${CHAIN})`,
    "| live extents | add extents/s | release extents/s | cycle extents/s (wall) | ns/extent (wall) | ns/extent (CPU) | vs first (wall) | heap bytes / live extent |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...[...rows.values()].map((r) => {
      const cycle = r.addNs + r.releaseNs;
      return `| ${r.n.toLocaleString("en-US")} | ${f(r.addNs)} | ${f(r.releaseNs)} | ${f(cycle)} | ${cycle.toFixed(0)} | ${r.cpuNs.toFixed(0)} | ${(cycle / baseCycle).toFixed(2)}x | ${r.heapPerExtent.toFixed(0)} |`;
    }),
    "",
  ];
  process.stderr.write(lines.join("\n") + "\n");
}

describe("extent pipeline: device -> host gates -> region driver -> response -> release", () => {
  const last = LEVELS[LEVELS.length - 1];
  for (const n of LEVELS) {
    bench(
      `${n.toLocaleString("en-US")} live extents, full cycle`,
      async () => {
        await runLevel(n);
      },
      {
        iterations: 1,
        time: 1,
        warmupIterations: n >= 1_000_000 ? 0 : 1,
        warmupTime: 1,
        teardown: (_task, mode) => {
          if (mode === "run" && n === last) printTable();
        },
      },
    );
  }
});
