/**
 * Add Dynamic Capacity Response (4802h), QEMU's `cmd_dcd_add_dyn_cap_rsp` order:
 *  1. 0 entries: the oldest pending group is dropped (declined), SUCCESS;
 *  2. extent budget → RESOURCES_EXHAUSTED;
 *  3. malformed list → INVALID_PA / INVALID_EXTENT_LIST;
 *  4. dry run, per entry: contained in one extent of the **first** pending group and not
 *     overlapping an accepted extent → else INVALID_PA (also: no group pending, or the group is
 *     Dead after a forced release, R15/R17);
 *  5. spec (R15): shared capacity is accepted whole and all-or-none per tag → else INVALID_EXTENT_LIST;
 *  6. commit: entries become accepted extents **with their tag and sequence** (QEMU zeroes
 *     them); the group is discarded unless the payload has More=1 (the response continues).
 * Payload-length checks are the binary layer's (see `binary-mailbox.ts`).
 */
import { NULL_UUID } from "@dcd/core";
import { DC_EVENT_TYPE } from "@dcd/core";
import type { DeviceCore } from "../device/device-core.js";
import { ExtentBuffer, type ExtentSource } from "../device/extent-buffer.js";
import type { HostState, PendingGroup } from "../device/host-state.js";
import { isSharedExtent } from "../device/release-plan.js";
import type { DcExtent } from "../device/types.js";
import { RangeList } from "../interval/range-list.js";
import { MBOX_RC, OK_VOID, type DcdResult } from "@dcd/core";
import type { UpdatedExtentList } from "@dcd/core";
import { detectMalformedExtentList } from "./malformed-extent-list.js";

/**
 * The null tag, read once: code here compares against it per extent, and under vitest's module
 * runner (tests, benchmarks) every read of an imported binding is a getter call (~40 ns).
 */
const NULL_TAG: string = NULL_UUID;

const CMD = "add-dc-response(4802h)";
const hex = (n: number): string => `0x${n.toString(16)}`;

export function addCapacityResponse(core: DeviceCore, h: HostState, req: UpdatedExtentList): DcdResult<undefined> {
  return addCapacityResponseRanges(core, h, req.more, RangeList.from(req.extents));
}

/** 4802h on a decoded range list (the binary mailbox calls this directly). */
export function addCapacityResponseRanges(core: DeviceCore, h: HostState, more: boolean, entries: RangeList): DcdResult<undefined> {
  const group = h.firstGroup;
  if (entries.length === 0) {
    if (group !== undefined) closeGroup(core, h, group, new ExtentBuffer());
    return OK_VOID;
  }
  const closing = !more || core.cfg.quirks.ignoreResponseMore;
  const total = core.totalExtentCount;
  const projected = core.cfg.quirks.addResponseBudgetCountsPending || !closing || group === undefined ? total + entries.length : total + entries.length - group.extents.length;
  if (projected > core.cfg.extentBudget) {
    return core.reject(h.hostId, CMD, MBOX_RC.RESOURCES_EXHAUSTED, `${entries.length} entries would exceed the ${core.cfg.extentBudget} extents the device can track`);
  }
  const malformed = detectMalformedExtentList(core, entries);
  if (malformed.rc !== MBOX_RC.SUCCESS) return core.reject(h.hostId, CMD, malformed.rc, malformed.reason);

  // Dry run: find each entry's pending parent (always in `group`); nothing changes until all pass.
  const parents = new Array<DcExtent | null>(entries.length);
  const quirks = core.cfg.quirks;
  for (let i = 0; i < entries.length; i++) {
    const dpa = entries.dpa(i);
    const len = entries.len(i);
    if (quirks.acceptDuplicateIsNoop && h.accepted.lengthAt(dpa) === len && len !== -1) {
      parents[i] = null;
      continue;
    }
    if (group === undefined) return core.reject(h.hostId, CMD, MBOX_RC.INVALID_PA, `extent ${i} [${hex(dpa)}, +${hex(len)}): no add is pending for host ${h.hostId}`);
    if (group.dead) return core.reject(h.hostId, CMD, MBOX_RC.INVALID_PA, `extent ${i}: pending group ${group.id} was revoked by a forced release`);
    // Hosts usually answer with the offer itself, in order: try the extent at the same position first.
    const same = group.extents[i];
    let parent: DcExtent | undefined;
    if (same !== undefined && same.dpa <= dpa && dpa + len <= same.dpa + same.len) {
      parent = same;
    } else {
      const p = h.pending.containing(dpa, len);
      if (p?.group === group) parent = p;
    }
    if (parent === undefined) {
      return core.reject(h.hostId, CMD, MBOX_RC.INVALID_PA, `extent ${i} [${hex(dpa)}, +${hex(len)}) is not contained in an extent of the oldest pending group ${group.id}`);
    }
    // Pending extents never overlap the host's accepted ones (adds refuse that), except parts of
    // this group accepted by earlier payloads of a More=1 response: only then can this overlap.
    if (group.answered && h.accepted.overlaps(dpa, len)) {
      return core.reject(h.hostId, CMD, MBOX_RC.INVALID_PA, `extent ${i} [${hex(dpa)}, +${hex(len)}) overlaps an extent already accepted`);
    }
    parents[i] = parent;
  }
  if (quirks.enforceSharedRules && group !== undefined) {
    const bad = checkSharedAllOrNone(core, group, entries, parents, closing);
    if (bad !== undefined) return core.reject(h.hostId, CMD, MBOX_RC.INVALID_EXTENT_LIST, bad);
  }

  // Commit.
  let count = 0;
  for (let i = 0; i < entries.length; i++) {
    const parent = parents[i];
    if (parent === null || parent === undefined || group === undefined) continue;
    h.addAcceptedParts(entries.dpa(i), entries.len(i), parent.tag, parent.sharedSeq);
    count++;
    if (parent.tag !== NULL_TAG) group.acceptedPerTag.set(parent.tag, (group.acceptedPerTag.get(parent.tag) ?? 0) + 1);
  }
  const accepted = new AcceptedEntries(count, entries, parents);
  if (accepted.length > 0) core.bumpGeneration(h);
  if (group !== undefined && accepted.length > 0) group.answered = true;
  if (closing && group !== undefined) {
    closeGroup(core, h, group, accepted);
  } else if (accepted.length > 0) {
    // A More=1 payload (or a cxl_test no-op): the response continues, the group stays.
    const notifyFm = core.logToFm(DC_EVENT_TYPE.ADD_CAPACITY_RESPONSE, accepted, h.hostId);
    if (core.observed) core.emit({ type: "extents-accepted", device: core.name, hostId: h.hostId, groupId: group?.id ?? 0, extents: accepted.all() });
    notifyFm();
  }
  return OK_VOID;
}

/**
 * The entries a response accepted, each with its parent's tag and sequence. Objects are built
 * only when read: a full FM log (the usual case) reads the count alone, so a 100-entry response
 * builds nothing per entry unless someone observes the device.
 */
class AcceptedEntries implements ExtentSource {
  private built: ExtentBuffer | undefined;

  constructor(
    readonly length: number,
    private readonly entries: RangeList,
    private readonly parents: readonly (DcExtent | null | undefined)[],
  ) {}

  head(n: number): DcExtent[] {
    return this.buffer().head(n);
  }

  all(): DcExtent[] {
    return this.buffer().all();
  }

  private buffer(): ExtentBuffer {
    if (this.built === undefined) {
      const b = new ExtentBuffer();
      for (let i = 0; i < this.entries.length; i++) {
        const p = this.parents[i];
        if (p !== null && p !== undefined) b.push(this.entries.dpa(i), this.entries.len(i), p.tag, p.sharedSeq);
      }
      this.built = b;
    }
    return this.built;
  }
}

/** Drop the oldest group (the response is complete); tell the FM and observers. */
function closeGroup(core: DeviceCore, h: HostState, group: PendingGroup, accepted: ExtentSource): void {
  // What of the offer was not accepted (computed only for observers: it walks the group).
  const declined = core.observed ? unaccepted(h, group) : [];
  h.shiftGroup();
  const notifyFm = core.logToFm(DC_EVENT_TYPE.ADD_CAPACITY_RESPONSE, accepted, h.hostId);
  core.sweepTags();
  if (accepted.length > 0 && core.observed) core.emit({ type: "extents-accepted", device: core.name, hostId: h.hostId, groupId: group.id, extents: accepted.all() });
  if (declined.length > 0) core.emit({ type: "extents-declined", device: core.name, hostId: h.hostId, groupId: group.id, extents: declined });
  notifyFm();
}

/** Parts of the group's extents not covered by accepted extents. */
function unaccepted(h: HostState, group: PendingGroup): DcExtent[] {
  const out: DcExtent[] = [];
  for (const p of group.extents) {
    let at = p.dpa;
    const end = p.dpa + p.len;
    for (const a of h.accepted.overlapping(p.dpa, p.len)) {
      if (a.dpa > at) out.push({ dpa: at, len: a.dpa - at, tag: p.tag, sharedSeq: p.sharedSeq });
      at = Math.max(at, a.dpa + a.len);
    }
    if (at < end) out.push({ dpa: at, len: end - at, tag: p.tag, sharedSeq: p.sharedSeq });
  }
  return out;
}

/**
 * R15: for shared capacity the host accepts each extent whole, and for each tag all of the
 * group's extents or none of them (counted over every payload of the response).
 */
function checkSharedAllOrNone(core: DeviceCore, group: PendingGroup, entries: RangeList, parents: readonly (DcExtent | null | undefined)[], closing: boolean): string | undefined {
  // Shared capacity only exists on sharable partitions.
  if (!core.partitions.some((p) => p.sharable)) return undefined;
  const perTag = new Map<string, number>();
  for (let i = 0; i < entries.length; i++) {
    const p = parents[i];
    if (p === null || p === undefined || !isSharedExtent(core, p)) continue;
    if (entries.dpa(i) !== p.dpa || entries.len(i) !== p.len) return `extent ${i} accepts part of shared extent [${hex(p.dpa)}, +${hex(p.len)}) tagged ${p.tag}`;
    perTag.set(p.tag, (perTag.get(p.tag) ?? 0) + 1);
  }
  if (!closing) return undefined;
  const offered = new Map<string, number>();
  for (const p of group.extents) if (isSharedExtent(core, p)) offered.set(p.tag, (offered.get(p.tag) ?? 0) + 1);
  for (const [tag, n] of offered) {
    const got = (perTag.get(tag) ?? 0) + (group.acceptedPerTag.get(tag) ?? 0);
    if (got !== 0 && got !== n) return `shared tag ${tag}: ${got} of its ${n} extents accepted; accept all or none`;
  }
  return undefined;
}
