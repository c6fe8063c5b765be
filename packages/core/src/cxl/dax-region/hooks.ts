/**
 * The extent pipeline's side of the CXL core's {@link CxlDcdHooks} (cxl/hooks.ts):
 *
 * - `memdevEventsEnabled`: attach the memdev to the host's {@link CxlExtentCore} (its DC event
 *   log is drained on every interrupt) until the memdev's binding goes;
 * - `dcRegionProbe`: create `dax_regionZ` for the DC region whose region driver just bound, with
 *   that driver's policy; the returned teardown releases everything (R60) and deletes it.
 *
 * `registerCxlExtentHooks(container)` puts them in a host container (the CXL core's module calls
 * it, or a test does). Kernel log lines go to the host's `KERNEL_LOG` when it has one, and the
 * CXL core's kernel series (v9/v10/v11) picks the {@link HOST_POLICY} unless the host set one.
 */
import type { DependencyContainer } from "tsyringe";
import type { Devm } from "../../driver-model/devres.js";
import { errno } from "../../errors.js";
import { HOST_QUIESCE } from "../../host/tokens.js";
import { CXL_DCD_HOOKS, type CxlDcdHooks, type CxlHookTeardown } from "../hooks.js";
import type { CxlMemdev } from "../memdev.js";
import type { CxlRegion } from "../region.js";
import type { RegionExtentPolicy } from "../region-driver.js";
import { CxlExtentCore, HOST_POLICY } from "../extent/extent-core.js";
import { hostPolicy } from "../extent/host-policy.js";
import { CXL_SUBSYSTEM } from "../subsystem.js";

const installed = new WeakSet<DependencyContainer>();

/** The hooks of one host's extent core. */
export class CxlExtentHooks implements CxlDcdHooks {
  constructor(private readonly container: DependencyContainer) {}

  /** The host's extent core (created on first use). */
  get core(): CxlExtentCore {
    return CxlExtentCore.of(this.container);
  }

  /** `CxlSubsystem.settle()` waits for the pipeline's drains, chains and releases too. */
  idle(): Promise<void> {
    return this.core.idle();
  }

  memdevEventsEnabled(memdev: CxlMemdev, devm: Devm): void {
    const state = memdev.state;
    // Linux uses the first DC partition only (R4); extents elsewhere are "not in a valid DC partition".
    const partitions = state.dcPartition === undefined ? [] : [state.dcPartition];
    const interrupt$ = state.interrupt$;
    const handle = this.core.attachMemdev({
      memdev,
      mailbox: state.mailbox,
      partitions,
      ...(interrupt$ === undefined ? {} : { interrupt$ }),
    });
    devm.disposable(handle);
  }

  async dcRegionProbe(region: CxlRegion, policy: RegionExtentPolicy): Promise<CxlHookTeardown> {
    const hpaStart = region.hpaStart;
    if (hpaStart === undefined) throw errno("ENXIO", `${region.name}: no HPA range`);
    const core = this.core;
    const dax = await core.attachDcRegion({
      region,
      regionId: region.id,
      hpaStart,
      size: region.size,
      targets: region.endpointDecoders().map((ed) => ({
        memdev: ed.memdev,
        decoder: ed.name,
        dpaStart: ed.dpaStart ?? 0,
        dpaSize: ed.dpaSize,
        hpaStart: ed.hpaStart,
      })),
      policy,
      // R31 / R42: the region's cache invalidation runs before a group is onlined or released.
      invalidateMemregion: () => {
        region.invalidateMemregion();
      },
    });
    return () => core.detachDcRegion(dax);
  }
}

/** Register the extent pipeline's hooks (once) in a host container that has the CXL core. */
export function registerCxlExtentHooks(container: DependencyContainer): CxlExtentHooks {
  const hooks = new CxlExtentHooks(container);
  if (!installed.has(container)) {
    installed.add(container);
    container.register(CXL_DCD_HOOKS, { useValue: hooks });
    // A drain or release still running when the host goes away may need the driver core
    // (extent devices, a region driver removing memory): let it finish before the teardown.
    container.register(HOST_QUIESCE, { useValue: { quiesce: () => hooks.idle() } });
    // The kernel series of the CXL core picks the extent policy, unless the host set one.
    if (!container.isRegistered(HOST_POLICY, true) && container.isRegistered(CXL_SUBSYSTEM, true)) {
      const series = container.resolve(CXL_SUBSYSTEM).profile.series;
      container.register(HOST_POLICY, { useValue: hostPolicy(series === "v9" ? "L9" : series === "v10" ? "L10" : "L11") });
    }
  }
  return hooks;
}
