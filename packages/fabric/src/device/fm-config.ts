/**
 * FM-side configuration and listings: Get DCD Info (5600h), Get Host DC Region Configuration
 * (5601h), Set DC Region Configuration (5602h) and Get DC Region Extent Lists (5603h).
 */
import { NULL_UUID } from "@dcd/core";
import { DC_EVENT_TYPE } from "@dcd/core";
import { extentPage } from "../mailbox/queries.js";
import { MBOX_RC, ok, OK_VOID, type DcdResult } from "@dcd/core";
import type { DeviceCore, MutablePartition } from "./device-core.js";
import { CXL_CAPACITY_MULTIPLIER, DCD_MAX_NUM_REGION, DSMAS_FLAG, type DcExtent, REMOVAL_POLICY_CODE, SELECTION_POLICY_CODE } from "./types.js";

export interface DcdInfo {
  readonly numHosts: number;
  readonly numRegions: number;
  /** Bit n = selection policy n supported (bit 3, enable shared access, is never advertised here). */
  readonly selectionPolicyMask: number;
  /** Bit n = removal policy n supported. */
  readonly removalPolicyMask: number;
  /** Bit n = region n's Sanitize on Release can be configured. */
  readonly sanitizeOnReleaseConfigMask: number;
  /** Bytes (the wire carries 256 MiB units). */
  readonly totalDynamicCapacity: number;
  /** Eight masks, bit n = 2^n bytes supported; 0 for regions that do not exist. */
  readonly regionBlockSizeMasks: readonly number[];
}

export interface HostDcRegion {
  readonly base: number;
  /** Bytes (256 MiB units on the wire). */
  readonly decodeLength: number;
  readonly length: number;
  readonly blockSize: number;
  /** CDAT DSMAS flags (`DSMAS_FLAG`). */
  readonly flags: number;
  readonly sanitizeOnRelease: boolean;
}

export interface HostDcRegionConfig {
  readonly hostId: number;
  readonly numRegions: number;
  readonly regions: readonly HostDcRegion[];
  readonly numExtentsSupported: number;
  readonly numExtentsAvailable: number;
  readonly numTagsSupported: number;
  readonly numTagsAvailable: number;
}

export interface HostExtentListPage {
  readonly hostId: number;
  readonly startIndex: number;
  readonly total: number;
  readonly generation: number;
  readonly extents: readonly DcExtent[];
}

/** 5603h output header before the extent records. */
const FM_EXTENT_LIST_HEADER = 0x18;

export function getDcdInfo(core: DeviceCore): DcdInfo {
  let sel = 0;
  for (const p of core.cfg.selectionPolicies) if (p !== "enable-shared-access") sel |= 1 << SELECTION_POLICY_CODE[p];
  let rem = 0;
  for (const p of core.cfg.removalPolicies) rem |= 1 << REMOVAL_POLICY_CODE[p];
  const masks = new Array<number>(DCD_MAX_NUM_REGION).fill(0);
  core.partitions.forEach((p, i) => (masks[i] = p.supportedBlockSizes));
  return {
    numHosts: core.hosts.length,
    numRegions: core.partitions.length,
    selectionPolicyMask: sel,
    removalPolicyMask: rem,
    sanitizeOnReleaseConfigMask: core.cfg.quirks.sanitizeOnReleaseSupported ? (1 << core.partitions.length) - 1 : 0,
    totalDynamicCapacity: Math.floor(core.partitions.reduce((s, p) => s + p.length, 0) / CXL_CAPACITY_MULTIPLIER) * CXL_CAPACITY_MULTIPLIER,
    regionBlockSizeMasks: masks,
  };
}

export function dsmasFlags(p: MutablePartition): number {
  return (p.nonVolatile ? DSMAS_FLAG.NON_VOLATILE : 0) | (p.sharable ? DSMAS_FLAG.SHARABLE : 0) | (p.hwManagedCoherency ? DSMAS_FLAG.HW_MANAGED_COHERENCY : 0) | (p.icSpecificDcManagement ? DSMAS_FLAG.IC_SPECIFIC_DC_MANAGEMENT : 0) | (p.readOnly ? DSMAS_FLAG.READ_ONLY : 0);
}

export function getHostDcRegionConfig(core: DeviceCore, req: { readonly hostId: number; readonly regionCount: number; readonly startRegion: number }): DcdResult<HostDcRegionConfig> {
  const cmd = "get-host-dc-region-config(5601h)";
  if (core.host(req.hostId) === undefined) return core.reject("fm", cmd, MBOX_RC.INVALID_INPUT, `host id ${req.hostId} does not exist`);
  const num = core.partitions.length;
  if (req.startRegion >= num) return core.reject("fm", cmd, MBOX_RC.INVALID_INPUT, `starting region ${req.startRegion} >= ${num} regions`);
  const n = Math.min(num - req.startRegion, req.regionCount);
  return ok({
    hostId: req.hostId,
    numRegions: num,
    regions: core.partitions.slice(req.startRegion, req.startRegion + n).map((p) => ({
      base: p.base,
      decodeLength: p.decodeLength,
      length: p.length,
      blockSize: p.blockSize,
      flags: dsmasFlags(p),
      sanitizeOnRelease: p.sanitizeOnRelease,
    })),
    numExtentsSupported: core.cfg.extentBudget,
    numExtentsAvailable: core.extentsAvailable,
    numTagsSupported: core.tagsSupported,
    numTagsAvailable: core.tagsAvailable,
  });
}

/**
 * 5602h, QEMU's order: Sanitize on Release differs and cannot be reconfigured → UNSUPPORTED;
 * region id >= 8 → UNSUPPORTED; capacity allocated in the region → UNSUPPORTED; block size not a
 * power of two or not supported → INVALID_INPUT (a region id past the configured ones has no
 * supported sizes); same settings → SUCCESS without an event; otherwise the region changes and
 * every host gets a Region Configuration Updated (03h) record.
 */
export function setDcRegionConfig(core: DeviceCore, req: { readonly regionId: number; readonly blockSize: number; readonly sanitizeOnRelease: boolean }): DcdResult<undefined> {
  const cmd = "set-dc-region-config(5602h)";
  const p = core.partitions[req.regionId];
  const current = p?.sanitizeOnRelease ?? false;
  if (req.sanitizeOnRelease !== current && (p === undefined || !core.cfg.quirks.sanitizeOnReleaseSupported)) {
    return core.reject("fm", cmd, MBOX_RC.UNSUPPORTED, `region ${req.regionId} Sanitize on Release cannot be changed`);
  }
  if (!Number.isInteger(req.regionId) || req.regionId < 0 || req.regionId >= DCD_MAX_NUM_REGION) return core.reject("fm", cmd, MBOX_RC.UNSUPPORTED, `region id ${req.regionId} >= ${DCD_MAX_NUM_REGION}`);
  if (p !== undefined) {
    const checkPending = core.cfg.quirks.regionConfigChecksPending;
    for (const h of core.hosts) {
      if (h.accepted.overlaps(p.base, p.length) || (checkPending && h.pending.overlaps(p.base, p.length))) {
        return core.reject("fm", cmd, MBOX_RC.UNSUPPORTED, `region ${req.regionId} has capacity allocated to host ${h.hostId}`);
      }
    }
  }
  const bs = req.blockSize;
  const pow2 = Number.isSafeInteger(bs) && bs > 0 && 2 ** Math.round(Math.log2(bs)) === bs;
  const supported = p !== undefined && pow2 && p.supportedBlockSizes % (bs * 2) >= bs;
  if (p === undefined || !supported) return core.reject("fm", cmd, MBOX_RC.INVALID_INPUT, `block size ${bs} is not a supported power of two for region ${req.regionId}`);
  if (bs === p.blockSize && req.sanitizeOnRelease === p.sanitizeOnRelease) return OK_VOID;
  p.blockSize = bs;
  p.sanitizeOnRelease = req.sanitizeOnRelease;
  const zero: DcExtent = { dpa: 0, len: 0, tag: NULL_UUID, sharedSeq: 0 };
  const notify = core.hosts.map((h) => core.logTo(h, [core.body(DC_EVENT_TYPE.REGION_CONFIGURATION_UPDATED, zero, false, 0, p.index)]));
  core.emit({ type: "region-config-updated", device: core.name, region: p.index, blockSize: bs, sanitizeOnRelease: p.sanitizeOnRelease });
  for (const n of notify) n();
  return OK_VOID;
}

/** 5603h: bad host id or start index > accepted count → INVALID_INPUT; only accepted extents. */
export function getExtentLists(core: DeviceCore, req: { readonly hostId: number; readonly extentCount: number; readonly startIndex: number }): DcdResult<HostExtentListPage> {
  const cmd = "get-dc-region-extent-lists(5603h)";
  const h = core.host(req.hostId);
  if (h === undefined) return core.reject("fm", cmd, MBOX_RC.INVALID_INPUT, `host id ${req.hostId} does not exist`);
  if (req.startIndex > h.accepted.size) return core.reject("fm", cmd, MBOX_RC.INVALID_INPUT, `starting extent index ${req.startIndex} > ${h.accepted.size} extents`);
  return ok({
    hostId: h.hostId,
    startIndex: req.startIndex,
    total: h.accepted.size,
    generation: h.generation,
    extents: extentPage(core, h, req.extentCount, req.startIndex, FM_EXTENT_LIST_HEADER),
  });
}
