/**
 * @packageDocumentation
 * `@dcd/example-region-driver`: the smallest complete region driver, shown in the README's
 * "Write a driver" section. It admits every extent group the CXL core has already validated,
 * keeps a ledger of what the region holds, and defers a release while a group is pinned, the
 * way a real consumer defers while its memory is in use.
 */
import {
  type Device,
  type DriverModule,
  type ExtentGroup,
  type ProbeContext,
  provideRegionDriver,
  type RegionDriver,
  type RegionExtentPolicy,
  type ReleaseVerdict,
} from "@dcd/core";

/** What the example driver knows about one region it binds. */
export class LedgerPolicy implements RegionExtentPolicy {
  /** Bytes of capacity per group tag. */
  readonly held = new Map<string, number>();
  /** Tags whose release is refused (deferred) until unpinned. */
  readonly pinned = new Set<string>();

  admit(group: ExtentGroup) {
    // Gates on alignment, tags and sequence numbers belong to the core; a policy decides only
    // whether it wants the capacity. This one refuses nothing but empty groups.
    return group.extents.length > 0 ? ({ admit: true } as const) : ({ admit: false, reason: "empty group" } as const);
  }

  accepted(group: ExtentGroup): void {
    this.held.set(group.tag, group.extents.reduce((sum, e) => sum + e.length, 0));
  }

  release(group: ExtentGroup, cause: string): ReleaseVerdict {
    if (cause !== "teardown" && this.pinned.has(group.tag)) return { result: "deferred", reason: `tag ${group.tag} is pinned` };
    this.held.delete(group.tag);
    return { result: "released" };
  }

  teardown(): void {
    this.held.clear();
  }
}

/** The driver: a cxl-bus driver for regions whose only job is to supply the policy. */
export const exampleRegionDriver: RegionDriver = {
  name: "cxl_example_region",
  bus: "cxl",
  policy(_region: Device, ctx: ProbeContext): LedgerPolicy {
    const policy = new LedgerPolicy();
    ctx.drvdata = policy;
    return policy;
  },
};

/** The package's module: `createHost({ drivers: [cxlCore, exampleRegionDriverModule] })`. */
export const exampleRegionDriverModule: DriverModule = {
  name: "example-region-driver",
  register(container) {
    provideRegionDriver(container, exampleRegionDriver);
  },
};
