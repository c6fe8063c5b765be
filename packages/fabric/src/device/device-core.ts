/**
 * The device's internal state and the helpers every operation shares: hosts, partitions, tags,
 * budgets, event logging and notifications. Operations (FM side in this folder, host side in
 * `../mailbox`) validate first and only then mutate, so a refused request leaves all state as it
 * was; notifications go out after the mutation, so a subscriber that re-enters the device (a
 * host handling its interrupt synchronously) sees consistent state.
 */
import { type Clock, leakTracker, NULL_UUID, VirtualClock } from "@dcd/core";
import { type Observable, Subject } from "rxjs";
import { DC_EVENT_VALID_COUNTERS, type DcEventBody, type DcEventType } from "@dcd/core";
import { type AppendResult, EventLog } from "../event-log/event-log.js";
import { fail, type DcdFail, type MboxFailureRc, mboxRcName } from "@dcd/core";
import type { ResolvedConfig } from "./config.js";
import type { DcInterrupt, DeviceEvent, HostOrFm } from "./device-events.js";
import { ExtentBuffer, type ExtentSource } from "./extent-buffer.js";
import { HostState } from "./host-state.js";
import type { ReleasePlanOptions } from "./release-plan.js";
import { TagRegistry } from "./tag-registry.js";
import type { DcExtent, DcPartition, DpaRange } from "./types.js";

/** Internally the two 5602h-settable fields change; the public type is read-only. */
export type MutablePartition = { -readonly [K in keyof DcPartition]: DcPartition[K] };

const ZERO_EXTENT: DcExtent = Object.freeze({ dpa: 0, len: 0, tag: NULL_UUID, sharedSeq: 0 });
const NO_NOTICE = (): void => undefined;
const NO_RANGES: readonly DpaRange[] = Object.freeze([]);

export class DeviceCore {
  readonly partitions: MutablePartition[];
  readonly hosts: HostState[];
  readonly tags = new TagRegistry();
  readonly fmLog: EventLog;
  readonly clock: Clock;
  nextGroupId = 1;
  private readonly events = new Subject<DeviceEvent>();
  private readonly interrupts: Subject<DcInterrupt>[];
  readonly events$: Observable<DeviceEvent>;
  private untrack: (() => void) | undefined;

  /** How 4803h plans a release under this device's quirks (made once: one per command otherwise). */
  readonly hostReleaseOptions: ReleasePlanOptions;

  constructor(readonly cfg: ResolvedConfig, clock: Clock | undefined) {
    this.hostReleaseOptions = Object.freeze({ requireBacked: true, skipUnbacked: cfg.quirks.releaseUnknownIgnored, sharedWhole: cfg.quirks.enforceSharedRules });
    this.clock = clock ?? new VirtualClock(0);
    this.partitions = cfg.partitions.map((p) => ({ ...p }));
    this.hosts = [];
    this.interrupts = [];
    for (let id = 0; id < cfg.numHosts; id++) {
      this.hosts.push(new HostState(id, cfg.eventLogCapacity, this.clock, this.tags));
      this.interrupts.push(new Subject<DcInterrupt>());
    }
    this.fmLog = new EventLog(cfg.fmEventLogCapacity, this.clock);
    this.events$ = this.events.asObservable();
    this.untrack = leakTracker.track("dcd-device", cfg.name);
  }

  get name(): string {
    return this.cfg.name;
  }

  host(hostId: number): HostState | undefined {
    return Number.isInteger(hostId) ? this.hosts[hostId] : undefined;
  }

  interrupt$(hostId: number): Observable<DcInterrupt> {
    const s = this.interrupts[hostId];
    if (s === undefined) throw new RangeError(`host ${hostId} does not exist`);
    return s.asObservable();
  }

  /** Pending + accepted extents of every host, plus capacity only FM references keep (4800h "total"). */
  get totalExtentCount(): number {
    let n = 0;
    for (let i = 0; i < this.hosts.length; i++) n += (this.hosts[i] as HostState).extentCount;
    if (this.tags.size > 0) for (const r of this.tags.fmHeld()) n += r.extents.length;
    return n;
  }

  get extentsAvailable(): number {
    return Math.max(0, this.cfg.extentBudget - this.totalExtentCount);
  }

  get tagsSupported(): number {
    return this.cfg.tagBudget === "untracked" ? 0 : this.cfg.tagBudget;
  }

  get tagsAvailable(): number {
    return this.cfg.tagBudget === "untracked" ? 0 : Math.max(0, this.cfg.tagBudget - this.tags.size);
  }

  /** QEMU `cxl_find_dc_region`: the region holding all of `[dpa, dpa + len)`, searched from the last. */
  findPartition(dpa: number, len: number): MutablePartition | undefined {
    const ps = this.partitions;
    for (let i = ps.length - 1; i >= 0; i--) {
      const p = ps[i] as MutablePartition;
      if (dpa >= p.base) return dpa + len > p.base + p.length ? undefined : p;
    }
    return undefined;
  }

  /** True when a host other than `hostId`, or an FM-only tag reference, holds any byte of the range. */
  overlapsOthers(hostId: number, dpa: number, len: number): boolean {
    for (const h of this.hosts) {
      if (h.hostId === hostId) continue;
      if (h.accepted.overlaps(dpa, len) || h.pending.overlaps(dpa, len)) return true;
    }
    if (this.tags.size > 0) {
      for (const r of this.tags.fmHeld()) {
        for (const e of r.extents) if (e.dpa < dpa + len && dpa < e.dpa + e.len) return true;
      }
    }
    return false;
  }

  bumpGeneration(h: HostState): void {
    if (!this.cfg.quirks.frozenGeneration) h.generation = (h.generation + 1) >>> 0;
  }

  /** One DC event record body with the post-event counters. */
  body(eventType: DcEventType, extent: DcExtent, more: boolean, hostId = 0, region = 0): DcEventBody {
    return {
      eventType,
      validityFlags: DC_EVENT_VALID_COUNTERS,
      hostId,
      updatedRegionIndex: region,
      more,
      extent,
      numAvailExtents: this.extentsAvailable,
      numAvailTags: this.tagsAvailable,
    };
  }

  /** Append to a host's DC log; returns a notifier to run once state is final. */
  logTo(h: HostState, bodies: readonly DcEventBody[]): () => void {
    return this.notifier(h, h.log.append(bodies));
  }

  /** One record per extent (one event, More chained) in a host's DC log, with the post-event counters. */
  logExtents(h: HostState, eventType: DcEventType, extents: readonly DcExtent[], lastMore = false): () => void {
    return this.notifier(h, h.log.appendExtents(eventType, extents, lastMore, 0, this.extentsAvailable, this.tagsAvailable));
  }

  private notifier(h: HostState, r: AppendResult): () => void {
    return () => {
      if (r.dropped > 0) this.emit({ type: "event-log-overflow", device: this.name, hostId: h.hostId, dropped: r.dropped, overflowCount: h.log.overflowErrorCount });
      if (r.appended > 0) this.interrupts[h.hostId]?.next({ hostId: h.hostId, logType: 4, records: r.appended });
    };
  }

  /**
   * FM-view records (04h/05h) carrying the host id: one per extent with the More rule, or one
   * zero-length record when there are none (an empty Add DC Response still answers the FM).
   * Only the records that fit are built (the FM's log is shallow and usually full); the rest
   * are counted as overflow exactly as if they had been offered.
   */
  logToFm(eventType: DcEventType, extents: ExtentSource, hostId: number): () => void {
    let r;
    if (extents.length === 0) {
      r = this.fmLog.append([this.body(eventType, ZERO_EXTENT, false, hostId)]);
    } else {
      const fit = Math.min(extents.length, this.fmLog.freeSlots);
      if (fit === 0) return this.fmOverflow(extents.length);
      r = this.fmLog.appendExtents(eventType, extents.head(fit), false, hostId, this.extentsAvailable, this.tagsAvailable, extents.length - fit);
    }
    // Nobody listens (the usual case): nothing to announce, no closure per command.
    if (r.dropped === 0 || !this.events.observed) return NO_NOTICE;
    return this.fmOverflowNotice(r.dropped);
  }

  /**
   * {@link logToFm} for one extent (a Release DC of one extent): with the FM's log full, the usual
   * case, nothing is built at all.
   */
  logOneToFm(eventType: DcEventType, dpa: number, len: number, tag: string, sharedSeq: number, hostId: number): () => void {
    if (this.fmLog.freeSlots === 0) return this.fmOverflow(1);
    const one = new ExtentBuffer();
    one.push(dpa, len, tag, sharedSeq);
    return this.logToFm(eventType, one, hostId);
  }

  /**
   * A full FM log (the usual case: QEMU's holds 8) only counts the overflow: no records, no
   * counters (a walk over every host), no result object per command.
   */
  private fmOverflow(dropped: number): () => void {
    this.fmLog.countOverflow(dropped);
    return this.events.observed ? this.fmOverflowNotice(dropped) : NO_NOTICE;
  }

  /**
   * The notice of {@link fmOverflow}, made apart: a function that creates a closure over its
   * parameter allocates the closure's context on every call, even when it returns early.
   */
  private fmOverflowNotice(dropped: number): () => void {
    return () => {
      this.emit({ type: "event-log-overflow", device: this.name, hostId: "fm", dropped, overflowCount: this.fmLog.overflowErrorCount });
    };
  }

  /** Whether anyone listens (events are only built when someone does). */
  get observed(): boolean {
    return this.events.observed;
  }

  emit(e: DeviceEvent): void {
    if (this.events.observed) this.events.next(e);
  }

  /** Refuse a command: emit `command-rejected` and return the failure. */
  reject(hostId: HostOrFm, command: string, rc: MboxFailureRc, reason: string): DcdFail {
    this.emit({ type: "command-rejected", device: this.name, hostId, command, rc, rcName: mboxRcName(rc), reason });
    return fail(rc, reason);
  }

  /** Free tags nobody holds any more and announce them. */
  sweepTags(): void {
    const freed = this.tags.sweep();
    // An index loop: every command sweeps, and an array iterator per sweep is garbage.
    for (let i = 0; i < freed.length; i++) this.emit({ type: "tag-freed", device: this.name, tag: freed[i] as string });
  }

  /** Sanitize released capacity when the region or a release request asks for it (R78). */
  sanitizeReleased(h: HostState, released: ExtentBuffer): readonly DpaRange[] {
    // Nothing to sanitize (the usual case): no array per release.
    if (!this.sanitizes(h)) return NO_RANGES;
    const out: DpaRange[] = [];
    for (let k = 0; k < released.length; k++) {
      const r = { dpa: released.dpa(k), len: released.len(k) };
      const p = this.findPartition(r.dpa, r.len);
      const requested = h.sanitizeRequests.size > 0 && h.sanitizeRequests.overlaps(r.dpa, r.len);
      if (p?.sanitizeOnRelease === true || requested) out.push({ dpa: r.dpa, len: r.len });
      if (requested) {
        for (const req of h.sanitizeRequests.overlapping(r.dpa, r.len)) {
          h.sanitizeRequests.removeAt(req.dpa);
          // Keep the parts of the request that are still to be released.
          if (req.dpa < r.dpa) h.sanitizeRequests.add(req.dpa, r.dpa - req.dpa, NULL_UUID, 0);
          const end = r.dpa + r.len;
          if (req.dpa + req.len > end) h.sanitizeRequests.add(end, req.dpa + req.len - end, NULL_UUID, 0);
        }
      }
    }
    return out;
  }

  /** Would {@link sanitizeReleased} sanitize anything of `h`'s releases (a request or a partition asks)? */
  sanitizes(h: HostState): boolean {
    return h.sanitizeRequests.size > 0 || this.anySanitizeOnRelease();
  }

  /** Some partition sanitizes released capacity (R78); a loop, not a closure, per release. */
  private anySanitizeOnRelease(): boolean {
    const ps = this.partitions;
    for (let i = 0; i < ps.length; i++) if ((ps[i] as MutablePartition).sanitizeOnRelease) return true;
    return false;
  }

  dispose(): void {
    if (this.untrack === undefined) return;
    this.untrack();
    this.untrack = undefined;
    this.events.complete();
    for (const s of this.interrupts) s.complete();
  }

  get disposed(): boolean {
    return this.untrack === undefined;
  }
}
