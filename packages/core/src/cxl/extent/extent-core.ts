/**
 * The host's DCD extent core (drivers/cxl/core/{mbox.c,extent.c}, v11): one per host.
 *
 * - Memdevs attach with their mailbox and interrupt; an interrupt drains the DC event log (Get
 *   Event Records, trace, dispatch, Clear Event Records, R18).
 * - Add records are staged until More=0 (R19) under a 20 s watchdog (R20) and a 100-extent cap
 *   (R21); a closed chain runs through tag grouping (R23), the group gates (R24-R27), the
 *   per-extent checks (R28-R30), the region driver's policy, realisation of `extentZ.K` devices
 *   (R31-R32) and exactly one Add DC Response (R34).
 * - Release records are matched by containment and tag (R40-R41) and released whole-group, unless
 *   the policy defers (R43-R45); forced releases are logged and ignored (R46).
 * - DC regions attach when their region driver binds: `dax_regionZ` is created on the cxl bus,
 *   its `cxl_dax_region` probe scans the existing extents (R35-R38), and detaching releases
 *   everything (R60).
 *
 * The tag registry is host-wide: every memdev and region of the host shares it (R24).
 */
import { type Observable, Subject, type Subscription } from "rxjs";
import type { DependencyContainer, InjectionToken } from "tsyringe";
import { type Device } from "../../driver-model/device.js";
import type { DriverCore } from "../../driver-model/driver-core.js";
import { describe, type ErrnoCode, errno, isDcdError } from "../../errors.js";
import { DRIVER_CORE, HOST, SYSFS_TREE } from "../../host/tokens.js";
import type { SysfsTree } from "../../sysfs/sysfs-tree.js";
import type { Disposable } from "../../lifecycle/disposable.js";
import { leakTracker } from "../../lifecycle/leak-tracker.js";
import { CLOCK, type Clock } from "../../time/clock.js";
import { KERNEL_LOG, type KernelLog } from "../kernel-log.js";
import { NULL_UUID } from "../../uuid.js";
import { CxlDaxRegion, type DaxRegionEngine } from "../dax-region/cxl-dax-region.js";
import { extentDirSource } from "../dax-region/extent-sysfs.js";
import type { CxlMailbox } from "../mbox/mailbox.js";
import { errnoNumber } from "../mbox/rc-errno.js";
import type { Admission, RegionExtentPolicy, ReleaseCause, ReleaseVerdict } from "../region-driver.js";
import { DC_EVENT_TYPE, type DcEventType } from "../wire/dc-event.js";
import type { DcEventRecordHead } from "../wire/event-record.js";
import type { DcEventRecordColumns } from "../wire/event-records-payload.js";
import type { DcExtent, DpaRange } from "../wire/extent.js";
import { EVENT_LOG } from "../wire/opcodes.js";
import type { DcEvent, ExtentLifecycleEvent, ExtentRule, KernelLogLine } from "./events.js";
import { pra } from "./format.js";
import { type ChainGroup, checkGroupAlignment, checkGroupPartition, checkGroupSeq, groupChain, partitionError, partitionOf } from "./gates.js";
import { HOST_POLICY_V11, type HostPolicy } from "./host-policy.js";
import { type CheckedExtent, DcExtentRecord, type DcExtentPartition, type DcRegionTarget, TagGroupRecord, type TargetState } from "./model.js";
import { readExtentList } from "./scan.js";
import { type Co, run, runAsync, wait } from "./co.js";

/** The host's extent core, registered in its container by {@link CxlExtentCore.of}. */
export const CXL_EXTENT_CORE: InjectionToken<CxlExtentCore> = Symbol("CxlExtentCore");
/** Optional: the host's DCD policy (defaults to {@link HOST_POLICY_V11}). */
export const HOST_POLICY: InjectionToken<HostPolicy> = Symbol("HostPolicy");

export interface CxlExtentCoreOptions {
  /** Names the host in leak reports. */
  readonly name: string;
  readonly clock: Clock;
  readonly driverCore: DriverCore;
  /** The host's sysfs, for the `extentZ.K` directories under `dax_regionZ`. */
  readonly sysfs?: SysfsTree;
  readonly policy?: HostPolicy;
  /** The host's dmesg: every line of {@link CxlExtentCore.log$} is printed there too. */
  readonly kernelLog?: Pick<KernelLog, "print">;
}

/** What the memdev probe hands over once DCD is enabled (R3-R6 passed). */
export interface DcMemdevOptions {
  /** `memX`. */
  readonly memdev: Device;
  readonly mailbox: CxlMailbox;
  /** The event interrupt; absent: nothing drains the log except {@link DcMemdevHandle.drain}. */
  readonly interrupt$?: Observable<unknown>;
  /** The memdev's DC partitions (Linux uses the first, R4). */
  readonly partitions: readonly DcExtentPartition[];
  /** Device name in log lines; defaults to the memdev's name. */
  readonly logName?: string;
}

/** A memdev's extent handling; dispose it when the memdev's driver unbinds. */
export interface DcMemdevHandle extends Disposable {
  readonly memdev: Device;
  /** What the host read from and sent to this memdev's DC log and mailbox; completes on dispose. */
  readonly dcEvents$: Observable<DcEvent>;
  /** Drain the DC event log now (as an interrupt would). */
  drain(): Promise<void>;
  /** Extents staged in an open More-chain. */
  readonly staged: number;
}

/** What a region driver's bind hands over for a DC region. */
export interface DcRegionOptions {
  /** `regionZ`. */
  readonly region: Device;
  /** Z. */
  readonly regionId: number;
  readonly hpaStart: number;
  readonly size: number;
  /** The region's endpoint decoders (one: interleave ways must be 1, R62). */
  readonly targets: readonly DcRegionTarget[];
  /** The bound region driver's policy. */
  readonly policy: RegionExtentPolicy;
  /** `cxl_region_invalidate_memregion`: throw to refuse (adds not onlined R31, releases not done R42). */
  readonly invalidateMemregion?: () => void;
}

/** @internal */
class MemdevState {
  readonly name: string;
  private readonly subject = new Subject<DcEvent>();
  readonly events$: Observable<DcEvent> = this.subject.asObservable();
  /** Decoder windows of attached DC regions on this memdev. */
  targets: TargetState<CxlDaxRegion>[] = [];
  /** `add_ctx.pending_extents`. */
  pending: DcExtent[] = [];
  /** R47 [L-dev]: release records of a More-chain that has not closed. */
  pendingRelease: DcExtent[] = [];
  /** `add_ctx.armed`. */
  armed = false;
  /** When the armed watchdog expires (clock ms). */
  deadline = 0;
  // Every field is set in the constructor, in one order: a property added later gives each
  // instance's hidden class a transition, and the hot paths reading `m` deoptimised per memdev.
  watchdog: Disposable | undefined = undefined;
  /** Steps waiting for this memdev's event thread (drains, timeouts). */
  readonly steps: { make: () => Co<void>; done?: () => void }[] = [];
  /** A step is running (synchronously or as a promise). */
  active = false;
  drainQueued = false;
  attached = true;
  interrupt: Subscription | undefined = undefined;
  readonly untrack: () => void;

  constructor(readonly options: DcMemdevOptions) {
    this.name = options.logName ?? options.memdev.name;
    this.untrack = leakTracker.track("dc-memdev", options.memdev.name);
  }

  get mailbox(): CxlMailbox {
    return this.options.mailbox;
  }

  get partitions(): readonly DcExtentPartition[] {
    return this.options.partitions;
  }

  get observed(): boolean {
    return this.subject.observed;
  }

  emit(e: DcEvent): void {
    if (this.subject.observed) this.subject.next(e);
  }

  complete(): void {
    this.subject.complete();
  }

  /** `cxl_dpa_to_region` for a region with a `cxlr_dax`: the decoder window holding `dpa`. */
  lookup(dpa: number): TargetState<CxlDaxRegion> | undefined {
    const targets = this.targets;
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i] as TargetState<CxlDaxRegion>;
      if (dpa >= t.dpaStart && dpa < t.dpaEnd) return t;
    }
    return undefined;
  }
}

/** Outcome of the per-extent checks (R28). */
type Checked =
  | CheckedExtent<CxlDaxRegion>
  | { readonly kind: "fail"; readonly errno: ErrnoCode; readonly rule: ExtentRule; readonly reason: string; readonly region: CxlDaxRegion | undefined };


/** Module bindings read once (hot loops would pay a getter per read under vitest's module runner). */
const NULL = NULL_UUID;
const ADD = DC_EVENT_TYPE.ADD_CAPACITY;
const RELEASE = DC_EVENT_TYPE.RELEASE_CAPACITY;
const FORCED = DC_EVENT_TYPE.FORCED_CAPACITY_RELEASE;
const DC_LOG = EVENT_LOG.DYNAMIC_CAPACITY;

const hosts = new WeakMap<DependencyContainer, CxlExtentCore>();

export class CxlExtentCore implements DaxRegionEngine {
  readonly name: string;
  readonly policy: HostPolicy;
  private readonly clock: Clock;
  private readonly driverCore: DriverCore;
  private readonly kernelLog: Pick<KernelLog, "print"> | undefined;
  private readonly sysfs: SysfsTree | undefined;
  private readonly memdevs = new Map<Device, MemdevState>();
  private readonly regions = new Set<CxlDaxRegion>();
  /** Host-wide registry of live tagged groups (R24, `cxl_tag_groups`). */
  private readonly tagRegistry = new Map<string, TagGroupRecord>();
  private readonly logSubject = new Subject<KernelLogLine>();
  private readonly dcSubject = new Subject<DcEvent>();
  private readonly lifecycleSubject = new Subject<ExtentLifecycleEvent>();
  private readonly perExtentGroups: boolean;
  /** R47 [L-dev]: release records are staged into chains. */
  private readonly stagedRelease: boolean;
  private busy = 0;
  private idleWaiters: (() => void)[] = [];
  private disposed = false;
  private readonly untrack: () => void;
  private readonly lifetime: Subscription;

  /** Kernel log lines of the DCD paths (dmesg). */
  readonly log$: Observable<KernelLogLine> = this.logSubject.asObservable();
  /** DC events of every memdev. */
  readonly dcEvents$: Observable<DcEvent> = this.dcSubject.asObservable();
  /** Extent lifecycle of every region (and of groups whose region could not be resolved). */
  readonly lifecycle$: Observable<ExtentLifecycleEvent> = this.lifecycleSubject.asObservable();

  constructor(options: CxlExtentCoreOptions) {
    this.name = options.name;
    this.clock = options.clock;
    this.driverCore = options.driverCore;
    this.policy = options.policy ?? HOST_POLICY_V11;
    this.kernelLog = options.kernelLog;
    this.perExtentGroups = this.policy.untaggedGrouping === "per-extent";
    this.stagedRelease = this.policy.releaseMode === "chain-fully-named";
    this.sysfs = options.sysfs;
    this.untrack = leakTracker.track("cxl-extent-core", options.name);
    // The core lives as long as the host's driver core: its events$ completes on host dispose.
    this.lifetime = options.driverCore.events$.subscribe({
      error: () => {
        this.dispose();
      },
      complete: () => {
        this.dispose();
      },
    });
  }

  /**
   * The host's extent core: created on first use from the host container's clock, driver core
   * and optional {@link HOST_POLICY}, then registered as {@link CXL_EXTENT_CORE}.
   */
  static of(container: DependencyContainer): CxlExtentCore {
    const known = hosts.get(container);
    if (known !== undefined) return known;
    if (container.isRegistered(CXL_EXTENT_CORE, true)) return container.resolve(CXL_EXTENT_CORE);
    const core = new CxlExtentCore({
      name: describeContainer(container),
      clock: container.resolve(CLOCK),
      driverCore: container.resolve(DRIVER_CORE),
      ...(container.isRegistered(SYSFS_TREE, true) ? { sysfs: container.resolve(SYSFS_TREE) } : {}),
      ...(container.isRegistered(HOST_POLICY, true) ? { policy: container.resolve(HOST_POLICY) } : {}),
      ...(container.isRegistered(KERNEL_LOG, true) ? { kernelLog: container.resolve(KERNEL_LOG) } : {}),
    });
    container.register(CXL_EXTENT_CORE, { useValue: core });
    hosts.set(container, core);
    return core;
  }

  // ---- attach / detach -----------------------------------------------------------------------

  /** A memdev with DCD enabled: subscribe to its interrupt and drain its DC log (R18). */
  attachMemdev(options: DcMemdevOptions): DcMemdevHandle {
    this.assertLive();
    if (this.memdevs.has(options.memdev)) throw errno("EBUSY", `${options.memdev.name}: already attached to the extent core`);
    const m = new MemdevState(options);
    this.memdevs.set(options.memdev, m);
    m.interrupt = options.interrupt$?.subscribe({
      next: () => {
        this.scheduleDrain(m);
      },
      // A device that goes away ends its interrupt; nothing to drain after that.
      error: () => undefined,
    });
    // Records logged before the memdev probed (or while it was unbound) are read at once.
    this.scheduleDrain(m);
    return {
      memdev: options.memdev,
      dcEvents$: m.events$,
      drain: () =>
        new Promise<void>((resolve) => {
          this.enqueue(m, () => this.drain(m), resolve);
        }),
      get staged() {
        return m.pending.length;
      },
      dispose: () => {
        this.detachMemdev(m);
      },
    };
  }

  private detachMemdev(m: MemdevState): void {
    if (!m.attached) return;
    m.attached = false;
    m.interrupt?.unsubscribe();
    m.watchdog?.dispose();
    m.watchdog = undefined;
    m.armed = false;
    m.pending = [];
    m.pendingRelease = [];
    this.memdevs.delete(m.options.memdev);
    m.complete();
    m.untrack();
  }

  /**
   * A region driver bound a DC region: create `dax_regionZ` on the cxl bus under `regionZ`
   * (`devm_cxl_add_dax_region`). If the `cxl_dax_region` driver is registered it binds now and
   * its probe scans the existing extents (R37). Resolves once the device is added and probed.
   */
  async attachDcRegion(options: DcRegionOptions): Promise<CxlDaxRegion> {
    this.assertLive();
    for (const t of options.targets) {
      if (!this.memdevs.has(t.memdev)) throw errno("EINVAL", `${options.region.name}: ${t.memdev.name} has no DCD attached (DCD unsupported)`, { detail: { memdev: t.memdev.name } });
    }
    const region = new CxlDaxRegion(this, { ...options, extentIdBase: this.policy.extentIdBase });
    this.regions.add(region);
    for (const t of region.targets) this.memdevs.get(t.target.memdev)?.targets.push(t);
    try {
      // v9/v10 read existing extents while creating the DAX region, before it probes (R39).
      if (this.policy.scanAt === "region-create") await runAsync(this.scanRegion(region));
      await this.driverCore.deviceAdd(region);
      this.sysfs?.addDirSource(`/sys${region.devpath}`, extentDirSource(region.extentsById, region.regionId, this.policy.extentUuidUntagged === "null-uuid"));
    } catch (err) {
      this.forgetRegion(region);
      throw err;
    }
    return region;
  }

  /**
   * The region is being destroyed or its driver unbound (R60): release every group (each member
   * with its own Release DC), delete `dax_regionZ` and its extents, then `policy.teardown()`.
   */
  async detachDcRegion(region: CxlDaxRegion): Promise<void> {
    if (!this.regions.has(region)) return;
    const errors: unknown[] = [];
    try {
      for (const g of [...region.groups]) await runAsync(this.releaseGroupRecord(region, g, "teardown"));
    } catch (err) {
      errors.push(err);
    }
    region.dead = true;
    try {
      if (region.isRegistered) await this.driverCore.deviceDel(region);
    } catch (err) {
      errors.push(err);
    }
    this.forgetRegion(region);
    try {
      await region.policy.teardown?.();
    } catch (err) {
      errors.push(err);
    }
    if (errors.length > 0) throw errors[0];
  }

  private forgetRegion(region: CxlDaxRegion): void {
    region.dead = true;
    for (const g of [...region.groups]) this.rmTagGroup(region, g);
    for (const m of this.memdevs.values()) m.targets = m.targets.filter((t) => t.region !== region);
    this.regions.delete(region);
    region.complete();
  }

  /** Regions with a `dax_regionZ`, in attach order. */
  daxRegions(): CxlDaxRegion[] {
    return [...this.regions];
  }

  /** The live tagged groups of the host (the registry of R24), by tag. */
  liveTags(): string[] {
    return [...this.tagRegistry.keys()];
  }

  // ---- DaxRegionEngine (the cxl_dax_region driver) ----------------------------------------------

  /** @internal `cxl_dax_region` probe. */
  async probeDaxRegion(region: CxlDaxRegion): Promise<void> {
    region.notifying = true;
    try {
      // Groups accepted while no driver was bound are announced now (the kernel's DAX probe
      // picks up every existing dc_extent child).
      for (const g of [...region.groups]) {
        if (!g.notified && g.live) await runAsync(this.notifyExistingGroup(region, g));
      }
      if (this.policy.scanAt === "probe") await runAsync(this.scanRegion(region));
    } catch (err) {
      region.notifying = false;
      throw err;
    }
  }

  /** @internal `cxl_dax_region` remove: release everything (dax_cxl unbind, R60). */
  async removeDaxRegion(region: CxlDaxRegion): Promise<void> {
    try {
      for (const g of [...region.groups]) await runAsync(this.releaseGroupRecord(region, g, "teardown"));
    } finally {
      region.notifying = false;
    }
  }

  /**
   * @internal Host-initiated release of one group (`cxl_release_tag_group`): the region's caches
   * are invalidated first, and a failure leaves the group intact (its errno is thrown).
   */
  releaseGroup(region: CxlDaxRegion, group: TagGroupRecord): Promise<ReleaseVerdict> {
    return this.track(() => {
      if (group.live) region.invalidateMemregion?.();
      return runAsync(this.releaseGroupRecord(region, group, "host"));
    });
  }

  private *notifyExistingGroup(region: CxlDaxRegion, g: TagGroupRecord): Co<void> {
    const view = g.view();
    const admission = yield* this.admit(region.policy, view);
    if (!admission.admit) {
      // Accepted capacity the driver does not want: left in place, as the scan leaves orphans (R38).
      this.emitLifecycle(region, { type: "rejected", scope: "group", region: region.regionName, memdev: g.memdev, tag: g.tag, existing: true, extents: view.extents.map(toWire), rule: "R32", errno: "EBUSY", reason: admission.reason });
      return;
    }
    yield* wait(region.policy.accepted(view));
    g.notified = true;
    this.emitLifecycle(region, { type: "accepted", region: region.regionName, memdev: g.memdev, existing: true, group: view });
  }

  // ---- probe-time scan (R35-R38) -------------------------------------------------------------

  private *scanRegion(region: CxlDaxRegion): Co<void> {
    const seen = new Set<MemdevState>();
    for (const t of region.targets) {
      const m = this.memdevs.get(t.target.memdev);
      if (m === undefined || seen.has(m)) continue;
      seen.add(m);
      const { extents } = readExtentList(m.mailbox, this.policy.scanAttempts, (message) => {
        this.log("warn", m.name, message, "R37");
      });
      // One closed chain with existing=true: gates and realisation, never an Add DC Response (R35).
      if (extents.length > 0) yield* this.processChain(m, extents, true);
    }
    region.extentsScanned = true;
  }

  // ---- event log drain (R18) -----------------------------------------------------------------

  private scheduleDrain(m: MemdevState): void {
    if (m.drainQueued || !m.attached) return;
    m.drainQueued = true;
    this.enqueue(m, () => {
      m.drainQueued = false;
      return this.drain(m);
    });
  }

  /**
   * Run a step on `m`'s event thread (one per memdev, as the kernel's event-interrupt thread):
   * at once when the thread is idle, else after the steps before it. A step that never meets a
   * promise completes inside the call, so an FM operation returns with the host's work done.
   */
  private enqueue(m: MemdevState, make: () => Co<void>, done?: () => void): void {
    m.steps.push(done === undefined ? { make } : { make, done });
    if (!m.active) this.pump(m);
  }

  private pump(m: MemdevState): void {
    for (let step = m.steps.shift(); step !== undefined; step = m.steps.shift()) {
      if (!m.attached) {
        step.done?.();
        continue;
      }
      m.active = true;
      let result: void | Promise<void> = undefined;
      try {
        result = run(step.make());
      } catch (err) {
        this.log("err", m.name, `DC event handling failed: ${describe(err)}`);
      }
      if (result instanceof Promise) {
        const finished = step.done;
        void this.track(() =>
          result.then(
            () => undefined,
            (err: unknown) => {
              this.log("err", m.name, `DC event handling failed: ${describe(err)}`);
            },
          ),
        ).finally(() => {
          m.active = false;
          finished?.();
          this.pump(m);
        });
        return;
      }
      m.active = false;
      step.done?.();
    }
  }

  /** `cxl_mem_get_records_log(DCD)`: read, trace and dispatch each record, clear; until empty. */
  private *drain(m: MemdevState): Co<void> {
    while (m.attached) {
      let records: DcEventRecordColumns;
      try {
        records = m.mailbox.getDcEventRecordColumns(DC_LOG);
      } catch (err) {
        const code = errnoOf(err);
        this.log("err", m.name, `Event log '${DC_LOG}': Failed to query event records : -${errnoNumber(code)}`);
        this.emitDc(m, { type: "log-error", memdev: m.name, op: "get", errno: code });
        return;
      }
      const n = records.count;
      if (n === 0) return;
      // Columns, not a record object each: only a dispatched record (a chain's last, a
      // release) becomes an object.
      const { handles, eventTypes, mores, extents } = records;
      for (let i = 0; i < n; i++) {
        const eventType = eventTypes[i] as DcEventType;
        const more = mores[i] as boolean;
        const extent = extents[i] as DcExtent;
        if (this.dcObserved(m)) this.emitDc(m, { type: "record", memdev: m.name, handle: handles[i] as number, eventType, more, extent, time: this.clock.now() });
        // Most records of a chain only stage (More=1): that path cannot fail or wait, so it
        // skips the dispatch coroutines (two generator objects per record).
        if (eventType === ADD && more && this.stageAdd(m, extent)) continue;
        yield* this.dispatch(m, { handle: handles[i] as number, eventType, more, extent });
        if (!isAttached(m)) return;
      }
      try {
        m.mailbox.clearEventRecords(DC_LOG, handles);
      } catch (err) {
        const code = errnoOf(err);
        this.log("err", m.name, `Event log '${DC_LOG}': Failed to clear events : -${errnoNumber(code)}`);
        this.emitDc(m, { type: "log-error", memdev: m.name, op: "clear", errno: code });
        return;
      }
    }
  }

  /** R18 dispatch of one record; a failure is logged as "dcd event failed: %d". */
  private *dispatch(m: MemdevState, r: DcEventRecordHead): Co<void> {
    let code: ErrnoCode | undefined;
    try {
      switch (r.eventType) {
        case ADD:
          code = yield* this.handleAdd(m, r);
          break;
        case RELEASE:
          code = this.stagedRelease ? yield* this.stageRelease(m, r) : yield* this.handleRelease(m, r.extent);
          break;
        case FORCED:
          this.log("err", m.name, "Forced release event ignored.", "R46");
          yield* this.handleForcedRelease(m, r.extent);
          break;
        default:
          code = "EINVAL";
      }
    } catch (err) {
      code = errnoOf(err);
    }
    if (code !== undefined) {
      this.log("err", m.name, `dcd event failed: -${errnoNumber(code)}`, "R18");
      this.emitDc(m, { type: "event-failed", memdev: m.name, eventType: r.eventType, errno: code, rc: -errnoNumber(code) });
    }
  }

  // ---- add staging (R19-R21) -----------------------------------------------------------------

  /**
   * R19 for an Add record with More=1 below the cap: stage it and (re)arm the watchdog. False
   * when the cap would trip (R21), which `handleAdd` reports.
   */
  private stageAdd(m: MemdevState, extent: DcExtent): boolean {
    const cap = this.policy.maxPendingExtents;
    if (cap !== null && m.pending.length >= cap) return false;
    m.pending.push(extent);
    if (this.policy.chainTimeoutMs !== null) this.armWatchdog(m, this.policy.chainTimeoutMs);
    return true;
  }

  private *handleAdd(m: MemdevState, r: DcEventRecordHead): Co<ErrnoCode | undefined> {
    const cap = this.policy.maxPendingExtents;
    if (cap !== null && m.pending.length >= cap) {
      const dropped = m.pending;
      m.pending = [];
      this.log("warn", m.name, `DC add chain exceeds ${cap} extents; dropping (firmware bug)`, "R21");
      this.emitDc(m, { type: "chain-refused", memdev: m.name, rule: "R21", dropped: dropped.length + 1 });
      this.rejectUnprocessed(m, [...dropped, r.extent], "R21", "ENOSPC", `DC add chain exceeds ${cap} extents; dropping (firmware bug)`);
      if (this.policy.capAction === "empty-response") {
        this.disarm(m);
        this.sendAddResponse(m, [], "cap");
      }
      return "ENOSPC";
    }
    // More=1: nothing is validated or surfaced yet; (re)arm the watchdog (R19, R20).
    if (r.more) {
      this.stageAdd(m, r.extent);
      return undefined;
    }
    m.pending.push(r.extent);
    this.disarm(m);
    const chain = m.pending;
    m.pending = [];
    const accepted = yield* this.processChain(m, chain, false);
    return this.sendAddResponse(m, accepted, "chain");
  }

  /**
   * `mod_delayed_work`: the chain times out `ms` after its latest More=1 record. One timer per
   * chain: a later record only moves the deadline, and an early timer re-arms for the rest.
   */
  private armWatchdog(m: MemdevState, ms: number): void {
    m.armed = true;
    m.deadline = this.clock.now() + ms;
    if (m.watchdog === undefined) this.startWatchdog(m, ms);
  }

  /**
   * The timer of {@link armWatchdog}, made apart: a function that creates a closure over its
   * parameters allocates the closure's context on every call, and `armWatchdog` runs per record.
   */
  private startWatchdog(m: MemdevState, ms: number): void {
    const fire = (): void => {
      m.watchdog = undefined;
      const left = m.deadline - this.clock.now();
      if (!m.armed) return;
      if (left > 0) {
        m.watchdog = this.clock.setTimeout(fire, left);
        return;
      }
      this.enqueue(m, () => this.timeoutStep(m));
    };
    m.watchdog = this.clock.setTimeout(fire, ms);
  }

  private disarm(m: MemdevState): void {
    m.armed = false;
    m.watchdog?.dispose();
    m.watchdog = undefined;
  }

  private *timeoutStep(m: MemdevState): Co<void> {
    yield* wait(undefined);
    this.chainTimeout(m);
  }

  /** R20 `cxl_dc_add_timeout`. */
  private chainTimeout(m: MemdevState): void {
    if (!m.armed || m.deadline > this.clock.now()) return;
    m.armed = false;
    m.watchdog = undefined;
    const dropped = m.pending;
    m.pending = [];
    this.log("warn", m.name, "DC add chain timed out; refusing staged extents", "R20");
    this.emitDc(m, { type: "chain-refused", memdev: m.name, rule: "R20", dropped: dropped.length });
    this.rejectUnprocessed(m, dropped, "R20", "ETIMEDOUT", "DC add chain timed out; refusing staged extents");
    if (this.sendAddResponse(m, [], "timeout") !== undefined) this.log("debug", m.name, "Failed to send empty ADD_DC_RESPONSE on timeout");
  }

  /** Staged extents dropped before any group formed: one rejection per would-be group. */
  private rejectUnprocessed(m: MemdevState, extents: readonly DcExtent[], rule: ExtentRule, code: ErrnoCode, reason: string): void {
    if (extents.length === 0) return;
    for (const g of groupChain(extents, (e, i) => this.untaggedKey(m, e, i))) {
      const region = m.lookup((g.extents[0] as DcExtent).dpa)?.region;
      this.emitLifecycle(region, { type: "rejected", scope: "group", region: region?.regionName, memdev: m.name, tag: g.tag, existing: false, extents: g.extents, rule, errno: code, reason });
    }
  }

  /** R34: one logical Add DC Response; returns the errno when the device refused it. */
  private sendAddResponse(m: MemdevState, extents: readonly DpaRange[], cause: "chain" | "timeout" | "cap"): ErrnoCode | undefined {
    try {
      const payloads = m.mailbox.addDcResponse(extents);
      if (this.dcObserved(m)) this.emitDc(m, { type: "add-response", memdev: m.name, extents: extents.map(plainRange), payloads, cause });
      return undefined;
    } catch (err) {
      const code = errnoOf(err);
      // Q5: groups already onlined stay onlined; the divergence is reported, not repaired.
      this.emitDc(m, { type: "add-response", memdev: m.name, extents: extents.map(plainRange), payloads: 0, errno: code, cause });
      return code;
    }
  }

  private untaggedKey(m: MemdevState, e: DcExtent, index: number): unknown {
    // Q2 [MODEL]: untagged extents of one chain form one group per target region; v9: per extent.
    if (this.perExtentGroups) return index;
    return m.lookup(e.dpa)?.region;
  }

  private lifecycleObserved(region: CxlDaxRegion | undefined): boolean {
    return this.lifecycleSubject.observed || region?.observed === true;
  }

  // ---- chain processing (R23-R34) ------------------------------------------------------------

  /**
   * `cxl_add_pending()`: every tag group of a closed chain through the gates, the policy and
   * realisation. Returns what the Add DC Response lists (grouped by tag in first-appearance
   * order, each group in seq order).
   */
  private *processChain(m: MemdevState, chain: readonly DcExtent[], existing: boolean): Co<readonly DpaRange[]> {
    // What each group adds to the response, in order. One realised group (the usual chain) is
    // answered with its member list itself: no copy of the chain per response.
    const parts: (readonly DpaRange[])[] = [];
    // Index loops in the coroutines of this path: they run in V8's interpreter or baseline
    // tier more than plain functions do, where `for...of` allocates a result per element.
    const groups = groupChain(chain, (e, i) => this.untaggedKey(m, e, i));
    for (let k = 0; k < groups.length; k++) {
      if (!m.attached) break;
      yield* this.processGroup(m, groups[k] as ChainGroup, existing, parts);
    }
    if (parts.length === 1) return parts[0] as readonly DpaRange[];
    const accepted: DpaRange[] = [];
    for (const part of parts) for (let i = 0; i < part.length; i++) accepted.push(part[i] as DpaRange);
    return accepted;
  }

  private *processGroup(m: MemdevState, g: ChainGroup, existing: boolean, accepted: (readonly DpaRange[])[]): Co<void> {
    const policy = this.policy;
    const tag = g.tag;
    const tagged = tag !== NULL;
    const firstRegion = m.lookup((g.extents[0] as DcExtent).dpa)?.region;
    this.emitLifecycle(firstRegion, () => ({ type: "offered", region: firstRegion?.regionName, memdev: m.name, tag, existing, extents: [...g.extents] }));
    const dropGroup = (rule: ExtentRule, code: ErrnoCode, reason: string, level: "warn" | "err" | "debug" = "warn", device = m.name): void => {
      this.log(level, device, reason, rule);
      this.emitLifecycle(firstRegion, { type: "rejected", scope: "group", region: firstRegion?.regionName, memdev: m.name, tag, existing, extents: g.extents, rule, errno: code, reason });
    };

    if (tagged && policy.tagsSupported) {
      // Gate 1, R24: a live tag anywhere on the host (v11) / in the target region (v10).
      const live = policy.tagUniqueness === "host" ? this.tagRegistry.has(tag) : policy.tagUniqueness === "region" ? firstRegion?.tags.has(tag) === true : false;
      if (live) {
        const text = policy.tagUniqueness === "host" ? `Tag ${tag}: dropping group, tag already committed (firmware/orchestrator bug)` : `Tag ${tag}: dropping group, tag already committed in a previous More-chain (firmware bug)`;
        dropGroup("R24", "EBUSY", text);
        return;
      }
    }
    if (policy.tagsSupported) {
      // Gate 2, R25: sequence integrity.
      const seqError = checkGroupSeq(tag, g.extents, policy);
      if (seqError !== undefined) {
        dropGroup("R25", "EINVAL", seqError);
        return;
      }
      // Gate 3, R26: a tagged allocation lives in one DC partition.
      const part = checkGroupPartition(tag, g.extents, m.partitions);
      if (part !== undefined) {
        dropGroup("R26", part.errno, part.log, part.errno === "ENXIO" ? "err" : "warn");
        return;
      }
    }
    // Gate 4, R27: PMD alignment of every start and length.
    const alignError = checkGroupAlignment(tag, g.extents, policy.alignBytes);
    if (alignError !== undefined) {
      dropGroup("R27", "EINVAL", alignError);
      return;
    }
    if (tagged) {
      // Q2 [MODEL]: one allocation cannot straddle two regions (two decoders of one partition).
      const regions = new Set<CxlDaxRegion>();
      for (let k = 0; k < g.extents.length; k++) {
        const r = m.lookup((g.extents[k] as DcExtent).dpa)?.region;
        if (r !== undefined) regions.add(r);
      }
      if (regions.size > 1) {
        const [a, b] = [...regions];
        dropGroup("Q2", "EINVAL", `Tag ${tag}: dropping group, extents span regions ${a?.regionName ?? "?"} and ${b?.regionName ?? "?"}`);
        return;
      }
    }

    // Per-extent checks (R28), seq_num assignment (R30); a failure drops only that extent (R29).
    // The group record is made with its first new member; members become records at once.
    let group: TagGroupRecord | undefined;
    let groupRegion: CxlDaxRegion | undefined;
    const duplicates: DcExtent[] = [];
    let seqs: Set<number> | undefined;
    let index: number = policy.seqBase;
    const offered = g.extents;
    for (let k = 0; k < offered.length; k++) {
      const e = offered[k] as DcExtent;
      const arrival = index;
      if (policy.advanceSeqOnFailure) index++;
      const c = this.checkExtent(m, e, existing);
      if (c.kind === "fail") {
        this.emitLifecycle(c.region ?? firstRegion, { type: "rejected", scope: "extent", region: (c.region ?? firstRegion)?.regionName, memdev: m.name, tag, existing, extents: [e], rule: c.rule, errno: c.errno, reason: c.reason });
        continue;
      }
      if (c.kind === "duplicate") {
        duplicates.push(e);
        this.emitLifecycle(c.target.region, { type: "duplicate", region: c.target.region.regionName, memdev: m.name, tag, extent: e });
        continue;
      }
      const seqNum = c.sharable ? e.sharedSeq : arrival;
      if (!policy.advanceSeqOnFailure) index++;
      // Arrival indexes only grow, so only device-stamped (sharable) numbers can collide: the
      // set is built from the first sharable member on.
      if (seqs === undefined && c.sharable) seqs = new Set(group?.members.map((r) => r.seqNum));
      if (seqs?.has(seqNum) === true) {
        const reason = `duplicate seq_num ${seqNum} in tag ${tag}`;
        this.log("warn", c.target.region.name, reason, "R30");
        this.emitLifecycle(c.target.region, { type: "rejected", scope: "extent", region: c.target.region.regionName, memdev: m.name, tag, existing, extents: [e], rule: "R30", errno: "EBUSY", reason });
        continue;
      }
      seqs?.add(seqNum);
      const target = c.target;
      if (group === undefined) {
        groupRegion = target.region;
        group = new TagGroupRecord(tag, c.sharable, groupRegion, m.name, existing);
      }
      group.members.push(new DcExtentRecord(e.dpa, e.len, seqNum, e.sharedSeq, group, target));
    }
    if (group === undefined || groupRegion === undefined) {
      if (duplicates.length > 0) {
        // R33: nothing new. A complete re-offer is answered with nothing.
        const region = m.lookup((duplicates[0] as DcExtent).dpa)?.region ?? firstRegion;
        this.emitLifecycle(region, { type: "rejected", scope: "group", region: region?.regionName, memdev: m.name, tag, existing, extents: g.extents, rule: "R33", errno: "ENXIO", reason: "every member is a duplicate of an accepted extent" });
      }
      return;
    }
    const realised = yield* this.realiseGroup(m, group, groupRegion, existing);
    if (realised === undefined) return;
    // The records are ranges themselves; an observed response event gets plain copies.
    accepted.push(realised.members);
    if (policy.echoDuplicatesInResponse && duplicates.length > 0) accepted.push(duplicates.map(plainRange));
  }

  /** R28 `cxl_validate_extent` + `cxlr_dax_classify_extent`, in the kernel's order. */
  private checkExtent(m: MemdevState, e: DcExtent, existing: boolean): Checked {
    // No closures here (a `fail` or `range` helper would cost a context per extent): failures
    // go through `failExtent`, ranges are formatted where a message needs one.
    const policy = this.policy;
    const partition = e.len > 0 ? partitionOf(m.partitions, e.dpa, e.len) : undefined;
    if (partition === undefined) return this.failExtent(m, "R28.1", "ENXIO", partitionError(m.partitions, e).log ?? "", "err");
    if (!policy.tagsSupported) {
      if (e.tag !== NULL) return this.failExtent(m, "R50", "ENXIO", `DC extent DPA ${pra(e.dpa, e.len)} (${e.tag}); tags not supported`, "err");
      if (e.sharedSeq !== 0) return this.failExtent(m, "R50", "ENXIO", `DC extent DPA ${pra(e.dpa, e.len)} (${e.tag}); shared_extn_seq=${e.sharedSeq} not supported`, "err");
    }
    if (partition.sharable) {
      if (e.tag === NULL) return this.failExtent(m, "R28.2", "ENXIO", `DC extent DPA ${pra(e.dpa, e.len)}: sharable-partition extent has null tag (firmware bug)`, "err");
      if (policy.seqBase === 1 && e.sharedSeq === 0) return this.failExtent(m, "R28.2", "ENXIO", `DC extent DPA ${pra(e.dpa, e.len)} (${e.tag}): sharable-partition extent missing shared_extn_seq (firmware bug)`, "err");
    } else if (e.sharedSeq !== 0) {
      return this.failExtent(m, "R28.2", "ENXIO", `DC extent DPA ${pra(e.dpa, e.len)} (${e.tag}): non-sharable partition but shared_extn_seq=${e.sharedSeq} (firmware bug)`, "err");
    }
    const target = m.lookup(e.dpa);
    if (target === undefined || target.region.dead) return this.failExtent(m, "R28.3", "ENXIO", `DC extent DPA ${pra(e.dpa, e.len)} (${e.tag}): no region with a DAX region`, "debug");
    const region = target.region;
    if (!existing && policy.requireScanBeforeAdd && !region.extentsScanned) {
      return this.failExtent(m, "R28.4", "EBUSY", `DC extent DPA ${pra(e.dpa, e.len)} (${e.tag}): ${region.name} has not read its existing extents yet`, "debug", m.name, region);
    }
    if (!target.contains(e.dpa, e.len)) {
      return this.failExtent(m, "R28.5", "ENXIO", `DC extent DPA ${pra(e.dpa, e.len)} (${e.tag}) is not fully in ED ${pra(target.target.dpaStart, target.target.dpaSize)}`, "err", target.target.decoder, region);
    }
    // Past the last accepted extent (the usual case: devices hand out DPAs upwards) the last one
    // is the floor and nothing is higher: no search.
    const extents = target.extents;
    const last = extents.last();
    const beyond = last === undefined || last.dpa < e.dpa;
    const holder = beyond ? last : extents.floor(e.dpa);
    if (holder !== undefined && holder.dpa + holder.len >= e.dpa + e.len) {
      this.log("warn", target.target.decoder, `Extent ${pra(e.dpa, e.len)} exists; accept again`, "R28.6");
      return target.isDuplicate;
    }
    const overlaps = (holder !== undefined && holder.dpa + holder.len > e.dpa) || (!beyond && (extents.higher(e.dpa)?.dpa ?? Infinity) < e.dpa + e.len);
    if (overlaps) return this.failExtent(m, "R28.6", "ENXIO", `DC extent DPA ${pra(e.dpa, e.len)} (${e.tag}) overlaps an accepted extent`, "debug", m.name, region);
    return partition.sharable ? target.isNewSharable : target.isNew;
  }

  /** A failed R28 check: logged when `log` says so, returned as the outcome. */
  private failExtent(m: MemdevState, rule: ExtentRule, code: ErrnoCode, reason: string, log: "err" | "debug" | undefined, device = m.name, region?: CxlDaxRegion): Checked {
    if (log !== undefined) this.log(log, device, reason, rule);
    return { kind: "fail", errno: code, rule, reason, region };
  }

  /**
   * R31-R32: register the tag, ask the policy, create the `extentZ.K` devices, tell the policy.
   * Any failure unwinds the group without Release DC (it was never acknowledged).
   */
  private *realiseGroup(m: MemdevState, group: TagGroupRecord, region: CxlDaxRegion, existing: boolean): Co<TagGroupRecord | undefined> {
    const tag = group.tag;
    const reject = (rule: ExtentRule, code: ErrnoCode, reason: string): undefined => {
      this.emitLifecycle(region, () => ({ type: "rejected", scope: "group", region: region.regionName, memdev: m.name, tag, existing, extents: group.members.map(toWireRecord), rule, errno: code, reason }));
      return undefined;
    };
    // `alloc_tag_group` → `cxl_tag_register`: the second guard of R24 (-EBUSY).
    if (group.tagged && this.policy.tagUniqueness !== "none" && (this.tagRegistry.has(tag) || region.tags.has(tag))) {
      reject("R31", "EBUSY", `Tag ${tag}: tag group registration failed (-${errnoNumber("EBUSY")})`); return;
    }
    this.registerGroup(region, group);

    if (region.notifying) {
      const admission = yield* this.admit(region.policy, group.view());
      if (!admission.admit) {
        this.unregisterGroup(region, group);
        reject("policy", "EBUSY", admission.reason); return;
      }
      if (region.dead || !m.attached) {
        this.unregisterGroup(region, group);
        reject("R28.3", "ENXIO", `${region.name} went away while the group was offered`); return;
      }
    }

    // `cxl_region_invalidate_memregion`, then `online_tag_group`: one `extentZ.K` per member, ids
    // allocated in seq order (`xa_alloc`, lowest free id first).
    try {
      region.invalidateMemregion?.();
    } catch (err) {
      this.log("warn", m.name, `Tag ${tag}: failed to online tag group (-${errnoNumber(errnoOf(err))})`, "R31");
      this.unregisterGroup(region, group);
      reject("R31", errnoOf(err), `failed to online tag group: ${describe(err)}`); return;
    }
    const members = group.members;
    for (let k = 0; k < members.length; k++) {
      const rec = members[k] as DcExtentRecord;
      rec.id = region.ids.alloc();
      region.extentsById.set(rec.id, rec);
      rec.target.extents.insert(rec);
    }

    if (region.notifying) {
      try {
        yield* wait(region.policy.accepted(group.view()));
        group.notified = true;
      } catch (err) {
        // R32: the DAX-side notification failed: torn down, left out of the response.
        group.skipDeviceRelease = true;
        this.rmTagGroup(region, group);
        reject("R32", errnoOf(err), `region driver failed to take the group: ${describe(err)}`); return;
      }
    }
    this.emitLifecycle(region, () => ({ type: "accepted", region: region.regionName, memdev: m.name, existing, group: group.view() }));
    return group;
  }

  private *admit(policy: RegionExtentPolicy, view: ReturnType<TagGroupRecord["view"]>): Co<Admission> {
    try {
      return yield* wait(policy.admit(view));
    } catch (err) {
      return { admit: false, reason: `admit failed: ${describe(err)}` };
    }
  }

  private registerGroup(region: CxlDaxRegion, group: TagGroupRecord): void {
    group.live = true;
    region.groups.add(group);
    if (group.tagged) {
      region.tags.set(group.tag, group);
      if (this.policy.tagUniqueness === "host") this.tagRegistry.set(group.tag, group);
    }
  }

  /** Forget a group that was never realised (no ids, no devices). */
  private unregisterGroup(region: CxlDaxRegion, group: TagGroupRecord): void {
    group.live = false;
    region.groups.delete(group);
    if (region.tags.get(group.tag) === group) region.tags.delete(group.tag);
    if (this.tagRegistry.get(group.tag) === group) this.tagRegistry.delete(group.tag);
  }

  // ---- release (R40-R46) ---------------------------------------------------------------------

  /** `cxl_rm_extent`: one Release Capacity record. */
  private *handleRelease(m: MemdevState, e: DcExtent): Co<ErrnoCode | undefined> {
    const range: DpaRange = { dpa: e.dpa, len: e.len };
    const target = m.lookup(e.dpa);
    if (target === undefined || target.region.dead) {
      // R40: not tracked here; tell the device we do not use it.
      this.releaseDc(m, range);
      return "ENXIO";
    }
    const region = target.region;
    const groups = this.matchRelease(target, e);
    if (groups.length === 0) {
      if (this.releaseMatchesNothing(region, e) !== undefined) return "EINVAL";
      this.releaseDc(m, range);
      return undefined;
    }
    const failed = invalidateBeforeRelease(region);
    if (failed !== undefined) return failed;
    for (const g of groups) yield* this.releaseGroupRecord(region, g, "device", range);
    return undefined;
  }

  /** R47 [L-dev]: stage release records until More=0, then handle the chain as a whole. */
  private *stageRelease(m: MemdevState, r: DcEventRecordHead): Co<ErrnoCode | undefined> {
    m.pendingRelease.push(r.extent);
    if (r.more) return undefined;
    const chain = m.pendingRelease;
    m.pendingRelease = [];
    return yield* this.releaseChain(m, chain);
  }

  /**
   * R47 [L-dev]: every record is resolved first (`cxl_resolve_extent`, lookups only); only a
   * chain in which every named group is named in full (`cxl_group_fully_named`) releases
   * anything, group by group (cache invalidation, the policy's veto, one Release DC per member).
   * Untracked DPAs are acknowledged whatever the rest of the chain does: the host holds nothing
   * there.
   */
  private *releaseChain(m: MemdevState, chain: readonly DcExtent[]): Co<ErrnoCode | undefined> {
    const named = new Map<TagGroupRecord, { region: CxlDaxRegion; members: Set<DcExtentRecord>; range: DpaRange }>();
    const acknowledge: DpaRange[] = [];
    let refused: ErrnoCode | undefined;
    for (const e of chain) {
      const target = m.lookup(e.dpa);
      if (target === undefined || target.region.dead) {
        acknowledge.push({ dpa: e.dpa, len: e.len });
        continue;
      }
      const rec = resolveMember(target, e);
      if (rec === undefined) {
        if (this.releaseMatchesNothing(target.region, e) !== undefined) refused = "EINVAL";
        else acknowledge.push({ dpa: e.dpa, len: e.len });
        continue;
      }
      const entry = named.get(rec.group);
      if (entry === undefined) named.set(rec.group, { region: target.region, members: new Set([rec]), range: { dpa: e.dpa, len: e.len } });
      else entry.members.add(rec);
    }
    for (const range of acknowledge) this.releaseDc(m, range);
    for (const [g, entry] of named) {
      if (entry.members.size === g.members.length) continue;
      this.log("err", entry.region.name, `release chain names ${entry.members.size} of ${g.members.length} extents of tag ${g.tag}; partial release not supported`, "R47");
      refused = "EINVAL";
    }
    if (refused !== undefined) return refused;
    for (const [g, entry] of named) {
      // R42 per group (`cxl_release_tag_group`): a failure stops here; the device may retry.
      const failed = invalidateBeforeRelease(entry.region);
      if (failed !== undefined) return failed;
      yield* this.releaseGroupRecord(entry.region, g, "device", entry.range);
    }
    return undefined;
  }

  /**
   * R41: a release record that names no dc_extent is logged, then refused or acknowledged as the
   * policy says. Returns "EINVAL" when refused (no ack); otherwise the caller acknowledges it.
   */
  private releaseMatchesNothing(region: CxlDaxRegion, e: DcExtent): "EINVAL" | undefined {
    const text = `release DPA ${pra(e.dpa, e.len)} (${e.tag}) matches no dc_extent`;
    if (this.policy.releaseNoMatch === "einval-no-ack") {
      this.log("err", region.name, text, "R41");
      return "EINVAL";
    }
    this.log("debug", region.name, text, "R41");
    return undefined;
  }

  /** R41 (containment + tag on the same decoder) or R48 (v9: every overlapping extent). */
  private matchRelease(target: TargetState<CxlDaxRegion>, e: DcExtent): TagGroupRecord[] {
    if (this.policy.releaseMatch === "overlap") {
      const out = new Set<TagGroupRecord>();
      for (const rec of target.extents.overlapping(e.dpa, e.len)) out.add(rec.group);
      return [...out];
    }
    const rec = target.extents.containing(e.dpa, e.len);
    return rec !== undefined && rec.group.tag === e.tag && rec.group.live ? [rec.group] : [];
  }

  private *handleForcedRelease(m: MemdevState, e: DcExtent): Co<void> {
    const target = m.lookup(e.dpa);
    if (target === undefined) return;
    for (const g of this.matchRelease(target, e)) {
      if (g.notified) yield* wait(target.region.policy.forcedRelease?.(g.view()));
      this.emitLifecycle(target.region, { type: "forced-release-ignored", region: target.region.regionName, memdev: m.name, group: g.view(), range: { dpa: e.dpa, len: e.len } });
    }
  }

  /**
   * Ask the policy (if it was told of the group), then release every member (R43-R44).
   * `teardown` cannot be deferred: the verdict is ignored.
   */
  private *releaseGroupRecord(region: CxlDaxRegion, g: TagGroupRecord, cause: ReleaseCause, range?: DpaRange): Co<ReleaseVerdict> {
    if (!g.live) return { result: "released" };
    const view = g.view();
    this.emitLifecycle(region, () => ({ type: "release-requested", region: region.regionName, memdev: g.memdev, cause, group: view, ...(range === undefined ? {} : { range }) }));
    if (g.notified) {
      let verdict: ReleaseVerdict;
      try {
        verdict = yield* wait(region.policy.release(view, cause));
      } catch (err) {
        // R43: any error from the DAX side defers like -EBUSY.
        verdict = { result: "deferred", reason: `release failed: ${describe(err)}` };
      }
      if (verdict.result === "deferred" && cause !== "teardown") {
        this.emitLifecycle(region, { type: "release-deferred", region: region.regionName, memdev: g.memdev, cause, group: view, reason: verdict.reason });
        return verdict;
      }
      if (!isLive(g)) return { result: "released" };
    }
    this.rmTagGroup(region, g);
    this.emitLifecycle(region, () => ({ type: "released", region: region.regionName, memdev: g.memdev, cause, group: view }));
    return { result: "released" };
  }

  /** `rm_tag_group`: unregister every member; each sends its own Release DC unless never acknowledged. */
  private rmTagGroup(region: CxlDaxRegion, g: TagGroupRecord): void {
    if (!g.live) return;
    g.live = false;
    region.groups.delete(g);
    if (region.tags.get(g.tag) === g) region.tags.delete(g.tag);
    if (this.tagRegistry.get(g.tag) === g) this.tagRegistry.delete(g.tag);
    const m = this.memdevs.get(g.members[0]?.target.target.memdev as Device);
    const byId = region.extentsById;
    const members = g.members;
    const target = members[0]?.target;
    if (target !== undefined && members.every((rec) => rec.target === target)) target.extents.deleteAll(members);
    else for (const rec of members) rec.target.extents.delete(rec);
    for (let k = 0; k < members.length; k++) {
      const rec = members[k] as DcExtentRecord;
      if (rec.id >= 0 && byId.get(rec.id) === rec) {
        byId.delete(rec.id);
        region.ids.release(rec.id);
      }
      // The record is a DpaRange itself; the event (when observed) gets a plain copy.
      if (!g.skipDeviceRelease && m !== undefined) this.releaseDc(m, rec);
    }
  }

  /** `memdev_release_extent`: one Release DC for one range; a failure is only a debug line. */
  private releaseDc(m: MemdevState, range: DpaRange): void {
    try {
      m.mailbox.releaseDcExtent(range.dpa, range.len);
      if (this.dcObserved(m)) this.emitDc(m, { type: "release-dc", memdev: m.name, extent: { dpa: range.dpa, len: range.len } });
    } catch (err) {
      const code = errnoOf(err);
      this.log("debug", m.name, `Failed to release ${pra(range.dpa, range.len)}`);
      this.emitDc(m, { type: "release-dc", memdev: m.name, extent: { dpa: range.dpa, len: range.len }, errno: code });
    }
  }

  // ---- streams, idle, lifetime -----------------------------------------------------------------

  private log(level: KernelLogLine["level"], device: string, message: string, rule?: string): void {
    this.kernelLog?.print(level, device, message);
    if (!this.logSubject.observed) return;
    this.logSubject.next(rule === undefined ? { level, device, message, time: this.clock.now() } : { level, device, message, rule, time: this.clock.now() });
  }

  /** Someone listens to `m`'s or the host's DC events (events are built only then). */
  private dcObserved(m: MemdevState): boolean {
    return m.observed || this.dcSubject.observed;
  }

  private emitDc(m: MemdevState, e: DcEvent): void {
    m.emit(e);
    if (this.dcSubject.observed) this.dcSubject.next(e);
  }

  private emitLifecycle(region: CxlDaxRegion | undefined, e: ExtentLifecycleEvent | (() => ExtentLifecycleEvent)): void {
    if (!this.lifecycleObserved(region)) return;
    const event = typeof e === "function" ? e() : e;
    region?.emit(event);
    if (this.lifecycleSubject.observed) this.lifecycleSubject.next(event);
  }

  /** Count `fn` as outstanding work for {@link idle}. */
  private async track<T>(fn: () => Promise<T> | T): Promise<T> {
    this.busy++;
    try {
      return await fn();
    } finally {
      this.busy--;
      if (this.busy === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    }
  }

  /**
   * Resolve once every queued drain, chain, release and timeout handler has finished and the
   * driver core is idle too (extent devices are registered through it).
   */
  async idle(): Promise<void> {
    for (;;) {
      if (this.busy > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      await this.driverCore.waitForProbe();
      // Let handlers scheduled by the last step start before deciding.
      await Promise.resolve();
      if (this.busy === 0) return;
    }
  }

  /** Detach every memdev and complete the host-wide streams (the host is going away). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const m of [...this.memdevs.values()]) this.detachMemdev(m);
    for (const r of [...this.regions]) {
      r.dead = true;
      r.complete();
    }
    this.regions.clear();
    this.tagRegistry.clear();
    this.lifetime.unsubscribe();
    this.logSubject.complete();
    this.dcSubject.complete();
    this.lifecycleSubject.complete();
    this.untrack();
  }

  private assertLive(): void {
    if (this.disposed) throw errno("ENODEV", `${this.name}: the extent core is shut down`);
  }
}

/**
 * `cxl_resolve_extent`: the live member on `target` containing the record's range with its tag;
 * on a sharable partition the record's `shared_extn_seq` must also be the member's seq_num.
 */
function resolveMember(target: TargetState<CxlDaxRegion>, e: DcExtent): DcExtentRecord | undefined {
  const rec = target.extents.containing(e.dpa, e.len);
  if (rec === undefined || !rec.group.live || rec.group.tag !== e.tag) return undefined;
  if (rec.group.sharable && rec.seqNum !== e.sharedSeq) return undefined;
  return rec;
}

/** Read after a step that may have changed it (TypeScript keeps narrowing across calls). */
function isAttached(m: MemdevState): boolean {
  return m.attached;
}

function isLive(g: TagGroupRecord): boolean {
  return g.live;
}

/**
 * R42: the region's caches are invalidated before anything is torn down; a failure changes
 * nothing and its errno is returned for the device's release to fail with.
 */
function invalidateBeforeRelease(region: CxlDaxRegion): ErrnoCode | undefined {
  try {
    region.invalidateMemregion?.();
  } catch (err) {
    return errnoOf(err);
  }
  return undefined;
}

function errnoOf(err: unknown): ErrnoCode {
  return isDcdError(err) ? err.code : "EIO";
}

/** `{ dpa, len }` alone (the response list holds extent records). */
function plainRange(r: DpaRange): DpaRange {
  return { dpa: r.dpa, len: r.len };
}

/** A member as the device sent it (for a rejection event). */
function toWireRecord(r: DcExtentRecord): DcExtent {
  return { dpa: r.dpa, len: r.len, tag: r.group.tag, sharedSeq: r.sharedSeq };
}

function toWire(e: { readonly dpa: number; readonly length: number; readonly tag: string; readonly sharedSeq: number }): DcExtent {
  return { dpa: e.dpa, len: e.length, tag: e.tag, sharedSeq: e.sharedSeq };
}

function describeContainer(container: DependencyContainer): string {
  return container.isRegistered(HOST, true) ? container.resolve(HOST).name : "host";
}
