/**
 * The cxl bus (match by device id, `MODALIAS=cxl:t%d`, the probe wrapper) and enumeration through
 * the attach API: switches, hot-add and removal of memdevs, deferral until the root exists, ids.
 */
import { type DcdDevice } from "@dcd/fabric";
import { useLeakCheck } from "@dcd/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createHost } from "../host/host.js";
import { type Uevent } from "../driver-model/events.js";
import { CXL_DEVICE, cxlDeviceId } from "./bus.js";
import { cxlCoreModule } from "./cxl-core.js";
import { CxlRootDecoder } from "./decoder.js";
import { CxlTopology, cxlOf } from "./topology.js";
import { bootCxl, cat, type CxlBoot, dcdDevice, dcdSpec, GIB, writeErr } from "./test-support/cxl-host.js";

describe("cxl bus and enumeration", () => {
  useLeakCheck();
  let b: CxlBoot | undefined;
  const devices: DcdDevice[] = [];
  afterEach(async () => {
    await b?.dispose();
    b = undefined;
    for (const d of devices.splice(0)) d.dispose();
  });

  function device(): DcdDevice {
    const d = dcdDevice();
    devices.push(d);
    return d;
  }

  it("matches by cxl_device_id: cxl_port binds switch and endpoint ports, never the root (cxl:t4); decoders (cxl:t0) stay unbound", async () => {
    const dev = device();
    b = await bootCxl({ memdevs: (slots) => [dcdSpec(dev, slots[0] ?? "")] });
    const byName = (n: string) => b?.cxl.cxlDevice(n);
    expect(byName("root0")?.driver).toBeUndefined();
    expect(byName("port1")?.driver?.name).toBe("cxl_port");
    expect(byName("endpoint2")?.driver?.name).toBe("cxl_port");
    expect(byName("mem0")?.driver?.name).toBe("cxl_mem");
    expect(byName("decoder0.0")?.driver).toBeUndefined();
    expect(byName("decoder2.0")?.driver).toBeUndefined();
    const ids = ["root0", "port1", "endpoint2", "mem0", "decoder0.0", "decoder1.0", "decoder2.0"].map((n) => cxlDeviceId(byName(n) ?? b!.topo.firmwareDevice));
    expect(ids).toEqual([CXL_DEVICE.ROOT, CXL_DEVICE.PORT, CXL_DEVICE.PORT, CXL_DEVICE.MEMORY_EXPANDER, 0, 0, 0]);
    expect(b.sysfs.readlink("/sys/bus/pci/devices/0000:35:00.0/driver")).toBe("../../../../bus/pci/drivers/cxl_pci");
    expect(b.sysfs.readlink("/sys/bus/platform/devices/ACPI0017:00/driver")).toBe("../../../bus/platform/drivers/cxl_acpi");
  });

  it("uevents carry MODALIAS=cxl:t<id> with the kernel's CXL_DEVICE numbers", async () => {
    const host = await createHost({ name: "u", drivers: [cxlCoreModule({ extents: false })] });
    const events: Uevent[] = [];
    const sub = host.events$.subscribe({ next: (e) => { if (e.kind === "uevent" && e.action === "add" && e.env["SUBSYSTEM"] === "cxl") events.push(e); }, error: () => undefined });
    try {
      const dev = device();
      const topo = await CxlTopology.attach(host, { hostBridges: [{ uid: 0, ports: [{}] }], windows: [{ base: 0x10_0000_0000, size: GIB, targets: [0] }] });
      await topo.attachMemdev(dcdSpec(dev, topo.slots()[0] ?? ""));
      const alias = (name: string) => events.find((e) => e.device.name === name)?.env["MODALIAS"];
      expect([alias("root0"), alias("port1"), alias("mem0"), alias("endpoint2"), alias("decoder0.0")]).toEqual(["cxl:t4", "cxl:t3", "cxl:t5", "cxl:t3", "cxl:t0"]);
      expect(events.find((e) => e.device.name === "mem0")?.env["DEVTYPE"]).toBe("cxl_memdev");
    } finally {
      sub.unsubscribe();
      await host.dispose();
    }
  });

  it("enumerates a switch: the memdev's endpoint hangs under the switch port, which hangs under the host bridge port", async () => {
    const dev = device();
    const host = await createHost({ name: "sw", drivers: [cxlCoreModule({ extents: false })] });
    try {
      const topo = await CxlTopology.attach(host, {
        hostBridges: [{ uid: 0, ports: [{ switch: { ports: [{}, {}] } }] }],
        windows: [{ base: 0x10_0000_0000, size: 4 * GIB, targets: [0] }],
      });
      expect(topo.slots()).toEqual(["0000:36:00.0", "0000:36:01.0"]);
      const mem = await topo.attachMemdev(dcdSpec(dev, "0000:36:01.0"));
      expect(mem?.name).toBe("mem0");
      const s = host.sysfs;
      expect(s.readlink("/sys/bus/cxl/devices/mem0")).toBe("../../../devices/pci0000:34/0000:34:00.0/0000:35:00.0/0000:36:01.0/0000:38:00.0/mem0");
      expect(s.readlink("/sys/bus/cxl/devices/endpoint3")).toBe("../../../devices/platform/ACPI0017:00/root0/port1/port2/endpoint3");
      expect(s.readlink("/sys/devices/platform/ACPI0017:00/root0/port1/port2/uport")).toBe("../../../../../pci0000:34/0000:34:00.0/0000:35:00.0");
      expect(s.readlink("/sys/devices/platform/ACPI0017:00/root0/port1/port2/parent_dport")).toBe("../../../../../pci0000:34/0000:34:00.0");
      expect(s.readlink("/sys/devices/platform/ACPI0017:00/root0/port1/port2/dport1")).toBe("../../../../../pci0000:34/0000:34:00.0/0000:35:00.0/0000:36:01.0");
      // A DC region through the switch programs one decoder per level.
      const cxl = cxlOf(host);
      const write = (p: string, v: string) => writeErr(s, `/sys/bus/cxl/devices/${p}`, v);
      expect(write("decoder0.0/create_dynamic_ram_1_region", "region0")).toBeUndefined();
      await host.settle();
      for (const [p, v] of [["region0/interleave_granularity", "256"], ["region0/interleave_ways", "1"], ["decoder3.0/mode", "dynamic_ram_1"], ["decoder3.0/dpa_size", "0x40000000"], ["region0/size", "0x40000000"], ["region0/target0", "decoder3.0"], ["region0/commit", "1"]] as const) expect([p, write(p, v)]).toEqual([p, undefined]);
      expect(cat(s, "/sys/bus/cxl/devices/decoder2.0/target_list")).toBe("1");
      expect(cat(s, "/sys/bus/cxl/devices/decoder1.0/target_list")).toBe("0");
      expect(cat(s, "/sys/bus/cxl/devices/port2/decoders_committed")).toBe("1");
      expect(cxl.region("region0")?.committed).toBe(true);
    } finally {
      await host.dispose();
    }
  });

  it("hot-add and hot-remove of a memdev; ids return to their allocators", async () => {
    const dev = device();
    const dev2 = device();
    b = await bootCxl();
    const slots = b.topo.slots();
    const m0 = await b.topo.attachMemdev(dcdSpec(dev, slots[0] ?? ""));
    const m1 = await b.topo.attachMemdev(dcdSpec(dev2, slots[1] ?? ""));
    expect([m0?.name, m1?.name, m0?.endpoint?.name, m1?.endpoint?.name]).toEqual(["mem0", "mem1", "endpoint2", "endpoint3"]);
    if (m0 === undefined) throw new Error("mem0");
    await b.topo.detachMemdev(m0);
    expect(b.sysfs.exists("/sys/bus/cxl/devices/mem0")).toBe(false);
    expect(b.sysfs.exists("/sys/bus/cxl/devices/endpoint2")).toBe(false);
    expect(b.sysfs.exists("/sys/bus/cxl/devices/decoder2.0")).toBe(false);
    const again = await b.topo.attachMemdev(dcdSpec(dev, slots[0] ?? "", { name: "0000:35:00.0" }));
    expect([again?.name, again?.endpoint?.name]).toEqual(["mem0", "endpoint2"]);
    await expect(b.topo.attachMemdev(dcdSpec(dev, slots[0] ?? ""))).rejects.toMatchObject({ code: "EBUSY" });
    await expect(b.topo.attachMemdev(dcdSpec(dev, "0000:99:00.0"))).rejects.toMatchObject({ code: "ENODEV" });
  });

  it("cxl_mem defers until the CXL root exists, then enumerates (cxl_bus_rescan)", async () => {
    const dev = device();
    // Memdevs at boot are plugged before ACPI0017 appears: their cxl_mem probe defers first.
    b = await bootCxl({ memdevs: (slots) => [dcdSpec(dev, slots[0] ?? "")] });
    expect(b.cxl.memdev("mem0")?.endpoint?.name).toBe("endpoint2");
    expect(b.host.core.deferredDevices()).toEqual([]);
  });

  it("unbinding cxl_acpi tears the topology down, regions first, and frees every id", async () => {
    const dev = device();
    b = await bootCxl({ memdevs: (slots) => [dcdSpec(dev, slots[0] ?? "", { autoRegion: { window: 0, mode: "dynamic_ram", size: GIB } })] });
    expect(b.cxl.region("region0")?.driver?.name).toBe("cxl_region");
    expect(writeErr(b.sysfs, "/sys/bus/platform/drivers/cxl_acpi/unbind", "ACPI0017:00")).toBeUndefined();
    await b.host.settle();
    expect(b.sysfs.exists("/sys/bus/cxl/devices/root0")).toBe(false);
    expect(b.sysfs.exists("/sys/bus/cxl/devices/region0")).toBe(false);
    expect(b.cxl.rootDecoders()).toEqual([]);
    // mem0 survives (it belongs to cxl_pci); cxl_mem unbound with its endpoint.
    expect(b.cxl.memdev("mem0")).toBeDefined();
    expect(b.cxl.memdev("mem0")?.endpoint).toBeUndefined();
    expect(b.cxl.portIda.has(0)).toBe(false);
    expect(b.cxl.memregionIda.has(0)).toBe(false);
    // Rebinding rebuilds it (a fresh root0; the auto-region's firmware programming is replayed).
    expect(writeErr(b.sysfs, "/sys/bus/platform/drivers/cxl_acpi/bind", "ACPI0017:00")).toBeUndefined();
    await b.host.settle();
    expect(b.cxl.rootDecoders().map((d) => d.name)).toEqual(["decoder0.0", "decoder0.1"]);
    expect(b.cxl.rootDecoders()[0]).toBeInstanceOf(CxlRootDecoder);
  });
});
