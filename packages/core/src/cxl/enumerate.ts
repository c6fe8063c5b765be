/**
 * Adding ports, dports and decoders the way drivers/cxl/core/port.c does: each is owned by the
 * devres of the binding that created it (`devm_cxl_add_port`, `devm_cxl_add_dport`,
 * `cxl_decoder_autoremove`), links `uport`, `parent_dport` and `dportN` are made next to it, and its
 * id goes back to the allocator when the device is finally removed.
 */
import { type Device } from "../driver-model/device.js";
import { type Devm } from "../driver-model/devres.js";
import { CxlEndpointDecoder, CxlRootDecoder, type CxlDecoder } from "./decoder.js";
import { CxlMemdev } from "./memdev.js";
import { type CxlDport, CxlPort, type CxlPortKind } from "./port.js";
import { decoderDetach } from "./region-attach.js";
import { type CxlSubsystem } from "./subsystem.js";

function sysDir(dev: Device): string {
  return `/sys${dev.devpath}`;
}

/** `devm_cxl_add_port` (root, switch or endpoint), owned by `devm`. */
export async function addPort(cxl: CxlSubsystem, devm: Devm, kind: CxlPortKind, uport: Device, parentDport?: CxlDport): Promise<CxlPort> {
  const id = cxl.portIda.alloc();
  const port = new CxlPort({ cxl, id, kind, uport, ...(parentDport === undefined ? {} : { parentDport }) });
  if (kind === "endpoint" && uport instanceof CxlMemdev) uport.endpoint = port;
  const release = (): void => {
    cxl.portIda.free(id);
    if (uport instanceof CxlMemdev && uport.endpoint === port) uport.endpoint = undefined;
  };
  await cxl.addDevice(port, release);
  await devm.addOrReset(async () => {
    port.dead = true;
    await cxl.deleteDevice(port);
  });
  if (port.isRegistered) {
    cxl.sysfs.addLink(`${sysDir(port)}/uport`, sysDir(uport));
    if (parentDport !== undefined) cxl.sysfs.addLink(`${sysDir(port)}/parent_dport`, sysDir(parentDport.dev));
  }
  cxl.log.debug(uport, `${port.name} added${parentDport === undefined ? " (root port)" : ` to ${parentDport.port.name}`}`);
  return port;
}

/** `devm_cxl_add_dport`: `dport<id>` of `port`, owned by `devm`. */
export function addDport(cxl: CxlSubsystem, devm: Devm, port: CxlPort, portId: number, dev: Device): CxlDport {
  const dport = port.addDport(portId, dev);
  const link = `${sysDir(port)}/dport${portId}`;
  cxl.sysfs.addLink(link, sysDir(dev));
  devm.add(() => {
    port.removeDport(dport);
    if (port.isRegistered) cxl.sysfs.removeIfExists(link);
  });
  return dport;
}

/** `cxl_decoder_add` + `cxl_decoder_autoremove(devm)`. */
export async function addDecoder(cxl: CxlSubsystem, devm: Devm, decoder: CxlDecoder): Promise<void> {
  const port = decoder.port;
  port.decoders.set(decoder.id, decoder);
  const release = (): void => {
    if (port.decoders.get(decoder.id) === decoder) port.decoders.delete(decoder.id);
    port.decoderIda.free(decoder.id);
    if (decoder instanceof CxlRootDecoder) cxl.memregionIda.free(decoder.regionId);
  };
  await cxl.addDevice(decoder, release);
  await devm.addOrReset(async () => {
    // cxld_unregister: an endpoint decoder leaves its region (and loses its mode) first.
    if (decoder instanceof CxlEndpointDecoder) {
      const region = decoderDetach(undefined, decoder, -1, true);
      if (region !== undefined) cxl.releaseDriver(region);
    }
    await cxl.deleteDevice(decoder);
  });
}
