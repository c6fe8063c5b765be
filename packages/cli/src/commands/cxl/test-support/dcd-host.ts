/**
 * A host with the CXL core, the extent pipeline and one DCD memdev (2 GiB ram, 1 GiB DC partition at
 * 2 GiB, 2 MiB blocks) behind host bridge `pci0000:34`: the topology the `cxl`/`daxctl` command tests
 * and the real-ndctl comparison list. Built only from `@dcd/core` / `@dcd/fabric` public API.
 */
import { type DependencyContainer } from "tsyringe";
import { createHost, CXL_DCD_HOOKS, cxlCoreModule, cxlOf, type CxlSubsystem, daxDefaultPolicyHooks, type DriverModule, type Host, registerDaxBus } from "@dcd/core";
import { attachDcd, DcdDevice } from "@dcd/fabric";

export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;
export const WINDOW_BASE = 0x10_0000_0000;
/** DPA base of the DC partition. */
export const DC_BASE = 2 * GIB;

/**
 * The DAX layer with the DAX policy as `cxl_region`'s default for DC regions (what
 * `@dcd/driver-devdax`'s module does; rebuilt here from core's public API so the CLI tests need no
 * extra package).
 */
export const daxTestModule: DriverModule = Object.freeze({
  name: "dax-test",
  register(container: DependencyContainer) {
    registerDaxBus(container);
    container.register(CXL_DCD_HOOKS, { useValue: daxDefaultPolicyHooks });
  },
});

export interface DcdHost {
  readonly host: Host;
  readonly cxl: CxlSubsystem;
  readonly device: DcdDevice;
  /** FM 5604h prescriptive add to host 0; resolves once the host handled it. */
  add(extents: readonly { dpa: number; len: number; tag?: string }[]): Promise<void>;
  dispose(): Promise<void>;
}

export async function bootDcdHost(options: { modules?: readonly DriverModule[]; name?: string; /** Extra plain-ram memdevs (2 GiB, no DC) in the next root ports. */ ramMemdevs?: number } = {}): Promise<DcdHost> {
  const host = await createHost({ name: options.name ?? "h0", drivers: [cxlCoreModule({ extents: true }), ...(options.modules ?? [])] });
  const device = new DcdDevice({
    ramSize: 2 * GIB,
    partitions: [{ base: DC_BASE, decodeLength: GIB, length: GIB, blockSize: 2 * MIB, dsmadHandle: 1 }],
    serial: 0x1234,
  });
  const others = Array.from({ length: options.ramMemdevs ?? 0 }, (_, i) => new DcdDevice({ name: `ram${i + 1}`, ramSize: 2 * GIB, partitions: [], serial: 0x1235 + i }));
  // One root port more than there are devices, as this host has always been built.
  await attachDcd(host, [device, ...others], { windows: [{ base: WINDOW_BASE, size: 4 * GIB, targets: [0], ram: true }], decoders: 4, rootPorts: 2 + others.length });
  const cxl = cxlOf(host);
  await cxl.settle();
  return {
    host,
    cxl,
    device,
    add: async (extents) => {
      const r = device.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: extents.map((e) => ({ dpa: e.dpa, len: e.len, tag: e.tag ?? "00000000-0000-0000-0000-000000000000", sharedSeq: 0 })) });
      if (r.rc !== 0) throw new Error(`initiateAdd refused: ${r.reason}`);
      await cxl.settle();
    },
    dispose: async () => {
      try {
        await host.dispose();
      } finally {
        device.dispose();
        for (const d of others) d.dispose();
      }
    },
  };
}
