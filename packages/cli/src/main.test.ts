import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { useLeakCheck } from "@dcd/testing";
import { type System } from "./commands/context.js";
import { buildSystem, presetSpec } from "./system/index.js";
import { runDcd as dcd } from "./test-support/run-dcd.js";

const dir = mkdtempSync(join(tmpdir(), "dcd-main-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("main() against a System", () => {
  useLeakCheck();
  let system: System;
  beforeEach(async () => {
    system = await buildSystem(presetSpec("qemu"));
  });
  afterEach(async () => {
    await system.dispose();
  });

  it("sysfs cat / ls", async () => {
    expect(await dcd(["sysfs", "cat", "/sys/bus/cxl/devices/mem0/ram/size"], system)).toEqual({ code: 0, stdout: "0\n", stderr: "" });
    const ls = await dcd(["sysfs", "ls", "/sys/bus/cxl/devices"], system);
    expect(ls.stdout.split("\n")).toContain("mem0");
    expect(await dcd(["sysfs", "cat", "/sys/nope"], system)).toEqual({ code: 1, stdout: "", stderr: "cat: /sys/nope: No such file or directory\n" });
    expect(await dcd(["sysfs", "ls", "/sys/nope"], system)).toMatchObject({ code: 2, stderr: "ls: cannot access '/sys/nope': No such file or directory\n" });
  });

  it("sysfs write: echo semantics; a refused store says write error and changes nothing", async () => {
    const before = system.host().host.sysfs.read("/sys/bus/cxl/devices/mem0/serial");
    expect(await dcd(["sysfs", "write", "/sys/bus/cxl/devices/mem0/serial", "7"], system)).toEqual({ code: 1, stdout: "", stderr: "write error: Permission denied\n" });
    expect(system.host().host.sysfs.read("/sys/bus/cxl/devices/mem0/serial")).toBe(before);
    const bad = await dcd(["sysfs", "write", "/sys/bus/cxl/devices/decoder0.0/create_ram_region", "bogus"], system);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^write error: /);
  });

  it("qmp: one command on a negotiated session; errors exit 1", async () => {
    const v = await dcd(["qmp", '{"execute":"query-version"}'], system);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ return: { qemu: { major: 10 } } });
    const e = await dcd(["qmp", '{"execute":"cxl-add-dynamic-capacity","arguments":{"path":"/nope","host-id":0,"selection-policy":"prescriptive","region":0,"extents":[]}}'], system);
    expect(e.code).toBe(1);
    expect(JSON.parse(e.stdout)).toHaveProperty("error.class", "GenericError");
    expect(await dcd(["qmp", "{not json"], system)).toMatchObject({ code: 2, stderr: expect.stringMatching(/^dcd qmp: malformed JSON/) as string });
  });

  it("fm: info, add, extents and a refused request with its return code name", async () => {
    const info = JSON.parse((await dcd(["fm", "info"], system)).stdout) as Record<string, unknown>;
    expect(info).toMatchObject({ rc: "SUCCESS", numHosts: 1, numRegions: 2, totalDynamicCapacity: "0x100000000" });
    const cfg = JSON.parse((await dcd(["fm", "config", "--host-id", "0"], system)).stdout) as { regions: { base: string }[] };
    expect(cfg.regions.map((r) => r.base)).toEqual(["0x0", "0x80000000"]);
    expect(await dcd(["fm", "add", "--device", "cxl-dcd0", "--host-id", "0", "--policy", "prescriptive", "--region", "0", "--extent", "0x0:0x10000000"], system)).toMatchObject({ code: 0 });
    const bad = await dcd(["fm", "add", "--host-id", "9", "--region", "0", "--extent", "0x0:0x10000000"], system);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ rc: expect.stringMatching(/^INVALID_/) as string });
    const ext = JSON.parse((await dcd(["fm", "extents"], system)).stdout) as Record<string, unknown>;
    expect(ext).toMatchObject({ rc: "SUCCESS", hostId: 0 });
    expect(await dcd(["fm", "add", "--extent", "zzz"], system)).toMatchObject({ code: 2, stderr: expect.stringContaining("DPA:LEN") as string });
    expect(await dcd(["fm", "info", "--device", "nope"], system)).toMatchObject({ code: 1, stderr: expect.stringContaining("no device named 'nope'") as string });
  });

  it("unknown commands, flags and missing arguments exit 2 with a message", async () => {
    expect(await dcd(["bogus"], system)).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown command 'bogus'") as string });
    expect(await dcd(["sysfs", "cat", "--frob", "/sys"], system)).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown option '--frob'") as string });
    expect(await dcd(["sysfs", "write", "/sys/x"], system)).toMatchObject({ code: 2, stderr: expect.stringContaining("missing required argument 'value'") as string });
    expect(await dcd(["--host", "nope", "sysfs", "ls"], system)).toMatchObject({ code: 1, stderr: expect.stringContaining("no host named 'nope'") as string });
  });
});

describe("main() building its own System", () => {
  useLeakCheck();

  it("--preset runs one command in-process and tears the System down", async () => {
    const r = await dcd(["--preset", "rack", "--host", "host3", "fm", "info"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ numHosts: 4 });
  });

  it("sysfs write returns the probe's errno, as bind_store does (two-stage sysram flow)", async () => {
    const script = join(dir, "kmem-stage.dcd");
    writeFileSync(
      script,
      [
        "cxl create-region -m mem0 -t ram -d decoder0.0 --driver cxl_sysram_region",
        "expect exit 0",
        "sysfs cat /sys/bus/cxl/devices/sysram_region0/online_type",
        'expect stdout ~ "invalid"',
        "# online_type still invalid: the kmem stage's probe refuses with ENODEV, and the write says so",
        "sysfs write /sys/bus/cxl/drivers/cxl_dax_kmem_region/bind sysram_region0",
        "expect exit 1",
        'expect stderr ~ "write error: No such device"',
        "sysfs ls /sys/bus/cxl/drivers/cxl_dax_kmem_region",
        'expect stdout ~ "bind"',
        "sysfs write /sys/bus/cxl/devices/sysram_region0/online_type online_movable",
        "sysfs write /sys/bus/cxl/drivers/cxl_dax_kmem_region/bind sysram_region0",
        "expect exit 0",
        "sysfs ls /sys/bus/cxl/drivers/cxl_dax_kmem_region",
        'expect stdout ~ "sysram_region0"',
      ].join("\n"),
    );
    const r = await dcd(["--preset", "cxl_test", "run", script]);
    expect(r).toEqual({ code: 0, stdout: `${script}: 7 commands, 7 expectations passed\n`, stderr: "" });
  });

  it("fm add returns once the host has answered: the next fm extents lists the accepted extent", async () => {
    const script = join(dir, "fm-settle.dcd");
    writeFileSync(
      script,
      [
        "# sysram hot-plugs in accepted(), so the Add DC Response goes out after the memory is online",
        "cxl create-region -m mem0 -t dynamic_ram_1 -d decoder0.0 --driver sysram",
        "sysfs write /sys/bus/cxl/devices/sysram_region0/online_type online_movable",
        "fm add --region 0 --extent 0x0:0x8000000",
        "fm extents",
        "expect json .total == 1",
        'expect json .extents[0].dpa == "0x0"',
        "fm release --extent 0x0:0x8000000",
        "fm extents",
        "expect json .total == 0",
      ].join("\n"),
    );
    expect(await dcd(["--preset", "qemu", "run", script])).toEqual({ code: 0, stdout: `${script}: 6 commands, 3 expectations passed\n`, stderr: "" });
  });

  it("fm extents pages through a list longer than one mailbox payload", async () => {
    const script = join(dir, "pages.dcd");
    const adds = Array.from({ length: 60 }, (_, i) => `fm add --region 0 --extent 0x${(i * 0x200000).toString(16)}:0x200000`);
    writeFileSync(
      script,
      ["cxl create-region -m mem0 -t dynamic_ram_1 -d decoder0.0", ...adds, "fm extents", "expect json .total == 60", "expect json .extents length == 60", 'expect json .extents[59].dpa == "0x7600000"', "fm extents --count 3 --start 5", "expect json .extents length == 3", 'expect json .extents[0].dpa == "0xa00000"'].join("\n"),
    );
    expect(await dcd(["--preset", "qemu", "run", script])).toEqual({ code: 0, stdout: `${script}: 63 commands, 5 expectations passed\n`, stderr: "" });
  });

  it("fm: the whole FM lifecycle on a spec device (set-config, add, tags, references, release)", async () => {
    const script = join(dir, "fm.dcd");
    const tag = "11111111-2222-3333-4444-555555555555";
    writeFileSync(
      script,
      [
        "cxl create-region -m mem0 -t dynamic_ram_1 -d decoder0.0",
        "fm set-config --region 0 --block-size 2MiB",
        `fm add --region 0 --extent 0x0:0x200000:${tag} --extent 0x200000:0x200000`,
        "fm extents",
        "expect json .total == 2",
        `expect json .extents[0].tag == "${tag}"`,
        "fm tags",
        `expect json .tags[0] == {"tag":"${tag}","flags":0,"hosts":[0],"pendingHosts":[]}`,
        `fm add-ref --tag ${tag}`,
        "fm tags",
        "expect json .tags[0].flags == 1",
        `fm remove-ref --tag ${tag}`,
        "fm release --extent 0x200000:0x200000",
        "fm extents",
        "expect json .extents length == 1",
        `fm release --policy tag-based --tag ${tag} --length 0x200000`,
        "fm extents",
        "expect json .total == 0",
        "fm release --extent 0x0:0x200000",
        "expect exit 1",
        'expect json .rc != "SUCCESS"',
      ].join("\n"),
    );
    expect(await dcd(["--preset", "rack", "run", script])).toEqual({ code: 0, stdout: `${script}: 13 commands, 8 expectations passed\n`, stderr: "" });
  });

  it("fm: QEMU's devices implement 5600h-5605h only", async () => {
    const r = await dcd(["--preset", "qemu", "fm", "tags"]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ rc: "UNSUPPORTED", reason: "opcode 5608h is not supported" });
  });

  it("--topology with a bad file names file and line", async () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "hosts:\n  - name: a\n    attach: [{ device: ghost }]\n");
    const r = await dcd(["--topology", file, "sysfs", "ls"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}:3: hosts[0].attach[0].device: no device named 'ghost'`);
  });

  it("run SCRIPT passes, and fails naming the first failed line", async () => {
    const ok = join(dir, "ok.dcd");
    writeFileSync(ok, ["# qemu fixture", "fm info", "expect json .numRegions == 2", "sysfs cat /sys/nope", "expect exit 1", 'expect stderr ~ "No such"', "dcd qmp '{\"execute\":\"query-version\"}'", "expect json .return.qemu.major >= 9"].join("\n"));
    expect(await dcd(["--preset", "qemu", "run", ok])).toEqual({ code: 0, stdout: `${ok}: 3 commands, 4 expectations passed\n`, stderr: "" });
    const bad = join(dir, "bad.dcd");
    writeFileSync(bad, ["fm info", "expect json .numRegions == 3", "fm info"].join("\n"));
    expect(await dcd(["--preset", "qemu", "run", bad])).toMatchObject({ code: 1, stderr: `${bad}:2: expect json .numRegions == 3: .numRegions is 2\n` });
    const unexpected = join(dir, "exit.dcd");
    writeFileSync(unexpected, "fm info\n\nsysfs cat /sys/nope\n");
    expect(await dcd(["--preset", "qemu", "run", unexpected])).toMatchObject({ code: 1, stderr: expect.stringContaining(`${unexpected}:3: 'dcd sysfs cat /sys/nope' exited 1`) as string });
    const syntax = join(dir, "syntax.dcd");
    writeFileSync(syntax, "fm info\nexpect frobnicate\n");
    expect(await dcd(["--preset", "qemu", "run", syntax])).toMatchObject({ code: 2, stderr: expect.stringContaining(`${syntax}:2: unknown expectation 'frobnicate'`) as string });
  });
});
