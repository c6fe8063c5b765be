/**
 * QMP over a socket, as QEMU's `-qmp unix:PATH,server` or `-qmp tcp:127.0.0.1:PORT,server`:
 * every connection gets a {@link QmpSession} of one {@link QmpMonitor}. A stale Unix socket file
 * is replaced on listen (QEMU unlinks before bind) and removed on close.
 */
import { lstatSync, rmSync } from "node:fs";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { type Disposable, errno, leakTracker } from "@dcd/core";
import type { QmpMonitor } from "../qmp-monitor.js";
import type { QmpSession } from "../qmp-session.js";

/** Where to listen: a Unix socket path, or a TCP port on a loopback address. */
export type QmpListenOptions = { readonly path: string } | { readonly host?: string; readonly port: number };

/** Where the server listens once bound. */
export type QmpAddress = { readonly path: string } | { readonly host: string; readonly port: number };

function isSocketFile(path: string): boolean {
  try {
    return lstatSync(path).isSocket();
  } catch {
    return false;
  }
}

export class QmpSocketServer implements Disposable {
  private server: Server | undefined;
  private readonly connections = new Map<Socket, QmpSession>();
  private socketPath: string | undefined;
  private untrack: (() => void) | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly monitor: QmpMonitor) {}

  /** Bind and start accepting connections. TCP defaults to 127.0.0.1; port 0 picks a free port. */
  async listen(options: QmpListenOptions): Promise<QmpAddress> {
    if (this.server || this.closing) throw errno("EALREADY", "QmpSocketServer: already listening or closed");
    const server = createServer((socket) => {
      this.accept(socket);
    });
    this.server = server;
    this.untrack = leakTracker.track("qmp-socket-server", "path" in options ? options.path : `tcp:${options.host ?? "127.0.0.1"}:${options.port}`);
    if ("path" in options) {
      if (isSocketFile(options.path)) rmSync(options.path, { force: true });
      this.socketPath = options.path;
    }
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        const done = (): void => {
          server.off("error", reject);
          resolve();
        };
        if ("path" in options) server.listen(options.path, done);
        else server.listen(options.port, options.host ?? "127.0.0.1", done);
      });
    } catch (err) {
      this.socketPath = undefined;
      this.dispose();
      throw errno("EADDRINUSE", `QMP: cannot listen on ${"path" in options ? options.path : `${options.host ?? "127.0.0.1"}:${options.port}`}`, { cause: err });
    }
    if ("path" in options) return { path: options.path };
    const addr = server.address() as AddressInfo;
    return { host: addr.address, port: addr.port };
  }

  /** Number of open client connections. */
  get connectionCount(): number {
    return this.connections.size;
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    const session = this.monitor.connect((text) => {
      if (!socket.destroyed && socket.writable) socket.write(text);
    });
    this.connections.set(socket, session);
    socket.on("data", (chunk: Buffer) => {
      session.feed(chunk);
    });
    // A client that goes away (even mid-message or mid-command) only ends its own session.
    socket.on("error", () => {
      socket.destroy();
    });
    socket.on("close", () => {
      this.monitor.disconnect(session);
      this.connections.delete(socket);
    });
  }

  /** Stop listening, drop every connection, remove the Unix socket file; resolves once closed. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    const server = this.server;
    for (const [socket, session] of this.connections) {
      this.monitor.disconnect(session);
      socket.destroy();
    }
    this.connections.clear();
    if (this.socketPath !== undefined && isSocketFile(this.socketPath)) rmSync(this.socketPath, { force: true });
    this.socketPath = undefined;
    this.untrack?.();
    this.untrack = undefined;
    this.closing = new Promise((resolve) => {
      if (!server?.listening) resolve();
      else
        server.close(() => {
          resolve();
        });
    });
    return this.closing;
  }

  /** Same as {@link close}, without waiting. */
  dispose(): void {
    void this.close();
  }
}
