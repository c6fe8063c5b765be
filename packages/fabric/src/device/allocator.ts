/**
 * Free and Contiguous selection (5604h policies 0 and 1): the device picks capacity nobody holds
 * (no host's pending or accepted extents, no FM-referenced tag), lowest DPA first. This walks the
 * region's occupied ranges, O(k log k) in the extents inside the region: allocation is an FM
 * operation, not a per-extent hot path.
 */
import type { DeviceCore, MutablePartition } from "./device-core.js";
import type { DpaRange } from "./types.js";

/** The ranges to offer, or undefined when the region cannot supply `length` bytes that way. */
export function allocate(core: DeviceCore, p: MutablePartition, length: number, policy: "free" | "contiguous"): DpaRange[] | undefined {
  const start = p.base;
  const end = p.base + p.length;
  const occupied: DpaRange[] = [];
  for (const h of core.hosts) {
    for (const e of h.accepted.overlapping(start, p.length)) occupied.push(e);
    for (const e of h.pending.overlapping(start, p.length)) occupied.push(e);
  }
  for (const r of core.tags.fmHeld()) for (const e of r.extents) if (e.dpa < end && e.dpa + e.len > start) occupied.push(e);
  occupied.sort((a, b) => a.dpa - b.dpa);

  const out: DpaRange[] = [];
  let need = length;
  let at = start;
  const take = (gapStart: number, gapEnd: number): boolean => {
    const len = gapEnd - gapStart;
    if (len <= 0) return false;
    if (policy === "contiguous") {
      if (len < need) return false;
      out.push({ dpa: gapStart, len: need });
      need = 0;
      return true;
    }
    const n = Math.min(len, need);
    out.push({ dpa: gapStart, len: n });
    need -= n;
    return need === 0;
  };
  for (const o of occupied) {
    if (o.dpa > at && take(at, Math.min(o.dpa, end))) return out;
    at = Math.max(at, o.dpa + o.len);
  }
  if (at < end && take(at, end)) return out;
  return undefined;
}
