/**
 * The sysfs tree the CXL core builds, against the layout real ndctl 76.1 reads
 * (shared/reference/real-ndctl.md, "(a) The minimal tree that works"): paths, relative links and
 * attribute formats (`%#llx` with zero as `0`, `%pa` for dpa_size, decimal counts).
 */
import { useLeakCheck } from "@dcd/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createHost } from "../host/host.js";
import { cxlCoreModule } from "./cxl-core.js";
import { CXL_DEVICE } from "./bus.js";
import { type CxlBoot, GIB, ScriptedDcTransport } from "./test-support/cxl-host.js";
import { CxlTopology, cxlOf } from "./topology.js";
import { OPCODE } from "./wire/opcodes.js";
import { KERNEL_LOG } from "./kernel-log.js";

const REF = "/sys/devices/platform/ACPI0017:00/root0";
const MEM = "/sys/devices/pci0000:34/0000:34:00.0/0000:35:00.0/mem0";

/** The reference topology: one host bridge, one root port, mem0 (4 GiB ram) with a 1 GiB ram auto-region. */
async function referenceHost(): Promise<CxlBoot> {
  const host = await createHost({ name: "ref", drivers: [cxlCoreModule({ extents: false })] });
  const transport = new ScriptedDcTransport([]);
  const topo = await CxlTopology.attach(host, {
    hostBridges: [{ uid: 0, decoders: 1, ports: [{}] }],
    windows: [{ base: 0x10_0000_0000, size: 4 * GIB, targets: [0], ram: true, pmem: true }],
    memdevs: [
      {
        at: "0000:34:00.0",
        transport,
        ramSize: 4 * GIB,
        serial: 0x3a7b9c0d1e2f0001n,
        decoders: 1,
        commands: [OPCODE.GET_EVENT_RECORDS, OPCODE.CLEAR_EVENT_RECORDS],
        autoRegion: { window: 0, mode: "ram", size: GIB },
      },
    ],
  });
  const cxl = cxlOf(host);
  return { host, cxl, topo, log: host.container.resolve(KERNEL_LOG), sysfs: host.sysfs, memdevs: cxl.memdevs(), dispose: () => host.dispose() };
}

describe("sysfs layout (real ndctl 76.1 contract)", () => {
  useLeakCheck();
  let b: CxlBoot | undefined;
  afterEach(async () => {
    await b?.dispose();
    b = undefined;
  });

  it("reproduces every entry of the reference minimal tree", async () => {
    b = await referenceHost();
    const s = b.sysfs;
    const links: Record<string, string> = {
      "/sys/bus/cxl/devices/root0": "../../../devices/platform/ACPI0017:00/root0",
      "/sys/bus/cxl/devices/mem0": "../../../devices/pci0000:34/0000:34:00.0/0000:35:00.0/mem0",
      [`${REF}/dport0`]: "../../../pci0000:34",
      "/sys/devices/pci0000:34/firmware_node": "../LNXSYSTM:00/LNXSYBUS:00/ACPI0016:00",
      [`${REF}/decoder0.0/region0/driver`]: "../../../../../../bus/cxl/drivers/cxl_region",
      [`${REF}/port1/uport`]: "../../../../pci0000:34",
      [`${REF}/port1/dport0`]: "../../../../pci0000:34/0000:34:00.0",
      [`${REF}/port1/driver`]: "../../../../../bus/cxl/drivers/cxl_port",
      [`${REF}/port1/endpoint2/uport`]: "../../../../../pci0000:34/0000:34:00.0/0000:35:00.0/mem0",
      [`${REF}/port1/endpoint2/driver`]: "../../../../../../bus/cxl/drivers/cxl_port",
      [`${MEM}/driver`]: "../../../../../bus/cxl/drivers/cxl_mem",
    };
    for (const [path, target] of Object.entries(links)) expect([path, s.readlink(path)]).toEqual([path, target]);
    // root0/uport points at root0's own parent. The kernel writes "../../ACPI0017:00"
    // (kernfs_get_target_path climbs to an ancestor of the target's parent); dcd's SysfsTree
    // shortens it to "..": same target, reported to the sysfs owner.
    expect(s.realpath(`${REF}/uport`)).toBe("/sys/devices/platform/ACPI0017:00");
    expect(s.lstat("/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0016:00")?.type).toBe("dir");
    const values: Record<string, string> = {
      [`${REF}/decoder0.0/start`]: "0x1000000000",
      [`${REF}/decoder0.0/size`]: "0x100000000",
      [`${REF}/decoder0.0/interleave_ways`]: "1",
      [`${REF}/decoder0.0/target_list`]: "0",
      [`${REF}/decoder0.0/cap_pmem`]: "1",
      [`${REF}/decoder0.0/cap_ram`]: "1",
      [`${REF}/decoder0.0/cap_type3`]: "1",
      [`${REF}/decoder0.0/region0/uuid`]: "",
      [`${REF}/decoder0.0/region0/size`]: "0x40000000",
      [`${REF}/decoder0.0/region0/resource`]: "0x1000000000",
      [`${REF}/decoder0.0/region0/interleave_ways`]: "1",
      [`${REF}/decoder0.0/region0/interleave_granularity`]: "256",
      [`${REF}/decoder0.0/region0/commit`]: "1",
      [`${REF}/decoder0.0/region0/target0`]: "decoder2.0",
      [`${REF}/port1/decoder1.0/start`]: "0x1000000000",
      [`${REF}/port1/decoder1.0/size`]: "0x40000000",
      [`${REF}/port1/decoder1.0/interleave_ways`]: "1",
      [`${REF}/port1/decoder1.0/target_list`]: "0",
      [`${REF}/port1/decoder1.0/region`]: "region0",
      [`${REF}/port1/endpoint2/decoder2.0/start`]: "0x1000000000",
      [`${REF}/port1/endpoint2/decoder2.0/size`]: "0x40000000",
      [`${REF}/port1/endpoint2/decoder2.0/interleave_ways`]: "1",
      [`${REF}/port1/endpoint2/decoder2.0/region`]: "region0",
      [`${REF}/port1/endpoint2/decoder2.0/mode`]: "ram",
      [`${REF}/port1/endpoint2/decoder2.0/dpa_resource`]: "0",
      [`${REF}/port1/endpoint2/decoder2.0/dpa_size`]: "0x0000000040000000",
      [`${MEM}/ram/size`]: "0x100000000",
      [`${MEM}/pmem/size`]: "0",
      [`${MEM}/payload_max`]: "2048",
      [`${MEM}/label_storage_size`]: "0",
      [`${MEM}/firmware_version`]: "FW 1.0.0",
      [`${MEM}/serial`]: "0x3a7b9c0d1e2f0001",
      [`${MEM}/numa_node`]: "0",
    };
    for (const [path, value] of Object.entries(values)) expect([path, s.read(path)]).toEqual([path, `${value}\n`]);
    // root0 has no driver link (no driver binds cxl:t4).
    expect(s.lstat(`${REF}/driver`)).toBeUndefined();
  });

  it("adds the 'full build' decoration: devtype, modalias, subsystem, bus links, flush", async () => {
    b = await referenceHost();
    const s = b.sysfs;
    const expectations: [string, string, string][] = [
      [REF, "cxl_port", "cxl:t4"],
      [`${REF}/port1`, "cxl_port", "cxl:t3"],
      [`${REF}/decoder0.0`, "cxl_decoder_root", "cxl:t0"],
      [`${REF}/port1/decoder1.0`, "cxl_decoder_switch", "cxl:t0"],
      [`${REF}/port1/endpoint2/decoder2.0`, "cxl_decoder_endpoint", "cxl:t0"],
      [MEM, "cxl_memdev", "cxl:t5"],
      [`${REF}/decoder0.0/region0`, "cxl_region", "cxl:t6"],
    ];
    for (const [dir, devtype, modalias] of expectations) {
      expect([dir, s.read(`${dir}/devtype`), s.read(`${dir}/modalias`)]).toEqual([dir, `${devtype}\n`, `${modalias}\n`]);
      expect(s.realpath(`${dir}/subsystem`)).toBe("/sys/bus/cxl");
    }
    expect(s.read(`${REF}/decoder0.0/region0/mode`)).toBe("ram\n");
    expect(s.read(`${REF}/decoder0.0/create_ram_region`)).toBe("region1\n");
    expect(s.read(`${REF}/decoder0.0/create_pmem_region`)).toBe("region1\n");
    expect(s.read(`${REF}/decoder0.0/locked`)).toBe("0\n");
    expect(s.read(`${REF}/decoder0.0/cap_type2`)).toBe("0\n");
    expect(s.read(`${REF}/port1/decoder1.0/target_type`)).toBe("expander\n");
    expect(s.read(`${MEM}/dev`)).toBe("240:0\n");
    expect(s.read(`${MEM}/security/state`)).toBe("disabled\n");
    expect(s.realpath("/sys/dev/char/240:0")).toBe(MEM);
    expect(s.lstat("/sys/bus/cxl/flush")?.mode).toBe(0o200);
    for (const d of ["port1", "endpoint2", "decoder0.0", "decoder1.0", "decoder2.0", "region0"]) expect(s.lstat(`/sys/bus/cxl/devices/${d}`)?.type).toBe("link");
    expect(s.read(`${REF}/decoder0.0/region0/uevent`)).toBe("DEVTYPE=cxl_region\nDRIVER=cxl_region\nMODALIAS=cxl:t6\n");
    expect(CXL_DEVICE.REGION).toBe(6);
    // The DC partition group exists with nothing visible in it on a device without DCD.
    expect(s.list(`${MEM}/dynamic_ram_1`)).toEqual([]);
  });

  it("cxl_test flavor: cxl_acpi.0 is the root's uport, cxl_host_bridge.0 its dport", async () => {
    const host = await createHost({ name: "t", drivers: [cxlCoreModule({ extents: false })] });
    try {
      await CxlTopology.attach(host, { flavor: "cxl_test", hostBridges: [{ uid: 0, ports: [{}] }], windows: [{ base: 0x10_0000_0000, size: GIB, targets: [0] }] });
      expect(host.sysfs.readlink("/sys/bus/cxl/devices/root0")).toBe("../../../devices/platform/cxl_acpi.0/root0");
      expect(host.sysfs.readlink("/sys/devices/platform/cxl_acpi.0/root0/dport0")).toBe("../../cxl_host_bridge.0");
      expect(host.sysfs.readlink("/sys/devices/platform/cxl_acpi.0/root0/port1/uport")).toBe("../../../cxl_host_bridge.0");
      expect(host.sysfs.readlink("/sys/devices/platform/cxl_acpi.0/root0/port1/dport0")).toBe("../../../cxl_host_bridge.0/cxl_root_port.0");
      expect(host.sysfs.readlink("/sys/bus/platform/devices/cxl_acpi.0/driver")).toBe("../../../bus/platform/drivers/cxl_acpi");
    } finally {
      await host.dispose();
    }
  });
});
