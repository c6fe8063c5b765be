/**
 * Regions (R61-R66, host-rules §5.1): the sysfs creation flow of a DC region, its rules, several
 * regions in one DC partition, disable/reset/destroy, and bad input that must change nothing.
 */
import { type DcdDevice } from "@dcd/fabric";
import { useLeakCheck } from "@dcd/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CxlEndpointDecoder } from "./decoder.js";
import { bootCxl, cat, type CxlBoot, dcdDevice, dcdSpec, GIB, MIB, sysfsState, writeErr } from "./test-support/cxl-host.js";
import { OPCODE } from "./wire/opcodes.js";

const DEV = "/sys/bus/cxl/devices";
const RAM = 2 * GIB;
const DC = RAM; // DPA of the DC partition

describe("regions", () => {
  useLeakCheck();
  let b: CxlBoot;
  let dev: DcdDevice;
  let dev2: DcdDevice;

  beforeEach(async () => {
    dev = dcdDevice();
    dev2 = dcdDevice({ serial: 0x5678 });
    b = await bootCxl({
      memdevs: (slots) => [dcdSpec(dev, slots[0] ?? ""), dcdSpec(dev2, slots[1] ?? "", { commands: [OPCODE.GET_EVENT_RECORDS] })],
    });
  });
  afterEach(async () => {
    await b.dispose();
    dev.dispose();
    dev2.dispose();
  });

  const w = (path: string, value: string): string | undefined => writeErr(b.sysfs, `${DEV}/${path}`, value);
  const r = (path: string): string => cat(b.sysfs, `${DEV}/${path}`);

  /** host-rules §5.1, up to (not including) the bind. */
  async function dcRegion(ep = "decoder2.0", size = "0x40000000", dpa = size): Promise<string> {
    const name = r("decoder0.0/create_dynamic_ram_1_region");
    expect(w("decoder0.0/create_dynamic_ram_1_region", name)).toBeUndefined();
    await b.host.settle();
    expect(w(`${name}/interleave_granularity`, "256")).toBeUndefined();
    expect(w(`${name}/interleave_ways`, "1")).toBeUndefined();
    expect(w(`${ep}/mode`, "dynamic_ram_1")).toBeUndefined();
    expect(w(`${ep}/dpa_size`, dpa)).toBeUndefined();
    expect(w(`${name}/size`, size)).toBeUndefined();
    expect(w(`${name}/target0`, ep)).toBeUndefined();
    expect(w(`${name}/commit`, "1")).toBeUndefined();
    return name;
  }

  it("R61: create_dynamic_ram_1_region exists only on RAM-capable root decoders and creates a dynamic_ram_1 region", async () => {
    expect(b.sysfs.exists(`${DEV}/decoder0.0/create_dynamic_ram_1_region`)).toBe(true);
    expect(b.sysfs.exists(`${DEV}/decoder0.0/create_ram_region`)).toBe(true);
    expect(b.sysfs.exists(`${DEV}/decoder0.0/create_pmem_region`)).toBe(false);
    expect(b.sysfs.exists(`${DEV}/decoder0.1/create_dynamic_ram_1_region`)).toBe(false);
    expect(b.sysfs.exists(`${DEV}/decoder0.1/create_ram_region`)).toBe(false);
    expect(b.sysfs.exists(`${DEV}/decoder0.1/create_pmem_region`)).toBe(true);
    expect(r("decoder0.0/create_dynamic_ram_1_region")).toBe("region0");
    expect(w("decoder0.0/create_dynamic_ram_1_region", "region0")).toBeUndefined();
    // The next name is handed out at once; the device registers once the driver core is idle.
    expect(r("decoder0.0/create_dynamic_ram_1_region")).toBe("region2");
    await b.host.settle();
    expect(b.sysfs.readlink(`${DEV}/region0`)).toBe("../../../devices/platform/ACPI0017:00/root0/decoder0.0/region0");
    expect(r("region0/mode")).toBe("dynamic_ram_1");
    expect(r("region0/interleave_ways")).toBe("0");
    expect(r("region0/size")).toBe("0");
    expect(r("region0/resource")).toBe("0xffffffffffffffff");
    expect(r("region0/commit")).toBe("0");
    expect(r("region0/uuid")).toBe("");
    expect(r("region0/modalias")).toBe("cxl:t6");
    expect(b.sysfs.lstat(`${DEV}/region0/uuid`)?.mode).toBe(0o444);
  });

  it("§5.1: the full DC region flow, then bind to cxl_region", async () => {
    const name = await dcRegion();
    expect(name).toBe("region0");
    expect(r("region0/size")).toBe("0x40000000");
    expect(r("region0/resource")).toBe("0x1000000000");
    expect(r("region0/target0")).toBe("decoder2.0");
    expect(r("region0/commit")).toBe("1");
    expect(r("decoder2.0/region")).toBe("region0");
    expect(r("decoder2.0/start")).toBe("0x1000000000");
    expect(r("decoder1.0/region")).toBe("region0");
    expect(r("decoder1.0/target_list")).toBe("0");
    expect(r("decoder1.0/size")).toBe("0x40000000");
    expect(r("endpoint2/decoders_committed")).toBe("1");
    expect(r("port1/decoders_committed")).toBe("1");
    expect(w("../drivers/cxl_region/bind", "region0")).toBeUndefined();
    await b.host.settle();
    expect(b.sysfs.readlink(`${DEV}/region0/driver`)).toBe("../../../../../../bus/cxl/drivers/cxl_region");
    expect(b.cxl.region("region0")?.policy).toBeDefined();
  });

  it("R62: interleave_ways other than 1 is EINVAL for a DC region ('Interleaving and DCD not supported')", async () => {
    expect(w("decoder0.0/create_dynamic_ram_1_region", "region0")).toBeUndefined();
    await b.host.settle();
    const before = sysfsState(b.sysfs);
    for (const ways of ["2", "4", "0", "16"]) expect(w("region0/interleave_ways", ways)).toBe("EINVAL");
    expect(b.log.has("Interleaving and DCD not supported", "err")).toBe(true);
    expect(sysfsState(b.sysfs)).toEqual(before);
    // A RAM region may interleave as far as its root decoder allows (x1 window: 1, 2, 4 ...).
    expect(w("decoder0.0/create_ram_region", "region2")).toBeUndefined();
    await b.host.settle();
    expect(w("region2/interleave_ways", "2")).toBeUndefined();
    expect(r("region2/interleave_ways")).toBe("2");
    expect(b.sysfs.exists(`${DEV}/region2/target1`)).toBe(true);
  });

  it("R63: a DC region refuses an endpoint decoder in another mode (EINVAL) and a memdev without DCD (EINVAL, 'DCD unsupported')", async () => {
    expect(w("decoder0.0/create_dynamic_ram_1_region", "region0")).toBeUndefined();
    await b.host.settle();
    for (const [f, v] of [["interleave_granularity", "256"], ["interleave_ways", "1"], ["size", "0x40000000"]]) expect(w(`region0/${f ?? ""}`, v ?? "")).toBeUndefined();
    // mem0's decoder in ram mode: mode mismatch.
    expect(w("decoder2.0/mode", "ram")).toBeUndefined();
    expect(w("decoder2.0/dpa_size", "0x40000000")).toBeUndefined();
    let before = sysfsState(b.sysfs);
    expect(w("region0/target0", "decoder2.0")).toBe("EINVAL");
    expect(sysfsState(b.sysfs)).toEqual(before);
    // mem1 has no DCD (its CEL lacks 48xxh): refused before anything else.
    const mem1 = b.cxl.memdev("mem1");
    expect(mem1?.state.dcdSupported).toBe(false);
    const ep = [...(mem1?.endpoint?.decoders.values() ?? [])][0];
    before = sysfsState(b.sysfs);
    expect(w("region0/target0", ep?.name ?? "")).toBe("EINVAL");
    expect(b.log.has("DCD unsupported", "debug")).toBe(true);
    expect(sysfsState(b.sysfs)).toEqual(before);
  });

  it("R64: the endpoint decoder's mode accepts dynamic_ram_1 and dpa_size allocates from the DC partition (skipping static capacity)", () => {
    expect(r("decoder2.0/mode")).toBe("none");
    expect(r("decoder2.0/dpa_resource")).toBe("0xffffffffffffffff");
    expect(r("decoder2.0/dpa_size")).toBe("0x0000000000000000");
    expect(w("decoder2.0/mode", "dynamic_ram_1")).toBeUndefined();
    expect(r("decoder2.0/mode")).toBe("dynamic_ram_1");
    expect(w("decoder2.0/dpa_size", "0x20000000")).toBeUndefined();
    expect(r("decoder2.0/dpa_resource")).toBe(`0x${DC.toString(16)}`);
    expect(r("decoder2.0/dpa_size")).toBe("0x0000000020000000");
    const ed = b.cxl.endpointDecoder("decoder2.0");
    expect(ed?.skip).toBe(RAM);
    // The skip reserved the static capacity: a later ram allocation finds none.
    expect(w("decoder2.1/mode", "ram")).toBeUndefined();
    expect(w("decoder2.1/dpa_size", "0x10000000")).toBe("ENOSPC");
    expect(w("decoder2.1/mode", "dynamic_ram_1")).toBeUndefined();
    expect(w("decoder2.1/dpa_size", "0x20000000")).toBeUndefined();
    expect(r("decoder2.1/dpa_resource")).toBe(`0x${(DC + 512 * MIB).toString(16)}`);
    // The partition is full now.
    expect(w("decoder2.2/mode", "dynamic_ram_1")).toBeUndefined();
    expect(w("decoder2.2/dpa_size", "0x10000000")).toBe("ENOSPC");
  });

  it("R64: endpoint decoder writes with bad input fail with the kernel's errno and change nothing", () => {
    expect(w("decoder2.0/mode", "dynamic_ram_1")).toBeUndefined();
    expect(w("decoder2.0/dpa_size", "0x10000000")).toBeUndefined();
    const before = sysfsState(b.sysfs);
    const cases: [string, string, string][] = [
      ["decoder2.0/mode", "dynamic_ram_a", "EINVAL"],
      ["decoder2.0/mode", "DC", "EINVAL"],
      ["decoder2.0/mode", "", "EINVAL"],
      ["decoder2.0/dpa_size", "lots", "EINVAL"],
      ["decoder2.0/dpa_size", "-0x10000000", "EINVAL"],
      ["decoder2.0/dpa_size", "0x1000", "EINVAL"],
      ["decoder2.0/dpa_size", "0x80000000", "ENOSPC"],
      ["decoder2.0/dpa_size", "99999999999999999999", "ERANGE"],
      ["decoder2.0/dpa_resource", "0", "EACCES"],
      ["decoder2.2/dpa_size", "0x10000000", "EBUSY"], // no mode yet
      ["decoder2.2/mode", "pmem", "ENXIO"], // a pmem partition with no capacity
    ];
    for (const [path, value, code] of cases) expect([path, value, w(path, value)]).toEqual([path, value, code]);
    // Allocations go in decoder order: decoder2.2 cannot allocate before decoder2.1.
    expect(w("decoder2.2/mode", "dynamic_ram_1")).toBeUndefined();
    expect(w("decoder2.2/dpa_size", "0x10000000")).toBe("EBUSY");
    expect(w("decoder2.2/mode", "none")).toBe("EINVAL");
    // Only decoder2.2's mode changed (the one write above that succeeded).
    const mode = "/sys/devices/platform/ACPI0017:00/root0/port1/endpoint2/decoder2.2/mode";
    expect({ ...sysfsState(b.sysfs), [mode]: "" }).toEqual({ ...before, [mode]: "" });
  });

  it("R65: several regions share one DC partition through their own endpoint decoders with disjoint DPA", async () => {
    const r0 = await dcRegion("decoder2.0", "0x20000000");
    const r1 = await dcRegion("decoder2.1", "0x20000000");
    expect([r0, r1]).toEqual(["region0", "region2"]);
    expect(r("decoder2.0/dpa_resource")).toBe("0x80000000");
    expect(r("decoder2.1/dpa_resource")).toBe("0xa0000000");
    expect(r("region0/resource")).toBe("0x1000000000");
    expect(r("region2/resource")).toBe("0x1020000000");
    expect(r("decoder1.1/region")).toBe("region2");
    const mem0 = b.cxl.memdev("mem0");
    if (mem0 === undefined) throw new Error("mem0");
    expect(b.cxl.cxlDpaToRegion(mem0, DC)?.region?.name).toBe("region0");
    expect(b.cxl.cxlDpaToRegion(mem0, DC + 512 * MIB - 1)?.endpointDecoder.name).toBe("decoder2.0");
    expect(b.cxl.cxlDpaToRegion(mem0, DC + 512 * MIB)?.region?.name).toBe("region2");
    expect(b.cxl.cxlDpaToRegion(mem0, DC + GIB)).toBeUndefined();
    expect(b.cxl.cxlDpaToRegion(mem0, 0)).toBeUndefined();
  });

  it("R65: a second region cannot claim the host bridge's next decoder before the first region commits (commit order)", async () => {
    expect(w("decoder0.0/create_dynamic_ram_1_region", "region0")).toBeUndefined();
    await b.host.settle();
    for (const [f, v] of [["interleave_granularity", "256"], ["interleave_ways", "1"], ["size", "0x20000000"]]) expect(w(`region0/${f ?? ""}`, v ?? "")).toBeUndefined();
    expect(w("decoder2.0/mode", "dynamic_ram_1")).toBeUndefined();
    expect(w("decoder2.0/dpa_size", "0x20000000")).toBeUndefined();
    expect(w("region0/target0", "decoder2.0")).toBeUndefined();
    expect(w("decoder0.0/create_dynamic_ram_1_region", "region2")).toBeUndefined();
    await b.host.settle();
    for (const [f, v] of [["interleave_granularity", "256"], ["interleave_ways", "1"], ["size", "0x20000000"]]) expect(w(`region2/${f ?? ""}`, v ?? "")).toBeUndefined();
    expect(w("decoder2.1/mode", "dynamic_ram_1")).toBeUndefined();
    expect(w("decoder2.1/dpa_size", "0x20000000")).toBeUndefined();
    expect(w("region2/target0", "decoder2.1")).toBe("EBUSY");
    expect(w("region0/commit", "1")).toBeUndefined();
    expect(w("region2/target0", "decoder2.1")).toBeUndefined();
  });

  it("R66: the region's size is its whole HPA window, with or without extents", async () => {
    await dcRegion("decoder2.0", "0x40000000");
    expect(r("region0/size")).toBe("0x40000000");
    expect(dev.acceptedExtents(0)).toEqual([]);
    const region = b.cxl.region("region0");
    expect(region?.size).toBe(GIB);
    expect(region?.hpaStart).toBe(0x10_0000_0000);
  });

  it("commit is ENXIO until every target is attached; a bind of an uncommitted region is refused with ENXIO", async () => {
    expect(w("decoder0.0/create_dynamic_ram_1_region", "region0")).toBeUndefined();
    await b.host.settle();
    let before = sysfsState(b.sysfs);
    expect(w("region0/commit", "1")).toBe("ENXIO");
    expect(sysfsState(b.sysfs)).toEqual(before);
    for (const [f, v] of [["interleave_granularity", "256"], ["interleave_ways", "1"], ["size", "0x40000000"]]) expect(w(`region0/${f ?? ""}`, v ?? "")).toBeUndefined();
    before = sysfsState(b.sysfs);
    expect(w("region0/commit", "1")).toBe("ENXIO");
    expect(sysfsState(b.sysfs)).toEqual(before);
    await expect(b.host.bus("cxl")?.bind("region0", "cxl_region")).rejects.toMatchObject({ code: "ENXIO" });
    expect(b.sysfs.exists(`${DEV}/region0/driver`)).toBe(false);
  });

  it("disable (unbind) keeps the region committed; reset (commit 0) releases the driver and the decoders", async () => {
    await dcRegion();
    expect(w("../drivers/cxl_region/bind", "region0")).toBeUndefined();
    await b.host.settle();
    expect(w("../drivers/cxl_region/unbind", "region0")).toBeUndefined();
    await b.host.settle();
    expect(b.sysfs.exists(`${DEV}/region0/driver`)).toBe(false);
    expect(r("region0/commit")).toBe("1");
    expect(w("../drivers/cxl_region/bind", "region0")).toBeUndefined();
    await b.host.settle();
    expect(w("region0/commit", "0")).toBeUndefined();
    await b.host.settle();
    expect(b.sysfs.exists(`${DEV}/region0/driver`)).toBe(false);
    expect(r("region0/commit")).toBe("0");
    expect(r("endpoint2/decoders_committed")).toBe("0");
    expect(r("port1/decoders_committed")).toBe("0");
    expect(b.cxl.region("region0")?.state).toBe("active");
    // Re-commit and bind again.
    expect(w("region0/commit", "1")).toBeUndefined();
    expect(w("../drivers/cxl_region/bind", "region0")).toBeUndefined();
    await b.host.settle();
    expect(b.cxl.region("region0")?.driver?.name).toBe("cxl_region");
  });

  it("destroy: delete_region unbinds, detaches the decoders and frees the HPA and the name", async () => {
    await dcRegion();
    expect(w("../drivers/cxl_region/bind", "region0")).toBeUndefined();
    await b.host.settle();
    expect(w("decoder0.0/delete_region", "region0")).toBeUndefined();
    // A second delete of the same name is ENODEV at once.
    expect(w("decoder0.0/delete_region", "region0")).toBe("ENODEV");
    await b.host.settle();
    expect(b.sysfs.exists(`${DEV}/region0`)).toBe(false);
    expect(r("decoder2.0/region")).toBe("");
    expect(r("decoder1.0/region")).toBe("");
    expect(r("endpoint2/decoders_committed")).toBe("0");
    // The DPA stays allocated (as the kernel); the region id is reused.
    expect(r("decoder2.0/dpa_size")).toBe("0x0000000040000000");
    expect(r("decoder0.0/create_dynamic_ram_1_region")).toBe("region0");
    const again = await dcRegion("decoder2.0", "0x40000000");
    expect(again).toBe("region0");
    expect(r("region0/resource")).toBe("0x1000000000");
  });

  it("bad input on region and root decoder files fails with the kernel's errno and changes nothing", async () => {
    expect(w("decoder0.0/create_dynamic_ram_1_region", "region0")).toBeUndefined();
    await b.host.settle();
    const before = sysfsState(b.sysfs);
    const cases: [string, string, string][] = [
      ["decoder0.0/create_dynamic_ram_1_region", "regionX", "EINVAL"],
      ["decoder0.0/create_dynamic_ram_1_region", "foo", "EINVAL"],
      ["decoder0.0/create_dynamic_ram_1_region", "region7", "EBUSY"],
      ["decoder0.0/create_dynamic_ram_1_region", "region0", "EBUSY"],
      ["decoder0.0/delete_region", "region9", "ENODEV"],
      ["decoder0.0/delete_region", "", "ENODEV"],
      ["decoder0.0/start", "0", "EACCES"],
      ["region0/interleave_ways", "one", "EINVAL"],
      ["region0/interleave_ways", "-1", "EINVAL"],
      ["region0/interleave_granularity", "100", "EINVAL"],
      ["region0/interleave_granularity", "32768", "EINVAL"],
      ["region0/interleave_granularity", "x", "EINVAL"],
      ["region0/size", "0x40000000", "ENXIO"], // ways and granularity not set yet
      ["region0/size", "big", "EINVAL"],
      ["region0/commit", "maybe", "EINVAL"],
      ["region0/commit", "1", "ENXIO"],
      ["region0/uuid", "4a9f6d2c-2f45-4e0c-9c43-6f8f3a4f1d10", "EACCES"],
      ["region0/mode", "ram", "EACCES"],
      ["region0/resource", "0", "EACCES"],
    ];
    for (const [path, value, code] of cases) expect([path, value, w(path, value)]).toEqual([path, value, code]);
    expect(sysfsState(b.sysfs)).toEqual(before);
    // With ways and granularity set: size and target input.
    expect(w("region0/interleave_granularity", "256")).toBeUndefined();
    expect(w("region0/interleave_ways", "1")).toBeUndefined();
    const configured = sysfsState(b.sysfs);
    const more: [string, string, string][] = [
      ["region0/size", "0x1000", "EINVAL"],
      ["region0/size", "0x10000001", "EINVAL"],
      ["region0/size", "0x200000000", "ERANGE"], // larger than the 4 GiB window
      ["region0/target0", "decoder2.0", "ENODEV"], // no mode yet: a "dead" decoder comes first
    ];
    for (const [path, value, code] of more) expect([path, value, w(path, value)]).toEqual([path, value, code]);
    expect(sysfsState(b.sysfs)).toEqual(configured);
    expect(w("region0/size", "0x40000000")).toBeUndefined();
    const sized = sysfsState(b.sysfs);
    const targets: [string, string, string][] = [
      ["region0/target0", "decoder9.9", "ENODEV"],
      ["region0/target0", "mem0", "EINVAL"],
      ["region0/target0", "decoder1.0", "EINVAL"],
      ["region0/target0", "decoder2.0", "ENODEV"], // no mode: a dead decoder
      ["region0/target1", "decoder2.0", "ENOENT"], // only target0 exists for 1 way
      ["region0/interleave_ways", "1", "EBUSY"],
      ["region0/interleave_granularity", "512", "EBUSY"],
      ["region0/size", "0x80000000", "EBUSY"],
    ];
    for (const [path, value, code] of targets) expect([path, value, w(path, value)]).toEqual([path, value, code]);
    expect(sysfsState(b.sysfs)).toEqual(sized);
    // dpa_size must equal the region size for 1 way.
    expect(w("decoder2.0/mode", "dynamic_ram_1")).toBeUndefined();
    expect(w("decoder2.0/dpa_size", "0x20000000")).toBeUndefined();
    const allocated = sysfsState(b.sysfs);
    expect(w("region0/target0", "decoder2.0")).toBe("EINVAL");
    expect(sysfsState(b.sysfs)).toEqual(allocated);
  });

  it("a decoder attached to a region cannot change its DPA; a committed one cannot change mode", async () => {
    await dcRegion();
    const before = sysfsState(b.sysfs);
    expect(w("decoder2.0/dpa_size", "0")).toBe("EBUSY");
    expect(w("decoder2.0/mode", "ram")).toBe("EBUSY");
    expect(w("region0/size", "0")).toBe("EBUSY");
    expect(sysfsState(b.sysfs)).toEqual(before);
    expect(b.cxl.endpointDecoder("decoder2.0")).toBeInstanceOf(CxlEndpointDecoder);
  });
});
