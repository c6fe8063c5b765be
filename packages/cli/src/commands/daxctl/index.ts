/**
 * `dcd daxctl …`: daxctl-compatible commands (ndctl daxctl/) against the `--host` host, reading
 * and writing its sysfs tree as libdaxctl does.
 */
import { type Command } from "commander";
import { type CommandContext } from "../context.js";
import { ndctlParseErrors } from "../cxl/ndctl-cli.js";
import { createDeviceCmd, deviceActionCmd } from "./device.js";
import { daxctlList } from "./list.js";
import { memoryActionCmd } from "./memory.js";

export { daxctlList, type DaxctlListParams } from "./list.js";
export { LibDaxctl } from "./libdaxctl.js";

export function registerDaxctlCommands(program: Command, ctx: CommandContext): Command {
  const { io } = ctx;
  const daxctl = program.command("daxctl").description("daxctl compatible commands (ndctl)");
  const sub = (name: string, usage: string): Command => ndctlParseErrors(daxctl.command(name), io, usage, (c) => { ctx.setExitCode(c); });

  sub("list", "daxctl list [<options>]")
    .description("List dax regions and devices as daxctl prints them")
    .option("-r, --region <region-id>", "filter by region")
    .option("-d, --dev <dev-name>", "filter by dax device instance name")
    .option("-D, --devices", "include dax device info")
    .option("-R, --regions", "include dax region info")
    .option("-M, --mappings", "include dax mappings info")
    .option("-i, --idle", "include idle devices")
    .option("-u, --human", "use human friendly number formats")
    .action(async (o: { region?: string; dev?: string; devices?: boolean; regions?: boolean; mappings?: boolean; idle?: boolean; human?: boolean }) => {
      const host = await ctx.host();
      const { out, err } = daxctlList(host.sysfs, { region: o.region, dev: o.dev, devices: o.devices === true, regions: o.regions === true, mappings: o.mappings === true, idle: o.idle === true, human: o.human === true });
      io.out(out);
      io.err(err);
    });

  sub("create-device", "daxctl create-device [<options>]")
    .description("Create a dax device (claim by --uuid on a DC region)")
    .option("-r, --region <region-id>", "filter by region")
    .option("-s, --size <size>", "size to allocate")
    .option("-a, --align <align>", "desired alignment")
    .option("--uuid <uuid>", "claim the extent group tagged UUID ('0': one untagged extent)")
    .option("-u, --human", "use human friendly number formats")
    .action(async (o: { region?: string; size?: string; align?: string; uuid?: string; human?: boolean }) => {
      const host = await ctx.host();
      ctx.setExitCode(await createDeviceCmd(host, io, o));
    });

  for (const action of ["destroy", "disable", "enable", "reconfigure"] as const) {
    const c = sub(`${action}-device`, `daxctl ${action}-device <dax0.0> [<options>]`)
      .description(`${action} dax device(s)`)
      .argument("[devices...]")
      .option("-r, --region <region-id>", "filter by region")
      .option("-u, --human", "use human friendly number formats");
    if (action === "destroy" || action === "reconfigure") c.option("-f, --force", action === "destroy" ? "attempt to disable before destroying device" : "attempt to offline memory sections before reconfiguration");
    if (action === "reconfigure") {
      c.option("-m, --mode <mode>", "mode to switch the device to: 'system-ram' or 'devdax'")
        .option("-N, --no-online", "don't auto-online memory sections")
        .option("--no-movable", "online memory in ZONE_NORMAL");
    }
    c.action(async (args: string[], o: { region?: string; force?: boolean; mode?: string; human?: boolean; online?: boolean; movable?: boolean }) => {
      const host = await ctx.host();
      ctx.setExitCode(await deviceActionCmd(host, io, action, args, o));
    });
  }
  for (const action of ["online", "offline"] as const) {
    const c = sub(`${action}-memory`, `daxctl ${action}-memory <device> [<options>]`)
      .description(`${action} the memory of system-ram dax device(s)`)
      .argument("[devices...]")
      .option("-r, --region <region-id>", "filter by region")
      .option("-u, --human", "use human friendly number formats");
    if (action === "online") c.option("--no-movable", "online memory in ZONE_NORMAL");
    c.action(async (args: string[], o: { region?: string; movable?: boolean }) => {
      const host = await ctx.host();
      ctx.setExitCode(await memoryActionCmd(host, io, action, args, o));
    });
  }
  return daxctl;
}
