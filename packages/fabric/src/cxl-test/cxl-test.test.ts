/**
 * The cxl_test topology on a dcd host: the kernel mock's device names and layout, the mock memdev
 * geometry (serial 0xDCDC, sharable DC partition, pre/pre2), and the injection files in their
 * documented formats.
 */
import { createHost, CxlExtentCore, cxlCore, cxlCreateRegion, type CxlMemdev, cxlOf, type Host, NULL_UUID } from "@dcd/core";
import { useLeakCheck } from "@dcd/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type DeviceEvent } from "../device/device-events.js";
import { attachCxlTest, type CxlTestTopology, cxlTest } from "./index.js";

const PLAT = "/sys/bus/platform/devices";
const TAG = "deadbeef-cafe-baad-f00d-fedcba987654";
const TAG2 = "5be13bce-ae34-4a77-b6c3-16df975fcf1a";

describe("cxl_test topology", () => {
  useLeakCheck();
  let host: Host | undefined;
  let t: CxlTestTopology | undefined;
  afterEach(async () => {
    await host?.dispose();
    t?.dispose();
    host = undefined;
    t = undefined;
  });

  async function boot(memdevs?: number): Promise<{ host: Host; t: CxlTestTopology }> {
    host = await createHost({ name: "cxl_test", drivers: [cxlCore, cxlTest] });
    t = await attachCxlTest(host, memdevs === undefined ? {} : { memdevs });
    return { host, t };
  }

  function memdevOn(h: Host, platformName: string): CxlMemdev {
    const m = cxlOf(h).memdevs().find((d) => d.state.dev.name === platformName);
    if (m === undefined) throw new Error(`no memdev on ${platformName}`);
    return m;
  }

  const settle = async (h: Host): Promise<void> => {
    await CxlExtentCore.of(h.container).idle();
  };

  it("builds cxl_test's multi-host-bridge layout: cxl_acpi.0, two host bridges, four switches, eight cxl_mem", async () => {
    const { host: h } = await boot();
    const s = h.sysfs;
    expect(s.readlink("/sys/bus/cxl/devices/root0")).toBe("../../../devices/platform/cxl_acpi.0/root0");
    expect(s.list("/sys/devices/platform/cxl_acpi.0/root0").filter((n) => n.startsWith("dport"))).toEqual(["dport0", "dport1"]);
    expect(s.realpath("/sys/devices/platform/cxl_acpi.0/root0/dport1")).toBe("/sys/devices/platform/cxl_host_bridge.1");
    const mems = cxlOf(h).memdevs();
    expect(mems).toHaveLength(8);
    const m0 = memdevOn(h, "cxl_mem.0");
    expect(s.realpath(`/sys/bus/cxl/devices/${m0.name}`)).toBe(`/sys/devices/platform/cxl_host_bridge.0/cxl_root_port.0/cxl_switch_uport.0/cxl_switch_dport.0/cxl_mem.0/${m0.name}`);
    const m5 = memdevOn(h, "cxl_mem.5");
    expect(s.realpath(`/sys/bus/cxl/devices/${m5.name}`)).toBe(`/sys/devices/platform/cxl_host_bridge.1/cxl_root_port.1/cxl_switch_uport.1/cxl_switch_dport.5/cxl_mem.5/${m5.name}`);
    // Root ports carry their platform id as dport id.
    const hbPort = cxlOf(h).ports().find((p) => p.uport.name === "cxl_host_bridge.0");
    expect([...(hbPort?.dports.keys() ?? [])]).toEqual([0, 2]);
    const sw0 = cxlOf(h).ports().find((p) => p.uport.name === "cxl_switch_uport.0");
    expect([...(sw0?.dports.keys() ?? [])]).toEqual([0, 4]);
    expect(s.read("/sys/bus/cxl/devices/decoder0.0/qos_class")).toBe("42\n");
    expect(s.read("/sys/bus/cxl/devices/decoder0.1/target_list")).toBe("0,1\n");
    expect(s.read("/sys/bus/cxl/devices/decoder0.1/interleave_ways")).toBe("2\n");
    expect(s.read("/sys/bus/cxl/devices/decoder0.2/cap_pmem")).toBe("1\n");
  });

  it("has the mock geometry: serial 0xDCDC on cxl_mem.0 with a sharable 512 MiB DC partition at 0x80000000; the others id+1 with pre/pre2", async () => {
    const { host: h, t: topo } = await boot();
    const s = h.sysfs;
    const m0 = memdevOn(h, "cxl_mem.0");
    expect(s.read(`/sys/bus/cxl/devices/${m0.name}/serial`)).toBe("0xdcdc\n");
    expect(s.read(`/sys/bus/cxl/devices/${m0.name}/dynamic_ram_1/size`)).toBe("0x20000000\n");
    expect(s.read(`/sys/bus/cxl/devices/${m0.name}/ram/size`)).toBe("0x40000000\n");
    expect(s.read(`/sys/bus/cxl/devices/${m0.name}/pmem/size`)).toBe("0x40000000\n");
    expect(m0.state.dcPartition).toMatchObject({ start: 0x80000000, size: 512 * 1024 * 1024, blockSize: 512, dsmadHandle: 0xfa, sharable: true });
    expect(topo.devices[0]?.acceptedExtents(0)).toEqual([]);
    const m3 = memdevOn(h, "cxl_mem.3");
    expect(s.read(`/sys/bus/cxl/devices/${m3.name}/serial`)).toBe("0x4\n");
    expect(m3.state.dcPartition?.sharable).toBe(false);
    expect(topo.devices[3]?.acceptedExtents(0).map((e) => [e.dpa, e.len, e.tag])).toEqual([
      [0x88000000, 0x4000000, NULL_UUID],
      [0x90000000, 0x4000000, TAG],
    ]);
  });

  it("puts the injection files on /sys/bus/platform/devices/cxl_mem.N/ (write-only, while cxl_mock_mem is bound)", async () => {
    const { host: h } = await boot(2);
    for (const f of ["dc_inject_extent", "dc_inject_shared_extent", "dc_del_extent", "dc_force_del_extent"]) expect(h.sysfs.lstat(`${PLAT}/cxl_mem.1/${f}`)?.mode).toBe(0o200);
    expect(h.sysfs.readlink(`${PLAT}/cxl_mem.1/driver`)).toBe("../../../../../../../bus/platform/drivers/cxl_mock_mem");
  });

  it("dc_inject_extent / dc_del_extent / dc_force_del_extent: formats, base auto-detect, and the host handling the records", async () => {
    const { host: h, t: topo } = await boot(4);
    const device = topo.devices[2];
    if (device === undefined) throw new Error("cxl_mem.2");
    const m2 = memdevOn(h, "cxl_mem.2");
    await cxlCreateRegion(cxlOf(h), { memdevs: [m2] });
    await settle(h);
    const events: DeviceEvent[] = [];
    const sub = device.events$.subscribe({ next: (e) => events.push(e), error: () => undefined });
    try {
      // hex start, decimal length, null tag ("0"), More=0
      h.sysfs.write(`${PLAT}/cxl_mem.2/dc_inject_extent`, `0x98000000:${2 * 1024 * 1024}:0:0`);
      await settle(h);
      expect(device.acceptedExtents(0).map((e) => e.dpa)).toContain(0x98000000);
      // octal start (leading 0), tagged, More=1 then a closing record: one chain, one response.
      h.sysfs.write(`${PLAT}/cxl_mem.2/dc_inject_extent`, `0${(0x9a000000).toString(8)}:0x200000:${TAG2}:1`);
      h.sysfs.write(`${PLAT}/cxl_mem.2/dc_inject_extent`, `0x9a200000:0x200000:${TAG2}:0`);
      await settle(h);
      expect(device.acceptedExtents(0).filter((e) => e.tag === TAG2).map((e) => e.dpa)).toEqual([0x9a000000, 0x9a200000]);
      expect(events.filter((e) => e.type === "extents-offered").map((e) => (e as { more: boolean }).more)).toEqual([false, true, false]);
      // Release of the untagged injected extent: a type-1 record; the host releases it.
      h.sysfs.write(`${PLAT}/cxl_mem.2/dc_del_extent`, "0x98000000:0x200000");
      await settle(h);
      expect(device.acceptedExtents(0).map((e) => e.dpa)).not.toContain(0x98000000);
      // Forced release: a type-2 record; the device revokes at once.
      h.sysfs.write(`${PLAT}/cxl_mem.2/dc_force_del_extent`, `0x90000000:0x4000000:${TAG}`);
      await settle(h);
      expect(events.some((e) => e.type === "forced-release")).toBe(true);
      // A release of capacity the device does not hold is logged and ignored.
      h.sysfs.write(`${PLAT}/cxl_mem.2/dc_del_extent`, "0xb0000000:0x200000");
      expect(cxlOf(h).log.has("dc_del_extent [b0000000, +200000) ignored", "debug")).toBe(true);
    } finally {
      sub.unsubscribe();
    }
  });

  it("dc_inject_shared_extent marks an extent of the sharable partition (cxl_mem.0); elsewhere it is EINVAL", async () => {
    const { host: h, t: topo } = await boot(2);
    const d0 = topo.devices[0];
    if (d0 === undefined) throw new Error("cxl_mem.0");
    const offered: DeviceEvent[] = [];
    const sub = d0.events$.subscribe({ next: (e) => offered.push(e), error: () => undefined });
    h.sysfs.write(`${PLAT}/cxl_mem.0/dc_inject_shared_extent`, `0x80000000:0x200000:${TAG2}:0:0`);
    sub.unsubscribe();
    expect(offered.find((e) => e.type === "extents-offered")).toMatchObject({ extents: [{ dpa: 0x80000000, len: 0x200000, tag: TAG2, sharedSeq: 0 }] });
    expect(() => {
      h.sysfs.write(`${PLAT}/cxl_mem.1/dc_inject_shared_extent`, `0x80000000:0x200000:${TAG2}:0:0`);
    }).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });

  it("bad injection input fails with EINVAL and logs nothing in the device", async () => {
    const { host: h, t: topo } = await boot(2);
    const d1 = topo.devices[1];
    if (d1 === undefined) throw new Error("cxl_mem.1");
    const logged = d1.logicalDevice(0).eventLog.length;
    const bad: [string, string][] = [
      ["dc_inject_extent", "0x80000000:0x200000:0"],
      ["dc_inject_extent", "0x80000000:0x200000:0:0:0:0"],
      ["dc_inject_extent", "start:0x200000:0:0"],
      ["dc_inject_extent", "0x80000000:0x200000:not-a-uuid:0"],
      ["dc_inject_extent", "0x80000000:0x200000:0:maybe"],
      ["dc_inject_extent", "0x80000000:0:0:0"],
      ["dc_inject_extent", "0x80000000:0x200000:0:0:x"],
      ["dc_del_extent", "0x88000000"],
      ["dc_del_extent", "0x88000000:0x4000000:nope"],
      ["dc_force_del_extent", "a:b"],
    ];
    for (const [file, value] of bad) {
      expect(() => {
        h.sysfs.write(`${PLAT}/cxl_mem.1/${file}`, value);
      }).toThrow(expect.objectContaining({ code: "EINVAL" }));
    }
    expect(d1.logicalDevice(0).eventLog.length).toBe(logged);
  });
});
