/** The client's side of the wire format against a scripted server: framing, UTF-8 across chunks, truncation. */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { request } from "./client.js";

const dir = mkdtempSync(join(tmpdir(), "dcd-client-"));
let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => {
    if (server === undefined) resolve();
    else server.close(() => { resolve(); });
  });
  server = undefined;
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A server that answers the first request line by writing `chunks` one by one (then ends unless told not to). */
async function scripted(name: string, chunks: readonly Buffer[], { end = true } = {}): Promise<string> {
  const path = join(dir, `${name}.sock`);
  server = createServer((socket: Socket) => {
    socket.once("data", () => {
      const write = (i: number): void => {
        if (i === chunks.length) {
          if (end) socket.end();
          else socket.destroy();
          return;
        }
        socket.write(chunks[i] as Buffer, () => { setImmediate(() => { write(i + 1); }); });
      };
      write(0);
    });
  });
  await new Promise<void>((resolve) => server?.listen(path, resolve));
  return path;
}

const header = (h: object): Buffer => Buffer.from(`${JSON.stringify(h)}\n`);

describe("dcd client wire format", () => {
  it("reassembles stdout split anywhere, even inside a UTF-8 character, and keeps stderr and the code", async () => {
    const stdout = Buffer.from("[\n  {\"memdev\":\"mem0\", \"note\":\"µ→✓\"}\n]\n");
    const head = header({ code: 3, stderr: "warn\n", stdoutBytes: stdout.length });
    const all = Buffer.concat([head, stdout]);
    const cut = all.indexOf(Buffer.from("→")) + 1; // inside the 3-byte arrow
    const socket = await scripted("split", [all.subarray(0, 5), all.subarray(5, cut), all.subarray(cut)]);
    expect(await request(socket, { argv: ["cxl", "list"] })).toEqual({ code: 3, stderr: "warn\n", stdout: stdout.toString("utf8") });
  });

  it("fails clearly on a malformed header and on a connection closed before all of stdout", async () => {
    const bad = await scripted("bad", [Buffer.from('{"stdout": "x", "stderr": "", "code": 0}\n')]);
    await expect(request(bad, { argv: [] })).rejects.toThrow(`malformed response from the server on ${bad}`);
    await new Promise<void>((resolve) => server?.close(() => { resolve(); }));
    const short = await scripted("short", [header({ code: 0, stderr: "", stdoutBytes: 10 }), Buffer.from("abc")], { end: false });
    await expect(request(short, { argv: [] })).rejects.toThrow(`the dcd server on ${short} closed the connection after 3 of 10 bytes of output`);
  });
});
