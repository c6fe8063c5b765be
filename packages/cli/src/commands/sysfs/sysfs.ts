/**
 * `dcd sysfs cat|write|ls PATH`: the host's sysfs as a shell sees it. `write` has `echo VALUE >
 * PATH` semantics (a trailing newline is sent; `-n` omits it); a refused store prints
 * `write error: <strerror>` (bash's wording) and exits 1, leaving every attribute as it was.
 */
import { type Command } from "commander";
import { DcdError, strerror } from "@dcd/core";
import { type CommandContext } from "../context.js";
import { settleHost } from "../settle.js";

function describe(err: unknown): string {
  if (err instanceof DcdError) {
    try {
      return strerror(err.code);
    } catch {
      return err.code;
    }
  }
  return err instanceof Error ? err.message : String(err);
}

export function registerSysfsCommands(program: Command, ctx: CommandContext): void {
  const sysfs = program.command("sysfs").description("read, write and list the host's sysfs (like cat, echo >, ls)");
  sysfs
    .command("cat")
    .description("print attribute values (cat PATH...)")
    .argument("<path...>", "sysfs paths")
    .action(async (paths: string[]) => {
      const host = await ctx.host();
      for (const path of paths) {
        try {
          ctx.io.out(host.sysfs.read(path));
        } catch (err) {
          ctx.io.err(`cat: ${path}: ${describe(err)}\n`);
          ctx.setExitCode(1);
        }
      }
    });
  sysfs
    .command("write")
    .description("store a value (echo VALUE > PATH)")
    .argument("<path>", "sysfs attribute")
    .argument("<value>", "value to store")
    .option("-n", "do not append a newline (echo -n)")
    .option("-v, --verbose", "on failure also print the kernel's reason")
    .action(async (path: string, value: string, opts: { n?: boolean; verbose?: boolean }) => {
      const host = await ctx.host();
      try {
        await host.sysfs.writeAsync(path, opts.n ? value : `${value}\n`);
        // As the other commands: a store may set off extent work besides probes (a release, a drain).
        await settleHost(host);
      } catch (err) {
        ctx.io.err(`write error: ${describe(err)}\n`);
        if (opts.verbose && err instanceof Error) ctx.io.err(`${err.message}\n`);
        ctx.setExitCode(1);
      }
    });
  sysfs
    .command("ls")
    .description("list a directory (ls PATH); -l shows links and their targets")
    .argument("[path]", "sysfs directory", "/sys")
    .option("-l", "long listing: type, and the target of links")
    .action(async (path: string, opts: { l?: boolean }) => {
      const host = await ctx.host();
      try {
        const names = host.sysfs.list(path);
        for (const name of names) {
          if (!opts.l) {
            ctx.io.out(`${name}\n`);
            continue;
          }
          const full = `${path.replace(/\/+$/, "")}/${name}`;
          const st = host.sysfs.lstat(full);
          if (st?.type === "link") ctx.io.out(`l ${name} -> ${host.sysfs.readlink(full)}\n`);
          else ctx.io.out(`${st?.type === "dir" ? "d" : "-"} ${name}\n`);
        }
      } catch (err) {
        ctx.io.err(`ls: cannot access '${path}': ${describe(err)}\n`);
        ctx.setExitCode(2);
      }
    });
}
