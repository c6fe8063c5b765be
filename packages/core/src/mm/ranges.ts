/**
 * Block arithmetic: the x86_64 block-size probe, alignment checks and the kernel's way of printing
 * ranges, shared by the model, its sysfs files and the drivers that decide whether to reject or
 * truncate a range that is not made of whole blocks.
 */
import { errno } from "../errors.js";
import { formatHex as hex } from "../sysfs/attributes.js";
import { GiB, type MemoryRange, SECTION_SIZE } from "./types.js";

/** `MEM_SIZE_FOR_LARGE_BLOCK`: from this much boot memory on, x86_64 uses large blocks. */
const LARGE_BLOCK_BOOT_MEMORY = 64 * GiB;
/** `MAX_BLOCK_SIZE` on x86_64. */
const MAX_BLOCK_SIZE = 2 * GiB;

/**
 * `probe_memory_block_size()` (arch/x86/mm/init_64.c): 128 MiB when boot memory ends below 64 GiB;
 * otherwise 2 GiB on bare metal, and under a hypervisor the largest power of two ≤ 2 GiB that
 * divides the end of boot memory.
 */
export function defaultMemoryBlockSize(bootMemoryEnd: number, hypervisor = false): number {
  if (bootMemoryEnd < LARGE_BLOCK_BOOT_MEMORY) return SECTION_SIZE;
  if (!hypervisor) return MAX_BLOCK_SIZE;
  for (let size = MAX_BLOCK_SIZE; size > SECTION_SIZE; size /= 2) {
    if (bootMemoryEnd % size === 0) return size;
  }
  return SECTION_SIZE;
}

/** True for a power of two at least one section (what `memory_dev_init` accepts). */
export function isValidBlockSize(size: number): boolean {
  return isPowerOfTwo(size) && size >= SECTION_SIZE;
}

function isPowerOfTwo(n: number): boolean {
  // Bitwise operators truncate to 32 bits; sizes reach 2^40 and more.
  if (!Number.isSafeInteger(n) || n <= 0) return false;
  let v = n;
  while (v % 2 === 0) v /= 2;
  return v === 1;
}

/** `%pR` of a memory resource: `[mem 0x4080000000-0x40ffffffff]` (inclusive end). */
export function formatRange(range: MemoryRange): string {
  return `[mem ${hex(range.start)}-${hex(range.start + range.size - 1)}]`;
}

/** The block id holding physical address `address` (`phys_to_block_id`). */
export function blockIdOf(address: number, blockSize: number): number {
  return Math.floor(address / blockSize);
}

/** True when `range` is non-empty and made of whole, aligned blocks. */
export function isBlockAligned(range: MemoryRange, blockSize: number): boolean {
  return range.size > 0 && range.start % blockSize === 0 && range.size % blockSize === 0;
}

/**
 * `check_hotplug_memory_range()`: EINVAL unless `range` is non-empty and block aligned. The message
 * names the range and the block size, so a caller can tell what to truncate.
 */
export function checkBlockAligned(range: MemoryRange, blockSize: number): void {
  if (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(range.size) || range.start < 0 || range.size <= 0) {
    throw errno("EINVAL", `memory range start ${String(range.start)} size ${String(range.size)} is not a non-empty range of whole bytes`, {
      detail: { start: range.start, size: range.size },
    });
  }
  if (!isBlockAligned(range, blockSize)) {
    throw errno("EINVAL", `memory range ${formatRange(range)} (size ${hex(range.size)}) is not aligned to the memory block size ${hex(blockSize)}`, {
      detail: { start: range.start, size: range.size, blockSize },
    });
  }
}

/** What inward alignment keeps of a range, and what it strands. */
export interface AlignedRange {
  /** The whole blocks inside the range; undefined when none fits ("too small after alignment"). */
  readonly aligned: MemoryRange | undefined;
  /** Bytes of the range outside whole blocks (both ends together). */
  readonly strandedBytes: number;
}

/**
 * Align a range inward to whole memory blocks, as dax/kmem does before hot-adding (and as a sysram
 * region with `strandedPolicy = truncate` would): what is left, and how much is stranded.
 */
export function alignToBlocks(range: MemoryRange, blockSize: number): AlignedRange {
  const start = Math.ceil(range.start / blockSize) * blockSize;
  const end = Math.floor((range.start + range.size) / blockSize) * blockSize;
  if (end <= start) return { aligned: undefined, strandedBytes: Math.max(0, range.size) };
  return { aligned: { start, size: end - start }, strandedBytes: range.size - (end - start) };
}

/** `%*pbl`: a node list such as `0-2,5`. */
export function formatNodeList(ids: Iterable<number>): string {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    const first = sorted[i] as number;
    let last = first;
    while (i + 1 < sorted.length && sorted[i + 1] === last + 1) {
      i++;
      last = sorted[i] as number;
    }
    parts.push(first === last ? String(first) : `${first}-${last}`);
    i++;
  }
  return parts.join(",");
}
