/**
 * Every state change of a device, as one discriminated union on `type` (kebab-case). Errors are
 * events too (`command-rejected`): a stream that errors is dead, so none ever does.
 */
import type { MboxRc, MboxRcName } from "@dcd/core";
import type { DcExtent, DpaRange, RemovalPolicy, SelectionPolicy } from "./types.js";

/** Which event log or mailbox an event concerns: a host id, or the FM's view. */
export type HostOrFm = number | "fm";

interface Base {
  /** The device's name. */
  readonly device: string;
}

export type DeviceEvent =
  | (Base & { readonly type: "extents-offered"; readonly hostId: number; readonly groupId: number; readonly policy: SelectionPolicy; readonly extents: readonly DcExtent[]; readonly more: boolean })
  | (Base & { readonly type: "extents-accepted"; readonly hostId: number; readonly groupId: number; readonly extents: readonly DcExtent[] })
  /** The group closed; these parts of its offer were not accepted (declined or forgotten). */
  | (Base & { readonly type: "extents-declined"; readonly hostId: number; readonly groupId: number; readonly extents: readonly DcExtent[] })
  | (Base & { readonly type: "release-requested"; readonly hostId: number; readonly policy: RemovalPolicy; readonly extents: readonly DcExtent[]; readonly sanitize: boolean })
  /** The host released these ranges (4803h). */
  | (Base & { readonly type: "extents-released"; readonly hostId: number; readonly extents: readonly DcExtent[] })
  /** Forced removal: `revoked` are the accepted parts taken away at once. */
  | (Base & { readonly type: "forced-release"; readonly hostId: number; readonly policy: RemovalPolicy; readonly ranges: readonly DcExtent[]; readonly revoked: readonly DcExtent[] })
  | (Base & { readonly type: "group-dead"; readonly hostId: number; readonly groupId: number })
  | (Base & { readonly type: "region-config-updated"; readonly region: number; readonly blockSize: number; readonly sanitizeOnRelease: boolean })
  | (Base & { readonly type: "event-log-overflow"; readonly hostId: HostOrFm; readonly dropped: number; readonly overflowCount: number })
  | (Base & { readonly type: "event-records-cleared"; readonly hostId: HostOrFm; readonly count: number })
  | (Base & { readonly type: "capacity-sanitized"; readonly hostId: number; readonly ranges: readonly DpaRange[] })
  | (Base & { readonly type: "tag-created"; readonly tag: string })
  | (Base & { readonly type: "tag-freed"; readonly tag: string })
  | (Base & { readonly type: "tag-referenced"; readonly tag: string; readonly fmRefs: number })
  | (Base & { readonly type: "tag-unreferenced"; readonly tag: string; readonly fmRefs: number })
  | (Base & { readonly type: "command-rejected"; readonly hostId: HostOrFm; readonly command: string; readonly rc: MboxRc; readonly rcName: MboxRcName | `0x${string}`; readonly reason: string });

export type DeviceEventType = DeviceEvent["type"];

/** "The DC event log of this host has new records" (the MSI/MSI-X the host would get). */
export interface DcInterrupt {
  readonly hostId: number;
  /** Event log type 04h. */
  readonly logType: 4;
  /** Records appended by the operation that raised it. */
  readonly records: number;
}
