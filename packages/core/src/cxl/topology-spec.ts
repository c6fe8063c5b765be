/**
 * How a test, a scenario or the CLI describes the machine a host boots on: the ACPI tables (CEDT:
 * host bridges and CFMWS windows), the PCIe hierarchy below each host bridge, and the memory
 * devices plugged into it. `CxlTopology.attach` turns it into devices.
 */
import { type Device } from "../driver-model/device.js";
import { type CdatDsmas } from "./memdev.js";
import { type CxlMailboxTransport } from "./mbox/transport.js";
import { type CxlPartitionMode } from "./profile.js";
import { type CxlSubsystem } from "./subsystem.js";

/**
 * A CFMWS window (a root decoder). `targets` are host-bridge _UIDs in interleave order.
 * Restrictions default to a volatile, type-3 window (`cap_ram`, `cap_type3`).
 */
export interface CxlWindowSpec {
  readonly base: number;
  readonly size: number;
  readonly targets: readonly number[];
  /** Bytes; default 256. */
  readonly granularity?: number;
  readonly ram?: boolean;
  readonly pmem?: boolean;
  readonly type2?: boolean;
  readonly type3?: boolean;
  /** ACPI_CEDT_CFMWS_RESTRICT_FIXED: the window's decoders are locked. */
  readonly fixed?: boolean;
  readonly qosClass?: number;
}

/** A PCIe root port or switch downstream port: a slot for a memdev or a switch. */
export interface CxlDownstreamPortSpec {
  /** Device name (a PCI BDF, or `cxl_root_port.N` / `cxl_switch_dport.N` in cxl_test). */
  readonly name?: string;
  /** The port number decoders target (`dport<id>`); defaults to the port's index. */
  readonly id?: number;
  readonly switch?: CxlSwitchSpec;
}

/** A CXL switch: its upstream port and downstream ports. */
export interface CxlSwitchSpec {
  readonly name?: string;
  /** HDM decoders of the switch's upstream port; default 4. */
  readonly decoders?: number;
  readonly ports: readonly CxlDownstreamPortSpec[];
}

export interface CxlHostBridgeSpec {
  /** ACPI _UID (the root's `dport<uid>`, what windows target). */
  readonly uid: number;
  /** `pci0000:34` (acpi) or `cxl_host_bridge.N` (cxl_test). */
  readonly name?: string;
  /** HDM decoders of the host bridge; default 4. */
  readonly decoders?: number;
  readonly ports: readonly CxlDownstreamPortSpec[];
}

/**
 * A memory device. Everything but `at` and `transport` has a default; values the kernel reads with
 * commands dcd's devices do not implement (Identify, partition info, CEL, CDAT) are given here.
 */
export interface CxlMemdevSpec {
  /** Name of the downstream port (root port / switch downstream port) it is plugged into. */
  readonly at: string;
  /** The function's device name (`0000:35:00.0`, `cxl_mem.0`); derived from `at` when omitted. */
  readonly name?: string;
  readonly transport: CxlMailboxTransport;
  readonly ramSize?: number;
  readonly pmemSize?: number;
  readonly serial?: number | bigint;
  /** Default "FW 1.0.0". */
  readonly firmwareVersion?: string;
  readonly labelStorageSize?: number;
  /** Default 0. */
  readonly numaNode?: number;
  readonly ramQosClass?: number;
  readonly pmemQosClass?: number;
  /** Mailbox payload size; default: the transport's, else 2048. */
  readonly payloadSize?: number;
  /** Command Effects Log opcodes; default: event records and all of 4800h-4803h (R5). */
  readonly commands?: readonly number[];
  /** MSI/MSI-X; default: whether the transport has an `interrupt$` (R6). */
  readonly msi?: boolean;
  /** CDAT DSMAS entries (R7); default none. */
  readonly cdat?: readonly CdatDsmas[];
  /** Endpoint HDM decoders; default 4. */
  readonly decoders?: number;
  /** Firmware-programmed region (BIOS auto-region, R70); only at boot (`CxlPlatformSpec.memdevs`). */
  readonly autoRegion?: CxlAutoRegionSpec;
  /** Kept on the function's hardware record (`CxlMemdevHardware.attachment`). */
  readonly attachment?: unknown;
}

/** A region the BIOS programmed before the host booted: committed, 1-way. */
export interface CxlAutoRegionSpec {
  /** Index of the window in `CxlPlatformSpec.windows`. */
  readonly window: number;
  readonly mode: CxlPartitionMode;
  readonly size: number;
}

export interface CxlPlatformSpec {
  /**
   * "acpi": ACPI0017:00 under /sys/devices/platform, PCI host bridges `pci0000:XX` with an
   * ACPI0016 firmware node, PCI root ports and functions (the layout real ndctl reads).
   * "cxl_test": the kernel's cxl_test mock (`cxl_acpi.0`, `cxl_host_bridge.N`, `cxl_mem.N`
   * platform devices). Default "acpi".
   */
  readonly flavor?: "acpi" | "cxl_test";
  readonly hostBridges: readonly CxlHostBridgeSpec[];
  readonly windows: readonly CxlWindowSpec[];
  /** Memdevs present at boot (the only ones that may carry an `autoRegion`). */
  readonly memdevs?: readonly CxlMemdevSpec[];
}

/** @internal What `cxl_acpi` finds on its platform device (the parsed CEDT). */
export interface CxlPlatformFirmware {
  readonly cxl: CxlSubsystem;
  readonly hostBridges: readonly { readonly uid: number; readonly dev: Device }[];
  readonly windows: readonly CxlWindowSpec[];
}
