/**
 * `dcd serve [--preset NAME | --topology FILE] [--socket PATH] [--qmp unix:PATH | --qmp tcp:HOST:PORT]`:
 * build a System, serve the command table on a Unix socket (and QMP on another, like QEMU's
 * `-qmp`) until SIGTERM/SIGINT (or `signal`), then shut down: sockets closed and removed, hosts
 * disposed.
 */
import { type Command } from "commander";
import { errno } from "@dcd/core";
import { type QmpListenOptions, QmpSocketServer } from "@dcd/fabric";
import { type CommandContext, type Io, type System } from "../commands/context.js";
import { defaultSocketPath } from "./socket-path.js";
import { type DcdRequest } from "./protocol.js";
import { DcdServer } from "./server.js";

export interface ServeOptions {
  readonly globals: () => { socket?: string | undefined };
  readonly env: NodeJS.ProcessEnv;
  /** Stops the server; without it SIGTERM/SIGINT do. */
  readonly signal?: AbortSignal;
  readonly inServer: boolean;
  /** Runs one client request against the System (`main` with that System). */
  readonly run: (req: DcdRequest, io: Io, system: System) => Promise<number>;
}

/** `unix:PATH` or `tcp:HOST:PORT` (QEMU's `-qmp` spelling, without `,server`). */
export function parseQmpAddress(text: string): QmpListenOptions {
  const spec = text.replace(/,server(=on)?|,wait=off|,nowait/g, "");
  if (spec.startsWith("unix:") && spec.length > 5) return { path: spec.slice(5) };
  const tcp = /^tcp:(?:([^:]*):)?(\d+)$/.exec(spec);
  if (tcp) {
    const port = Number(tcp[2]);
    if (port > 65535) throw errno("EINVAL", `--qmp ${text}: port out of range`);
    return tcp[1] ? { host: tcp[1], port } : { port };
  }
  throw errno("EINVAL", `--qmp ${text}: expected unix:PATH or tcp:HOST:PORT`);
}

function waitForStop(signal: AbortSignal | undefined): Promise<string> {
  return new Promise((resolve) => {
    if (signal) {
      if (signal.aborted) resolve("abort");
      else
        signal.addEventListener(
          "abort",
          () => {
            resolve("abort");
          },
          { once: true },
        );
      return;
    }
    const onSignal = (name: NodeJS.Signals): void => {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      resolve(name);
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}

export function registerServeCommand(program: Command, ctx: CommandContext, options: ServeOptions): void {
  program
    .command("serve")
    .description("hold a System and run dcd commands for clients on a Unix socket until SIGTERM/SIGINT")
    .option("--qmp <address>", "also serve QMP (the fabric's monitor) on unix:PATH or tcp:127.0.0.1:PORT")
    .action(async (opts: { qmp?: string }) => {
      const { io } = ctx;
      if (options.inServer) throw errno("EBUSY", "already serving");
      const socketPath = options.globals().socket ?? defaultSocketPath(options.env);
      const qmpAddress = opts.qmp === undefined ? undefined : parseQmpAddress(opts.qmp);
      const stop = waitForStop(options.signal);
      const system = await ctx.system();
      const server = new DcdServer(system, (req, rio) => options.run(req, rio, system));
      let qmp: QmpSocketServer | undefined;
      const errors: unknown[] = [];
      try {
        await server.listen(socketPath);
        if (qmpAddress) {
          qmp = new QmpSocketServer(system.qmp);
          const bound = await qmp.listen(qmpAddress);
          io.out(`dcd serve: QMP on ${"path" in bound ? `unix:${bound.path}` : `tcp:${bound.host}:${bound.port}`}\n`);
        }
        io.out(`dcd serve: ${system.source}, hosts ${system.hosts.map((h) => h.name).join(", ")}; listening on ${socketPath}\n`);
        await stop;
      } finally {
        await server.close().catch((e: unknown) => {
          errors.push(e);
        });
        await qmp?.close().catch((e: unknown) => {
          errors.push(e);
        });
      }
      // The System itself is disposed by main() (it built it).
      if (errors.length > 0) throw errors[0];
      io.out("dcd serve: stopped\n");
    });
}
