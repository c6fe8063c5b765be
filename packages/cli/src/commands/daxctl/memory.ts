/**
 * Memory of system-ram devices (ndctl daxctl/device.c `dev_online_memory`, `dev_offline_memory`,
 * `cmd_online_memory`, `cmd_offline_memory`): blocks go on- and offline one by one through
 * `/sys/devices/system/node/node<target_node>/memoryN/state`, as libdaxctl does.
 */
import { errno, type Host } from "@dcd/core";
import { type Io } from "../context.js";
import { errText, exitOf, plural, splitArgs, USAGE_EXIT } from "../cxl/ndctl-cli.js";
import { type DaxDevInfo, LibDaxctl, type MemblockEntry } from "./libdaxctl.js";
import { devMatches, regionMatches } from "./list.js";

export function current(host: Host, name: string): DaxDevInfo {
  const d = new LibDaxctl(host.sysfs).device(name);
  if (d === undefined) throw errno("ENXIO", `${name}: gone`);
  return d;
}

const raceWarning = (name: string): string =>
  `${name}:\n  WARNING: detected a race while onlining memory\n  Some memory may not be in the expected zone. It is\n  recommended to disable any other onlining mechanisms,\n  and retry. If onlining is to be left to other agents,\n  use the --no-online option to suppress this warning\n`;

/** `dev_online_memory`. */
export async function onlineMemory(host: Host, io: Io, name: string, noMovable: boolean): Promise<number> {
  const lib = new LibDaxctl(host.sysfs);
  const blocks = memblocksOf(lib, host, io, name);
  if (blocks.some((b) => b.online)) io.err(raceWarning(name));
  // No zone check after onlining (ndctl's -EBUSY race): the model's state store onlines each block synchronously under the hotplug lock, in the zone the write names.
  return moveBlocks(lib, host, io, name, blocks, "online", noMovable ? "online" : "online_movable");
}

/** `dev_offline_memory`. */
export async function offlineMemory(host: Host, io: Io, name: string): Promise<number> {
  const lib = new LibDaxctl(host.sysfs);
  return moveBlocks(lib, host, io, name, memblocksOf(lib, host, io, name), "offline", "offline");
}

/** The device's memory blocks, looked up afresh: a bind or unbind may have just changed them. */
function memblocksOf(lib: LibDaxctl, host: Host, io: Io, name: string): readonly MemblockEntry[] {
  const blocks = lib.memblockList(current(host, name));
  if (blocks === undefined) {
    io.err(`${name}: failed to get the memory object\n`);
    throw errno("ENXIO", `${name}: no memory object`);
  }
  return blocks;
}

/**
 * Write `state` to each block not yet `to`, as libdaxctl does one block at a time, then read the
 * blocks back: rc 1 when all were already `to`, else 0 or ENXIO for any left behind.
 */
async function moveBlocks(lib: LibDaxctl, host: Host, io: Io, name: string, blocks: readonly MemblockEntry[], to: "online" | "offline", state: string): Promise<number> {
  const done = (b: MemblockEntry): boolean => b.online === (to === "online");
  const total = blocks.length;
  const already = blocks.filter(done).length;
  if (already === total) {
    io.err(`${name}: all memory sections (${total}) already ${to}\n`);
    return 1;
  }
  if (already > 0) io.err(`${name}: ${plural(already, "memory section")} already ${to}\n`);
  for (const b of blocks) {
    if (done(b)) continue;
    try {
      await host.sysfs.writeAsync(b.statePath, state);
    } catch (e) {
      io.err(`${name}: failed to ${to} memory: ${errText(e)}\n`);
      throw e;
    }
  }
  const left = (lib.memblockList(current(host, name)) ?? []).filter((b) => !done(b)).length;
  if (left > 0) {
    io.err(`${name}: failed to ${to} ${left} memory sections\n`);
    throw errno("ENXIO", `${name}: ${left} sections still ${to === "online" ? "offline" : "online"}`);
  }
  return 0;
}

export interface MemoryActionOptions {
  readonly region?: string | undefined;
  /** false for `--no-movable`. */
  readonly movable?: boolean | undefined;
}

/**
 * `daxctl online-memory | offline-memory DEV...`. A device counts as done only when its memory
 * changed (rc 0); "already online/offline" (rc 1) is printed but not counted, and is the exit status.
 */
export async function memoryActionCmd(host: Host, io: Io, action: "online" | "offline", args: readonly string[], o: MemoryActionOptions): Promise<number> {
  const names = splitArgs(args);
  const usage = `\n usage: daxctl ${action}-memory <device> [<options>]\n\n`;
  if (names.length === 0) {
    io.err(`specify a device to ${action} memory for, or "all"\n${usage}`);
    return USAGE_EXIT;
  }
  const lib = new LibDaxctl(host.sysfs);
  const targets = lib.regions().filter((r) => regionMatches(r, o.region)).flatMap((r) => r.devices.filter((d) => names.some((n) => devMatches(d, n))));
  let rc: unknown = errno("ENXIO", `no device matches ${names.join(" ")}`);
  let done = 0;
  for (const d of targets) {
    try {
      if (d.mode !== "system-ram") {
        io.err(`${d.name}: memory operations are not applicable in devdax mode\n`);
        throw errno("ENXIO", `${d.name} is in devdax mode`);
      }
      rc = action === "online" ? await onlineMemory(host, io, d.name, o.movable === false) : await offlineMemory(host, io, d.name);
      if (rc === 0) done++;
    } catch (e) {
      rc = e;
    }
  }
  if (typeof rc !== "number") io.err(`error ${action === "online" ? "onlining" : "offlining"} memory: ${errText(rc)}\n`);
  io.err(`${action === "online" ? "onlined" : "offlined"} memory for ${plural(done, "device")}\n`);
  return typeof rc === "number" ? rc : exitOf(rc);
}
