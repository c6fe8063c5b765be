/**
 * `cxl_region_invalidate_memregion` (the platform's `cpu_cache_invalidate_memregion`, a
 * `CxlDcdHooks.invalidateMemregion`) at the kernel's points: before a region commits (a failure
 * refuses the commit), when its decoders reset (a failure is only the WARN), before a DC group
 * is onlined (R31) and before a group is released by the device (R42) or by the host.
 */
import { type DcdDevice } from "@dcd/fabric";
import { useLeakCheck } from "@dcd/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type ErrnoCode, errno } from "../errors.js";
import { type DriverModule } from "../host/tokens.js";
import { type CxlDaxRegion } from "./dax-region/cxl-dax-region.js";
import { CxlExtentCore } from "./extent/extent-core.js";
import { CXL_DCD_HOOKS, type CxlDcdHooks } from "./hooks.js";
import { type CxlRegion } from "./region.js";
import { cxlCreateRegion, cxlDestroyRegion } from "./region-helper.js";
import { bootCxl, cat, type CxlBoot, dcdDevice, dcdSpec, GIB, MIB, sysfsState, writeErr } from "./test-support/cxl-host.js";

const DEV = "/sys/bus/cxl/devices";
const DC = 2 * GIB;

describe("cxl_region_invalidate_memregion", () => {
  useLeakCheck();
  let b: CxlBoot;
  let dev: DcdDevice;
  /** Region names in call order. */
  let calls: string[];
  /** When set, the platform cannot synchronise its caches. */
  let failWith: ErrnoCode | undefined;

  const platform: CxlDcdHooks = {
    invalidateMemregion(region: CxlRegion) {
      calls.push(region.name);
      if (failWith !== undefined) throw errno(failWith, `${region.name}: CPU cache invalidation failed`);
    },
  };
  const platformModule: DriverModule = {
    name: "test_cpu_cache",
    register(c) {
      c.register(CXL_DCD_HOOKS, { useValue: platform });
    },
  };

  beforeEach(async () => {
    calls = [];
    failWith = undefined;
    dev = dcdDevice();
    b = await bootCxl({ extents: true, modules: [platformModule], memdevs: (slots) => [dcdSpec(dev, slots[0] ?? "")] });
  });
  afterEach(async () => {
    await b.dispose();
    dev.dispose();
  });

  const w = (path: string, value: string): string | undefined => writeErr(b.sysfs, `${DEV}/${path}`, value);
  const r = (path: string): string => cat(b.sysfs, `${DEV}/${path}`);

  /** host-rules §5.1 up to (not including) the commit. */
  async function stagedRegion(): Promise<void> {
    expect(w("decoder0.0/create_dynamic_ram_1_region", "region0")).toBeUndefined();
    await b.host.settle();
    for (const [f, v] of [
      ["region0/interleave_granularity", "256"],
      ["region0/interleave_ways", "1"],
      ["decoder2.0/mode", "dynamic_ram_1"],
      ["decoder2.0/dpa_size", "0x40000000"],
      ["region0/size", "0x40000000"],
      ["region0/target0", "decoder2.0"],
    ] as const) {
      expect(w(f, v)).toBeUndefined();
    }
  }

  async function boundRegion(): Promise<{ region: CxlRegion; dax: CxlDaxRegion; core: CxlExtentCore }> {
    const mem0 = b.cxl.memdev("mem0");
    if (mem0 === undefined) throw new Error("mem0 missing");
    const region = await cxlCreateRegion(b.cxl, { memdevs: [mem0], size: GIB });
    const core = CxlExtentCore.of(b.host.container);
    const dax = core.daxRegions()[0];
    if (dax === undefined) throw new Error("dax_region0 missing");
    calls = [];
    return { region, dax, core };
  }

  async function offer(core: CxlExtentCore, dpa: number): Promise<void> {
    expect(dev.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [{ dpa, len: 2 * MIB }] }).rc).toBe(0);
    await core.idle();
  }

  it("commit invalidates before the decoders commit; a failure refuses the commit with its errno and changes nothing", async () => {
    await stagedRegion();
    failWith = "ENXIO";
    const before = sysfsState(b.sysfs);
    expect(w("region0/commit", "1")).toBe("ENXIO");
    expect(calls).toEqual(["region0"]);
    expect(sysfsState(b.sysfs)).toEqual(before);
    expect(r("region0/commit")).toBe("0");
    expect(r("endpoint2/decoders_committed")).toBe("0");
    expect(b.log.has("Failed to synchronize CPU cache state", "warn")).toBe(true);

    failWith = undefined;
    expect(w("region0/commit", "1")).toBeUndefined();
    expect(calls).toEqual(["region0", "region0"]);
    expect(r("region0/commit")).toBe("1");
    expect(r("endpoint2/decoders_committed")).toBe("1");
  });

  it("reset (commit 0) invalidates before the decoders reset, and a failure does not stop the reset", async () => {
    await stagedRegion();
    expect(w("region0/commit", "1")).toBeUndefined();
    calls = [];
    failWith = "ENXIO";
    expect(w("region0/commit", "0")).toBeUndefined();
    await b.host.settle();
    expect(calls).toEqual(["region0"]);
    expect(r("region0/commit")).toBe("0");
    expect(r("endpoint2/decoders_committed")).toBe("0");
    expect(b.log.has("Failed to synchronize CPU cache state", "warn")).toBe(true);
  });

  it("R31: a group is onlined only after the region's caches are invalidated; a failure leaves it out of the Add DC Response", async () => {
    const { dax, core, region } = await boundRegion();
    failWith = "ENXIO";
    await offer(core, DC);
    expect(calls).toEqual(["region0"]);
    expect(dax.extentCount).toBe(0);
    expect(dev.acceptedExtents(0)).toEqual([]);

    failWith = undefined;
    await offer(core, DC + 2 * MIB);
    expect(calls).toEqual(["region0", "region0"]);
    expect(dax.extentCount).toBe(1);
    expect(dev.acceptedExtents(0)).toEqual([expect.objectContaining({ dpa: DC + 2 * MIB, len: 2 * MIB })]);
    await cxlDestroyRegion(b.cxl, region);
  });

  it("R42: a device release invalidates before anything is torn down; a failure releases nothing", async () => {
    const { dax, core, region } = await boundRegion();
    await offer(core, DC);
    calls = [];
    failWith = "EIO";
    expect(dev.initiateRelease({ hostId: 0, removalPolicy: "prescriptive", extents: [{ dpa: DC, len: 2 * MIB }] }).rc).toBe(0);
    await core.idle();
    expect(calls).toEqual(["region0"]);
    expect(dax.extentCount).toBe(1);
    expect(dev.acceptedExtents(0)).toEqual([expect.objectContaining({ dpa: DC, len: 2 * MIB })]);
    // The kernel returns the rc: "dcd event failed: -5".
    expect(b.log.has("dcd event failed: -5")).toBe(true);
    failWith = undefined;
    await cxlDestroyRegion(b.cxl, region);
  });

  it("a host-initiated release invalidates first; a failure is its errno and the group stays", async () => {
    const { dax, core, region } = await boundRegion();
    await offer(core, DC);
    calls = [];
    failWith = "ENXIO";
    await expect(dax.releaseExtents({ id: 1 })).rejects.toMatchObject({ code: "ENXIO" });
    expect(calls).toEqual(["region0"]);
    expect(dax.extentCount).toBe(1);
    expect(dev.acceptedExtents(0)).toHaveLength(1);

    failWith = undefined;
    await expect(dax.releaseExtents({ id: 1 })).resolves.toEqual({ result: "released" });
    expect(calls).toEqual(["region0", "region0"]);
    expect(dax.extentCount).toBe(0);
    expect(dev.acceptedExtents(0)).toEqual([]);
    await cxlDestroyRegion(b.cxl, region);
  });
});
