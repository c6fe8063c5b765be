/**
 * A workload that uses pages in memory blocks, so that tests and benchmarks can make memory "in
 * use": movable pages (user memory, page cache) that an offline migrates, unmovable kernel pages
 * that make isolation fail, and pinned pages that migration cannot move.
 *
 * Pages are counted, not addressed. Bad input throws a {@link DcdError} and changes nothing.
 */
import { errno } from "../errors.js";
import { type Block, blockInfo } from "./block.js";
import { type PageKind, type PageUsage } from "./types.js";

/** @internal What the workload needs from the model. */
export interface WorkloadTarget {
  readonly name: string;
  /** The live block `id`, or throw (ENODEV: no such block; EBUSY: an operation is running). */
  workloadBlock(id: number): Block;
  /** Online, live blocks whose node is `node`, by id. */
  workloadBlocksOn(node: number): Block[];
}

/** Where {@link MemoryWorkload.allocateOnNode} put pages. */
export interface Placement {
  readonly block: number;
  readonly pages: number;
}

export class MemoryWorkload {
  /** @internal */
  constructor(private readonly target: WorkloadTarget) {}

  /** Use `pages` free pages of an online block. EINVAL: offline block, or unmovable pages in ZONE_MOVABLE; ENOMEM: not enough free pages. */
  allocate(block: number, pages: number, kind: PageKind = "movable"): void {
    const b = this.online(block, pages);
    checkZone(b, kind);
    if (b.usage.free < pages) {
      throw errno("ENOMEM", `${this.label(b)}: cannot allocate ${pages} ${kind} pages, ${b.usage.free} free`, { detail: { block, pages, kind } });
    }
    b.usage.free -= pages;
    b.usage[kind] += pages;
  }

  /** Give back `pages` pages of `kind`. EINVAL when the block holds fewer. */
  free(block: number, pages: number, kind: PageKind = "movable"): void {
    const b = this.online(block, pages);
    if (b.usage[kind] < pages) {
      throw errno("EINVAL", `${this.label(b)}: cannot free ${pages} ${kind} pages, it holds ${b.usage[kind]}`, { detail: { block, pages, kind } });
    }
    b.usage[kind] -= pages;
    b.usage.free += pages;
  }

  /** Pin `pages` movable pages (they stop being migratable). */
  pin(block: number, pages: number): void {
    this.convert(block, pages, "movable", "pinned");
  }

  /** Unpin `pages` pinned pages (they become movable again). */
  unpin(block: number, pages: number): void {
    this.convert(block, pages, "pinned", "movable");
  }

  /**
   * Use `pages` pages on `node`, filling its online blocks by ascending id (only kernel-zone blocks
   * for unmovable pages). All or nothing: ENOMEM when the node has too few free pages.
   */
  allocateOnNode(node: number, pages: number, kind: PageKind = "movable"): Placement[] {
    checkCount(pages);
    const blocks = this.target.workloadBlocksOn(node).filter((b) => kind !== "unmovable" || b.zone !== "Movable");
    const room = blocks.reduce((sum, b) => sum + b.usage.free, 0);
    if (room < pages) {
      throw errno("ENOMEM", `${this.target.name}: node ${node} has ${room} free pages usable for ${kind} pages, ${pages} requested`, { detail: { node, pages, kind } });
    }
    const placed: Placement[] = [];
    let left = pages;
    for (const b of blocks) {
      if (left === 0) break;
      const take = Math.min(left, b.usage.free);
      if (take === 0) continue;
      b.usage.free -= take;
      b.usage[kind] += take;
      left -= take;
      placed.push({ block: b.id, pages: take });
    }
    return placed;
  }

  /** How the block's pages are used now. */
  usage(block: number): PageUsage {
    return blockInfo(this.target.workloadBlock(block)).pages;
  }

  private convert(block: number, pages: number, from: "movable" | "pinned", to: "movable" | "pinned"): void {
    const b = this.online(block, pages);
    if (b.usage[from] < pages) {
      throw errno("EINVAL", `${this.label(b)}: cannot turn ${pages} ${from} pages ${to}, it holds ${b.usage[from]}`, { detail: { block, pages } });
    }
    b.usage[from] -= pages;
    b.usage[to] += pages;
  }

  private online(block: number, pages: number): Block {
    checkCount(pages);
    const b = this.target.workloadBlock(block);
    if (b.state !== "online") throw errno("EINVAL", `${this.label(b)} is ${b.state}: its pages cannot be used`, { detail: { block } });
    return b;
  }

  private label(b: Block): string {
    return `${this.target.name}: memory${b.id}`;
  }
}

function checkCount(pages: number): void {
  if (!Number.isSafeInteger(pages) || pages < 0) throw errno("EINVAL", `page count ${String(pages)} is not a non-negative integer`, { detail: { pages } });
}

function checkZone(b: Block, kind: PageKind): void {
  // The kernel never places unmovable allocations in ZONE_MOVABLE (long-term pins are migrated out first).
  if (kind === "unmovable" && b.zone === "Movable") {
    throw errno("EINVAL", `memory${b.id} is in ZONE_MOVABLE, which holds only movable allocations`, { detail: { block: b.id } });
  }
}
