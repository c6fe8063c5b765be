/**
 * Region driver binding (R67-R70 mechanics): any region driver on the cxl bus can claim a
 * committed region through its bind file or `driver_override`; the core hands it the region and
 * keeps its policy while bound; DC regions get the extent pipeline's hooks; auto-regions bind to
 * the default `cxl_region` (R70); `create-region --driver` does it in one call.
 */
import { type DcdDevice } from "@dcd/fabric";
import { useLeakCheck } from "@dcd/testing";
import { afterEach, describe, expect, it } from "vitest";
import { errno } from "../errors.js";
import { type DriverModule } from "../host/tokens.js";
import { CXL_DCD_HOOKS, type CxlDcdHooks } from "./hooks.js";
import { type CxlRegion } from "./region.js";
import { provideRegionDriver, type RegionDriver, type RegionExtentPolicy } from "./region-driver.js";
import { cxlCreateRegion, cxlDestroyRegion } from "./region-helper.js";
import { bootCxl, cat, type CxlBoot, dcdDevice, dcdSpec, GIB, writeErr } from "./test-support/cxl-host.js";

const DEV = "/sys/bus/cxl/devices";

function policy(name: string, log: string[]): RegionExtentPolicy {
  return {
    admit: () => ({ admit: true }),
    accepted: () => undefined,
    release: () => ({ result: "released" }),
    teardown: () => {
      log.push(`${name} policy teardown`);
    },
  };
}

/** A region driver like Gregory Price's: a probe that may refuse, and a policy. */
function regionDriver(name: string, log: string[], options: { dynamicOnly?: boolean } = {}): RegionDriver<CxlRegion> {
  return {
    name,
    bus: "cxl",
    probe(region: CxlRegion) {
      log.push(`${name} probe ${region.name}`);
      if (options.dynamicOnly === true && !region.isDynamic) throw errno("ENODEV", `${name}: ${region.name} is not a DC region`);
    },
    remove(region: CxlRegion) {
      log.push(`${name} remove ${region.name}`);
    },
    policy(region: CxlRegion) {
      log.push(`${name} policy ${region.name}`);
      return policy(name, log);
    },
  };
}

function moduleOf(drivers: readonly RegionDriver<CxlRegion>[], hooks?: CxlDcdHooks): DriverModule {
  return {
    name: "test_region_drivers",
    register(c) {
      for (const d of drivers) provideRegionDriver(c, d);
      if (hooks !== undefined) c.register(CXL_DCD_HOOKS, { useValue: hooks });
    },
  };
}

describe("region driver binding", () => {
  useLeakCheck();
  let b: CxlBoot | undefined;
  const devices: DcdDevice[] = [];
  afterEach(async () => {
    await b?.dispose();
    b = undefined;
    for (const d of devices.splice(0)) d.dispose();
  });

  async function boot(log: string[], extra: { autoRegion?: "ram" | "dynamic_ram" } = {}): Promise<CxlBoot> {
    const dev = dcdDevice();
    devices.push(dev);
    const hooks: CxlDcdHooks = {
      dcRegionProbe(region, p) {
        log.push(`hook probe ${region.name} ${p === region.policy ? "with-policy" : "other-policy"}`);
        return () => {
          log.push(`hook teardown ${region.name} bound=${region.driver?.name ?? "none"}`);
        };
      },
      memdevEventsEnabled(memdev) {
        log.push(`events ${memdev.name}`);
      },
    };
    b = await bootCxl({
      modules: [moduleOf([regionDriver("cxl_sysram_region_test", log), regionDriver("cxl_dc_only_region", log, { dynamicOnly: true })], hooks)],
      memdevs: (slots) => [dcdSpec(dev, slots[0] ?? "", extra.autoRegion === undefined ? {} : { autoRegion: { window: 0, mode: extra.autoRegion, size: GIB } })],
    });
    return b;
  }

  async function committedDcRegion(boot: CxlBoot, driver = ""): Promise<CxlRegion> {
    const mem0 = boot.cxl.memdev("mem0");
    if (mem0 === undefined) throw new Error("mem0");
    return cxlCreateRegion(boot.cxl, { memdevs: [mem0], size: GIB, driver });
  }

  it("R67: every region driver is registered on the cxl bus with bind/unbind files", async () => {
    const log: string[] = [];
    const boot_ = await boot(log);
    const drivers = boot_.sysfs.list("/sys/bus/cxl/drivers");
    expect(drivers).toEqual(expect.arrayContaining(["cxl_region", "cxl_sysram_region_test", "cxl_dc_only_region", "cxl_port", "cxl_mem"]));
    for (const d of ["cxl_sysram_region_test", "cxl_dc_only_region"]) {
      expect(boot_.sysfs.lstat(`/sys/bus/cxl/drivers/${d}/bind`)?.mode).toBe(0o200);
      expect(boot_.sysfs.lstat(`/sys/bus/cxl/drivers/${d}/unbind`)?.mode).toBe(0o200);
    }
    expect(log).toEqual(["events mem0"]);
  });

  it("R67: a region created by hand is claimed by the region driver written to (its probe, then its policy, then the DC hooks)", async () => {
    const log: string[] = [];
    const boot_ = await boot(log);
    const region = await committedDcRegion(boot_);
    expect(region.driver).toBeUndefined();
    log.length = 0;
    expect(writeErr(boot_.sysfs, "/sys/bus/cxl/drivers/cxl_sysram_region_test/bind", region.name)).toBeUndefined();
    await boot_.host.settle();
    expect(region.driver?.name).toBe("cxl_sysram_region_test");
    expect(log).toEqual(["cxl_sysram_region_test probe region0", "cxl_sysram_region_test policy region0", "hook probe region0 with-policy"]);
    expect(boot_.sysfs.readlink(`${DEV}/region0/driver`)).toBe("../../../../../../bus/cxl/drivers/cxl_sysram_region_test");
    // Already bound: a second driver's bind is EBUSY at once.
    expect(writeErr(boot_.sysfs, "/sys/bus/cxl/drivers/cxl_region/bind", region.name)).toBe("EBUSY");
    log.length = 0;
    expect(writeErr(boot_.sysfs, "/sys/bus/cxl/drivers/cxl_sysram_region_test/unbind", region.name)).toBeUndefined();
    await boot_.host.settle();
    // Teardown of the DC hooks runs while the driver is still bound, before its remove.
    expect(log).toEqual(["hook teardown region0 bound=cxl_sysram_region_test", "cxl_sysram_region_test remove region0"]);
    expect(region.policy).toBeUndefined();
    expect(region.committed).toBe(true);
  });

  it("R67: driver_override selects the region driver for drivers_probe", async () => {
    const log: string[] = [];
    const boot_ = await boot(log);
    const region = await committedDcRegion(boot_);
    expect(writeErr(boot_.sysfs, `${DEV}/region0/driver_override`, "cxl_dc_only_region")).toBeUndefined();
    expect(cat(boot_.sysfs, `${DEV}/region0/driver_override`)).toBe("cxl_dc_only_region");
    expect(writeErr(boot_.sysfs, "/sys/bus/cxl/drivers/cxl_region/bind", "region0")).toBe("ENODEV");
    expect(writeErr(boot_.sysfs, "/sys/bus/cxl/drivers_probe", "region0")).toBeUndefined();
    await boot_.host.settle();
    expect(region.driver?.name).toBe("cxl_dc_only_region");
  });

  it("a region driver's own refusal (ENODEV) leaves the region unbound, quietly", async () => {
    const log: string[] = [];
    const boot_ = await boot(log);
    const mem0 = boot_.cxl.memdev("mem0");
    if (mem0 === undefined) throw new Error("mem0");
    const region = await cxlCreateRegion(boot_.cxl, { memdevs: [mem0], mode: "ram", size: GIB, driver: "" });
    await expect(boot_.host.bus("cxl")?.bind(region.name, "cxl_dc_only_region")).rejects.toMatchObject({ code: "ENODEV" });
    expect(region.driver).toBeUndefined();
    expect(region.policy).toBeUndefined();
    expect(log).toContain(`cxl_dc_only_region probe ${region.name}`);
  });

  it("the cxl bus refuses an uncommitted region for every region driver (ENXIO) before the driver's probe", async () => {
    const log: string[] = [];
    const boot_ = await boot(log);
    expect(writeErr(boot_.sysfs, `${DEV}/decoder0.0/create_dynamic_ram_1_region`, "region0")).toBeUndefined();
    await boot_.host.settle();
    log.length = 0;
    for (const d of ["cxl_region", "cxl_sysram_region_test", "cxl_dc_only_region"]) await expect(boot_.host.bus("cxl")?.bind("region0", d)).rejects.toMatchObject({ code: "ENXIO" });
    expect(log).toEqual([]);
  });

  it("create-region --driver NAME creates, configures, commits and binds to NAME; destroy undoes it", async () => {
    const log: string[] = [];
    const boot_ = await boot(log);
    const mem0 = boot_.cxl.memdev("mem0");
    if (mem0 === undefined) throw new Error("mem0");
    const region = await cxlCreateRegion(boot_.cxl, { memdevs: [mem0], driver: "cxl_dc_only_region" });
    expect(region.name).toBe("region0");
    expect(region.driver?.name).toBe("cxl_dc_only_region");
    expect(region.size).toBe(GIB);
    expect(cat(boot_.sysfs, `${DEV}/region0/mode`)).toBe("dynamic_ram_1");
    const plain = cxlCreateRegion(boot_.cxl, { memdevs: [mem0], driver: "no_such_driver" });
    await expect(plain).rejects.toMatchObject({ code: "ENOSPC" });
    await cxlDestroyRegion(boot_.cxl, region);
    expect(boot_.sysfs.exists(`${DEV}/region0`)).toBe(false);
    expect(log).toContain("hook teardown region0 bound=cxl_dc_only_region");
    // Destroy frees the endpoint decoder's DPA (cxl-cli's destroy_region sets dpa_size 0), so
    // the capacity backs a new region; a driver that does not exist still fails and undoes it.
    expect(Number(cat(boot_.sysfs, `${DEV}/decoder2.0/dpa_size`))).toBe(0);
    const second = await cxlCreateRegion(boot_.cxl, { memdevs: [mem0], size: 512 * 1024 * 1024, driver: "no_such_driver" }).catch((e: unknown) => e);
    expect(second).toMatchObject({ code: "ENOENT" });
    expect(boot_.cxl.regions()).toEqual([]);
    const third = await cxlCreateRegion(boot_.cxl, { memdevs: [mem0], size: 512 * 1024 * 1024, driver: "cxl_dc_only_region" });
    expect(third.driver?.name).toBe("cxl_dc_only_region");
  });

  it("create-region with an unknown driver fails with ENOENT and leaves nothing behind", async () => {
    const log: string[] = [];
    const boot_ = await boot(log);
    const mem0 = boot_.cxl.memdev("mem0");
    if (mem0 === undefined) throw new Error("mem0");
    await expect(cxlCreateRegion(boot_.cxl, { memdevs: [mem0], size: GIB, driver: "cxl_nope" })).rejects.toMatchObject({ code: "ENOENT" });
    expect(boot_.cxl.regions()).toEqual([]);
    expect(cat(boot_.sysfs, `${DEV}/decoder2.0/dpa_size`)).toBe("0x0000000000000000");
    expect(cat(boot_.sysfs, `${DEV}/endpoint2/decoders_committed`)).toBe("0");
  });

  it("R70: an auto-region (programmed by firmware) is assembled committed at boot and bound by the default cxl_region", async () => {
    const log: string[] = [];
    const boot_ = await boot(log, { autoRegion: "ram" });
    const region = boot_.cxl.region("region0");
    expect(region?.auto).toBe(true);
    expect(region?.committed).toBe(true);
    expect(region?.driver?.name).toBe("cxl_region");
    expect(cat(boot_.sysfs, `${DEV}/region0/mode`)).toBe("ram");
    expect(cat(boot_.sysfs, `${DEV}/region0/target0`)).toBe("decoder2.0");
    expect(cat(boot_.sysfs, `${DEV}/decoder2.0/dpa_resource`)).toBe("0");
    expect(cat(boot_.sysfs, `${DEV}/decoder1.0/region`)).toBe("region0");
    expect(cat(boot_.sysfs, `${DEV}/endpoint2/decoders_committed`)).toBe("1");
    expect(log.filter((l) => l.includes("probe region0"))).toEqual([]);
  });

  it("R70: a DC auto-region binds cxl_region too, and gets the DC hooks with cxl_region's policy", async () => {
    const log: string[] = [];
    const boot_ = await boot(log, { autoRegion: "dynamic_ram" });
    const region = boot_.cxl.region("region0");
    expect(region?.driver?.name).toBe("cxl_region");
    expect(region?.isDynamic).toBe(true);
    expect(cat(boot_.sysfs, `${DEV}/decoder2.0/dpa_resource`)).toBe("0x80000000");
    expect(log).toContain("hook probe region0 with-policy");
  });
});
