/**
 * `cxl_port` (drivers/cxl/port.c): binds switch ports (host bridges, switches) and endpoint ports.
 * A switch port enumerates its dports and switch decoders; an endpoint port its endpoint decoders,
 * reading what firmware committed (DPA reservations, HPA ranges) and assembling auto-regions
 * (`discover_region` → `cxl_add_to_region`, R70).
 */
import { type ProbeContext } from "../../driver-model/driver.js";
import { describe, errno } from "../../errors.js";
import { CXL_DEVICE, type CxlDriver } from "../bus.js";
import { CxlEndpointDecoder, CxlSwitchDecoder } from "../decoder.js";
import { addReleaseAction, dpaReserve } from "../dpa.js";
import { addDecoder, addDport } from "../enumerate.js";
import { CxlMemdev } from "../memdev.js";
import { type CxlPort } from "../port.js";
import { cxlAddToRegion } from "../region-create.js";

async function switchPortProbe(port: CxlPort, ctx: ProbeContext<CxlPort>): Promise<void> {
  const cxl = port.cxl;
  const node = cxl.hwNode(port.uport);
  if (node === undefined) throw errno("ENXIO", `${port.name}: ${port.uport.name} is not a known host bridge or switch`);
  for (const dp of node.downstreamPorts()) addDport(cxl, ctx.devm, port, dp.portId, dp.dev);
  const count = node.hdm?.count ?? 1;
  for (let i = 0; i < count; i++) {
    const d = new CxlSwitchDecoder(port, port.decoderIda.alloc(), Math.max(port.dports.size, 1));
    const prog = node.hdm?.programmed.get(d.id);
    if (prog !== undefined) {
      d.setHpaRange(prog.hpaStart, prog.size);
      d.interleaveWays = prog.ways;
      d.interleaveGranularity = prog.granularity;
      prog.targets.forEach((id, t) => (d.targets[t] = port.dport(id)));
      d.flags.enable = true;
      if (port.commitEnd + 1 === d.id) port.commitEnd = d.id;
    }
    await addDecoder(cxl, ctx.devm, d);
  }
}

async function endpointPortProbe(port: CxlPort, ctx: ProbeContext<CxlPort>): Promise<void> {
  const cxl = port.cxl;
  const memdev = port.uport;
  if (!(memdev instanceof CxlMemdev)) throw errno("ENXIO", `${port.name}: ${memdev.name} is not a memdev`);
  const state = memdev.state;
  const node = cxl.hwNode(state.dev);
  const count = node?.hdm?.count ?? 1;
  const auto: CxlEndpointDecoder[] = [];
  let dpaBase = 0;
  for (let i = 0; i < count; i++) {
    const cxled = new CxlEndpointDecoder(port, port.decoderIda.alloc());
    const prog = node?.hdm?.programmed.get(cxled.id);
    if (prog !== undefined) {
      // init_hdm_decoder: committed decoders reserve their DPA (and skip) in decoder order.
      const dpaSize = prog.size / prog.ways;
      try {
        dpaReserve(state, cxled, dpaBase + prog.skip, dpaSize, prog.skip);
        addReleaseAction(state, cxled);
        dpaBase += dpaSize + prog.skip;
        cxled.setHpaRange(prog.hpaStart, prog.size);
        cxled.interleaveWays = prog.ways;
        cxled.interleaveGranularity = prog.granularity;
        cxled.flags.enable = true;
        cxled.state = "auto";
        if (port.commitEnd + 1 === cxled.id) port.commitEnd = cxled.id;
        auto.push(cxled);
      } catch (err) {
        cxl.log.err(port, `${cxled.name}: failed to reserve firmware DPA allocation: ${describe(err)}`);
      }
    }
    await addDecoder(cxl, ctx.devm, cxled);
  }
  for (const cxled of auto) {
    try {
      await cxlAddToRegion(cxled);
    } catch (err) {
      cxl.log.debug(cxled, `auto-region assembly: ${describe(err)}`);
    }
  }
}

async function cxlPortProbe(port: CxlPort, ctx: ProbeContext<CxlPort>): Promise<void> {
  port.binding = ctx.devm;
  ctx.devm.add(() => {
    port.binding = undefined;
  });
  if (port.isEndpoint) await endpointPortProbe(port, ctx);
  else await switchPortProbe(port, ctx);
}

export const cxlPortDriver: CxlDriver<CxlPort> = {
  name: "cxl_port",
  bus: "cxl",
  id: CXL_DEVICE.PORT,
  probe: (dev, ctx) => cxlPortProbe(dev, ctx),
};
