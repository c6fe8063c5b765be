import { cxlOf, type Host } from "@dcd/core";
import { type System } from "./context.js";

/**
 * Wait until a host has handled what a command set off: queued probes and unbinds, the DC event
 * records drained, each More-chain answered (a sysram policy hot-plugs before the Add DC
 * Response). `CxlSubsystem.settle()` covers all of it; a host without the CXL core has only its
 * driver core to wait for.
 */
export async function settleHost(host: Host): Promise<void> {
  let cxl: ReturnType<typeof cxlOf>;
  try {
    cxl = cxlOf(host);
  } catch {
    await host.settle();
    return;
  }
  await cxl.settle();
}

/** {@link settleHost} for every host of a System. */
export async function settleHosts(system: System): Promise<void> {
  for (const h of system.hosts) await settleHost(h.host);
}
