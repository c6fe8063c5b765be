/**
 * Device Physical Address bookkeeping of one memdev (drivers/cxl/core/hdm.c): the partitions
 * (`cxlds->part[]`, in DPA order ram, pmem, dynamic) and the allocations endpoint decoders hold in
 * them, including the "skip" a decoder reserves over unallocated lower capacity.
 *
 * Allocation follows the kernel exactly: a decoder allocates right after the last allocation in
 * its partition (never in a hole), decoders allocate in decoder-id order and free in reverse, and
 * allocating from partition N reserves every unallocated byte of partitions below N as skip.
 */
import { errno } from "../errors.js";
import { type DevresAction } from "../driver-model/devres.js";
import { type CxlEndpointDecoder } from "./decoder.js";
import { fmtPa, hex, isAligned, SZ_256M } from "./format.js";
import { type CxlPartitionMode, modeName } from "./profile.js";

/** `CXL_QOS_CLASS_INVALID`. */
export const QOS_CLASS_INVALID = -1;

/** One allocation inside a partition (a child `struct resource` of `part[i].res`). */
export interface DpaChild {
  readonly start: number;
  readonly size: number;
  readonly owner: CxlEndpointDecoder;
  /** A skip reservation rather than the decoder's own capacity. */
  readonly skip: boolean;
}

/** `struct cxl_dpa_partition`. */
export class DpaPartition {
  /** Allocations in DPA order. */
  readonly children: DpaChild[] = [];

  constructor(
    readonly index: number,
    readonly mode: CxlPartitionMode,
    readonly start: number,
    readonly size: number,
    /** `perf.qos_class`. */
    public qosClass = QOS_CLASS_INVALID,
  ) {}

  /** Where the next allocation starts: after the last child, else at the partition start. */
  nextFree(): number {
    const last = this.children.at(-1);
    return last === undefined ? this.start : last.start + last.size;
  }

  /** Bytes from {@link nextFree} to the partition end. */
  available(): number {
    return this.start + this.size - this.nextFree();
  }

  contains(dpa: number): boolean {
    return dpa >= this.start && dpa < this.start + this.size;
  }

  insert(child: DpaChild): void {
    const i = this.children.findIndex((c) => c.start > child.start);
    if (i < 0) this.children.push(child);
    else this.children.splice(i, 0, child);
  }
}

/** The DPA state a memdev's endpoint decoders share. */
export interface DpaSpace {
  readonly partitions: readonly DpaPartition[];
}

function describeDecoder(cxled: CxlEndpointDecoder): string {
  return `decoder${cxled.port.id}.${cxled.id}`;
}

/** `cxl_dpa_set_part` (mode_store). */
export function dpaSetPart(space: DpaSpace, cxled: CxlEndpointDecoder, mode: CxlPartitionMode): void {
  if (cxled.flags.enable) throw errno("EBUSY", `${cxled.name}: decoder is enabled (committed)`);
  const part = space.partitions.findIndex((p) => p.mode === mode);
  const name = modeName(mode, cxled.cxl.profile);
  if (part < 0) {
    cxled.cxl.log.debug(cxled, `unsupported mode: ${name}`);
    throw errno("EINVAL", `${cxled.name}: the memdev has no ${name} partition`);
  }
  if ((space.partitions[part]?.size ?? 0) === 0) {
    cxled.cxl.log.debug(cxled, `no available capacity for mode: ${name}`);
    throw errno("ENXIO", `${cxled.name}: the ${name} partition has no capacity`);
  }
  cxled.part = part;
}

/** `__cxl_dpa_reserve`: claim [base, base+len) and `skipped` bytes below it. */
export function dpaReserve(space: DpaSpace, cxled: CxlEndpointDecoder, base: number, len: number, skipped: number): void {
  const port = cxled.port;
  if (len === 0) throw errno("EINVAL", `${describeDecoder(cxled)}: empty reservation attempted`);
  if (cxled.dpaRes !== undefined) throw errno("EBUSY", `${describeDecoder(cxled)}: existing allocation ${hex(cxled.dpaRes.start)} assigned`);
  if (port.hdmEnd + 1 !== cxled.id) {
    cxled.cxl.log.debug(port, `${describeDecoder(cxled)}: expected decoder${port.id}.${port.hdmEnd + 1}`);
    throw errno("EBUSY", `${describeDecoder(cxled)}: DPA is allocated in decoder order, next is decoder${port.id}.${port.hdmEnd + 1}`);
  }
  const target = space.partitions.find((p) => p.contains(base) && base + len <= p.start + p.size);
  const overlaps = (p: DpaPartition, s: number, l: number): boolean => p.children.some((c) => c.start < s + l && s < c.start + c.size);
  if (target === undefined || overlaps(target, base, len)) throw errno("EBUSY", `${describeDecoder(cxled)}: failed to reserve allocation [${hex(base)}, +${hex(len)})`);
  const skipParts: { part: DpaPartition; start: number; size: number }[] = [];
  if (skipped > 0) {
    const skipBase = base - skipped;
    for (const p of space.partitions) {
      const s = Math.max(p.start, skipBase);
      const e = Math.min(p.start + p.size, base);
      if (e > s) {
        if (overlaps(p, s, e - s)) throw errno("EBUSY", `${describeDecoder(cxled)}: failed to reserve skipped space`);
        skipParts.push({ part: p, start: s, size: e - s });
      }
    }
  }
  for (const s of skipParts) s.part.insert({ start: s.start, size: s.size, owner: cxled, skip: true });
  target.insert({ start: base, size: len, owner: cxled, skip: false });
  cxled.dpaRes = { start: base, size: len };
  cxled.skip = skipped;
  if (cxled.part < 0) cxled.part = target.index;
  port.hdmEnd++;
}

/** `__cxl_dpa_release`: drop the decoder's allocation and skip. */
export function dpaRelease(space: DpaSpace, cxled: CxlEndpointDecoder): void {
  if (cxled.dpaRes === undefined) return;
  for (const p of space.partitions) {
    for (let i = p.children.length - 1; i >= 0; i--) if (p.children[i]?.owner === cxled) p.children.splice(i, 1);
  }
  cxled.dpaRes = undefined;
  cxled.skip = 0;
  cxled.port.hdmEnd--;
}

/** `cxl_dpa_free`. */
export function dpaFree(space: DpaSpace, cxled: CxlEndpointDecoder): void {
  if (cxled.dpaRes === undefined) return;
  if (cxled.region !== undefined) throw errno("EBUSY", `${cxled.name}: decoder assigned to ${cxled.region.name}`);
  if (cxled.flags.enable) throw errno("EBUSY", `${cxled.name}: decoder enabled`);
  if (cxled.id !== cxled.port.hdmEnd) throw errno("EBUSY", `${cxled.name}: DPA is freed in reverse decoder order, expected decoder${cxled.port.id}.${cxled.port.hdmEnd}`);
  dropReleaseAction(cxled);
  dpaRelease(space, cxled);
}

/** `__cxl_dpa_alloc`: `size` bytes from the decoder's partition. */
export function dpaAlloc(space: DpaSpace, cxled: CxlEndpointDecoder, size: number): void {
  if (cxled.region !== undefined) throw errno("EBUSY", `${cxled.name}: decoder attached to ${cxled.region.name}`);
  if (cxled.flags.enable) throw errno("EBUSY", `${cxled.name}: decoder enabled`);
  if (cxled.part < 0) throw errno("EBUSY", `${cxled.name}: partition not set (write mode first)`);
  const part = space.partitions[cxled.part];
  if (part === undefined) throw errno("EBUSY", `${cxled.name}: partition ${cxled.part} is gone`);
  const start = part.nextFree();
  // A skip covers the unallocated space of every lower partition down to the last allocation.
  let skipStart: number | undefined;
  for (let i = cxled.part; i > 0; i--) {
    const prev = space.partitions[i - 1];
    if (prev === undefined) break;
    if (prev.children.length > 0) {
      skipStart = prev.nextFree();
      break;
    }
    skipStart = prev.start;
  }
  const avail = part.start + part.size - start;
  const skip = skipStart === undefined ? 0 : part.start - skipStart;
  if (size > avail) {
    cxled.cxl.log.debug(cxled, `${size} exceeds available ${modeName(part.mode, cxled.cxl.profile)} capacity: ${avail}`);
    throw errno("ENOSPC", `${cxled.name}: ${fmtPa(size)} exceeds the ${avail} bytes available in ${modeName(part.mode, cxled.cxl.profile)}`);
  }
  dpaReserve(space, cxled, start, size, skip);
  addReleaseAction(space, cxled);
}

/** `devm_add_action(&port->dev, cxl_dpa_release)`: the endpoint port's binding owns the allocation. */
export function addReleaseAction(space: DpaSpace, cxled: CxlEndpointDecoder): void {
  const action: DevresAction = () => {
    cxled.dpaReleaseAction = undefined;
    dpaRelease(space, cxled);
  };
  cxled.dpaReleaseAction = action;
  cxled.port.binding?.add(action);
}

function dropReleaseAction(cxled: CxlEndpointDecoder): void {
  const action = cxled.dpaReleaseAction;
  if (action !== undefined) cxled.port.binding?.remove(action);
  cxled.dpaReleaseAction = undefined;
}

/**
 * `dpa_size_store`: kstrtoull, 256 MiB alignment, free, then allocate. dcd refuses the write as a
 * whole when the new allocation cannot be made (the kernel would have freed the old one already).
 */
export function dpaSizeStore(space: DpaSpace, cxled: CxlEndpointDecoder, size: number): void {
  if (!isAligned(size, SZ_256M)) throw errno("EINVAL", `${cxled.name}: dpa_size ${hex(size)} is not a multiple of 256 MiB`);
  const old = cxled.dpaRes;
  const oldSkip = cxled.skip;
  dpaFree(space, cxled);
  if (size === 0) return;
  try {
    dpaAlloc(space, cxled, size);
  } catch (err) {
    if (old !== undefined) {
      dpaReserve(space, cxled, old.start, old.size, oldSkip);
      addReleaseAction(space, cxled);
    }
    throw err;
  }
}
