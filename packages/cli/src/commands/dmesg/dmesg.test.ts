import { afterEach, describe, expect, it } from "vitest";
import { useLeakCheck } from "@dcd/testing";
import { buildSystem, parseTopology, presetSpec } from "../../system/index.js";
import { type System } from "../context.js";
import { fastPathRequest } from "../../bin/client-fast-path.js";
import { type DcdRun, runDcd } from "../../test-support/run-dcd.js";
import { dmesgTimestamp, formatDmesg, parseLevels } from "./dmesg.js";

const SYSRAM = "/sys/bus/cxl/devices/sysram_region0";
const LINE = /^\[ *\d+\.\d{6}\] \S.*$/;

/** Two hosts on one device, H1's 2 GiB memory blocks on the second. */
const TOPOLOGY = [
  "devices:",
  "  - name: dcd0",
  "    numHosts: 2",
  "    partitions:",
  "      - { size: 8GiB, blockSize: 2MiB }",
  "hosts:",
  "  - name: h0",
  "    attach: [{ device: dcd0, hostId: 0 }]",
  "  - name: h1",
  "    attach: [{ device: dcd0, hostId: 1 }]",
  "    memory: { blockSize: 2GiB }",
  "",
].join("\n");

describe("dcd dmesg", () => {
  useLeakCheck();
  let system: System | undefined;
  afterEach(async () => {
    await system?.dispose();
    system = undefined;
  });

  const dcd = (...argv: string[]): Promise<DcdRun> => runDcd(argv, system);

  it("prints the chosen host's kernel log as dmesg does, stamped with the simulated clock", async () => {
    system = await buildSystem(parseTopology(TOPOLOGY, "t.yaml"));
    const h1 = ["--host", "h1"];
    expect((await dcd(...h1, "cxl", "create-region", "-m", "mem0", "-d", "decoder0.0", "-t", "dynamic_ram_1", "--driver", "sysram")).code).toBe(0);
    expect((await dcd(...h1, "sysfs", "write", `${SYSRAM}/stranded_policy`, "truncate")).code).toBe(0);
    expect((await dcd(...h1, "sysfs", "write", `${SYSRAM}/online_type`, "online_movable")).code).toBe(0);
    const booted = system.host("h1").host.clock.now();
    // [1 GiB, 5 GiB) of the region: one whole 2 GiB block, 1 GiB stranded at each end.
    expect((await dcd("fm", "add", "--host-id", "1", "--extent", "0x40000000:0x100000000")).code).toBe(0);

    const out = await dcd(...h1, "dmesg");
    expect(out).toMatchObject({ code: 0, stderr: "" });
    const truncated = out.stdout.split("\n").find((l) => l.endsWith("] sysram_region0: extent0.1: truncated by 2.00 GiB due to alignment"));
    expect(truncated).toMatch(LINE);
    // With dev_dbg lines: the whole log, from boot (the CXL core's enumeration) on, in time order.
    const lines = (await dcd(...h1, "dmesg", "-l", "err,warn,info,debug")).stdout.split("\n").slice(0, -1);
    for (const l of lines) expect(l).toMatch(LINE);
    expect(lines[0]).toMatch(/^\[ {4}0\.000000\] /);
    expect(lines).toContain(truncated);
    // Printed after the FM's add began, so after the clock read above.
    const seconds = Number(/^\[ *(\d+\.\d+)\]/.exec(truncated ?? "")?.[1]);
    expect(seconds * 1000).toBeGreaterThanOrEqual(Math.floor(booted));
    const times = lines.map((l) => Number(/^\[ *(\d+\.\d+)\]/.exec(l)?.[1]));
    expect(times).toEqual([...times].sort((a, b) => a - b));

    // Each host has its own log: h0 created no region.
    const h0 = await dcd("dmesg", "-l", "err,warn,info,debug");
    expect(h0.code).toBe(0);
    expect(h0.stdout).not.toContain("region0");
    expect(h0.stdout).toContain("mem0: endpoint2 added to port1");
  });

  it("-l selects levels (dev_dbg lines only when debug is named), -t drops the time; a bad level is refused", async () => {
    system = await buildSystem(presetSpec("qemu"));
    expect((await dcd("cxl", "create-region", "-m", "mem0", "-d", "decoder0.0", "-t", "dynamic_ram_1")).code).toBe(0);
    const all = (await dcd("dmesg", "--level", "err,warn,info,debug")).stdout;
    const normal = (await dcd("dmesg")).stdout;
    const debug = (await dcd("dmesg", "-l", "debug")).stdout;
    expect(debug).not.toBe("");
    expect(all.split("\n").length).toBe(normal.split("\n").length + debug.split("\n").length - 1);
    for (const l of debug.split("\n").slice(0, -1)) expect(normal).not.toContain(l);
    expect((await dcd("dmesg", "-l", "emerg,crit")).stdout).toBe("");
    const notime = (await dcd("dmesg", "-t")).stdout;
    expect(notime).toBe(normal.replace(/^\[ *\d+\.\d{6}\] /gm, ""));
    expect(await dcd("dmesg", "-l", "warn,loud")).toEqual({ code: 1, stdout: "", stderr: "dcd: unknown level 'loud'\n" });
    expect(await dcd("--host", "nope", "dmesg")).toMatchObject({ code: 1, stdout: "", stderr: expect.stringContaining("no host named 'nope'") as unknown });
  });

  it("goes to the server on the client's fast path", () => {
    expect(fastPathRequest(["--host", "h1", "dmesg", "-t"])).toEqual({ socket: undefined, host: "h1" });
    expect(fastPathRequest(["dmesg", "--topology", "t.yaml"])).toBeUndefined();
  });

  it("formats printk's [%5lu.%06lu] timestamps", () => {
    expect(dmesgTimestamp(0)).toBe("[    0.000000]");
    expect(dmesgTimestamp(1234.5678)).toBe("[    1.234567]");
    expect(dmesgTimestamp(123_456_789)).toBe("[123456.789000]");
    expect(formatDmesg([{ level: "warn", device: "", message: "pr_warn line", atMs: 4.5 }])).toBe("[    0.004500] pr_warn line\n");
    // A line printed by a log without a clock has no time: printk shows 0 before its clock source.
    expect(formatDmesg([{ level: "info", device: "mem0", message: "early" }])).toBe("[    0.000000] mem0: early\n");
    expect([...parseLevels("err,notice,info")]).toEqual(["err", "info"]);
    // Names inherited from Object.prototype are not levels.
    for (const name of ["constructor", "toString", "__proto__"]) expect(() => parseLevels(name)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => parseLevels("")).toThrow("unknown level ''");
  });
});
