/**
 * Driver-core throughput.
 *
 * - 100,000 devices bound by 10 drivers: drivers first (each device_add tries the drivers),
 *   devices first (each driver_register walks the devices), with 3 subscribers on `events$`,
 *   and on a host (sysfs glue on);
 * - 1,000,000 events through `events$` to 3 subscribers (synchronous uevents).
 *
 * vitest prints its own table (runs/s of a whole scenario). The table printed after it converts
 * the best run of each phase into operations per second: devices bound/s, devices torn down/s
 * (unbind + delete, reverse order), and notifications/s.
 */
import { afterAll, bench, describe } from "vitest";
import { createHost, DriverCore } from "../index.js";
import { DemoDevice, demoBus, type DemoDriver } from "./test-support/demo-bus.js";

const DEVICES = 100_000;
const DRIVERS = 10;
const NOTIFICATIONS = 1_000_000;
const SUBSCRIBERS = 3;
const runs = { iterations: 3, time: 0, warmupIterations: 0, warmupTime: 0 };

interface Row {
  phase: string;
  operations: number;
  unit: string;
  "ops/s": number;
  ms: number;
}
const rows = new Map<string, Row>();

/** Time one phase; keep the best run of each phase for the summary table. */
async function phase(name: string, operations: number, unit: string, fn: () => Promise<void>): Promise<void> {
  const start = performance.now();
  await fn();
  const ms = performance.now() - start;
  const row: Row = { phase: name, operations, unit, "ops/s": Math.round((operations * 1000) / ms), ms: Math.round(ms) };
  const best = rows.get(name);
  if (best === undefined || best.ms > row.ms) rows.set(name, row);
}

const drivers: DemoDriver[] = Array.from({ length: DRIVERS }, (_, i) => ({ name: `drv${i}`, bus: "demo", kind: `k${i}`, probe: () => undefined }));
const devices = (): DemoDevice[] => Array.from({ length: DEVICES }, (_, i) => new DemoDevice(`dev${i}`, `k${i % DRIVERS}`));

/** An observer that counts deliveries (the stream never errors; errors travel in payloads). */
function counter(): { next: () => void; error: () => void; readonly count: number } {
  let count = 0;
  return {
    next: () => {
      count++;
    },
    error: () => undefined,
    get count() {
      return count;
    },
  };
}

function assertAllBound(list: readonly DemoDevice[]): void {
  if (list.some((d) => d.driver === undefined)) throw new Error("a device was left unbound");
}

describe("driver core", () => {
  bench(
    "100k devices, drivers registered first",
    async () => {
      const core = new DriverCore();
      core.busRegister(demoBus);
      for (const d of drivers) await core.driverRegister(d);
      const list = devices();
      await phase("bind 100k devices, drivers first", DEVICES, "devices bound", async () => {
        for (const dev of list) await core.deviceAdd(dev);
      });
      assertAllBound(list);
      await phase("teardown 100k bound devices", DEVICES, "devices unbound+deleted", () => core.dispose());
    },
    runs,
  );

  bench(
    "100k devices, devices registered first",
    async () => {
      const core = new DriverCore();
      core.busRegister(demoBus);
      const list = devices();
      for (const dev of list) await core.deviceAdd(dev);
      await phase("bind 100k devices, devices first", DEVICES, "devices bound", async () => {
        for (const d of drivers) await core.driverRegister(d);
      });
      assertAllBound(list);
      await core.dispose();
    },
    runs,
  );

  bench(
    "100k devices, 3 subscribers",
    async () => {
      const core = new DriverCore();
      core.busRegister(demoBus);
      const observers = Array.from({ length: SUBSCRIBERS }, counter);
      for (const o of observers) core.events$.subscribe(o);
      for (const d of drivers) await core.driverRegister(d);
      const list = devices();
      await phase("bind 100k devices, 3 subscribers (5 events each)", DEVICES, "devices bound", async () => {
        for (const dev of list) await core.deviceAdd(dev);
      });
      assertAllBound(list);
      await core.dispose();
      if ((observers[0]?.count ?? 0) < 5 * DEVICES) throw new Error("events missing");
    },
    runs,
  );

  bench(
    "100k devices on a host (sysfs)",
    async () => {
      const host = await createHost({ name: "bench", buses: [demoBus] });
      for (const d of drivers) await host.core.driverRegister(d);
      const list = devices();
      await phase("bind 100k devices on a host (sysfs)", DEVICES, "devices bound", async () => {
        for (const dev of list) await host.core.deviceAdd(dev);
      });
      assertAllBound(list);
      await phase("teardown 100k devices on a host (sysfs)", DEVICES, "devices unbound+deleted", () => host.dispose());
    },
    runs,
  );

  bench(
    "1M notifications to 3 subscribers",
    async () => {
      const core = new DriverCore();
      core.busRegister(demoBus);
      const dev = new DemoDevice("dev0", "k0");
      await core.deviceAdd(dev);
      const observers = Array.from({ length: SUBSCRIBERS }, counter);
      for (const o of observers) core.events$.subscribe(o);
      await phase("1M uevents to 3 subscribers", NOTIFICATIONS, "notifications", () => {
        for (let i = 0; i < NOTIFICATIONS; i++) core.uevent(dev, "change");
        return Promise.resolve();
      });
      await core.dispose();
      if (observers.some((o) => o.count < NOTIFICATIONS)) throw new Error("notifications missing");
    },
    runs,
  );
});

afterAll(() => {
  console.log(`\ndriver-model throughput (best of ${runs.iterations} runs per phase)`);
  console.table([...rows.values()]);
});
