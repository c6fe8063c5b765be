/** device_add / device_del, driver_register / driver_unregister, bus_register, devpaths. */
import { useLeakCheck } from "@dcd/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { deferProbe, Device, DriverCore } from "../index.js";
import { bindings, DemoDevice, demoBus, demoDriver, record } from "./test-support/demo-bus.js";

let core: DriverCore;
let log: string[];

useLeakCheck();
beforeEach(() => {
  core = new DriverCore({ name: "test" });
  core.busRegister(demoBus);
  log = [];
});
afterEach(async () => {
  await core.dispose();
});

/** Assert that `op` fails with `code` and changes nothing observable. */
async function refusedWithoutChange(op: () => Promise<unknown>, code: string): Promise<void> {
  const before = { devices: core.deviceList(), bindings: bindings(core) };
  const { events, sub } = record(core);
  await expect(op()).rejects.toMatchObject({ code });
  sub.unsubscribe();
  expect(events).toEqual([]);
  expect({ devices: core.deviceList(), bindings: bindings(core) }).toEqual(before);
}

describe("bus_register", () => {
  it("refuses a second bus of the same name (EEXIST) and bad names (EINVAL)", () => {
    expect(() => core.busRegister({ name: "demo" })).toThrow(expect.objectContaining({ code: "EEXIST" }));
    expect(() => core.busRegister({ name: "a/b" })).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(core.busList().map((b) => b.name)).toEqual(["demo"]);
  });
});

describe("device_add", () => {
  it("announces add-device and an add uevent, then probes", async () => {
    await core.driverRegister(demoDriver("a", "x", log));
    const { events } = record(core);
    await core.deviceAdd(new DemoDevice("d0", "x"));
    expect(events.map((e) => (e.kind === "notify" ? e.action : `uevent:${e.action}`))).toEqual([
      "add-device",
      "uevent:add",
      "bind-driver",
      "bound-driver",
      "uevent:bind",
    ]);
  });

  it("refuses an unknown bus (EINVAL), a taken name (EEXIST), an unregistered parent (EINVAL) and a second add (EEXIST)", async () => {
    const dev = new DemoDevice("d0", "x");
    await core.deviceAdd(dev);
    await refusedWithoutChange(() => core.deviceAdd(new DemoDevice("d1", "x", { bus: "nope" })), "EINVAL");
    await refusedWithoutChange(() => core.deviceAdd(new DemoDevice("d0", "y")), "EEXIST");
    await refusedWithoutChange(() => core.deviceAdd(new DemoDevice("d2", "x", { parent: new DemoDevice("ghost", "x") })), "EINVAL");
    await refusedWithoutChange(() => core.deviceAdd(dev), "EEXIST");
  });

  it("refuses two devices at the same devpath, even on different buses", async () => {
    core.busRegister({ name: "other" });
    const parent = new Device({ name: "root0" });
    await core.deviceAdd(parent);
    await core.deviceAdd(new DemoDevice("same", "x", { parent }));
    await refusedWithoutChange(() => core.deviceAdd(new DemoDevice("same", "x", { bus: "other", parent })), "EEXIST");
  });

  it("refuses names that cannot be sysfs directories", () => {
    expect(() => new Device({ name: "a/b" })).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => new Device({ name: "" })).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });

  it("places devices by parent chain, then device root, then bus root, then virtual/<bus>", async () => {
    const platform = new Device({ name: "ACPI0017:00", root: "platform" });
    const root0 = new DemoDevice("root0", "x", { parent: platform });
    const port = new DemoDevice("port1", "x", { parent: root0 });
    const lone = new DemoDevice("lone", "x");
    const top = new DemoDevice("pci0000:34", "x", { root: "" });
    for (const d of [platform, root0, port, lone, top]) await core.deviceAdd(d);
    expect([platform, root0, port, lone, top].map((d) => d.devpath)).toEqual([
      "/devices/platform/ACPI0017:00",
      "/devices/platform/ACPI0017:00/root0",
      "/devices/platform/ACPI0017:00/root0/port1",
      "/devices/virtual/demo/lone",
      "/devices/pci0000:34",
    ]);
    expect(core.deviceAt("/devices/platform/ACPI0017:00/root0")).toBe(root0);
    const rooted = new DriverCore();
    rooted.busRegister({ name: "plat", root: "platform" });
    const p = new Device({ name: "p0", bus: "plat" });
    await rooted.deviceAdd(p);
    expect(p.devpath).toBe("/devices/platform/p0");
    await rooted.dispose();
  });

  it("a bus-less device is registered silently and never probed", async () => {
    const { events } = record(core);
    const dev = new Device({ name: "LNXSYSTM:00" });
    await core.deviceAdd(dev);
    expect(dev.isRegistered).toBe(true);
    expect(dev.devpath).toBe("/devices/LNXSYSTM:00");
    expect(events).toEqual([]);
  });
});

describe("device_del", () => {
  it("unbinds, removes, and announces in the kernel's order", async () => {
    await core.driverRegister(demoDriver("a", "x", log));
    const dev = new DemoDevice("d0", "x");
    await core.deviceAdd(dev);
    const { events } = record(core);
    await core.deviceDel(dev);
    expect(events.map((e) => (e.kind === "notify" ? e.action : `uevent:${e.action}`))).toEqual([
      "del-device",
      "unbind-driver",
      "unbound-driver",
      "uevent:unbind",
      "uevent:remove",
      "removed-device",
    ]);
    expect(dev.isRegistered).toBe(false);
    expect(dev.devpath).toBe("");
    expect(core.deviceList()).toEqual([]);
    expect(log).toEqual(["probe:a:d0", "remove:a:d0"]);
  });

  it("deletes the children its driver left behind, last registered first, after the unbind", async () => {
    await core.driverRegister(demoDriver("a", "x", log));
    const parent = new DemoDevice("p", "x");
    await core.deviceAdd(parent);
    const c1 = new DemoDevice("c1", "x", { parent });
    const c2 = new DemoDevice("c2", "x", { parent });
    await core.deviceAdd(c1);
    await core.deviceAdd(c2);
    await core.deviceDel(parent);
    expect(log).toEqual(["probe:a:p", "probe:a:c1", "probe:a:c2", "remove:a:p", "remove:a:c2", "remove:a:c1"]);
    expect(core.deviceList()).toEqual([]);
  });

  it("lets a driver's devres delete the children it created (devm pattern) without errors", async () => {
    const { events } = record(core);
    await core.driverRegister(
      demoDriver("parent", "p", log, async (dev, ctx) => {
        const child = new DemoDevice(`${dev.name}.0`, "c", { parent: dev });
        await core.deviceAdd(child); // nested: runs inline, no deadlock
        ctx.devm.add(() => core.deviceDel(child));
      }),
    );
    await core.driverRegister(demoDriver("child", "c", log));
    const dev = new DemoDevice("p0", "p");
    await core.deviceAdd(dev);
    expect(bindings(core)).toEqual(["p0->parent", "p0.0->child"]);
    await core.deviceDel(dev);
    expect(core.deviceList()).toEqual([]);
    const errors = events.flatMap((e) => (e.kind === "notify" ? (e.teardownErrors ?? []) : []));
    expect(errors).toEqual([]);
  });

  it("refuses a device that is not registered (ENODEV)", async () => {
    await refusedWithoutChange(() => core.deviceDel(new DemoDevice("ghost", "x")), "ENODEV");
  });

  it("a deleted device can be added again", async () => {
    await core.driverRegister(demoDriver("a", "x", log));
    const dev = new DemoDevice("d0", "x");
    await core.deviceAdd(dev);
    await core.deviceDel(dev);
    await core.deviceAdd(dev);
    expect(dev.driver?.name).toBe("a");
  });
});

describe("driver_register / driver_unregister", () => {
  it("binds the existing matching devices, in device registration order", async () => {
    for (const name of ["d0", "d1", "d2"]) await core.deviceAdd(new DemoDevice(name, name === "d1" ? "y" : "x"));
    await core.driverRegister(demoDriver("a", "x", log));
    expect(log).toEqual(["probe:a:d0", "probe:a:d2"]);
  });

  it("refuses an unknown bus (EINVAL) and a taken name (EBUSY)", async () => {
    await core.driverRegister(demoDriver("a", "x", log));
    await expect(core.driverRegister(demoDriver("b", "x", log, undefined, "nope"))).rejects.toMatchObject({ code: "EINVAL" });
    await expect(core.driverRegister(demoDriver("a", "y", log))).rejects.toMatchObject({ code: "EBUSY" });
    expect(core.bus("demo")?.drivers().map((d) => d.name)).toEqual(["a"]);
  });

  it("unregister unbinds its devices last-bound first and does not hand them to another driver", async () => {
    const a = demoDriver("a", "x", log);
    await core.driverRegister(a);
    for (const name of ["d0", "d1", "d2"]) await core.deviceAdd(new DemoDevice(name, "x"));
    await core.driverRegister(demoDriver("b", "x", log));
    log.length = 0;
    await core.driverUnregister(a);
    expect(log).toEqual(["remove:a:d2", "remove:a:d1", "remove:a:d0"]);
    expect(bindings(core)).toEqual([]);
    expect(core.bus("demo")?.driver("a")).toBeUndefined();
  });

  it("refuses to unregister a driver that is not registered (ENOENT)", async () => {
    await core.driverRegister(demoDriver("a", "x", log));
    await expect(core.driverUnregister(demoDriver("a", "x", log))).rejects.toMatchObject({ code: "ENOENT" });
    expect(core.bus("demo")?.driver("a")).toBeDefined();
  });

  it("the same driver object registers independently with two cores", async () => {
    const other = new DriverCore({ name: "other" });
    other.busRegister(demoBus);
    const shared = demoDriver("a", "x", log);
    await core.driverRegister(shared);
    await other.driverRegister(shared);
    await core.deviceAdd(new DemoDevice("d0", "x"));
    expect(bindings(core)).toEqual(["d0->a"]);
    expect(bindings(other)).toEqual([]);
    await other.driverUnregister(shared);
    expect(bindings(core)).toEqual(["d0->a"]);
    await other.dispose();
  });
});

describe("drivers_autoprobe", () => {
  it("off: neither new devices nor new drivers probe; manual bind, drivers_probe and rescan still work", async () => {
    const bus = core.bus("demo");
    if (bus === undefined) throw new Error("no bus");
    bus.autoprobe = false;
    await core.driverRegister(demoDriver("a", "x", log));
    for (const name of ["d0", "d1", "d2"]) await core.deviceAdd(new DemoDevice(name, "x"));
    expect(log).toEqual([]);
    await bus.bind("d0", "a");
    await bus.probeDevice("d1");
    expect(bindings(core)).toEqual(["d0->a", "d1->a"]);
    await bus.rescan();
    expect(bindings(core)).toEqual(["d0->a", "d1->a", "d2->a"]);
    bus.autoprobe = true; // turning it back on probes nothing by itself
    expect(bus.autoprobe).toBe(true);
  });

  it("off: a deferred retry skips the bus's devices (bus_probe_device)", async () => {
    const bus = core.bus("demo");
    if (bus === undefined) throw new Error("no bus");
    let supplierBound = false;
    await core.driverRegister(demoDriver("consumer", "c", log, () => { if (!supplierBound) throw deferProbe("no supplier"); }));
    await core.driverRegister(demoDriver("supplier", "s", log, () => { supplierBound = true; }));
    await core.deviceAdd(new DemoDevice("c0", "c"));
    expect(core.deferredDevices().map((d) => d.name)).toEqual(["c0"]);
    bus.autoprobe = false;
    await core.deviceAdd(new DemoDevice("s0", "s"));
    await bus.bind("s0", "supplier"); // a bind triggers the retry, which skips c0
    expect(bindings(core)).toEqual(["s0->supplier"]);
    await bus.rescan();
    expect(bindings(core)).toEqual(["c0->consumer", "s0->supplier"]);
  });
});

describe("dispose", () => {
  it("also deletes devices a remove callback registers during teardown, without probing them", async () => {
    const late = new DemoDevice("late", "x");
    await core.driverRegister({
      ...demoDriver("a", "x", log),
      async remove(dev) {
        log.push(`remove:a:${dev.name}`);
        if (dev.name === "d0") await core.deviceAdd(late);
      },
    });
    await core.deviceAdd(new DemoDevice("d0", "x"));
    await core.dispose();
    expect(log).toEqual(["probe:a:d0", "remove:a:d0"]);
    expect(late.isRegistered).toBe(false);
    expect(core.deviceList()).toEqual([]);
  });
});
