/**
 * A device's whole state as plain data: compare two snapshots with `toEqual` to prove an
 * operation changed nothing (every refused request must leave the device exactly as it was).
 */
import type { EventLogSnapshot } from "../event-log/event-log.js";
import type { DeviceCore } from "./device-core.js";
import type { HostState, PendingGroup } from "./host-state.js";
import type { TagSnapshot } from "./tag-registry.js";
import type { DcExtent, DcPartition, DpaRange } from "./types.js";

export interface PendingGroupView {
  readonly id: number;
  readonly dead: boolean;
  readonly open: boolean;
  /** Part of it was accepted by an earlier payload of a More=1 response. */
  readonly answered: boolean;
  readonly extents: readonly DcExtent[];
  readonly acceptedPerTag: readonly (readonly [string, number])[];
}

export interface HostSnapshot {
  readonly hostId: number;
  readonly generation: number;
  readonly accepted: readonly DcExtent[];
  readonly pendingGroups: readonly PendingGroupView[];
  readonly sanitizeRequests: readonly DpaRange[];
  readonly eventLog: EventLogSnapshot;
}

export interface DeviceSnapshot {
  readonly name: string;
  readonly partitions: readonly DcPartition[];
  readonly totalExtentCount: number;
  readonly extentsAvailable: number;
  readonly tagsAvailable: number;
  readonly nextGroupId: number;
  readonly hosts: readonly HostSnapshot[];
  readonly tags: readonly TagSnapshot[];
  readonly tagGeneration: number;
  readonly fmEventLog: EventLogSnapshot;
}

const plain = (e: DcExtent): DcExtent => ({ dpa: e.dpa, len: e.len, tag: e.tag, sharedSeq: e.sharedSeq });

export function groupView(g: PendingGroup): PendingGroupView {
  return {
    id: g.id,
    dead: g.dead,
    open: g.open,
    answered: g.answered,
    extents: g.extents.map(plain),
    acceptedPerTag: [...g.acceptedPerTag.entries()].sort((a, b) => a[0].localeCompare(b[0])),
  };
}

function hostSnapshot(h: HostState): HostSnapshot {
  return {
    hostId: h.hostId,
    generation: h.generation,
    accepted: h.accepted.values().map(plain),
    pendingGroups: h.pendingGroups.map(groupView),
    sanitizeRequests: h.sanitizeRequests.values().map((r) => ({ dpa: r.dpa, len: r.len })),
    eventLog: h.log.snapshot(),
  };
}

export function snapshotDevice(core: DeviceCore): DeviceSnapshot {
  return {
    name: core.name,
    partitions: core.partitions.map((p) => ({ ...p })),
    totalExtentCount: core.totalExtentCount,
    extentsAvailable: core.extentsAvailable,
    tagsAvailable: core.tagsAvailable,
    nextGroupId: core.nextGroupId,
    hosts: core.hosts.map(hostSnapshot),
    tags: core.tags.snapshot(),
    tagGeneration: core.tags.generation,
    fmEventLog: core.fmLog.snapshot(),
  };
}
