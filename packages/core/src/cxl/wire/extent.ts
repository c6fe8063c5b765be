/**
 * The DC extent as the spec lays it out (CXL r3.1 Table 8-230), shared by the host kernel model
 * and the device model: both sides of the mailbox agree on these shapes, nothing more.
 * DPAs are absolute byte addresses held as JavaScript numbers (safe integers).
 */

/** `[dpa, dpa + len)` in bytes, absolute device physical addresses. */
export interface DpaRange {
  readonly dpa: number;
  readonly len: number;
}

/** A DC extent. `tag` is a canonical UUID; `NULL_UUID` means untagged. */
export interface DcExtent extends DpaRange {
  readonly tag: string;
  readonly sharedSeq: number;
}

/** 256 MiB: the unit of decode lengths and of total dynamic capacity (CXL_CAPACITY_MULTIPLIER). */
export const CXL_CAPACITY_MULTIPLIER = 256 * 1024 * 1024;
