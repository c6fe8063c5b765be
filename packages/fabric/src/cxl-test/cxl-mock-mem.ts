/**
 * `cxl_mock_mem` (tools/testing/cxl/test/mem.c): the driver of cxl_test's `cxl_mem.N` platform
 * devices. Its probe is the memory-device probe `cxl_pci` runs; its device attributes are the
 * injection files test scripts use, on `/sys/bus/platform/devices/cxl_mem.N/`:
 *
 * | file | write | effect |
 * |---|---|---|
 * | `dc_inject_extent` | `<start>:<length>:<tag>:<more>[:<seq>]` | one Add Capacity record (More = `<more>`) |
 * | `dc_inject_shared_extent` | same | same, for an extent of a sharable partition |
 * | `dc_del_extent` | `<start>:<length>[:<uuid>]` | one Release Capacity record |
 * | `dc_force_del_extent` | same | one Forced Capacity Release record |
 *
 * Numbers take a base prefix (`kstrtoull(.., 0)`); `<tag>` empty or `0` is the null UUID, else a
 * UUID. The record is logged in the mock device and its interrupt fires at once, so the host's
 * event handler runs before the write returns (as the mock calls it synchronously).
 */
import { cxlMemdevHostProbe, type DeviceAttribute, DRIVER, type DriverModule, errno, isMemdevHardware, isNullUuid, isOk, type KernelLog, mboxRcName, NULL_UUID, parseBool, parseU64, parseUuid, type PlatformDevice, type PlatformDriver } from "@dcd/core";
import { DcdDevice } from "../device/device.js";

function hardwareOf(dev: PlatformDevice): { device: DcdDevice; log: KernelLog } {
  const hw = dev.platformData;
  const device = isMemdevHardware(hw) ? hw.attachment : undefined;
  if (!isMemdevHardware(hw) || !(device instanceof DcdDevice)) throw errno("ENXIO", `${dev.name}: no mock device attached`);
  return { device, log: hw.cxl.log };
}

interface InjectArgs {
  readonly dpa: number;
  readonly len: number;
  readonly tag: string;
  readonly more: boolean;
  readonly seq: number;
}

function parseTag(text: string, file: string): string {
  if (text === "" || text === "0") return NULL_UUID;
  return parseUuid(text, `${file} tag`);
}

/** `<start>:<length>:<tag>:<more>[:<seq>]`. */
export function parseInject(value: string, file: string): InjectArgs {
  const parts = value.split(":");
  if (parts.length < 4 || parts.length > 5) throw errno("EINVAL", `${file}: '${value}' is not <start>:<length>:<tag>:<more>[:<seq>]`);
  const [start = "", length = "", tag = "", more = "", seq] = parts;
  return {
    dpa: parseU64(start, `${file} start`),
    len: parseU64(length, `${file} length`),
    tag: parseTag(tag, file),
    more: parseBool(more, `${file} more`),
    seq: seq === undefined ? 0 : parseU64(seq, `${file} seq`),
  };
}

/** `<start>:<length>[:<uuid>]`. */
export function parseDelete(value: string, file: string): { readonly dpa: number; readonly len: number; readonly tag: string } {
  const parts = value.split(":");
  if (parts.length < 2 || parts.length > 3) throw errno("EINVAL", `${file}: '${value}' is not <start>:<length>[:<uuid>]`);
  const [start = "", length = "", tag = ""] = parts;
  return { dpa: parseU64(start, `${file} start`), len: parseU64(length, `${file} length`), tag: parseTag(tag, file) };
}

function inject(dev: PlatformDevice, value: string, file: string, shared: boolean): void {
  const { device } = hardwareOf(dev);
  const a = parseInject(value, file);
  if (a.len === 0) throw errno("EINVAL", `${file}: zero length`);
  const part = device.findPartition(a.dpa, a.len);
  if (shared && part?.sharable !== true) throw errno("EINVAL", `${file}: [${a.dpa.toString(16)}, +${a.len.toString(16)}) is not in a sharable DC partition`);
  const r = device.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [{ dpa: a.dpa, len: a.len, tag: a.tag, sharedSeq: a.seq }], more: a.more });
  if (!isOk(r)) throw errno(r.rc === 0x1d ? "ENOMEM" : "EINVAL", `${file}: ${mboxRcName(r.rc)}: ${r.reason}`);
}

function release(dev: PlatformDevice, value: string, file: string, forced: boolean): void {
  const { device, log } = hardwareOf(dev);
  const a = parseDelete(value, file);
  const r = device.initiateRelease({ hostId: 0, removalPolicy: "prescriptive", forcedRemoval: forced, extents: [{ dpa: a.dpa, len: a.len }] });
  // The mock logs a release of something it does not hold and ignores it.
  if (!isOk(r)) log.debug(dev, `${file} [${a.dpa.toString(16)}, +${a.len.toString(16)})${isNullUuid(a.tag) ? "" : ` (${a.tag})`} ignored: ${r.reason}`);
}

const attr = (name: string, store: (dev: PlatformDevice, value: string) => void): DeviceAttribute<PlatformDevice> => ({ name, mode: 0o200, store });

/** The injection files (the driver's `dev_groups`: present while cxl_mock_mem is bound). */
export const cxlMockMemAttributes: readonly DeviceAttribute<PlatformDevice>[] = [
  attr("dc_inject_extent", (d, v) => {
    inject(d, v, "dc_inject_extent", false);
  }),
  attr("dc_inject_shared_extent", (d, v) => {
    inject(d, v, "dc_inject_shared_extent", true);
  }),
  attr("dc_del_extent", (d, v) => {
    release(d, v, "dc_del_extent", false);
  }),
  attr("dc_force_del_extent", (d, v) => {
    release(d, v, "dc_force_del_extent", true);
  }),
];

export const cxlMockMemDriver: PlatformDriver = {
  name: "cxl_mock_mem",
  bus: "platform",
  idTable: ["cxl_mem"],
  devGroups: [{ attrs: cxlMockMemAttributes }],
  probe: async (dev, ctx) => {
    await cxlMemdevHostProbe(dev, ctx);
  },
};

/** The cxl_test modules' host side: `createHost({ drivers: [cxlCore, cxlTest] })`. */
export const cxlTest: DriverModule = {
  name: "cxl_test",
  register(container) {
    container.register(DRIVER, { useValue: cxlMockMemDriver });
  },
};
