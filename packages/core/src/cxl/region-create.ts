/**
 * Creating and destroying regions (drivers/cxl/core/region.c `create_region_store`,
 * `delete_region_store`, `devm_cxl_add_region`, `unregister_region`, `cxl_region_release`) and
 * auto-assembly from firmware-programmed decoders (`cxl_add_to_region`, R70).
 *
 * The sysfs stores are synchronous and the driver core is not: a store makes every check and
 * state change at once (the next `create_*_region` read already names the next region, a second
 * `delete_region` of the same name is ENODEV), and queues the device registration or removal;
 * `await host.settle()` before using the new `regionZ` directory.
 */
import { type DevresAction } from "../driver-model/devres.js";
import { errno, isDcdError } from "../errors.js";
import { type CxlDecoderTargetType, type CxlEndpointDecoder, type CxlRootDecoder } from "./decoder.js";
import { fmtLlx } from "./format.js";
import { type CxlPartitionMode } from "./profile.js";
import { CxlRegion } from "./region.js";
import { attachTarget, decoderDetach } from "./region-attach.js";

const REGION_NAME = /^region\s*([+-]?\d+)/;

/** The devres action that unregisters a region, per region (to `devm_release_action` it). */
const unregisterActions = new WeakMap<CxlRegion, DevresAction>();
/** Regions whose id and HPA were given back. */
const released = new WeakSet<CxlRegion>();

/**
 * `__create_region` + `devm_cxl_add_region`: take the id `id` (which must be the root decoder's
 * `region_id`), allocate the next one, and register `regionZ`. EBUSY when `id` is stale.
 */
export function createRegion(rd: CxlRootDecoder, mode: CxlPartitionMode, id: number, targetType: CxlDecoderTargetType = "expander"): CxlRegion {
  const cxl = rd.cxl;
  const root = rd.port;
  const devm = root.binding;
  if (devm === undefined) throw errno("ENXIO", `${rd.name}: the CXL root is not bound`);
  const next = cxl.memregionIda.alloc();
  if (rd.regionId !== id) {
    cxl.memregionIda.free(next);
    throw errno("EBUSY", `${rd.name}: region${id} is not the next region (read ${rd.name}/create_*_region: region${rd.regionId})`);
  }
  rd.regionId = next;
  const region = new CxlRegion(rd, id, mode, targetType);
  rd.regions.set(region.name, region);
  region.registered = cxl
    .addDevice(region, () => {
      releaseRegion(region);
    })
    .then(() => {
      region.syncTargetAttrs();
    });
  const action: DevresAction = () => unregisterRegion(region);
  unregisterActions.set(region, action);
  devm.add(action);
  cxl.background(region.registered, `add ${region.name}`);
  cxl.log.debug(root.uport, `${rd.name}: created ${region.name}`);
  return region;
}

/** `create_region_store`: `region%d`, the id `create_*_region` reads. */
export function createRegionStore(rd: CxlRootDecoder, value: string, mode: CxlPartitionMode): void {
  const m = REGION_NAME.exec(value);
  if (m === null) throw errno("EINVAL", `${rd.name}: '${value}' is not regionN`);
  createRegion(rd, mode, Number(m[1]));
}

/** `delete_region_store`: ENODEV unless `value` names a region of this root decoder. */
export function deleteRegionStore(rd: CxlRootDecoder, value: string): void {
  const region = rd.regions.get(value);
  const action = region === undefined ? undefined : unregisterActions.get(region);
  if (region === undefined || region.deleting || action === undefined) throw errno("ENODEV", `${rd.name}: no region '${value}'`);
  // devm_release_action: forget the devres entry and unregister now (the removal is queued).
  rd.port.binding?.remove(action);
  rd.cxl.background(unregisterRegion(region), `delete ${region.name}`);
}

/**
 * `unregister_region`: `device_del` (which unbinds the region driver); the rest happens when the
 * driver core reports the device removed ({@link releaseRegion}). The removal is queued at once,
 * behind the region's own registration.
 */
function unregisterRegion(region: CxlRegion): Promise<void> {
  region.deleting = true;
  unregisterActions.delete(region);
  region.rootDecoder.regions.delete(region.name);
  return region.cxl.core.deviceDel(region).catch((err: unknown) => {
    // Never registered (its registration failed): nothing to remove, only to release.
    if (isDcdError(err, "ENODEV")) releaseRegion(region);
    else throw err;
  });
}

/**
 * The rest of `unregister_region` and `cxl_region_release`, once the device is gone: detach every
 * target, free the HPA range, give the id back (the lower of the region's id and the root
 * decoder's cached next id is kept, so ids do not grow needlessly).
 */
function releaseRegion(region: CxlRegion): void {
  if (released.has(region)) return;
  released.add(region);
  for (let i = 0; i < region.interleaveWays; i++) decoderDetach(region, undefined, i, false);
  region.releaseHpa();
  const rd = region.rootDecoder;
  rd.regions.delete(region.name);
  const cxl = region.cxl;
  if (region.id < rd.regionId && rd.isRegistered) {
    cxl.memregionIda.free(rd.regionId);
    rd.regionId = region.id;
  } else {
    cxl.memregionIda.free(region.id);
  }
}

// ---- auto-regions ------------------------------------------------------------------------------

/**
 * `cxl_add_to_region`: an endpoint decoder firmware committed joins the region of its HPA range,
 * constructing it (committed, R70) when it is the first; once every target is there the region
 * is offered to the drivers and binds to the first that matches: the default `cxl_region`.
 */
export async function cxlAddToRegion(cxled: CxlEndpointDecoder): Promise<void> {
  const cxl = cxled.cxl;
  const start = cxled.hpaStart;
  const size = cxled.hpaSize;
  const rd = cxl.rootDecoders().find((r) => start >= r.hpaStart && start + size <= r.hpaStart + r.hpaSize);
  if (rd === undefined) {
    cxl.log.err(cxled.memdev.state.dev, `${cxled.memdev.name}:${cxled.name} no CXL window for range ${fmtLlx(start)}:${fmtLlx(start + size - 1)}`);
    throw errno("ENXIO", `${cxled.name}: no root decoder decodes ${fmtLlx(start)}+${fmtLlx(size)}`);
  }
  let region = [...rd.regions.values()].find((r) => r.hpa?.start === start && r.hpa.size === size);
  if (region === undefined) {
    const part = cxled.memdev.state.partitions[cxled.part];
    if (part === undefined) throw errno("ENXIO", `${cxled.name}: firmware decoder maps no partition`);
    region = createRegion(rd, part.mode, rd.regionId, cxled.targetType);
    region.auto = true;
    region.hpa = rd.claimHpa(start, size, region.name);
    region.interleaveWays = cxled.interleaveWays;
    region.interleaveGranularity = cxled.interleaveGranularity;
    region.state = "interleave-active";
  }
  await region.registered;
  region.syncTargetAttrs();
  try {
    attachTarget(region, cxled, -1);
  } catch (err) {
    cxl.log.warn(cxled.port, `failed to attach ${cxled.name} to ${region.name}`);
    throw err;
  }
  if (region.committed) {
    await cxl.core.bus("cxl")?.probeDevice(region.name);
    if (region.driver === undefined) cxl.log.err(region, `failed to enable, range: ${fmtLlx(start)}-${fmtLlx(start + size - 1)}`);
  }
}
