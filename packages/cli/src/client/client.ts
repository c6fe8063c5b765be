/**
 * The client side: send one command line to `dcd serve` and reproduce its stdout, stderr and exit
 * code exactly.
 */
import { connect } from "node:net";
import type { Io } from "../commands/context.js";
import { type DcdRequest, type DcdResponse, isResponse } from "../server/protocol.js";

/** Send `request` to the server on `socketPath`; resolves to the response (throws with a clear sentence). */
export function request(socketPath: string, req: DcdRequest): Promise<DcdResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let data = "";
    let settled = false;
    const done = (err: Error | undefined, res?: DcdResponse): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (err) reject(err);
      else resolve(res as DcdResponse);
    };
    socket.setEncoding("utf8");
    socket.on("connect", () => {
      socket.write(`${JSON.stringify(req)}\n`);
    });
    socket.on("data", (chunk: string) => {
      data += chunk;
      const nl = data.indexOf("\n");
      if (nl < 0) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(data.slice(0, nl));
      } catch {
        done(new Error(`malformed response from the server on ${socketPath}`));
        return;
      }
      if (!isResponse(parsed)) done(new Error(`malformed response from the server on ${socketPath}`));
      else done(undefined, parsed);
    });
    socket.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT" || err.code === "ECONNREFUSED") {
        done(new Error(`no dcd server on ${socketPath} (start one with 'dcd serve', or run in-process with --preset NAME)`));
      } else done(new Error(`cannot talk to the dcd server on ${socketPath}: ${err.message}`));
    });
    socket.on("close", () => {
      done(new Error(`the dcd server on ${socketPath} closed the connection without answering`));
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
