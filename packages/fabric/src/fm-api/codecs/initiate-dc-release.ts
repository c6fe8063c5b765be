/**
 * 5605h Initiate Dynamic Capacity Release (CXL r3.1 §7.6.7.6.6): host_id u16 @00h, flags @02h
 * (bits 3:0 removal policy: 0 tag-based, 1 prescriptive; bit 4 forced removal; bit 5 sanitize on
 * release), reserved @03h (QEMU names it reg_num and ignores it), length u64 @04h, tag[16] @0Ch,
 * ext_count u32 @1Ch, extents @20h. No output.
 */
import type { DcExtent } from "../../device/types.js";
import { MBOX_RC, ok, type DcdResult } from "@dcd/core";
import { decodeCapacityRequest, encodeCapacityRequest } from "./capacity-request.js";

export const RELEASE_FLAG = { FORCED_REMOVAL: 1 << 4, SANITIZE_ON_RELEASE: 1 << 5 } as const;

export interface InitiateDcReleaseIn {
  readonly hostId: number;
  /** Bits 3:0 of the flags; 2-15 are reserved values (the device answers INVALID_INPUT). */
  readonly removalPolicy: number;
  readonly forcedRemoval: boolean;
  readonly sanitizeOnRelease: boolean;
  readonly length: number;
  readonly tag: string;
  readonly extents: readonly DcExtent[];
}

export function encodeInitiateDcReleaseIn(req: InitiateDcReleaseIn): Uint8Array {
  const flags = (req.removalPolicy & 0x0f) | (req.forcedRemoval ? RELEASE_FLAG.FORCED_REMOVAL : 0) | (req.sanitizeOnRelease ? RELEASE_FLAG.SANITIZE_ON_RELEASE : 0);
  return encodeCapacityRequest({ ...req, byte2: flags, byte3: 0 });
}

export function decodeInitiateDcReleaseIn(bytes: Uint8Array): DcdResult<InitiateDcReleaseIn> {
  const r = decodeCapacityRequest(bytes, "Initiate Dynamic Capacity Release");
  if (r.rc !== MBOX_RC.SUCCESS) return r;
  const { hostId, byte2: flags, length, tag, extents } = r.value;
  return ok({
    hostId,
    removalPolicy: flags & 0x0f,
    forcedRemoval: (flags & RELEASE_FLAG.FORCED_REMOVAL) !== 0,
    sanitizeOnRelease: (flags & RELEASE_FLAG.SANITIZE_ON_RELEASE) !== 0,
    length,
    tag,
    extents,
  });
}
