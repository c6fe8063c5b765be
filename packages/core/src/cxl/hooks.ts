/**
 * How the Dynamic Capacity extent pipeline (cxl/extent, cxl/dax-region) plugs into the object
 * model: a service registered in the host container under {@link CXL_DCD_HOOKS}. The CXL core calls
 * every registered implementation at the kernel's points:
 *
 * - `memdevEventsEnabled`: `cxl_event_config` has wired the event interrupt of a memdev whose DCD
 *   is supported (after R3-R6): start draining the DC event log. Register teardown on `devm`
 *   (the memdev host's binding: released when the memdev goes away).
 * - `dcRegionProbe`: a region driver has bound a DC region and supplied its policy
 *   (`devm_cxl_add_dax_region` in v11's `cxl_region_probe`): create `dax_regionZ`, scan existing
 *   extents (R37). Whatever it returns runs when the region is unbound, *before* the region
 *   driver's `remove` and before the policy is dropped.
 * - `defaultPolicy`: the policy of the default `cxl_region` driver for a DC region (the DAX-backed
 *   behaviour of the kernel). Without one, `cxl_region` admits every group and never defers.
 * - `idle`: resolves once the pipeline's own queued work (event drains, chains) is done;
 *   `CxlSubsystem.settle()` waits for it as well as for the driver core.
 * - `invalidateMemregion`: the platform's `cpu_cache_invalidate_memregion(IORES_DESC_CXL)`, which
 *   `cxl_region_invalidate_memregion` runs before a region commits, when its decoders reset, and
 *   before DC extents are onlined (R31) or released (R42). Throw to report that the CPU caches
 *   could not be synchronised. Without any implementation the platform is taken to have none to
 *   do (as `CONFIG_CXL_REGION_INVALIDATION_TEST`).
 */
import { type InjectionToken } from "tsyringe";
import { type Devm } from "../driver-model/devres.js";
import { type ProbeContext } from "../driver-model/driver.js";
import { type CxlMemdev } from "./memdev.js";
import { type CxlRegion } from "./region.js";
import { type RegionExtentPolicy } from "./region-driver.js";

/** Undo what a hook did; awaited. */
export type CxlHookTeardown = () => unknown;

export interface CxlDcdHooks {
  memdevEventsEnabled?(memdev: CxlMemdev, devm: Devm): void;
  dcRegionProbe?(region: CxlRegion, policy: RegionExtentPolicy, ctx: ProbeContext<CxlRegion>): CxlHookTeardown | undefined | Promise<CxlHookTeardown | undefined>;
  defaultPolicy?(region: CxlRegion, ctx: ProbeContext<CxlRegion>): RegionExtentPolicy | undefined;
  idle?(): Promise<void>;
  invalidateMemregion?(region: CxlRegion): void;
}

/** Implementations of {@link CxlDcdHooks} (register with `container.register(CXL_DCD_HOOKS, { useValue })`). */
export const CXL_DCD_HOOKS: InjectionToken<CxlDcdHooks> = Symbol("CxlDcdHooks");
