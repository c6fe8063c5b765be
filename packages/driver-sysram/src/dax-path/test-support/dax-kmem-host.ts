/**
 * A host for the dax-kmem comparison: the CXL core with the extent pipeline, one DCD (2 GiB ram,
 * one 4 GiB DC partition at DPA 2 GiB, 2 MiB device blocks), a 4 GiB DC region at HPA 64 GiB
 * (DPA 2 GiB + x ↔ HPA 64 GiB + x) whose default policy is the DAX policy, the dax layer with
 * `target_node` 1, and the memory-hotplug model (16 GiB boot RAM on node 0: 128 MiB blocks).
 */
import { createHost, CXL_DCD_HOOKS, cxlCoreModule, cxlCreateRegion, cxlOf, daxDefaultPolicyHooks, type DriverModule, installMemoryHotplug, type MemoryRange, registerDaxBus } from "@dcd/core";
import { attachDcd, DCD_WINDOW_BASE, DcdDevice } from "@dcd/fabric";
import { type DependencyContainer } from "tsyringe";
import { type MemoryModelHandle } from "../../compare.js";

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
export const WINDOW_BASE = DCD_WINDOW_BASE;
const DC_DPA = 2 * GIB;

const daxModule: DriverModule = Object.freeze({
  name: "dax-kmem-test",
  register(container: DependencyContainer) {
    registerDaxBus(container, { targetNode: () => 1 });
    container.register(CXL_DCD_HOOKS, { useValue: daxDefaultPolicyHooks });
  },
});

/** A fresh host with its FM, as {@link MemoryModelHandle} for `compareReleasePaths`. */
export async function daxKmemModel(): Promise<MemoryModelHandle> {
  const device = new DcdDevice({ ramSize: 2 * GIB, partitions: [{ base: DC_DPA, decodeLength: 4 * GIB, length: 4 * GIB, blockSize: 2 * MIB, dsmadHandle: 1 }], serial: 0xdac5, extentBudget: 1000 });
  const host = await createHost({ name: "cmp", drivers: [cxlCoreModule({ extents: true }), daxModule] });
  try {
    await attachDcd(host, [device], { windows: [{ base: WINDOW_BASE, size: 16 * GIB, targets: [0], ram: true }], decoders: 4 });
    const mm = await installMemoryHotplug(host, { boot: [{ node: 0, size: 16 * GIB }] });
    const cxl = cxlOf(host);
    const region = await cxlCreateRegion(cxl, { memdevs: cxl.memdevs(), size: 4 * GIB });
    // CxlSubsystem.settle() waits for the extent pipeline as well as the driver core.
    const settle = (): Promise<void> => cxl.settle();
    await settle();
    const dpa = (r: MemoryRange): number => DC_DPA + (r.start - WINDOW_BASE);
    return {
      mm,
      dax: {
        host,
        region: region.id,
        async offer(ranges, tag) {
          const r = device.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: ranges.map((x) => ({ dpa: dpa(x), len: x.size, tag })) });
          if (r.rc !== 0) throw new Error(`initiateAdd refused: ${JSON.stringify(r)}`);
          await settle();
        },
        async release(ranges) {
          const r = device.initiateRelease({ hostId: 0, removalPolicy: "prescriptive", extents: ranges.map((x) => ({ dpa: dpa(x), len: x.size })) });
          if (r.rc !== 0) throw new Error(`initiateRelease refused: ${JSON.stringify(r)}`);
          await settle();
        },
        accepted: (range) => device.acceptedExtents(0).some((e) => e.dpa === dpa(range)),
      },
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
