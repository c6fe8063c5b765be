/**
 * A workload that uses pages in memory blocks, so that tests and benchmarks can make memory "in
 * use": movable pages (user memory, page cache) that an offline migrates, unmovable kernel pages
 * that make isolation fail, and pinned pages that migration cannot move. Pages go to a named block
 * or node, or (as a process would get them) by memory policy, which keeps private nodes out unless
 * the policy may name them.
 *
 * Pages are counted, not addressed. Bad input throws a {@link DcdError} and changes nothing.
 */
import { errno } from "../errors.js";
import { type Block, blockInfo } from "./block.js";
import { MEMPOLICY_MODES, type Mempolicy, type MempolicyMode, type PageKind, type PageUsage } from "./types.js";

/** @internal What the workload needs from the model. */
export interface WorkloadTarget {
  readonly name: string;
  /** The live block `id`, or throw (ENODEV: no such block; EBUSY: an operation is running). */
  workloadBlock(id: number): Block;
  /** Online, live blocks whose node is `node`, by id. */
  workloadBlocksOn(node: number): Block[];
  /** Change a block's page counts (`change` mutates `block.usage`), keeping the model's counters right. */
  updateUsage(block: Block, change: () => void): void;
  /** Nodes with online memory (`N_MEMORY`), ascending. */
  workloadNodes(): readonly WorkloadNode[];
  /** `node_possible_map` is 0 .. possibleNodes-1. */
  readonly possibleNodes: number;
  /** The node an unbound process runs on. */
  readonly localNode: number;
}

/** @internal A node as memory policies see it. */
export interface WorkloadNode {
  readonly id: number;
  /** Not `N_MEMORY_PUBLIC`: absent from the fallback zonelists. */
  readonly private: boolean;
  /** A private node with `USER_NUMA`: `MPOL_BIND` may name it. */
  readonly userNuma: boolean;
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
    this.target.updateUsage(b, () => {
      b.usage.free -= pages;
      b.usage[kind] += pages;
    });
  }

  /** Give back `pages` pages of `kind`. EINVAL when the block holds fewer. */
  free(block: number, pages: number, kind: PageKind = "movable"): void {
    const b = this.online(block, pages);
    if (b.usage[kind] < pages) {
      throw errno("EINVAL", `${this.label(b)}: cannot free ${pages} ${kind} pages, it holds ${b.usage[kind]}`, { detail: { block, pages, kind } });
    }
    this.target.updateUsage(b, () => {
      b.usage[kind] -= pages;
      b.usage.free += pages;
    });
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
    return this.fill(blocks, pages, kind, `node ${node}`, { node, pages, kind });
  }

  /**
   * `mbind`/`set_mempolicy`: check a policy and return it as installed. The mask keeps only nodes
   * with memory; private nodes are trimmed from it, except for `bind` on a node with `USER_NUMA`.
   * EINVAL: unknown mode, a node that is not possible, `default` with nodes, or a mask left empty.
   */
  mbind(mode: MempolicyMode, nodes: readonly number[]): Mempolicy {
    if (!(MEMPOLICY_MODES as readonly string[]).includes(mode)) throw errno("EINVAL", `mbind: '${mode}' is not a memory policy mode (${MEMPOLICY_MODES.join(", ")})`, { detail: { mode } });
    const bad = nodes.find((n) => !Number.isSafeInteger(n) || n < 0 || n >= this.target.possibleNodes);
    if (bad !== undefined) throw errno("EINVAL", `mbind: node ${String(bad)} is not a possible node (0-${this.target.possibleNodes - 1})`, { detail: { node: bad } });
    if (mode === "default") {
      if (nodes.length > 0) throw errno("EINVAL", `mbind: MPOL_DEFAULT takes no nodes, got ${nodes.join(",")}`, { detail: { nodes } });
      return { mode, nodes: [] };
    }
    const known = new Map(this.target.workloadNodes().map((n) => [n.id, n]));
    const wanted = [...new Set(nodes)].sort((a, b) => a - b);
    const kept = wanted.filter((id) => {
      const n = known.get(id);
      return n !== undefined && (!n.private || (mode === "bind" && n.userNuma));
    });
    if (kept.length === 0) {
      const privateOnes = wanted.filter((id) => known.get(id)?.private === true);
      const rule = mode === "bind" ? "its feature mask lacks USER_NUMA" : "only MPOL_BIND can target a private node";
      const why = privateOnes.length > 0 ? `private node ${privateOnes.join(",")} is trimmed (${rule})` : "no node with memory";
      throw errno("EINVAL", `mbind: nodes {${wanted.join(",")}}: ${why}; nothing is left of the node mask`, { detail: { mode, nodes: wanted } });
    }
    return { mode, nodes: kept };
  }

  /**
   * A process allocates `pages` under `policy` (default: no policy, the local node then the other
   * public nodes). Nodes are filled one after the other, blocks by ascending id; private nodes are
   * used only when the policy names them (`bind` with `USER_NUMA`). All or nothing: ENOMEM when the
   * allowed nodes lack room; EINVAL for a policy {@link mbind} would refuse.
   */
  allocatePages(pages: number, kind: PageKind = "movable", policy: Mempolicy = { mode: "default", nodes: [] }): Placement[] {
    checkCount(pages);
    const installed = this.mbind(policy.mode, policy.nodes);
    const publicNodes = this.target
      .workloadNodes()
      .filter((n) => !n.private)
      .map((n) => n.id);
    const fallback = [this.target.localNode, ...publicNodes.filter((n) => n !== this.target.localNode)].filter((n) => publicNodes.includes(n));
    const first = installed.nodes[0];
    const order = installed.mode === "bind" ? installed.nodes : installed.mode === "preferred" && first !== undefined ? [first, ...fallback.filter((n) => n !== first)] : fallback;
    const blocks = order.flatMap((n) => this.target.workloadBlocksOn(n)).filter((b) => kind !== "unmovable" || b.zone !== "Movable");
    return this.fill(blocks, pages, kind, `nodes {${order.join(",")}} (${installed.mode})`, { pages, kind, mode: installed.mode, nodes: order });
  }

  /** How the block's pages are used now. */
  usage(block: number): PageUsage {
    return blockInfo(this.target.workloadBlock(block)).pages;
  }

  /** Take `pages` free pages from `blocks` in order; ENOMEM (nothing taken) when they lack room. */
  private fill(blocks: readonly Block[], pages: number, kind: PageKind, where: string, detail: Record<string, unknown>): Placement[] {
    const room = blocks.reduce((sum, b) => sum + b.usage.free, 0);
    if (room < pages) {
      throw errno("ENOMEM", `${this.target.name}: ${where} has ${room} free pages usable for ${kind} pages, ${pages} requested`, { detail });
    }
    const placed: Placement[] = [];
    let left = pages;
    for (const b of blocks) {
      if (left === 0) break;
      const take = Math.min(left, b.usage.free);
      if (take === 0) continue;
      this.target.updateUsage(b, () => {
        b.usage.free -= take;
        b.usage[kind] += take;
      });
      left -= take;
      placed.push({ block: b.id, pages: take });
    }
    return placed;
  }

  private convert(block: number, pages: number, from: "movable" | "pinned", to: "movable" | "pinned"): void {
    const b = this.online(block, pages);
    if (b.usage[from] < pages) {
      throw errno("EINVAL", `${this.label(b)}: cannot turn ${pages} ${from} pages ${to}, it holds ${b.usage[from]}`, { detail: { block, pages } });
    }
    this.target.updateUsage(b, () => {
      b.usage[from] -= pages;
      b.usage[to] += pages;
    });
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
