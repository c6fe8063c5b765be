/**
 * Initiate Dynamic Capacity Add (5604h) with every selection policy. Prescriptive follows QEMU's
 * `cmd_fm_initiate_dc_add` order; the other policies follow the spec (R72-R74). Success creates
 * one pending group (one Add event) and logs one Add Capacity record per extent, More set on all
 * but the last.
 *
 * Prescriptive order:
 *  1. bad host id / unsupported policy → INVALID_INPUT; empty list → INVALID_EXTENT_LIST;
 *  2. extents + tracked > budget → RESOURCES_EXHAUSTED;
 *  3. (malformed-list result computed here but returned after 4);
 *  4. per extent: overlaps this host's pending → INVALID_EXTENT_LIST; its accepted →
 *     INVALID_EXTENT_LIST; another host's capacity (a non-sharable DPA is never given to two
 *     hosts; sharing goes through enable-shared-access) → INVALID_EXTENT_LIST;
 *  5. the malformed-list result;
 *  6. a tag that is not a UUID → INVALID_INPUT; new tags beyond the tag budget → RESOURCES_EXHAUSTED;
 *  7. spec: the host's log lacks room → RETRY_REQUIRED.
 */
import { isUuid, NULL_UUID } from "@dcd/core";
import { DC_EVENT_TYPE } from "@dcd/core";
import { detectMalformedExtentList } from "../mailbox/malformed-extent-list.js";
import { MBOX_RC, ok, type DcdResult } from "@dcd/core";
import { allocate } from "./allocator.js";
import type { DeviceCore } from "./device-core.js";
import { type HostState, PendingGroup } from "./host-state.js";
import type { DcExtent, ExtentRequest, SelectionPolicy } from "./types.js";

/**
 * The null tag, read once: code here compares against it per extent, and under vitest's module
 * runner (tests, benchmarks) every read of an imported binding is a getter call (~40 ns).
 */
const NULL_TAG: string = NULL_UUID;

export interface InitiateAddRequest {
  readonly hostId: number;
  readonly selectionPolicy: SelectionPolicy;
  /** Free / contiguous: the region to allocate from. */
  readonly region?: number;
  /** Free / contiguous: bytes to allocate. */
  readonly length?: number;
  /** Free / contiguous / enable-shared-access: the allocation's tag. */
  readonly tag?: string;
  /** Prescriptive: the exact extents (absolute DPA). */
  readonly extents?: readonly ExtentRequest[];
  /** Injection extension (cxl_test): the last record carries More=1 and the group stays open. */
  readonly more?: boolean;
}

export interface AddOutcome {
  readonly groupId: number;
  readonly extents: readonly DcExtent[];
}

const CMD = "initiate-dc-add(5604h)";
const hex = (n: number): string => `0x${n.toString(16)}`;

export function initiateAdd(core: DeviceCore, req: InitiateAddRequest): DcdResult<AddOutcome> {
  const h = core.host(req.hostId);
  if (h === undefined) return core.reject("fm", CMD, MBOX_RC.INVALID_INPUT, `host id ${req.hostId} does not exist`);
  if (!core.cfg.selectionPolicies.has(req.selectionPolicy)) {
    return core.reject("fm", CMD, MBOX_RC.INVALID_INPUT, `selection policy ${req.selectionPolicy} is not supported`);
  }
  switch (req.selectionPolicy) {
    case "prescriptive":
      return prescriptive(core, h, req);
    case "enable-shared-access":
      return enableSharedAccess(core, h, req);
    case "free":
    case "contiguous":
      return allocated(core, h, req, req.selectionPolicy);
  }
}

function prescriptive(core: DeviceCore, h: HostState, req: InitiateAddRequest): DcdResult<AddOutcome> {
  const list = req.extents ?? [];
  if (list.length === 0) return core.reject("fm", CMD, MBOX_RC.INVALID_EXTENT_LIST, "prescriptive add with an empty extent list");
  if (list.length + core.totalExtentCount > core.cfg.extentBudget) {
    return core.reject("fm", CMD, MBOX_RC.RESOURCES_EXHAUSTED, `${list.length} extents would exceed the ${core.cfg.extentBudget} extents the device can track`);
  }
  const malformed = detectMalformedExtentList(core, list);
  for (let i = 0; i < list.length; i++) {
    const e = list[i] as ExtentRequest;
    if (h.pending.overlaps(e.dpa, e.len)) return core.reject("fm", CMD, MBOX_RC.INVALID_EXTENT_LIST, `extent ${i} [${hex(e.dpa)}, +${hex(e.len)}) overlaps an add still pending for host ${h.hostId}`);
    if (h.accepted.overlaps(e.dpa, e.len)) return core.reject("fm", CMD, MBOX_RC.INVALID_EXTENT_LIST, `extent ${i} [${hex(e.dpa)}, +${hex(e.len)}) is already accessible to host ${h.hostId}`);
    if (core.hosts.length > 1 || core.tags.size > 0) {
      if (core.overlapsOthers(h.hostId, e.dpa, e.len)) return core.reject("fm", CMD, MBOX_RC.INVALID_EXTENT_LIST, `extent ${i} [${hex(e.dpa)}, +${hex(e.len)}) is allocated to another host`);
    }
  }
  if (malformed.rc !== MBOX_RC.SUCCESS) return core.reject("fm", CMD, malformed.rc, malformed.reason);
  const extents = new Array<DcExtent>(list.length);
  for (let i = 0; i < list.length; i++) {
    const e = list[i] as ExtentRequest;
    const tag = e.tag === undefined ? NULL_TAG : e.tag.toLowerCase();
    if (e.tag !== undefined && !isUuid(tag)) return core.reject("fm", CMD, MBOX_RC.INVALID_INPUT, `extent ${i} tag '${e.tag}' is not a UUID`);
    const seq = e.sharedSeq ?? 0;
    if (!Number.isInteger(seq) || seq < 0 || seq > 0xffff) return core.reject("fm", CMD, MBOX_RC.INVALID_INPUT, `extent ${i} shared sequence ${seq} does not fit in 16 bits`);
    // `| 0`: the caller's integer may be a double, which would box the field in every extent.
    extents[i] = { dpa: e.dpa, len: e.len, tag, sharedSeq: seq | 0 };
  }
  return commitOffer(core, h, extents, "prescriptive", req.more === true);
}

function allocated(core: DeviceCore, h: HostState, req: InitiateAddRequest, policy: "free" | "contiguous"): DcdResult<AddOutcome> {
  const region = req.region ?? -1;
  const p = core.partitions[region];
  if (p === undefined) return core.reject("fm", CMD, MBOX_RC.INVALID_INPUT, `region ${req.region ?? "(none)"} does not exist`);
  const length = req.length ?? 0;
  if (!Number.isSafeInteger(length) || length <= 0 || length % p.blockSize !== 0) {
    return core.reject("fm", CMD, MBOX_RC.INVALID_INPUT, `length ${length} is not a non-zero multiple of region ${region} block size ${hex(p.blockSize)}`);
  }
  const tag = req.tag === undefined ? NULL_UUID : req.tag.toLowerCase();
  if (!isUuid(tag)) return core.reject("fm", CMD, MBOX_RC.INVALID_INPUT, `tag '${req.tag ?? ""}' is not a UUID`);
  if (length > p.decodeLength) return core.reject("fm", CMD, MBOX_RC.RESOURCES_EXHAUSTED, `length ${hex(length)} exceeds region ${region} decode length ${hex(p.decodeLength)}`);
  const ranges = allocate(core, p, length, policy);
  if (ranges === undefined) {
    return core.reject("fm", CMD, MBOX_RC.RESOURCES_EXHAUSTED, `region ${region} has no ${policy === "contiguous" ? "contiguous " : ""}free range of ${hex(length)} bytes`);
  }
  if (ranges.length + core.totalExtentCount > core.cfg.extentBudget) {
    return core.reject("fm", CMD, MBOX_RC.RESOURCES_EXHAUSTED, `${ranges.length} extents would exceed the ${core.cfg.extentBudget} extents the device can track`);
  }
  const shared = p.sharable && tag !== NULL_UUID;
  const extents = ranges.map((r, i) => ({ dpa: r.dpa, len: r.len, tag, sharedSeq: shared ? core.cfg.sharedSeqBase + i : 0 }));
  return commitOffer(core, h, extents, policy, req.more === true);
}

/** R72: offer a sharable tag's capacity to another host, with the tag's sequence numbers. */
function enableSharedAccess(core: DeviceCore, h: HostState, req: InitiateAddRequest): DcdResult<AddOutcome> {
  const tag = (req.tag ?? NULL_UUID).toLowerCase();
  if (tag === NULL_UUID || !isUuid(tag)) return core.reject("fm", CMD, MBOX_RC.INVALID_INPUT, `enable-shared-access needs a tag, got '${req.tag ?? ""}'`);
  const record = core.tags.get(tag);
  if (record === undefined || record.extents.length === 0) return core.reject("fm", CMD, MBOX_RC.INVALID_INPUT, `tag ${tag} names no allocated capacity`);
  if (!record.sharable) return core.reject("fm", CMD, MBOX_RC.INVALID_INPUT, `tag ${tag} is mapped through a non-sharable region`);
  if (h.hasTag(tag)) return core.reject("fm", CMD, MBOX_RC.INVALID_INPUT, `host ${h.hostId} already has tag ${tag}`);
  const extents = record.extents.map((e) => ({ ...e }));
  if (extents.length + core.totalExtentCount > core.cfg.extentBudget) {
    return core.reject("fm", CMD, MBOX_RC.RESOURCES_EXHAUSTED, `${extents.length} extents would exceed the ${core.cfg.extentBudget} extents the device can track`);
  }
  for (const e of extents) {
    if (h.pending.overlaps(e.dpa, e.len) || h.accepted.overlaps(e.dpa, e.len)) {
      return core.reject("fm", CMD, MBOX_RC.INVALID_EXTENT_LIST, `tag ${tag} extent [${hex(e.dpa)}, +${hex(e.len)}) is already accessible to host ${h.hostId}`);
    }
  }
  return commitOffer(core, h, extents, "enable-shared-access", req.more === true);
}

/** Tag budget, log room, then: one pending group (or the open one), records, notifications. */
function commitOffer(core: DeviceCore, h: HostState, extents: readonly DcExtent[], policy: SelectionPolicy, more: boolean): DcdResult<AddOutcome> {
  let newTags = 0;
  const seen = new Set<string>();
  for (let i = 0; i < extents.length; i++) {
    const e = extents[i] as DcExtent;
    if (e.tag !== NULL_TAG && !seen.has(e.tag)) {
      seen.add(e.tag);
      if (core.tags.get(e.tag) === undefined) newTags++;
    }
  }
  if (newTags > 0 && core.cfg.tagBudget !== "untracked" && core.tags.size + newTags > core.cfg.tagBudget) {
    return core.reject("fm", CMD, MBOX_RC.RESOURCES_EXHAUSTED, `${newTags} new tags would exceed the ${core.cfg.tagBudget} tags the device can track`);
  }
  if (core.cfg.quirks.retryWhenLogFull && h.log.freeSlots < extents.length) {
    return core.reject("fm", CMD, MBOX_RC.RETRY_REQUIRED, `host ${h.hostId} event log has room for ${h.log.freeSlots} of ${extents.length} records`);
  }

  const created: string[] = [];
  for (const tag of seen) {
    const first = extents.find((e) => e.tag === tag) as DcExtent;
    const p = core.findPartition(first.dpa, first.len);
    const { record, created: isNew } = core.tags.ensure(tag, p?.index ?? -1, p?.sharable ?? false);
    if (isNew) created.push(tag);
    if (record.partition < 0 && p !== undefined) {
      record.partition = p.index;
      record.sharable = p.sharable;
    }
    // The tag's allocation grows by what this offer adds (enable-shared-access re-offers it as is).
    if (policy !== "enable-shared-access") for (const e of extents) if (e.tag === tag) record.extents.push(e);
  }
  const last = h.lastGroup;
  const group = last?.open === true ? last : new PendingGroup(core.nextGroupId++);
  if (group !== last) h.pushGroup(group);
  group.open = more;
  // The group keeps the offered objects themselves (the outcome, events and records share them:
  // extents are immutable data), the index keeps their numbers.
  h.addPending(extents, group);
  const notify = core.logExtents(h, DC_EVENT_TYPE.ADD_CAPACITY, extents, more);
  for (const tag of created) core.emit({ type: "tag-created", device: core.name, tag });
  core.emit({ type: "extents-offered", device: core.name, hostId: h.hostId, groupId: group.id, policy, extents, more });
  notify();
  return ok({ groupId: group.id, extents });
}
