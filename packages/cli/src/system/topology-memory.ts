/**
 * The per-host `memory:` and `window:` mappings of topology files: the memory-hotplug model's
 * options (`MemoryHotplugOptions`) and the NUMA node of the host's CFMWS window. Checked here
 * with the rules `installMemoryHotplug` applies, so a bad value names its file, line and field
 * before anything is built.
 */
import { type BootMemory, type MemoryHotplugOptions, ONLINE_POLICIES, ONLINE_TYPES, SECTION_SIZE } from "@dcd/core";
import { type Node as YamlNode, type YAMLMap } from "yaml";
import { MIB } from "./system.js";
import { type Checker } from "./topology-checker.js";

/** x86_64's largest memory block (consumers.md §2.7: a power of two from 128 MiB to 2 GiB). */
const MAX_BLOCK_SIZE = 2048 * MIB;
/** `MAX_NUMNODES` with x86_64's largest `NODES_SHIFT` (10). */
const MAX_NUMNODES = 1024;
/** mm's default `node_possible_map` size. */
const DEFAULT_POSSIBLE_NODES = 8;
/** The window's node when the topology does not say (the dax and sysram layers' default). */
const DEFAULT_WINDOW_NODE = 1;

export const MEMORY_FIELDS = ["boot", "blockSize", "hypervisor", "possibleNodes", "autoOnlineBlocks", "onlinePolicy", "autoMovableRatio", "autoMovableNumaAware", "memmapOnMemory", "movableNode", "probeAttribute"] as const;

function isPowerOfTwo(n: number): boolean {
  let v = n;
  while (v > 1 && v % 2 === 0) v /= 2;
  return v === 1;
}

export interface HostMemory {
  readonly memory?: MemoryHotplugOptions;
  readonly windowNode?: number;
}

/** `hosts[i].memory` and `hosts[i].window` of host mapping `host` (field prefix `f`). */
export function parseHostMemory(c: Checker, host: YAMLMap, f: string): HostMemory {
  const memNode = c.node(host, "memory");
  const winNode = c.node(host, "window");
  let memory: MemoryHotplugOptions | undefined;
  let possibleNodes = DEFAULT_POSSIBLE_NODES;
  let possibleNodesNode: YamlNode | undefined;
  if (memNode !== undefined) {
    const mf = `${f}.memory`;
    const m = c.map(memNode, mf, MEMORY_FIELDS);
    possibleNodes = c.int(m, "possibleNodes", mf, 1, MAX_NUMNODES) ?? DEFAULT_POSSIBLE_NODES;
    possibleNodesNode = c.node(m, "possibleNodes");
    const bootNode = c.node(m, "boot");
    let boot: BootMemory[] | undefined;
    if (bootNode !== undefined) {
      const entries = c.seq(m, "boot", mf, true);
      if (entries.length === 0) c.fail(bootNode, `${mf}.boot`, "expected at least one node of boot memory");
      const seen = new Set<number>();
      boot = entries.map((en, i) => {
        const bf = `${mf}.boot[${i}]`;
        const b = c.map(en, bf, ["node", "size"]);
        const node = c.int(b, "node", bf, 0, MAX_NUMNODES - 1);
        if (node === undefined) c.fail(b, `${bf}.node`, "required field is missing");
        if (node >= possibleNodes) c.fail(c.node(b, "node") ?? b, `${bf}.node`, `node ${node} is not a possible node (possibleNodes is ${possibleNodes}: 0-${possibleNodes - 1})`);
        if (seen.has(node)) c.fail(c.node(b, "node") ?? b, `${bf}.node`, `node ${node} is listed twice`);
        seen.add(node);
        const size = c.size(b, "size", bf, true) as number;
        if (size === 0 || size % SECTION_SIZE !== 0) c.fail(c.node(b, "size"), `${bf}.size`, `expected a positive multiple of the section size (128MiB), got ${size}`);
        return { node, size };
      });
    }
    const blockSize = c.size(m, "blockSize", mf, false);
    if (blockSize !== undefined && (!isPowerOfTwo(blockSize) || blockSize < SECTION_SIZE || blockSize > MAX_BLOCK_SIZE)) {
      c.fail(c.node(m, "blockSize"), `${mf}.blockSize`, `expected a power of two from 128MiB to 2GiB, got ${blockSize}`);
    }
    const hypervisor = c.bool(m, "hypervisor", mf);
    const autoOnlineBlocks = c.oneOf(m, "autoOnlineBlocks", mf, ONLINE_TYPES);
    const onlinePolicy = c.oneOf(m, "onlinePolicy", mf, ONLINE_POLICIES);
    const autoMovableRatio = c.int(m, "autoMovableRatio", mf, 0, 0xffff_ffff);
    const autoMovableNumaAware = c.bool(m, "autoMovableNumaAware", mf);
    const memmapOnMemory = c.bool(m, "memmapOnMemory", mf);
    const movableNode = c.bool(m, "movableNode", mf);
    const probeAttribute = c.bool(m, "probeAttribute", mf);
    // Only what the file gives: everything else keeps mm's default.
    memory = {
      ...(boot === undefined ? {} : { boot }),
      ...(blockSize === undefined ? {} : { blockSize }),
      ...(hypervisor === undefined ? {} : { hypervisor }),
      ...(possibleNodesNode === undefined ? {} : { possibleNodes }),
      ...(autoOnlineBlocks === undefined ? {} : { autoOnlineBlocks }),
      ...(onlinePolicy === undefined ? {} : { onlinePolicy }),
      ...(autoMovableRatio === undefined ? {} : { autoMovableRatio }),
      ...(autoMovableNumaAware === undefined ? {} : { autoMovableNumaAware }),
      ...(memmapOnMemory === undefined ? {} : { memmapOnMemory }),
      ...(movableNode === undefined ? {} : { movableNode }),
      ...(probeAttribute === undefined ? {} : { probeAttribute }),
    };
  }
  let windowNode: number | undefined;
  if (winNode !== undefined) {
    const wf = `${f}.window`;
    const w = c.map(winNode, wf, ["node"]);
    // -1 is NUMA_NO_NODE: a window without an SRAT proximity domain.
    windowNode = c.int(w, "node", wf, -1, MAX_NUMNODES - 1);
    if (windowNode !== undefined && windowNode >= possibleNodes) c.fail(c.node(w, "node"), `${wf}.node`, `node ${windowNode} is not a possible node (possibleNodes is ${possibleNodes}: 0-${possibleNodes - 1}, or -1)`);
  } else if (possibleNodes <= DEFAULT_WINDOW_NODE) {
    c.fail(possibleNodesNode, `${f}.memory.possibleNodes`, `the CXL window's default node ${DEFAULT_WINDOW_NODE} must be a possible node; raise possibleNodes or set ${f}.window.node`);
  }
  return { ...(memory === undefined ? {} : { memory }), ...(windowNode === undefined ? {} : { windowNode }) };
}
