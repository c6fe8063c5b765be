/**
 * Hosts for the sysram tests (copied and trimmed from core's `cxl/test-support/cxl-host.ts`): one
 * host bridge, one DCD memdev backed by the fabric's `DcdDevice`, the CXL core with the extent
 * pipeline, the memory-hotplug model, and the sysram drivers.
 *
 * Layout: boot RAM 16 GiB on node 0; CXL window at 64 GiB (HPA 0x10_0000_0000), 16 GiB; the
 * device has 2 GiB RAM and one DC partition at DPA 2 GiB (8 GiB, 2 MiB device blocks, so tests can
 * offer extents that do not cover whole memory blocks). A DC region of the whole partition maps
 * DPA 2 GiB + x to HPA 64 GiB + x.
 */
import {
  createHost,
  type CxlMemdev,
  type CxlRegion,
  type CxlSubsystem,
  cxlCoreModule,
  cxlCreateRegion,
  cxlOf,
  type DriverModule,
  type Host,
  installMemoryHotplug,
  type MemoryHotplug,
  type MemoryHotplugOptions,
  type SysfsTree,
} from "@dcd/core";
import { attachDcd, DCD_WINDOW_BASE, DcdDevice, type DcdDeviceConfig } from "@dcd/fabric";
import { type SysramRegion } from "../sysram-region.js";
import { sysramRegionDriverModuleWith, sysramRegionOf } from "../driver.js";
import { type SysramOptions } from "../types.js";

export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;
export const WINDOW_BASE = DCD_WINDOW_BASE;
export const DC_DPA = 2 * GIB;
export const TAG_A = "5be13bce-ae34-4a77-b6c3-16df975fcf1a";
export const TAG_B = "deadbeef-cafe-baad-f00d-fedcba987654";
export const DEV = "/sys/bus/cxl/devices";
export const DRV = "/sys/bus/cxl/drivers";

export interface SysramHostOptions {
  readonly sysram?: SysramOptions;
  readonly memory?: MemoryHotplugOptions;
  /** DC partition size (default 8 GiB). */
  readonly dcSize?: number;
  readonly sharable?: boolean;
  readonly windowSize?: number;
  readonly device?: Partial<DcdDeviceConfig>;
  /** Load the sysram module (default true). */
  readonly modules?: readonly DriverModule[];
}

export interface SysramHost {
  readonly host: Host;
  readonly cxl: CxlSubsystem;
  readonly sysfs: SysfsTree;
  readonly device: DcdDevice;
  readonly mm: MemoryHotplug;
  readonly mem0: CxlMemdev;
  /** Wait until the extent pipeline is idle. */
  idle(): Promise<void>;
  dispose(): Promise<void>;
}

export async function sysramHost(options: SysramHostOptions = {}): Promise<SysramHost> {
  const dcSize = options.dcSize ?? 8 * GIB;
  const device = new DcdDevice({
    ramSize: 2 * GIB,
    partitions: [{ base: DC_DPA, decodeLength: dcSize, length: dcSize, blockSize: 2 * MIB, dsmadHandle: 1, sharable: options.sharable ?? false }],
    serial: 0x5157,
    extentBudget: 20_000,
    ...options.device,
  });
  const host = await createHost({ name: "h0", drivers: [cxlCoreModule({ extents: true }), sysramRegionDriverModuleWith(options.sysram), ...(options.modules ?? [])] });
  try {
    await attachDcd(host, [device], { windows: [{ base: WINDOW_BASE, size: options.windowSize ?? 16 * GIB, targets: [0], ram: true }], decoders: 4 });
    const mm = await installMemoryHotplug(host, options.memory ?? { boot: [{ node: 0, size: 16 * GIB }] });
    const cxl = cxlOf(host);
    const mem0 = cxl.memdev("mem0");
    if (mem0 === undefined) throw new Error("mem0 missing");
    return {
      host,
      cxl,
      sysfs: host.sysfs,
      device,
      mm,
      mem0,
      // CxlSubsystem.settle() waits for the extent pipeline as well as the driver core.
      idle: () => cxl.settle(),
      dispose: async () => {
        await host.dispose();
        device.dispose();
      },
    };
  } catch (err) {
    await host.dispose();
    device.dispose();
    throw err;
  }
}

/** `cxl create-region -t dynamic_ram_1 --driver cxl_sysram_region` over the whole DC partition. */
export async function dcRegion(h: SysramHost, driver = "cxl_sysram_region", size?: number): Promise<CxlRegion> {
  return cxlCreateRegion(h.cxl, { memdevs: [h.mem0], size: size ?? h.device.partitions[0]?.decodeLength ?? GIB, driver });
}

export function sysramOf(region: CxlRegion): SysramRegion {
  const s = sysramRegionOf(region);
  if (s === undefined) throw new Error(`${region.name}: no sysram_region`);
  return s;
}

/** FM: offer `extents` (offsets inside the DC partition) to host 0 as one chain. */
export function offer(h: SysramHost, extents: readonly { offset: number; len: number; tag?: string }[], more = false): number {
  const r = h.device.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: extents.map((e) => ({ dpa: DC_DPA + e.offset, len: e.len, ...(e.tag === undefined ? {} : { tag: e.tag }) })), ...(more ? { more } : {}) });
  return r.rc;
}

/** FM: release `extents` (offsets inside the DC partition) from host 0. */
export function fmRelease(h: SysramHost, extents: readonly { offset: number; len: number }[], tag?: string): number {
  const r = h.device.initiateRelease({
    hostId: 0,
    removalPolicy: tag === undefined ? "prescriptive" : "tag-based",
    ...(tag === undefined ? { extents: extents.map((e) => ({ dpa: DC_DPA + e.offset, len: e.len })) } : { tag }),
  });
  return r.rc;
}

/** Offsets (inside the DC partition) of the extents the device shows as accepted by host 0. */
export function acceptedOffsets(h: SysramHost): number[] {
  return h.device
    .acceptedExtents(0)
    .map((e) => e.dpa - DC_DPA)
    .sort((a, b) => a - b);
}

/** `echo value > path`, returning the errno it failed with. */
export function writeErr(sysfs: SysfsTree, path: string, value: string): string | undefined {
  try {
    sysfs.write(path, value);
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code ?? "?";
  }
}

export function cat(sysfs: SysfsTree, path: string): string {
  return sysfs.read(path).replace(/\n$/, "");
}

/** Memory accounting: online + offline plugged blocks = plugged capacity; no block in two groups. */
export function checkAccounting(h: SysramHost, regions: readonly SysramRegion[]): void {
  const t = h.mm.totals();
  const plugged = h.mm.blocks().filter((b) => !b.boot);
  if (plugged.length * h.mm.blockSize !== t.pluggedBytes) throw new Error(`plugged blocks ${plugged.length} != pluggedBytes ${t.pluggedBytes}`);
  const owner = new Map<number, string>();
  let held = 0;
  for (const r of regions) {
    for (const g of r.groups()) {
      held += g.pluggedBytes;
      for (const b of g.blocks) {
        if (owner.has(b)) throw new Error(`memory${b} belongs to ${owner.get(b) ?? "?"} and ${g.key}`);
        owner.set(b, g.key);
      }
    }
    if (r.ramRange !== undefined) held += r.ramRange.size;
  }
  if (held !== t.pluggedBytes) throw new Error(`groups hold ${held} bytes, ${t.pluggedBytes} plugged`);
}
