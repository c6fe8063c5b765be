/** Deferred probing, serialized operations and waitForProbe. */
import { useLeakCheck } from "@dcd/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { deferProbe, DriverCore } from "../index.js";
import { bindings, DemoDevice, demoBus, demoDriver, type DemoDriver } from "./test-support/demo-bus.js";

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

/** A driver for kind `kind` whose probe defers until a device named `supplier` is bound. */
function consumer(kind: string, supplier: string): DemoDriver {
  return demoDriver(`drv_${kind}`, kind, log, () => {
    if (core.bus("demo")?.device(supplier)?.driver === undefined) throw deferProbe(`waiting for ${supplier}`);
  });
}

describe("deferred probe", () => {
  it("a consumer added before its supplier binds once the supplier binds", async () => {
    await core.driverRegister(consumer("c", "s0"));
    await core.driverRegister(demoDriver("drv_s", "s", log));
    await core.deviceAdd(new DemoDevice("c0", "c"));
    expect(core.deferredDevices().map((d) => d.name)).toEqual(["c0"]);
    expect(core.bus("demo")?.device("c0")?.deferredReason).toBe("waiting for s0");
    await core.deviceAdd(new DemoDevice("s0", "s"));
    expect(bindings(core)).toEqual(["c0->drv_c", "s0->drv_s"]);
    expect(core.deferredDevices()).toEqual([]);
  });

  it("a chain resolves in one operation whatever the order (c -> b -> a)", async () => {
    await core.driverRegister(consumer("c", "b0"));
    await core.driverRegister(consumer("b", "a0"));
    await core.driverRegister(demoDriver("drv_a", "a", log));
    await core.deviceAdd(new DemoDevice("c0", "c"));
    await core.deviceAdd(new DemoDevice("b0", "b"));
    expect(bindings(core)).toEqual([]);
    await core.deviceAdd(new DemoDevice("a0", "a"));
    expect(bindings(core)).toEqual(["a0->drv_a", "b0->drv_b", "c0->drv_c"]);
  });

  it("retries in the order devices deferred", async () => {
    await core.driverRegister(consumer("c", "s0"));
    await core.driverRegister(demoDriver("drv_s", "s", log));
    for (const n of ["c2", "c0", "c1"]) await core.deviceAdd(new DemoDevice(n, "c"));
    log.length = 0;
    await core.deviceAdd(new DemoDevice("s0", "s"));
    expect(log).toEqual(["probe:drv_s:s0", "probe:drv_c:c2", "probe:drv_c:c0", "probe:drv_c:c1"]);
  });

  it("retriggers when a supplier bound during the deferring probe itself (the trigger-count race)", async () => {
    // p's probe registers its own supplier s0 (nested: it binds at once) and then defers anyway,
    // as a driver that checked for its supplier before creating it would.
    await core.driverRegister(demoDriver("drv_s", "s", log));
    let attempts = 0;
    await core.driverRegister(
      demoDriver("drv_p", "p", log, async () => {
        attempts++;
        if (attempts === 1) {
          await core.deviceAdd(new DemoDevice("s0", "s"));
          throw deferProbe("checked too early");
        }
      }),
    );
    await core.deviceAdd(new DemoDevice("p0", "p"));
    expect(bindings(core)).toEqual(["p0->drv_p", "s0->drv_s"]);
    expect(attempts).toBe(2);
  });

  it("does nothing when nothing is pending (no retry round)", async () => {
    await core.driverRegister(demoDriver("a", "x", log));
    for (const n of ["d0", "d1"]) await core.deviceAdd(new DemoDevice(n, "x"));
    expect(log).toEqual(["probe:a:d0", "probe:a:d1"]);
  });
});

describe("serialization", () => {
  it("runs operations requested together one after another, in request order", async () => {
    await core.driverRegister(
      demoDriver("a", "x", log, async (dev) => {
        await new Promise((resolve) => setImmediate(resolve));
        log.push(`end:${dev.name}`);
      }),
    );
    await Promise.all(["d0", "d1", "d2"].map((n) => core.deviceAdd(new DemoDevice(n, "x"))));
    expect(log).toEqual(["probe:a:d0", "end:d0", "probe:a:d1", "end:d1", "probe:a:d2", "end:d2"]);
  });

  it("a probe may await a nested operation (it runs inline, no deadlock)", async () => {
    await core.driverRegister(demoDriver("child", "c", log));
    await core.driverRegister(
      demoDriver("parent", "p", log, async (dev, ctx) => {
        const child = new DemoDevice(`${dev.name}c`, "c", { parent: dev });
        await core.deviceAdd(child);
        log.push(`child-bound:${String(child.driver?.name)}`);
        ctx.devm.add(() => core.deviceDel(child));
      }),
    );
    await core.deviceAdd(new DemoDevice("p0", "p"));
    expect(log).toEqual(["probe:parent:p0", "probe:child:p0c", "child-bound:child"]);
  });

  it("waitForProbe resolves once queued operations and their retries are done", async () => {
    await core.driverRegister(consumer("c", "s0"));
    await core.driverRegister(demoDriver("drv_s", "s", log));
    void core.deviceAdd(new DemoDevice("c0", "c"));
    void core.deviceAdd(new DemoDevice("s0", "s"));
    await core.waitForProbe();
    expect(bindings(core)).toEqual(["c0->drv_c", "s0->drv_s"]);
  });

  it("waitForProbe from inside a probe refuses (EBUSY) instead of deadlocking", async () => {
    let inside: unknown;
    await core.driverRegister(demoDriver("a", "x", log, async () => {
      inside = await core.waitForProbe().catch((err: unknown) => err);
    }));
    await core.deviceAdd(new DemoDevice("d0", "x"));
    expect(inside).toMatchObject({ code: "EBUSY" });
  });

  it("refuses operations after dispose (ENODEV)", async () => {
    await core.dispose();
    await expect(core.deviceAdd(new DemoDevice("d0", "x"))).rejects.toMatchObject({ code: "ENODEV" });
    expect(() => core.busRegister({ name: "late" })).toThrow(expect.objectContaining({ code: "ENODEV" }));
  });
});
