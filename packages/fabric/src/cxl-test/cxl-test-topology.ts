/**
 * The kernel's cxl_test topology (tools/testing/cxl/test/cxl.c), built on a dcd host through the
 * CXL core's attach API, with the mock memdevs of tools/testing/cxl/test/mem.c as fabric
 * `DcdDevice`s (geometry: shared/reference/device-and-fabric.md, "Mock device").
 *
 * The multi-host-bridge part of cxl_test, device for device:
 *
 * ```
 * cxl_acpi.0 ─ root0
 *   cxl_host_bridge.0 (uid 0) ─ cxl_root_port.0 ─ cxl_switch_uport.0 ─ cxl_switch_dport.0 ─ cxl_mem.0
 *                        │                                    └─ cxl_switch_dport.4 ─ cxl_mem.4
 *                        └─ cxl_root_port.2 ─ cxl_switch_uport.2 ─ cxl_switch_dport.2 / .6 ─ cxl_mem.2 / .6
 *   cxl_host_bridge.1 (uid 1) ─ cxl_root_port.1 / .3 ─ cxl_switch_uport.1 / .3 ─ dport 1,5 / 3,7 ─ cxl_mem.1,5 / .3,7
 * ```
 *
 * Root port i hangs under host bridge i % 2, switch downstream port i under switch i % 4, and
 * every dport's id is its platform device id, as `mock_cxl_add_dport_by_dev` makes them. The
 * windows are cxl_test's modulo CFMWS 0-3 (ram x1, ram x2, pmem x1, pmem x2; QTG id 42); the
 * single-host-bridge and RCH parts of cxl_test (cxl_mem.8-10) are not modelled.
 *
 * The memdev on platform id 0 has serial 0xDCDC, a sharable DC partition and no pre-injected
 * extents; every other one has serial id+1 and the accepted `pre`/`pre2` extents.
 */
import { type CdatDsmas, type CxlMemdevSpec, type CxlPlatformSpec, CxlTopology, type CxlWindowSpec, type Host, OPCODE } from "@dcd/core";
import { DcdDevice } from "../device/device.js";
import { dcdCdat } from "../host/dcd-memdev.js";

const SZ_256M = 0x1000_0000;
/** cxl_test's `FAKE_QTG_ID`. */
export const CXL_TEST_QTG_ID = 42;
/** cxl_test's `NR_CXL_PORT_DECODERS`: HDM decoders of every mock port and endpoint. */
export const CXL_TEST_PORT_DECODERS = 8;
/** Where dcd places cxl_test's mock CFMWS windows (cxl_test carves them from a 64 GiB pool). */
export const CXL_TEST_WINDOW_BASE = 0x40_0000_0000;

/** `NR_MEM_MULTI`: memdevs of the multi-host-bridge part. */
export const CXL_TEST_MEMDEVS = 8;

/** The mock CFMWS 0-3 (modulo arithmetic), laid out back to back from {@link CXL_TEST_WINDOW_BASE}. */
export function cxlTestWindows(base = CXL_TEST_WINDOW_BASE): CxlWindowSpec[] {
  const w = (offset: number, size: number, targets: number[], ram: boolean): CxlWindowSpec => ({
    base: base + offset,
    size,
    targets,
    granularity: 4096,
    ram,
    pmem: !ram,
    type3: true,
    qosClass: CXL_TEST_QTG_ID,
  });
  return [w(0, SZ_256M * 4, [0], true), w(SZ_256M * 4, SZ_256M * 8, [0, 1], true), w(SZ_256M * 12, SZ_256M * 4, [0], false), w(SZ_256M * 16, SZ_256M * 8, [0, 1], false)];
}

/** The CDAT of a mock memdev: ram, pmem and its DC partition (handle 0xFA, sharable on 0xDCDC). */
export function cxlTestCdat(device: DcdDevice): CdatDsmas[] {
  const statics: CdatDsmas[] = [
    { handle: 0, dpaBase: 0, dpaLength: device.ramSize, qosClass: CXL_TEST_QTG_ID },
    { handle: 1, dpaBase: device.ramSize, dpaLength: device.pmemSize, nonVolatile: true, qosClass: CXL_TEST_QTG_ID },
  ];
  return [...statics, ...dcdCdat(device).map((d) => ({ ...d, qosClass: CXL_TEST_QTG_ID }))];
}

/** The attach spec of mock memdev `id` (`cxl_mem.<id>`, below `cxl_switch_dport.<id>`). */
export function cxlTestMemdevSpec(id: number, device: DcdDevice): CxlMemdevSpec {
  return {
    at: `cxl_switch_dport.${id}`,
    name: `cxl_mem.${id}`,
    transport: device.logicalDevice(0),
    ramSize: device.ramSize,
    pmemSize: device.pmemSize,
    serial: device.serial,
    firmwareVersion: "mock fw v1 ",
    numaNode: id % 2,
    labelStorageSize: 0x80000,
    ramQosClass: CXL_TEST_QTG_ID,
    pmemQosClass: CXL_TEST_QTG_ID,
    decoders: CXL_TEST_PORT_DECODERS,
    commands: [OPCODE.GET_EVENT_RECORDS, OPCODE.CLEAR_EVENT_RECORDS, OPCODE.GET_DC_CONFIG, OPCODE.GET_DC_EXTENT_LIST, OPCODE.ADD_DC_RESPONSE, OPCODE.RELEASE_DC],
    cdat: cxlTestCdat(device),
    attachment: device,
  };
}

/** The cxl_test platform (host bridges, ports, switches, windows) and its memdevs. */
export function cxlTestPlatform(devices: readonly DcdDevice[], windowBase = CXL_TEST_WINDOW_BASE): CxlPlatformSpec {
  const rootPort = (i: number) => ({
    name: `cxl_root_port.${i}`,
    id: i,
    switch: {
      name: `cxl_switch_uport.${i}`,
      decoders: CXL_TEST_PORT_DECODERS,
      ports: [i, i + 4].map((d) => ({ name: `cxl_switch_dport.${d}`, id: d })),
    },
  });
  return {
    flavor: "cxl_test",
    hostBridges: [0, 1].map((hb) => ({ uid: hb, name: `cxl_host_bridge.${hb}`, decoders: CXL_TEST_PORT_DECODERS, ports: [hb, hb + 2].map(rootPort) })),
    windows: cxlTestWindows(windowBase),
    memdevs: devices.map((d, id) => cxlTestMemdevSpec(id, d)),
  };
}

/** The mock memdev of platform id `id`: serial 0xDCDC for id 0 (sharable, no pre-injected extents), id+1 otherwise. */
export function cxlTestMockDevice(id: number): DcdDevice {
  return DcdDevice.cxlTestMock({ serial: id === 0 ? 0xdcdc : id + 1 });
}

export interface CxlTestTopology {
  readonly topology: CxlTopology;
  /** The mock devices by platform id (`cxl_mem.<id>`). */
  readonly devices: readonly DcdDevice[];
  /** Dispose the mock devices (after the host: the host's drivers still hold their mailboxes). */
  dispose(): void;
}

export interface CxlTestOptions {
  /** How many of the 8 mock memdevs to plug (cxl_mem.0 .. n-1); default 8. */
  readonly memdevs?: number;
}

/**
 * Boot `host` (which loads `cxlCore` and `cxlTest`) on the cxl_test topology: platform devices,
 * `cxl_acpi.0`, and the mock memdevs, all enumerated by the host's drivers.
 */
export async function attachCxlTest(host: Host, options: CxlTestOptions = {}): Promise<CxlTestTopology> {
  const n = Math.min(options.memdevs ?? CXL_TEST_MEMDEVS, CXL_TEST_MEMDEVS);
  const devices = Array.from({ length: n }, (_, id) => cxlTestMockDevice(id));
  try {
    const topology = await CxlTopology.attach(host, cxlTestPlatform(devices));
    return {
      topology,
      devices,
      dispose: () => {
        for (const d of devices) d.dispose();
      },
    };
  } catch (err) {
    for (const d of devices) d.dispose();
    throw err;
  }
}
