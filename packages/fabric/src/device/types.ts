/**
 * Plain data types of the device model. Names follow the spec (`dpa`, `tag`, `sharedSeq`) and
 * QEMU/QMP (`len`); every DPA is absolute (not relative to a DC region) unless a name says so.
 */
import { type DpaRange } from "@dcd/core";

export { CXL_CAPACITY_MULTIPLIER, type DcExtent, type DpaRange } from "@dcd/core";

/** An extent as the FM names it in a prescriptive add: tag and sequence default to null/0. */
export interface ExtentRequest extends DpaRange {
  readonly tag?: string;
  readonly sharedSeq?: number;
}

/** Add Capacity selection policy (5604h bits 3:0). */
export type SelectionPolicy = "free" | "contiguous" | "prescriptive" | "enable-shared-access";
/** Release Capacity removal policy (5605h flags bits 3:0). */
export type RemovalPolicy = "tag-based" | "prescriptive";

export const SELECTION_POLICY_CODE: Readonly<Record<SelectionPolicy, number>> = {
  free: 0,
  contiguous: 1,
  prescriptive: 2,
  "enable-shared-access": 3,
};
export const SELECTION_POLICY_FROM_CODE: readonly SelectionPolicy[] = ["free", "contiguous", "prescriptive", "enable-shared-access"];

export const REMOVAL_POLICY_CODE: Readonly<Record<RemovalPolicy, number>> = {
  "tag-based": 0,
  prescriptive: 1,
};
export const REMOVAL_POLICY_FROM_CODE: readonly RemovalPolicy[] = ["tag-based", "prescriptive"];

/** One DC partition as configured ("DC Region" in the spec, "DC partition" in Linux). */
export interface DcPartitionConfig {
  readonly base: number;
  /** Bytes (4800h reports it in 256 MiB units). */
  readonly decodeLength: number;
  readonly length: number;
  readonly blockSize: number;
  readonly dsmadHandle: number;
  /** Supported block sizes, bit n = 2^n bytes (5600h); defaults to `blockSize` alone. */
  readonly supportedBlockSizes?: number;
  readonly sharable?: boolean;
  readonly readOnly?: boolean;
  readonly nonVolatile?: boolean;
  readonly hwManagedCoherency?: boolean;
  readonly icSpecificDcManagement?: boolean;
  readonly sanitizeOnRelease?: boolean;
}

/** A configured DC partition with every option resolved. `blockSize` and `sanitizeOnRelease` change via 5602h. */
export interface DcPartition {
  readonly index: number;
  readonly base: number;
  readonly decodeLength: number;
  readonly length: number;
  readonly blockSize: number;
  readonly dsmadHandle: number;
  readonly supportedBlockSizes: number;
  readonly sharable: boolean;
  readonly readOnly: boolean;
  readonly nonVolatile: boolean;
  readonly hwManagedCoherency: boolean;
  readonly icSpecificDcManagement: boolean;
  readonly sanitizeOnRelease: boolean;
}

/** CDAT DSMAS flag bits as 5601h reports them. */
export const DSMAS_FLAG = {
  NON_VOLATILE: 1 << 2,
  SHARABLE: 1 << 3,
  HW_MANAGED_COHERENCY: 1 << 4,
  IC_SPECIFIC_DC_MANAGEMENT: 1 << 5,
  READ_ONLY: 1 << 6,
} as const;

/** The most DC regions a device can have. */
export const DCD_MAX_NUM_REGION = 8;
