/**
 * `dax_regionZ`: the `cxl_dax_region` device a DC region gets when its region driver binds
 * (kernel `devm_cxl_add_dax_region`, drivers/cxl/core/region_dax.c). It sits on the cxl bus under
 * `regionZ`, is bound by the `cxl_dax_region` driver (module dax_cxl) whose probe runs the
 * probe-time scan (R37), and is the parent of the `extentZ.K` devices.
 */
import { type Observable, Subject } from "rxjs";
import { Device } from "../../driver-model/device.js";
import { errno } from "../../errors.js";
import { cxlBaseGroup, type CxlDeviceType } from "../bus.js";
import type { ExtentLifecycleEvent } from "../extent/events.js";
import { type DcExtentRecord, type DcRegionTarget, type RegionSide, type TagGroupRecord, TargetState } from "../extent/model.js";
import { IdTable } from "../extent/id-table.js";
import { LowestIdAllocator } from "../extent/sorted-index.js";
import { type DcExtentInfo, extentInfo } from "./extent-sysfs.js";
import type { ExtentGroup, RegionExtentPolicy, ReleaseVerdict } from "../region-driver.js";

/** `CXL_DEVICE_DAX_REGION`: the cxl bus device-type id (`MODALIAS=cxl:t8`). */
export const CXL_DEVICE_DAX_REGION = 8;
/** The kernel driver's name (drivers/dax/cxl.c); its module is `dax_cxl`. */
export const CXL_DAX_REGION_DRIVER_NAME = "cxl_dax_region";

/** `cxl_dax_region_type`: DEVTYPE=cxl_dax_region, `modalias` cxl:t8. */
export const CXL_DAX_REGION_TYPE: CxlDeviceType<CxlDaxRegion> = {
  name: "cxl_dax_region",
  cxlDeviceId: CXL_DEVICE_DAX_REGION,
  groups: [cxlBaseGroup],
};

/** What a `CxlDaxRegion` asks of the extent core (implemented by `CxlExtentCore`). */
export interface DaxRegionEngine {
  /** The `cxl_dax_region` probe: notify groups accepted while unbound, then scan (R37). */
  probeDaxRegion(region: CxlDaxRegion): Promise<void>;
  /** The driver's remove: release every group (R60). */
  removeDaxRegion(region: CxlDaxRegion): Promise<void>;
  /** Host-initiated release of one group (`cxl release-extents`). */
  releaseGroup(region: CxlDaxRegion, group: TagGroupRecord): Promise<ReleaseVerdict>;
}

export interface CxlDaxRegionOptions {
  /** `regionZ`. */
  readonly region: Device;
  /** Z. */
  readonly regionId: number;
  /** HPA window of the region. */
  readonly hpaStart: number;
  readonly size: number;
  readonly targets: readonly DcRegionTarget[];
  /** The bound region driver's policy. */
  readonly policy: RegionExtentPolicy;
  readonly extentIdBase: number;
  /** `cxl_region_invalidate_memregion`; throw to fail (nothing onlined or released, R31, R42). */
  readonly invalidateMemregion?: () => void;
}

export class CxlDaxRegion extends Device implements RegionSide {
  readonly regionId: number;
  readonly region: Device;
  readonly hpaStart: number;
  readonly size: number;
  readonly policy: RegionExtentPolicy;
  /** @internal */
  readonly invalidateMemregion: (() => void) | undefined;
  /** @internal One per endpoint decoder. */
  readonly targets: readonly TargetState<CxlDaxRegion>[];
  /** @internal `cxlr_dax->dc_extents`: id → extent. */
  readonly extentsById = new IdTable<DcExtentRecord>();
  /** @internal */
  readonly ids: LowestIdAllocator;
  /** @internal Live groups, in realisation order. */
  readonly groups = new Set<TagGroupRecord>();
  /** @internal Live tagged groups by tag (region-scoped uniqueness, v10). */
  readonly tags = new Map<string, TagGroupRecord>();
  /** Set once the probe-time scan succeeded (R37); never cleared, as the kernel's flag. */
  extentsScanned = false;
  /** @internal True between a successful `cxl_dax_region` probe and its remove. */
  notifying = false;
  /** @internal Torn down: no new group may land here. */
  dead = false;
  private readonly lifecycle = new Subject<ExtentLifecycleEvent>();
  /** Extent lifecycle of this region; completes when the device is deleted. */
  readonly extents$: Observable<ExtentLifecycleEvent> = this.lifecycle.asObservable();

  constructor(
    /** @internal */
    readonly engine: DaxRegionEngine,
    options: CxlDaxRegionOptions,
  ) {
    super({ name: `dax_region${options.regionId}`, bus: "cxl", parent: options.region, type: CXL_DAX_REGION_TYPE });
    this.regionId = options.regionId;
    this.region = options.region;
    this.hpaStart = options.hpaStart;
    this.size = options.size;
    this.policy = options.policy;
    this.invalidateMemregion = options.invalidateMemregion;
    this.ids = new LowestIdAllocator(options.extentIdBase);
    this.targets = options.targets.map((t) => new TargetState<CxlDaxRegion>(t, this));
  }

  /** `regionZ`. */
  get regionName(): string {
    return this.region.name;
  }

  /** `CXL_DEVICE_DAX_REGION`, for a cxl bus that matches on ids. */
  get cxlDeviceId(): number {
    return CXL_DEVICE_DAX_REGION;
  }

  /** Live groups as the policy sees them, in realisation order. */
  extentGroups(): ExtentGroup[] {
    return [...this.groups].map((g) => g.view());
  }

  /** Number of live `extentZ.K` devices. */
  get extentCount(): number {
    return this.extentsById.size;
  }

  /** Live extents in id order. */
  extentList(): DcExtentInfo[] {
    return [...this.extentsById.values()].map(extentInfo);
  }

  /**
   * Host-initiated release of one group (Gregory Price's `cxl release-extents regionN --id=X
   * --tag=Y`): the group holding extent id `id`, or the live group tagged `tag`. The policy may
   * defer (in use); otherwise every member is released with Release DC. ENOENT when nothing
   * matches; EINVAL when neither (or an id and a tag of different groups) is given.
   */
  async releaseExtents(select: { readonly id?: number; readonly tag?: string }): Promise<ReleaseVerdict> {
    let group: TagGroupRecord | undefined;
    if (select.id !== undefined) {
      group = this.extentsById.get(select.id)?.group;
      if (group === undefined) throw errno("ENOENT", `${this.name}: no extent${this.regionId}.${select.id}`, { detail: { id: select.id } });
    }
    if (select.tag !== undefined) {
      const tag = select.tag.toLowerCase();
      const byTag = [...this.groups].find((g) => g.tag === tag);
      if (byTag === undefined) throw errno("ENOENT", `${this.name}: no extent group with tag ${tag}`, { detail: { tag } });
      if (group !== undefined && group !== byTag) throw errno("EINVAL", `${this.name}: extent${this.regionId}.${select.id} does not carry tag ${tag}`);
      group = byTag;
    }
    if (group === undefined) throw errno("EINVAL", `${this.name}: release-extents needs an extent id or a tag`);
    return this.engine.releaseGroup(this, group);
  }

  /** @internal Someone listens to {@link extents$}. */
  get observed(): boolean {
    return this.lifecycle.observed;
  }

  /** @internal */
  emit(e: ExtentLifecycleEvent): void {
    if (this.lifecycle.observed) this.lifecycle.next(e);
  }

  /** @internal */
  complete(): void {
    this.lifecycle.complete();
  }

  /** @internal The decoder window holding [dpa, dpa+1), for this memdev. */
  targetFor(memdev: Device, dpa: number): TargetState<CxlDaxRegion> | undefined {
    for (const t of this.targets) if (t.target.memdev === memdev && dpa >= t.target.dpaStart && dpa < t.dpaEnd) return t;
    return undefined;
  }
}
