import { spawn } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VirtualClock } from "@dcd/core";
import { useLeakCheck } from "@dcd/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { QmpMonitor } from "../qmp-monitor.js";
import { RawQmpClient } from "../test-support/raw-qmp-client.js";
import { QmpSocketServer, type QmpAddress } from "./qmp-socket-server.js";

const GREETING = '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 1, "major": 10}, "package": ""}, "capabilities": ["oob"]}}';

describe("QMP socket server", () => {
  useLeakCheck();
  let dir: string;
  let monitor: QmpMonitor;
  let server: QmpSocketServer;
  const clients: RawQmpClient[] = [];

  async function client(address: QmpAddress): Promise<RawQmpClient> {
    const c = await RawQmpClient.connect(address);
    clients.push(c);
    return c;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "dcd-qmp-"));
    monitor = new QmpMonitor({ clock: new VirtualClock() });
    server = new QmpSocketServer(monitor);
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.close();
    monitor.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("speaks QMP on a Unix socket and removes the socket file on close", async () => {
    const path = join(dir, "qmp.sock");
    await server.listen({ path });
    expect(existsSync(path)).toBe(true);
    const c = await client({ path });
    expect(await c.nextLine()).toBe(GREETING);
    expect(c.raw).toBe(`${GREETING}\r\n`);
    c.send('{"execute":"qmp_capabilities"}\r\n');
    expect(await c.nextLine()).toBe('{"return": {}}');
    c.send('{"execute": "query-version", "id": "v"}\n');
    expect(await c.nextLine()).toBe('{"return": {"qemu": {"micro": 0, "minor": 1, "major": 10}, "package": ""}, "id": "v"}');
    await server.close();
    await c.closed();
    expect(existsSync(path)).toBe(false);
  });

  it("replaces a stale socket file left by a killed process", async () => {
    const path = join(dir, "stale.sock");
    // A VMM killed with SIGKILL leaves its socket file behind.
    const child = spawn(process.execPath, ["-e", `require("node:net").createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, "SIGKILL"))`]);
    await new Promise((resolve) => child.once("exit", resolve));
    expect(lstatSync(path).isSocket()).toBe(true);
    await server.listen({ path });
    const c = await client({ path });
    expect(await c.nextLine()).toBe(GREETING);
  });

  it("never removes a regular file in the way", async () => {
    const path = join(dir, "not-a-socket");
    writeFileSync(path, "keep me");
    await expect(server.listen({ path })).rejects.toMatchObject({ code: "EADDRINUSE" });
    expect(lstatSync(path).isFile()).toBe(true);
  });

  it("listens on 127.0.0.1 with an ephemeral port", async () => {
    const address = await server.listen({ port: 0 });
    expect(address).toMatchObject({ host: "127.0.0.1" });
    const c = await client(address);
    expect(await c.nextLine()).toBe(GREETING);
  });

  it("answers raw malformed input byte for byte as QEMU", async () => {
    const address = await server.listen({ path: join(dir, "q.sock") });
    const c = await client(address);
    await c.nextLine();
    c.send('{"execute": "query-commands"}\n');
    expect(await c.nextLine()).toBe(`{"error": {"class": "CommandNotFound", "desc": "Expecting capabilities negotiation with 'qmp_capabilities'"}}`);
    // QEMU's lexer reads the keyword "qmp", then a stray '_', skips to the '}', which ends an
    // (empty) message of its own.
    c.send('{"execute": qmp_capabilities}\n');
    expect(await c.nextLines(2)).toEqual([
      `{"error": {"class": "GenericError", "desc": "JSON parse error, stray '_'"}}`,
      `{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}`,
    ]);
    c.send('{"execute": "query-version" "id": 1}\n');
    expect(await c.nextLine()).toBe(`{"error": {"class": "GenericError", "desc": "JSON parse error, expected separator in dict"}}`);
    c.send(Uint8Array.of(0xff));
    expect(await c.nextLine()).toBe(`{"error": {"class": "GenericError", "desc": "JSON parse error, stray '\\uFFFD'"}}`);
    c.send('{"execute": "qmp_capabilities"}\n{"execute": "nope", "id": 3}\n');
    expect(await c.nextLines(2)).toEqual(['{"return": {}}', `{"id": 3, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`]);
    c.send("[1, 2]\n");
    expect(await c.nextLine()).toBe(`{"error": {"class": "GenericError", "desc": "QMP input must be a JSON object"}}`);
  });

  it("serves several clients at once, each with its own negotiation", async () => {
    const address = await server.listen({ path: join(dir, "multi.sock") });
    const cs = await Promise.all([client(address), client(address), client(address)]);
    await Promise.all(cs.map((c) => c.nextLine()));
    cs[0].send('{"execute": "qmp_capabilities"}\n');
    expect(await cs[0].nextLine()).toBe('{"return": {}}');
    // Interleave: the others are still negotiating.
    cs[1].send('{"execute": "query-version", "id": 1}\n');
    cs[2].send('{"execute": "qmp_capabilities", "id": 2}\n');
    expect(await cs[1].nextLine()).toContain("Expecting capabilities negotiation");
    expect(await cs[2].nextLine()).toBe('{"return": {}, "id": 2}');
    monitor.emitEvent("X_EVENT", { n: 1 });
    expect(await cs[0].nextLine()).toBe('{"timestamp": {"seconds": 0, "microseconds": 0}, "event": "X_EVENT", "data": {"n": 1}}');
    expect(await cs[2].nextLine()).toContain('"event": "X_EVENT"');
    expect(cs[1].pending).toBe(0);
    expect(server.connectionCount).toBe(3);
  });

  it("survives a client that disconnects mid-command and keeps serving the others", async () => {
    const address = await server.listen({ path: join(dir, "drop.sock") });
    const a = await RawQmpClient.negotiated(address);
    clients.push(a);
    const b = await RawQmpClient.negotiated(address);
    b.send('{"execute": "query-version", "arguments": {');
    await b.close();
    const c = await RawQmpClient.negotiated(address);
    clients.push(c);
    c.send('{"execute": "query-version"}\n{"execute": "query-com');
    c.socket.destroy();
    await c.closed();
    expect(await a.execute("query-version", undefined, "still-here")).toMatchObject({ id: "still-here" });
    await new Promise((r) => setTimeout(r, 10));
    expect(server.connectionCount).toBe(1);
    expect(monitor.sessionCount).toBe(1);
  });

  it("dispose() removes the socket file at once and drops the clients", async () => {
    const path = join(dir, "dispose.sock");
    await server.listen({ path });
    const c = await client({ path });
    await c.nextLine();
    server.dispose();
    expect(existsSync(path)).toBe(false);
    await c.closed();
    expect(monitor.sessionCount).toBe(0);
  });

  it("closes cleanly: connections dropped, further listen refused", async () => {
    const path = join(dir, "close.sock");
    await server.listen({ path });
    const c = await client({ path });
    await c.nextLine();
    await server.close();
    await c.closed();
    expect(server.connectionCount).toBe(0);
    expect(monitor.sessionCount).toBe(0);
    await expect(server.listen({ path })).rejects.toMatchObject({ code: "EALREADY" });
  });
});
