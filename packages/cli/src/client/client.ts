/**
 * The client side: send one command line to `dcd serve` and reproduce its stdout, stderr and exit
 * code exactly.
 */
import { connect } from "node:net";
import type { Io } from "../commands/context.js";
import { type DcdRequest, type DcdResponse, isResponseHeader, type ResponseHeader } from "../server/protocol.js";

const NEWLINE = 0x0a;

/** Send `request` to the server on `socketPath`; resolves to the response (throws with a clear sentence). */
export function request(socketPath: string, req: DcdRequest): Promise<DcdResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    // Raw bytes: the header line is found in the newest chunk only, and stdout is decoded once at the end.
    const head: Buffer[] = [];
    const body: Buffer[] = [];
    let header: ResponseHeader | undefined;
    let bodyBytes = 0;
    let settled = false;
    const done = (err: Error | undefined, res?: DcdResponse): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (err) reject(err);
      else resolve(res as DcdResponse);
    };
    const malformed = (): void => {
      done(new Error(`malformed response from the server on ${socketPath}`));
    };
    const finishIfComplete = (): void => {
      if (header === undefined || bodyBytes < header.stdoutBytes) return;
      if (bodyBytes > header.stdoutBytes) {
        malformed();
        return;
      }
      done(undefined, { stdout: Buffer.concat(body, bodyBytes).toString("utf8"), stderr: header.stderr, code: header.code });
    };
    socket.on("connect", () => {
      socket.write(`${JSON.stringify(req)}\n`);
    });
    socket.on("data", (chunk: Buffer) => {
      if (header !== undefined) {
        body.push(chunk);
        bodyBytes += chunk.length;
        finishIfComplete();
        return;
      }
      const nl = chunk.indexOf(NEWLINE);
      if (nl < 0) {
        head.push(chunk);
        return;
      }
      head.push(chunk.subarray(0, nl));
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.concat(head).toString("utf8"));
      } catch {
        malformed();
        return;
      }
      if (!isResponseHeader(parsed)) {
        malformed();
        return;
      }
      header = parsed;
      const rest = chunk.subarray(nl + 1);
      body.push(rest);
      bodyBytes += rest.length;
      finishIfComplete();
    });
    socket.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT" || err.code === "ECONNREFUSED") {
        done(new Error(`no dcd server on ${socketPath} (start one with 'dcd serve', or run in-process with --preset NAME)`));
      } else done(new Error(`cannot talk to the dcd server on ${socketPath}: ${err.message}`));
    });
    socket.on("close", () => {
      const what = header === undefined ? "without answering" : `after ${bodyBytes} of ${header.stdoutBytes} bytes of output`;
      done(new Error(`the dcd server on ${socketPath} closed the connection ${what}`));
    });
  });
}

/** Run a command on the server and write its output to `io`; resolves to its exit code. */
export async function forward(socketPath: string, req: DcdRequest, io: Io): Promise<number> {
  let res: DcdResponse;
  try {
    res = await request(socketPath, req);
  } catch (err) {
    io.err(`dcd: ${(err as Error).message}\n`);
    return 1;
  }
  if (res.stdout) io.out(res.stdout);
  if (res.stderr) io.err(res.stderr);
  return res.code;
}
