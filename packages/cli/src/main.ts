/**
 * Command table of `dcd`. Each command returns an exit code; nothing calls `process.exit`, so
 * tests run `main()` in-process as well as through the spawned binary, and `dcd serve` runs the
 * same table for its clients.
 *
 * Where a command runs:
 * - `context.system` given (the server, `dcd run`, tests): against that System.
 * - `--preset NAME` / `--topology FILE` given: against a fresh in-process System, torn down after.
 * - otherwise (`context.remote`, the binary): sent to the `dcd serve` on `--socket PATH`,
 *   `$DCD_SOCKET` or the default socket ({@link defaultSocketPath}); `serve`, `run` and `demo`
 *   always run locally.
 */
import { Command, CommanderError, Option } from "commander";
import { DcdError } from "@dcd/core";
import { type CommandContext, type Io, type System } from "./commands/context.js";
import { registerCxlCommands } from "./commands/cxl/index.js";
import { registerDaxctlCommands } from "./commands/daxctl/index.js";
import { registerDmesgCommand } from "./commands/dmesg/dmesg.js";
import { registerFmCommands } from "./commands/fm/fm.js";
import { registerQmpCommand } from "./commands/qmp/qmp.js";
import { registerSysfsCommands } from "./commands/sysfs/sysfs.js";
import { registerExportCommand } from "./export/index.js";
import { runDemo } from "./demo/run-demo.js";
import { forward } from "./client/client.js";
import { registerRunCommand } from "./run/run.js";
import { registerServeCommand } from "./server/serve-command.js";
import { defaultSocketPath } from "./server/socket-path.js";
import { buildSystem, loadTopology, presetSpec, PRESETS } from "./system/index.js";

export type { Io } from "./commands/context.js";

const stdio: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

/** How `main` runs (all optional). */
export interface MainContext {
  /** Run every command against this System (not disposed by `main`). */
  readonly system?: System;
  /** Host name when argv has no `--host` (the server passes the client's). */
  readonly host?: string;
  /** Send commands to a `dcd serve` unless a System is given or built in-process (the binary sets it). */
  readonly remote?: boolean;
  /** Ends `dcd serve`; without it `dcd serve` stops on SIGTERM/SIGINT. */
  readonly signal?: AbortSignal;
  /** Set when running inside `dcd serve` for a client. */
  readonly inServer?: boolean;
  /** Environment (default process.env), for `$DCD_SOCKET`. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Commands that never go to a server. */
const LOCAL_COMMANDS = new Set(["serve", "run", "demo", "help"]);

/** Thrown from the preAction hook once a command was run remotely; carries its exit code. */
class Forwarded extends Error {
  constructor(readonly code: number) {
    super("forwarded to the server");
  }
}

interface GlobalOptions {
  host?: string;
  socket?: string;
  preset?: string;
  topology?: string;
}

function errorMessage(err: unknown): string {
  if (err instanceof DcdError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

/** Run `dcd ARGS`; resolves to the exit code. */
export async function main(args: readonly string[], io: Io = stdio, context: MainContext = {}): Promise<number> {
  let code = 0;
  let owned: Promise<System> | undefined;
  const env = context.env ?? process.env;
  const program = new Command("dcd")
    .description("Executable host side of CXL Dynamic Capacity Devices")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError()
    .option("--host <name>", "host to run the command on (default: the first host)")
    .option("--socket <path>", "socket of the dcd server (default: $DCD_SOCKET, else $XDG_RUNTIME_DIR/dcd.sock, else /tmp/dcd-$UID.sock)")
    .addOption(new Option("--preset <name>", "build an in-process System from a preset instead of using a server").choices(PRESETS))
    .option("--topology <file>", "build an in-process System from a YAML topology file instead of using a server");
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();

  const system = (): Promise<System> => {
    if (context.system) return Promise.resolve(context.system);
    owned ??= (async () => {
      const g = globals();
      if (g.preset !== undefined && g.topology !== undefined) throw new Error("give --preset or --topology, not both");
      const spec = g.topology !== undefined ? loadTopology(g.topology) : presetSpec(g.preset ?? "cxl_test");
      return buildSystem(spec);
    })();
    return owned;
  };
  const ctx: CommandContext = {
    io,
    system,
    host: async () => (await system()).host(globals().host ?? context.host).host,
    setExitCode: (c) => {
      code = c;
    },
  };

  program.hook("preAction", async (_root, action) => {
    let top: Command = action;
    while (top.parent && top.parent !== program) top = top.parent;
    const name = top.name();
    if (context.inServer && LOCAL_COMMANDS.has(name)) throw new Error(`'${name}' cannot run through the server; run it locally`);
    const g = globals();
    if (context.remote && !context.system && g.preset === undefined && g.topology === undefined && !LOCAL_COMMANDS.has(name)) {
      const socket = g.socket ?? defaultSocketPath(env);
      throw new Forwarded(await forward(socket, { argv: [...args], ...(g.host === undefined ? {} : { host: g.host }) }, io));
    }
  });

  program
    .command("demo")
    .description("run the orchestrator → FM → device → host kernel → host user workflow for every region driver")
    .option("--no-diagram", "do not print the sequence diagram")
    .action(async (opts: { diagram: boolean }) => {
      code = await runDemo({ io, diagram: opts.diagram });
    });
  registerServeCommand(program, ctx, {
    globals,
    env,
    ...(context.signal ? { signal: context.signal } : {}),
    inServer: context.inServer === true,
    run: (req, rio, sys) => main(req.argv, rio, { system: sys, inServer: true, env, ...(req.host === undefined ? {} : { host: req.host }) }),
  });
  registerRunCommand(program, ctx, {
    globals,
    exec: (argv, rio, sys, host) => main(argv, rio, { system: sys, env, ...(host === undefined ? {} : { host }) }),
  });
  registerSysfsCommands(program, ctx);
  registerExportCommand(program, ctx);
  registerQmpCommand(program, ctx);
  registerFmCommands(program, ctx);
  registerCxlCommands(program, ctx);
  registerDaxctlCommands(program, ctx);
  registerDmesgCommand(program, ctx);

  try {
    await program.parseAsync(args, { from: "user" });
  } catch (err) {
    if (err instanceof Forwarded) return err.code;
    // ndctl-style commands have already set their own usage code (129); the rest use 2.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : code !== 0 ? code : 2;
    io.err(`dcd: ${errorMessage(err)}\n`);
    return code === 0 ? 1 : code;
  } finally {
    if (owned) {
      const s = await owned.catch(() => undefined);
      await s?.dispose();
    }
  }
  return code;
}
