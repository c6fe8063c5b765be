/**
 * `dcd serve`'s socket server: holds one System and runs each client's command line through the
 * same command table as the binary, one command at a time (a command sees and leaves the System
 * whole). A client that disconnects mid-command only loses its answer; bad input gets an error
 * response and changes nothing.
 */
import { lstatSync, rmSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { errno, leakTracker } from "@dcd/core";
import { type Io, type System } from "../commands/context.js";
import { type DcdRequest, type DcdResponse, encodeResponse, MAX_REQUEST_BYTES, parseRequest } from "./protocol.js";

/** Runs one request against the System (the server passes `main`). */
export type RunRequest = (req: DcdRequest, io: Io) => Promise<number>;

function isSocket(path: string): boolean | undefined {
  try {
    return lstatSync(path).isSocket();
  } catch {
    return undefined;
  }
}

/** True when something accepts connections on the Unix socket `path`. */
export function socketIsLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => {
      s.destroy();
      resolve(false);
    });
  });
}

export class DcdServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private queue: Promise<unknown> = Promise.resolve();
  private path: string | undefined;
  private closing: Promise<void> | undefined;
  private untrack: (() => void) | undefined;
  /** Requests answered (for logs and tests). */
  handled = 0;

  constructor(
    readonly system: System,
    private readonly run: RunRequest,
  ) {}

  /**
   * Listen on `path`. A live server there: EADDRINUSE. A stale socket file (nobody accepts): removed.
   * Any other file: EEXIST (never deleted).
   */
  async listen(path: string): Promise<void> {
    const kind = isSocket(path);
    if (kind === false) throw errno("EEXIST", `${path} exists and is not a socket; not replacing it`);
    if (kind === true) {
      if (await socketIsLive(path)) throw errno("EADDRINUSE", `a dcd server is already listening on ${path}`);
      rmSync(path, { force: true });
    }
    const server = createServer((socket) => {
      this.accept(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => {
        server.off("error", reject);
        resolve();
      });
    }).catch((err: unknown) => {
      throw errno("EADDRINUSE", `cannot listen on ${path}: ${(err as Error).message}`, { cause: err });
    });
    this.server = server;
    this.path = path;
    this.untrack = leakTracker.track("dcd-server", path);
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.setEncoding("utf8");
    let buffer = "";
    let answered = false;
    const reply = (res: DcdResponse): void => {
      if (socket.destroyed || !socket.writable) return;
      const [header, stdout] = encodeResponse(res);
      socket.write(header);
      socket.end(stdout);
    };
    socket.on("data", (chunk: string) => {
      if (answered) return;
      buffer += chunk;
      const nl = buffer.indexOf("\n");
      if (nl < 0) {
        if (buffer.length > MAX_REQUEST_BYTES) {
          answered = true;
          reply({ stdout: "", stderr: `dcd serve: request longer than ${MAX_REQUEST_BYTES} bytes\n`, code: 2 });
        }
        return;
      }
      answered = true;
      const req = parseRequest(buffer.slice(0, nl));
      if (typeof req === "string") {
        reply({ stdout: "", stderr: `dcd serve: ${req}\n`, code: 2 });
        return;
      }
      const job = this.queue.then(() => this.execute(req));
      this.queue = job.catch(() => undefined);
      void job.then(reply);
    });
    // A client that goes away (even mid-command) only ends its own connection.
    socket.on("error", () => {
      socket.destroy();
    });
    socket.on("close", () => {
      this.sockets.delete(socket);
    });
  }

  private async execute(req: DcdRequest): Promise<DcdResponse> {
    let stdout = "";
    let stderr = "";
    const io: Io = {
      out: (t) => {
        stdout += t;
      },
      err: (t) => {
        stderr += t;
      },
    };
    let code: number;
    try {
      code = await this.run(req, io);
    } catch (err) {
      stderr += `dcd: ${(err as Error).message}\n`;
      code = 1;
    }
    this.handled++;
    return { stdout, stderr, code };
  }

  /** Stop accepting, wait for the running command, drop connections, remove the socket file. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const server = this.server;
      const closed = new Promise<void>((resolve) => {
        if (!server?.listening) resolve();
        else
          server.close(() => {
            resolve();
          });
      });
      await this.queue;
      for (const s of this.sockets) s.destroy();
      this.sockets.clear();
      await closed;
      if (this.path !== undefined && isSocket(this.path) === true) rmSync(this.path, { force: true });
      this.untrack?.();
      this.untrack = undefined;
    })();
    return this.closing;
  }
}
