/**
 * The DAX side of a DC region (drivers/dax/bus.c, v11 "DC Regions"): one `dax_resource` per
 * accepted extent, grouped as the CXL core grouped them (one tag group = one allocation, R51),
 * and the region extent policy the CXL core asks on add and release.
 *
 * The pool is the policy object itself: the CXL core creates it when a region driver binds the
 * region (`cxl_devdax_region`, or `cxl_region` through `CXL_DCD_HOOKS.defaultPolicy`), and tells
 * it about groups only while `dax_cxl` is bound (R32). The `dax_region` sysfs group and the
 * `daxZ.N` devices ({@link DaxRegion}) come and go with the `cxl_dax_region` binding and read
 * their capacity from here.
 *
 * Claims are by tag (R56): a `Map` from tag to group makes a tagged claim O(1) whatever the
 * number of groups; free untagged resources sit in HPA order so `"0"` takes the lowest one.
 */
import { errno } from "../errors.js";
import { type Admission, type ExtentGroup, type RegionExtent, type RegionExtentPolicy, type ReleaseCause, type ReleaseVerdict } from "../cxl/region-driver.js";
import { NULL_UUID } from "../uuid.js";

/** PMD_SIZE on x86-64: the fixed `align` of a DC dax region and of its devices (R53). */
export const DAX_DCD_ALIGN = 2 * 1024 * 1024;

/** Who holds a resource: a `daxZ.N`. */
export interface DaxResourceOwner {
  readonly name: string;
  /** The resource was released under the owner (region teardown, R60): forget it. */
  revoked(resource: DaxResource): void;
}

/** `struct dax_resource`: one accepted extent's HPA range, its tag and seq_num, its user. */
export class DaxResource {
  /** `use_cnt > 0`: the device that claimed it. */
  owner: DaxResourceOwner | undefined;

  constructor(
    readonly group: DaxGroup,
    readonly extent: RegionExtent,
  ) {}

  /** Absolute HPA of the first byte. */
  get start(): number {
    return this.extent.hpa;
  }

  get size(): number {
    return this.extent.length;
  }

  get seqNum(): number {
    return this.extent.seqNum;
  }

  get tag(): string {
    return this.group.view.tag;
  }
}

/** The resources of one tag group, in seq order. */
export class DaxGroup {
  readonly resources: readonly DaxResource[];
  /** How many members are claimed. */
  claimed = 0;

  constructor(readonly view: ExtentGroup) {
    this.resources = view.extents.map((e) => new DaxResource(this, e));
  }

  get size(): number {
    let n = 0;
    for (const r of this.resources) n += r.size;
    return n;
  }
}

/** The DAX policy of one DC region: admit what the core passed, defer release while claimed. */
export class DaxRegionPolicy implements RegionExtentPolicy {
  private readonly groups = new Map<ExtentGroup, DaxGroup>();
  private readonly tagged = new Map<string, DaxGroup>();
  /** Unclaimed untagged resources, by ascending HPA. */
  private readonly freeUntagged: DaxResource[] = [];
  private available = 0;

  constructor(
    /** `regionZ`, for messages. */
    readonly regionName: string,
    private readonly warn: (message: string) => void = () => undefined,
  ) {}

  // ---- RegionExtentPolicy ----------------------------------------------------------------------

  /** device-dax takes whatever passed the CXL gates (consumers §3.4). */
  admit(): Admission {
    return { admit: true };
  }

  accepted(group: ExtentGroup): void {
    if (this.groups.has(group)) return;
    const g = new DaxGroup(group);
    this.groups.set(group, g);
    if (group.tagged) this.tagged.set(group.tag.toLowerCase(), g);
    for (const r of g.resources) {
      this.available += r.size;
      if (!group.tagged) this.insertFree(r);
    }
  }

  /**
   * R43: while any member is claimed the whole group's release is deferred (-EBUSY in the
   * kernel, which the CXL core turns into "ignored"). Teardown (R60) cannot be refused: claimed
   * resources are revoked from their devices.
   */
  release(group: ExtentGroup, cause: ReleaseCause): ReleaseVerdict {
    const g = this.groups.get(group);
    if (g === undefined) return { result: "released" };
    if (cause !== "teardown" && g.claimed > 0) {
      const owners = [...new Set(g.resources.flatMap((r) => (r.owner === undefined ? [] : [r.owner.name])))];
      return { result: "deferred", reason: `${this.regionName}: ${group.tagged ? `tag ${group.tag}` : "untagged extents"} claimed by ${owners.join(", ")}` };
    }
    this.drop(g);
    return { result: "released" };
  }

  teardown(): void {
    for (const g of [...this.groups.values()]) this.drop(g);
  }

  // ---- the dax_region view ---------------------------------------------------------------------

  /** `available_size`: bytes of unclaimed resources. */
  get availableSize(): number {
    return this.available;
  }

  /** Live groups in acceptance order. */
  groupList(): readonly DaxGroup[] {
    return [...this.groups.values()];
  }

  /** The live group tagged `tag`, if any. */
  groupByTag(tag: string): DaxGroup | undefined {
    return this.tagged.get(tag.toLowerCase());
  }

  /** Number of free untagged resources. */
  get freeUntaggedCount(): number {
    return this.freeUntagged.length;
  }

  /**
   * Claim for `owner` (R56-R57): the null UUID takes exactly one free untagged resource (the
   * lowest HPA); a tag takes every member of its group, in seq order. ENOENT when nothing free
   * matches, EINVAL when the group's seq_nums are not 0..n-1 or a member breaks `align`. Nothing
   * changes on failure.
   */
  claim(tag: string, owner: DaxResourceOwner): DaxResource[] {
    if (tag === NULL_UUID) {
      const r = this.freeUntagged.shift();
      if (r === undefined) throw errno("ENOENT", `${owner.name}: ${this.regionName} has no free untagged extent`);
      r.owner = owner;
      r.group.claimed++;
      this.available -= r.size;
      return [r];
    }
    const g = this.tagged.get(tag);
    // A group is claimed whole, so a claimed member means nothing of this tag is free.
    if (g === undefined || g.claimed > 0) throw errno("ENOENT", `${owner.name}: ${this.regionName} has no unclaimed extents tagged ${tag}`, { detail: { tag } });
    for (let i = 0; i < g.resources.length; i++) {
      if (g.resources[i]?.seqNum !== i) {
        this.warn(`tag ${tag} seq invariant violated`);
        throw errno("EINVAL", `${owner.name}: tag ${tag} seq invariant violated (member ${i} has seq ${String(g.resources[i]?.seqNum)})`, { detail: { tag } });
      }
    }
    for (const r of g.resources) {
      if (r.start % DAX_DCD_ALIGN !== 0 || r.size % DAX_DCD_ALIGN !== 0) {
        throw errno("EINVAL", `${owner.name}: tag ${tag}: extent at ${r.start.toString(16)} (+${r.size.toString(16)}) breaks the ${DAX_DCD_ALIGN} alignment`);
      }
    }
    for (const r of g.resources) {
      r.owner = owner;
      this.available -= r.size;
    }
    g.claimed = g.resources.length;
    return [...g.resources];
  }

  /** Give claimed resources back to the pool (size 0 / destroy, R59). No Release DC. */
  unclaim(resources: readonly DaxResource[]): void {
    for (const r of resources) {
      if (r.owner === undefined || !this.groups.has(r.group.view)) continue;
      r.owner = undefined;
      r.group.claimed--;
      this.available += r.size;
      if (!r.group.view.tagged) this.insertFree(r);
    }
  }

  private drop(g: DaxGroup): void {
    this.groups.delete(g.view);
    if (g.view.tagged && this.tagged.get(g.view.tag.toLowerCase()) === g) this.tagged.delete(g.view.tag.toLowerCase());
    for (const r of g.resources) {
      const owner = r.owner;
      if (owner !== undefined) {
        r.owner = undefined;
        owner.revoked(r);
        continue;
      }
      this.available -= r.size;
      if (!g.view.tagged) this.removeFree(r);
    }
    g.claimed = 0;
  }

  private indexOf(start: number): number {
    let lo = 0;
    let hi = this.freeUntagged.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.freeUntagged[mid] as DaxResource).start < start) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private insertFree(r: DaxResource): void {
    this.freeUntagged.splice(this.indexOf(r.start), 0, r);
  }

  private removeFree(r: DaxResource): void {
    const i = this.indexOf(r.start);
    if (this.freeUntagged[i] === r) this.freeUntagged.splice(i, 1);
  }
}
