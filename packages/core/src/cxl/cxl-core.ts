/**
 * `cxlCore`: the CXL subsystem as a driver module (cxl_core + cxl_acpi + cxl_pci + cxl_port +
 * cxl_mem + the default region driver). Load it first:
 *
 * ```ts
 * const host = await createHost({ name: "h0", drivers: [cxlCore, sysramRegionDriverModule] });
 * ```
 *
 * It registers the `cxl`, `platform` and `pci` buses, the host's kernel log, the host's
 * {@link CxlSubsystem}, and the drivers; `cxl_region` is registered as a region driver too, so
 * `create-region --driver cxl_region` finds it by name. Region drivers of other packages come in
 * through `provideRegionDriver`, which registers them as drivers as well: the host registers
 * every one on the cxl bus (`/sys/bus/cxl/drivers/<name>/bind`).
 */
import { instanceCachingFactory } from "tsyringe";
import { BUS_TYPE, DRIVER, type DriverModule } from "../host/tokens.js";
import { CLOCK } from "../time/clock.js";
import { cxlBusType, platformBusType, pciBusType } from "./bus.js";
import { cxlAcpiDriver } from "./drivers/cxl-acpi.js";
import { cxlMemDriver } from "./drivers/cxl-mem.js";
import { cxlPciDriver } from "./drivers/cxl-pci.js";
import { cxlPortDriver } from "./drivers/cxl-port.js";
import { cxlRegionDriver } from "./drivers/cxl-region.js";
import { daxCxlModule } from "./dax-region/cxl-dax-region-driver.js";
import { registerCxlExtentHooks } from "./dax-region/hooks.js";
import { KERNEL_LOG, KernelLog } from "./kernel-log.js";
import { cxlProfile, type CxlKernelSeries } from "./profile.js";
import { cxlBusProbe, cxlBusRemove } from "./region-bind.js";
import { provideRegionDriver } from "./region-driver.js";
import { CXL_SUBSYSTEM, CxlSubsystem } from "./subsystem.js";

export interface CxlCoreOptions {
  /** Kernel series to behave as; default "v11" (`dynamic_ram_1`). "v10"/"v9" use `dynamic_ram_a`. */
  readonly profile?: CxlKernelSeries;
  /**
   * Load the Dynamic Capacity extent pipeline (its `CxlDcdHooks`) and the `cxl_dax_region`
   * driver (`dax_cxl`); default true. Without it DC regions bind but no extent is ever handled.
   */
  readonly extents?: boolean;
}

/** The CXL core module, configured. */
export function cxlCoreModule(options: CxlCoreOptions = {}): DriverModule {
  const profile = cxlProfile(options.profile);
  return {
    name: "cxl_core",
    register(container) {
      container.register(BUS_TYPE, { useValue: cxlBusType({ probe: cxlBusProbe, remove: cxlBusRemove }) });
      container.register(BUS_TYPE, { useValue: platformBusType });
      container.register(BUS_TYPE, { useValue: pciBusType });
      // printk stamps each line with the time it was printed (`ts_nsec`): the host's clock.
      container.register(KERNEL_LOG, { useFactory: instanceCachingFactory((c) => new KernelLog(c.isRegistered(CLOCK, true) ? c.resolve(CLOCK) : undefined)) });
      container.register(CXL_SUBSYSTEM, { useFactory: instanceCachingFactory((c) => new CxlSubsystem(c, profile)) });
      container.register(DRIVER, { useValue: cxlAcpiDriver });
      container.register(DRIVER, { useValue: cxlPciDriver });
      container.register(DRIVER, { useValue: cxlPortDriver });
      container.register(DRIVER, { useValue: cxlMemDriver });
      provideRegionDriver(container, cxlRegionDriver);
      if (options.extents ?? true) {
        daxCxlModule.register(container);
        registerCxlExtentHooks(container);
      }
    },
  };
}

/** The CXL core with the default (v11) profile. */
export const cxlCore: DriverModule = cxlCoreModule();
