/**
 * `struct cxl_region` (`regionZ`, drivers/cxl/core/region.c): an HPA range in a root decoder's
 * window, built from endpoint decoders, with the kernel's configuration state machine:
 *
 *   idle --size--> interleave-active --last target--> active --commit 1--> commit
 *   commit --commit 0--> reset-pending --(driver released, decoders reset)--> active
 *
 * Every store checks what the kernel checks, in the kernel's order, and changes nothing when it
 * refuses. The store functions live here; attaching targets, committing and resetting live in
 * `region-attach.ts`.
 */
import { Device } from "../driver-model/device.js";
import { type DeviceAttribute } from "../driver-model/device-type.js";
import { errno } from "../errors.js";
import { parseBool } from "../sysfs/attributes.js";
import { isNullUuid, NULL_UUID, parseUuid } from "../uuid.js";
import { cxlBaseGroup, CXL_DEVICE, type CxlDeviceType } from "./bus.js";
import { CXL_DECODER_MIN_GRANULARITY, type CxlDecoderTargetType, type CxlEndpointDecoder, type CxlRootDecoder, type HpaAllocation } from "./decoder.js";
import { fmtLlx, fmtLlxOrAllOnes, isPowerOf2, parseKstrtoint, parseKstrtou64, SZ_256M } from "./format.js";
import { type CxlPartitionMode, type CxlProfile, modeName } from "./profile.js";
import { commitRegion, detachTarget, resetRegion, storeTarget } from "./region-attach.js";
import { type RegionExtentPolicy } from "./region-driver.js";
import { type CxlSubsystem } from "./subsystem.js";

/** `enum cxl_config_state`. */
export type CxlRegionState = "idle" | "interleave-active" | "active" | "reset-pending" | "commit";

const STATE_ORDER: Readonly<Record<CxlRegionState, number>> = { idle: 0, "interleave-active": 1, active: 2, "reset-pending": 3, commit: 4 };

/** `CXL_DECODER_MAX_INTERLEAVE`. */
export const CXL_DECODER_MAX_INTERLEAVE = 16;

/** `ways_to_eiw`: EINVAL for ways the HDM encoding cannot express. */
export function waysToEiw(ways: number): number {
  if (ways > 16 || ways < 1) throw errno("EINVAL", `interleave ways ${ways} cannot be encoded`);
  if (isPowerOf2(ways)) return Math.log2(ways);
  if (ways % 3 !== 0 || !isPowerOf2(ways / 3)) throw errno("EINVAL", `interleave ways ${ways} cannot be encoded`);
  return Math.log2(ways / 3) + 8;
}

/** `granularity_to_eig`: 256 B .. 16 KiB, a power of two. */
export function granularityToEig(granularity: number): number {
  if (granularity > 16384 || granularity < CXL_DECODER_MIN_GRANULARITY || !isPowerOf2(granularity)) throw errno("EINVAL", `interleave granularity ${granularity} is not a power of 2 in 256..16384`);
  return Math.log2(granularity) - 8;
}

export class CxlRegion extends Device {
  readonly cxl: CxlSubsystem;
  readonly id: number;
  readonly rootDecoder: CxlRootDecoder;
  readonly mode: CxlPartitionMode;
  /** `cxlr->type`: type 3 expander for every region dcd creates. */
  readonly targetType: CxlDecoderTargetType;
  state: CxlRegionState = "idle";
  uuid = NULL_UUID;
  interleaveWays = 0;
  interleaveGranularity = 0;
  /** `p->res`: the HPA range, once `size` is set. */
  hpa: HpaAllocation | undefined;
  /** `p->targets[]` by interleave position. */
  readonly targets: (CxlEndpointDecoder | undefined)[] = Array.from({ length: CXL_DECODER_MAX_INTERLEAVE }, () => undefined);
  nrTargets = 0;
  /** `CXL_REGION_F_AUTO`: assembled from firmware-programmed decoders. */
  auto = false;
  /** `CXL_REGION_F_NEEDS_RESET`. */
  needsReset = false;
  /** `CXL_REGION_F_LOCK`. */
  lock = false;
  /** Deleted (or being deleted) through `delete_region` or teardown. */
  deleting = false;
  /** @internal resolves once the region is registered (or failed to). */
  registered: Promise<void> = Promise.resolve();
  /** @internal the bound driver's policy and DC teardown (see region-bind.ts). */
  boundPolicy: RegionExtentPolicy | undefined;

  constructor(rootDecoder: CxlRootDecoder, id: number, mode: CxlPartitionMode, targetType: CxlDecoderTargetType = "expander") {
    super({ name: `region${id}`, bus: "cxl", type: regionType(rootDecoder.cxl.profile), parent: rootDecoder });
    this.cxl = rootDecoder.cxl;
    this.id = id;
    this.rootDecoder = rootDecoder;
    this.mode = mode;
    this.targetType = targetType;
    this.lock = rootDecoder.flags.lock;
  }

  /** True from `commit` on (the `commit` attribute reads 1). */
  get committed(): boolean {
    return this.state === "commit";
  }

  /** A Dynamic Capacity region (mode `dynamic_ram_1`). */
  get isDynamic(): boolean {
    return this.mode === "dynamic_ram";
  }

  /** The policy of the region driver bound now (undefined while unbound). */
  get policy(): RegionExtentPolicy | undefined {
    return this.boundPolicy;
  }

  /** HPA start, or undefined before `size`. */
  get hpaStart(): number | undefined {
    return this.hpa?.start;
  }

  /** HPA size (0 before `size`). The full window whether or not extents back it (R66). */
  get size(): number {
    return this.hpa?.size ?? 0;
  }

  /** The endpoint decoders attached, in position order. */
  endpointDecoders(): CxlEndpointDecoder[] {
    return this.targets.slice(0, this.interleaveWays).filter((t): t is CxlEndpointDecoder => t !== undefined);
  }

  /** `state >= s` in the kernel's enum order. */
  atLeast(s: CxlRegionState): boolean {
    return STATE_ORDER[this.state] >= STATE_ORDER[s];
  }

  /** The `targetN` files the region shows (`cxl_region_target_visible`: N < interleave_ways). */
  syncTargetAttrs(): void {
    if (!this.isRegistered) return;
    const dir = `/sys${this.devpath}`;
    const sysfs = this.cxl.sysfs;
    for (let n = 0; n < CXL_DECODER_MAX_INTERLEAVE; n++) {
      const path = `${dir}/target${n}`;
      const present = sysfs.lstat(path) !== undefined;
      if (n < this.interleaveWays && !present) {
        sysfs.addAttribute(path, {
          show: () => this.showTarget(n),
          store: (v) => {
            storeTarget(this, v, n);
          },
        });
      } else if (n >= this.interleaveWays && present) {
        sysfs.remove(path);
      }
    }
  }

  private showTarget(pos: number): string {
    if (pos >= this.interleaveWays) throw errno("ENXIO", `${this.name}: position ${pos} out of range ${this.interleaveWays}`);
    return this.targets[pos]?.name ?? "";
  }

  // ---- stores (the kernel's *_store, in its check order) -----------------------------------

  /** `uuid_store`: a canonical, non-null UUID, unique among regions, before the region is active. */
  storeUuid(value: string): void {
    if (value.length !== 36) throw errno("EINVAL", `${this.name}: uuid '${value}' is not 36 characters`);
    const uuid = parseUuid(value, `${this.name} uuid`);
    if (isNullUuid(uuid)) throw errno("EINVAL", `${this.name}: the null uuid is not allowed`);
    if (uuid === this.uuid) return;
    if (this.atLeast("active")) throw errno("EBUSY", `${this.name}: region is active`);
    const dup = this.cxl.regions().find((r) => r !== this && r.uuid === uuid);
    if (dup !== undefined) throw errno("EBUSY", `${this.name}: ${dup.name} already has uuid ${uuid}`);
    this.uuid = uuid;
  }

  /** `set_interleave_ways` (R62: a DC region is never interleaved). */
  storeInterleaveWays(value: string): void {
    const ways = parseKstrtoint(value, `${this.name} interleave_ways`);
    if (this.isDynamic && ways !== 1) {
      this.cxl.log.err(this, "Interleaving and DCD not supported");
      throw errno("EINVAL", `${this.name}: Interleaving and DCD not supported (interleave_ways ${ways})`);
    }
    waysToEiw(ways);
    const rootWays = this.rootDecoder.interleaveWays;
    if (!isPowerOf2(Math.trunc(ways / rootWays)) || ways % rootWays !== 0) {
      this.cxl.log.debug(this, `invalid interleave: ${ways}`);
      throw errno("EINVAL", `${this.name}: interleave_ways ${ways} is not a power-of-2 multiple of ${this.rootDecoder.name}'s ${rootWays}`);
    }
    if (this.atLeast("interleave-active")) throw errno("EBUSY", `${this.name}: size is set; interleave_ways is fixed`);
    this.interleaveWays = ways;
    this.syncTargetAttrs();
  }

  /** `set_interleave_granularity`. */
  storeInterleaveGranularity(value: string): void {
    const granularity = parseKstrtoint(value, `${this.name} interleave_granularity`);
    granularityToEig(granularity);
    const root = this.rootDecoder;
    if (root.interleaveWays > 1 && granularity !== root.interleaveGranularity) {
      throw errno("EINVAL", `${this.name}: ${root.name} interleaves host bridges at ${root.interleaveGranularity}; the region must use it`);
    }
    if (this.atLeast("interleave-active")) throw errno("EBUSY", `${this.name}: size is set; interleave_granularity is fixed`);
    this.interleaveGranularity = granularity;
  }

  /** `size_store`: allocate (`alloc_hpa`) or, for 0, free (`free_hpa`) the HPA range. */
  storeSize(value: string): void {
    const size = parseKstrtou64(value, `${this.name} size`);
    if (size !== 0) this.allocHpa(size);
    else this.freeHpa();
  }

  private allocHpa(size: number): void {
    if (this.hpa !== undefined && this.hpa.size === size) return;
    if (this.hpa !== undefined) throw errno("EBUSY", `${this.name}: size is already ${fmtLlx(this.hpa.size)}; write 0 first`);
    if (this.atLeast("interleave-active")) throw errno("EBUSY", `${this.name}: region is active`);
    if (this.interleaveWays === 0 || this.interleaveGranularity === 0 || (this.mode === "pmem" && isNullUuid(this.uuid))) {
      throw errno("ENXIO", `${this.name}: set interleave_ways, interleave_granularity${this.mode === "pmem" ? " and uuid" : ""} before size`);
    }
    if (size % (SZ_256M * this.interleaveWays) !== 0) throw errno("EINVAL", `${this.name}: size ${fmtLlx(size)} is not a multiple of 256 MiB x ${this.interleaveWays}`);
    this.hpa = this.rootDecoder.allocHpa(size, SZ_256M, this.name);
    this.state = "interleave-active";
  }

  private freeHpa(): void {
    if (this.hpa === undefined) return;
    if (this.atLeast("active")) throw errno("EBUSY", `${this.name}: region is active; detach its targets first`);
    this.releaseHpa();
    this.state = "idle";
  }

  /** @internal `cxl_region_iomem_release`. */
  releaseHpa(): void {
    if (this.hpa !== undefined) this.rootDecoder.releaseHpa(this.hpa);
    this.hpa = undefined;
  }

  /** `commit_store`. */
  storeCommit(value: string): void {
    const commit = parseBool(value, `${this.name} commit`);
    if (commit) commitRegion(this);
    else resetRegion(this);
  }

  /**
   * `cxl_region_invalidate_memregion`: every registered `CxlDcdHooks.invalidateMemregion` for this
   * region. A failure is logged as the kernel's WARN and rethrown; the caller decides whether it
   * stops the operation (commit, extent add and release) or not (decoder reset).
   */
  invalidateMemregion(): void {
    for (const hooks of this.cxl.hooks()) {
      if (hooks.invalidateMemregion === undefined) continue;
      try {
        hooks.invalidateMemregion(this);
      } catch (err) {
        this.cxl.log.warn(this, "Failed to synchronize CPU cache state");
        throw err;
      }
    }
  }

  /** Detach the endpoint decoder at `pos` (`echo > targetN` with an empty line). */
  detach(pos: number): void {
    detachTarget(this, pos);
  }
}

type Attr = DeviceAttribute<CxlRegion>;

const regionTypes = new Map<string, CxlDeviceType<CxlRegion>>();

/** `cxl_region_type`. `targetN` files are managed by {@link CxlRegion.syncTargetAttrs}. */
export function regionType(profile: CxlProfile): CxlDeviceType<CxlRegion> {
  const cached = regionTypes.get(profile.dcMode);
  if (cached !== undefined) return cached;
  const uuid: Attr = {
    name: "uuid",
    show: (r) => (r.mode === "pmem" ? r.uuid : ""),
    store: (r, v) => {
      r.storeUuid(v);
    },
  };
  const type: CxlDeviceType<CxlRegion> = {
    name: "cxl_region",
    cxlDeviceId: CXL_DEVICE.REGION,
    groups: [
      cxlBaseGroup,
      {
        attrs: [
          uuid,
          { name: "commit", show: (r) => (r.committed ? "1" : "0"), store: (r, v) => { r.storeCommit(v); } },
          { name: "interleave_ways", show: (r) => String(r.interleaveWays), store: (r, v) => { r.storeInterleaveWays(v); } },
          { name: "interleave_granularity", show: (r) => String(r.interleaveGranularity), store: (r, v) => { r.storeInterleaveGranularity(v); } },
          { name: "resource", show: (r) => fmtLlxOrAllOnes(r.hpaStart) },
          { name: "size", show: (r) => fmtLlx(r.size), store: (r, v) => { r.storeSize(v); } },
          { name: "mode", show: (r) => modeName(r.mode, profile) },
        ],
        // Tooling expects `uuid` on every region; only pmem regions may set it.
        isVisible: (r, a) => (a === uuid && r.mode !== "pmem" ? 0o444 : true),
      },
    ],
  };
  regionTypes.set(profile.dcMode, type);
  return type;
}
