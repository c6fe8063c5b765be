/**
 * `cxl_devdax_region` (Gregory Price's region-driver series): a DC region whose capacity is
 * handed out as device-dax devices claimed by tag. All the DAX behaviour lives in `@dcd/core`'s
 * dax layer ({@link DaxRegionPolicy}); this driver only supplies that policy for the regions it
 * binds, and the module also makes it the default `cxl_region` policy for DC regions (the
 * kernel's DAX-backed behaviour) through `CXL_DCD_HOOKS.defaultPolicy`.
 */
import {
  CXL_DCD_HOOKS,
  type CxlDcdHooks,
  CxlRegion,
  daxDefaultPolicyHooks,
  type DaxLayerOptions,
  daxRegionPolicy,
  type DaxRegionPolicy,
  type DriverModule,
  errno,
  type ProbeContext,
  provideRegionDriver,
  type RegionDriver,
  registerDaxBus,
} from "@dcd/core";
import { type DependencyContainer } from "tsyringe";

export const DEVDAX_REGION_DRIVER_NAME = "cxl_devdax_region";

/** The region driver: binds DC regions only (explicit bind, no automatic match). */
export const devdaxRegionDriver: RegionDriver<CxlRegion> = Object.freeze({
  name: DEVDAX_REGION_DRIVER_NAME,
  bus: "cxl",
  probe(region: CxlRegion): void {
    if (!(region instanceof CxlRegion) || !region.isDynamic) throw errno("ENXIO", `${DEVDAX_REGION_DRIVER_NAME}: ${String(region)} is not a dynamic_ram_1 region`);
  },
  policy(region: CxlRegion, ctx: ProbeContext<CxlRegion>): DaxRegionPolicy {
    const policy = daxRegionPolicy(region);
    ctx.drvdata = policy;
    return policy;
  },
});

/** The default `cxl_region` policy for DC regions: the same DAX policy (core's {@link daxDefaultPolicyHooks}). */
export const devdaxDefaultPolicyHooks: CxlDcdHooks = daxDefaultPolicyHooks;

export interface DevdaxModuleOptions extends DaxLayerOptions {
  /** Also make the DAX policy `cxl_region`'s default for DC regions; default true. */
  readonly defaultPolicy?: boolean;
}

function register(container: DependencyContainer, options: DevdaxModuleOptions): void {
  registerDaxBus(container, options);
  provideRegionDriver(container, devdaxRegionDriver);
  if (options.defaultPolicy !== false) container.register(CXL_DCD_HOOKS, { useValue: devdaxDefaultPolicyHooks });
}

/** The module with options (`target_node`, kmem online type, default-policy switch). */
export function devdaxModule(options: DevdaxModuleOptions = {}): DriverModule {
  return Object.freeze({ name: "devdax", register: (c: DependencyContainer) => { register(c, options); } });
}

/** `createHost({ drivers: [cxlCoreModule(...), devdaxRegionDriverModule] })`. */
export const devdaxRegionDriverModule: DriverModule = devdaxModule();
