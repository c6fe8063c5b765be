/**
 * A host with the CXL core, the extent pipeline and the devdax module, one DCD (2 GiB ram, one
 * 1 GiB DC partition at DPA 2 GiB) behind one root port, and a 1 GiB DC region `region0` at HPA
 * 64 GiB. Copied in spirit from core's cxl test-support (not importable across packages).
 */
import { attachDcd, DCD_WINDOW_BASE, DcdDevice, type DcdDeviceConfig } from "@dcd/fabric";
import {
  cxlCoreModule,
  cxlCreateRegion,
  cxlOf,
  type CxlRegion,
  type CxlSubsystem,
  createHost,
  DaxSubsystem,
  type DriverModule,
  type Host,
  type SysfsTree,
} from "@dcd/core";
import { devdaxRegionDriverModule } from "../index.js";

export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;
/** HPA of the region's window: `attachDcd`'s default window (4 GiB, host bridge 0). */
export const WINDOW_BASE = DCD_WINDOW_BASE;
/** DPA of the DC partition. */
export const DC_BASE = 2 * GIB;

export interface Extent {
  readonly off: number;
  readonly len: number;
  readonly tag?: string;
}

export interface DevdaxBoot {
  readonly host: Host;
  readonly cxl: CxlSubsystem;
  readonly sysfs: SysfsTree;
  readonly device: DcdDevice;
  readonly dax: DaxSubsystem;
  region: CxlRegion;
  /** The FM adds extents (offsets into the DC partition) as one More chain; `more` leaves it open. */
  add(extents: readonly Extent[], more?: boolean): Promise<void>;
  /** The FM releases a range (prescriptive). */
  release(off: number, len: number): Promise<void>;
  /** Extents the device counts as accepted by host 0. */
  accepted(): number;
  settle(): Promise<void>;
  dispose(): Promise<void>;
}

export interface DevdaxBootOptions {
  /** Region driver; default `cxl_devdax_region`. */
  readonly driver?: string;
  readonly modules?: readonly DriverModule[];
  readonly device?: Partial<DcdDeviceConfig>;
}

export async function bootDevdax(options: DevdaxBootOptions = {}): Promise<DevdaxBoot> {
  const device = new DcdDevice({
    ramSize: 2 * GIB,
    partitions: [{ base: DC_BASE, decodeLength: GIB, length: GIB, blockSize: 2 * MIB, dsmadHandle: 1 }],
    serial: 0x1234,
    ...options.device,
  });
  const host = await createHost({ name: "h0", drivers: [cxlCoreModule({ extents: true }), ...(options.modules ?? [devdaxRegionDriverModule])] });
  try {
    await attachDcd(host, [device]);
  } catch (err) {
    await host.dispose();
    device.dispose();
    throw err;
  }
  const cxl = cxlOf(host);
  const mem0 = cxl.memdev("mem0");
  if (mem0 === undefined) throw new Error("mem0 missing");
  const region = await cxlCreateRegion(cxl, { memdevs: [mem0], size: GIB, driver: options.driver ?? "cxl_devdax_region" });
  // CxlSubsystem.settle() waits for the extent pipeline as well as the driver core.
  const settle = () => cxl.settle();
  await settle();
  return {
    host,
    cxl,
    sysfs: host.sysfs,
    device,
    dax: DaxSubsystem.of(host),
    region,
    async add(extents, more) {
      const r = device.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: extents.map((e) => ({ dpa: DC_BASE + e.off, len: e.len, ...(e.tag === undefined ? {} : { tag: e.tag }) })), ...(more === true ? { more } : {}) });
      if (r.rc !== 0) throw new Error(`initiateAdd refused: ${JSON.stringify(r)}`);
      await settle();
    },
    async release(off, len) {
      const r = device.initiateRelease({ hostId: 0, removalPolicy: "prescriptive", extents: [{ dpa: DC_BASE + off, len }] });
      if (r.rc !== 0) throw new Error(`initiateRelease refused: ${JSON.stringify(r)}`);
      await settle();
    },
    accepted: () => device.acceptedExtents(0).length,
    settle,
    async dispose() {
      try {
        await host.dispose();
      } finally {
        device.dispose();
      }
    },
  };
}

/** `echo value > path`: the errno name it failed with, undefined on success. */
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

export const DAX = "/sys/bus/dax/devices";
export const REGION0 = "/sys/bus/cxl/devices/dax_region0/dax_region";
