/**
 * A host for the DAX layer tests: the CXL core with the extent pipeline, one DCD (2 GiB ram, one
 * 1 GiB DC partition at DPA 2 GiB, 2 MiB blocks) and a 1 GiB DC region `region0` at HPA 64 GiB
 * whose default policy is the DAX policy, plus the memory-hotplug model (16 GiB boot RAM, so
 * 128 MiB memory blocks). Built from core's public surface and the fabric's `DcdDevice`.
 */
import { attachDcd, DcdDevice } from "@dcd/fabric";
import { type DependencyContainer } from "tsyringe";
import {
  createHost,
  CXL_DCD_HOOKS,
  cxlCoreModule,
  cxlCreateRegion,
  cxlOf,
  type CxlRegion,
  daxDefaultPolicyHooks,
  type DaxLayerOptions,
  DaxSubsystem,
  type Host,
  installMemoryHotplug,
  KERNEL_LOG,
  type KernelLog,
  type MemoryBlockInfo,
  type MemoryHotplug,
  type MemoryHotplugOptions,
  registerDaxBus,
  type SysfsTree,
} from "../../index.js";

export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;
export const WINDOW_BASE = 0x10_0000_0000;
export const DC_BASE = 2 * GIB;
export const DAX = "/sys/bus/dax";
export const TAG_A = "11111111-2222-3333-4444-555555555555";

export interface DaxHost {
  readonly host: Host;
  readonly sysfs: SysfsTree;
  readonly mm: MemoryHotplug;
  readonly dax: DaxSubsystem;
  readonly log: KernelLog;
  readonly region: CxlRegion;
  /** FM: add extents (offsets into the DC partition) as one chain, then wait for the host. */
  add(extents: readonly { off: number; len: number; tag?: string }[]): Promise<void>;
  /** Hot-plugged blocks inside the CXL window. */
  windowBlocks(): MemoryBlockInfo[];
  settle(): Promise<void>;
  dispose(): Promise<void>;
}

export async function bootDaxHost(options: { readonly memory?: MemoryHotplugOptions; readonly dax?: DaxLayerOptions } = {}): Promise<DaxHost> {
  const module = {
    name: "dax-test",
    register(container: DependencyContainer) {
      registerDaxBus(container, options.dax ?? {});
      container.register(CXL_DCD_HOOKS, { useValue: daxDefaultPolicyHooks });
    },
  };
  const device = new DcdDevice({ ramSize: 2 * GIB, partitions: [{ base: DC_BASE, decodeLength: GIB, length: GIB, blockSize: 2 * MIB, dsmadHandle: 1 }], serial: 0x4d4d });
  const host = await createHost({ name: "h0", drivers: [cxlCoreModule({ extents: true }), module] });
  try {
    await attachDcd(host, [device], { windows: [{ base: WINDOW_BASE, size: 4 * GIB, targets: [0], ram: true }], decoders: 4 });
    const mm = await installMemoryHotplug(host, options.memory ?? { boot: [{ node: 0, size: 16 * GIB }] });
    const cxl = cxlOf(host);
    const region = await cxlCreateRegion(cxl, { memdevs: cxl.memdevs(), size: GIB });
    const settle = async (): Promise<void> => {
      await cxl.settle();
      await host.settle();
    };
    await settle();
    return {
      host,
      sysfs: host.sysfs,
      mm,
      dax: DaxSubsystem.of(host),
      log: host.container.resolve(KERNEL_LOG),
      region,
      async add(extents) {
        const r = device.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: extents.map((e) => ({ dpa: DC_BASE + e.off, len: e.len, ...(e.tag === undefined ? {} : { tag: e.tag }) })) });
        if (r.rc !== 0) throw new Error(`initiateAdd refused: ${JSON.stringify(r)}`);
        await settle();
      },
      windowBlocks: () => mm.blocks().filter((b) => b.start >= WINDOW_BASE && b.start < WINDOW_BASE + 4 * GIB),
      settle,
      async dispose() {
        try {
          await host.dispose();
        } finally {
          device.dispose();
        }
      },
    };
  } catch (err) {
    await host.dispose();
    device.dispose();
    throw err;
  }
}

/** `daxctl create-device --uuid` by hand: `create`, then the new seed's `uuid`; returns its name (not enabled). */
export async function claimDevice(h: DaxHost, uuid: string): Promise<string> {
  const region = "/sys/bus/cxl/devices/dax_region0/dax_region";
  h.sysfs.write(`${region}/create`, "1");
  await h.settle();
  const seed = h.sysfs.read(`${region}/seed`).trim();
  h.sysfs.write(`${DAX}/devices/${seed}/uuid`, uuid);
  return seed;
}

/** The errno a `write` (waiting for the store) fails with; undefined on success. */
export async function writeErr(sysfs: SysfsTree, path: string, value: string): Promise<string | undefined> {
  try {
    await sysfs.writeAsync(path, value);
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code ?? "?";
  }
}

export function cat(sysfs: SysfsTree, path: string): string {
  return sysfs.read(path).replace(/\n$/, "");
}
