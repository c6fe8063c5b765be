/**
 * End to end through the built binary: `dcd serve` on real Unix sockets in a temp dir, clients
 * as separate processes.
 */
import { existsSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useBinaryHarness } from "../test-support/binary.js";

const harness = useBinaryHarness("dcd-e2e-", { serversPerTest: true });
const dir = harness.dir;
const dcd = harness.dcd.bind(harness);
const serve = harness.serve.bind(harness);

/** Send raw bytes to a socket; resolves to everything received until the server closes. */
function raw(socket: string, data: string, { hangUp = false } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(socket);
    let got = "";
    s.on("connect", () => {
      s.write(data);
      if (hangUp) {
        s.destroy();
        resolve("");
      }
    });
    s.on("data", (d: Buffer) => {
      got += d.toString();
    });
    s.on("end", () => {
      resolve(got);
    });
    s.on("error", reject);
  });
}

/** A QMP client on TCP: the lines the server sends, one by one; events are skipped when waiting for a reply. */
async function qmpTcp(port: number): Promise<{ next(): Promise<string>; send(cmd: object): Promise<string>; close(): void }> {
  const socket: Socket = connect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let buffer = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    buffer += chunk;
    for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      const w = waiting.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  const next = (): Promise<string> => {
    const line = lines.shift();
    return line !== undefined ? Promise.resolve(line) : new Promise((resolve) => waiting.push(resolve));
  };
  return {
    next,
    send: async (cmd) => {
      socket.write(`${JSON.stringify(cmd)}\n`);
      for (;;) {
        const line = await next();
        if (!("event" in (JSON.parse(line) as object))) return line;
      }
    },
    close: () => socket.destroy(),
  };
}

describe("dcd serve + clients (binary)", () => {
  it("serves sysfs, qmp and fm to clients; state persists between commands; SIGTERM removes the socket", async () => {
    const s = await serve("a", ["--preset", "qemu"]);
    const sock = ["--socket", s.socket];
    expect(await dcd([...sock, "sysfs", "cat", "/sys/bus/cxl/devices/decoder0.0/create_ram_region"])).toEqual({ code: 0, stdout: "region0\n", stderr: "" });
    expect(await dcd([...sock, "sysfs", "write", "/sys/bus/cxl/devices/decoder0.0/create_ram_region", "region0"])).toEqual({ code: 0, stdout: "", stderr: "" });
    expect((await dcd([...sock, "sysfs", "ls", "/sys/bus/cxl/devices"])).stdout.split("\n")).toContain("region0");
    expect(await dcd([...sock, "sysfs", "write", "/sys/bus/cxl/devices/mem0/serial", "1"])).toEqual({ code: 1, stdout: "", stderr: "write error: Permission denied\n" });
    // $DCD_SOCKET instead of --socket.
    const q = await dcd(["qmp", '{"execute":"query-version"}'], { DCD_SOCKET: s.socket });
    expect(q.code).toBe(0);
    expect(JSON.parse(q.stdout)).toHaveProperty("return.qemu.major", 10);
    const fm = await dcd([...sock, "fm", "info"]);
    expect(JSON.parse(fm.stdout)).toMatchObject({ rc: "SUCCESS", numRegions: 2 });
    s.child.kill("SIGTERM");
    expect(await s.exited).toBe(0);
    expect(s.output()).toContain("dcd serve: stopped");
    expect(existsSync(s.socket)).toBe(false);
  });

  it("refuses a second server on a live socket, replaces a stale one", async () => {
    const s = await serve("b", ["--preset", "cxl_test"]);
    const second = await dcd(["serve", "--socket", s.socket, "--preset", "qemu"]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`a dcd server is already listening on ${s.socket}`);
    expect((await dcd(["--socket", s.socket, "sysfs", "ls", "/sys/bus/platform/devices"])).stdout).toContain("cxl_acpi.0");
    // Killed without cleanup: the socket file stays behind, stale.
    s.child.kill("SIGKILL");
    await s.exited;
    expect(existsSync(s.socket)).toBe(true);
    const again = await serve("b", ["--preset", "qemu"]);
    expect((await dcd(["--socket", again.socket, "fm", "info"])).code).toBe(0);
  });

  it("a client with no server fails clearly", async () => {
    const r = await dcd(["--socket", join(dir, "nobody.sock"), "sysfs", "ls"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`dcd: no dcd server on ${join(dir, "nobody.sock")} (start one with 'dcd serve', or run in-process with --preset NAME)\n`);
  });

  it("bad input and vanishing clients leave the server serving, state unchanged", async () => {
    const s = await serve("c", ["--preset", "rack", "--qmp", `unix:${join(dir, "c-qmp.sock")}`]);
    const sock = ["--socket", s.socket];
    const before = (await dcd([...sock, "--host", "host2", "sysfs", "ls", "/sys/bus/cxl/devices"])).stdout;
    expect(JSON.parse(await raw(s.socket, "{not json\n"))).toMatchObject({ code: 2, stderr: expect.stringContaining("malformed request") as string });
    expect(JSON.parse(await raw(s.socket, '{"argv": "sysfs"}\n'))).toMatchObject({ code: 2 });
    await raw(s.socket, '{"argv": ["fm", "info"]}\n', { hangUp: true });
    await raw(s.socket, '{"argv": ["sysfs", "ca', { hangUp: true });
    expect(await dcd([...sock, "fm", "add", "--host-id", "99", "--extent", "0:0x10000000"])).toMatchObject({ code: 1 });
    expect(await dcd([...sock, "bogus"])).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown command 'bogus'") as string });
    expect(await dcd([...sock, "qmp", "{oops"])).toMatchObject({ code: 2 });
    expect(JSON.parse(await raw(s.socket, '{"argv": ["serve"]}\n'))).toMatchObject({ code: 1, stderr: expect.stringContaining("'serve' cannot run through the server") as string });
    expect((await dcd([...sock, "--host", "host2", "sysfs", "ls", "/sys/bus/cxl/devices"])).stdout).toBe(before);
    // QEMU-style QMP socket: greeting on connect.
    const greeting = await new Promise<string>((resolve) => {
      const q = connect(join(dir, "c-qmp.sock"));
      q.once("data", (d: Buffer) => {
        q.destroy();
        resolve(d.toString());
      });
    });
    expect(JSON.parse(greeting)).toHaveProperty("QMP.version.qemu.major", 10);
    s.child.kill("SIGINT");
    expect(await s.exited).toBe(0);
    expect(existsSync(s.socket)).toBe(false);
    expect(existsSync(join(dir, "c-qmp.sock"))).toBe(false);
  });

  it("--qmp tcp:127.0.0.1:0 serves QMP on the port it prints: greeting, negotiation, a DC add the host's clients see", async () => {
    const s = await serve("q", ["--preset", "qemu", "--qmp", "tcp:127.0.0.1:0"]);
    const bound = /dcd serve: QMP on tcp:127\.0\.0\.1:(\d+)\n/.exec(s.output());
    expect(bound).not.toBeNull();
    const port = Number(bound?.[1]);
    expect(port).toBeGreaterThan(0);
    const qmp = await qmpTcp(port);
    try {
      expect(JSON.parse(await qmp.next())).toHaveProperty("QMP.version.qemu.major", 10);
      expect(JSON.parse(await qmp.send({ execute: "query-version" }))).toEqual({ error: { class: "CommandNotFound", desc: "Expecting capabilities negotiation with 'qmp_capabilities'" } });
      expect(JSON.parse(await qmp.send({ execute: "qmp_capabilities" }))).toEqual({ return: {} });
      expect(JSON.parse(await qmp.send({ execute: "query-version", id: 7 }))).toMatchObject({ return: { qemu: { major: 10 } }, id: 7 });
      const sock = ["--socket", s.socket];
      expect(await dcd([...sock, "cxl", "create-region", "-m", "mem0", "-d", "decoder0.0", "-t", "dynamic_ram_1"])).toMatchObject({ code: 0 });
      const add = { execute: "cxl-add-dynamic-capacity", arguments: { path: "/machine/peripheral/cxl-dcd0", "host-id": 0, "selection-policy": "prescriptive", region: 0, extents: [{ offset: 0, len: 256 * 1024 * 1024 }] } };
      expect(JSON.parse(await qmp.send(add))).toEqual({ return: {} });
      const listing = (await dcd([...sock, "cxl", "list", "-r", "region0", "-N"])).stdout;
      expect((JSON.parse(listing) as [{ extents?: unknown }])[0].extents).toEqual([{ offset: 0, length: 256 * 1024 * 1024 }]);
      // A bad request on the same connection gets QEMU's error and changes nothing.
      expect(JSON.parse(await qmp.send({ ...add, arguments: { ...add.arguments, "selection-policy": "x" } }))).toMatchObject({ error: { class: "GenericError" } });
      expect((await dcd([...sock, "cxl", "list", "-r", "region0", "-N"])).stdout).toBe(listing);
    } finally {
      qmp.close();
    }
    s.child.kill("SIGTERM");
    expect(await s.exited).toBe(0);
    await expect(qmpTcp(port)).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("--qmp with a bad address fails before serving, leaving no socket", async () => {
    const r = await dcd(["serve", "--preset", "qemu", "--socket", join(dir, "bad.sock"), "--qmp", "tcp:127.0.0.1:70000"]);
    expect(r).toMatchObject({ code: 1, stderr: "dcd: --qmp tcp:127.0.0.1:70000: port out of range\n" });
    expect(existsSync(join(dir, "bad.sock"))).toBe(false);
  });

  it("run SCRIPT passes, and fails naming the line", async () => {
    const ok = join(dir, "ok.dcd");
    writeFileSync(ok, ["# create a region through sysfs", "sysfs write /sys/bus/cxl/devices/decoder0.0/create_ram_region region0", "sysfs ls /sys/bus/cxl/devices", 'expect stdout ~ "region0"', "fm info", "expect json .numRegions == 2"].join("\n"));
    expect(await dcd(["--preset", "qemu", "run", ok])).toEqual({ code: 0, stdout: `${ok}: 3 commands, 2 expectations passed\n`, stderr: "" });
    const bad = join(dir, "bad.dcd");
    writeFileSync(bad, ["fm info", "sysfs cat /sys/nope", "expect exit 0"].join("\n"));
    const r = await dcd(["--preset", "qemu", "run", bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`${bad}:3: expect exit 0: exit code 1, expected 0\n`);
  });
});
