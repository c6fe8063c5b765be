/**
 * What the device keeps per host (per logical device): accepted extents, pending add groups in
 * FIFO order, the extent list generation number, the DC event log and open sanitize requests.
 * Internal: the public view is `LogicalDevice` and `DcdDevice`'s queries.
 */
import type { Clock } from "@dcd/core";
import { NULL_UUID } from "@dcd/core";
import { EventLog } from "../event-log/event-log.js";
import { IntervalIndex } from "../interval/interval-index.js";
import type { DcExtent, DpaRange } from "./types.js";

/** An extent offered to the host and not yet answered; knows its group. */
export interface PendingExtent extends DcExtent {
  readonly group: PendingGroup;
}

/** One Add event (one More-chain): answered by exactly one Add DC Response. */
export class PendingGroup {
  readonly extents: PendingExtent[] = [];
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

export class HostState {
  readonly accepted = new IntervalIndex<DcExtent>();
  readonly pending = new IntervalIndex<PendingExtent>();
  /** Accepted extents per non-null tag (tag-based removal without a scan). */
  readonly acceptedByTag = new Map<string, Set<DcExtent>>();
  /** Pending extents per non-null tag. */
  readonly pendingByTag = new Map<string, Set<PendingExtent>>();
  /** Ranges whose release was requested with Sanitize on Release (sanitized when released). */
  readonly sanitizeRequests = new IntervalIndex<DpaRange>();
  readonly log: EventLog;
  private groups: PendingGroup[] = [];
  private groupHead = 0;
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
  }

  /** Remove the oldest group and its pending extents; returns it. */
  shiftGroup(): PendingGroup | undefined {
    const g = this.groups[this.groupHead];
    if (g === undefined) return undefined;
    this.groupHead++;
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
    this.accepted.insert(e);
    if (e.tag !== NULL_UUID) {
      let set = this.acceptedByTag.get(e.tag);
      if (set === undefined) this.acceptedByTag.set(e.tag, (set = new Set()));
      set.add(e);
      this.tags.hold(e.tag, this.hostId);
    }
  }

  removeAccepted(e: DcExtent): void {
    this.accepted.remove(e);
    if (e.tag !== NULL_UUID) {
      const set = this.acceptedByTag.get(e.tag);
      set?.delete(e);
      if (set?.size === 0) this.acceptedByTag.delete(e.tag);
      this.tags.unhold(e.tag, this.hostId);
    }
  }

  addPending(e: PendingExtent): void {
    this.pending.insert(e);
    e.group.extents.push(e);
    if (e.tag !== NULL_UUID) {
      let set = this.pendingByTag.get(e.tag);
      if (set === undefined) this.pendingByTag.set(e.tag, (set = new Set()));
      set.add(e);
      this.tags.hold(e.tag, this.hostId);
    }
  }

  private removePending(e: PendingExtent): void {
    this.pending.remove(e);
    if (e.tag !== NULL_UUID) {
      const set = this.pendingByTag.get(e.tag);
      set?.delete(e);
      if (set?.size === 0) this.pendingByTag.delete(e.tag);
      this.tags.unhold(e.tag, this.hostId);
    }
  }

  /** Pending + accepted extents of this host. */
  get extentCount(): number {
    return this.accepted.size + this.pending.size;
  }

  hasTag(tag: string): boolean {
    return this.acceptedByTag.has(tag) || this.pendingByTag.has(tag);
  }
}
