/**
 * Hosts with the CXL core for the object-model tests: a small ACPI-style topology (one host bridge
 * `pci0000:34`, root ports `0000:34:00.0`…, windows at 64 GiB), memdevs backed by the fabric's
 * `DcdDevice` or by a scripted 4800h transport, and a sysfs snapshot to prove a refused write
 * changed nothing.
 */
import { DcdDevice, type DcdDeviceConfig, dcdRootPorts } from "@dcd/fabric";
import { type Observable, Subject } from "rxjs";
import { createHost, type Host } from "../../host/host.js";
import { type DriverModule } from "../../host/tokens.js";
import { type SysfsTree } from "../../sysfs/sysfs-tree.js";
import { cxlCoreModule, type CxlCoreOptions } from "../cxl-core.js";
import { type KernelLog, KERNEL_LOG } from "../kernel-log.js";
import { type CxlMemdev } from "../memdev.js";
import { type CxlMailboxReply, type CxlMailboxTransport } from "../mbox/transport.js";
import { type CxlSubsystem } from "../subsystem.js";
import { CxlTopology, cxlOf } from "../topology.js";
import { type CxlMemdevSpec, type CxlPlatformSpec, type CxlWindowSpec } from "../topology-spec.js";
import { encodeGetDcConfigOut, type DcRegionConfig, decodeGetDcConfigIn } from "../wire/dc-config.js";
import { OPCODE } from "../wire/opcodes.js";
import { MBOX_RC } from "../wire/rc.js";

export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;
export const WINDOW_BASE = 0x10_0000_0000;
export const RAM_WINDOW: CxlWindowSpec = { base: WINDOW_BASE, size: 4 * GIB, targets: [0], ram: true };
export const PMEM_WINDOW: CxlWindowSpec = { base: WINDOW_BASE + 8 * GIB, size: 4 * GIB, targets: [0], ram: false, pmem: true };

/** The CDAT a fabric device implies (one DSMAS per DC partition) and its memdev spec, under the tests' names. */
export { dcdCdat as cdatOf, dcdMemdevSpec as dcdSpec } from "@dcd/fabric";

/** A DCD with 2 GiB ram, no pmem and one 1 GiB DC partition at 2 GiB (2 MiB blocks). */
export function dcdDevice(overrides: Partial<DcdDeviceConfig> = {}): DcdDevice {
  return new DcdDevice({
    ramSize: 2 * GIB,
    partitions: [{ base: 2 * GIB, decodeLength: GIB, length: GIB, blockSize: 2 * MIB, dsmadHandle: 1 }],
    serial: 0x1234,
    ...overrides,
  });
}

/** A transport that answers 4800h from a scripted region list (for R1-R3 geometry the fabric refuses to build). */
export class ScriptedDcTransport implements CxlMailboxTransport {
  private readonly interrupts: Subject<unknown> | undefined;
  readonly interrupt$: Observable<unknown> | undefined;
  readonly requests: { startRegion: number; regionCount: number }[] = [];

  constructor(
    private readonly regions: readonly DcRegionConfig[],
    private readonly options: { perPage?: number; numRegions?: number; msi?: boolean; rc?: number } = {},
  ) {
    this.interrupts = options.msi === false ? undefined : new Subject<unknown>();
    this.interrupt$ = this.interrupts?.asObservable();
  }

  execute(opcode: number, payload: Uint8Array): CxlMailboxReply {
    if (opcode !== OPCODE.GET_DC_CONFIG) return { rc: MBOX_RC.UNSUPPORTED, payload: new Uint8Array(0) };
    if (this.options.rc !== undefined) return { rc: this.options.rc, payload: new Uint8Array(0) };
    const req = decodeGetDcConfigIn(payload);
    this.requests.push(req);
    const per = Math.min(req.regionCount, this.options.perPage ?? 8);
    const regions = this.regions.slice(req.startRegion, req.startRegion + per);
    const out = encodeGetDcConfigOut({ numRegions: this.options.numRegions ?? this.regions.length, regions, numExtentsSupported: 0, numExtentsAvailable: 0, numTagsSupported: 0, numTagsAvailable: 0 });
    return { rc: MBOX_RC.SUCCESS, payload: out };
  }
}

/** A region record for {@link ScriptedDcTransport} (decode length in bytes). */
export function dcRegion(base: number, decodeLength: number, overrides: Partial<DcRegionConfig> = {}): DcRegionConfig {
  return { base, decodeLength, length: decodeLength, blockSize: 2 * MIB, dsmadHandle: 1, flags: 0, ...overrides };
}

export interface CxlBoot {
  readonly host: Host;
  readonly cxl: CxlSubsystem;
  readonly topo: CxlTopology;
  readonly log: KernelLog;
  readonly sysfs: SysfsTree;
  readonly memdevs: CxlMemdev[];
  dispose(): Promise<void>;
}

export interface BootOptions extends CxlCoreOptions {
  /** Root ports of the single host bridge (memdevs go in order). Default 2. */
  readonly rootPorts?: number;
  readonly windows?: readonly CxlWindowSpec[];
  readonly decoders?: number;
  readonly modules?: readonly DriverModule[];
  /** Memdevs at boot, given the slot names. */
  readonly memdevs?: (slots: readonly string[]) => readonly CxlMemdevSpec[];
  readonly flavor?: "acpi" | "cxl_test";
  /** Load the extent pipeline; default false (the object-model tests isolate the CXL core). */
  readonly extents?: boolean;
}

/** Boot a host with `cxlCore` on a one-host-bridge topology. */
export async function bootCxl(options: BootOptions = {}): Promise<CxlBoot> {
  const host = await createHost({ name: "h0", drivers: [cxlCoreModule({ extents: options.extents ?? false, ...(options.profile === undefined ? {} : { profile: options.profile }) }), ...(options.modules ?? [])] });
  const ports = options.rootPorts ?? 2;
  const slotNames = dcdRootPorts(ports, options.flavor);
  const spec: CxlPlatformSpec = {
    flavor: options.flavor ?? "acpi",
    hostBridges: [{ uid: 0, decoders: options.decoders ?? 4, ports: slotNames.map(() => ({})) }],
    windows: options.windows ?? [RAM_WINDOW, PMEM_WINDOW],
    memdevs: options.memdevs?.(slotNames).map((m) => ({ decoders: options.decoders ?? 4, ...m })) ?? [],
  };
  const topo = await CxlTopology.attach(host, spec);
  const cxl = cxlOf(host);
  return {
    host,
    cxl,
    topo,
    log: host.container.resolve(KERNEL_LOG),
    sysfs: host.sysfs,
    memdevs: cxl.memdevs(),
    dispose: () => host.dispose(),
  };
}

/**
 * Every file value and link under `/sys` (reads that fail record their errno), for "a refused
 * write changed nothing" assertions.
 */
export function sysfsState(sysfs: SysfsTree, root = "/sys"): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of sysfs.walk(root)) {
    if (e.type === "link") out[e.path] = `-> ${e.target ?? ""}`;
    else if (e.type === "file") {
      if ((e.mode & 0o444) === 0) {
        out[e.path] = "(write-only)";
        continue;
      }
      try {
        out[e.path] = sysfs.read(e.path);
      } catch (err) {
        out[e.path] = `!${(err as { code?: string }).code ?? "?"}`;
      }
    } else out[e.path] = "/";
  }
  return out;
}

/** `echo value > path`, returning the errno name it failed with (undefined on success). */
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
