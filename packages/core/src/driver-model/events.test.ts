/** events$: bus notifications and uevents on one stream. */
import { useLeakCheck } from "@dcd/testing";
import { config } from "rxjs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Device, type DeviceType, DriverCore, type DriverCoreEvent, type Uevent } from "../index.js";
import { DemoDevice, demoBus, demoDriver, notifications, record } from "./test-support/demo-bus.js";

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

const uevents = (events: readonly DriverCoreEvent[]): Uevent[] => events.filter((e): e is Uevent => e.kind === "uevent");

describe("uevents", () => {
  it("carry ACTION, DEVPATH, SUBSYSTEM, DEVTYPE, DRIVER, the bus's and type's variables, then SEQNUM", async () => {
    const type: DeviceType = { name: "demo_widget", uevent: () => ({ WIDGET: "1" }) };
    await core.driverRegister(demoDriver("a", "x", log));
    const { events } = record(core);
    await core.deviceAdd(new DemoDevice("d0", "x", { type }));
    const [add, bind] = uevents(events);
    expect(Object.entries(add?.env ?? {})).toEqual([
      ["ACTION", "add"],
      ["DEVPATH", "/devices/virtual/demo/d0"],
      ["SUBSYSTEM", "demo"],
      ["DEVTYPE", "demo_widget"],
      ["MODALIAS", "demo:x"],
      ["WIDGET", "1"],
      ["SEQNUM", "1"],
    ]);
    expect(bind?.env).toMatchObject({ ACTION: "bind", DRIVER: "a", SEQNUM: "2" });
  });

  it("uevent() sends a synthetic one with extra variables after the default keys", async () => {
    const dev = new DemoDevice("d0", "x");
    await core.deviceAdd(dev);
    const { events } = record(core);
    core.uevent(dev, "change", { SYNTH_UUID: "0" });
    expect(Object.keys(uevents(events)[0]?.env ?? {})).toEqual(["ACTION", "DEVPATH", "SUBSYSTEM", "SYNTH_UUID", "MODALIAS", "SEQNUM"]);
    expect(() => { core.uevent(new DemoDevice("ghost", "x"), "change"); }).toThrow(expect.objectContaining({ code: "ENODEV" }));
  });

  it("are not sent for bus-less devices (dev_uevent_filter)", async () => {
    const { events } = record(core);
    const dev = new Device({ name: "bare" });
    await core.deviceAdd(dev);
    core.uevent(dev, "change");
    expect(events).toEqual([]);
  });

  it("are dropped when a uevent callback throws, as kobject_uevent_env does", async () => {
    const broken = new DriverCore();
    broken.busRegister({ name: "broken", uevent: () => { throw new Error("bad"); } });
    const { events } = record(broken);
    await broken.deviceAdd(new Device({ name: "d0", bus: "broken" }));
    expect(notifications(events)).toEqual(["add-device:d0"]);
    expect(uevents(events)).toEqual([]);
    await broken.dispose();
  });
});

describe("the stream", () => {
  it("completes on dispose", async () => {
    let completed = false;
    core.events$.subscribe({ complete: () => { completed = true; }, error: () => undefined });
    await core.dispose();
    expect(completed).toBe(true);
  });

  it("keeps delivering to everyone when one subscriber throws", async () => {
    const reported: unknown[] = [];
    const saved = config.onUnhandledError;
    config.onUnhandledError = (err) => reported.push(err); // where RxJS reports a throwing observer
    try {
      const { events } = record(core);
      let errored = false;
      const bad = core.events$.subscribe({
        next: () => { throw new Error("bad subscriber"); },
        error: () => { errored = true; },
      });
      await core.driverRegister(demoDriver("a", "x", log));
      await core.deviceAdd(new DemoDevice("d0", "x"));
      await core.deviceAdd(new DemoDevice("d1", "x"));
      expect(notifications(events)).toEqual([
        "add-device:d0", "bind-driver:d0:a", "bound-driver:d0:a",
        "add-device:d1", "bind-driver:d1:a", "bound-driver:d1:a",
      ]);
      expect(errored).toBe(false);
      expect(log).toEqual(["probe:a:d0", "probe:a:d1"]);
      bad.unsubscribe();
      await new Promise((resolve) => setTimeout(resolve, 0)); // RxJS reports on a later macrotask
      expect(reported).toHaveLength(10); // 6 notifications + 4 uevents: each reported, none fatal
    } finally {
      config.onUnhandledError = saved;
    }
  });

  it("queues an operation a subscriber starts, after the current one, instead of nesting it", async () => {
    await core.driverRegister(demoDriver("a", "x", log, async () => {
      await Promise.resolve();
      log.push("probe-end");
    }));
    const second = new DemoDevice("d1", "x");
    core.events$.subscribe({
      next: (e) => {
        if (e.kind === "notify" && e.action === "bind-driver" && e.device.name === "d0") void core.deviceAdd(second);
      },
      error: () => undefined,
    });
    await core.deviceAdd(new DemoDevice("d0", "x"));
    expect(log).toEqual(["probe:a:d0", "probe-end"]);
    await core.waitForProbe();
    expect(log).toEqual(["probe:a:d0", "probe-end", "probe:a:d1", "probe-end"]);
  });
});
