/** Properties of the driver core, over random populations, orders and probe outcomes. */
import { fc, test } from "@fast-check/vitest";
import { bindingScenario, type BindingScenario, devresPlan, permutation, type RegistrationStep, type ScenarioDevice, useLeakCheck } from "@dcd/testing";
import { describe, expect } from "vitest";
import { deferProbe, DriverCore, errno, SysfsTree } from "../index.js";
import { bindings, DemoDevice, demoBus, demoDriver, type DemoDriver } from "./test-support/demo-bus.js";

useLeakCheck();

/** What the kernel rules say a device ends up bound to: its override if registered, else its kind's driver. */
function expectedBindings(sc: BindingScenario): string[] {
  const names = new Set(sc.drivers.map((d) => d.name));
  return sc.devices
    .flatMap((d) => {
      const driver = d.override ?? sc.drivers.find((r) => r.kind === d.kind)?.name;
      return driver !== undefined && names.has(driver) ? [`${d.name}->${driver}`] : [];
    })
    .sort();
}

const makeDevice = (d: ScenarioDevice) => new DemoDevice(d.name, `k${d.kind}`, d.override === undefined ? {} : { driverOverride: d.override });

/** A core with sysfs, populated in `order`; returns it with its sysfs tree. */
async function populate(sc: BindingScenario, order: readonly RegistrationStep[], autoprobe = true): Promise<{ core: DriverCore; sysfs: SysfsTree }> {
  const sysfs = new SysfsTree();
  const core = new DriverCore({ sysfs });
  const bus = core.busRegister(demoBus);
  bus.autoprobe = autoprobe;
  const drivers = sc.drivers.map((d) => demoDriver(d.name, `k${d.kind}`));
  const devices = sc.devices.map(makeDevice);
  for (const step of order) {
    if (step.add === "device") await core.deviceAdd(devices[step.index] as DemoDevice);
    else await core.driverRegister(drivers[step.index] as DemoDriver);
  }
  return { core, sysfs };
}

/** Every sysfs entry, with link targets and the content of every readable file. */
function sysfsState(sysfs: SysfsTree): string[] {
  return [...sysfs.walk("/sys")]
    .map((e) => {
      if (e.type === "link") return `${e.path} -> ${e.target ?? ""}`;
      if (e.type === "file" && (e.mode & 0o444) !== 0) return `${e.path} = ${sysfs.read(e.path)}`;
      return e.path;
    })
    .sort();
}

describe("driver core properties", () => {
  test.prop([bindingScenario()])("for any registration order the final bindings (and sysfs) are the same", async (sc) => {
    const canonical: RegistrationStep[] = [...sc.drivers.map((_, index) => ({ add: "driver" as const, index })), ...sc.devices.map((_, index) => ({ add: "device" as const, index }))];
    const shuffled = await populate(sc, sc.order);
    const reference = await populate(sc, canonical);
    try {
      expect(bindings(shuffled.core)).toEqual(expectedBindings(sc));
      expect(bindings(reference.core)).toEqual(expectedBindings(sc));
      expect(sysfsState(shuffled.sysfs)).toEqual(sysfsState(reference.sysfs));
    } finally {
      await shuffled.core.dispose();
      await reference.core.dispose();
    }
  });

  test.prop([bindingScenario(), fc.array(fc.nat()), fc.nat()])(
    "bind then unbind restores the previous state, sysfs included",
    async (sc, preBound, pick) => {
      const { core, sysfs } = await populate(sc, sc.order, false);
      try {
        const bus = core.bus("demo");
        if (bus === undefined) throw new Error("no bus");
        const matching = (dev: ScenarioDevice) =>
          sc.drivers.find((r) => (dev.override === undefined ? r.kind === dev.kind : r.name === dev.override))?.name;
        for (const i of preBound) {
          const dev = sc.devices[i % Math.max(1, sc.devices.length)];
          const drv = dev && matching(dev);
          if (dev !== undefined && drv !== undefined && bus.device(dev.name)?.driver === undefined) await bus.bind(dev.name, drv);
        }
        const candidates = sc.devices.filter((d) => matching(d) !== undefined && bus.device(d.name)?.driver === undefined);
        const target = candidates[pick % Math.max(1, candidates.length)];
        if (target === undefined) return;
        const before = { bindings: bindings(core), sysfs: sysfsState(sysfs), deferred: core.deferredDevices() };
        await bus.bind(target.name, matching(target) ?? "");
        expect(bus.device(target.name)?.driver?.name).toBe(matching(target));
        await bus.unbind(target.name);
        expect({ bindings: bindings(core), sysfs: sysfsState(sysfs), deferred: core.deferredDevices() }).toEqual(before);
      } finally {
        await core.dispose();
      }
    },
  );

  test.prop([devresPlan()])("every devres action runs exactly once, in reverse order, whatever the probes do", async (plan) => {
    const log: string[] = [];
    const core = new DriverCore();
    core.busRegister(demoBus);
    for (const [i, step] of plan.entries()) {
      await core.driverRegister(
        demoDriver(`drv${i}`, "x", log, (_dev, ctx) => {
          for (let j = 0; j < step.actions; j++) ctx.devm.add(() => log.push(`release:${i}.${j}`));
          if (step.outcome === "reject") throw errno("ENODEV", "not mine");
          if (step.outcome === "fail") throw errno("EIO", "broken");
        }),
      );
    }
    await core.deviceAdd(new DemoDevice("d0", "x"));
    await core.dispose();

    // The kernel's sequence: each attempt releases its own stack (last first) before the next
    // driver tries; the first success stops the search and is released on unbind.
    const expected: string[] = [];
    for (const [i, step] of plan.entries()) {
      expected.push(`probe:drv${i}:d0`);
      const releases = Array.from({ length: step.actions }, (_, j) => `release:${i}.${step.actions - 1 - j}`);
      if (step.outcome === "ok") {
        expected.push(`remove:drv${i}:d0`, ...releases);
        break;
      }
      expected.push(...releases);
    }
    expect(log).toEqual(expected);
    const releases = log.filter((l) => l.startsWith("release:"));
    expect(new Set(releases).size).toBe(releases.length);
  });

  test.prop([fc.integer({ min: 1, max: 4 }).chain((depth) => fc.tuple(fc.constant(depth), permutation(Array.from({ length: 2 * (depth + 1) }, (_, i) => i))))])(
    "a deferred device binds once its supplier binds, whatever the order",
    async ([depth, order]) => {
      // Level 0 is the supplier; level k > 0 defers until the device of level k-1 is bound.
      const core = new DriverCore();
      const bus = core.busRegister(demoBus);
      const devices = Array.from({ length: depth + 1 }, (_, k) => new DemoDevice(`dev${k}`, `k${k}`));
      const drivers = devices.map((_, k) =>
        demoDriver(`drv${k}`, `k${k}`, [], () => {
          if (k > 0 && bus.device(`dev${k - 1}`)?.driver === undefined) throw deferProbe(`waiting for dev${k - 1}`);
        }),
      );
      try {
        for (const step of order) {
          const level = step >> 1;
          if (step % 2 === 0) await core.deviceAdd(devices[level] as DemoDevice);
          else await core.driverRegister(drivers[level] as DemoDriver);
        }
        expect(devices.map((d) => d.driver?.name)).toEqual(drivers.map((d) => d.name));
        expect(core.deferredDevices()).toEqual([]);
      } finally {
        await core.dispose();
      }
    },
  );
});
