/**
 * `daxctl reconfigure-device --mode=system-ram|devdax` for one device (ndctl daxctl/device.c
 * `reconfig_mode_system_ram`, `reconfig_mode_devdax`, `dev_online_memory`, `dev_offline_memory`),
 * with daxctl's messages. Memory goes on- and offline through `memory.ts`.
 */
import { errno, type Host } from "@dcd/core";
import { type Io } from "../context.js";
import { errText, plural } from "../cxl/ndctl-cli.js";
import { type DaxDevInfo, LibDaxctl } from "./libdaxctl.js";
import { settleHost as settle } from "../settle.js";
import { current, offlineMemory, onlineMemory } from "./memory.js";

const DAX = "/sys/bus/dax";

export interface ReconfigureFlags {
  readonly force: boolean;
  /** `--no-online`. */
  readonly noOnline: boolean;
  /** `--no-movable`: online into ZONE_NORMAL (writes `online`, not `online_movable`). */
  readonly noMovable: boolean;
}

/**
 * Reconfigure `d` into `mode`, or throw the DcdError daxctl would return (negative errno). "Nothing
 * to do" (daxctl's rc 1) still counts as reconfigured, so it is not passed on.
 */
export async function reconfigureDevice(host: Host, io: Io, d: DaxDevInfo, mode: "system-ram" | "devdax", flags: ReconfigureFlags): Promise<void> {
  return mode === "system-ram" ? toSystemRam(host, io, d, flags) : toDevdax(host, io, d, flags);
}

async function toSystemRam(host: Host, io: Io, d: DaxDevInfo, flags: ReconfigureFlags): Promise<void> {
  // daxctl's own condition: it also checks when it will online movable memory itself.
  if ((flags.noOnline || !flags.noMovable) && !flags.force && new LibDaxctl(host.sysfs).willAutoOnlineMemory()) {
    io.err(`${d.name}: error: kernel policy will auto-online memory, aborting\n`);
    throw errno("EBUSY", `${d.name}: kernel policy will auto-online memory`);
  }
  let skipEnable = false;
  if (d.enabled) {
    if (d.mode === "system-ram") {
      io.err(`${d.name} was already in system-ram mode\n`);
      skipEnable = true;
    } else await disable(host, io, d);
  }
  if (!skipEnable) {
    // As libdaxctl: the bind's own errno is not looked at, only whether the driver is there after.
    host.sysfs.write(`${DAX}/drivers/kmem/bind`, d.name);
    await settle(host);
    if (new LibDaxctl(host.sysfs).device(d.name)?.driver !== "kmem") throw errno("ENXIO", `${d.name}: kmem did not bind`);
  }
  if (!flags.noOnline) await onlineMemory(host, io, d.name, flags.noMovable);
}

async function toDevdax(host: Host, io: Io, d: DaxDevInfo, flags: ReconfigureFlags): Promise<void> {
  if (d.enabled) {
    if (d.mode !== "system-ram") {
      io.err(`${d.name} was already in devdax mode\n`);
      return;
    }
    if (flags.force) await offlineMemory(host, io, d.name);
    const online = new LibDaxctl(host.sysfs).memblocks(current(host, d.name))?.online ?? 0;
    // daxctl says why only with --verbose.
    if (online > 0) throw errno("EBUSY", `${d.name}: ${plural(online, "memory section")} online`);
    await disable(host, io, d);
  }
  host.sysfs.write(`${DAX}/drivers/device_dax/bind`, d.name);
  await settle(host);
  if (new LibDaxctl(host.sysfs).device(d.name)?.driver !== "device_dax") throw errno("ENXIO", `${d.name}: device_dax did not bind`);
}

async function disable(host: Host, io: Io, d: DaxDevInfo): Promise<void> {
  try {
    await host.sysfs.writeAsync(`${DAX}/drivers/${d.driver ?? "device_dax"}/unbind`, d.name);
    await settle(host);
  } catch (e) {
    io.err(`${d.name}: disable failed: ${errText(e)}\n`);
    throw e;
  }
}
