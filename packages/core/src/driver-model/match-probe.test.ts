/** match, driver_override and the probe outcomes of really_probe. */
import { useLeakCheck } from "@dcd/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type BusNotification, deferProbe, DriverCore, errno, probeOutcome } from "../index.js";
import { bindings, DemoDevice, demoBus, demoDriver, notifications, record } from "./test-support/demo-bus.js";

let core: DriverCore;
let log: string[];

useLeakCheck(); // first, so that its afterEach runs after the dispose below
beforeEach(() => {
  core = new DriverCore({ name: "test" });
  core.busRegister(demoBus);
  log = [];
});
afterEach(async () => {
  await core.dispose();
});

describe("match", () => {
  it("binds a device to the driver whose match accepts it, and leaves others alone", async () => {
    await core.driverRegister(demoDriver("a", "x", log));
    await core.driverRegister(demoDriver("b", "y", log));
    await core.deviceAdd(new DemoDevice("d0", "y"));
    await core.deviceAdd(new DemoDevice("d1", "z"));
    expect(bindings(core)).toEqual(["d0->b"]);
    expect(log).toEqual(["probe:b:d0"]);
  });

  it("tries drivers in registration order; the first that binds wins", async () => {
    await core.driverRegister(demoDriver("first", "x", log));
    await core.driverRegister(demoDriver("second", "x", log));
    await core.deviceAdd(new DemoDevice("d0", "x"));
    expect(bindings(core)).toEqual(["d0->first"]);
  });

  it("matches every driver when the bus has no match()", async () => {
    const bare = new DriverCore();
    bare.busRegister({ name: "bare" });
    await bare.driverRegister({ name: "any", bus: "bare" });
    const dev = new DemoDevice("d0", "x", { bus: "bare" });
    await bare.deviceAdd(dev);
    expect(dev.driver?.name).toBe("any");
    await bare.dispose();
  });

  it("a match that defers stops the search and puts the device on the deferred list", async () => {
    let ready = false;
    const bus = new DriverCore();
    bus.busRegister<DemoDevice, ReturnType<typeof demoDriver>>({ name: "demo", match: (d, r) => (r.name === "late" && !ready ? "defer" : d.kind === r.kind) });
    await bus.driverRegister(demoDriver("late", "x", log));
    await bus.driverRegister(demoDriver("other", "x", log));
    const dev = new DemoDevice("d0", "x");
    await bus.deviceAdd(dev);
    expect(dev.driver).toBeUndefined();
    expect(bus.deferredDevices()).toEqual([dev]);
    expect(log).toEqual([]); // "other" was not tried
    ready = true;
    await bus.driverRegister(demoDriver("trigger", "t", log));
    await bus.deviceAdd(new DemoDevice("t0", "t")); // a successful bind retries the deferred list
    expect(dev.driver?.name).toBe("late");
    await bus.dispose();
  });
});

describe("driver_override", () => {
  it("set to this driver: matches even when the bus would not", async () => {
    await core.driverRegister(demoDriver("a", "x", log));
    const dev = new DemoDevice("d0", "other", { driverOverride: "a" });
    await core.deviceAdd(dev);
    expect(dev.driver?.name).toBe("a");
  });

  it("set to another driver: no match even when the bus would match", async () => {
    await core.driverRegister(demoDriver("a", "x", log));
    const dev = new DemoDevice("d0", "x", { driverOverride: "b" });
    await core.deviceAdd(dev);
    expect(dev.driver).toBeUndefined();
    expect(log).toEqual([]);
    await core.driverRegister(demoDriver("b", "unrelated", log));
    expect(dev.driver?.name).toBe("b");
  });

  it("unset: the bus's match decides", async () => {
    await core.driverRegister(demoDriver("a", "x", log));
    const dev = new DemoDevice("d0", "x");
    expect(dev.driverOverride).toBeUndefined();
    await core.deviceAdd(dev);
    expect(dev.driver?.name).toBe("a");
  });

  it("changing it reprobes: a driver that no longer matches is unbound, the override binds", async () => {
    await core.driverRegister(demoDriver("a", "x", log));
    await core.driverRegister(demoDriver("b", "y", log));
    const dev = new DemoDevice("d0", "x");
    await core.deviceAdd(dev);
    expect(dev.driver?.name).toBe("a");
    await core.setDriverOverride(dev, "b");
    expect(dev.driverOverride).toBe("b");
    expect(dev.driver?.name).toBe("b");
    expect(log).toEqual(["probe:a:d0", "remove:a:d0", "probe:b:d0"]);
    // b matched only through the override: clearing it hands the device back to a.
    await core.setDriverOverride(dev, undefined);
    expect(dev.driver?.name).toBe("a");
    expect(log).toEqual(["probe:a:d0", "remove:a:d0", "probe:b:d0", "remove:b:d0", "probe:a:d0"]);
  });

  it("changing it to the bound driver keeps the binding (no needless unbind)", async () => {
    await core.driverRegister(demoDriver("a", "x", log));
    const dev = new DemoDevice("d0", "x");
    await core.deviceAdd(dev);
    await core.setDriverOverride(dev, "a");
    expect(dev.driver?.name).toBe("a");
    expect(log).toEqual(["probe:a:d0"]);
  });

  it("clearing it on an unbound device reprobes with normal matching", async () => {
    await core.driverRegister(demoDriver("a", "x", log));
    const dev = new DemoDevice("d0", "x", { driverOverride: "nobody" });
    await core.deviceAdd(dev);
    expect(dev.driver).toBeUndefined();
    await core.setDriverOverride(dev, "");
    expect(dev.driverOverride).toBeUndefined();
    expect(dev.driver?.name).toBe("a");
  });

  it("setting the same value again does nothing", async () => {
    const dev = new DemoDevice("d0", "x", { driverOverride: "a" });
    await core.deviceAdd(dev);
    const { events } = record(core);
    await core.setDriverOverride(dev, "a");
    expect(events).toEqual([]);
  });
});

describe("probe outcomes", () => {
  it("success binds, announcing bind-driver, bound-driver and a bind uevent with DRIVER", async () => {
    const { events } = record(core);
    await core.driverRegister(demoDriver("a", "x", log));
    const dev = new DemoDevice("d0", "x");
    await core.deviceAdd(dev);
    expect(notifications(events)).toEqual(["add-device:d0", "bind-driver:d0:a", "bound-driver:d0:a"]);
    const bind = events.find((e) => e.kind === "uevent" && e.action === "bind");
    expect(bind?.kind === "uevent" ? bind.env["DRIVER"] : undefined).toBe("a");
  });

  it("sets dev.driver while the probe runs, and clears it when the probe fails", async () => {
    const seen: (string | undefined)[] = [];
    await core.driverRegister(
      demoDriver("a", "x", log, (dev) => {
        seen.push(dev.driver?.name);
        throw errno("EIO", "broken");
      }),
    );
    const dev = new DemoDevice("d0", "x");
    await core.deviceAdd(dev);
    expect(seen).toEqual(["a"]);
    expect(dev.driver).toBeUndefined();
  });

  it("defer puts the device on the pending list with its reason, and lets the next driver try", async () => {
    const { events } = record(core);
    await core.driverRegister(demoDriver("a", "x", log, () => { throw deferProbe("waiting for the moon"); }));
    const dev = new DemoDevice("d0", "x");
    await core.deviceAdd(dev);
    expect(core.deferredDevices()).toEqual([dev]);
    expect(dev.deferredReason).toBe("waiting for the moon");
    const nb = events.find((e): e is BusNotification => e.kind === "notify" && e.action === "driver-not-bound");
    expect(nb?.probe?.outcome).toBe("deferred");
    await core.driverRegister(demoDriver("b", "x", log)); // driver_attach offers it to b, which binds
    expect(dev.driver?.name).toBe("b");
    expect(core.deferredDevices()).toEqual([]);
    expect(dev.deferredReason).toBeUndefined();
  });

  it.each(["ENODEV", "ENXIO"] as const)("%s rejects quietly and the next driver binds", async (code) => {
    const { events } = record(core);
    await core.driverRegister(demoDriver("picky", "x", log, () => { throw errno(code, "not mine"); }));
    await core.driverRegister(demoDriver("fallback", "x", log));
    const dev = new DemoDevice("d0", "x");
    await core.deviceAdd(dev);
    expect(dev.driver?.name).toBe("fallback");
    const nb = events.find((e): e is BusNotification => e.kind === "notify" && e.action === "driver-not-bound");
    expect(nb?.probe?.outcome).toBe("rejected");
    expect(core.deferredDevices()).toEqual([]);
  });

  it("any other error is reported (outcome failed, with the error) and the next driver tries", async () => {
    const { events } = record(core);
    const boom = new Error("boom");
    await core.driverRegister(demoDriver("broken", "x", log, () => { throw boom; }));
    await core.driverRegister(demoDriver("fallback", "x", log));
    await core.deviceAdd(new DemoDevice("d0", "x"));
    const nb = events.find((e): e is BusNotification => e.kind === "notify" && e.action === "driver-not-bound");
    expect(nb?.probe).toEqual({ outcome: "failed", error: boom });
    expect(bindings(core)).toEqual(["d0->fallback"]);
  });

  it("releases the failed binding's devres and drvdata before the next driver probes", async () => {
    await core.driverRegister(
      demoDriver("first", "x", log, (_dev, ctx) => {
        ctx.drvdata = "first's";
        ctx.devm.add(() => log.push("release:first:1"));
        ctx.devm.add(() => log.push("release:first:2"));
        throw errno("EIO", "no");
      }),
    );
    let drvdataSeenBySecond: unknown = "unset";
    await core.driverRegister(
      demoDriver("second", "x", log, (dev) => {
        drvdataSeenBySecond = dev.drvdata;
      }),
    );
    await core.deviceAdd(new DemoDevice("d0", "x"));
    expect(log).toEqual(["probe:first:d0", "release:first:2", "release:first:1", "probe:second:d0"]);
    expect(drvdataSeenBySecond).toBeUndefined();
  });

  it("drvdata set in probe is the device's until unbind", async () => {
    await core.driverRegister(demoDriver("a", "x", log, (_d, ctx) => { ctx.drvdata = { n: 1 }; }));
    const dev = new DemoDevice("d0", "x");
    await core.deviceAdd(dev);
    expect(dev.drvdata).toEqual({ n: 1 });
    await core.bus("demo")?.unbind("d0");
    expect(dev.drvdata).toBeUndefined();
  });

  it("a bus probe/remove wraps the driver's (cxl_bus_probe style)", async () => {
    const wrapped = new DriverCore();
    wrapped.busRegister<DemoDevice, ReturnType<typeof demoDriver>>({
      name: "demo",
      match: (d, r) => d.kind === r.kind,
      async probe(dev, drv, ctx) {
        log.push(`bus-probe:${dev.name}`);
        await drv.probe?.(dev, ctx);
      },
      async remove(dev, drv, ctx) {
        log.push(`bus-remove:${dev.name}`);
        await drv.remove?.(dev, ctx);
      },
    });
    await wrapped.driverRegister(demoDriver("a", "x", log));
    await wrapped.deviceAdd(new DemoDevice("d0", "x"));
    await wrapped.dispose();
    expect(log).toEqual(["bus-probe:d0", "probe:a:d0", "bus-remove:d0", "remove:a:d0"]);
  });

  it("classifies thrown values the way call_driver_probe does", () => {
    expect(probeOutcome(deferProbe("later"))).toBe("deferred");
    expect(probeOutcome(errno("ENODEV", "x"))).toBe("rejected");
    expect(probeOutcome(errno("ENXIO", "x"))).toBe("rejected");
    expect(probeOutcome(errno("EIO", "x"))).toBe("failed");
    expect(probeOutcome("a string")).toBe("failed");
  });
});
