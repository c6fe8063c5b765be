/**
 * Initiate Dynamic Capacity Release (5605h): both removal policies, Forced Removal and Sanitize
 * on Release. Prescriptive, non-forced, follows QEMU's `cmd_fm_initiate_dc_release`:
 *  1. bad host / unsupported policy / sanitize requested but unsupported → INVALID_INPUT;
 *     empty list → INVALID_EXTENT_LIST;
 *  2. malformed list → INVALID_PA / INVALID_EXTENT_LIST;
 *  3. unless forced: an extent overlapping a pending add → INVALID_PA;
 *  4. dry run: not fully backed → INVALID_PA; splitting beyond the budget → RESOURCES_EXHAUSTED;
 *  5. spec (R75): partial release of shared tagged capacity → INVALID_INPUT; log lacks room →
 *     RETRY_REQUIRED;
 *  6. success: Release Capacity (01h) records; nothing changes until the host answers (4803h).
 *
 * Forced (R17/R77, profile "spec"): the accepted parts are revoked at once (split as needed), a
 * pending group the ranges touch becomes Dead, Forced Capacity Release (02h) records are logged
 * even if the log overflows, and the FM view gets Capacity Released (05h).
 */
import { isUuid, NULL_UUID } from "@dcd/core";
import { DC_EVENT_TYPE } from "@dcd/core";
import { detectMalformedExtentList } from "../mailbox/malformed-extent-list.js";
import { MBOX_RC, ok, type DcdResult } from "@dcd/core";
import type { DeviceCore } from "./device-core.js";
import type { HostState, PendingGroup } from "./host-state.js";
import { RangeList } from "../interval/range-list.js";
import { applyRelease, isSharedExtent, planRelease } from "./release-plan.js";
import type { DcExtent, DpaRange, RemovalPolicy } from "./types.js";

export interface InitiateReleaseRequest {
  readonly hostId: number;
  readonly removalPolicy: RemovalPolicy;
  readonly forcedRemoval?: boolean;
  readonly sanitizeOnRelease?: boolean;
  /** Tag-based: the tag whose capacity this host releases. */
  readonly tag?: string;
  /** Prescriptive: the ranges (absolute DPA). */
  readonly extents?: readonly DpaRange[];
}

export interface ReleaseOutcome {
  /** The ranges named in the records logged, with the tag and sequence of the capacity. */
  readonly extents: readonly DcExtent[];
  readonly forced: boolean;
}

const CMD = "initiate-dc-release(5605h)";
const hex = (n: number): string => `0x${n.toString(16)}`;

export function initiateRelease(core: DeviceCore, req: InitiateReleaseRequest): DcdResult<ReleaseOutcome> {
  const h = core.host(req.hostId);
  if (h === undefined) return core.reject("fm", CMD, MBOX_RC.INVALID_INPUT, `host id ${req.hostId} does not exist`);
  if (!core.cfg.removalPolicies.has(req.removalPolicy)) return core.reject("fm", CMD, MBOX_RC.INVALID_INPUT, `removal policy ${req.removalPolicy} is not supported`);
  const sanitize = req.sanitizeOnRelease === true;
  if (sanitize && !core.cfg.quirks.sanitizeOnReleaseSupported) return core.reject("fm", CMD, MBOX_RC.INVALID_INPUT, "sanitize on release is not supported");
  const forced = req.forcedRemoval === true && core.cfg.quirks.forcedRemoval === "supported";
  // QEMU: the forced bit only skips the pending check; the release is otherwise normal.
  const skipPendingCheck = req.forcedRemoval === true;

  let ranges: readonly DcExtent[];
  if (req.removalPolicy === "tag-based") {
    const tag = (req.tag ?? NULL_UUID).toLowerCase();
    if (tag === NULL_UUID || !isUuid(tag)) return core.reject("fm", CMD, MBOX_RC.INVALID_INPUT, `tag-based release needs a tag, got '${req.tag ?? ""}'`);
    const accepted = h.acceptedWithTag(tag).sort((a, b) => a.dpa - b.dpa);
    const pending = h.pendingWithTag(tag);
    if (accepted.length === 0 && !(forced && pending.length > 0)) return core.reject("fm", CMD, MBOX_RC.INVALID_INPUT, `host ${h.hostId} has no capacity tagged ${tag}`);
    if (!skipPendingCheck && pending.length > 0) return core.reject("fm", CMD, MBOX_RC.INVALID_PA, `an add of tag ${tag} is still pending for host ${h.hostId}`);
    ranges = forced ? [...accepted, ...pending.map((p) => ({ dpa: p.dpa, len: p.len, tag: p.tag, sharedSeq: p.sharedSeq }))] : accepted;
  } else {
    const list = req.extents ?? [];
    if (list.length === 0) return core.reject("fm", CMD, MBOX_RC.INVALID_EXTENT_LIST, "prescriptive release with an empty extent list");
    const malformed = detectMalformedExtentList(core, list);
    if (malformed.rc !== MBOX_RC.SUCCESS) return core.reject("fm", CMD, malformed.rc, malformed.reason);
    if (!skipPendingCheck) {
      for (let i = 0; i < list.length; i++) {
        const r = list[i] as DpaRange;
        if (h.pending.overlaps(r.dpa, r.len)) return core.reject("fm", CMD, MBOX_RC.INVALID_PA, `extent ${i} [${hex(r.dpa)}, +${hex(r.len)}) overlaps an add still pending for host ${h.hostId}`);
      }
    }
    ranges = list.map((r) => describeRange(h, r));
  }

  if (forced) return forcedRelease(core, h, req.removalPolicy, ranges, sanitize);

  const plan = planRelease(core, h, RangeList.from(ranges), { requireBacked: true, skipUnbacked: false, sharedWhole: false });
  if (!plan.ok) return core.reject("fm", CMD, plan.rc, plan.reason);
  if (core.cfg.quirks.enforceSharedRules) {
    const partial = partialSharedRelease(core, h, ranges);
    if (partial !== undefined) return core.reject("fm", CMD, MBOX_RC.INVALID_INPUT, partial);
  }
  if (core.cfg.quirks.retryWhenLogFull && h.log.freeSlots < ranges.length) {
    return core.reject("fm", CMD, MBOX_RC.RETRY_REQUIRED, `host ${h.hostId} event log has room for ${h.log.freeSlots} of ${ranges.length} records`);
  }
  if (sanitize) for (const r of ranges) if (!h.sanitizeRequests.overlaps(r.dpa, r.len)) h.sanitizeRequests.add(r.dpa, r.len, NULL_UUID, 0);
  const notify = core.logExtents(h, DC_EVENT_TYPE.RELEASE_CAPACITY, ranges);
  core.emit({ type: "release-requested", device: core.name, hostId: h.hostId, policy: req.removalPolicy, extents: ranges, sanitize });
  notify();
  return ok({ extents: ranges, forced: false });
}

/** A requested range with the tag and sequence of the capacity it starts in (what the host matches on). */
function describeRange(h: HostState, r: DpaRange): DcExtent {
  const owner = h.accepted.at(r.dpa) ?? h.pending.at(r.dpa);
  return { dpa: r.dpa, len: r.len, tag: owner?.tag ?? NULL_UUID, sharedSeq: owner?.sharedSeq ?? 0 };
}

/** R75: shared tagged capacity is released whole: every extent of the tag this host holds, each entirely. */
function partialSharedRelease(core: DeviceCore, h: HostState, ranges: readonly DpaRange[]): string | undefined {
  const touched = new Set<string>();
  for (const r of ranges) {
    for (const p of h.accepted.overlapping(r.dpa, r.len)) {
      if (!isSharedExtent(core, p)) continue;
      if (p.dpa < r.dpa || p.dpa + p.len > r.dpa + r.len) return `range [${hex(r.dpa)}, +${hex(r.len)}) releases part of shared extent [${hex(p.dpa)}, +${hex(p.len)})`;
      touched.add(p.tag);
    }
  }
  for (const tag of touched) {
    for (const e of h.acceptedWithTag(tag)) {
      if (!ranges.some((r) => r.dpa <= e.dpa && e.dpa + e.len <= r.dpa + r.len)) return `shared tag ${tag}: extent [${hex(e.dpa)}, +${hex(e.len)}) is not released with the rest of the tag`;
    }
  }
  return undefined;
}

function forcedRelease(core: DeviceCore, h: HostState, policy: RemovalPolicy, ranges: readonly DcExtent[], sanitize: boolean): DcdResult<ReleaseOutcome> {
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i] as DcExtent;
    if (!coveredByHost(h, r)) return core.reject("fm", CMD, MBOX_RC.INVALID_PA, `extent ${i} [${hex(r.dpa)}, +${hex(r.len)}) is not allocated to host ${h.hostId}`);
  }
  const list = RangeList.from(ranges);
  const plan = planRelease(core, h, list, { requireBacked: false, skipUnbacked: false, sharedWhole: false });
  if (!plan.ok) return core.reject("fm", CMD, plan.rc, plan.reason);

  const dead: PendingGroup[] = [];
  for (const r of ranges) {
    for (const p of h.pending.overlapping(r.dpa, r.len)) {
      if (!p.group.dead) {
        p.group.dead = true;
        dead.push(p.group);
      }
    }
  }
  const revoked = applyRelease(h, list, plan);
  if (revoked.length > 0) core.bumpGeneration(h);
  const sanitized = sanitize ? revoked.all().map((r) => ({ dpa: r.dpa, len: r.len })) : core.sanitizeReleased(h, revoked);
  const notifyHost = core.logExtents(h, DC_EVENT_TYPE.FORCED_CAPACITY_RELEASE, ranges);
  const notifyFm = revoked.length > 0 ? core.logToFm(DC_EVENT_TYPE.CAPACITY_RELEASED, revoked, h.hostId) : undefined;
  core.sweepTags();
  if (core.observed) core.emit({ type: "forced-release", device: core.name, hostId: h.hostId, policy, ranges, revoked: revoked.all() });
  for (const g of dead) core.emit({ type: "group-dead", device: core.name, hostId: h.hostId, groupId: g.id });
  if (sanitized.length > 0) core.emit({ type: "capacity-sanitized", device: core.name, hostId: h.hostId, ranges: sanitized });
  notifyHost();
  notifyFm?.();
  return ok({ extents: ranges, forced: true });
}

/** Every byte of `r` is accepted by, or pending for, host `h`. O(log n + k). */
function coveredByHost(h: HostState, r: DpaRange): boolean {
  const parts: DpaRange[] = [...h.accepted.overlapping(r.dpa, r.len), ...h.pending.overlapping(r.dpa, r.len)].sort((a, b) => a.dpa - b.dpa);
  let at = r.dpa;
  const end = r.dpa + r.len;
  for (const p of parts) {
    if (p.dpa > at) return false;
    at = Math.max(at, p.dpa + p.len);
    if (at >= end) return true;
  }
  return at >= end;
}
