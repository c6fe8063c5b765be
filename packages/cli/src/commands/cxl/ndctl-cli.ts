/**
 * What the `cxl` and `daxctl` subcommands share: ndctl's parse-options error texts
 * (`  Error: unknown option \`foo'` + usage, exit 129), `parse_size64`, strerror texts and the
 * `log_err`/`log_info` line format (`cxl region: cmd_create_region: created 1 region`).
 */
import { type Command, CommanderError } from "commander";
import { type ErrnoCode, isDcdError, strerror } from "@dcd/core";
import { type Io } from "../context.js";

/** parse-options' exit status for a usage error. */
export const USAGE_EXIT = 129;

/**
 * Make `cmd` report parse errors as ndctl's parse-options does and not exit: `setExitCode` gets
 * 129 and the command's action does not run.
 */
export function ndctlParseErrors(cmd: Command, io: Io, usage: string, setExitCode: (code: number) => void): Command {
  return cmd
    .exitOverride((err: CommanderError) => {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.help" || err.code === "commander.version") throw err;
      setExitCode(USAGE_EXIT);
      throw new CommanderError(USAGE_EXIT, err.code, err.message);
    })
    .configureOutput({
      writeOut: (t) => { io.out(t); },
      writeErr: (t) => { io.err(t); },
      outputError: (text, write) => {
        write(`${translate(text)}\n usage: ${usage}\n\n`);
      },
    })
    .showHelpAfterError(false);
}

function translate(text: string): string {
  const t = text.trim();
  let m = /unknown option '--([^']+)'/.exec(t);
  if (m !== null) return `  Error: unknown option \`${m[1] ?? ""}'\n`;
  m = /unknown option '-([^'])'?/.exec(t);
  if (m !== null) return `  Error: unknown switch \`${m[1] ?? ""}'\n`;
  m = /option '(?:-(\w), )?--([\w-]+)[^']*' argument missing/.exec(t);
  if (m !== null) return m[1] !== undefined ? `  Error: switch \`${m[1]}' requires a value\n` : `  Error: option \`${m[2] ?? ""}' requires a value\n`;
  m = /too many arguments/.exec(t);
  if (m !== null) return `  Error: too many arguments\n`;
  return `  Error: ${t.replace(/^error: /, "")}\n`;
}

/** ndctl util/size.c `parse_size64`: a number (0x / octal / decimal) with an optional K/M/G/T/P/E suffix. */
export function parseSize64(text: string): bigint | undefined {
  const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)([kKmMgGtTpPeE]?)$/.exec(text.trim());
  if (m === null) return undefined;
  const digits = m[1] ?? "0";
  const n = digits.startsWith("0x") || digits.startsWith("0X") ? BigInt(digits) : digits.length > 1 && digits.startsWith("0") ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  const shift = { "": 0n, k: 10n, m: 20n, g: 30n, t: 40n, p: 50n, e: 60n }[(m[2] ?? "").toLowerCase() as "" | "k" | "m" | "g" | "t" | "p" | "e"];
  const v = n << shift;
  return v >= 1n << 64n ? undefined : v;
}

/** strerror() of a thrown error: the DcdError's errno text, else the message. */
export function errText(err: unknown): string {
  if (isDcdError(err)) return strerror(err.code);
  return err instanceof Error ? err.message : String(err);
}

export function errCode(err: unknown): ErrnoCode | undefined {
  return isDcdError(err) ? err.code : undefined;
}

/** ndctl commands return the negative errno as their exit status (ENXIO: 250). */
export function exitOf(e: unknown): number {
  const n = isDcdError(e) ? ERRNO_NUMBER[e.code] : undefined;
  return n === undefined ? 1 : 256 - n;
}

const ERRNO_NUMBER: Partial<Record<string, number>> = { EPERM: 1, ENOENT: 2, EIO: 5, ENXIO: 6, E2BIG: 7, EAGAIN: 11, ENOMEM: 12, EBUSY: 16, EEXIST: 17, ENODEV: 19, EINVAL: 22, ENOSPC: 28, ERANGE: 34, EOPNOTSUPP: 95 };

/** `3 memory sections`, `1 device`: the count-and-noun of ndctl's messages. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** ndctl's `log_err(&ctx, fmt)` / `log_info` line: `NAME: FUNC: TEXT`. */
export function logLine(name: string, fn: string, text: string): string {
  return `${name}: ${fn}: ${text}${text.endsWith("\n") ? "" : "\n"}`;
}

/** Flatten ndctl's argument lists: each argument may itself be a space or comma separated list. */
export function splitArgs(args: readonly string[]): string[] {
  return args.flatMap((a) => a.split(/[\s,]+/)).filter((a) => a !== "");
}
