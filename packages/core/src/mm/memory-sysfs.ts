/**
 * The memory and node subsystems in sysfs (`drivers/base/memory.c`, `drivers/base/node.c`).
 *
 * - bus `memory`, devices `/sys/devices/system/memory/memoryN` with `phys_index` (`%08lx`),
 *   `state`, `online`, `valid_zones`, `removable`, `phys_device`, and a `nodeX` link;
 * - bus `node`, devices `/sys/devices/system/node/nodeN` with `meminfo` and `memoryN` links;
 * - the subsystem roots: `memory/{block_size_bytes,auto_online_blocks,probe}` and
 *   `node/{possible,online,has_normal_memory,has_memory,has_public_memory,has_user_memory,has_cpu}`;
 * - `/sys/module/memory_hotplug/parameters/*`.
 *
 * Every show and store goes to the host's {@link MemoryHotplug}, which holds the state; the bus
 * types themselves are stateless values, so two hosts share nothing through them.
 */
import { errno } from "../errors.js";
import { type BusType } from "../driver-model/bus-type.js";
import { Device } from "../driver-model/device.js";
import { type AttributeGroup } from "../driver-model/device-type.js";
import { enumAttribute, parseBool, parseU64 } from "../sysfs/attributes.js";
import { type SysfsTree } from "../sysfs/sysfs-tree.js";
import { type MemoryHotplug } from "./memory-hotplug.js";
import { formatNodeList } from "./ranges.js";
import { KiB, type MemoryNodeInfo, ONLINE_POLICIES, ONLINE_TYPES, type OnlineType, PAGE_SIZE } from "./types.js";

export const MEMORY_ROOT = "/sys/devices/system/memory";
export const NODE_ROOT = "/sys/devices/system/node";
export const MODULE_PARAMETERS = "/sys/module/memory_hotplug/parameters";

/** `struct memory_block`'s device: `memoryN` on the `memory` bus. */
export class MemoryBlockDevice extends Device {
  constructor(
    /** @internal */ readonly hotplug: MemoryHotplug,
    readonly blockId: number,
  ) {
    super({ name: `memory${blockId}`, bus: "memory" });
  }
}

/** A NUMA node's device: `nodeN` on the `node` bus. */
export class NodeDevice extends Device {
  constructor(
    /** @internal */ readonly hotplug: MemoryHotplug,
    readonly nodeId: number,
  ) {
    super({ name: `node${nodeId}`, bus: "node" });
  }
}

function info(dev: MemoryBlockDevice) {
  const block = dev.hotplug.block(dev.blockId);
  if (block === undefined) throw errno("ENODEV", `${dev.name} is gone`);
  return block;
}

/** `memory_memblk_attr_group` plus the driver core's `online` (the memory bus supports offline). */
const memoryBlockGroup: AttributeGroup<MemoryBlockDevice> = {
  attrs: [
    { name: "phys_index", show: (dev) => info(dev).id.toString(16).padStart(8, "0") },
    {
      name: "state",
      show: (dev) => info(dev).state,
      store: (dev, value) => {
        dev.hotplug.storeState(dev.blockId, value);
      },
    },
    { name: "phys_device", show: () => "0" },
    // Legacy: 1 whenever CONFIG_MEMORY_HOTREMOVE is set; it predicts nothing.
    { name: "removable", show: () => "1" },
    { name: "valid_zones", show: (dev) => dev.hotplug.validZones(dev.blockId) },
    {
      name: "online",
      show: (dev) => (info(dev).state === "offline" ? "0" : "1"),
      store: (dev, value) => {
        dev.hotplug.storeOnline(dev.blockId, value);
      },
    },
  ],
};

/** `node_read_meminfo`, first lines (the model keeps no LRU or slab counters). */
function meminfo(dev: NodeDevice): string {
  const node = dev.hotplug.node(dev.nodeId);
  if (node === undefined) throw errno("ENODEV", `${dev.name} is gone`);
  const kb = (pages: number) => String((pages * PAGE_SIZE) / KiB).padStart(8);
  const id = dev.nodeId;
  return (
    `Node ${id} MemTotal:       ${kb(node.managedPages)} kB\n` +
    `Node ${id} MemFree:        ${kb(node.freePages)} kB\n` +
    `Node ${id} MemUsed:        ${kb(node.managedPages - node.freePages)} kB\n`
  );
}

const nodeGroup: AttributeGroup<NodeDevice> = {
  attrs: [{ name: "meminfo", show: meminfo }],
};

/** `memory_subsys`: no drivers, no `driver_override`. */
export const memoryBus: BusType<MemoryBlockDevice> = {
  name: "memory",
  root: "system/memory",
  driverOverride: false,
  devGroups: [memoryBlockGroup],
};

/** `node_subsys`. */
export const nodeBus: BusType<NodeDevice> = {
  name: "node",
  root: "system/node",
  driverOverride: false,
  devGroups: [nodeGroup],
};

/** `mhp_online_type_from_str`: EINVAL for anything but the four names. */
export function parseOnlineType(value: string, what: string): OnlineType {
  const type = ONLINE_TYPES.find((t) => t === value);
  if (type === undefined) throw errno("EINVAL", `${what}: '${value}' is not one of ${ONLINE_TYPES.join(", ")}`, { detail: { value } });
  return type;
}

/**
 * Create the subsystem roots and module parameters; returns the paths to remove on dispose (last
 * first).
 */
export function addRootAttributes(sysfs: SysfsTree, mm: MemoryHotplug, probe: boolean): string[] {
  const added: string[] = [];
  const add = (path: string, spec: Parameters<SysfsTree["addAttribute"]>[1]) => {
    sysfs.addAttribute(path, spec);
    added.push(path);
  };
  add(`${MEMORY_ROOT}/block_size_bytes`, { show: () => mm.blockSize.toString(16) });
  add(
    `${MEMORY_ROOT}/auto_online_blocks`,
    enumAttribute(
      "auto_online_blocks",
      ONLINE_TYPES,
      () => mm.autoOnlineBlocks,
      (type) => {
        mm.autoOnlineBlocks = type;
      },
    ),
  );
  if (probe) {
    add(`${MEMORY_ROOT}/probe`, {
      store: (value) => {
        mm.probeStore(parseU64(value, "probe"));
      },
    });
  }

  const nodeList = (pick: (n: MemoryNodeInfo) => boolean) => () =>
    formatNodeList(
      mm
        .nodes()
        .filter(pick)
        .map((n) => n.id),
    );
  add(`${NODE_ROOT}/possible`, { show: () => formatNodeList(Array.from({ length: mm.possibleNodes }, (_, i) => i)) });
  add(`${NODE_ROOT}/online`, { show: nodeList((n) => n.online) });
  add(`${NODE_ROOT}/has_normal_memory`, { show: nodeList((n) => n.kernelPages > 0) });
  add(`${NODE_ROOT}/has_memory`, { show: nodeList((n) => n.presentPages > 0) });
  // Private Memory NUMA Nodes v5: a private node is N_MEMORY but neither N_MEMORY_PUBLIC nor,
  // unless its mask has USER_NUMA, a node user space may name in a memory policy.
  add(`${NODE_ROOT}/has_public_memory`, { show: nodeList((n) => n.presentPages > 0 && !n.private) });
  add(`${NODE_ROOT}/has_user_memory`, { show: nodeList((n) => n.presentPages > 0 && (!n.private || n.privateFeatures.includes("USER_NUMA"))) });
  add(`${NODE_ROOT}/has_cpu`, { show: nodeList((n) => n.hasCpu) });

  const yn = (v: boolean) => (v ? "Y" : "N");
  add(`${MODULE_PARAMETERS}/memmap_on_memory`, { show: () => yn(mm.memmapOnMemory), mode: 0o444 });
  add(
    `${MODULE_PARAMETERS}/online_policy`,
    enumAttribute(
      "online_policy",
      ONLINE_POLICIES,
      () => mm.onlinePolicy,
      (policy) => {
        mm.onlinePolicy = policy;
      },
    ),
  );
  add(`${MODULE_PARAMETERS}/auto_movable_ratio`, {
    show: () => String(mm.autoMovableRatio),
    store: (value) => {
      // param_set_uint: kstrtouint(val, 0, ...)
      const ratio = parseU64(value, "auto_movable_ratio");
      if (ratio > 0xffffffff) throw errno("ERANGE", `auto_movable_ratio: '${value}' is out of range`);
      mm.autoMovableRatio = ratio;
    },
  });
  add(`${MODULE_PARAMETERS}/auto_movable_numa_aware`, {
    show: () => yn(mm.autoMovableNumaAware),
    store: (value) => {
      mm.autoMovableNumaAware = parseBool(value, "auto_movable_numa_aware");
    },
  });
  added.push("/sys/module/memory_hotplug");
  return added;
}
