/**
 * The host's DCD policy switches (host-rules §9.1): every place where the Linux series differ is
 * one field here, so one pipeline runs v11 (the default), v10 or v9 behaviour.
 */
import { errno } from "../../errors.js";

/** The Linux DCD series a policy follows. */
export type LinuxDcdVersion = "L9" | "L10" | "L11";

export interface HostPolicy {
  readonly version: LinuxDcdVersion;
  /** Partition mode string: v9/v10 `dynamic_ram_a`, v11 `dynamic_ram_1` (R4, R61). */
  readonly partitionModeName: "dynamic_ram_a" | "dynamic_ram_1";
  /** v9 refuses every tagged extent and every nonzero sequence number (R50). */
  readonly tagsSupported: boolean;
  /** Group alignment gate on start and length (R27): PMD_SIZE in v11, 2 MiB in v10, 0 = none (v9). */
  readonly alignBytes: number;
  /** First sharable sequence number: v11 0..n-1, v10 1..n with 0 meaning "non-sharable" (R25, R30). */
  readonly seqBase: 0 | 1;
  /** Where a live tag must be unique (R24): v11 host-wide, v10 the target region, v9 nowhere. */
  readonly tagUniqueness: "none" | "region" | "host";
  /** More-chain watchdog (R20); null = none (v9). */
  readonly chainTimeoutMs: number | null;
  /** Runtime chain cap (R21, `CXL_DC_MAX_PENDING_EXTENTS`); null = none. */
  readonly maxPendingExtents: number | null;
  /**
   * What the cap does. `drop-staged` is the v11 code: warn, drop the staged extents, return
   * -ENOSPC, send nothing (the armed watchdog answers later if the chain never closes, and a tail
   * that does close is answered as its own chain). `empty-response` is host-rules' [MODEL]
   * reading of R21: also send an empty Add DC Response at once.
   */
  readonly capAction: "drop-staged" | "empty-response";
  /** v9/v10 list duplicates in the Add DC Response and count them as accepted (R33, Q4). */
  readonly echoDuplicatesInResponse: boolean;
  /** Non-sharable seq_num: advance the arrival index for failed members too (v10 code, Q3). */
  readonly advanceSeqOnFailure: boolean;
  /** `chain`: all untagged extents of one chain are one group (R23); `per-extent`: v9's 1:1 region extents. */
  readonly untaggedGrouping: "chain" | "per-extent";
  /** Release matching: v10/v11 containment + tag on the same decoder (R41); v9 every overlapping extent (R48). */
  readonly releaseMatch: "contain-tag" | "overlap";
  /**
   * How release records are handled: every preset handles each record on its own and ignores More
   * (R22, `whole-group-per-record`). `chain-fully-named` is the [L-dev] snapshot of R47: records
   * are staged until More=0, and the chain releases a group only when it names every member
   * (needs `releaseMatch: "contain-tag"`).
   */
  readonly releaseMode: "whole-group-per-record" | "chain-fully-named";
  /** A release matching nothing: v11 doc -EINVAL and no acknowledgement; [L-dev] acknowledge and return 0 (Q1). */
  readonly releaseNoMatch: "einval-no-ack" | "ack-return-0";
  /** First `extentZ.K` id: v11 1 (ALLOC1), v9/v10 0. */
  readonly extentIdBase: 0 | 1;
  /** Runtime adds are refused with EBUSY until the region's probe-time scan finished (R28.4). */
  readonly requireScanBeforeAdd: boolean;
  /** When existing extents are read (R37, R39): v11 in the `cxl_dax_region` probe, v9/v10 when `dax_regionZ` is created. */
  readonly scanAt: "probe" | "region-create";
  /** `extentZ.K/uuid` of an untagged extent: hidden in v11, the null UUID in v9/v10. */
  readonly extentUuidUntagged: "hidden" | "null-uuid";
  /** Probe-time scan attempts (R37): 1 + `CXL_READ_EXTENT_LIST_RETRY` (10). */
  readonly scanAttempts: number;
}

/** 2 MiB: PMD_SIZE on x86-64 with 4 KiB pages. */
export const PMD_SIZE = 2 * 1024 * 1024;
/** `CXL_DC_ADD_TIMEOUT`: 20 s. */
export const CXL_DC_ADD_TIMEOUT_MS = 20_000;
/** `CXL_DC_MAX_PENDING_EXTENTS`. */
export const CXL_DC_MAX_PENDING_EXTENTS = 100;
/** `CXL_READ_EXTENT_LIST_RETRY`. */
export const CXL_READ_EXTENT_LIST_RETRY = 10;

/** Linux DCD v11 (Anisa Su, 25 Jun 2026): the default. */
export const HOST_POLICY_V11: HostPolicy = Object.freeze({
  version: "L11",
  partitionModeName: "dynamic_ram_1",
  tagsSupported: true,
  alignBytes: PMD_SIZE,
  seqBase: 0,
  tagUniqueness: "host",
  chainTimeoutMs: CXL_DC_ADD_TIMEOUT_MS,
  maxPendingExtents: CXL_DC_MAX_PENDING_EXTENTS,
  capAction: "drop-staged",
  echoDuplicatesInResponse: false,
  advanceSeqOnFailure: false,
  untaggedGrouping: "chain",
  releaseMatch: "contain-tag",
  releaseMode: "whole-group-per-record",
  releaseNoMatch: "einval-no-ack",
  extentIdBase: 1,
  requireScanBeforeAdd: true,
  scanAt: "probe",
  extentUuidUntagged: "hidden",
  scanAttempts: 1 + CXL_READ_EXTENT_LIST_RETRY,
} satisfies HostPolicy);

/** Linux DCD v10 (23 May 2026). */
export const HOST_POLICY_V10: HostPolicy = Object.freeze({
  ...HOST_POLICY_V11,
  version: "L10",
  partitionModeName: "dynamic_ram_a",
  seqBase: 1,
  tagUniqueness: "region",
  maxPendingExtents: null,
  echoDuplicatesInResponse: true,
  advanceSeqOnFailure: true,
  extentIdBase: 0,
  requireScanBeforeAdd: false,
  scanAt: "region-create",
  extentUuidUntagged: "null-uuid",
} satisfies HostPolicy);

/** Linux DCD v9 (Ira Weiny, 13 Apr 2025): no tags, 1:1 region extents, overlap release. */
export const HOST_POLICY_V9: HostPolicy = Object.freeze({
  ...HOST_POLICY_V10,
  version: "L9",
  tagsSupported: false,
  alignBytes: 0,
  seqBase: 0,
  tagUniqueness: "none",
  chainTimeoutMs: null,
  untaggedGrouping: "per-extent",
  releaseMatch: "overlap",
  releaseNoMatch: "einval-no-ack",
} satisfies HostPolicy);

const PRESETS: Readonly<Record<LinuxDcdVersion, HostPolicy>> = { L9: HOST_POLICY_V9, L10: HOST_POLICY_V10, L11: HOST_POLICY_V11 };

/** A preset with some switches changed; EINVAL for values out of range. */
export function hostPolicy(version: LinuxDcdVersion = "L11", overrides: Partial<HostPolicy> = {}): HostPolicy {
  const p: HostPolicy = { ...PRESETS[version], ...overrides };
  if (!Number.isSafeInteger(p.alignBytes) || p.alignBytes < 0 || (p.alignBytes & (p.alignBytes - 1)) !== 0) {
    throw errno("EINVAL", `host policy: alignBytes ${p.alignBytes} is not 0 or a power of 2`);
  }
  if (p.chainTimeoutMs !== null && !(p.chainTimeoutMs > 0)) throw errno("EINVAL", `host policy: chainTimeoutMs ${p.chainTimeoutMs} is not positive`);
  if (p.maxPendingExtents !== null && (!Number.isSafeInteger(p.maxPendingExtents) || p.maxPendingExtents < 1)) {
    throw errno("EINVAL", `host policy: maxPendingExtents ${p.maxPendingExtents} is not a positive integer`);
  }
  if (p.releaseMode === "chain-fully-named" && p.releaseMatch !== "contain-tag") {
    throw errno("EINVAL", `host policy: releaseMode chain-fully-named names extents by containment and tag; releaseMatch ${p.releaseMatch} cannot go with it`);
  }
  if (!Number.isSafeInteger(p.scanAttempts) || p.scanAttempts < 1) throw errno("EINVAL", `host policy: scanAttempts ${p.scanAttempts} is not a positive integer`);
  return Object.freeze(p);
}
