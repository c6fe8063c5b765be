/**
 * `dcd run SCRIPT`: run a file of dcd commands (syntax: ./script.ts) against one in-process
 * System (`--preset`, `--topology`; default cxl_test). Stops at the first failed line and exits 1
 * naming it (`SCRIPT:LINE: ...`). A progress bar is drawn on stderr only when it is a TTY.
 */
import { readFileSync } from "node:fs";
import { type Command } from "commander";
import { type CommandContext, type Io, type System } from "../commands/context.js";
import { check, parseScript, ScriptError, type ScriptCommand } from "./script.js";

export interface RunOptions {
  readonly globals: () => { host?: string | undefined };
  /** Runs one command line against the System (`main` with that System). */
  readonly exec: (argv: readonly string[], io: Io, system: System, host: string | undefined) => Promise<number>;
  /** Where the progress bar goes; default process.stderr when it is a TTY. */
  readonly progress?: NodeJS.WriteStream | undefined;
}

/** A one-line progress bar redrawn in place; cleared when done. */
class ProgressBar {
  private last = "";
  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly total: number,
    private readonly label: string,
  ) {}
  update(done: number, line: number): void {
    const width = 30;
    const filled = Math.round((done / this.total) * width);
    const text = `\r${this.label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${this.total} (line ${line})`;
    if (text !== this.last) this.stream.write(text);
    this.last = text;
  }
  clear(): void {
    if (this.last) this.stream.write(`\r${" ".repeat(this.last.length)}\r`);
  }
}

/** Run parsed commands; resolves to undefined or the failure sentence `SCRIPT:LINE: ...`. */
export async function runScript(file: string, commands: readonly ScriptCommand[], system: System, options: RunOptions & { verbose?: boolean; io: Io }): Promise<string | undefined> {
  const tty = options.progress ?? (process.stderr.isTTY ? process.stderr : undefined);
  const bar = tty && commands.length >= 10 ? new ProgressBar(tty, commands.length, file) : undefined;
  try {
    for (const [i, cmd] of commands.entries()) {
      bar?.update(i, cmd.line);
      let stdout = "";
      let stderr = "";
      const io: Io = { out: (t) => (stdout += t), err: (t) => (stderr += t) };
      const code = await options.exec(cmd.argv, io, system, options.globals().host);
      if (options.verbose) {
        options.io.out(`${file}:${cmd.line}: $ dcd ${cmd.argv.join(" ")}\n${stdout}`);
        if (stderr) options.io.out(stderr);
      }
      const result = { stdout, stderr, code };
      if (!cmd.expects.some((e) => e.expect.kind === "exit") && code !== 0) {
        return `${file}:${cmd.line}: 'dcd ${cmd.argv.join(" ")}' exited ${code}${stderr ? `: ${stderr.trim().split("\n")[0] ?? ""}` : ""}`;
      }
      for (const e of cmd.expects) {
        const why = check(e.expect, result);
        if (why !== undefined) return `${file}:${e.line}: ${e.text}: ${why}`;
      }
    }
    bar?.update(commands.length, commands.at(-1)?.line ?? 0);
    return undefined;
  } finally {
    bar?.clear();
  }
}

export function registerRunCommand(program: Command, ctx: CommandContext, options: RunOptions): void {
  program
    .command("run")
    .description("run a script of dcd commands and expect lines against an in-process System (syntax: dcd run --help)")
    .argument("<script>", "script file")
    .option("-v, --verbose", "print every command and its output")
    .addHelpText(
      "after",
      `
Script lines:
  # comment
  [dcd] ARGS...                     a command (shell-like quoting)
  expect exit N                     previous command exited N (default: must exit 0)
  expect json .[0].region == "region0"   JSON of its stdout (== != < <= > >=, exists, missing, length OP N)
  expect stdout ~ "text"            stdout contains text (!~ not; ~ /re/ regex; == "exact")
  expect stderr ~ "No such"         same for stderr`,
    )
    .action(async (file: string, opts: { verbose?: boolean }) => {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (err) {
        ctx.io.err(`dcd run: cannot read ${file}: ${(err as Error).message}\n`);
        ctx.setExitCode(1);
        return;
      }
      let commands: ScriptCommand[];
      try {
        commands = parseScript(text);
      } catch (err) {
        if (!(err instanceof ScriptError)) throw err;
        ctx.io.err(`${file}:${err.line}: ${err.message}\n`);
        ctx.setExitCode(2);
        return;
      }
      const system = await ctx.system();
      const failure = await runScript(file, commands, system, { ...options, io: ctx.io, ...(opts.verbose ? { verbose: true } : {}) });
      if (failure !== undefined) {
        ctx.io.err(`${failure}\n`);
        ctx.setExitCode(1);
        return;
      }
      const expects = commands.reduce((n, c) => n + c.expects.length, 0);
      ctx.io.out(`${file}: ${commands.length} commands, ${expects} expectations passed\n`);
    });
}
