/**
 * R1-R7: what the memdev probe reads about Dynamic Capacity and when it gives DCD up. Every
 * failure disables DCD only: the memdev, its static partitions and its ram regions keep working.
 */
import { useLeakCheck } from "@dcd/testing";
import { afterEach, describe, expect, it } from "vitest";
import { OPCODE } from "./wire/opcodes.js";
import { bootCxl, cat, type CxlBoot, dcdDevice, dcdSpec, dcRegion, GIB, MIB, ScriptedDcTransport, writeErr } from "./test-support/cxl-host.js";
import { type DcRegionConfig } from "./wire/dc-config.js";
import { type CdatDsmas } from "./memdev.js";
import { type DcdDevice } from "@dcd/fabric";

const RAM = 2 * GIB;

describe("Dynamic Capacity configuration (R1-R7)", () => {
  useLeakCheck();
  let boot: CxlBoot | undefined;
  const devices: DcdDevice[] = [];
  afterEach(async () => {
    await boot?.dispose();
    boot = undefined;
    for (const d of devices.splice(0)) d.dispose();
  });

  /** Boot one memdev (2 GiB ram) on a scripted 4800h transport. */
  async function bootScripted(regions: readonly DcRegionConfig[], options: ConstructorParameters<typeof ScriptedDcTransport>[1] = {}, extra: { cdat?: CdatDsmas[]; pmemSize?: number } = {}): Promise<{ b: CxlBoot; t: ScriptedDcTransport }> {
    const t = new ScriptedDcTransport(regions, options);
    boot = await bootCxl({ memdevs: (slots) => [{ at: slots[0] ?? "", transport: t, ramSize: RAM, pmemSize: extra.pmemSize ?? 0, cdat: extra.cdat ?? [] }] });
    return { b: boot, t };
  }

  function mem0(b: CxlBoot) {
    const m = b.cxl.memdev("mem0");
    if (m === undefined) throw new Error("mem0 missing");
    return m;
  }

  /** DCD is off, the DC partition absent, and the static partition still usable for a ram region. */
  function expectDcdDisabledStaticOk(b: CxlBoot): void {
    const m = mem0(b);
    expect(m.state.dcdSupported).toBe(false);
    expect(m.state.partitionSize("dynamic_ram")).toBe(0);
    expect(b.sysfs.exists("/sys/bus/cxl/devices/mem0/dynamic_ram_1/size")).toBe(false);
    expect(cat(b.sysfs, "/sys/bus/cxl/devices/mem0/ram/size")).toBe("0x80000000");
    expect(m.driver?.name).toBe("cxl_mem");
    // The static capacity is still allocatable.
    expect(writeErr(b.sysfs, "/sys/bus/cxl/devices/decoder2.0/mode", "ram")).toBeUndefined();
    expect(writeErr(b.sysfs, "/sys/bus/cxl/devices/decoder2.0/dpa_size", "0x10000000")).toBeUndefined();
    expect(writeErr(b.sysfs, "/sys/bus/cxl/devices/decoder2.1/mode", "dynamic_ram_1")).toBe("EINVAL");
  }

  it("R1: reads every DC region with 4800h, paging by start index", async () => {
    const regions = [dcRegion(RAM, GIB), dcRegion(RAM + GIB, GIB, { dsmadHandle: 2 }), dcRegion(RAM + 2 * GIB, 512 * MIB, { dsmadHandle: 3 })];
    const { b, t } = await bootScripted(regions, { perPage: 1 });
    expect(t.requests.map((r) => r.startRegion)).toEqual([0, 1, 2]);
    const m = mem0(b);
    expect(m.state.dcRegions.map((r) => [r.index, r.start, r.size])).toEqual([
      [0, RAM, GIB],
      [1, RAM + GIB, GIB],
      [2, RAM + 2 * GIB, 512 * MIB],
    ]);
    expect(m.state.dcdSupported).toBe(true);
  });

  it("R1: a page that returns no region while more are announced is EIO: DCD disabled", async () => {
    const { b } = await bootScripted([dcRegion(RAM, GIB)], { numRegions: 2 });
    expect(b.log.has("Device reported 2 partitions available but returned none at index 1", "err")).toBe(true);
    expect(b.log.has("Failed to read Dynamic Capacity config: -5", "warn")).toBe(true);
    expectDcdDisabledStaticOk(b);
  });

  it("R1/R3: a device with no DC region is refused (0 returned)", async () => {
    const { b } = await bootScripted([], { numRegions: 0 });
    expect(b.log.has("Device reported 0 partitions available but returned none at index 0", "err")).toBe(true);
    expectDcdDisabledStaticOk(b);
  });

  it("R1/R3: more than 8 DC regions is EINVAL", async () => {
    const regions = Array.from({ length: 9 }, (_, i) => dcRegion(RAM + i * GIB, GIB, { dsmadHandle: i }));
    const { b } = await bootScripted(regions, { perPage: 8 });
    expect(b.log.has("Invalid num of dynamic capacity partitions 9", "err")).toBe(true);
    expect(b.log.has("Failed to read Dynamic Capacity config: -22", "warn")).toBe(true);
    expectDcdDisabledStaticOk(b);
  });

  it("R1: a failing 4800h (mailbox error) disables DCD with the rc's errno", async () => {
    const { b } = await bootScripted([dcRegion(RAM, GIB)], { rc: 0x03 });
    expect(b.log.has("Failed to get DC config: -6", "err")).toBe(true);
    expect(b.log.has("Failed to read Dynamic Capacity config: -6", "warn")).toBe(true);
    expectDcdDisabledStaticOk(b);
  });

  describe("R2/R3: cxl_dc_check refuses bad geometry with -EINVAL and its log line", () => {
    const cases: { name: string; regions: DcRegionConfig[]; log: string }[] = [
      { name: "DPA ordering violation", regions: [dcRegion(RAM, 2 * GIB), dcRegion(RAM + GIB, GIB, { dsmadHandle: 2 })], log: "DPA ordering violation for DC partition 0 and 1" },
      { name: "base not 256 MiB aligned", regions: [dcRegion(RAM + 2 * MIB, GIB)], log: `DC partition 0 invalid start ${RAM + 2 * MIB} blk size ${2 * MIB}` },
      { name: "length 0", regions: [dcRegion(RAM, GIB, { length: 0 })], log: `DC partition 0 invalid length; size ${GIB} len 0 blk size ${2 * MIB}` },
      { name: "length > decode length", regions: [dcRegion(RAM, GIB, { length: 2 * GIB })], log: `DC partition 0 invalid length; size ${GIB} len ${2 * GIB} blk size ${2 * MIB}` },
      { name: "length not block aligned", regions: [dcRegion(RAM, GIB, { length: GIB - MIB })], log: `DC partition 0 invalid length; size ${GIB} len ${GIB - MIB} blk size ${2 * MIB}` },
      { name: "decode length 0", regions: [dcRegion(RAM, 0, { length: 2 * MIB })], log: `DC partition 0 invalid length; size 0 len ${2 * MIB} blk size ${2 * MIB}` },
      { name: "block size 0", regions: [dcRegion(RAM, GIB, { blockSize: 0 })], log: `DC partition 0 invalid length; size ${GIB} len ${GIB} blk size 0` },
      { name: "block size not a multiple of 0x40", regions: [dcRegion(RAM, GIB, { blockSize: 0x20 })], log: "DC partition 0 invalid block size 32" },
      { name: "block size not a power of 2", regions: [dcRegion(RAM, GIB, { blockSize: 0xc0, length: 0xc0 * 1024 * 1024 })], log: "DC partition 0 invalid block size 192" },
      { name: "DSMAD handle above bit 7 (L11)", regions: [dcRegion(RAM, GIB, { dsmadHandle: 0x1fa })], log: "DC partition 0 DSMAD handle 0x1fa has non-zero reserved bits" },
    ];
    for (const c of cases) {
      it(`R2/R3: ${c.name}`, async () => {
        const { b } = await bootScripted(c.regions);
        expect(b.log.has("Failed to read Dynamic Capacity config: -22", "warn")).toBe(true);
        expect(b.log.has(c.log, "err")).toBe(true);
        expectDcdDisabledStaticOk(b);
      });
    }

    it("R3: base not block aligned is refused as an invalid start", async () => {
      // 2 GiB + 256 MiB is 256 MiB aligned but not 512 MiB (block) aligned.
      const { b } = await bootScripted([dcRegion(RAM + 256 * MIB, GIB, { blockSize: 512 * MIB })]);
      expect(b.log.has(`DC partition 0 invalid start ${RAM + 256 * MIB} blk size ${512 * MIB}`, "err")).toBe(true);
      expectDcdDisabledStaticOk(b);
    });

    it("R3: a bad second region disables DCD even though the first is fine", async () => {
      const { b } = await bootScripted([dcRegion(RAM, GIB), dcRegion(RAM + GIB, GIB, { blockSize: 0x30 })]);
      expect(b.log.has("DC partition 1 invalid block size 48", "err")).toBe(true);
      expectDcdDisabledStaticOk(b);
    });

    it("R3: v9/v10 do not check the DSMAD handle's reserved bits", async () => {
      const t = new ScriptedDcTransport([dcRegion(RAM, GIB, { dsmadHandle: 0x1fa })]);
      boot = await bootCxl({ profile: "v10", memdevs: (slots) => [{ at: slots[0] ?? "", transport: t, ramSize: RAM }] });
      expect(mem0(boot).state.dcdSupported).toBe(true);
      expect(cat(boot.sysfs, "/sys/bus/cxl/devices/mem0/dynamic_ram_a/size")).toBe("0x40000000");
    });
  });

  it("R4: only the first DC region is used, sized by Decode Length (not Length)", async () => {
    const dev = dcdDevice({
      partitions: [
        { base: RAM, decodeLength: GIB, length: 512 * MIB, blockSize: 2 * MIB, dsmadHandle: 1 },
        { base: RAM + GIB, decodeLength: GIB, length: GIB, blockSize: 2 * MIB, dsmadHandle: 2 },
      ],
    });
    devices.push(dev);
    boot = await bootCxl({ memdevs: (slots) => [dcdSpec(dev, slots[0] ?? "")] });
    const m = mem0(boot);
    expect(m.state.dcRegions).toHaveLength(2);
    expect(m.state.partitions.map((p) => [p.mode, p.start, p.size])).toEqual([
      ["ram", 0, RAM],
      ["pmem", RAM, 0],
      ["dynamic_ram", RAM, GIB],
    ]);
    expect(cat(boot.sysfs, "/sys/bus/cxl/devices/mem0/dynamic_ram_1/size")).toBe("0x40000000");
  });

  it("R4: a DC partition that does not start where pmem ends disables DCD", async () => {
    const dev = dcdDevice({ partitions: [{ base: RAM + 256 * MIB, decodeLength: GIB, length: GIB, blockSize: 2 * MIB, dsmadHandle: 1 }] });
    devices.push(dev);
    boot = await bootCxl({ memdevs: (slots) => [dcdSpec(dev, slots[0] ?? "")] });
    expect(boot.log.has("Dynamic Capacity skip from pmem not supported", "warn")).toBe(true);
    expectDcdDisabledStaticOk(boot);
  });

  it("R5: DCD needs all of 4800h-4803h in the Command Effects Log; without them 4800h is never sent", async () => {
    const t = new ScriptedDcTransport([dcRegion(RAM, GIB)]);
    boot = await bootCxl({ memdevs: (slots) => [{ at: slots[0] ?? "", transport: t, ramSize: RAM, commands: [OPCODE.GET_DC_CONFIG, OPCODE.GET_DC_EXTENT_LIST, OPCODE.RELEASE_DC] }] });
    expect(t.requests).toEqual([]);
    expectDcdDisabledStaticOk(boot);
  });

  it("R6: without MSI/MSI-X the probe logs 'DCD requires interrupts, disable DCD'; the partition stays but DC regions refuse the memdev", async () => {
    const t = new ScriptedDcTransport([dcRegion(RAM, GIB)], { msi: false });
    boot = await bootCxl({ memdevs: (slots) => [{ at: slots[0] ?? "", transport: t, ramSize: RAM }] });
    const b = boot;
    expect(b.log.has("No interrupt support, disable event processing.", "info")).toBe(true);
    expect(b.log.has("DCD requires interrupts, disable DCD", "info")).toBe(true);
    const m = mem0(b);
    expect(m.state.dcdSupported).toBe(false);
    // cxl_event_config runs after the DC partition was set up: it stays visible.
    expect(cat(b.sysfs, "/sys/bus/cxl/devices/mem0/dynamic_ram_1/size")).toBe("0x40000000");
    const dev = "/sys/bus/cxl/devices";
    expect(writeErr(b.sysfs, `${dev}/decoder0.0/create_dynamic_ram_1_region`, "region0")).toBeUndefined();
    await b.host.settle();
    for (const [f, v] of [["interleave_granularity", "256"], ["interleave_ways", "1"], ["size", "0x40000000"]] as const) expect(writeErr(b.sysfs, `${dev}/region0/${f}`, v)).toBeUndefined();
    expect(writeErr(b.sysfs, `${dev}/decoder2.0/mode`, "dynamic_ram_1")).toBeUndefined();
    expect(writeErr(b.sysfs, `${dev}/decoder2.0/dpa_size`, "0x40000000")).toBeUndefined();
    expect(writeErr(b.sysfs, `${dev}/region0/target0`, "decoder2.0")).toBe("EINVAL");
    expect(b.log.has("DCD unsupported", "debug")).toBe(true);
  });

  it("R7: the DC partition is sharable when the CDAT DSMAS with its DSMAD handle says so", async () => {
    const cdat: CdatDsmas[] = [
      { handle: 0, dpaBase: 0, dpaLength: RAM },
      { handle: 0xfa, dpaBase: RAM, dpaLength: GIB, sharable: true, qosClass: 42 },
    ];
    const { b } = await bootScripted([dcRegion(RAM, GIB, { dsmadHandle: 0xfa })], {}, { cdat });
    const m = mem0(b);
    expect(m.state.dcPartition?.sharable).toBe(true);
    expect(m.state.dcPartition?.qosClass).toBe(42);
    expect(cat(b.sysfs, "/sys/bus/cxl/devices/mem0/dynamic_ram_1/qos_class")).toBe("42");
    expect(b.log.has("Dynamic RAM perf mismatch")).toBe(false);
  });

  it("R7: no DSMAS for the handle: not sharable, no qos_class file", async () => {
    const { b } = await bootScripted([dcRegion(RAM, GIB, { dsmadHandle: 7 })], {}, { cdat: [{ handle: 1, dpaBase: RAM, dpaLength: GIB, sharable: true }] });
    expect(mem0(b).state.dcPartition?.sharable).toBe(false);
    expect(b.sysfs.exists("/sys/bus/cxl/devices/mem0/dynamic_ram_1/qos_class")).toBe(false);
  });

  it("R7: DSMAS entries of one handle that disagree only warn 'Dynamic RAM perf mismatch'", async () => {
    const cdat: CdatDsmas[] = [
      { handle: 3, dpaBase: RAM, dpaLength: GIB, sharable: true, qosClass: 1 },
      { handle: 3, dpaBase: RAM, dpaLength: GIB, sharable: true, qosClass: 2 },
    ];
    const { b } = await bootScripted([dcRegion(RAM, GIB, { dsmadHandle: 3 })], {}, { cdat });
    expect(b.log.has("Dynamic RAM perf mismatch", "warn")).toBe(true);
    const m = mem0(b);
    expect(m.state.dcdSupported).toBe(true);
    expect(m.state.dcPartition?.qosClass).toBe(1);
  });

  it("R7: a fabric device's sharable DC partition is reported sharable through its CDAT", async () => {
    const dev = dcdDevice({ partitions: [{ base: RAM, decodeLength: GIB, length: GIB, blockSize: 2 * MIB, dsmadHandle: 0xfa, sharable: true }] });
    devices.push(dev);
    boot = await bootCxl({ memdevs: (slots) => [dcdSpec(dev, slots[0] ?? "")] });
    expect(mem0(boot).state.dcPartition).toMatchObject({ sharable: true, dsmadHandle: 0xfa, blockSize: 2 * MIB });
  });
});
