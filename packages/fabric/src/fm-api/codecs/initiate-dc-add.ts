/**
 * 5604h Initiate Dynamic Capacity Add (CXL r3.1 §7.6.7.6.5): host_id u16 @00h,
 * selection_policy @02h (bits 3:0: 0 free, 1 contiguous, 2 prescriptive, 3 enable shared
 * access), region_num u8 @03h, length u64 @04h, tag[16] @0Ch, ext_count u32 @1Ch, extents @20h.
 * No output.
 */
import type { DcExtent } from "../../device/types.js";
import { MBOX_RC, ok, type DcdResult } from "@dcd/core";
import { decodeCapacityRequest, encodeCapacityRequest } from "./capacity-request.js";

export interface InitiateDcAddIn {
  readonly hostId: number;
  /** Bits 3:0 of byte 02h; 4-15 are reserved values (the device answers INVALID_INPUT). */
  readonly selectionPolicy: number;
  readonly regionNumber: number;
  readonly length: number;
  readonly tag: string;
  readonly extents: readonly DcExtent[];
}

export function encodeInitiateDcAddIn(req: InitiateDcAddIn): Uint8Array {
  return encodeCapacityRequest({ ...req, byte2: req.selectionPolicy & 0x0f, byte3: req.regionNumber });
}

export function decodeInitiateDcAddIn(bytes: Uint8Array): DcdResult<InitiateDcAddIn> {
  const r = decodeCapacityRequest(bytes, "Initiate Dynamic Capacity Add");
  if (r.rc !== MBOX_RC.SUCCESS) return r;
  const { hostId, byte2, byte3, length, tag, extents } = r.value;
  return ok({ hostId, selectionPolicy: byte2 & 0x0f, regionNumber: byte3, length, tag, extents });
}
