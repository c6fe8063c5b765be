/** Hosts with the memory subsystem installed, for the mm tests. */
import { createHost, type Host, type HotplugResult, installMemoryHotplug, isDcdError, type MemoryHotplug, type MemoryHotplugOptions, VirtualClock } from "../../index.js";

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
/** HPA base of `region0` in the reference fixture (256 GiB). */
export const REGION_BASE = 0x40_0000_0000;

export interface MemoryHost {
  readonly host: Host;
  readonly mm: MemoryHotplug;
  readonly clock: VirtualClock;
}

/** A host with a virtual clock and the memory subsystem. Dispose `host` when done. */
export async function memoryHost(options: MemoryHotplugOptions = {}, name = "h0"): Promise<MemoryHost> {
  const clock = new VirtualClock();
  const host = await createHost({ name, clock });
  try {
    const mm = await installMemoryHotplug(host, options);
    return { host, mm, clock };
  } catch (err) {
    await host.dispose();
    throw err;
  }
}

/** VM1 of the reference: 8 GiB boot RAM on node 0, 128 MiB blocks. */
export const VM1: MemoryHotplugOptions = { boot: [{ node: 0, size: 8 * GiB }] };
/** H1 of the reference: 256 GiB boot RAM (two nodes), 2 GiB blocks. */
export const H1: MemoryHotplugOptions = { boot: [{ node: 0, size: 128 * GiB }, { node: 1, size: 128 * GiB }] };
/** A small host for property tests: 1 GiB boot RAM, 128 MiB blocks. */
export const SMALL: MemoryHotplugOptions = { boot: [{ node: 0, size: 1 * GiB }] };

/** `size` bytes of pages. */
export const pages = (bytes: number): number => bytes / 4096;

/** What `fn` threw, as `{ code, message }` (fails the test if it threw nothing or a non-errno). */
export function thrown(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (isDcdError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error("expected a DcdError, nothing was thrown");
}

/** A result's errno, or "ok". */
export function outcome(result: HotplugResult): string {
  return result.ok ? "ok" : result.error.code;
}
