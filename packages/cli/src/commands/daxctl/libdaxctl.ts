/**
 * The part of libdaxctl `daxctl list` needs, over a sysfs view (shared/reference/real-ndctl.md):
 * regions are found only through their devices (`dirname(realpath(/sys/bus/dax/devices/daxX.Y))`),
 * a device's mode is `system-ram` when `realpath(driver)` ends in `kmem`, memory blocks are counted
 * from `/sys/devices/system/node/node<target_node>/memoryN` with `phys_index` × `block_size_bytes`.
 */
import { posix } from "node:path";
import { readAttr, strtoull, type SysfsView } from "../cxl/libcxl.js";

const DAX_DEVICES = "/sys/bus/dax/devices";

export interface DaxMappingInfo {
  readonly start: bigint;
  readonly end: bigint;
  readonly pageOffset: bigint;
}

export interface DaxDevInfo {
  readonly name: string;
  readonly regionId: number;
  readonly id: number;
  readonly path: string;
  readonly size: bigint;
  readonly align: bigint | undefined;
  readonly targetNode: number | undefined;
  readonly resource: bigint | undefined;
  readonly driver: string | undefined;
  readonly enabled: boolean;
  readonly mode: "system-ram" | "devdax";
  readonly mappings: readonly DaxMappingInfo[];
}

export interface DaxRegionInfo {
  readonly id: number;
  readonly path: string;
  /** The path daxctl prints: the region's realpath below /sys/devices. */
  readonly devpath: string;
  readonly size: bigint | undefined;
  readonly availableSize: bigint | undefined;
  readonly align: bigint | undefined;
  readonly seed: string | undefined;
  readonly devices: DaxDevInfo[];
}

export interface MemblockInfo {
  readonly online: number;
  readonly total: number;
  /** true: every block's valid_zones is Movable; undefined when unknown. */
  readonly movable: boolean | undefined;
}

/** One memory block of a system-ram device. */
export interface MemblockEntry {
  /** `memoryN`. */
  readonly name: string;
  readonly statePath: string;
  readonly online: boolean;
  readonly zones: string | undefined;
}

export class LibDaxctl {
  constructor(readonly fs: SysfsView) {}

  private attr(p: string): string | undefined {
    return readAttr(this.fs, p);
  }

  private exists(p: string): boolean {
    try {
      return this.fs.exists(p);
    } catch {
      return false;
    }
  }

  regions(): DaxRegionInfo[] {
    let names: string[];
    try {
      names = this.fs.list(DAX_DEVICES).filter((n) => /^dax\d+\.\d+$/.test(n));
    } catch {
      return [];
    }
    const byPath = new Map<string, DaxRegionInfo>();
    for (const name of names) {
      const [, r, d] = /^dax(\d+)\.(\d+)$/.exec(name) ?? [];
      const path = this.fs.realpath(`${DAX_DEVICES}/${name}`);
      const regionPath = posix.dirname(path);
      if (!regionPath.startsWith("/sys/devices")) continue;
      let region = byPath.get(regionPath);
      if (region === undefined) {
        const id = this.attr(`${regionPath}/dax_region/id`);
        region = {
          id: id === undefined ? Number(r) : Number(id),
          path: regionPath,
          devpath: regionPath.slice("/sys/devices".length),
          size: strtoull(this.attr(`${regionPath}/dax_region/size`)),
          availableSize: strtoull(this.attr(`${regionPath}/dax_region/available_size`)),
          align: strtoull(this.attr(`${regionPath}/dax_region/align`)),
          seed: this.attr(`${regionPath}/dax_region/seed`),
          devices: [],
        };
        byPath.set(regionPath, region);
      }
      const size = strtoull(this.attr(`${path}/size`));
      if (size === undefined) continue; // add_dev() failed
      const driverLink = `${path}/driver`;
      const enabled = this.fs.lstat(driverLink)?.type === "link";
      const driver = enabled && this.exists(driverLink) ? posix.basename(this.fs.realpath(driverLink)) : undefined;
      const tn = this.attr(`${path}/target_node`);
      const mappings: DaxMappingInfo[] = [];
      for (let i = 0; this.exists(`${path}/mapping${i}`); i++) {
        mappings.push({ start: strtoull(this.attr(`${path}/mapping${i}/start`)) ?? 0n, end: strtoull(this.attr(`${path}/mapping${i}/end`)) ?? 0n, pageOffset: strtoull(this.attr(`${path}/mapping${i}/page_offset`)) ?? 0n });
      }
      region.devices.push({
        name,
        regionId: Number(r),
        id: Number(d),
        path,
        size,
        align: strtoull(this.attr(`${path}/align`)),
        targetNode: tn === undefined ? undefined : Number.parseInt(tn, 10),
        resource: strtoull(this.attr(`${path}/resource`)),
        driver,
        enabled,
        mode: driver === "kmem" ? "system-ram" : "devdax",
        mappings,
      });
    }
    const out = [...byPath.values()].sort((a, b) => a.id - b.id);
    for (const r of out) r.devices.sort((a, b) => a.id - b.id);
    return out;
  }

  devices(): DaxDevInfo[] {
    return this.regions().flatMap((r) => r.devices);
  }

  device(name: string): DaxDevInfo | undefined {
    return this.devices().find((d) => d.name === name);
  }

  /**
   * The memory blocks of a system-ram device (`daxctl_memory_op` over
   * `/sys/devices/system/node/node<target_node>/memoryN`): blocks whose start lies in
   * [resource, resource + size). Undefined when the memory subsystem is not there.
   */
  memblockList(dev: DaxDevInfo): MemblockEntry[] | undefined {
    const bs = this.attr("/sys/devices/system/memory/block_size_bytes");
    if (bs === undefined || dev.resource === undefined || dev.targetNode === undefined) return undefined;
    const block = BigInt(`0x${bs.trim()}`);
    if (block === 0n) return undefined;
    const nodeDir = `/sys/devices/system/node/node${dev.targetNode}`;
    let names: string[];
    try {
      names = this.fs.list(nodeDir).filter((n) => /^memory\d+$/.test(n));
    } catch {
      return undefined;
    }
    const out: MemblockEntry[] = [];
    const end = dev.resource + dev.size;
    for (const n of names) {
      const pi = this.attr(`${nodeDir}/${n}/phys_index`);
      if (pi === undefined) continue;
      const start = BigInt(`0x${pi.trim() || "0"}`) * block;
      if (start < dev.resource || start + block > end) continue;
      out.push({ name: n, statePath: `${nodeDir}/${n}/state`, online: this.attr(`${nodeDir}/${n}/state`) === "online", zones: this.attr(`${nodeDir}/${n}/valid_zones`) });
    }
    return out;
  }

  /** daxctl_memory_{num_sections,online_count}, daxctl_memory_is_movable. */
  memblocks(dev: DaxDevInfo): MemblockInfo | undefined {
    const list = this.memblockList(dev);
    if (list === undefined) return undefined;
    let online = 0;
    let movable: boolean | undefined;
    for (const b of list) {
      if (b.online) online++;
      if (b.zones !== undefined) movable = (movable ?? true) && b.zones === "Movable";
    }
    return { online, total: list.length, movable };
  }

  /** `daxctl_dev_will_auto_online_memory`: `auto_online_blocks` starts with "online". */
  willAutoOnlineMemory(): boolean {
    return this.attr("/sys/devices/system/memory/auto_online_blocks")?.startsWith("online") ?? false;
  }
}
