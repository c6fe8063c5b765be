/**
 * The two-stage flow for RAM regions (host-rules §5.1, R67-R69): bind cxl_sysram_region, set
 * online_type, bind cxl_dax_kmem_region, which hot-plugs the region once.
 */
import { cxlCreateRegion } from "@dcd/core";
import { useLeakCheck } from "@dcd/testing";
import { afterEach, describe, expect, it } from "vitest";
import { cat, checkAccounting, DEV, DRV, GIB, type SysramHost, sysramHost, sysramOf, WINDOW_BASE, writeErr } from "./test-support/sysram-host.js";

const MEM = "/sys/devices/system/memory";
const BLOCK = 128 * 1024 * 1024;

describe("cxl_sysram_region + cxl_dax_kmem_region on a RAM region", () => {
  useLeakCheck();
  let h: SysramHost | undefined;
  afterEach(async () => {
    await h?.dispose();
    h = undefined;
  });

  it("R68 (two-stage flow): kmem probe fails with ENODEV while online_type is invalid, then hot-plugs the region once", async () => {
    h = await sysramHost();
    const host = h;
    const region = await cxlCreateRegion(host.cxl, { memdevs: [host.mem0], mode: "ram", size: GIB, driver: "" });
    expect(writeErr(host.sysfs, `${DRV}/cxl_sysram_region/bind`, region.name)).toBeUndefined();
    await host.host.settle();
    const sr = `sysram_region${region.id}`;
    expect(cat(host.sysfs, `${DEV}/${sr}/online_type`)).toBe("invalid");
    expect(host.sysfs.exists(`${DEV}/${sr}/extents`)).toBe(false);
    // The bus tried cxl_dax_kmem_region when sysram_regionZ appeared: refused (ENODEV) while invalid.
    // bind_store runs the probe and returns its errno.
    await expect(host.sysfs.writeAsync(`${DRV}/cxl_dax_kmem_region/bind`, sr)).rejects.toMatchObject({ code: "ENODEV" });
    expect(sysramOf(region).driver).toBeUndefined();
    expect(host.mm.totals().pluggedBytes).toBe(0);
    await expect(sysramOf(region).plugRam()).rejects.toMatchObject({ code: "ENODEV", message: expect.stringContaining("online_type is invalid") as string });

    expect(writeErr(host.sysfs, `${DEV}/${sr}/online_type`, "online_movable")).toBeUndefined();
    expect(writeErr(host.sysfs, `${DRV}/cxl_dax_kmem_region/bind`, sr)).toBeUndefined();
    await host.host.settle();
    const first = WINDOW_BASE / BLOCK;
    expect(host.mm.totals().pluggedBytes).toBe(GIB);
    for (let b = first; b < first + 8; b++) {
      expect(cat(host.sysfs, `${MEM}/memory${b}/state`)).toBe("online");
      expect(cat(host.sysfs, `${MEM}/memory${b}/valid_zones`)).toBe("Movable");
    }
    expect(host.mm.ranges().find((r) => r.start === WINDOW_BASE)?.name).toBe("System RAM (kmem)");
    checkAccounting(host, [sysramOf(region)]);
    // The online type was used: it cannot change while kmem holds the memory.
    expect(writeErr(host.sysfs, `${DEV}/${sr}/online_type`, "online_kernel")).toBe("EBUSY");
    expect(cat(host.sysfs, `${DEV}/${sr}/online_type`)).toBe("online_movable");

    expect(writeErr(host.sysfs, `${DRV}/cxl_dax_kmem_region/unbind`, sr)).toBeUndefined();
    await host.host.settle();
    expect(host.mm.totals().pluggedBytes).toBe(0);
    expect(writeErr(host.sysfs, `${DEV}/${sr}/online_type`, "online_kernel")).toBeUndefined();
  });

  it("create-region --driver cxl_sysram_region on a RAM region, then unbinding the region unplugs through the kmem stage", async () => {
    h = await sysramHost({ sysram: { onlineType: "online" } });
    const host = h;
    const region = await cxlCreateRegion(host.cxl, { memdevs: [host.mem0], mode: "ram", size: GIB, driver: "cxl_sysram_region" });
    expect(region.driver?.name).toBe("cxl_sysram_region");
    const sr = `sysram_region${region.id}`;
    // online_type was preset by the driver option: the kmem stage bound as soon as sysram_regionZ appeared.
    await host.host.settle();
    expect(sysramOf(region).driver?.name).toBe("cxl_dax_kmem_region");
    expect(writeErr(host.sysfs, `${DRV}/cxl_dax_kmem_region/bind`, sr)).toBe("EBUSY");
    expect(host.mm.totals().onlineBytes - host.mm.totals().bootBytes).toBe(GIB);
    expect(writeErr(host.sysfs, `${DRV}/cxl_sysram_region/unbind`, region.name)).toBeUndefined();
    await host.host.settle();
    expect(host.sysfs.exists(`${DEV}/${sr}`)).toBe(false);
    expect(host.mm.totals().pluggedBytes).toBe(0);
  });

  it("cxl_dax_kmem_region refuses a DC region's sysram_regionZ (ENODEV): DC extents are hot-plugged directly", async () => {
    h = await sysramHost({ sysram: { onlineType: "online_movable" } });
    const host = h;
    const region = await cxlCreateRegion(host.cxl, { memdevs: [host.mem0], size: GIB, driver: "cxl_sysram_region" });
    expect(writeErr(host.sysfs, `${DRV}/cxl_dax_kmem_region/bind`, `sysram_region${region.id}`)).toBeUndefined();
    await host.host.settle();
    expect(sysramOf(region).driver).toBeUndefined();
  });

  it("SYS-13: an invalid target node refuses the kmem stage with EINVAL and adds no block", async () => {
    h = await sysramHost({ sysram: { onlineType: "online_movable", targetNode: -1 } });
    const host = h;
    const region = await cxlCreateRegion(host.cxl, { memdevs: [host.mem0], mode: "ram", size: GIB, driver: "cxl_sysram_region" });
    await host.host.settle();
    expect(sysramOf(region).driver).toBeUndefined();
    expect(host.mm.totals().pluggedBytes).toBe(0);
    // The direct probe says why.
    await expect(sysramOf(region).plugRam()).rejects.toMatchObject({ code: "EINVAL", message: expect.stringContaining("invalid node: -1") as string });
  });
});
