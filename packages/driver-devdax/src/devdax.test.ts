/**
 * The DAX layer over DC regions (host-rules §3.8 R53-R60) and the devdax scenarios of
 * consumers.md §7, driven through sysfs writes as daxctl would.
 */
import { isDcdError, NULL_UUID } from "@dcd/core";
import { useLeakCheck } from "@dcd/testing";
import { afterEach, describe, expect, it } from "vitest";
import { bootDevdax, cat, DAX, type DevdaxBoot, MIB, REGION0, WINDOW_BASE, writeErr } from "./test-support/devdax-host.js";

const A = "11111111-2222-3333-4444-555555555555";
const B = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
const UNKNOWN = "99999999-9999-9999-9999-999999999999";

describe("devdax over a DC region", () => {
  useLeakCheck();
  let b: DevdaxBoot | undefined;
  afterEach(async () => {
    await b?.dispose();
    b = undefined;
  });
  const boot = async (driver?: string) => {
    b = await bootDevdax(driver === undefined ? {} : { driver });
    return b;
  };
  /** `echo 1 > create`, then the new seed's name. */
  const create = async (x: DevdaxBoot): Promise<string> => {
    expect(writeErr(x.sysfs, `${REGION0}/create`, "1")).toBeUndefined();
    await x.settle();
    return cat(x.sysfs, `${REGION0}/seed`);
  };
  const avail = (x: DevdaxBoot) => Number(cat(x.sysfs, `${REGION0}/available_size`));

  it("R53: the DC dax region is sparse: available_size 0, align 2 MiB read-only, an idle seed dax0.0 of size 0, no mapping attribute", async () => {
    const x = await boot();
    const dir = `/sys/bus/cxl/devices/dax_region0`;
    expect(cat(x.sysfs, `${REGION0}/id`)).toBe("0");
    expect(cat(x.sysfs, `${REGION0}/size`)).toBe(String(1024 * MIB));
    expect(cat(x.sysfs, `${REGION0}/align`)).toBe("2097152");
    expect(writeErr(x.sysfs, `${REGION0}/align`, "4096")).toBeDefined();
    expect(avail(x)).toBe(0);
    expect(cat(x.sysfs, `${REGION0}/seed`)).toBe("dax0.0");
    expect(cat(x.sysfs, `${DAX}/dax0.0/size`)).toBe("0");
    expect(cat(x.sysfs, `${DAX}/dax0.0/align`)).toBe("2097152");
    expect(writeErr(x.sysfs, `${DAX}/dax0.0/align`, "4096")).toBeDefined();
    expect(x.sysfs.exists(`${DAX}/dax0.0/mapping`)).toBe(false);
    expect(x.sysfs.exists(`${DAX}/dax0.0/driver`)).toBe(false);
    // The device hangs under dax_regionZ, as libdaxctl expects.
    expect(x.sysfs.realpath(`${DAX}/dax0.0`)).toBe(`${x.sysfs.realpath(dir)}/dax0.0`);
    expect(x.sysfs.realpath(`${DAX}/dax0.0`)).toBe("/sys/devices/platform/ACPI0017:00/root0/decoder0.0/region0/dax_region0/dax0.0");
    expect(cat(x.sysfs, `${DAX}/dax0.0/uevent`)).toContain("MODALIAS=dax:t0");
  });

  it("R55: create while available_size is 0 fails with ENOSPC", async () => {
    const x = await boot();
    expect(writeErr(x.sysfs, `${REGION0}/create`, "1")).toBe("ENOSPC");
    expect(writeErr(x.sysfs, `${REGION0}/create`, "2")).toBe("EINVAL");
  });

  it("R56 / DAX-01: '0' claims one untagged extent; mapping0 is its HPA range; available_size drops", async () => {
    const x = await boot();
    await x.add([{ off: 0x8000000, len: 64 * MIB }]);
    expect(cat(x.sysfs, "/sys/bus/cxl/devices/dax_region0/extent0.1/offset")).toBe("0x8000000");
    expect(avail(x)).toBe(64 * MIB);
    const name = await create(x);
    expect(name).toBe("dax0.1");
    expect(writeErr(x.sysfs, `${DAX}/${name}/uuid`, "0")).toBeUndefined();
    expect(cat(x.sysfs, `${DAX}/${name}/size`)).toBe(String(64 * MIB));
    expect(cat(x.sysfs, `${DAX}/${name}/uuid`)).toBe(NULL_UUID);
    expect(avail(x)).toBe(0);
    expect(cat(x.sysfs, `${DAX}/${name}/mapping0/start`)).toBe(`0x${(WINDOW_BASE + 0x8000000).toString(16)}`);
    expect(cat(x.sysfs, `${DAX}/${name}/mapping0/end`)).toBe(`0x${(WINDOW_BASE + 0x8000000 + 64 * MIB - 1).toString(16)}`);
    expect(cat(x.sysfs, `${DAX}/${name}/mapping0/page_offset`)).toBe("0");
    expect(cat(x.sysfs, `${DAX}/${name}/resource`)).toBe(`0x${(WINDOW_BASE + 0x8000000).toString(16)}`);
    x.sysfs.write("/sys/bus/dax/drivers/device_dax/bind", name);
    await x.settle();
    expect(x.dax.deviceInfo(x.dax.device(name) ?? expect.fail("dev"))).toMatchObject({ chardev: "dax0.1", size: 67108864, target_node: 1, align: 2097152, mode: "devdax" });
    expect(cat(x.sysfs, `${REGION0}/seed`)).toBe("");
  });

  it("R56 / DAX-02: a tag claim spans a More chain, one mapping per extent in seq (arrival) order", async () => {
    const x = await boot();
    await x.add([{ off: 0x8000000, len: 64 * MIB, tag: A }], true);
    expect(avail(x)).toBe(0); // nothing surfaces until the chain closes
    await x.add([{ off: 0, len: 64 * MIB, tag: A }]);
    expect(avail(x)).toBe(128 * MIB);
    const dev = await x.dax.createDevice({ region: "region0", uuid: A });
    expect(dev.name).toBe("dax0.1");
    const d = `${DAX}/dax0.1`;
    expect(cat(x.sysfs, `${d}/size`)).toBe(String(128 * MIB));
    expect(cat(x.sysfs, `${d}/uuid`)).toBe(A);
    expect(cat(x.sysfs, `${d}/mapping0/start`)).toBe(`0x${(WINDOW_BASE + 0x8000000).toString(16)}`);
    expect(cat(x.sysfs, `${d}/mapping0/page_offset`)).toBe("0");
    expect(cat(x.sysfs, `${d}/mapping1/start`)).toBe(`0x${WINDOW_BASE.toString(16)}`);
    expect(cat(x.sysfs, `${d}/mapping1/page_offset`)).toBe("0x4000");
    expect(x.sysfs.exists(`${d}/mapping2`)).toBe(false);
    expect(avail(x)).toBe(0);
  });

  it("R57 / DAX-03: an unknown uuid is ENOENT, consumes nothing, and the group can still be claimed; a malformed value is EINVAL", async () => {
    const x = await boot();
    await x.add([{ off: 0, len: 64 * MIB, tag: A }, { off: 0x8000000, len: 64 * MIB, tag: A }]);
    const name = await create(x);
    expect(writeErr(x.sysfs, `${DAX}/${name}/uuid`, UNKNOWN)).toBe("ENOENT");
    expect(writeErr(x.sysfs, `${DAX}/${name}/uuid`, "not-a-uuid")).toBe("EINVAL");
    expect(cat(x.sysfs, `${DAX}/${name}/size`)).toBe("0");
    expect(avail(x)).toBe(128 * MIB);
    expect(writeErr(x.sysfs, `${DAX}/${name}/uuid`, A)).toBeUndefined();
    expect(cat(x.sysfs, `${DAX}/${name}/size`)).toBe(String(128 * MIB));
  });

  it("R56-R58 / DAX-17: tagged and untagged side by side; a group is claimed once; '0' takes exactly one untagged extent", async () => {
    const x = await boot();
    await x.add([
      { off: 0, len: 64 * MIB },
      { off: 0x4000000, len: 64 * MIB },
      { off: 0x8000000, len: 32 * MIB, tag: A },
      { off: 0xa000000, len: 32 * MIB, tag: A },
    ]);
    await x.add([{ off: 0x10000000, len: 64 * MIB, tag: B }]);
    expect(avail(x)).toBe(256 * MIB);
    const tagged = await x.dax.createDevice({ region: 0, uuid: A });
    const untagged = await x.dax.createDevice({ region: 0, uuid: "0" });
    expect(untagged.size).toBe(64 * MIB); // never aggregates untagged extents
    expect(cat(x.sysfs, `${DAX}/${tagged.name}/uuid`)).toBe(A);
    expect(cat(x.sysfs, `${DAX}/${untagged.name}/uuid`)).toBe(NULL_UUID);
    expect(cat(x.sysfs, `${DAX}/dax0.0/uuid`)).toBe(NULL_UUID);
    expect(avail(x)).toBe(128 * MIB);
    // Second claim of group A: nothing of that tag is free.
    const seed = await create(x);
    expect(writeErr(x.sysfs, `${DAX}/${seed}/uuid`, A)).toBe("ENOENT");
    expect(writeErr(x.sysfs, `${DAX}/${seed}/uuid`, A.toUpperCase())).toBe("ENOENT");
    expect(writeErr(x.sysfs, `${DAX}/${seed}/uuid`, "0")).toBeUndefined();
    const seed2 = await create(x);
    // DAX-04: no free untagged extent left.
    expect(writeErr(x.sysfs, `${DAX}/${seed2}/uuid`, NULL_UUID)).toBe("ENOENT");
    expect(writeErr(x.sysfs, `${DAX}/${seed2}/uuid`, B)).toBeUndefined();
    // R56: a device that already has a size refuses a second claim.
    expect(writeErr(x.sysfs, `${DAX}/${seed2}/uuid`, "0")).toBe("EBUSY");
    expect(avail(x)).toBe(0);
    expect(writeErr(x.sysfs, `${REGION0}/create`, "1")).toBe("ENOSPC");
  });

  it("R54 / DAX-05: size accepts only 0 on a DC region (EOPNOTSUPP), EBUSY while enabled; plain create-device cannot grow", async () => {
    const x = await boot();
    await x.add([{ off: 0x8000000, len: 64 * MIB }, { off: 0, len: 64 * MIB }]);
    const dev = await x.dax.createDevice({ region: 0, uuid: "0" });
    const d = `${DAX}/${dev.name}`;
    expect(writeErr(x.sysfs, `${d}/size`, "0")).toBe("EBUSY");
    await x.dax.disableDevice(dev);
    expect(writeErr(x.sysfs, `${d}/size`, String(32 * MIB))).toBe("EOPNOTSUPP");
    expect(writeErr(x.sysfs, `${d}/size`, String(128 * MIB))).toBe("EOPNOTSUPP");
    expect(cat(x.sysfs, `${d}/size`)).toBe(String(64 * MIB));
    const seed = await create(x);
    expect(writeErr(x.sysfs, `${DAX}/${seed}/size`, String(64 * MIB))).toBe("EOPNOTSUPP");
    expect(writeErr(x.sysfs, `${d}/size`, "0")).toBeUndefined();
    expect(cat(x.sysfs, `${d}/size`)).toBe("0");
    expect(avail(x)).toBe(128 * MIB);
  });

  it("R59: destroying a device returns its ranges without a Release DC; the group can be claimed again", async () => {
    const x = await boot();
    await x.add([{ off: 0, len: 64 * MIB, tag: A }, { off: 0x4000000, len: 64 * MIB, tag: A }]);
    const dev = await x.dax.createDevice({ region: 0, uuid: A });
    expect(avail(x)).toBe(0);
    // delete refuses a sized or enabled device
    expect(writeErr(x.sysfs, `${REGION0}/delete`, dev.name)).toBe("EBUSY");
    expect(writeErr(x.sysfs, `${REGION0}/delete`, "dax0.0")).toBe("EBUSY");
    expect(writeErr(x.sysfs, `${REGION0}/delete`, "dax0.9")).toBe("ENXIO");
    await x.dax.destroyDevice(dev);
    expect(x.sysfs.exists(`${DAX}/${dev.name}`)).toBe(false);
    expect(avail(x)).toBe(128 * MIB);
    expect(x.accepted()).toBe(2);
    const again = await x.dax.createDevice({ region: 0, uuid: A });
    expect(again.size).toBe(128 * MIB);
  });

  it("R43 / DAX-06: a release while claimed is deferred; after destroy the next release gives the whole group back", async () => {
    const x = await boot();
    await x.add([{ off: 0x8000000, len: 64 * MIB }]);
    const dev = await x.dax.createDevice({ region: 0, uuid: "0" });
    await x.release(0x8000000, 64 * MIB);
    expect(x.accepted()).toBe(1);
    expect(x.sysfs.exists("/sys/bus/cxl/devices/dax_region0/extent0.1")).toBe(true);
    expect(dev.size).toBe(64 * MIB);
    await x.dax.destroyDevice(dev);
    expect(x.accepted()).toBe(1);
    expect(avail(x)).toBe(64 * MIB);
    await x.release(0x8000000, 64 * MIB);
    expect(x.accepted()).toBe(0);
    expect(avail(x)).toBe(0);
    expect(x.sysfs.exists("/sys/bus/cxl/devices/dax_region0/extent0.1")).toBe(false);
  });

  it("R43 / DAX-08: releasing one member of a claimed tag group is deferred for the whole group, then releases all members", async () => {
    const x = await boot();
    await x.add([{ off: 0x8000000, len: 64 * MIB, tag: A }, { off: 0, len: 64 * MIB, tag: A }]);
    const dev = await x.dax.createDevice({ region: 0, uuid: A });
    await x.release(0, 64 * MIB);
    expect(x.accepted()).toBe(2);
    await x.dax.destroyDevice(dev);
    await x.release(0, 64 * MIB);
    expect(x.accepted()).toBe(0);
    expect(avail(x)).toBe(0);
    const seedWrite = writeErr(x.sysfs, `${DAX}/dax0.0/uuid`, A);
    expect(seedWrite).toBe("ENOENT");
  });

  it("R60 / DAX-15: region destroy with a live, enabled device releases every extent; a new region on the partition starts empty", async () => {
    const x = await boot();
    await x.add([{ off: 0x8000000, len: 64 * MIB }]);
    await x.add([{ off: 0, len: 64 * MIB, tag: A }]);
    await x.dax.createDevice({ region: 0, uuid: "0" });
    await x.dax.createDevice({ region: 0, uuid: A });
    const { cxlDestroyRegion, cxlCreateRegion } = await import("@dcd/core");
    await cxlDestroyRegion(x.cxl, x.region);
    await x.settle();
    expect(x.accepted()).toBe(0);
    expect(x.sysfs.list(DAX)).toEqual([]);
    expect(x.dax.regions()).toEqual([]);
    // cxl destroy-region also frees the endpoint decoder's DPA (dpa_size 0).
    x.sysfs.write("/sys/bus/cxl/devices/decoder2.0/dpa_size", "0");
    const mem0 = x.cxl.memdev("mem0") ?? expect.fail("mem0");
    x.region = await cxlCreateRegion(x.cxl, { memdevs: [mem0], size: 1024 * MIB, driver: "cxl_devdax_region" });
    await x.settle();
    const r = x.dax.regions()[0] ?? expect.fail("no dax region");
    expect(r.availableSize).toBe(0);
    expect(x.sysfs.list(DAX)).toEqual([`dax${r.id}.0`]);
    expect(x.sysfs.list(`/sys/bus/cxl/devices/dax_region${r.id}`).filter((n) => n.startsWith("extent"))).toEqual([]);
  });

  it("R60 / DAX-16: unbinding dax_cxl releases everything even with a live device; a rebind brings a fresh seed", async () => {
    const x = await boot();
    await x.add([{ off: 0x8000000, len: 64 * MIB }]);
    await x.dax.createDevice({ region: 0, uuid: "0" });
    const seed = x.dax.device("dax0.0") ?? expect.fail("seed");
    x.sysfs.write("/sys/bus/cxl/drivers/cxl_dax_region/unbind", "dax_region0");
    await x.settle();
    expect(x.accepted()).toBe(0);
    // R56: a claim on a region that is no longer bound is ENXIO.
    expect(() => {
      seed.uuidStore("0");
    }).toThrow(expect.objectContaining({ code: "ENXIO" }));
    expect(x.sysfs.list(DAX)).toEqual([]);
    expect(x.sysfs.exists(REGION0)).toBe(false);
    x.sysfs.write("/sys/bus/cxl/drivers/cxl_dax_region/bind", "dax_region0");
    await x.settle();
    expect(x.sysfs.list(DAX)).toEqual(["dax0.0"]);
    expect(avail(x)).toBe(0);
    await x.add([{ off: 0, len: 64 * MIB }]);
    expect(avail(x)).toBe(64 * MIB);
  });

  it("the default cxl_region driver of a DC region gets the same DAX policy (CXL_DCD_HOOKS.defaultPolicy)", async () => {
    const x = await boot("cxl_region");
    expect(x.region.driver?.name).toBe("cxl_region");
    await x.add([{ off: 0, len: 64 * MIB }]);
    const dev = await x.dax.createDevice({ region: 0, uuid: "0" });
    await x.release(0, 64 * MIB);
    expect(x.accepted()).toBe(1);
    await x.dax.destroyDevice(dev);
    await x.release(0, 64 * MIB);
    expect(x.accepted()).toBe(0);
  });

  it("createDevice reports ENOENT for an unknown tag and leaves the new seed idle (daxctl 'created 0 devices')", async () => {
    const x = await boot();
    await x.add([{ off: 0, len: 64 * MIB, tag: A }]);
    const err = await x.dax.createDevice({ region: 0, uuid: UNKNOWN }).catch((e: unknown) => e);
    expect(isDcdError(err, "ENOENT")).toBe(true);
    expect(x.dax.list()[0]).toMatchObject({ id: 0, available_size: 64 * MIB, seed: "dax0.1" });
    expect(x.dax.list()[0]?.devices.map((d) => [d.chardev, d.size, d.state])).toEqual([
      ["dax0.0", 0, "disabled"],
      ["dax0.1", 0, "disabled"],
    ]);
  });
  it("the daxctl sequence through sysfs alone: create, claim, bind device_dax, unbind, size 0, delete", async () => {
    const x = await boot();
    await x.add([{ off: 0, len: 64 * MIB, tag: A }]);
    x.sysfs.write(`${REGION0}/create`, "1");
    await x.settle();
    expect(cat(x.sysfs, `${REGION0}/create`)).toBe("dax0.1");
    x.sysfs.write(`${DAX}/dax0.1/uuid`, A);
    x.sysfs.write("/sys/bus/dax/drivers/device_dax/bind", "dax0.1");
    await x.settle();
    expect(x.sysfs.readlink(`${DAX}/dax0.1/driver`)).toMatch(/device_dax$/);
    expect(writeErr(x.sysfs, `${DAX}/dax0.1/uuid`, A)).toBe("EBUSY");
    // The idle size-0 seed cannot be enabled.
    expect(writeErr(x.sysfs, "/sys/bus/dax/drivers/device_dax/bind", "dax0.0")).toBeUndefined();
    await x.settle();
    expect(x.sysfs.exists(`${DAX}/dax0.0/driver`)).toBe(false);
    x.sysfs.write("/sys/bus/dax/drivers/device_dax/unbind", "dax0.1");
    await x.settle();
    x.sysfs.write(`${DAX}/dax0.1/size`, "0");
    x.sysfs.write(`${REGION0}/delete`, "dax0.1");
    await x.settle();
    expect(x.sysfs.list(DAX)).toEqual(["dax0.0"]);
    expect(avail(x)).toBe(64 * MIB);
    expect(x.accepted()).toBe(1);
  });
});
