/**
 * Plugging a fabric {@link DcdDevice} into a host: the CDAT and memdev spec the device implies
 * (values the kernel reads with commands dcd's devices do not implement), and the one-host-bridge
 * ACPI platform most hosts put their devices in.
 */
import { type CdatDsmas, type CxlMemdevSpec, type CxlPlatformSpec, CxlTopology, type CxlWindowSpec, type Host } from "@dcd/core";
import { DcdDevice } from "../device/device.js";

const GIB = 1024 * 1024 * 1024;

/** HPA of the default CFMWS window of {@link attachDcd} (64 GiB, above any boot RAM the tests use). */
export const DCD_WINDOW_BASE = 0x10_0000_0000;

/** The default window of {@link attachDcd}: 4 GiB of volatile type-3 space at {@link DCD_WINDOW_BASE}, host bridge 0. */
export const DCD_DEFAULT_WINDOW: CxlWindowSpec = Object.freeze({ base: DCD_WINDOW_BASE, size: 4 * GIB, targets: Object.freeze([0]), ram: true });

/** The CDAT a device implies: one DSMAS per DC partition, with its DSMAD handle and flags. */
export function dcdCdat(device: DcdDevice): CdatDsmas[] {
  return device.partitions.map((p) => ({ handle: p.dsmadHandle, dpaBase: p.base, dpaLength: p.decodeLength, sharable: p.sharable, readOnly: p.readOnly }));
}

/** Options of {@link dcdMemdevSpec}: the logical device to use, and spec fields that replace the device's. */
export type DcdMemdevOptions = Partial<Omit<CxlMemdevSpec, "at">> & {
  /** Which of the device's logical devices (FM host id) the memdev talks to; default 0. */
  readonly hostId?: number;
};

/**
 * The memdev spec of `device` plugged into downstream port `at`: its logical device `hostId` as
 * the mailbox, its ram / pmem sizes and serial as Identify would report them, and its CDAT.
 * Throws `EINVAL` when the device has no logical device `hostId`.
 */
export function dcdMemdevSpec(device: DcdDevice, at: string, options: DcdMemdevOptions = {}): CxlMemdevSpec {
  const { hostId = 0, ...overrides } = options;
  return { at, transport: device.logicalDevice(hostId), ramSize: device.ramSize, pmemSize: device.pmemSize, serial: device.serial, cdat: dcdCdat(device), ...overrides };
}

/** A device for {@link attachDcd}, optionally through another logical device than host 0's. */
export interface DcdAttachment {
  readonly device: DcdDevice;
  /** Default 0. */
  readonly hostId?: number;
}

export interface DcdAttachOptions {
  /** CFMWS windows (targets are host-bridge _UIDs; the bridge is uid 0); default {@link DCD_DEFAULT_WINDOW}. */
  readonly windows?: readonly CxlWindowSpec[];
  /** HDM decoders of the host bridge and of every memdev; default the topology's (4). */
  readonly decoders?: number;
  /** Default "acpi". */
  readonly flavor?: "acpi" | "cxl_test";
  /** Root ports of the host bridge; default one per device. Ports past the devices stay empty (hot-plug slots). */
  readonly rootPorts?: number;
}

/**
 * Names of the host bridge's root ports, as `CxlTopology` names the ports of the first host
 * bridge (`0000:34:0N.0`, or `cxl_root_port.N` for cxl_test).
 */
export function dcdRootPorts(count: number, flavor: "acpi" | "cxl_test" = "acpi"): string[] {
  return Array.from({ length: count }, (_, j) => (flavor === "cxl_test" ? `cxl_root_port.${j}` : `0000:34:${j.toString(16).padStart(2, "0")}.0`));
}

/**
 * The platform of {@link attachDcd}: one host bridge (uid 0) with a root port per device, device
 * `i` plugged into root port `i` at boot.
 */
export function dcdPlatformSpec(devices: readonly (DcdDevice | DcdAttachment)[], options: DcdAttachOptions = {}): CxlPlatformSpec {
  const flavor = options.flavor ?? "acpi";
  const ports = dcdRootPorts(Math.max(options.rootPorts ?? 0, devices.length, 1), flavor);
  const decoders = options.decoders === undefined ? {} : { decoders: options.decoders };
  return {
    flavor,
    hostBridges: [{ uid: 0, ...decoders, ports: ports.map((name) => ({ name })) }],
    windows: options.windows ?? [DCD_DEFAULT_WINDOW],
    memdevs: devices.map((d, i) => {
      const a = d instanceof DcdDevice ? { device: d } : d;
      return dcdMemdevSpec(a.device, ports[i] ?? "", { ...decoders, ...(a.hostId === undefined ? {} : { hostId: a.hostId }) });
    }),
  };
}

/**
 * Boot `devices` on `host` (which must load `cxlCore`) behind one host bridge, as
 * {@link dcdPlatformSpec} lays them out, and wait until every driver has probed.
 */
export function attachDcd(host: Host, devices: readonly (DcdDevice | DcdAttachment)[], options: DcdAttachOptions = {}): Promise<CxlTopology> {
  return CxlTopology.attach(host, dcdPlatformSpec(devices, options));
}
