/**
 * `dcd dmesg [-l LEVELS] [-t]`: the host's kernel log (`KERNEL_LOG`, what `dev_err`/`dev_warn`/
 * `dev_info`/`dev_dbg` printed), one line per record as util-linux dmesg prints it:
 * `[    1.234567] device: message`, the time being the simulated clock's when the line was printed.
 * `dev_dbg` lines only reach the log buffer with dynamic debug on, so they are left out unless
 * `--level` names `debug`.
 */
import { type Command } from "commander";
import { errno, type Host, KERNEL_LOG, type KernelLogEntry, type KernelLogLevel } from "@dcd/core";
import { type CommandContext } from "../context.js";

/** dmesg's level names, and the kernel log level each one selects (none: the model never prints it). */
const LEVELS: Readonly<Record<string, KernelLogLevel | undefined>> = {
  emerg: undefined,
  alert: undefined,
  crit: undefined,
  err: "err",
  warn: "warn",
  notice: undefined,
  info: "info",
  debug: "debug",
};

const DEFAULT_LEVELS: readonly KernelLogLevel[] = ["err", "warn", "info"];

/** `--level err,warn`: the selected levels; EINVAL naming an unknown one (dmesg's wording). */
export function parseLevels(list: string): Set<KernelLogLevel> {
  const out = new Set<KernelLogLevel>();
  for (const name of list.split(",")) {
    if (!Object.hasOwn(LEVELS, name)) throw errno("EINVAL", `unknown level '${name}'`);
    const level = LEVELS[name];
    if (level !== undefined) out.add(level);
  }
  return out;
}

/** printk's `[%5lu.%06lu] ` prefix for a time in milliseconds. */
export function dmesgTimestamp(atMs: number): string {
  const usec = Math.floor(atMs * 1000);
  const sec = Math.floor(usec / 1_000_000);
  return `[${String(sec).padStart(5)}.${String(usec % 1_000_000).padStart(6, "0")}]`;
}

/**
 * The lines `dmesg` prints for `records`, each ending in a newline, stamped with the time each
 * entry carries (0 for a line printed without a clock, as printk before its clock source).
 */
export function formatDmesg(records: readonly KernelLogEntry[], options: { readonly levels?: ReadonlySet<KernelLogLevel>; readonly notime?: boolean } = {}): string {
  const levels = options.levels ?? new Set(DEFAULT_LEVELS);
  return records
    .filter((r) => levels.has(r.level))
    .map((r) => {
      const text = r.device === "" ? r.message : `${r.device}: ${r.message}`;
      return options.notime === true ? `${text}\n` : `${dmesgTimestamp(r.atMs ?? 0)} ${text}\n`;
    })
    .join("");
}

export function registerDmesgCommand(program: Command, ctx: CommandContext): void {
  program
    .command("dmesg")
    .description("print the host's kernel log ([seconds.micros] device: message, simulated time)")
    .option("-l, --level <list>", "only these levels (comma-separated: emerg,alert,crit,err,warn,notice,info,debug); default err,warn,info")
    .option("-t, --notime", "do not print timestamps")
    .action(async (opts: { level?: string; notime?: boolean }) => {
      const levels = opts.level === undefined ? undefined : parseLevels(opts.level);
      const host = await ctx.host();
      ctx.io.out(formatDmesg(kernelLogEntries(host), { ...(levels === undefined ? {} : { levels }), notime: opts.notime === true }));
    });
}

/** The host's kernel log, oldest first; ENODEV when the host has none (no CXL core loaded). */
function kernelLogEntries(host: Host): readonly KernelLogEntry[] {
  if (!host.container.isRegistered(KERNEL_LOG, true)) throw errno("ENODEV", `host ${host.name} has no kernel log (the CXL core is not loaded)`);
  return host.container.resolve(KERNEL_LOG).entries();
}
