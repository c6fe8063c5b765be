/** The driver core mirrored into sysfs: /sys/bus and /sys/devices. */
import { useLeakCheck } from "@dcd/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AttributeGroup, Device, type DeviceType, DriverCore, errno, SysfsTree, type Uevent } from "../index.js";
import { bindings, DemoDevice, demoBus, demoDriver, type DemoDriver, record } from "./test-support/demo-bus.js";

let sysfs: SysfsTree;
let core: DriverCore;
let log: string[];

useLeakCheck();
beforeEach(() => {
  sysfs = new SysfsTree();
  core = new DriverCore({ name: "test", sysfs });
  core.busRegister(demoBus);
  log = [];
});
afterEach(async () => {
  await core.dispose();
});

/** Every path under /sys with its link target, for before/after comparisons. */
const snapshot = (): string[] => [...sysfs.walk("/sys")].map((e) => (e.target === undefined ? e.path : `${e.path} -> ${e.target}`)).sort();

describe("buses and drivers", () => {
  it("creates /sys/bus/<bus>/{devices,drivers,drivers_probe,drivers_autoprobe}", () => {
    expect(sysfs.list("/sys/bus/demo")).toEqual(["devices", "drivers", "drivers_autoprobe", "drivers_probe"]);
    expect(sysfs.lstat("/sys/bus/demo/drivers_probe")?.mode).toBe(0o200);
    expect(sysfs.read("/sys/bus/demo/drivers_autoprobe")).toBe("1\n");
  });

  it("drivers_autoprobe: '0' turns autoprobe off, anything else on", () => {
    sysfs.write("/sys/bus/demo/drivers_autoprobe", "0\n");
    expect(core.bus("demo")?.autoprobe).toBe(false);
    expect(sysfs.read("/sys/bus/demo/drivers_autoprobe")).toBe("0\n");
    sysfs.write("/sys/bus/demo/drivers_autoprobe", "yes");
    expect(core.bus("demo")?.autoprobe).toBe(true);
  });

  it("creates a driver directory with write-only bind and unbind, removed on unregister", async () => {
    const a = demoDriver("a", "x", log);
    await core.driverRegister(a);
    expect(sysfs.list("/sys/bus/demo/drivers/a")).toEqual(["bind", "unbind"]);
    expect(sysfs.lstat("/sys/bus/demo/drivers/a/bind")?.mode).toBe(0o200);
    expect(() => sysfs.read("/sys/bus/demo/drivers/a/bind")).toThrow(expect.objectContaining({ code: "EACCES" }));
    await core.driverUnregister(a);
    expect(sysfs.exists("/sys/bus/demo/drivers/a")).toBe(false);
  });
});

describe("devices", () => {
  it("places the directory by parent chain and links it from the bus", async () => {
    const platform = new Device({ name: "ACPI0017:00", root: "platform" });
    const root0 = new DemoDevice("root0", "x", { parent: platform });
    await core.deviceAdd(platform);
    await core.deviceAdd(root0);
    expect(sysfs.exists("/sys/devices/platform/ACPI0017:00/root0")).toBe(true);
    expect(sysfs.readlink("/sys/bus/demo/devices/root0")).toBe("../../../devices/platform/ACPI0017:00/root0");
    expect(sysfs.readlink("/sys/devices/platform/ACPI0017:00/root0/subsystem")).toBe("../../../../bus/demo");
    expect(sysfs.realpath("/sys/bus/demo/devices/root0/subsystem")).toBe("/sys/bus/demo");
    expect(sysfs.list("/sys/devices/platform/ACPI0017:00")).toEqual(["root0", "uevent"]); // bus-less: no subsystem
  });

  it("puts a parent-less device under /sys/devices/virtual/<bus>", async () => {
    await core.deviceAdd(new DemoDevice("d0", "x"));
    expect(sysfs.list("/sys/devices/virtual/demo/d0")).toEqual(["driver_override", "subsystem", "uevent"]);
  });

  it("shows a `driver` link and a link in the driver directory only while bound", async () => {
    await core.driverRegister(demoDriver("a", "x", log));
    await core.deviceAdd(new DemoDevice("d0", "x"));
    expect(sysfs.readlink("/sys/devices/virtual/demo/d0/driver")).toBe("../../../../bus/demo/drivers/a");
    expect(sysfs.readlink("/sys/bus/demo/drivers/a/d0")).toBe("../../../../devices/virtual/demo/d0");
    await core.bus("demo")?.unbind("d0");
    expect(sysfs.lstat("/sys/devices/virtual/demo/d0/driver")).toBeUndefined();
    expect(sysfs.list("/sys/bus/demo/drivers/a")).toEqual(["bind", "unbind"]);
  });

  it("removes every entry of a deleted device", async () => {
    const before = snapshot();
    await core.driverRegister(demoDriver("a", "x", log));
    const withDriver = snapshot();
    const dev = new DemoDevice("d0", "x");
    await core.deviceAdd(dev);
    expect(snapshot()).not.toEqual(withDriver);
    await core.deviceDel(dev);
    // Only the glue directories of /sys/devices/virtual stay, as the kernel's do.
    expect(snapshot()).toEqual([...withDriver, "/sys/devices/virtual", "/sys/devices/virtual/demo"].sort());
    expect(before.length).toBeLessThan(withDriver.length);
  });

  it("leaves nothing of a device whose sysfs entries could not be created", async () => {
    const clash: DeviceType = { name: "clash", groups: [{ attrs: [{ name: "uevent", show: () => "x" }] }] };
    const before = snapshot();
    await expect(core.deviceAdd(new DemoDevice("d0", "x", { type: clash }))).rejects.toMatchObject({ code: "EEXIST" });
    expect(core.deviceList()).toEqual([]);
    expect(snapshot().filter((p) => !before.includes(p))).toEqual(["/sys/devices/virtual", "/sys/devices/virtual/demo"]);
  });
});

describe("uevent attribute", () => {
  it("shows the device's own variables as KEY=value lines", async () => {
    await core.driverRegister(demoDriver("a", "x", log));
    await core.deviceAdd(new DemoDevice("d0", "x", { type: { name: "widget" } }));
    expect(sysfs.read("/sys/bus/demo/devices/d0/uevent")).toBe("DEVTYPE=widget\nDRIVER=a\nMODALIAS=demo:x\n");
  });

  it("re-emits a uevent on write; synthetic arguments become SYNTH_* variables", async () => {
    await core.deviceAdd(new DemoDevice("d0", "x"));
    const { events } = record(core);
    sysfs.write("/sys/bus/demo/devices/d0/uevent", "change\n");
    sysfs.write("/sys/bus/demo/devices/d0/uevent", "add 6ba7b810-9dad-11d1-80b4-00c04fd430c8 A=1 B=two");
    const envs = events.filter((e): e is Uevent => e.kind === "uevent").map((e) => e.env);
    expect(envs[0]).toMatchObject({ ACTION: "change", SYNTH_UUID: "0" });
    expect(envs[1]).toMatchObject({ ACTION: "add", SYNTH_UUID: "6ba7b810-9dad-11d1-80b4-00c04fd430c8", SYNTH_ARG_A: "1", SYNTH_ARG_B: "two" });
  });

  it.each(["", "garbage", "changes", "add not-a-uuid", "add 6ba7b810-9dad-11d1-80b4-00c04fd430c8 =x", "add 6ba7b810-9dad-11d1-80b4-00c04fd430c8 A_B=1"])(
    "refuses %j with EINVAL and sends nothing",
    async (value) => {
      await core.deviceAdd(new DemoDevice("d0", "x"));
      const { events } = record(core);
      expect(() => { sysfs.write("/sys/bus/demo/devices/d0/uevent", value); }).toThrow(expect.objectContaining({ code: "EINVAL" }));
      expect(events).toEqual([]);
    },
  );
});

describe("driver_override attribute", () => {
  it("reads (null) when unset; a write sets it without reprobing; empty or newline clears", async () => {
    await core.driverRegister(demoDriver("a", "x", log));
    await core.driverRegister(demoDriver("b", "y", log));
    const dev = new DemoDevice("d0", "x");
    await core.deviceAdd(dev);
    const path = "/sys/bus/demo/devices/d0/driver_override";
    expect(sysfs.read(path)).toBe("(null)\n");
    sysfs.write(path, "b\n");
    expect(sysfs.read(path)).toBe("b\n");
    await core.waitForProbe();
    expect(dev.driver?.name).toBe("a"); // driver_override_store does not reprobe
    sysfs.write("/sys/bus/demo/drivers/a/unbind", "d0");
    sysfs.write("/sys/bus/demo/drivers_probe", "d0");
    await core.waitForProbe();
    expect(dev.driver?.name).toBe("b");
    sysfs.write(path, "\n");
    expect(dev.driverOverride).toBeUndefined();
    sysfs.write(path, "a\nignored");
    expect(dev.driverOverride).toBe("a");
    sysfs.write(path, "");
    expect(sysfs.read(path)).toBe("(null)\n");
    expect(() => { sysfs.write(path, "x".repeat(4095)); }).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });

  it("is absent on a bus that does not support it", async () => {
    core.busRegister({ name: "plain", driverOverride: false });
    await core.deviceAdd(new Device({ name: "p0", bus: "plain" }));
    expect(sysfs.list("/sys/bus/plain/devices/p0")).toEqual(["subsystem", "uevent"]);
  });
});

describe("bind, unbind and drivers_probe files", () => {
  beforeEach(async () => {
    await core.driverRegister(demoDriver("a", "x", log));
    await core.driverRegister(demoDriver("fails", "f", log, () => { throw errno("EIO", "broken"); }));
    sysfs.write("/sys/bus/demo/drivers_autoprobe", "0");
    await core.deviceAdd(new DemoDevice("d0", "x"));
    await core.deviceAdd(new DemoDevice("f0", "f"));
  });

  it("bind checks like bind_store at once, then binds in the background", async () => {
    sysfs.write("/sys/bus/demo/drivers/a/bind", "d0\n");
    await core.waitForProbe();
    expect(bindings(core)).toEqual(["d0->a"]);
    expect(() => { sysfs.write("/sys/bus/demo/drivers/a/bind", "d0"); }).toThrow(expect.objectContaining({ code: "EBUSY" }));
    expect(() => { sysfs.write("/sys/bus/demo/drivers/a/bind", "nope"); }).toThrow(expect.objectContaining({ code: "ENODEV" }));
    expect(() => { sysfs.write("/sys/bus/demo/drivers/a/bind", "f0"); }).toThrow(expect.objectContaining({ code: "ENODEV" }));
    expect(() => { sysfs.write("/sys/bus/demo/drivers/nope/bind", "d0"); }).toThrow(expect.objectContaining({ code: "ENOENT" }));
  });

  it("a probe that fails after the write is reported on events$", async () => {
    const { events } = record(core);
    sysfs.write("/sys/bus/demo/drivers/fails/bind", "f0");
    await core.waitForProbe();
    const nb = events.find((e) => e.kind === "notify" && e.action === "driver-not-bound");
    expect(nb?.kind === "notify" ? nb.probe?.outcome : undefined).toBe("failed");
  });

  it("writeAsync returns the probe's errno as bind_store does, and the device stays unbound", async () => {
    const before = snapshot();
    await expect(sysfs.writeAsync("/sys/bus/demo/drivers/fails/bind", "f0\n")).rejects.toThrow(
      expect.objectContaining({ code: "EIO", message: expect.stringMatching(/drivers\/fails\/bind 'f0'.*broken/) as unknown }),
    );
    expect(bindings(core)).toEqual([]);
    expect(snapshot()).toEqual(before);
    await sysfs.writeAsync("/sys/bus/demo/drivers/a/bind", "d0");
    expect(bindings(core)).toEqual(["d0->a"]);
    await sysfs.writeAsync("/sys/bus/demo/drivers/a/unbind", "d0");
    expect(bindings(core)).toEqual([]);
  });

  it("writeAsync still fails bind_store's own checks synchronously with their errnos", async () => {
    await expect(sysfs.writeAsync("/sys/bus/demo/drivers/a/bind", "nope")).rejects.toThrow(expect.objectContaining({ code: "ENODEV" }));
    await expect(sysfs.writeAsync("/sys/bus/demo/drivers/a/bind", "f0")).rejects.toThrow(expect.objectContaining({ code: "ENODEV" }));
  });

  it("unbind refuses a device not bound to this driver (ENODEV)", async () => {
    expect(() => { sysfs.write("/sys/bus/demo/drivers/a/unbind", "d0"); }).toThrow(expect.objectContaining({ code: "ENODEV" }));
    sysfs.write("/sys/bus/demo/drivers/a/bind", "d0");
    await core.waitForProbe();
    expect(() => { sysfs.write("/sys/bus/demo/drivers/fails/unbind", "d0"); }).toThrow(expect.objectContaining({ code: "ENODEV" }));
    sysfs.write("/sys/bus/demo/drivers/a/unbind", "d0");
    await core.waitForProbe();
    expect(bindings(core)).toEqual([]);
  });

  it("drivers_probe refuses an unknown device (ENODEV)", () => {
    expect(() => { sysfs.write("/sys/bus/demo/drivers_probe", "nope"); }).toThrow(expect.objectContaining({ code: "ENODEV" }));
  });
});

describe("attribute groups", () => {
  class Widget extends DemoDevice {
    readonly size = 42;
  }
  const group: AttributeGroup<Widget> = {
    attrs: [
      { name: "size", show: (d) => String(d.size) },
      { name: "secret", show: () => "hidden" },
      { name: "tuned", show: () => "1", store: () => undefined },
    ],
    isVisible: (_d, attr) => (attr.name === "secret" ? false : attr.name === "tuned" ? 0o600 : true),
  };
  /** A named group (a sub-directory), usable with any device class. */
  const named = <D extends Device>(): AttributeGroup<D> => ({ name: "power", attrs: [{ name: "control", show: () => "auto", store: () => undefined }] });

  it("creates the type's groups with isVisible deciding presence and mode", async () => {
    const widgetType: DeviceType<Widget> = { name: "widget", groups: [group, named()] };
    const dev = new Widget("w0", "x", { type: widgetType });
    await core.deviceAdd(dev);
    const dir = "/sys/bus/demo/devices/w0";
    expect(sysfs.read(`${dir}/size`)).toBe("42\n");
    expect(sysfs.exists(`${dir}/secret`)).toBe(false);
    expect(sysfs.lstat(`${dir}/tuned`)?.mode).toBe(0o600);
    expect(sysfs.read(`${dir}/power/control`)).toBe("auto\n");
  });

  it("adds the bus's groups to every device and the driver's only while bound", async () => {
    core.busRegister<DemoDevice, DemoDriver>({ ...demoBus, name: "grouped", devGroups: [{ attrs: [{ name: "bus_attr", show: () => "b" }] }] });
    const drv: DemoDriver = { ...demoDriver("g", "x", log, undefined, "grouped"), devGroups: [{ attrs: [{ name: "drv_attr", show: () => "d" }] }, named()] };
    await core.driverRegister(drv);
    await core.deviceAdd(new DemoDevice("g0", "x", { bus: "grouped" }));
    const dir = "/sys/bus/grouped/devices/g0";
    expect(sysfs.read(`${dir}/bus_attr`)).toBe("b\n");
    expect(sysfs.read(`${dir}/drv_attr`)).toBe("d\n");
    expect(sysfs.exists(`${dir}/power/control`)).toBe(true);
    await core.bus("grouped")?.unbind("g0");
    expect(sysfs.list(dir)).toEqual(["bus_attr", "driver_override", "subsystem", "uevent"]);
  });
});
