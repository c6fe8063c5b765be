/**
 * Behaviour switches where the spec and QEMU (or the kernel's cxl_test mock) differ. A device
 * picks a profile and may override single switches. "spec" is the default for explicit
 * partition lists; `fromQemuProperties` uses "qemu"; `cxlTestMock` uses "cxl-test".
 */
import type { RemovalPolicy, SelectionPolicy } from "./types.js";

export type DcdProfile = "spec" | "qemu" | "cxl-test";

export interface DcdQuirks {
  /** QEMU never increments the extent list generation number (R80). Spec: +1 on every list change. */
  readonly frozenGeneration: boolean;
  /**
   * 4802h budget check. QEMU: entries + total > budget, counting the pending group being answered
   * as well. Spec: the projected count after the response (the answered group's remainder is freed).
   */
  readonly addResponseBudgetCountsPending: boolean;
  /** QEMU ignores 4802h's More flag: every payload closes the first pending group. */
  readonly ignoreResponseMore: boolean;
  /** Spec (R73/R75): FM add/release fail with RETRY_REQUIRED when the host's log lacks room. QEMU drops and counts overflow. */
  readonly retryWhenLogFull: boolean;
  /** Clear Event Records naming the wrong handle: spec INVALID_HANDLE, QEMU INVALID_INPUT. */
  readonly clearHandleMismatchRc: "INVALID_HANDLE" | "INVALID_INPUT";
  /**
   * "supported": forced removal revokes at once and logs Forced Capacity Release (02h).
   * "ignored" (QEMU 5605h): the bit only skips the pending-overlap check; the release is normal.
   */
  readonly forcedRemoval: "supported" | "ignored";
  /** Sanitize on release can be requested (5605h bit 5) and configured (5602h). */
  readonly sanitizeOnReleaseSupported: boolean;
  /** R15/R16/R75 sharable-capacity rules: accept all or none, never release part of shared capacity. */
  readonly enforceSharedRules: boolean;
  /** cxl_test: 4802h naming an already accepted identical extent is a no-op success. */
  readonly acceptDuplicateIsNoop: boolean;
  /** cxl_test: 4803h naming a range that is not accepted is ignored (success). */
  readonly releaseUnknownIgnored: boolean;
  /** 5602h refuses when capacity is allocated: spec counts pending adds too; QEMU only backed blocks. */
  readonly regionConfigChecksPending: boolean;
}

export interface ProfileDefaults {
  readonly quirks: DcdQuirks;
  readonly selectionPolicies: readonly SelectionPolicy[];
  readonly removalPolicies: readonly RemovalPolicy[];
  readonly tagBudget: number | "untracked";
}

const SPEC_QUIRKS: DcdQuirks = {
  frozenGeneration: false,
  addResponseBudgetCountsPending: false,
  ignoreResponseMore: false,
  retryWhenLogFull: true,
  clearHandleMismatchRc: "INVALID_HANDLE",
  forcedRemoval: "supported",
  sanitizeOnReleaseSupported: true,
  enforceSharedRules: true,
  acceptDuplicateIsNoop: false,
  releaseUnknownIgnored: false,
  regionConfigChecksPending: true,
};

const ALL_SELECTION: readonly SelectionPolicy[] = ["free", "contiguous", "prescriptive", "enable-shared-access"];
const ALL_REMOVAL: readonly RemovalPolicy[] = ["tag-based", "prescriptive"];

export const PROFILES: Readonly<Record<DcdProfile, ProfileDefaults>> = {
  spec: { quirks: SPEC_QUIRKS, selectionPolicies: ALL_SELECTION, removalPolicies: ALL_REMOVAL, tagBudget: 512 },
  qemu: {
    quirks: {
      frozenGeneration: true,
      addResponseBudgetCountsPending: true,
      ignoreResponseMore: true,
      retryWhenLogFull: false,
      clearHandleMismatchRc: "INVALID_INPUT",
      forcedRemoval: "ignored",
      sanitizeOnReleaseSupported: false,
      enforceSharedRules: false,
      acceptDuplicateIsNoop: false,
      releaseUnknownIgnored: false,
      regionConfigChecksPending: false,
    },
    selectionPolicies: ["prescriptive"],
    removalPolicies: ["prescriptive"],
    tagBudget: "untracked",
  },
  // The mock logs whatever a test injects (the host is under test, not the device), so the
  // log never refuses and injected tags/sequences are passed through.
  "cxl-test": {
    quirks: { ...SPEC_QUIRKS, retryWhenLogFull: false, enforceSharedRules: false, acceptDuplicateIsNoop: true, releaseUnknownIgnored: true },
    selectionPolicies: ALL_SELECTION,
    removalPolicies: ALL_REMOVAL,
    tagBudget: 512,
  },
};
