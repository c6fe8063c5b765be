/**
 * `daxctl create-device | destroy-device | disable-device | enable-device | reconfigure-device`
 * (ndctl daxctl/device.c): the sysfs writes libdaxctl makes —
 * create: `dax_region/create` ← 1, then the new seed's `uuid` (claim by tag, DCD) or `size`, then
 * bind to `device_dax`; destroy: `size` ← 0, `dax_region/delete` ← name; disable: the bound
 * driver's `unbind`; enable / reconfigure: bind to `device_dax` or `kmem`. Messages are daxctl's
 * (`created 1 device` on stderr, the device JSON array on stdout).
 */
import { errno, type Host } from "@dcd/core";
import { type Io } from "../context.js";
import { toJsonString, type JArray } from "../cxl/json-c.js";
import { errText, exitOf, parseSize64, splitArgs, USAGE_EXIT } from "../cxl/ndctl-cli.js";
import { type DaxDevInfo, LibDaxctl } from "./libdaxctl.js";
import { daxDevJson, devMatches, regionMatches } from "./list.js";
import { reconfigureDevice } from "./reconfigure.js";
import { settleHost as settle } from "../settle.js";

const DAX = "/sys/bus/dax";


function write(host: Host, path: string, value: string): void {
  host.sysfs.write(path, value);
}

function print(io: Io, lib: LibDaxctl, names: readonly string[], human: boolean): void {
  const devs = names.map((n) => lib.device(n)).filter((d): d is DaxDevInfo => d !== undefined);
  if (devs.length === 0) return;
  const arr: JArray = devs.map((d) => daxDevJson(lib, d, { human }));
  io.out((arr.length === 1 && human ? toJsonString(arr[0] as JArray[number]) : toJsonString(arr)) + "\n");
}

const plural = (verb: string, n: number): string => `${verb} ${n} device${n === 1 ? "" : "s"}\n`;

export interface CreateDeviceOptions {
  readonly region?: string | undefined;
  readonly size?: string | undefined;
  readonly uuid?: string | undefined;
  readonly align?: string | undefined;
  readonly human?: boolean | undefined;
}

/** `daxctl create-device`. */
export async function createDeviceCmd(host: Host, io: Io, o: CreateDeviceOptions): Promise<number> {
  const lib = new LibDaxctl(host.sysfs);
  if (o.uuid !== undefined && o.size !== undefined) {
    io.err("  Error: --uuid and --size are mutually exclusive\n");
    io.err(plural("created", 0));
    return 1;
  }
  const region = lib.regions().find((r) => regionMatches(r, o.region ?? "all"));
  if (region === undefined) {
    io.err(`daxctl: cmd_create_device: no dax region found${o.region === undefined ? "" : ` for ${o.region}`}\n`);
    io.err(plural("created", 0));
    return 1;
  }
  let size: bigint | undefined;
  if (o.size !== undefined) {
    size = parseSize64(o.size);
    if (size === undefined) {
      io.err(`  Error: invalid size: ${o.size}\n`);
      io.err(plural("created", 0));
      return 1;
    }
  }
  const regionDir = `${region.path}/dax_region`;
  try {
    write(host, `${regionDir}/create`, "1");
    await settle(host);
    const seed = host.sysfs.read(`${regionDir}/seed`).trim();
    const dev = `${region.path}/${seed}`;
    if (o.align !== undefined) write(host, `${dev}/align`, o.align);
    if (o.uuid !== undefined) write(host, `${dev}/uuid`, o.uuid);
    else write(host, `${dev}/size`, String(size ?? new LibDaxctl(host.sysfs).regions().find((r) => r.path === region.path)?.availableSize ?? 0n));
    await settle(host);
    write(host, `${DAX}/drivers/device_dax/bind`, seed);
    await settle(host);
    print(io, new LibDaxctl(host.sysfs), [seed], o.human === true);
    io.err(plural("created", 1));
    return 0;
  } catch (e) {
    io.err(`error creating devices: ${errText(e)}\n`);
    io.err(plural("created", 0));
    return exitOf(e);
  }
}

type Action = "destroy" | "disable" | "enable" | "reconfigure";

export interface DeviceActionOptions {
  readonly region?: string | undefined;
  readonly force?: boolean | undefined;
  readonly mode?: string | undefined;
  readonly human?: boolean | undefined;
  /** false for `--no-online`. */
  readonly online?: boolean | undefined;
  /** false for `--no-movable`. */
  readonly movable?: boolean | undefined;
}

/** `daxctl {destroy,disable,enable,reconfigure}-device DEV...`. */
export async function deviceActionCmd(host: Host, io: Io, action: Action, args: readonly string[], o: DeviceActionOptions): Promise<number> {
  const verb = { destroy: "destroyed", disable: "disabled", enable: "enabled", reconfigure: "reconfigured" }[action];
  const names = splitArgs(args);
  const usage = `\n usage: daxctl ${action}-device <device>${action === "reconfigure" ? " [<options>]" : ""}\n\n`;
  if (names.length === 0) {
    io.err(`specify a device to ${action}, or "all"\n${usage}`);
    return USAGE_EXIT;
  }
  if (action === "reconfigure" && o.mode === undefined) {
    io.err(`error: a 'align', 'mode' or 'size' option is required\n${usage}`);
    return USAGE_EXIT;
  }
  if (action === "reconfigure" && o.mode !== "system-ram" && o.mode !== "devdax") {
    io.err(`error: invalid mode '${o.mode ?? ""}'\n${usage}`);
    return USAGE_EXIT;
  }
  if (action === "reconfigure" && o.mode === "devdax" && o.online === false) {
    io.err(`--no-online is incompatible with --mode=devdax\n${usage}`);
    return USAGE_EXIT;
  }
  const gerund = { destroy: "destroying", disable: "disabling", enable: "enabling", reconfigure: "reconfiguring" }[action];
  const lib = new LibDaxctl(host.sysfs);
  const targets = lib.regions().filter((r) => regionMatches(r, o.region)).flatMap((r) => r.devices.filter((d) => names.some((n) => devMatches(d, n))));
  let done = 0;
  let rc = 0;
  let lastErr: unknown;
  const reconfigured: string[] = [];
  for (const d of targets) {
    try {
      const unbind = async (): Promise<void> => {
        if (!d.enabled) return;
        const drv = d.driver ?? "device_dax";
        write(host, `${DAX}/drivers/${drv}/unbind`, d.name);
        await settle(host);
      };
      if (action === "destroy") {
        if (d.enabled && o.force !== true) {
          io.err(`${d.name}: is active, specify --force for deletion\n`);
          lastErr = errno("EBUSY", `${d.name} is active`);
          continue;
        }
        await unbind();
        if (d.size !== 0n) write(host, `${d.path}/size`, "0");
        write(host, `${posixDir(d.path)}/dax_region/delete`, d.name);
        await settle(host);
      } else if (action === "disable") {
        await unbind();
      } else if (action === "enable") {
        if (!d.enabled) {
          write(host, `${DAX}/drivers/device_dax/bind`, d.name);
          await settle(host);
          if (new LibDaxctl(host.sysfs).device(d.name)?.enabled !== true) throw errno("ENXIO", `${d.name}: device_dax did not bind`);
        }
      } else {
        await reconfigureDevice(host, io, d, o.mode === "system-ram" ? "system-ram" : "devdax", { force: o.force === true, noOnline: o.online === false, noMovable: o.movable === false });
        reconfigured.push(d.name);
      }
      done++;
    } catch (e) {
      lastErr = e;
    }
  }
  if (targets.length === 0) lastErr = errno("ENXIO", `no device matches ${names.join(" ")}`);
  if (lastErr !== undefined) {
    io.err(`error ${gerund} devices: ${errText(lastErr)}\n`);
    rc = exitOf(lastErr);
  }
  if (action === "reconfigure") print(io, new LibDaxctl(host.sysfs), reconfigured, o.human === true);
  io.err(plural(verb, done));
  return rc;
}

function posixDir(p: string): string {
  return p.slice(0, p.lastIndexOf("/"));
}
