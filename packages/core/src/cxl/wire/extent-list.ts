/** Get Dynamic Capacity Extent List (4801h): 8-byte input; 16-byte header + 40-byte extents. */
import type { DcExtent } from "./extent.js";
import { requireLength, view } from "./bytes.js";
import { DC_EXTENT_SIZE, readDcExtent, writeDcExtent } from "./dc-extent.js";

export interface GetExtentListIn {
  readonly extentCount: number;
  readonly startIndex: number;
}

export interface ExtentListPage {
  /** Total Extent Count: accepted extents of this host (pending ones are not listed). */
  readonly total: number;
  readonly generation: number;
  readonly extents: readonly DcExtent[];
}

export const GET_EXTENT_LIST_IN_SIZE = 8;
export const EXTENT_LIST_OUT_HEADER = 0x10;

export function encodeGetExtentListIn(i: GetExtentListIn): Uint8Array {
  const bytes = new Uint8Array(GET_EXTENT_LIST_IN_SIZE);
  const v = view(bytes);
  v.setUint32(0, i.extentCount, true);
  v.setUint32(4, i.startIndex, true);
  return bytes;
}

export function decodeGetExtentListIn(bytes: Uint8Array): GetExtentListIn {
  requireLength(bytes, GET_EXTENT_LIST_IN_SIZE, "4801h input");
  const v = view(bytes);
  return { extentCount: v.getUint32(0, true), startIndex: v.getUint32(4, true) };
}

export function encodeGetExtentListOut(o: ExtentListPage): Uint8Array {
  const bytes = new Uint8Array(EXTENT_LIST_OUT_HEADER + o.extents.length * DC_EXTENT_SIZE);
  const v = view(bytes);
  v.setUint32(0, o.extents.length, true);
  v.setUint32(4, o.total, true);
  v.setUint32(8, o.generation, true);
  o.extents.forEach((e, i) => {
    writeDcExtent(v, bytes, EXTENT_LIST_OUT_HEADER + i * DC_EXTENT_SIZE, e);
  });
  return bytes;
}

export function decodeGetExtentListOut(bytes: Uint8Array): ExtentListPage {
  requireLength(bytes, EXTENT_LIST_OUT_HEADER, "4801h output");
  const v = view(bytes);
  const n = v.getUint32(0, true);
  requireLength(bytes, EXTENT_LIST_OUT_HEADER + n * DC_EXTENT_SIZE, "4801h output");
  const extents: DcExtent[] = [];
  for (let i = 0; i < n; i++) extents.push(readDcExtent(v, bytes, EXTENT_LIST_OUT_HEADER + i * DC_EXTENT_SIZE));
  return { total: v.getUint32(4, true), generation: v.getUint32(8, true), extents };
}
