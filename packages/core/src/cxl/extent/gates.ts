/**
 * The pure parts of `cxl_add_pending()` (host-rules §3.4): tag grouping (R23) and the group gates
 * that need no host state (R25 sequence integrity, R26 partition equality, R27 alignment). Each
 * gate returns the kernel's log text when it drops the group.
 */
import { NULL_UUID } from "../../uuid.js";
import type { DcExtent } from "../wire/extent.js";
import { hexAlt, pra } from "./format.js";
import type { HostPolicy } from "./host-policy.js";
import type { DcExtentPartition } from "./model.js";

/** Read once: a module binding read in a hot loop costs a getter call under vitest's module runner. */
const NULL = NULL_UUID;

/** One tag group of a closed chain: members stable-sorted by Shared Extent Sequence. */
export interface ChainGroup {
  readonly tag: string;
  readonly extents: DcExtent[];
}

/**
 * R23: take the tag of the first remaining extent, move every extent with that tag into the group
 * (arrival order), stable-sort by `sharedSeq`; repeat. `untaggedKey` splits the untagged extents
 * of one chain (by region, the model's answer to Q2; or one group per extent for v9).
 */
export function groupChain(extents: readonly DcExtent[], untaggedKey: (e: DcExtent, index: number) => unknown): ChainGroup[] {
  const tagged = new Map<string, DcExtent[]>();
  const untagged = new Map<unknown, DcExtent[]>();
  const order: ChainGroup[] = [];
  // Consecutive extents usually share a tag (and, untagged, a key): skip the maps for runs.
  let lastTag = "";
  let lastKey: unknown = undefined;
  let last: DcExtent[] | undefined;
  for (let i = 0; i < extents.length; i++) {
    const e = extents[i] as DcExtent;
    const tag = e.tag;
    const isNull = tag === NULL;
    const key = isNull ? untaggedKey(e, i) : undefined;
    if (last !== undefined && tag === lastTag && key === lastKey) {
      last.push(e);
      continue;
    }
    const map: Map<unknown, DcExtent[]> = isNull ? untagged : tagged;
    const k: unknown = isNull ? key : tag;
    let list = map.get(k);
    if (list === undefined) {
      list = [];
      map.set(k, list);
      order.push({ tag, extents: list });
    }
    list.push(e);
    last = list;
    lastTag = tag;
    lastKey = key;
  }
  for (const g of order) {
    // Array.prototype.sort is stable: equal keys (all 0 when non-sharable) keep arrival order.
    if (g.extents.length > 1 && !sortedBySeq(g.extents)) g.extents.sort((a, b) => a.sharedSeq - b.sharedSeq);
  }
  return order;
}

function sortedBySeq(list: readonly DcExtent[]): boolean {
  for (let i = 1; i < list.length; i++) if ((list[i - 1] as DcExtent).sharedSeq > (list[i] as DcExtent).sharedSeq) return false;
  return true;
}

/**
 * R25 `cxl_check_group_seq`: every member 0, or the sorted values exactly base, base+1, …
 * (v11 base 0; v10 base 1 with 0 reserved for non-sharable, so a 0 among nonzero is "mixed").
 */
export function checkGroupSeq(tag: string, sorted: readonly DcExtent[], policy: HostPolicy): string | undefined {
  if (sorted.every((e) => e.sharedSeq === 0)) return undefined;
  const base = policy.seqBase;
  const first = (sorted[0] as DcExtent).sharedSeq;
  if (base === 1 && first === 0) return `Tag ${tag}: shared_extn_seq mixed 0/non-zero in one allocation (firmware bug)`;
  if (first !== base) return `Tag ${tag}: shared_extn_seq starts at ${first}, expected ${base} (firmware bug)`;
  let expected = base;
  for (const e of sorted) {
    if (e.sharedSeq !== expected) return `Tag ${tag}: shared_extn_seq gap/dup: expected ${expected} got ${e.sharedSeq} (firmware bug)`;
    expected++;
  }
  return undefined;
}

/** The `dynamic_ram` partition that fully contains [dpa, dpa+len), if any. */
export function partitionOf(partitions: readonly DcExtentPartition[], dpa: number, len: number): DcExtentPartition | undefined {
  for (const p of partitions) if (dpa >= p.start && dpa + len <= p.start + p.size) return p;
  return undefined;
}

/** `cxl_extent_dc_partition`'s two refusals, as log text; undefined when the extent is in a partition. */
export function partitionError(partitions: readonly DcExtentPartition[], e: DcExtent): { readonly log: string; readonly partition?: undefined } | { readonly log?: undefined; readonly partition: DcExtentPartition } {
  if (e.len <= 0) return { log: `DC extent DPA ${pra(e.dpa, e.len)} (${e.tag}) has invalid length (firmware bug)` };
  const p = partitionOf(partitions, e.dpa, e.len);
  if (p === undefined) return { log: `DC extent DPA ${pra(e.dpa, e.len)} (${e.tag}) is not in a valid DC partition` };
  return { partition: p };
}

/**
 * R26 `cxl_check_group_partition` (tagged groups only): every member in the same DC partition.
 * `errno` is ENXIO when a member is in no partition, EINVAL when they differ.
 */
export function checkGroupPartition(tag: string, extents: readonly DcExtent[], partitions: readonly DcExtentPartition[]): { readonly errno: "ENXIO" | "EINVAL"; readonly log: string } | undefined {
  if (tag === NULL) return undefined;
  let first: DcExtentPartition | undefined;
  let firstDpa = 0;
  for (const e of extents) {
    const r = partitionError(partitions, e);
    if (r.partition === undefined) return { errno: "ENXIO", log: r.log };
    if (first === undefined) {
      first = r.partition;
      firstDpa = e.dpa;
    } else if (r.partition !== first) {
      return { errno: "EINVAL", log: `Tag ${tag}: extents span DC partitions (DPA:${hexAlt(firstDpa)} and DPA:${hexAlt(e.dpa)}), firmware bug` };
    }
  }
  return undefined;
}

/** R27: the first member whose start or length is not `align`-aligned, as the kernel's warning. */
export function checkGroupAlignment(tag: string, extents: readonly DcExtent[], align: number): string | undefined {
  if (align === 0) return undefined;
  for (const e of extents) {
    if (!isMultiple(e.dpa, align) || !isMultiple(e.len, align)) return `Tag ${tag}: dropping group, extent DPA:${hexAlt(e.dpa)} LEN:${hexAlt(e.len)} not ${align}-aligned`;
  }
  return undefined;
}

/**
 * `x % b === 0` for the power-of-two alignments policies use: dividing by a power of two is
 * exact, so the quotient is an integer exactly when `x` is a multiple. This avoids the
 * floating-point remainder (a libm call) on DPAs above 2^31, twice per extent.
 */
function isMultiple(x: number, b: number): boolean {
  if ((b & (b - 1)) === 0 && b > 0 && b <= 0x40000000) return Number.isInteger(x / b);
  return x % b === 0;
}
