/**
 * Attaching endpoint decoders to a region, programming the decoders along the path, committing and
 * resetting (drivers/cxl/core/region.c `cxl_region_attach`, `cxl_port_attach_region`,
 * `cxl_port_setup_targets`, `cxl_region_decode_commit`, `cxl_region_decode_reset`,
 * `__cxl_decoder_detach`).
 *
 * Simplifications (documented in the README): interleave capability masks are taken as "every
 * encodable ways/granularity"; `check_last_peer` (positions sharing a dport) is not modelled.
 */
import { errno, isDcdError } from "../errors.js";
import { type CxlDecoder, CxlEndpointDecoder, CxlSwitchDecoder } from "./decoder.js";
import { isPowerOf2 } from "./format.js";
import { errnoNumber } from "./mbox/rc-errno.js";
import { type CxlDport, type CxlPort, type CxlRegionRef } from "./port.js";
import { modeName } from "./profile.js";
import { type CxlRegion, granularityToEig, waysToEiw } from "./region.js";

/** `struct cxl_ep` of `port` for the memdev behind `cxled`: the dport toward it and the next port. */
interface CxlEp {
  readonly dport: CxlDport;
  /** The next switch port below, undefined when the next hop is the endpoint itself. */
  readonly next: CxlPort | undefined;
}

/** `cxl_ep_load(port, cxlmd)`: undefined for the endpoint port itself and for foreign ports. */
export function epOf(port: CxlPort, cxled: CxlEndpointDecoder): CxlEp | undefined {
  const path = cxled.port.ancestry();
  const i = path.indexOf(port);
  if (i < 0 || i >= path.length - 1) return undefined;
  const below = path[i + 1];
  if (below?.parentDport === undefined) return undefined;
  return { dport: below.parentDport, next: i + 1 < path.length - 1 ? below : undefined };
}

/** The ports from the endpoint up to (not including) the root. */
function portsUp(cxled: CxlEndpointDecoder): CxlPort[] {
  return cxled.port.ancestry().slice(1).reverse();
}

/** The ports from below the root down the ep chain to the last switch (not the endpoint). */
function portsDown(cxled: CxlEndpointDecoder): CxlPort[] {
  return cxled.port.ancestry().slice(1, -1);
}

/** `cxl_port_pick_region_decoder`. */
function pickDecoder(port: CxlPort, cxled: CxlEndpointDecoder, region: CxlRegion): CxlDecoder | undefined {
  if (port === cxled.port) return cxled;
  const decoders = [...port.decoders.values()].filter((d): d is CxlSwitchDecoder => d instanceof CxlSwitchDecoder);
  if (region.auto) {
    const start = region.hpa?.start;
    return decoders.find((d) => d.hpaSize === region.size && d.hpaStart === start);
  }
  // match_free_decoder: decoders are handed out in commit order.
  const next = decoders.find((d) => d.id === port.commitEnd + 1);
  if (next === undefined) return undefined;
  if (next.region !== undefined) {
    region.cxl.log.debug(port, `next decoder to commit (${next.name}) is already reserved (${next.region.name})`);
    return undefined;
  }
  return next;
}

function freeRegionRef(ref: CxlRegionRef): void {
  if (ref.decoder?.region === ref.region) ref.decoder.region = undefined;
  ref.port.regions.delete(ref.region);
}

/** `cxl_port_attach_region`. */
function portAttachRegion(port: CxlPort, region: CxlRegion, cxled: CxlEndpointDecoder): void {
  const ep = epOf(port, cxled);
  let ref = port.regions.get(region);
  let incremented = false;
  if (ref !== undefined) {
    const found = [...ref.endpoints].some((other) => other !== cxled && epOf(port, other)?.next === ep?.next);
    if (!found || ep?.next === undefined) {
      ref.nrTargets++;
      incremented = true;
    }
  } else {
    const decoder = pickDecoder(port, cxled, region);
    if (decoder === undefined) throw errno("EBUSY", `${region.name}: ${port.name}: no decoder available`);
    for (const other of port.regions.values()) {
      const otherStart = other.region.hpa?.start;
      if (otherStart === undefined || otherStart < (region.hpa?.start ?? 0)) continue;
      if (region.auto) continue;
      region.cxl.log.debug(region, `${port.name}: HPA order violation ${other.region.name} vs ${region.name}`);
      throw errno("EBUSY", `${region.name}: ${port.name}: HPA order violation with ${other.region.name}`);
    }
    if (decoder.region !== undefined) throw errno("EBUSY", `${region.name}: ${port.name}: ${decoder.name} already attached to ${decoder.region.name}`);
    ref = { port, region, decoder, endpoints: new Set(), nrTargetsSet: 0, nrEps: 0, nrTargets: 1 };
    port.regions.set(region, ref);
    incremented = true;
    decoder.targetType = region.targetType;
  }
  const decoder = ref.decoder;
  if (decoder instanceof CxlSwitchDecoder && ref.nrTargets > decoder.nrTargets) {
    if (incremented) ref.nrTargets--;
    if (ref.nrEps === 0) freeRegionRef(ref);
    throw errno("ENXIO", `${region.name}: ${port.name}: ${decoder.name} has only ${decoder.nrTargets} targets`);
  }
  if (decoder?.flags.lock === true) region.lock = true;
  if (ep !== undefined) ref.endpoints.add(cxled);
  ref.nrEps++;
  if (decoder !== undefined && decoder.region === undefined) {
    decoder.region = region;
    if (decoder === cxled && cxled.state === "auto-staged") cxled.state = "auto";
  }
}

/** `cxl_port_detach_region`. */
function portDetachRegion(port: CxlPort, region: CxlRegion, cxled: CxlEndpointDecoder): void {
  const ref = port.regions.get(region);
  if (ref === undefined) return;
  if (ref.decoder === cxled) ref.nrEps--;
  else if (ref.endpoints.delete(cxled)) {
    ref.nrEps--;
    const ep = epOf(port, cxled);
    const found = [...ref.endpoints].some((other) => epOf(port, other)?.next === ep?.next);
    if (!found) ref.nrTargets--;
  }
  if (ref.nrEps === 0) freeRegionRef(ref);
}

/** `cxl_region_attach_position`. */
function attachPosition(region: CxlRegion, cxled: CxlEndpointDecoder, dport: CxlDport, pos: number): void {
  const root = region.rootDecoder;
  if (dport !== root.targets[pos % root.interleaveWays]) {
    region.cxl.log.debug(region, `${cxled.memdev.name}:${cxled.name} invalid target position for ${root.name}`);
    throw errno("ENXIO", `${region.name}: ${cxled.name} (below ${dport.dev.name}) cannot take position ${pos} of ${root.name}`);
  }
  try {
    for (const port of portsUp(cxled)) portAttachRegion(port, region, cxled);
  } catch (err) {
    for (const port of portsUp(cxled)) portDetachRegion(port, region, cxled);
    throw err;
  }
}

/** `cxl_port_setup_targets` (one port, one endpoint). */
function portSetupTargets(port: CxlPort, region: CxlRegion, cxled: CxlEndpointDecoder): void {
  const ref = port.regions.get(region);
  const ep = epOf(port, cxled);
  const decoder = ref?.decoder;
  if (ref === undefined || ep === undefined || !(decoder instanceof CxlSwitchDecoder)) throw errno("ENXIO", `${region.name}: ${port.name} has no decoder for the region`);
  if (!isPowerOf2(ref.nrTargets)) throw errno("EINVAL", `${region.name}: ${port.name}: invalid target count ${ref.nrTargets}`);
  if (ref.nrTargetsSet > 0) {
    for (let i = 0; i < ref.nrTargetsSet; i++) if (decoder.targets[i] === ep.dport) return;
  } else {
    const parent = port.parentPort;
    let parentIg: number;
    let parentIw: number;
    if (parent === undefined || parent.isRoot) {
      parentIg = region.interleaveGranularity;
      parentIw = region.rootDecoder.interleaveWays;
      if (!isPowerOf2(parentIw)) parentIw /= 3;
    } else {
      const pd = parent.regions.get(region)?.decoder;
      parentIg = pd?.interleaveGranularity ?? region.interleaveGranularity;
      parentIw = pd?.interleaveWays ?? 1;
    }
    granularityToEig(parentIg);
    waysToEiw(parentIw);
    const iw = ref.nrTargets;
    waysToEiw(iw);
    const ig = parentIg * parentIw;
    granularityToEig(ig);
    if (iw > 8 || iw > decoder.nrTargets) throw errno("ENXIO", `${region.name}: ${port.name}:${decoder.name}: ways ${iw} overflows targets ${decoder.nrTargets}`);
    if (region.auto) {
      if (decoder.interleaveWays !== iw || (iw > 1 && decoder.interleaveGranularity !== ig) || decoder.hpaStart !== region.hpa?.start || decoder.hpaSize !== region.size || !decoder.flags.enable) {
        region.cxl.log.err(region, `${port.uport.name}:${port.name} cxl_port_setup_targets expected iw: ${iw} ig: ${ig}`);
        throw errno("ENXIO", `${region.name}: ${decoder.name} is not programmed as the region expects`);
      }
    } else {
      decoder.interleaveWays = iw;
      decoder.interleaveGranularity = ig;
      decoder.setHpaRange(region.hpa?.start ?? 0, region.size);
    }
  }
  if (ref.nrTargetsSet === ref.nrTargets) throw errno("ENXIO", `${region.name}: ${port.name}: targets full trying to add ${cxled.name}`);
  if (region.auto) {
    if (decoder.targets[ref.nrTargetsSet] !== ep.dport) throw errno("ENXIO", `${region.name}: ${decoder.name}: expected ${ep.dport.dev.name} at ${ref.nrTargetsSet}`);
  } else {
    decoder.targets[ref.nrTargetsSet] = ep.dport;
  }
  ref.nrTargetsSet++;
}

/** `cxl_region_teardown_targets`. */
function teardownTargets(region: CxlRegion): void {
  if (region.auto) return;
  for (const cxled of region.endpointDecoders()) {
    for (const port of portsDown(cxled)) {
      const ref = port.regions.get(region);
      if (ref === undefined) continue;
      ref.nrTargetsSet = 0;
      ref.decoder?.setHpaRange(0, 0);
    }
  }
}

/** `cxl_region_setup_targets`. */
function setupTargets(region: CxlRegion): void {
  try {
    for (const cxled of region.endpointDecoders()) for (const port of portsDown(cxled)) portSetupTargets(port, region, cxled);
  } catch (err) {
    teardownTargets(region);
    throw err;
  }
}

/**
 * `cxl_region_attach`. `pos` < 0 is auto-assembly (firmware-programmed decoders). Refusals change
 * nothing: dcd undoes a half-done attach where the kernel would leave the target recorded.
 */
export function attachTarget(region: CxlRegion, cxled: CxlEndpointDecoder, pos: number): void {
  if (cxled.part < 0) throw errno("ENODEV", `${region.name}: ${cxled.name} has no mode (dead)`);
  const part = cxled.memdev.state.partitions[cxled.part];
  if (part?.mode !== region.mode) {
    region.cxl.log.debug(region, `${cxled.name} region mode: ${modeName(region.mode, region.cxl.profile)} mismatch`);
    throw errno("EINVAL", `${region.name}: ${cxled.name} is in mode ${cxled.modeName()}, the region is ${modeName(region.mode, region.cxl.profile)}`);
  }
  if (region.atLeast("active")) throw errno("EBUSY", `${region.name}: region already active`);
  if (!region.atLeast("interleave-active")) throw errno("ENXIO", `${region.name}: interleave config missing (set size first)`);
  if (region.nrTargets >= region.interleaveWays) throw errno("EINVAL", `${region.name}: region already has ${region.nrTargets} endpoints`);
  const hostBridge = cxled.port.ancestry()[1];
  const root = region.rootDecoder.port;
  const dport = hostBridge === undefined ? undefined : root.dportByDev(hostBridge.uport);
  if (dport === undefined) throw errno("ENXIO", `${region.name}: ${cxled.name} is not below ${region.rootDecoder.name}'s root`);
  if (cxled.targetType !== region.targetType) throw errno("ENXIO", `${region.name}: ${cxled.name} type mismatch`);
  if (cxled.dpaRes === undefined) throw errno("ENXIO", `${region.name}: ${cxled.name}: missing DPA allocation`);
  if (cxled.dpaRes.size * region.interleaveWays !== region.size) {
    throw errno("EINVAL", `${region.name}: ${cxled.name} dpa_size ${cxled.dpaRes.size} x ways ${region.interleaveWays} != region size ${region.size}`);
  }
  if (region.auto) {
    attachAuto(region, cxled, pos);
    return;
  }
  if (pos < 0 || pos >= region.interleaveWays) throw errno("ENXIO", `${region.name}: position ${pos} out of range ${region.interleaveWays}`);
  const current = region.targets[pos];
  if (current !== undefined && current !== cxled) throw errno("EBUSY", `${region.name}: position ${pos} already assigned to ${current.memdev.name}:${current.name}`);
  const sameMemdev = region.targets.find((t) => t !== undefined && t !== cxled && t.memdev === cxled.memdev);
  if (sameMemdev !== undefined) throw errno("EBUSY", `${region.name}: ${cxled.memdev.name} already specified via ${sameMemdev.name}`);
  attachPosition(region, cxled, dport, pos);
  region.targets[pos] = cxled;
  cxled.pos = pos;
  region.nrTargets++;
  if (region.nrTargets === region.interleaveWays) {
    try {
      setupTargets(region);
    } catch (err) {
      region.targets[pos] = undefined;
      cxled.pos = -1;
      region.nrTargets--;
      for (const port of portsUp(cxled)) portDetachRegion(port, region, cxled);
      throw err;
    }
    region.state = "active";
  }
  cxled.interleaveWays = region.interleaveWays;
  cxled.interleaveGranularity = region.interleaveGranularity;
  cxled.setHpaRange(region.hpa?.start ?? 0, region.size);
}

/** `cxl_region_attach_auto` + the assembly once every target arrived. */
function attachAuto(region: CxlRegion, cxled: CxlEndpointDecoder, pos: number): void {
  if (cxled.state !== "auto") {
    region.cxl.log.err(region, `${cxled.name}: unable to add decoder to autodetected region`);
    throw errno("EINVAL", `${region.name}: ${cxled.name} was not programmed by firmware`);
  }
  if (pos >= 0) throw errno("EINVAL", `${region.name}: ${cxled.name}: expected auto position, not ${pos}`);
  if (region.nrTargets >= region.interleaveWays) {
    region.cxl.log.err(region, `${cxled.name}: no more target slots available`);
    throw errno("ENXIO", `${region.name}: no more target slots available`);
  }
  const at = region.nrTargets;
  region.targets[at] = cxled;
  cxled.pos = at;
  cxled.state = "auto-staged";
  region.nrTargets++;
  if (region.nrTargets < region.interleaveWays) return;
  // All targets are here: positions follow the root decoder's target list (1-level model).
  const root = region.rootDecoder;
  const staged = region.endpointDecoders();
  const order = (t: CxlEndpointDecoder): number => {
    const hb = t.port.ancestry()[1];
    const dport = hb === undefined ? undefined : root.port.dportByDev(hb.uport);
    return dport === undefined ? -1 : root.targets.indexOf(dport);
  };
  staged.sort((a, b) => order(a) - order(b));
  staged.forEach((t, i) => {
    region.targets[i] = t;
    t.pos = i;
  });
  for (const t of staged) {
    const hb = t.port.ancestry()[1];
    const dport = hb === undefined ? undefined : root.port.dportByDev(hb.uport);
    if (dport === undefined) throw errno("ENXIO", `${region.name}: ${t.name} is not below ${root.name}`);
    attachPosition(region, t, dport, t.pos);
  }
  setupTargets(region);
  region.state = "commit";
}

/** `cxl_decoder_commit` (hardware-agnostic part): decoders commit in id order per port. */
function commitDecoder(decoder: CxlDecoder): void {
  if (decoder.flags.enable) return;
  const port = decoder.port;
  if (port.decodersCommitted !== decoder.id) {
    decoder.cxl.log.debug(port, `${decoder.name}: out of order commit, expected decoder${port.id}.${port.decodersCommitted}`);
    throw errno("EBUSY", `${decoder.name}: out of order commit, expected decoder${port.id}.${port.decodersCommitted}`);
  }
  decoder.flags.enable = true;
  port.commitEnd = decoder.id;
}

/** `cxl_decoder_reset` + `cxl_port_commit_reap`. */
function resetDecoder(decoder: CxlDecoder): void {
  if (!decoder.flags.enable) return;
  const port = decoder.port;
  decoder.flags.enable = false;
  if (port.commitEnd === decoder.id) {
    port.commitEnd--;
    while (port.commitEnd >= 0 && port.decoders.get(port.commitEnd)?.flags.enable !== true) port.commitEnd--;
  } else {
    decoder.cxl.log.debug(port, `${decoder.name}: out of order reset, expected decoder${port.id}.${port.commitEnd}`);
  }
}

/** `cxl_region_decode_reset` over the first `count` positions. */
export function decodeReset(region: CxlRegion, count: number): void {
  if (region.lock) return;
  // Flush before teardown; a failure is only the WARN (the kernel's reset no longer stops on it).
  try {
    region.invalidateMemregion();
  } catch {
    // Logged by invalidateMemregion.
  }
  for (let i = count - 1; i >= 0; i--) {
    const cxled = region.targets[i];
    if (cxled === undefined) continue;
    for (const port of portsDown(cxled)) {
      const d = port.regions.get(region)?.decoder;
      if (d !== undefined) resetDecoder(d);
      region.needsReset = true;
    }
    resetDecoder(cxled);
    region.needsReset = true;
  }
  region.needsReset = false;
}

/** `cxl_region_decode_commit`: bottom-up per target; a failure resets what was committed. */
function decodeCommit(region: CxlRegion): void {
  const targets = region.targets.slice(0, region.nrTargets);
  for (let i = 0; i < targets.length; i++) {
    const cxled = targets[i];
    if (cxled === undefined) continue;
    try {
      for (const port of portsUp(cxled)) {
        const d = port.regions.get(region)?.decoder;
        if (d !== undefined) commitDecoder(d);
      }
    } catch (err) {
      for (const port of portsUp(cxled)) {
        const d = port.regions.get(region)?.decoder;
        if (d !== undefined && d !== cxled) resetDecoder(d);
      }
      resetDecoder(cxled);
      decodeReset(region, i);
      throw err;
    }
  }
}

/** `__commit`. */
export function commitRegion(region: CxlRegion): void {
  if (region.atLeast("commit")) return;
  if (!region.atLeast("active")) throw errno("ENXIO", `${region.name}: not ready to commit (${region.nrTargets}/${region.interleaveWays} targets)`);
  // Drop any speculative consumption of the address space before it is decoded; a failure
  // refuses the commit with nothing changed.
  region.invalidateMemregion();
  decodeCommit(region);
  region.state = "commit";
}

/**
 * `commit_store(0)`: reset pending, then the region driver is released (queued: the driver
 * core's unbind is asynchronous) and the decoders are reset. EPERM for a locked region.
 */
export function resetRegion(region: CxlRegion): void {
  if (region.lock) throw errno("EPERM", `${region.name}: region is locked`);
  if (!region.atLeast("commit")) return;
  region.state = "reset-pending";
  // The decoders are reset once the driver is gone (the subsystem finishes it on `unbound-driver`).
  if (region.driver !== undefined) region.cxl.releaseDriver(region);
  else finishReset(region);
}

/** The second half of `commit_store(0)`, after the region driver is released. */
export function finishReset(region: CxlRegion): void {
  if (region.state !== "reset-pending") return;
  decodeReset(region, region.interleaveWays);
  region.state = "active";
}

/** `__cxl_decoder_detach` for a position, or for a known decoder (`pos` ignored). */
export function decoderDetach(region: CxlRegion | undefined, cxled: CxlEndpointDecoder | undefined, pos: number, invalidate: boolean): CxlRegion | undefined {
  let target = cxled;
  let r = region;
  if (target === undefined) {
    if (r === undefined || pos >= r.interleaveWays) return undefined;
    target = r.targets[pos];
    if (target === undefined) return undefined;
  } else {
    r = target.region;
    if (r === undefined) {
      cancelAutoAttach(target);
      return undefined;
    }
  }
  if (invalidate) target.part = -1;
  if (r.atLeast("reset-pending")) {
    decodeReset(r, r.interleaveWays);
    r.state = "active";
  }
  for (const port of portsUp(target)) portDetachRegion(port, r, target);
  if (target.pos < 0 || target.pos >= r.interleaveWays || r.targets[target.pos] !== target) {
    r.cxl.log.warn(r, `expected ${target.memdev.name}:${target.name} at position ${target.pos}`);
    return undefined;
  }
  if (r.state === "active") {
    r.state = "interleave-active";
    teardownTargets(r);
  }
  r.targets[target.pos] = undefined;
  r.nrTargets--;
  target.pos = -1;
  target.setHpaRange(0, 0);
  return r;
}

/** `cxl_cancel_auto_attach`. */
function cancelAutoAttach(cxled: CxlEndpointDecoder): void {
  if (cxled.state !== "auto-staged") return;
  const region = cxled.cxl.regions().find((r) => r.targets[cxled.pos] === cxled);
  if (region === undefined) return;
  region.nrTargets--;
  region.targets[cxled.pos] = undefined;
  cxled.state = "auto";
  cxled.pos = -1;
}

/** `detach_target` then (queued) release the region's driver. */
export function detachTarget(region: CxlRegion, pos: number): void {
  const detached = decoderDetach(region, undefined, pos, false);
  if (detached !== undefined) region.cxl.releaseDriver(detached);
}

/** `store_targetN`: an empty line detaches; a name attaches that endpoint decoder at `pos`. */
export function storeTarget(region: CxlRegion, value: string, pos: number): void {
  if (value === "") {
    detachTarget(region, pos);
    return;
  }
  const dev = region.cxl.cxlDevice(value);
  if (dev === undefined) throw errno("ENODEV", `${region.name}: no cxl device named '${value}'`);
  if (!(dev instanceof CxlEndpointDecoder)) throw errno("EINVAL", `${region.name}: ${value} is not an endpoint decoder`);
  if (region.isDynamic && !dev.memdev.state.dcdSupported) {
    region.cxl.log.debug(dev, "DCD unsupported");
    throw errno("EINVAL", `${region.name}: ${dev.memdev.name} does not support DCD (DCD unsupported)`);
  }
  try {
    attachTarget(region, dev, pos);
  } catch (err) {
    const rc = isDcdError(err) ? errnoNumber(err.code) : 5;
    region.cxl.log.warn(dev.port, `failed to attach ${dev.name} to ${region.name}: -${rc}`);
    throw err;
  }
}

