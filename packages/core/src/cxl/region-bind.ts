/**
 * The cxl bus's probe and remove wrappers (`cxl_bus_probe` / `cxl_bus_remove`), with what every
 * region driver gets from the core when it binds a region:
 *
 * 1. `cxl_region_can_probe`: an uncommitted region (or one that needs a reset) is refused with
 *    ENXIO, quietly, whichever region driver tries;
 * 2. the driver's own `probe`, if it has one;
 * 3. its extent policy (`RegionDriver.policy`), kept on the region while bound;
 * 4. for a DC region, the extent pipeline's `dcRegionProbe` hooks (dax_regionZ, probe-time scan).
 *
 * Remove runs the hooks' teardown first, then the driver's `remove`; devres then drops the policy.
 */
import { type Device } from "../driver-model/device.js";
import { type Driver, type ProbeContext } from "../driver-model/driver.js";
import { errno } from "../errors.js";
import { type CxlHookTeardown } from "./hooks.js";
import { CxlRegion } from "./region.js";
import { isRegionDriver } from "./region-driver.js";

const teardowns = new WeakMap<CxlRegion, CxlHookTeardown[]>();

async function runTeardowns(region: CxlRegion): Promise<void> {
  const list = teardowns.get(region) ?? [];
  teardowns.delete(region);
  for (const fn of list.reverse()) await fn();
}

/** `cxl_region_can_probe`. */
export function regionCanProbe(region: CxlRegion): void {
  if (!region.committed) {
    region.cxl.log.debug(region, `config state: ${region.state}`);
    throw errno("ENXIO", `${region.name}: not committed (state ${region.state})`);
  }
  if (region.needsReset) {
    region.cxl.log.err(region, "failed to activate, re-commit region and retry");
    throw errno("ENXIO", `${region.name}: needs a reset`);
  }
}

async function probeRegion(region: CxlRegion, drv: Driver, ctx: ProbeContext): Promise<void> {
  regionCanProbe(region);
  const rctx = ctx as unknown as ProbeContext<CxlRegion>;
  const pending = drv.probe?.(region, ctx);
  if (pending !== undefined) await pending;
  if (!isRegionDriver(drv)) return;
  const policy = drv.policy(region as never, rctx as never);
  region.boundPolicy = policy;
  ctx.devm.add(() => {
    if (region.boundPolicy === policy) region.boundPolicy = undefined;
  });
  if (!region.isDynamic) return;
  // Teardown of the hooks runs in remove (before the driver's own), or here if the probe fails later.
  const list: CxlHookTeardown[] = [];
  teardowns.set(region, list);
  ctx.devm.add(() => runTeardowns(region));
  for (const hooks of region.cxl.hooks()) {
    const teardown = await hooks.dcRegionProbe?.(region, policy, rctx);
    if (teardown !== undefined) list.push(teardown);
  }
}

/** `cxl_bus_probe`: the region rules above for regions, the driver's probe for everything else. */
export async function cxlBusProbe(dev: Device, drv: Driver, ctx: ProbeContext): Promise<void> {
  if (dev instanceof CxlRegion) {
    await probeRegion(dev, drv, ctx);
    return;
  }
  const pending = drv.probe?.(dev, ctx);
  if (pending !== undefined) await pending;
}

/** `cxl_bus_remove`. */
export async function cxlBusRemove(dev: Device, drv: Driver, ctx: ProbeContext): Promise<void> {
  if (dev instanceof CxlRegion) await runTeardowns(dev);
  const pending = drv.remove?.(dev, ctx);
  if (pending !== undefined) await pending;
}
