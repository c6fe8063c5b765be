/**
 * What the QMP DCD commands need from a device: the queries that reproduce QEMU's validation
 * table in order, and the typed add/release operations. `DcdDevice` satisfies it as is.
 */
import type { DcPartition, DpaRange, ExtentRequest, RemovalPolicy, SelectionPolicy } from "../../device/types.js";
import type { DcdResult } from "@dcd/core";

export interface QmpDcdDevice {
  readonly name: string;
  readonly numHosts: number;
  readonly partitions: readonly DcPartition[];
  readonly selectionPolicies: ReadonlySet<SelectionPolicy>;
  readonly removalPolicies: ReadonlySet<RemovalPolicy>;
  readonly quirks: { readonly forcedRemoval: "supported" | "ignored" };
  overlapsPending(hostId: number, range: DpaRange): boolean;
  overlapsAccepted(hostId: number, range: DpaRange): boolean;
  isFullyBacked(hostId: number, range: DpaRange): boolean;
  initiateAdd(req: {
    readonly hostId: number;
    readonly selectionPolicy: SelectionPolicy;
    readonly region?: number;
    readonly length?: number;
    readonly tag?: string;
    readonly extents?: readonly ExtentRequest[];
  }): DcdResult<unknown>;
  initiateRelease(req: {
    readonly hostId: number;
    readonly removalPolicy: RemovalPolicy;
    readonly forcedRemoval?: boolean;
    readonly sanitizeOnRelease?: boolean;
    readonly tag?: string;
    readonly extents?: readonly DpaRange[];
  }): DcdResult<unknown>;
}
