/**
 * Run `dcd cxl …` / `dcd daxctl …` / `dcd sysfs export …` in-process against one host, with a
 * minimal CommandContext (the real one comes from main.ts), capturing stdout, stderr and the exit code.
 */
import { Command, CommanderError } from "commander";
import { type Host } from "@dcd/core";
import { type CommandContext, type System } from "../../context.js";

export interface RunResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export type Register = (program: Command, ctx: CommandContext) => unknown;

export async function runCli(host: Host, registers: readonly Register[], args: readonly string[]): Promise<RunResult> {
  let out = "";
  let err = "";
  let code = 0;
  const ctx: CommandContext = {
    io: { out: (t) => (out += t), err: (t) => (err += t) },
    system: () => Promise.reject<System>(new Error("no System in command tests")),
    host: () => Promise.resolve(host),
    setExitCode: (c) => {
      code = c;
    },
  };
  const program = new Command("dcd").exitOverride().configureOutput({ writeOut: ctx.io.out, writeErr: ctx.io.err });
  for (const r of registers) r(program, ctx);
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) code = code === 0 ? (e.exitCode === 0 ? 0 : e.exitCode) : code;
    else {
      err += `dcd: ${e instanceof Error ? e.message : String(e)}\n`;
      code = 1;
    }
  }
  return { code, out, err };
}
