/** createHost: composition through driver modules, isolation, and teardown. */
import { useLeakCheck } from "@dcd/testing";
import { container, type InjectionToken } from "tsyringe";
import { describe, expect, it } from "vitest";
import {
  BUS_TYPE,
  CLOCK,
  createHost,
  DcdAggregateError,
  DRIVER,
  DRIVER_CORE,
  type DriverCoreEvent,
  type DriverModule,
  errno,
  HOST,
  HOST_QUIESCE,
  leakTracker,
  SYSFS_TREE,
  VirtualClock,
} from "../index.js";
import { DemoDevice, demoBus, demoDriver, type DemoDriver } from "../driver-model/test-support/demo-bus.js";

useLeakCheck();

/** A subsystem core module: brings the bus. */
const demoCore: DriverModule = {
  name: "demo_core",
  register(c) {
    c.register(BUS_TYPE, { useValue: demoBus });
  },
};

/** A driver package: brings drivers for the demo bus. */
function driverPackage(...drivers: DemoDriver[]): DriverModule {
  return {
    name: "demo_drivers",
    register(c) {
      for (const d of drivers) c.register(DRIVER, { useValue: d });
    },
  };
}

describe("createHost", () => {
  it("loads modules: buses first, then drivers, which bind devices added later", async () => {
    const log: string[] = [];
    const host = await createHost({ name: "h0", drivers: [demoCore, driverPackage(demoDriver("a", "x", log), demoDriver("b", "y", log))] });
    expect(host.bus("demo")?.drivers().map((d) => d.name)).toEqual(["a", "b"]);
    await host.core.deviceAdd(new DemoDevice("d0", "y"));
    expect(log).toEqual(["probe:b:d0"]);
    expect(host.sysfs.readlink("/sys/bus/demo/devices/d0/driver")).toBe("../../../../bus/demo/drivers/b");
    await host.dispose();
  });

  it("works with no modules, and registers buses given directly or later", async () => {
    const host = await createHost({ name: "bare", buses: [demoBus] });
    host.registerBus({ name: "late" });
    expect(host.core.busList().map((b) => b.name)).toEqual(["demo", "late"]);
    await host.dispose();
  });

  it("puts its services in its own container, never in the global one", async () => {
    const clock = new VirtualClock(5);
    const host = await createHost({ name: "h1", clock, drivers: [demoCore] });
    expect(host.container.resolve(CLOCK)).toBe(clock);
    expect(host.container.resolve(HOST)).toBe(host);
    expect(host.container.resolve(DRIVER_CORE)).toBe(host.core);
    expect(host.container.resolve(SYSFS_TREE)).toBe(host.sysfs);
    const tokens: InjectionToken<unknown>[] = [CLOCK, HOST, DRIVER, BUS_TYPE, DRIVER_CORE, SYSFS_TREE];
    for (const token of tokens) expect(container.isRegistered(token, true)).toBe(false);
    await host.dispose();
  });

  it("defaults to a virtual clock", async () => {
    const host = await createHost({ name: "h2" });
    expect(host.clock).toBeInstanceOf(VirtualClock);
    await host.dispose();
  });

  it("two hosts share no state, even with the same driver objects", async () => {
    const log: string[] = [];
    const modules = [demoCore, driverPackage(demoDriver("a", "x", log))];
    const h1 = await createHost({ name: "h1", drivers: modules });
    const h2 = await createHost({ name: "h2", drivers: modules });
    await h1.core.deviceAdd(new DemoDevice("d0", "x"));
    expect(h2.sysfs.exists("/sys/bus/demo/devices/d0")).toBe(false);
    expect(h2.bus("demo")?.devices()).toEqual([]);
    expect(h1.container.resolve(CLOCK)).not.toBe(h2.container.resolve(CLOCK));
    await h2.dispose();
    expect(h1.bus("demo")?.device("d0")?.driver?.name).toBe("a");
    await h1.dispose();
  });

  it("fails with EINVAL for a driver of an unknown bus, leaking nothing", async () => {
    const before = leakTracker.snapshot();
    await expect(createHost({ name: "broken", drivers: [driverPackage(demoDriver("a", "x"))] })).rejects.toMatchObject({ code: "EINVAL" });
    expect(leakTracker.leakedSince(before)).toEqual([]);
  });
});

describe("Host.dispose", () => {
  it("unbinds in reverse bind order running every devres action, completes events$, disposes the container", async () => {
    const log: string[] = [];
    const withDevres = demoDriver("a", "x", log, (dev, ctx) => {
      ctx.devm.add(() => log.push(`devres:${dev.name}`));
    });
    const host = await createHost({ name: "h", drivers: [demoCore, driverPackage(withDevres)] });
    for (const n of ["d1", "d0", "d2"]) await host.core.deviceAdd(new DemoDevice(n, "x"));
    const events: DriverCoreEvent[] = [];
    let completed = false;
    host.events$.subscribe({ next: (e) => events.push(e), complete: () => { completed = true; }, error: () => undefined });
    log.length = 0;
    await host.dispose();
    expect(log).toEqual(["remove:a:d2", "devres:d2", "remove:a:d0", "devres:d0", "remove:a:d1", "devres:d1"]);
    expect(completed).toBe(true);
    expect(() => host.container.resolve(CLOCK)).toThrow(/disposed/);
    expect(host.sysfs.list("/sys/bus")).toEqual([]);
    await host.dispose(); // idempotent
  });

  it("reports every teardown error together and still finishes", async () => {
    const log: string[] = [];
    const failing = demoDriver("a", "x", log, (dev, ctx) => {
      ctx.devm.add(() => {
        log.push(`devres:${dev.name}`);
        throw errno("EIO", `release of ${dev.name} failed`);
      });
    });
    const host = await createHost({ name: "h", drivers: [demoCore, driverPackage(failing)] });
    for (const n of ["d0", "d1"]) await host.core.deviceAdd(new DemoDevice(n, "x"));
    const err: unknown = await host.dispose().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DcdAggregateError);
    expect((err as DcdAggregateError).errors.map((e) => (e as Error).message)).toEqual(["release of d1 failed", "release of d0 failed"]);
    expect(log).toEqual(["probe:a:d0", "probe:a:d1", "remove:a:d1", "devres:d1", "remove:a:d0", "devres:d0"]);
    expect(host.core.deviceList()).toEqual([]);
  });

  it("waits for HOST_QUIESCE work before teardown, so detached work that needs the driver core finishes", async () => {
    // A driver whose remove waits for detached work (a release), which itself deletes a device
    // through the driver core: without the quiesce step the teardown and the work wait for each other.
    const log: string[] = [];
    let work: Promise<void> = Promise.resolve();
    const waiting = demoDriver("a", "x", log, (_dev, ctx) => {
      ctx.devm.add(async () => {
        await work;
        log.push("devres waited");
      });
    });
    const detached: DriverModule = {
      name: "detached",
      register(c) {
        c.register(HOST_QUIESCE, { useValue: { quiesce: () => work.then(() => { log.push("quiesced"); }) } });
      },
    };
    const host = await createHost({ name: "h", drivers: [demoCore, driverPackage(waiting), detached] });
    const child = new DemoDevice("block0", "none");
    await host.core.deviceAdd(new DemoDevice("d0", "x"));
    await host.core.deviceAdd(child);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    work = gate.then(() => host.core.deviceDel(child)).then(() => { log.push("block0 deleted"); });
    log.length = 0;
    const disposed = host.dispose();
    release();
    await disposed;
    expect(log).toEqual(["block0 deleted", "quiesced", "remove:a:d0", "devres waited"]);
  });
});

