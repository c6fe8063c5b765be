import { CxlExtentCore, cxlOf } from "@dcd/core";
import { type System } from "./context.js";

/**
 * Wait until every host has handled what a fabric command set off: the DC event records drained,
 * each More-chain answered (a sysram policy hot-plugs before the Add DC Response), the drivers'
 * probes done. An `fm add` then shows the host's answer.
 */
export async function settleHosts(system: System): Promise<void> {
  for (const h of system.hosts) {
    await CxlExtentCore.of(h.host.container).idle();
    await cxlOf(h.host).settle();
  }
}
