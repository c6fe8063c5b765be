/**
 * Read-only host commands: Get DC Configuration (4800h), Get DC Extent List (4801h) and
 * Get/Clear Event Records (0100h/0101h) on the Dynamic Capacity log.
 */
import type { DeviceCore } from "../device/device-core.js";
import type { HostState } from "../device/host-state.js";
import type { DcExtent } from "../device/types.js";
import type { DcConfig, GetDcConfigIn } from "@dcd/core";
import { EVENT_RECORD_LENGTH } from "@dcd/core";
import { EVENT_LOG } from "@dcd/core";
import type { ClearEventRecordsIn, EventRecordsPage, GetEventRecordsIn } from "@dcd/core";
import { encodeGetEventRecordsOut, GET_EVENT_RECORDS_HEADER } from "@dcd/core";
import { EXTENT_LIST_OUT_HEADER, type ExtentListPage, type GetExtentListIn } from "@dcd/core";
import { DC_EXTENT_SIZE } from "@dcd/core";
import { MBOX_RC, ok, OK_VOID, type DcdFail, type DcdResult } from "@dcd/core";

/** Extent records that fit in one output payload after a header of `header` bytes. */
export function extentsPerPayload(core: DeviceCore, header: number): number {
  return Math.floor((core.cfg.payloadSize - header) / DC_EXTENT_SIZE);
}

/** 4800h: `start_rid` >= number of regions → INVALID_INPUT; returns min(num - start, count) regions. */
export function getDcConfig(core: DeviceCore, h: HostState, req: GetDcConfigIn): DcdResult<DcConfig> {
  const num = core.partitions.length;
  if (req.startRegion >= num) return core.reject(h.hostId, "get-dc-config(4800h)", MBOX_RC.INVALID_INPUT, `starting region ${req.startRegion} >= ${num} regions`);
  const n = Math.min(num - req.startRegion, req.regionCount);
  const regions = core.partitions.slice(req.startRegion, req.startRegion + n).map((p) => ({
    base: p.base,
    decodeLength: p.decodeLength,
    length: p.length,
    blockSize: p.blockSize,
    dsmadHandle: p.dsmadHandle,
    flags: p.sanitizeOnRelease ? 1 : 0,
  }));
  return ok({
    numRegions: num,
    regions,
    numExtentsSupported: core.cfg.extentBudget,
    numExtentsAvailable: core.extentsAvailable,
    numTagsSupported: core.tagsSupported,
    numTagsAvailable: core.tagsAvailable,
  });
}

/** A page of a host's accepted extents in DPA order, bounded by the payload size. */
export function extentPage(core: DeviceCore, h: HostState, count: number, start: number, header: number): DcExtent[] {
  const n = Math.max(0, Math.min(count, h.accepted.size - start, extentsPerPayload(core, header)));
  const out: DcExtent[] = [];
  if (n === 0) return out;
  h.accepted.forEachFrom(start, (e) => {
    out.push(e);
    return out.length < n;
  });
  return out;
}

/** 4801h: start index > accepted count → INVALID_INPUT; pending extents are not listed. */
export function getExtentList(core: DeviceCore, h: HostState, req: GetExtentListIn): DcdResult<ExtentListPage> {
  if (req.startIndex > h.accepted.size) {
    return core.reject(h.hostId, "get-dc-extent-list(4801h)", MBOX_RC.INVALID_INPUT, `starting extent index ${req.startIndex} > ${h.accepted.size} extents`);
  }
  return ok({ total: h.accepted.size, generation: h.generation, extents: extentPage(core, h, req.extentCount, req.startIndex, EXTENT_LIST_OUT_HEADER) });
}

const EMPTY_PAGE: EventRecordsPage = { overflow: false, moreRecords: false, overflowErrorCount: 0, firstOverflowTimestamp: 0, lastOverflowTimestamp: 0, records: [] };
/** CXL_EVENT_TYPE_MAX: log types 0..4 exist. */
const LOG_TYPES = 5;

/**
 * The checks both 0100h paths share: a log type that does not exist is rejected (the failure
 * returned), another log than Dynamic Capacity reads empty (`undefined`); else the number of
 * records one output payload can carry.
 */
function eventRecordsFit(core: DeviceCore, h: HostState, logType: number): DcdFail | number | undefined {
  if (logType >= LOG_TYPES) return core.reject(h.hostId, "get-event-records(0100h)", MBOX_RC.INVALID_INPUT, `event log type ${logType} does not exist`);
  if (logType !== EVENT_LOG.DYNAMIC_CAPACITY) return undefined;
  return Math.min(0xffff, Math.floor((core.cfg.payloadSize - GET_EVENT_RECORDS_HEADER) / EVENT_RECORD_LENGTH));
}

/** 0100h: only the Dynamic Capacity log (04h) holds records in this model; others read empty. */
export function getEventRecords(core: DeviceCore, h: HostState, req: GetEventRecordsIn & { readonly maxRecords?: number }): DcdResult<EventRecordsPage> {
  const fit = eventRecordsFit(core, h, req.logType);
  if (typeof fit !== "number") return fit ?? ok(EMPTY_PAGE);
  return ok(h.log.getRecords(Math.min(fit, req.maxRecords ?? fit)));
}

/**
 * 0100h as its output bytes (the binary mailbox): the same checks and page as `getEventRecords`,
 * encoded by the log from what it stores, with no record objects in between.
 */
export function getEventRecordsOut(core: DeviceCore, h: HostState, req: GetEventRecordsIn): DcdResult<Uint8Array> {
  const fit = eventRecordsFit(core, h, req.logType);
  if (typeof fit !== "number") return fit ?? ok(encodeGetEventRecordsOut(EMPTY_PAGE));
  return ok(h.log.encodeRecords(fit));
}

/** 0101h: handles must be the oldest records in order (else nothing is cleared). */
export function clearEventRecords(core: DeviceCore, h: HostState, req: ClearEventRecordsIn): DcdResult<undefined> {
  const cmd = "clear-event-records(0101h)";
  if (req.logType >= LOG_TYPES) return core.reject(h.hostId, cmd, MBOX_RC.INVALID_INPUT, `event log type ${req.logType} does not exist`);
  if (req.logType !== EVENT_LOG.DYNAMIC_CAPACITY) return OK_VOID;
  let count: number;
  if (req.clearAll) {
    count = h.log.clearAll();
  } else {
    const before = h.log.length;
    if (h.log.clear(req.handles) === "handle-mismatch") {
      return core.reject(h.hostId, cmd, MBOX_RC[core.cfg.quirks.clearHandleMismatchRc], `handles [${req.handles.join(", ")}] are not the oldest records in order`);
    }
    count = before - h.log.length;
  }
  if (count > 0) core.emit({ type: "event-records-cleared", device: core.name, hostId: h.hostId, count });
  return OK_VOID;
}
