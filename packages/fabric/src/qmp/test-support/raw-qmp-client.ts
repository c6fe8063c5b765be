/**
 * A raw QMP client for tests: a node:net socket that sends exactly the bytes a test gives it and
 * collects what the server writes, split at QEMU's `\r\n` message ends.
 */
import { connect, type Socket } from "node:net";
import type { QmpAddress } from "../server/qmp-socket-server.js";

export class RawQmpClient {
  private buffer = "";
  private readonly lines: string[] = [];
  private waiters: { count: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  private ended = false;
  /** Every byte received, as text. */
  raw = "";

  private constructor(readonly socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.raw += chunk;
      this.buffer += chunk;
      let i: number;
      while ((i = this.buffer.indexOf("\r\n")) >= 0) {
        this.lines.push(this.buffer.slice(0, i));
        this.buffer = this.buffer.slice(i + 2);
      }
      this.wake();
    });
    socket.on("close", () => {
      this.ended = true;
      this.wake();
    });
    socket.on("error", () => {
      this.ended = true;
      this.wake();
    });
  }

  static async connect(address: QmpAddress): Promise<RawQmpClient> {
    const socket = "path" in address ? connect(address.path) : connect(address.port, address.host);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    return new RawQmpClient(socket);
  }

  /** Connect, read the greeting and negotiate capabilities. */
  static async negotiated(address: QmpAddress): Promise<RawQmpClient> {
    const c = await RawQmpClient.connect(address);
    await c.next();
    c.send('{"execute": "qmp_capabilities"}\n');
    await c.next();
    return c;
  }

  private wake(): void {
    this.waiters = this.waiters.filter((w) => {
      if (this.lines.length >= w.count) {
        w.resolve();
        return false;
      }
      if (this.ended) {
        w.reject(new Error(`connection closed after ${this.lines.length} message(s); raw: ${JSON.stringify(this.raw)}`));
        return false;
      }
      return true;
    });
  }

  send(data: string | Uint8Array): void {
    this.socket.write(data);
  }

  /** Wait for `count` more messages and return them as raw lines (without `\r\n`). */
  async nextLines(count = 1): Promise<string[]> {
    if (this.lines.length < count) {
      await new Promise<void>((resolve, reject) => {
        this.waiters.push({ count, resolve, reject });
        this.wake();
      });
    }
    return this.lines.splice(0, count);
  }

  /** The next message as a raw line. */
  async nextLine(): Promise<string> {
    const [line] = await this.nextLines(1);
    return line ?? "";
  }

  /** The next message, parsed. */
  async next(): Promise<Record<string, unknown>> {
    return JSON.parse(await this.nextLine()) as Record<string, unknown>;
  }

  /** Send one command and return its parsed response. */
  async execute(command: string, args?: unknown, id?: unknown): Promise<Record<string, unknown>> {
    const req: Record<string, unknown> = { execute: command };
    if (args !== undefined) req.arguments = args;
    if (id !== undefined) req.id = id;
    this.send(`${JSON.stringify(req)}\n`);
    return this.next();
  }

  /** Messages already received and not read. */
  get pending(): number {
    return this.lines.length;
  }

  /** Resolves when the server has closed the connection. */
  closed(): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once("close", () => {
        resolve();
      });
    });
  }

  /** Close the socket and wait until it is closed. */
  async close(): Promise<void> {
    const done = this.closed();
    this.socket.destroy();
    await done;
  }
}
