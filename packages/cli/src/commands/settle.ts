import { CxlExtentCore, cxlOf, type Host } from "@dcd/core";
import { type System } from "./context.js";

/**
 * Wait until a host has handled what a command set off: queued probes and unbinds, the DC event
 * records drained, each More-chain answered (a sysram policy hot-plugs before the Add DC
 * Response). An `fm add` then shows the host's answer.
 */
export async function settleHost(host: Host): Promise<void> {
  await host.settle();
  let cxl: ReturnType<typeof cxlOf>;
  try {
    cxl = cxlOf(host);
  } catch {
    return; // a host without the CXL core has nothing more to wait for
  }
  await CxlExtentCore.of(host.container).idle();
  await cxl.settle();
}

/** {@link settleHost} for every host of a System. */
export async function settleHosts(system: System): Promise<void> {
  for (const h of system.hosts) await settleHost(h.host);
}
