/**
 * What the device keeps per host (per logical device): accepted extents, pending add groups in
 * FIFO order, the extent list generation number, the DC event log and open sanitize requests.
 * Internal: the public view is `LogicalDevice` and `DcdDevice`'s queries.
 */
import type { Clock } from "@dcd/core";
import { NULL_UUID } from "@dcd/core";
import { EventLog } from "../event-log/event-log.js";
import { ExtentIndex } from "../interval/extent-index.js";
import type { DcExtent } from "./types.js";

/**
 * The null tag, read once: code here compares against it per extent, and under vitest's module
 * runner (tests, benchmarks) every read of an imported binding is a getter call (~40 ns).
 */
const NULL_TAG: string = NULL_UUID;

/** An extent offered to the host and not yet answered, as the pending index returns it: knows its group. */
export interface PendingExtent extends DcExtent {
  readonly group: PendingGroup;
}

/** One Add event (one More-chain): answered by exactly one Add DC Response. */
export class PendingGroup {
  /** The offered extents in offer order (the objects the offer returned and logged). */
  extents: DcExtent[] = [];
  /** Forced release hit it while pending (R17): any non-empty response naming it is Invalid PA. */
  dead = false;
  /** Some of it was accepted by an earlier payload of a More=1 response. */
  answered = false;
  /** Its last record carried More=1 (injection): the next add for this host joins it. */
  open = false;
  /** Extents accepted from this group by earlier payloads of a More=1 response, per tag. */
  readonly acceptedPerTag = new Map<string, number>();

  constructor(readonly id: number) {}
}

/** Tag bookkeeping hooks the host state calls whenever a tagged extent comes or goes. */
export interface TagHolderHooks {
  hold(tag: string, hostId: number): void;
  unhold(tag: string, hostId: number): void;
}

/** The extents of `index` that start at each of `dpas` (a per-tag set), in the set's order. */
function startingAtEach<T extends DcExtent>(index: ExtentIndex<T>, dpas: ReadonlySet<number> | undefined): T[] {
  const out: T[] = [];
  for (const dpa of dpas ?? []) {
    const e = index.startingAt(dpa);
    if (e !== undefined) out.push(e);
  }
  return out;
}

export class HostState {
  /** Accepted extents, stored as numbers (see `ExtentIndex`): the returned objects are built on demand. */
  readonly accepted = new ExtentIndex();
  /** Pending extents, stored as numbers with their group id; queries return `PendingExtent`s. */
  readonly pending = new ExtentIndex<PendingExtent>((dpa, len, tag, sharedSeq, groupId) => ({ dpa, len, tag, sharedSeq, group: this.groupsById.get(groupId) as PendingGroup }));
  /** Start DPAs of the accepted extents per non-null tag (tag-based removal without a scan). */
  readonly acceptedByTag = new Map<string, Set<number>>();
  /** Start DPAs of the pending extents per non-null tag. */
  readonly pendingByTag = new Map<string, Set<number>>();
  /** Ranges whose release was requested with Sanitize on Release (sanitized when released). */
  readonly sanitizeRequests = new ExtentIndex();
  readonly log: EventLog;
  private groups: PendingGroup[] = [];
  private groupHead = 0;
  private readonly groupsById = new Map<number, PendingGroup>();
  generation = 0;

  constructor(
    readonly hostId: number,
    logCapacity: number,
    clock: Clock,
    private readonly tags: TagHolderHooks,
  ) {
    this.log = new EventLog(logCapacity, clock);
  }

  /** The oldest pending group (the one the next Add DC Response answers). */
  get firstGroup(): PendingGroup | undefined {
    return this.groups[this.groupHead];
  }

  get lastGroup(): PendingGroup | undefined {
    return this.groups.length > this.groupHead ? this.groups[this.groups.length - 1] : undefined;
  }

  get pendingGroups(): readonly PendingGroup[] {
    return this.groups.slice(this.groupHead);
  }

  pushGroup(g: PendingGroup): void {
    this.groups.push(g);
    this.groupsById.set(g.id, g);
  }

  /** Remove the oldest group and its pending extents; returns it. */
  shiftGroup(): PendingGroup | undefined {
    const g = this.groups[this.groupHead];
    if (g === undefined) return undefined;
    this.groupHead++;
    this.groupsById.delete(g.id);
    if (this.groupHead === this.groups.length) {
      this.groups = [];
      this.groupHead = 0;
    } else if (this.groupHead > 64 && this.groupHead * 2 > this.groups.length) {
      this.groups = this.groups.slice(this.groupHead);
      this.groupHead = 0;
    }
    if (g.extents.length === this.pending.size && this.pendingByTag.size === 0) {
      // The group holds every pending extent of this host (the usual case: one add
      // outstanding) and none is tagged: drop the index wholesale instead of n deletes.
      this.pending.clear();
    } else {
      for (const e of g.extents) this.removePending(e);
    }
    return g;
  }

  addAccepted(e: DcExtent): void {
    this.addAcceptedParts(e.dpa, e.len, e.tag, e.sharedSeq);
  }

  /** `addAccepted` from the fields (the hot paths need no object). */
  addAcceptedParts(dpa: number, len: number, tag: string, sharedSeq: number): void {
    this.accepted.add(dpa, len, tag, sharedSeq);
    if (tag !== NULL_TAG) this.indexTag(this.acceptedByTag, tag, dpa);
  }

  /** Remove the accepted extent `e` (found by its start). */
  removeAccepted(e: DcExtent): void {
    this.removeAcceptedAt(e.dpa);
  }

  /** Remove the accepted extent starting at `dpa`; its fields are then `accepted.removed*`. */
  removeAcceptedAt(dpa: number): void {
    if (!this.accepted.removeAt(dpa)) return;
    const tag = this.accepted.removedTag;
    if (tag !== NULL_TAG) this.unindexTag(this.acceptedByTag, tag, dpa);
  }

  /** The accepted extents carrying `tag`, in the order they were accepted. */
  acceptedWithTag(tag: string): DcExtent[] {
    return startingAtEach(this.accepted, this.acceptedByTag.get(tag));
  }

  /** The offered `extents` become pending in `group` (which must have been pushed); the group keeps the objects. */
  addPending(extents: readonly DcExtent[], group: PendingGroup): void {
    // One exact-size copy for a new group (the usual case) instead of growing it push by push.
    if (group.extents.length === 0) group.extents = extents.slice();
    else for (let i = 0; i < extents.length; i++) group.extents.push(extents[i] as DcExtent);
    for (let i = 0; i < extents.length; i++) {
      const e = extents[i] as DcExtent;
      this.pending.insert(e, group.id);
      if (e.tag !== NULL_TAG) this.indexTag(this.pendingByTag, e.tag, e.dpa);
    }
  }

  /** The pending extents carrying `tag`, in the order they were offered. */
  pendingWithTag(tag: string): PendingExtent[] {
    return startingAtEach(this.pending, this.pendingByTag.get(tag));
  }

  private removePending(e: DcExtent): void {
    this.pending.removeAt(e.dpa);
    if (e.tag !== NULL_TAG) this.unindexTag(this.pendingByTag, e.tag, e.dpa);
  }

  // Callers test for the null tag first: untagged extents (the usual case) skip the call.

  /** Record the extent at `dpa` under its non-null `tag` in `byTag` (accepted or pending) and hold the tag. */
  private indexTag(byTag: Map<string, Set<number>>, tag: string, dpa: number): void {
    let set = byTag.get(tag);
    if (set === undefined) byTag.set(tag, (set = new Set()));
    set.add(dpa);
    this.tags.hold(tag, this.hostId);
  }

  /** Undo `indexTag`: forget `dpa` under `tag` (dropping an emptied set) and release the hold. */
  private unindexTag(byTag: Map<string, Set<number>>, tag: string, dpa: number): void {
    const set = byTag.get(tag);
    set?.delete(dpa);
    if (set?.size === 0) byTag.delete(tag);
    this.tags.unhold(tag, this.hostId);
  }

  /** Pending + accepted extents of this host. */
  get extentCount(): number {
    return this.accepted.size + this.pending.size;
  }

  hasTag(tag: string): boolean {
    return this.acceptedByTag.has(tag) || this.pendingByTag.has(tag);
  }
}
