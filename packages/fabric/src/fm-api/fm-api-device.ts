/**
 * What the FM API needs from a device: the typed FM operations of `DcdDevice` (5600h-5608h).
 * Written as a structural interface so the binary layer depends on the operations, not on the
 * device's construction; `DcdDevice` satisfies it as is.
 */
import type { DcExtent, DcPartition, DpaRange, ExtentRequest, RemovalPolicy, SelectionPolicy } from "../device/types.js";
import type { DcdResult } from "@dcd/core";
import type { GetDcdInfoOut } from "./codecs/get-dcd-info.js";
import type { GetHostDcRegionConfigOut } from "./codecs/host-dc-region-config.js";
import type { GetDcRegionExtentListsOut } from "./codecs/dc-region-extent-lists.js";

/** A typed Initiate Dynamic Capacity Add (the device's `InitiateAddRequest`). */
export interface FmAddRequest {
  readonly hostId: number;
  readonly selectionPolicy: SelectionPolicy;
  readonly region?: number;
  readonly length?: number;
  readonly tag?: string;
  readonly extents?: readonly ExtentRequest[];
}

/** A typed Initiate Dynamic Capacity Release (the device's `InitiateReleaseRequest`). */
export interface FmReleaseRequest {
  readonly hostId: number;
  readonly removalPolicy: RemovalPolicy;
  readonly forcedRemoval?: boolean;
  readonly sanitizeOnRelease?: boolean;
  readonly tag?: string;
  readonly extents?: readonly DpaRange[];
}

/** One tag as the device lists it (the device's `TagInfo`). */
export interface FmTagInfo {
  readonly tag: string;
  readonly fmRefs: number;
  readonly hosts: readonly number[];
  readonly pendingHosts: readonly number[];
}

export interface FmApiDevice {
  readonly partitions: readonly DcPartition[];
  getDcdInfo(): GetDcdInfoOut;
  getHostDcRegionConfig(req: { readonly hostId: number; readonly regionCount: number; readonly startRegion: number }): DcdResult<GetHostDcRegionConfigOut>;
  setDcRegionConfig(req: { readonly regionId: number; readonly blockSize: number; readonly sanitizeOnRelease: boolean }): DcdResult<unknown>;
  getExtentLists(req: { readonly hostId: number; readonly extentCount: number; readonly startIndex: number }): DcdResult<GetDcRegionExtentListsOut>;
  initiateAdd(req: FmAddRequest): DcdResult<{ readonly extents: readonly DcExtent[] }>;
  initiateRelease(req: FmReleaseRequest): DcdResult<unknown>;
  addReference(tag: string): DcdResult<unknown>;
  removeReference(tag: string): DcdResult<unknown>;
  listTags(req: { readonly startIndex: number; readonly count: number }): DcdResult<{ readonly generation: number; readonly total: number; readonly tags: readonly FmTagInfo[] }>;
}
