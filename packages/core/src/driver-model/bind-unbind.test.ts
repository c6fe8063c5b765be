/** Manual bind and unbind with the errnos of bind_store / unbind_store, and rescan. */
import { useLeakCheck } from "@dcd/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Bus, deferProbe, DriverCore, errno } from "../index.js";
import { bindings, DemoDevice, demoBus, demoDriver, type DemoDriver } from "./test-support/demo-bus.js";

let core: DriverCore;
let bus: Bus<DemoDevice, DemoDriver>;
let log: string[];

useLeakCheck();
beforeEach(async () => {
  core = new DriverCore({ name: "test" });
  bus = core.busRegister(demoBus);
  bus.autoprobe = false; // so that every bind below is a manual one
  log = [];
  await core.driverRegister(demoDriver("a", "x", log));
  await core.driverRegister(demoDriver("b", "y", log));
  await core.deviceAdd(new DemoDevice("d0", "x"));
  await core.deviceAdd(new DemoDevice("d1", "y"));
});
afterEach(async () => {
  await core.dispose();
});

describe("bind (bind_store)", () => {
  it("binds a matching unbound device", async () => {
    await bus.bind("d0", "a");
    expect(bindings(core)).toEqual(["d0->a"]);
  });

  it("ENODEV when the device does not exist or the driver does not match it", async () => {
    await expect(bus.bind("nope", "a")).rejects.toMatchObject({ code: "ENODEV" });
    await expect(bus.bind("d1", "a")).rejects.toMatchObject({ code: "ENODEV" });
    expect(log).toEqual([]);
  });

  it("ENODEV when driver_override names another driver", async () => {
    await core.setDriverOverride(core.bus("demo")?.device("d0") ?? new DemoDevice("?", "x"), "b");
    await expect(bus.bind("d0", "a")).rejects.toMatchObject({ code: "ENODEV" });
  });

  it("ENOENT when the bus has no such driver (no bind file to write)", async () => {
    await expect(bus.bind("d0", "nope")).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("EBUSY when the device is already bound, even to the same driver", async () => {
    await bus.bind("d0", "a");
    await expect(bus.bind("d0", "a")).rejects.toMatchObject({ code: "EBUSY" });
    expect(log).toEqual(["probe:a:d0"]);
  });

  it("EAGAIN when the probe defers, and the device is not put on the deferred list", async () => {
    await core.driverRegister(demoDriver("lazy", "z", log, () => { throw deferProbe("later"); }));
    await core.deviceAdd(new DemoDevice("d2", "z"));
    await expect(bus.bind("d2", "lazy")).rejects.toMatchObject({ code: "EAGAIN" });
    expect(core.deferredDevices()).toEqual([]);
  });

  it("returns the probe's own errno, with the probe's error as cause", async () => {
    const cause = errno("ENOSPC", "full");
    await core.driverRegister(demoDriver("full", "z", log, () => { throw cause; }));
    await core.deviceAdd(new DemoDevice("d2", "z"));
    await expect(bus.bind("d2", "full")).rejects.toMatchObject({ code: "ENOSPC", cause });
    await core.driverRegister(demoDriver("plain", "w", log, () => { throw new Error("no code"); }));
    await core.deviceAdd(new DemoDevice("d3", "w"));
    await expect(bus.bind("d3", "plain")).rejects.toMatchObject({ code: "EIO" });
  });
});

describe("unbind (unbind_store)", () => {
  it("unbinds, and the device is not reprobed", async () => {
    bus.autoprobe = true;
    await bus.bind("d0", "a");
    await bus.unbind("d0", "a");
    expect(bindings(core)).toEqual([]);
    expect(log).toEqual(["probe:a:d0", "remove:a:d0"]);
  });

  it("ENODEV when the device is missing, unbound, or bound to another driver", async () => {
    await bus.bind("d0", "a");
    await expect(bus.unbind("nope", "a")).rejects.toMatchObject({ code: "ENODEV" });
    await expect(bus.unbind("d1", "b")).rejects.toMatchObject({ code: "ENODEV" });
    await expect(bus.unbind("d0", "b")).rejects.toMatchObject({ code: "ENODEV" });
    await expect(bus.unbind("d1")).rejects.toMatchObject({ code: "ENODEV" });
    expect(bindings(core)).toEqual(["d0->a"]);
  });

  it("ENOENT when the bus has no such driver", async () => {
    await bus.bind("d0", "a");
    await expect(bus.unbind("d0", "nope")).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("without a driver name unbinds whatever is bound", async () => {
    await bus.bind("d1", "b");
    await bus.unbind("d1");
    expect(bindings(core)).toEqual([]);
  });
});

describe("rescan and drivers_probe", () => {
  it("rescan attaches every unbound device in registration order", async () => {
    await bus.rescan();
    expect(log).toEqual(["probe:a:d0", "probe:b:d1"]);
  });

  it("drivers_probe attaches one device; ENODEV for an unknown one; nothing for a bound one", async () => {
    await bus.probeDevice("d1");
    expect(bindings(core)).toEqual(["d1->b"]);
    await bus.probeDevice("d1");
    expect(log).toEqual(["probe:b:d1"]);
    await expect(bus.probeDevice("nope")).rejects.toMatchObject({ code: "ENODEV" });
  });
});
