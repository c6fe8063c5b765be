/**
 * End to end through the built binary: `dcd serve` on real Unix sockets in a temp dir, clients
 * as separate processes.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../../../", import.meta.url));
const bin = join(root, "packages/cli/dist/bin/dcd.js");
const dir = mkdtempSync(join(tmpdir(), "dcd-e2e-"));
const children = new Set<ChildProcess>();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function dcd(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, DCD_SOCKET: "", ...env } }, (err, stdout, stderr) => {
      children.delete(child);
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    children.add(child);
  });
}

interface Server {
  child: ChildProcess;
  socket: string;
  output: () => string;
  exited: Promise<number | null>;
}

async function serve(name: string, extra: string[] = []): Promise<Server> {
  const socket = join(dir, `${name}.sock`);
  const child = spawn(process.execPath, [bin, "serve", "--socket", socket, ...extra], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let out = "";
  const collect = (d: Buffer): void => {
    out += d.toString();
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const exited = new Promise<number | null>((resolve) => {
    child.on("exit", (code) => {
      children.delete(child);
      resolve(code);
    });
  });
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (out.includes("listening on")) resolve();
      else if (child.exitCode !== null) reject(new Error(`dcd serve exited: ${out}`));
      else setTimeout(check, 50);
    };
    check();
  });
  return { child, socket, output: () => out, exited };
}

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

beforeAll(() => {
  try {
    execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-b", "packages/cli"], { cwd: root, stdio: "pipe" });
  } catch {
    // Type errors elsewhere in the workspace still emit; the binary must exist.
  }
  expect(existsSync(bin)).toBe(true);
}, 300_000);

afterEach(() => {
  for (const c of children) c.kill("SIGKILL");
  children.clear();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

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
