/** `dcd serve` in-process (an AbortSignal instead of SIGTERM), with a leak check. */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { useLeakCheck } from "@dcd/testing";
import { request } from "../client/client.js";
import { main } from "../main.js";
import { parseQmpAddress } from "./serve-command.js";

const dir = mkdtempSync(join(tmpdir(), "dcd-serve-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function capture() {
  let out = "";
  let err = "";
  return {
    io: {
      out: (t: string) => {
        out += t;
      },
      err: (t: string) => {
        err += t;
      },
    },
    out: () => out,
    err: () => err,
  };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!cond()) throw new Error("timed out");
}

describe("dcd serve (in-process)", () => {
  useLeakCheck();

  it("serves requests against one System, then stops on abort: socket removed, hosts disposed", async () => {
    const socket = join(dir, "a.sock");
    const stop = new AbortController();
    const c = capture();
    const served = main(["serve", "--preset", "rack", "--socket", socket], c.io, { signal: stop.signal });
    await until(() => c.out().includes("listening on"));
    expect(c.out()).toContain("preset rack, hosts host0, host1, host2, host3");
    const ls = await request(socket, { argv: ["sysfs", "ls", "/sys/bus/cxl/devices"], host: "host3" });
    expect(ls).toMatchObject({ code: 0, stderr: "" });
    expect(ls.stdout.split("\n")).toContain("mem0");
    // The request's host applies when argv has no --host.
    expect(await request(socket, { argv: ["--host", "nope", "sysfs", "ls"] })).toMatchObject({ code: 1, stderr: expect.stringContaining("no host named 'nope'") as string });
    expect(await request(socket, { argv: ["sysfs", "ls"], host: "nope" })).toMatchObject({ code: 1 });
    expect(await request(socket, { argv: ["sysfs", "write", "/sys/bus/cxl/devices/decoder0.0/create_ram_region", "region0"], host: "host1" })).toEqual({ code: 0, stdout: "", stderr: "" });
    expect((await request(socket, { argv: ["sysfs", "ls", "/sys/bus/cxl/devices"], host: "host1" })).stdout).toContain("region0");
    expect((await request(socket, { argv: ["sysfs", "ls", "/sys/bus/cxl/devices"], host: "host2" })).stdout).not.toContain("region0");
    stop.abort();
    expect(await served).toBe(0);
    expect(c.out()).toContain("dcd serve: stopped");
    expect(existsSync(socket)).toBe(false);
  });

  it("refuses a non-socket file and a bad topology, building nothing that leaks", async () => {
    const file = join(dir, "plain");
    writeFileSync(file, "x");
    const c = capture();
    expect(await main(["serve", "--preset", "qemu", "--socket", file], c.io, { signal: AbortSignal.abort() })).toBe(1);
    expect(c.err()).toContain(`${file} exists and is not a socket`);
    expect(existsSync(file)).toBe(true);
    const topo = join(dir, "t.yaml");
    writeFileSync(topo, "hosts:\n  - name: a\n    flavor: sparc\n");
    const d = capture();
    expect(await main(["serve", "--topology", topo, "--socket", join(dir, "t.sock")], d.io, { signal: AbortSignal.abort() })).toBe(1);
    expect(d.err()).toContain(`${topo}:3: hosts[0].flavor: expected acpi or cxl_test`);
  });

  it("parses --qmp addresses", () => {
    expect(parseQmpAddress("unix:/tmp/q.sock")).toEqual({ path: "/tmp/q.sock" });
    expect(parseQmpAddress("unix:/tmp/q.sock,server,wait=off")).toEqual({ path: "/tmp/q.sock" });
    expect(parseQmpAddress("tcp:127.0.0.1:4444")).toEqual({ host: "127.0.0.1", port: 4444 });
    expect(parseQmpAddress("tcp:4444")).toEqual({ port: 4444 });
    expect(() => parseQmpAddress("udp:1")).toThrow(/expected unix:PATH or tcp:HOST:PORT/);
    expect(() => parseQmpAddress("tcp:1.2.3.4:70000")).toThrow(/out of range/);
  });
});
