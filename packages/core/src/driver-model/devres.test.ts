/** devres: per-binding release actions, run once, last first, on probe failure and on unbind. */
import { useLeakCheck } from "@dcd/testing";
import { Subject } from "rxjs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type BusNotification, type Devm, DriverCore, errno, leakTracker, toDisposable } from "../index.js";
import { DemoDevice, demoBus, demoDriver, type ProbeScript, record } from "./test-support/demo-bus.js";

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

async function bindWith(script: ProbeScript): Promise<DemoDevice> {
  await core.driverRegister(demoDriver("a", "x", log, script));
  const dev = new DemoDevice("d0", "x");
  await core.deviceAdd(dev);
  return dev;
}

describe("devres", () => {
  it("runs every action once, last registered first, on unbind", async () => {
    await bindWith((_d, ctx) => {
      for (const n of [1, 2, 3]) ctx.devm.add(() => log.push(`release:${n}`));
    });
    await core.bus("demo")?.unbind("d0");
    expect(log).toEqual(["probe:a:d0", "remove:a:d0", "release:3", "release:2", "release:1"]);
    await core.bus("demo")?.rescan(); // a new binding: a fresh stack holding only its own actions
    await core.bus("demo")?.unbind("d0");
    expect(log.filter((l) => l.startsWith("release"))).toEqual(["release:3", "release:2", "release:1", "release:3", "release:2", "release:1"]);
  });

  it("runs them on probe failure, before the failure is announced", async () => {
    const { events } = record(core);
    await bindWith((_d, ctx) => {
      ctx.devm.add(() => log.push("release:1"));
      ctx.devm.add(async () => {
        await Promise.resolve();
        log.push("release:2");
      });
      throw errno("EIO", "probe failed");
    });
    expect(log).toEqual(["probe:a:d0", "release:2", "release:1"]);
    expect(events.some((e) => e.kind === "notify" && e.action === "driver-not-bound")).toBe(true);
  });

  it("keeps going when an action throws, and reports every error in unbound-driver", async () => {
    const first = new Error("first");
    const second = errno("EBUSY", "second");
    await bindWith((_d, ctx) => {
      ctx.devm.add(() => log.push("release:1"));
      ctx.devm.add(() => { throw first; });
      ctx.devm.add(() => { throw second; });
    });
    const { events } = record(core);
    await core.bus("demo")?.unbind("d0");
    const unbound = events.find((e): e is BusNotification => e.kind === "notify" && e.action === "unbound-driver");
    expect(unbound?.teardownErrors).toEqual([second, first]);
    expect(log).toContain("release:1");
  });

  it("refuses new actions once released (ENODEV); addOrReset runs the action first", async () => {
    let devm: Devm | undefined;
    await bindWith((_d, ctx) => {
      devm = ctx.devm;
    });
    await core.bus("demo")?.unbind("d0");
    if (devm === undefined) throw new Error("no probe");
    const late = devm;
    expect(() => { late.add(() => log.push("never")); }).toThrow(expect.objectContaining({ code: "ENODEV" }));
    await expect(late.addOrReset(() => { log.push("reset"); })).rejects.toMatchObject({ code: "ENODEV" });
    expect(log).toEqual(["probe:a:d0", "remove:a:d0", "reset"]);
  });

  it("subscription() and disposable() end what they own on release, or at once when too late", async () => {
    const source = new Subject<number>();
    const seen: number[] = [];
    let devm: Devm | undefined;
    await bindWith((_d, ctx) => {
      devm = ctx.devm;
      ctx.devm.subscription(source.subscribe({ next: (n) => seen.push(n), error: (err: unknown) => { throw err; } }));
      ctx.devm.disposable(toDisposable(() => log.push("disposed")));
    });
    source.next(1);
    await core.bus("demo")?.unbind("d0");
    source.next(2);
    expect(seen).toEqual([1]);
    expect(log).toContain("disposed");
    expect(source.observed).toBe(false);
    const late = source.subscribe({ next: () => undefined, error: () => undefined });
    expect(() => devm?.subscription(late)).toThrow(expect.objectContaining({ code: "ENODEV" }));
    expect(late.closed).toBe(true);
    expect(() => devm?.disposable(toDisposable(() => log.push("late-disposed")))).toThrow(expect.objectContaining({ code: "ENODEV" }));
    expect(log).toContain("late-disposed");
  });

  it("remove() forgets an action; release() runs it now, once", async () => {
    const keep = () => { log.push("keep"); };
    const drop = () => { log.push("drop"); };
    const now = () => { log.push("now"); };
    let devm: Devm | undefined;
    await bindWith((_d, ctx) => {
      devm = ctx.devm;
      ctx.devm.add(keep);
      ctx.devm.add(drop);
      ctx.devm.add(now);
    });
    expect(devm?.remove(drop)).toBe(true);
    expect(devm?.remove(drop)).toBe(false);
    await devm?.release(now);
    await expect(devm?.release(now)).rejects.toMatchObject({ code: "ENOENT" });
    expect(devm?.size).toBe(1);
    await core.bus("demo")?.unbind("d0");
    expect(log.filter((l) => l !== "probe:a:d0" && l !== "remove:a:d0")).toEqual(["now", "keep"]);
  });

  it("is tracked as a live resource exactly while the binding lives", async () => {
    const before = leakTracker.snapshot();
    await bindWith(() => undefined);
    expect(leakTracker.leakedSince(before).map((r) => r.kind)).toEqual(["devres"]);
    await core.bus("demo")?.unbind("d0");
    expect(leakTracker.leakedSince(before)).toEqual([]);
  });
});
