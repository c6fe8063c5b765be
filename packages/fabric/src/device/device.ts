/**
 * A Dynamic Capacity Device: static ram/pmem, up to 8 DC partitions, one logical device per host
 * id. The FM-side operations (5600h-5608h) are typed methods returning spec return codes; each
 * host's mailbox (4800h-4803h, event records) is a `LogicalDevice`. See README.md in this folder.
 */
import { type Disposable, errno, isUuid, NULL_UUID } from "@dcd/core";
import type { Observable } from "rxjs";
import type { EventLog } from "../event-log/event-log.js";
import { LogicalDevice } from "../mailbox/logical-device.js";
import { detectMalformedExtentList } from "../mailbox/malformed-extent-list.js";
import type { DcdResult, MboxRc } from "@dcd/core";
import { type CxlTestMockOptions, CXL_TEST_PRE_EXTENTS, cxlTestMockConfig, type DcdDeviceConfig, type DcdDeviceOptions, type QemuDcdProperties, qemuPropertiesToConfig, resolveConfig } from "./config.js";
import { DeviceCore } from "./device-core.js";
import type { DeviceEvent } from "./device-events.js";
import { type AddOutcome, initiateAdd, type InitiateAddRequest } from "./fm-add.js";
import { type DcdInfo, getDcdInfo, getExtentLists, getHostDcRegionConfig, type HostDcRegionConfig, type HostExtentListPage, setDcRegionConfig } from "./fm-config.js";
import { initiateRelease, type InitiateReleaseRequest, type ReleaseOutcome } from "./fm-release.js";
import { addReference, listTags, removeReference, type TagListPage } from "./fm-tags.js";
import type { HostState } from "./host-state.js";
import type { DcdQuirks } from "./quirks.js";
import { type DeviceSnapshot, groupView, type PendingGroupView, snapshotDevice } from "./snapshot.js";
import type { DcExtent, DcPartition, DpaRange, RemovalPolicy, SelectionPolicy } from "./types.js";

export class DcdDevice implements Disposable {
  private readonly core: DeviceCore;
  private readonly lds: LogicalDevice[];

  /** Build from an explicit partition list (profile "spec" unless `config.profile` says otherwise). */
  constructor(config: DcdDeviceConfig) {
    this.core = new DeviceCore(resolveConfig(config), config.clock);
    this.lds = this.core.hosts.map((h) => new LogicalDevice(this.core, h));
  }

  /** Build as QEMU's `cxl-type3` does from its properties (profile "qemu"); QEMU's realize errors. */
  static fromQemuProperties(props: QemuDcdProperties, options: DcdDeviceOptions = {}): DcdDevice {
    return new DcdDevice(qemuPropertiesToConfig(props, options));
  }

  /** The kernel cxl_test mock memdev (profile "cxl-test"); see `cxlTestMockConfig`. */
  static cxlTestMock(options: CxlTestMockOptions = {}): DcdDevice {
    const config = cxlTestMockConfig(options);
    const device = new DcdDevice(config);
    if (options.preInjected ?? config.serial !== 0xdcdc) device.seedAccepted(0, CXL_TEST_PRE_EXTENTS);
    return device;
  }

  get name(): string {
    return this.core.name;
  }

  get serial(): number {
    return this.core.cfg.serial;
  }

  get ramSize(): number {
    return this.core.cfg.ramSize;
  }

  get pmemSize(): number {
    return this.core.cfg.pmemSize;
  }

  get partitions(): readonly DcPartition[] {
    return this.core.partitions;
  }

  get numHosts(): number {
    return this.core.hosts.length;
  }

  get quirks(): Readonly<DcdQuirks> {
    return this.core.cfg.quirks;
  }

  get extentBudget(): number {
    return this.core.cfg.extentBudget;
  }

  get selectionPolicies(): ReadonlySet<SelectionPolicy> {
    return this.core.cfg.selectionPolicies;
  }

  get removalPolicies(): ReadonlySet<RemovalPolicy> {
    return this.core.cfg.removalPolicies;
  }

  /** Every state change (see `DeviceEvent`). Completes on dispose; never errors. */
  get events$(): Observable<DeviceEvent> {
    return this.core.events$;
  }

  /** The FM's view: Add Capacity Response (04h) and Capacity Released (05h) records with host ids. */
  get fmEventLog(): EventLog {
    return this.core.fmLog;
  }

  get logicalDevices(): readonly LogicalDevice[] {
    return this.lds;
  }

  logicalDevice(hostId: number): LogicalDevice {
    const ld = this.lds[hostId];
    if (ld === undefined) throw errno("EINVAL", `${this.name}: host id ${hostId} does not exist (${this.lds.length} hosts)`);
    return ld;
  }

  // ---- FM API operations -------------------------------------------------------------------

  /** 5600h Get DCD Info. */
  getDcdInfo(): DcdInfo {
    return getDcdInfo(this.core);
  }

  /** 5601h Get Host DC Region Configuration. */
  getHostDcRegionConfig(req: { readonly hostId: number; readonly regionCount: number; readonly startRegion: number }): DcdResult<HostDcRegionConfig> {
    return getHostDcRegionConfig(this.core, req);
  }

  /** 5602h Set DC Region Configuration. */
  setDcRegionConfig(req: { readonly regionId: number; readonly blockSize: number; readonly sanitizeOnRelease: boolean }): DcdResult<undefined> {
    return setDcRegionConfig(this.core, req);
  }

  /** 5603h Get DC Region Extent Lists (accepted extents of one host, DPA order). */
  getExtentLists(req: { readonly hostId: number; readonly extentCount: number; readonly startIndex: number }): DcdResult<HostExtentListPage> {
    return getExtentLists(this.core, req);
  }

  /** 5604h Initiate Dynamic Capacity Add. */
  initiateAdd(req: InitiateAddRequest): DcdResult<AddOutcome> {
    return initiateAdd(this.core, req);
  }

  /** 5605h Initiate Dynamic Capacity Release. */
  initiateRelease(req: InitiateReleaseRequest): DcdResult<ReleaseOutcome> {
    return initiateRelease(this.core, req);
  }

  /** 5606h DC Add Reference. */
  addReference(tag: string): DcdResult<undefined> {
    return addReference(this.core, tag);
  }

  /** 5607h DC Remove Reference. */
  removeReference(tag: string): DcdResult<undefined> {
    return removeReference(this.core, tag);
  }

  /** 5608h DC List Tags. */
  listTags(req: { readonly startIndex: number; readonly count: number }): DcdResult<TagListPage> {
    return listTags(this.core, req);
  }

  // ---- queries (QMP reproduces QEMU's validation table with these, in its order) -----------

  /** QEMU `cxl_find_dc_region`: the partition holding all of `[dpa, dpa + len)`. */
  findPartition(dpa: number, len: number): DcPartition | undefined {
    return this.core.findPartition(dpa, len);
  }

  overlapsPending(hostId: number, range: DpaRange): boolean {
    return this.state(hostId).pending.overlaps(range.dpa, range.len);
  }

  overlapsAccepted(hostId: number, range: DpaRange): boolean {
    return this.state(hostId).accepted.overlaps(range.dpa, range.len);
  }

  /** Every byte of `range` is in this host's accepted extents (QEMU `ct3_test_region_block_backed`). */
  isFullyBacked(hostId: number, range: DpaRange): boolean {
    return range.len > 0 && this.state(hostId).accepted.covers(range.dpa, range.len);
  }

  /** Another host, or an FM-only tag reference, holds part of `range`. */
  overlapsOtherHosts(hostId: number, range: DpaRange): boolean {
    this.state(hostId);
    return this.core.overlapsOthers(hostId, range.dpa, range.len);
  }

  /** QEMU `cxl_detect_malformed_extent_list` on absolute ranges. */
  detectMalformedExtentList(ranges: readonly DpaRange[]): MboxRc {
    return detectMalformedExtentList(this.core, ranges).rc;
  }

  /** A host's accepted extents in DPA order (O(n)). */
  acceptedExtents(hostId: number): readonly DcExtent[] {
    return this.state(hostId).accepted.values();
  }

  /** A host's pending add groups, oldest first. */
  pendingGroups(hostId: number): readonly PendingGroupView[] {
    return this.state(hostId).pendingGroups.map(groupView);
  }

  /** A host's extent list generation number. */
  generation(hostId: number): number {
    return this.state(hostId).generation;
  }

  /** The host has capacity of `tag` accepted or pending. */
  hostHasTag(hostId: number, tag: string): boolean {
    return this.state(hostId).hasTag(tag.toLowerCase());
  }

  /** Extents tracked device-wide (pending + accepted of every host, FM-held tags). */
  get totalExtentCount(): number {
    return this.core.totalExtentCount;
  }

  get extentsAvailable(): number {
    return this.core.extentsAvailable;
  }

  get tagsAvailable(): number {
    return this.core.tagsAvailable;
  }

  /**
   * Fixtures: make `extents` accepted by `hostId` without an add event (cxl_test's pre-injected
   * extents, capacity present before the host starts). Throws EINVAL naming the bad extent.
   */
  seedAccepted(hostId: number, extents: readonly DcExtent[]): void {
    const h = this.state(hostId);
    const bad = detectMalformedExtentList(this.core, extents);
    if (bad.rc !== 0) throw errno("EINVAL", `${this.name}: seed: ${bad.reason}`);
    for (const e of extents) {
      if (!isUuid(e.tag) || !Number.isInteger(e.sharedSeq) || e.sharedSeq < 0 || e.sharedSeq > 0xffff) throw errno("EINVAL", `${this.name}: seed: extent 0x${e.dpa.toString(16)} has a bad tag or sequence`);
      if (h.accepted.overlaps(e.dpa, e.len) || h.pending.overlaps(e.dpa, e.len) || this.core.overlapsOthers(hostId, e.dpa, e.len)) {
        throw errno("EINVAL", `${this.name}: seed: extent 0x${e.dpa.toString(16)} overlaps allocated capacity`);
      }
    }
    if (extents.length + this.core.totalExtentCount > this.core.cfg.extentBudget) throw errno("ENOSPC", `${this.name}: seed: ${extents.length} extents exceed the extent budget`);
    const accepted: DcExtent[] = [];
    for (const e of extents) {
      const x: DcExtent = { dpa: e.dpa, len: e.len, tag: e.tag.toLowerCase(), sharedSeq: e.sharedSeq };
      if (x.tag !== NULL_UUID) {
        const p = this.core.findPartition(x.dpa, x.len);
        this.core.tags.ensure(x.tag, p?.index ?? -1, p?.sharable ?? false).record.extents.push(x);
      }
      h.addAccepted(x);
      accepted.push(x);
    }
    if (accepted.length > 0) this.core.bumpGeneration(h);
    this.core.emit({ type: "extents-accepted", device: this.name, hostId, groupId: 0, extents: accepted });
  }

  /** The whole state as plain data. */
  snapshot(): DeviceSnapshot {
    return snapshotDevice(this.core);
  }

  /** Complete every Observable; the device must not be used afterwards. Idempotent. */
  dispose(): void {
    this.core.dispose();
  }

  private state(hostId: number): HostState {
    const h = this.core.host(hostId);
    if (h === undefined) throw errno("EINVAL", `${this.name}: host id ${hostId} does not exist (${this.core.hosts.length} hosts)`);
    return h;
  }
}
