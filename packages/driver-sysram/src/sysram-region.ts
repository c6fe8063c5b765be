/**
 * `sysram_regionZ`: the device `cxl_sysram_region` creates under `regionZ` (Gregory Price's
 * region-driver series, R67-R68), and the extent policy that hot-plugs DC extents directly, without
 * DAX (R71, seed 000).
 *
 * Per group (consumers.md §2.5): ADMIT (configured, not sharable, tag never seen, whole blocks) →
 * ADDED (`add_memory_driver_managed` per extent range) → ONLINE (`online_type`) → on release
 * GOING_OFFLINE (all blocks of the group in one all-or-nothing offline) → REMOVED, and only then
 * does the core send Release DC. A failed offline re-onlines what it offlined and defers.
 */
import {
  CLOCK,
  type Clock,
  type CxlDeviceType,
  CxlExtentCore,
  type CxlRegion,
  type DcdError,
  Device,
  type DeviceAttribute,
  errno,
  type ExtentGroup,
  isDcdError,
  isUuid,
  type MemoryHotplug,
  type MemoryRange,
  NULL_UUID,
  ONLINE_TYPES,
  type OnlineType,
  parseBool,
  PRIVATE_NODE_FEATURES,
  type PrivateNodeFeature,
  type RegionExtentPolicy,
  type ReleaseCause,
  type ReleaseVerdict,
  type AttributeSpec,
  type SysfsDirSource,
} from "@dcd/core";
import { type Observable, Subject } from "rxjs";
import { directHotUnplug } from "./direct-path.js";
import { formatBytes, planGroup } from "./plan.js";
import {
  type RegionTagFilter,
  type StrandedPolicy,
  type SysramEvent,
  type SysramGroupInfo,
  type SysramOnlineType,
  type SysramOptions,
  type SysramRange,
  type SysramReleaseReport,
  type TagReusePolicy,
} from "./types.js";

/**
 * The cxl bus device-type id of `sysram_regionZ` (`cxl:t10`). The kernel series adds
 * `CXL_DEVICE_SYSRAM_REGION` after `CXL_DEVICE_PMU` (9); the exact number is not settled upstream.
 */
export const CXL_DEVICE_SYSRAM_REGION = 10;

/** `/proc/iomem` name of the ranges sysram adds (`add_memory_driver_managed`). */
export const SYSRAM_RESOURCE_NAME = "System RAM (cxl_sysram)";
/** The kmem stage's resource name (dax/kmem). */
export const KMEM_RESOURCE_NAME = "System RAM (kmem)";

const ONLINE_TYPE_VALUES: readonly string[] = ONLINE_TYPES;

/** Serialise hotplug operations per memory subsystem (the model answers EBUSY to concurrent ones, as `lock_device_hotplug` would make them wait). */
const hotplugLocks = new WeakMap<MemoryHotplug, Promise<unknown>>();
function withHotplugLock<T>(mm: MemoryHotplug, body: () => Promise<T> | T): Promise<T> {
  const prev = hotplugLocks.get(mm) ?? Promise.resolve();
  const next = prev.then(body, body);
  hotplugLocks.set(
    mm,
    next.catch(() => undefined),
  );
  return next;
}

interface HeldGroup {
  readonly info: SysramGroupInfo;
  /** Online type each range was onlined with (what a rollback restores). */
  readonly onlineType: OnlineType;
}

/** The key of a group: stable between `accepted` and `release` (views are rebuilt per call). */
function groupKey(group: ExtentGroup): string {
  const first = group.extents[0];
  return `${group.memdev}@${first === undefined ? "?" : first.dpa.toString(16)}`;
}

/** `K` of `extentZ.K`. */
function extentIdOf(name: string): number | undefined {
  const m = /^extent\d+\.(\d+)$/.exec(name);
  return m === null ? undefined : Number(m[1]);
}

/** Parse `online_type`. */
function parseOnlineType(path: string, value: string): OnlineType {
  const v = value.trim();
  if (!ONLINE_TYPE_VALUES.includes(v)) {
    throw errno("EINVAL", `${path}: '${v}' is not an online type (offline, online, online_kernel, online_movable)`, { detail: { value: v } });
  }
  return v as OnlineType;
}

const onlineTypeAttr: DeviceAttribute<SysramRegion> = {
  name: "online_type",
  show: (dev) => dev.onlineType,
  store: (dev, value) => {
    dev.setOnlineType(parseOnlineType(`${dev.name}/online_type`, value));
  },
};

const strandedPolicyAttr: DeviceAttribute<SysramRegion> = {
  name: "stranded_policy",
  show: (dev) => dev.strandedPolicy,
  store: (dev, value) => {
    const v = value.trim();
    if (v !== "reject" && v !== "truncate") throw errno("EINVAL", `${dev.name}/stranded_policy: '${v}' is not reject or truncate`, { detail: { value: v } });
    dev.strandedPolicy = v;
  },
};

const targetNodeAttr: DeviceAttribute<SysramRegion> = { name: "target_node", show: (dev) => String(dev.targetNode) };

const privateAttr: DeviceAttribute<SysramRegion> = {
  name: "private",
  show: (dev) => (dev.isPrivate ? "1" : "0"),
  store: (dev, value) => {
    dev.setPrivate(parseBool(value.trim(), `${dev.name}/private`));
  },
};

/** Parse `private_features`: feature names separated by commas or blanks; empty for none. */
function parsePrivateFeatures(path: string, value: string): PrivateNodeFeature[] {
  const names = value.trim().split(/[\s,]+/).filter((n) => n !== "");
  const features: PrivateNodeFeature[] = [];
  for (const name of names) {
    const f = PRIVATE_NODE_FEATURES.find((known) => known === name.toUpperCase());
    if (f === undefined) throw errno("EINVAL", `${path}: '${name}' is not a private node feature (${PRIVATE_NODE_FEATURES.join(", ")})`, { detail: { value: name } });
    if (!features.includes(f)) features.push(f);
  }
  if (features.includes("DEMOTION") && !features.includes("RECLAIM")) throw errno("EINVAL", `${path}: DEMOTION requires RECLAIM`, { detail: { value: value.trim() } });
  return PRIVATE_NODE_FEATURES.filter((f) => features.includes(f));
}

const privateFeaturesAttr: DeviceAttribute<SysramRegion> = {
  name: "private_features",
  show: (dev) => dev.privateFeatures.join(","),
  store: (dev, value) => {
    dev.setPrivateFeatures(parsePrivateFeatures(`${dev.name}/private_features`, value));
  },
};

const regionTagAttr: DeviceAttribute<SysramRegion> = {
  name: "region_tag",
  show: (dev) => (dev.regionTag === null ? "none" : dev.regionTag),
};

/** `sysram_region_type`: DEVTYPE=cxl_sysram_region, `cxl:t10`. */
export const SYSRAM_REGION_TYPE: CxlDeviceType<SysramRegion> = {
  name: "cxl_sysram_region",
  cxlDeviceId: CXL_DEVICE_SYSRAM_REGION,
  groups: [
    {
      attrs: [
        { name: "devtype", show: (dev) => dev.type?.name ?? "" },
        { name: "modalias", show: () => `cxl:t${CXL_DEVICE_SYSRAM_REGION}` },
        onlineTypeAttr,
        strandedPolicyAttr,
        targetNodeAttr,
        regionTagAttr,
        privateAttr,
        privateFeaturesAttr,
      ],
    },
  ],
};

export interface SysramRegionOptions extends SysramOptions {
  readonly region: CxlRegion;
  readonly mm: MemoryHotplug;
}

/** What `releaseExtents` takes: an extent id (`K` of `extentZ.K`) and/or a tag. */
export interface ReleaseSelect {
  readonly id?: number;
  readonly tag?: string;
}

export class SysramRegion extends Device {
  readonly region: CxlRegion;
  readonly mm: MemoryHotplug;
  readonly targetNode: number;
  readonly memmapOnMemory: boolean;
  readonly regionTag: RegionTagFilter;
  readonly tagReuse: TagReusePolicy;
  strandedPolicy: StrandedPolicy;
  private onlineTypeValue: SysramOnlineType;
  private privateValue: boolean;
  /** Groups (or the RAM range) being hot-plugged now: the node kind they use must not change under them. */
  private plugging = 0;
  private privateFeaturesValue: readonly PrivateNodeFeature[];
  /** Live groups by key. */
  private readonly held = new Map<string, HeldGroup>();
  /** Tags of groups this region accepted (never cleared under `tagReuse = reject`). */
  private readonly seenTags = new Set<string>();
  /** RAM region: the range the kmem stage hot-plugged while bound. */
  ramRange: MemoryRange | undefined;
  private readonly subject = new Subject<SysramEvent>();
  readonly events$: Observable<SysramEvent> = this.subject.asObservable();
  /** Every release report, in order (comparison data). */
  readonly releaseReports: SysramReleaseReport[] = [];
  private readonly pending = new Set<Promise<unknown>>();
  readonly policy: RegionExtentPolicy;

  constructor(options: SysramRegionOptions) {
    super({ name: `sysram_region${options.region.id}`, bus: "cxl", parent: options.region, type: SYSRAM_REGION_TYPE });
    this.region = options.region;
    this.mm = options.mm;
    this.targetNode = options.targetNode ?? 1;
    this.memmapOnMemory = options.memmapOnMemory ?? false;
    this.regionTag = options.regionTag === undefined ? "any" : options.regionTag === null ? null : options.regionTag === "any" ? "any" : options.regionTag.toLowerCase();
    this.tagReuse = options.tagReuse ?? "reject";
    this.strandedPolicy = options.strandedPolicy ?? "reject";
    this.onlineTypeValue = options.onlineType ?? "invalid";
    this.privateValue = options.private ?? false;
    this.privateFeaturesValue = PRIVATE_NODE_FEATURES.filter((f) => (options.privateFeatures ?? []).includes(f));
    this.policy = {
      admit: (group) => this.admit(group),
      accepted: (group) => this.accepted(group),
      release: (group, cause) => this.release(group, cause),
      forcedRelease: (group) => {
        this.region.cxl.log.warn(this, `forced release of ${group.extents.map((e) => e.name).join(",")} ignored: the memory stays online`);
      },
    };
  }

  /** `cxl:t10`. */
  get cxlDeviceId(): number {
    return CXL_DEVICE_SYSRAM_REGION;
  }

  get onlineType(): SysramOnlineType {
    return this.onlineTypeValue;
  }

  /** EBUSY while the kmem stage holds the region's RAM: the online type was used for it. */
  setOnlineType(value: OnlineType): void {
    if (this.ramRange !== undefined) throw errno("EBUSY", `${this.name}/online_type: ${this.name} is bound to cxl_dax_kmem_region; unbind it first`);
    this.onlineTypeValue = value;
  }

  /** `private`: the region's memory goes to a private node. */
  get isPrivate(): boolean {
    return this.privateValue;
  }

  /** The private node's feature mask (used only when {@link isPrivate}). */
  get privateFeatures(): readonly PrivateNodeFeature[] {
    return this.privateFeaturesValue;
  }

  /** EBUSY while memory of the region is plugged: the node's kind and mask are fixed while it has memory. */
  setPrivate(value: boolean): void {
    this.checkNothingPlugged("private");
    this.privateValue = value;
  }

  /** EBUSY while memory of the region is plugged. */
  setPrivateFeatures(features: readonly PrivateNodeFeature[]): void {
    this.checkNothingPlugged("private_features");
    this.privateFeaturesValue = PRIVATE_NODE_FEATURES.filter((f) => features.includes(f));
  }

  private checkNothingPlugged(attr: string): void {
    const plugged = this.held.size > 0 || this.ramRange !== undefined || this.plugging > 0;
    if (plugged) throw errno("EBUSY", `${this.name}/${attr}: ${this.name} has memory plugged; release it (or unbind cxl_dax_kmem_region) first`);
  }

  /** What `addMemory` takes for the node kind: the feature mask when private. */
  private nodeKind(): { readonly privateFeatures?: readonly PrivateNodeFeature[] } {
    return this.privateValue ? { privateFeatures: this.privateFeaturesValue } : {};
  }

  private get clock(): Clock | undefined {
    const c = this.region.cxl.container;
    return c.isRegistered(CLOCK, true) ? c.resolve(CLOCK) : undefined;
  }

  private now(): number {
    return this.clock?.now() ?? 0;
  }

  private emit(e: SysramEvent): void {
    if (this.subject.observed) this.subject.next(e);
  }

  /** Groups held now. */
  groups(): SysramGroupInfo[] {
    return [...this.held.values()].map((h) => h.info);
  }

  /** Tags this region has accepted (live or, under `tagReuse = reject`, released). */
  tagsSeen(): string[] {
    return [...this.seenTags];
  }

  // ---- the extent policy ---------------------------------------------------------------------

  admit(group: ExtentGroup): { admit: true } | { admit: false; reason: string } {
    const refuse = (reason: string): { admit: false; reason: string } => {
      this.emit({ type: "group-refused", region: this.region.name, tag: group.tag, extents: group.extents.map((e) => e.name), stage: "admit", reason, atMs: this.now() });
      return { admit: false, reason };
    };
    if (this.onlineTypeValue === "invalid") return refuse("policy not configured");
    if (this.targetNode < 0) return refuse(`rejecting extents with invalid node: ${this.targetNode}`);
    // Shared capacity is mapped by other hosts too: as system RAM the kernel would put its own data
    // there, and another host's writes would corrupt it (consumers.md §4.3, §5.4).
    if (group.sharable) return refuse("extents from a sharable partition are never hot-plugged as system RAM");
    const tag = group.tag.toLowerCase();
    if (this.regionTag !== "any") {
      const want = this.regionTag === null ? NULL_UUID : this.regionTag;
      if (tag !== want) return refuse(`tag ${group.tagged ? tag : "none"} does not match the region tag ${this.regionTag === null ? "none" : this.regionTag}`);
    }
    if (group.tagged && this.seenTags.has(tag)) {
      return refuse(`tag ${tag} was already used by an earlier set on ${this.region.name} (a later Set(A)' would make Set(A) sparse)`);
    }
    const plan = planGroup(group, this.mm.blockSize, this.strandedPolicy);
    if (!plan.ok) return refuse(plan.reason);
    return { admit: true };
  }

  /** Hot-plug (and online) every member; throw to refuse the group, leaving no block behind. */
  async accepted(group: ExtentGroup): Promise<void> {
    const onlineType = this.onlineTypeValue;
    const refuse = (stage: "admit" | "add" | "online", reason: string, error?: DcdError): never => {
      this.emit({
        type: "group-refused",
        region: this.region.name,
        tag: group.tag,
        extents: group.extents.map((e) => e.name),
        stage,
        reason,
        ...(error === undefined ? {} : { error }),
        atMs: this.now(),
      });
      throw error ?? errno("EINVAL", `${this.name}: ${reason}`);
    };
    // The knobs may have changed between admit and accept (a sysfs write): decide again.
    if (onlineType === "invalid") return refuse("admit", "policy not configured");
    const plan = planGroup(group, this.mm.blockSize, this.strandedPolicy);
    if (!plan.ok) return refuse("admit", plan.reason);
    const tag = group.tag.toLowerCase();
    if (group.tagged && this.seenTags.has(tag)) return refuse("admit", `tag ${tag} was already used on ${this.region.name}`);

    // One node kind for every range of the group, whatever sysfs writes happen meanwhile.
    const nodeKind = this.nodeKind();
    this.plugging++;
    try {
      await this.plugGroup(plan, onlineType, nodeKind, refuse);
    } finally {
      this.plugging--;
    }

    for (const r of plan.truncated) {
      const message = `${r.extent}: truncated by ${formatBytes(r.strandedBytes)} due to alignment`;
      this.region.cxl.log.warn(this, message);
      this.emit({ type: "extent-truncated", region: this.region.name, extent: r.extent, strandedBytes: r.strandedBytes, message, atMs: this.now() });
    }
    const blocks = plan.ranges.flatMap((r) => this.mm.blocksOf(r));
    const info: SysramGroupInfo = {
      key: groupKey(group),
      tag,
      tagged: group.tagged,
      extents: group.extents.map((e) => e.name),
      ranges: plan.ranges,
      blocks,
      pluggedBytes: plan.ranges.reduce((s, r) => s + r.size, 0),
      strandedBytes: plan.ranges.reduce((s, r) => s + r.strandedBytes, 0),
    };
    this.held.set(info.key, { info, onlineType });
    if (group.tagged) this.seenTags.add(tag);
    this.emit({ type: "group-plugged", region: this.region.name, group: info, atMs: this.now() });
  }

  /** `add_memory_driver_managed` for every range of a group, then online them; all or nothing. */
  private async plugGroup(
    plan: Extract<ReturnType<typeof planGroup>, { ok: true }>,
    onlineType: Exclude<SysramOnlineType, "invalid">,
    nodeKind: { readonly privateFeatures?: readonly PrivateNodeFeature[] },
    refuse: (stage: "admit" | "add" | "online", reason: string, error?: DcdError) => never,
  ): Promise<void> {
    await withHotplugLock(this.mm, async () => {
      const added: SysramRange[] = [];
      const undo = async (): Promise<void> => {
        for (const r of [...added].reverse()) await this.mm.offlineAndRemoveMemory(r);
      };
      for (const r of plan.ranges) {
        const res = await this.mm.addMemory({
          start: r.start,
          size: r.size,
          node: this.targetNode,
          resourceName: SYSRAM_RESOURCE_NAME,
          driverManaged: true,
          onlineType: "offline",
          memmapOnMemory: this.memmapOnMemory,
          ...nodeKind,
        });
        if (!res.ok) {
          await undo();
          refuse("add", `hot-add of ${r.extent} failed: ${res.error.message}`, res.error);
        }
        added.push(r);
      }
      if (onlineType !== "offline") {
        for (const r of plan.ranges) {
          const res = this.mm.onlineRange(r, onlineType);
          if (!res.ok) {
            await undo();
            refuse("online", `onlining ${r.extent} as ${onlineType} failed: ${res.error.message}`, res.error);
          }
        }
      }
    });
  }

  /** Offline every block of the group (all or nothing), remove them; defer when something is in use. */
  async release(group: ExtentGroup, cause: ReleaseCause): Promise<ReleaseVerdict> {
    const key = groupKey(group);
    const held = this.held.get(key);
    if (held === undefined) return { result: "released" };
    return withHotplugLock(this.mm, async () => {
      const { info } = held;
      const startMs = this.now();
      const out = await directHotUnplug(this.mm, info.ranges, held.onlineType, () => this.now());
      const report = (outcome: SysramReleaseReport["outcome"]): SysramReleaseReport => {
        const r: SysramReleaseReport = {
          path: "direct",
          region: this.region.name,
          tag: info.tag,
          extents: info.extents,
          cause,
          outcome,
          blocks: info.blocks,
          steps: out.steps,
          failurePoints: out.failurePoints,
          migratedPages: out.migratedPages,
          startMs,
          durationMs: this.now() - startMs,
        };
        this.releaseReports.push(r);
        return r;
      };
      if (out.error !== undefined) {
        const reason = `${this.name}: cannot give back ${info.extents.join(",")}: ${out.error.message}`;
        if (cause === "teardown") {
          // Teardown cannot be refused; the kernel leaks the still-online memory with a warning.
          this.held.delete(key);
          const r = report("leaked");
          this.region.cxl.log.warn(this, `${reason}; memory left online`);
          this.emit({ type: "teardown-leaked", region: this.region.name, reason, report: r, atMs: this.now() });
          return { result: "released" };
        }
        const r = report("deferred");
        this.region.cxl.log.info(this, `release deferred: ${reason}`);
        this.emit({ type: "release-deferred", region: this.region.name, reason, report: r, atMs: this.now() });
        return { result: "deferred", reason };
      }
      // Release DC is the core's: it follows a "released" answer.
      this.held.delete(key);
      if (this.tagReuse === "after-release") this.seenTags.delete(info.tag);
      const r = report("released");
      this.emit({ type: "group-released", region: this.region.name, report: r, atMs: this.now() });
      return { result: "released" };
    });
  }

  // ---- host-initiated release ------------------------------------------------------------------

  /** `cxl release-extents regionZ [--id=K] [--tag=T]`: release through the core's API. */
  async releaseExtents(select: ReleaseSelect): Promise<ReleaseVerdict> {
    const dax = this.daxRegion();
    if (dax === undefined) throw errno("ENXIO", `${this.name}: ${this.region.name} is not a DC region with extents`);
    return dax.releaseExtents(select);
  }

  private daxRegion(): ReturnType<CxlExtentCore["daxRegions"]>[number] | undefined {
    if (!this.region.isDynamic) return undefined;
    return CxlExtentCore.of(this.region.cxl.container)
      .daxRegions()
      .find((d) => d.region === this.region);
  }

  /** Parse what was written to `extents/release` (validated now; ENOENT when nothing matches). */
  parseReleaseSelect(value: string): ReleaseSelect {
    const v = value.trim();
    const path = `${this.name}/extents/release`;
    let select: ReleaseSelect;
    if (v.startsWith("tag=")) {
      // uuid_parse() refuses a malformed tag before anything is looked up.
      if (!isUuid(v.slice(4))) throw errno("EINVAL", `${path}: '${v}' is not tag=<uuid>`, { detail: { value: v } });
      select = { tag: v.slice(4).toLowerCase() };
    }
    else if (v.startsWith("id=")) {
      const id = Number(v.slice(3));
      if (!Number.isSafeInteger(id) || id < 0) throw errno("EINVAL", `${path}: '${v}' is not an extent id`, { detail: { value: v } });
      select = { id };
    } else if (extentIdOf(v) !== undefined) select = { id: extentIdOf(v) as number };
    else if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v)) select = { tag: v.toLowerCase() };
    else throw errno("EINVAL", `${path}: '${v}' is neither tag=<uuid>, id=<n>, extentZ.K nor a uuid`, { detail: { value: v } });
    const dax = this.daxRegion();
    if (dax === undefined) throw errno("ENXIO", `${path}: ${this.region.name} has no extents`);
    if (select.id !== undefined && !dax.extentList().some((e) => e.id === select.id)) throw errno("ENOENT", `${path}: no extent${this.region.id}.${select.id}`);
    if (select.tag !== undefined && !dax.extentGroups().some((g) => g.tag === select.tag)) throw errno("ENOENT", `${path}: no extent group with tag ${select.tag}`);
    return select;
  }

  /**
   * Start a host release from a sysfs write. The outcome arrives as events, and the returned
   * promise carries it to a waiting writer (`SysfsTree.writeAsync`, `dcd sysfs write`): a deferral
   * fails with EBUSY naming why, as an offline that can't isolate its range does.
   */
  startHostRelease(select: ReleaseSelect): Promise<void> {
    const outcome = this.releaseExtents(select).then(
      (verdict) => {
        if (verdict.result === "deferred") throw errno("EBUSY", `${this.name}: release deferred: ${verdict.reason}`);
      },
      (err: unknown) => {
        const error = isDcdError(err) ? err : errno("EIO", `${this.name}: ${String(err)}`);
        this.emit({ type: "host-release-failed", region: this.region.name, select: JSON.stringify(select), error, atMs: this.now() });
        throw error;
      },
    );
    const tracked = outcome.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
    return outcome;
  }

  /** Resolves when every host release started from sysfs has finished. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /**
   * `extents/` of a DC region: `release` (write `tag=<uuid>`, `id=<K>`, a bare uuid or an
   * `extentZ.K` name) and one directory per hot-plugged extent. Returns the undo.
   */
  addExtentsDir(): () => void {
    const sysfs = this.region.cxl.sysfs;
    const dir = `/sys${this.devpath}/extents`;
    sysfs.mkdir(dir);
    sysfs.addAttribute(`${dir}/release`, {
      store: (value) => this.startHostRelease(this.parseReleaseSelect(value)),
    });
    sysfs.addDirSource(dir, this.extentDirSource());
    return () => {
      if (sysfs.exists(dir)) {
        sysfs.removeDirSource(dir);
        sysfs.remove(dir);
      }
    };
  }

  /** `extents/extentZ.K/{tag,offset,length,memory,stranded_bytes,release}` computed on demand. */
  extentDirSource(): SysfsDirSource {
    const byName = (): Map<string, { info: SysramGroupInfo; range: SysramRange }> => {
      const out = new Map<string, { info: SysramGroupInfo; range: SysramRange }>();
      for (const { info } of this.held.values()) for (const range of info.ranges) out.set(range.extent, { info, range });
      return out;
    };
    return {
      names: () => byName().keys(),
      lookup: (name) => {
        const found = byName().get(name);
        if (found === undefined) return undefined;
        const { info, range } = found;
        const files = new Map<string, AttributeSpec>();
        files.set("tag", { show: () => (info.tagged ? info.tag : "") });
        files.set("hpa", { show: () => `0x${range.start.toString(16)}` });
        files.set("length", { show: () => `0x${range.size.toString(16)}` });
        files.set("stranded_bytes", { show: () => String(range.strandedBytes) });
        files.set("memory", { show: () => this.mm.blocksOf(range).map((b) => `memory${b}`).join(" ") });
        files.set("group", { show: () => info.extents.join(" ") });
        files.set("release", {
          store: () => this.startHostRelease(this.parseReleaseSelect(name)),
        });
        return files;
      },
    };
  }

  // ---- RAM regions: the kmem stage -------------------------------------------------------------

  /** `cxl_dax_kmem_region` probe: hot-plug the RAM region's whole blocks once. */
  async plugRam(): Promise<void> {
    const type = this.onlineTypeValue;
    if (type === "invalid") throw errno("ENODEV", `${this.name}: online_type is invalid; set it before binding cxl_dax_kmem_region`);
    if (this.targetNode < 0) throw errno("EINVAL", `${this.name}: rejecting region with invalid node: ${this.targetNode}`);
    if (this.region.isDynamic) throw errno("ENODEV", `${this.name}: ${this.region.name} is a DC region; cxl_sysram_region hot-plugs its extents directly`);
    const start = this.region.hpaStart;
    if (start === undefined) throw errno("ENXIO", `${this.name}: ${this.region.name} has no HPA range`);
    const plan = planGroup(
      { tag: NULL_UUID, tagged: false, sharable: false, region: this.region.name, memdev: "", existing: false, extents: [{ dpa: 0, length: this.region.size, hpa: start, offset: 0, tag: NULL_UUID, seqNum: 0, sharedSeq: 0, name: this.region.name }] },
      this.mm.blockSize,
      "truncate",
    );
    if (!plan.ok) throw errno("EINVAL", `${this.name}: rejecting region without any memory after alignment`);
    const range = plan.ranges[0] as SysramRange;
    if (range.strandedBytes > 0) this.region.cxl.log.warn(this, `region truncated by ${formatBytes(range.strandedBytes)} due to alignment`);
    const nodeKind = this.nodeKind();
    this.plugging++;
    try {
      await withHotplugLock(this.mm, async () => {
        const res = await this.mm.addMemory({ start: range.start, size: range.size, node: this.targetNode, resourceName: KMEM_RESOURCE_NAME, driverManaged: true, onlineType: "offline", memmapOnMemory: this.memmapOnMemory, ...nodeKind });
        if (!res.ok) throw res.error;
        if (type !== "offline") {
          const on = this.mm.onlineRange(range, type);
          if (!on.ok) {
            await this.mm.removeMemory(range);
            throw on.error;
          }
        }
      });
    } finally {
      this.plugging--;
    }
    this.ramRange = { start: range.start, size: range.size };
    this.emit({ type: "ram-plugged", region: this.region.name, range: this.ramRange, blocks: this.mm.blocksOf(range), atMs: this.now() });
  }

  /** `cxl_dax_kmem_region` remove: offline and remove; if that fails, leak with a warning (as dax/kmem's unbind). */
  async unplugRam(): Promise<void> {
    const range = this.ramRange;
    if (range === undefined) return;
    const blocks = this.mm.blocksOf(range);
    const res = await withHotplugLock(this.mm, () => this.mm.offlineAndRemoveMemory(range));
    this.ramRange = undefined;
    if (!res.ok) {
      this.region.cxl.log.warn(this, `cannot hot-remove ${this.region.name}: ${res.error.message}; memory left online`);
      return;
    }
    this.emit({ type: "ram-unplugged", region: this.region.name, range, blocks, atMs: this.now() });
  }

  /** @internal Device deleted: end the stream. */
  complete(): void {
    this.subject.complete();
  }
}
