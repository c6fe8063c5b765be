/**
 * Release Dynamic Capacity (4803h), QEMU's `cmd_dcd_release_dyn_cap` order:
 *  1. 0 entries → INVALID_INPUT;
 *  2. malformed list → INVALID_PA / INVALID_EXTENT_LIST;
 *  3. dry run per entry: fully backed by this host's accepted extents → else INVALID_PA
 *     (spec R16: cutting part of shared capacity → INVALID_EXTENT_LIST); splitting beyond the
 *     extent budget → RESOURCES_EXHAUSTED;
 *  4. commit: ranges removed (extents split, remainders keep tag and sequence), generation +1,
 *     Capacity Released (05h) records to the FM, sanitize where requested (R78).
 * The host may release without being asked (R13); the More flag only groups payloads.
 */
import { DC_EVENT_TYPE } from "@dcd/core";
import type { DeviceCore } from "../device/device-core.js";
import type { HostState } from "../device/host-state.js";
import { applyRelease, planRelease } from "../device/release-plan.js";
import { MBOX_RC, OK_VOID, type DcdResult } from "@dcd/core";
import type { UpdatedExtentList } from "@dcd/core";
import { ExtentBuffer } from "../device/extent-buffer.js";
import { RangeList } from "../interval/range-list.js";
import { detectMalformedExtentList, rangeFault } from "./malformed-extent-list.js";

const CMD = "release-dc(4803h)";

export function releaseCapacity(core: DeviceCore, h: HostState, req: UpdatedExtentList): DcdResult<undefined> {
  return releaseCapacityRanges(core, h, RangeList.from(req.extents));
}

/**
 * 4803h of one range (Linux sends one Release DC per extent, R44), decoded without a list. A
 * range that is exactly one accepted extent, with nothing to sanitize, is released here with the
 * checks and effects of {@link releaseCapacityRanges} in its order (the malformed-list checks of
 * one entry, the dry run's budget check, the commit); anything else takes that general path.
 */
export function releaseCapacityRange(core: DeviceCore, h: HostState, dpa: number, len: number): DcdResult<undefined> {
  if (rangeFault(core, dpa, len) !== MBOX_RC.SUCCESS || !core.hostReleaseOptions.requireBacked || h.accepted.lengthAt(dpa) !== len || core.totalExtentCount > core.cfg.extentBudget + 1 || core.sanitizes(h)) {
    const one = RangeList.ofLength(1);
    one.set(0, dpa, len);
    return releaseCapacityRanges(core, h, one);
  }
  h.removeAcceptedAt(dpa);
  const a = h.accepted;
  const tag = a.removedTag;
  const sharedSeq = a.removedSeq;
  core.bumpGeneration(h);
  if (!core.observed) {
    const notifyFm = core.logOneToFm(DC_EVENT_TYPE.CAPACITY_RELEASED, dpa, len, tag, sharedSeq, h.hostId);
    core.sweepTags();
    notifyFm();
    return OK_VOID;
  }
  // Observed: the FM record and the event share one extent object, as on the general path.
  const released = new ExtentBuffer();
  released.push(dpa, len, tag, sharedSeq);
  const notifyFm = core.logToFm(DC_EVENT_TYPE.CAPACITY_RELEASED, released, h.hostId);
  core.sweepTags();
  core.emit({ type: "extents-released", device: core.name, hostId: h.hostId, extents: released.all() });
  notifyFm();
  return OK_VOID;
}

/** 4803h on a decoded range list (the binary mailbox calls this directly). */
export function releaseCapacityRanges(core: DeviceCore, h: HostState, entries: RangeList): DcdResult<undefined> {
  if (entries.length === 0) return core.reject(h.hostId, CMD, MBOX_RC.INVALID_INPUT, "Updated Extent List Size is 0");
  const malformed = detectMalformedExtentList(core, entries);
  if (malformed.rc !== MBOX_RC.SUCCESS) return core.reject(h.hostId, CMD, malformed.rc, malformed.reason);
  const plan = planRelease(core, h, entries, core.hostReleaseOptions);
  if (!plan.ok) return core.reject(h.hostId, CMD, plan.rc, plan.reason);

  const released = applyRelease(h, entries, plan);
  if (released.length === 0) return OK_VOID;
  core.bumpGeneration(h);
  const sanitized = core.sanitizeReleased(h, released);
  const notifyFm = core.logToFm(DC_EVENT_TYPE.CAPACITY_RELEASED, released, h.hostId);
  core.sweepTags();
  if (core.observed) core.emit({ type: "extents-released", device: core.name, hostId: h.hostId, extents: released.all() });
  if (sanitized.length > 0) core.emit({ type: "capacity-sanitized", device: core.name, hostId: h.hostId, ranges: sanitized });
  notifyFm();
  return OK_VOID;
}
