/**
 * `cxl_mem` (drivers/cxl/mem.c): binds `memN`, enumerates the switch ports between its host bridge
 * and itself (`devm_cxl_enumerate_ports`) and adds its endpoint port (`devm_cxl_add_endpoint`).
 * Defers while the host bridge's port is not there yet (the kernel retries through
 * `cxl_bus_rescan` once cxl_acpi has probed).
 */
import { deferProbe, type ProbeContext } from "../../driver-model/driver.js";
import { errno } from "../../errors.js";
import { CXL_DEVICE, type CxlDriver } from "../bus.js";
import { addPort } from "../enumerate.js";
import { type CxlMemdev } from "../memdev.js";
import { type CxlPort } from "../port.js";

async function cxlMemProbe(memdev: CxlMemdev, ctx: ProbeContext<CxlMemdev>): Promise<void> {
  const cxl = memdev.cxl;
  const node = cxl.hwNode(memdev.state.dev);
  if (node?.parent === undefined) throw errno("ENXIO", `${memdev.name}: ${memdev.state.dev.name} is not in a CXL topology`);
  // From the host bridge down: [host bridge, dport, switch, dport, ..., memdev]
  const path = node.pathUp().reverse();
  const hb = path[0];
  if (hb?.kind !== "host-bridge") throw errno("ENXIO", `${memdev.name}: no host bridge above ${memdev.state.dev.name}`);
  let parent: CxlPort | undefined = cxl.ports().find((p) => p.uport === hb.dev && !p.isEndpoint && !p.isRoot);
  if (parent?.driver === undefined) throw deferProbe(`CXL port topology ${hb.dev.name} not enabled`);
  for (let i = 1; i < path.length - 1; i++) {
    const n = path[i];
    if (n?.kind !== "switch") continue;
    const above = path[i - 1];
    const dport = above === undefined ? undefined : parent.dportByDev(above.dev);
    if (dport === undefined) throw errno("ENXIO", `${memdev.name}: ${parent.name} has no dport for ${above?.dev.name ?? "?"}`);
    let port: CxlPort | undefined = cxl.ports().find((p) => p.uport === n.dev);
    if (port === undefined) {
      if (parent.binding === undefined) throw errno("ENXIO", `${memdev.name}: ${parent.name} is not enabled`);
      port = await addPort(cxl, parent.binding, "switch", n.dev, dport);
    }
    if (port.driver === undefined) throw errno("ENXIO", `${memdev.name}: CXL port topology ${port.name} not enabled`);
    parent = port;
  }
  const slot = node.parent;
  const dport = parent.dportByDev(slot.dev);
  if (dport === undefined) throw errno("ENXIO", `${memdev.name}: ${parent.name} has no dport for ${slot.dev.name}`);
  const endpoint = await addPort(cxl, ctx.devm, "endpoint", memdev, dport);
  if (endpoint.driver === undefined) {
    cxl.log.err(memdev, `${endpoint.name} failed probe`);
    throw errno("ENXIO", `${memdev.name}: ${endpoint.name} failed probe`);
  }
}

export const cxlMemDriver: CxlDriver<CxlMemdev> = {
  name: "cxl_mem",
  bus: "cxl",
  id: CXL_DEVICE.MEMORY_EXPANDER,
  probe: (dev, ctx) => cxlMemProbe(dev, ctx),
};
