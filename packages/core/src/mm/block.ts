/**
 * @internal The model's record of one memory block (`struct memory_block` plus the page counts the
 * model keeps instead of a memmap). Not exported from the package: callers see
 * {@link MemoryBlockInfo} snapshots.
 */
import { type MemoryBlockDevice } from "./memory-sysfs.js";
import {
  DMA32_END,
  DMA_END,
  type KernelZoneName,
  type MemoryBlockInfo,
  type MemoryBlockState,
  type OnlineType,
  PAGE_SIZE,
  type PageUsage,
  type ZoneName,
} from "./types.js";

/** A piece of a block on one node in one zone. */
export interface ZoneSegment {
  readonly start: number;
  readonly end: number;
  readonly node: number;
  readonly zone: ZoneName;
}

/** Page counts that change while a block is online (all zero while it is offline). */
export interface Usage {
  free: number;
  movable: number;
  unmovable: number;
  pinned: number;
  memmapHosted: number;
}

/** Where the memmap of a hot-plugged block without `memmap_on_memory` lives. */
export interface MemmapPiece {
  readonly block: number;
  readonly pages: number;
}

export type BlockPhase = MemoryBlockInfo["phase"];

export interface Block {
  readonly id: number;
  readonly start: number;
  readonly end: number;
  readonly boot: boolean;
  /** `mem->nid`. */
  readonly node: number;
  /** Every node the block links under (more than one only for a boot block spanning nodes). */
  readonly nodes: readonly number[];
  /** Pages that exist; fewer than the block holds when it has holes. */
  readonly present: number;
  readonly holes: boolean;
  /** Boot blocks: what they cover, split by node and zone. Empty for hot-plugged blocks. */
  readonly bootSegments: readonly ZoneSegment[];
  /** Self-hosted memmap pages (`nr_vmemmap_pages`), from add to remove. */
  readonly memmapSelf: number;
  /** Memmap kept in other blocks, freed on remove. */
  memmapHome: readonly MemmapPiece[];
  readonly resource: string;
  state: MemoryBlockState;
  zone: ZoneName | "none" | undefined;
  onlineType: OnlineType | undefined;
  usage: Usage;
  phase: BlockPhase;
  device: MemoryBlockDevice | undefined;
}

export function emptyUsage(): Usage {
  return { free: 0, movable: 0, unmovable: 0, pinned: 0, memmapHosted: 0 };
}

/** The usage of a block just onlined: everything managed is free. */
export function freshUsage(block: Block): Usage {
  return { ...emptyUsage(), free: block.present - block.memmapSelf };
}

/** Zones by address on x86_64: DMA below 16 MiB, DMA32 below 4 GiB, Normal above. */
export function kernelZoneOfAddress(address: number): KernelZoneName {
  if (address < DMA_END) return "DMA";
  if (address < DMA32_END) return "DMA32";
  return "Normal";
}

/** Split `[start, end)` on `node` at the zone boundaries. */
export function bootSegmentsOf(start: number, end: number, node: number): ZoneSegment[] {
  const cuts = [start, ...[DMA_END, DMA32_END].filter((c) => c > start && c < end), end];
  const out: ZoneSegment[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const s = cuts[i] as number;
    out.push({ start: s, end: cuts[i + 1] as number, node, zone: kernelZoneOfAddress(s) });
  }
  return out;
}

/** The zone pieces an online block occupies (for zone spans). */
export function zoneSegmentsOf(block: Block): readonly ZoneSegment[] {
  if (block.state === "offline" || block.zone === undefined) return [];
  if (block.zone === "none") return block.bootSegments;
  return [{ start: block.start, end: block.end, node: block.node, zone: block.zone }];
}

/** The public snapshot of a block. */
export function blockInfo(block: Block): MemoryBlockInfo {
  const u = block.usage;
  const pages: PageUsage = {
    present: block.present,
    free: u.free,
    movable: u.movable,
    unmovable: u.unmovable,
    pinned: u.pinned,
    memmap: block.memmapSelf,
    memmapHosted: u.memmapHosted,
  };
  return {
    id: block.id,
    name: `memory${block.id}`,
    start: block.start,
    size: block.end - block.start,
    node: block.node,
    boot: block.boot,
    state: block.state,
    zone: block.zone,
    onlineType: block.onlineType,
    resource: block.resource,
    memmapOnMemory: block.memmapSelf > 0,
    phase: block.phase,
    pages,
  };
}

/** Pages in a byte count. */
export function pagesOf(bytes: number): number {
  return Math.floor(bytes / PAGE_SIZE);
}
