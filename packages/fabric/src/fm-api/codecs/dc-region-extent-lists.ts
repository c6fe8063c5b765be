/**
 * 5603h Get DC Region Extent Lists (CXL r3.1 §7.6.7.6.4).
 *
 * Input (12 bytes): host_id u16 @00h, reserved[2], extent_count u32 @04h, start_ext_index u32 @08h.
 *
 * Output: host_id u16 @00h, reserved[2], start_ext_index u32 @04h, extents_returned u32 @08h,
 * total_extents u32 @0Ch, list_generation_num u32 @10h, reserved[4], then 28h-byte DC extents
 * from @18h.
 */
import type { DcExtent } from "../../device/types.js";
import { view } from "@dcd/core";
import { DC_EXTENT_SIZE, readDcExtent, writeDcExtent } from "@dcd/core";
import { fail, MBOX_RC, ok, type DcdResult } from "@dcd/core";
import { requireFixedLength } from "./payload.js";

export const GET_DC_REGION_EXTENT_LISTS_IN_SIZE = 0x0c;
export const DC_REGION_EXTENT_LISTS_HEADER_SIZE = 0x18;

export interface GetDcRegionExtentListsIn {
  readonly hostId: number;
  readonly extentCount: number;
  readonly startIndex: number;
}

export interface GetDcRegionExtentListsOut {
  readonly hostId: number;
  readonly startIndex: number;
  readonly total: number;
  readonly generation: number;
  /** `extents_returned` is the length of this list. */
  readonly extents: readonly DcExtent[];
}

export function encodeGetDcRegionExtentListsIn(req: GetDcRegionExtentListsIn): Uint8Array {
  const bytes = new Uint8Array(GET_DC_REGION_EXTENT_LISTS_IN_SIZE);
  const v = view(bytes);
  v.setUint16(0x00, req.hostId, true);
  v.setUint32(0x04, req.extentCount, true);
  v.setUint32(0x08, req.startIndex, true);
  return bytes;
}

export function decodeGetDcRegionExtentListsIn(bytes: Uint8Array): DcdResult<GetDcRegionExtentListsIn> {
  const len = requireFixedLength(bytes, GET_DC_REGION_EXTENT_LISTS_IN_SIZE, "Get DC Region Extent Lists");
  if (len.rc !== MBOX_RC.SUCCESS) return len;
  const v = view(bytes);
  return ok({ hostId: v.getUint16(0x00, true), extentCount: v.getUint32(0x04, true), startIndex: v.getUint32(0x08, true) });
}

export function encodeGetDcRegionExtentListsOut(out: GetDcRegionExtentListsOut): Uint8Array {
  const bytes = new Uint8Array(DC_REGION_EXTENT_LISTS_HEADER_SIZE + out.extents.length * DC_EXTENT_SIZE);
  const v = view(bytes);
  v.setUint16(0x00, out.hostId, true);
  v.setUint32(0x04, out.startIndex, true);
  v.setUint32(0x08, out.extents.length, true);
  v.setUint32(0x0c, out.total, true);
  v.setUint32(0x10, out.generation, true);
  out.extents.forEach((e, i) => {
    writeDcExtent(v, bytes, DC_REGION_EXTENT_LISTS_HEADER_SIZE + i * DC_EXTENT_SIZE, e);
  });
  return bytes;
}

export function decodeGetDcRegionExtentListsOut(bytes: Uint8Array): DcdResult<GetDcRegionExtentListsOut> {
  if (bytes.length < DC_REGION_EXTENT_LISTS_HEADER_SIZE) return fail(MBOX_RC.INVALID_PAYLOAD_LENGTH, `Get DC Region Extent Lists output: ${bytes.length} bytes`);
  const v = view(bytes);
  const n = v.getUint32(0x08, true);
  const need = DC_REGION_EXTENT_LISTS_HEADER_SIZE + n * DC_EXTENT_SIZE;
  if (bytes.length < need) return fail(MBOX_RC.INVALID_PAYLOAD_LENGTH, `Get DC Region Extent Lists output: ${bytes.length} bytes, need ${need}`);
  return ok({
    hostId: v.getUint16(0x00, true),
    startIndex: v.getUint32(0x04, true),
    total: v.getUint32(0x0c, true),
    generation: v.getUint32(0x10, true),
    extents: Array.from({ length: n }, (_, i) => readDcExtent(v, bytes, DC_REGION_EXTENT_LISTS_HEADER_SIZE + i * DC_EXTENT_SIZE)),
  });
}
