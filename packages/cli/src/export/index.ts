/**
 * `dcd sysfs export DIR [--host NAME]`. The CLI core engineer's `sysfs` command owns cat/write/ls;
 * `registerExportCommand(program, ctx)` adds `export` to the existing `sysfs` command (or creates
 * it when absent), so wiring is one call after `sysfs` is registered.
 */
import { type Command } from "commander";
import { type CommandContext } from "../commands/context.js";
import { exportSysfs } from "./sysfs-export.js";

export { exportSysfs, exportTree, type ExportResult } from "./sysfs-export.js";

export function registerExportCommand(program: Command, ctx: CommandContext): Command {
  const sysfs = program.commands.find((c) => c.name() === "sysfs") ?? program.command("sysfs").description("the host's sysfs tree");
  return sysfs
    .command("export")
    .description("write the host's /sys tree and /dev nodes to DIR (for real ndctl in a mount namespace)")
    .argument("<dir>")
    .option("--host <name>", "the host to export (default: the --host / first host)")
    .action(async (dir: string, o: { host?: string }) => {
      const host = o.host === undefined ? await ctx.host() : (await ctx.system()).host(o.host).host;
      const r = exportSysfs(host, dir);
      ctx.io.err(`exported ${r.dirs} directories, ${r.files} files, ${r.links} links, ${r.devNodes.length} device nodes to ${dir}\n`);
    });
}
