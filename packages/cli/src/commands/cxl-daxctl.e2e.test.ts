/**
 * `dcd cxl` / `dcd daxctl` end to end through the built binary: one `dcd serve --preset qemu` on a
 * real Unix socket in a temp dir, every command a separate client process with `--socket`.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type Run, useBinaryHarness } from "../test-support/binary.js";

// Client processes die after every test; servers (one per describe) with the file.
const harness = useBinaryHarness("dcd-cxl-e2e-");
const dir = harness.dir;
const dcd = (args: string[]): Promise<Run> => harness.dcd(args);
const serve = async (name: string, extra: string[]): Promise<string> => (await harness.serve(name, extra)).socket;

const TAG = "11111111-2222-3333-4444-555555555555";
const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

describe("dcd cxl / daxctl against dcd serve --preset qemu (binary)", () => {
  let sock: string[] = [];
  const cxl = (...args: string[]): Promise<Run> => dcd([...sock, "cxl", ...args]);
  const daxctl = (...args: string[]): Promise<Run> => dcd([...sock, "daxctl", ...args]);
  const fm = (...args: string[]): Promise<Run> => dcd([...sock, "fm", ...args, "--device", "cxl-dcd0", "--host-id", "0"]);
  /** Everything the bad-input test must leave untouched. */
  const state = async (): Promise<string[]> => [(await cxl("list", "-R", "-N")).stdout, (await cxl("list", "-M")).stdout, (await fm("extents")).stdout];

  beforeAll(async () => {
    sock = ["--socket", await serve("qemu", ["--preset", "qemu"])];
  }, 30_000);

  it("cxl list -M prints ndctl JSON listing the memdev", async () => {
    const r = await cxl("list", "-M");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ memdev: "mem0", dynamic_ram_1_size: 2 * GIB }) as unknown]);
  });

  it("create-region, FM add, list -N shows the extents, release by the host and by the FM", async () => {
    const created = await cxl("create-region", "-m", "mem0", "-d", "decoder0.0", "-t", "dynamic_ram_1");
    expect(created.code).toBe(0);
    expect(created.stderr).toBe("cxl region: cmd_create_region: created 1 region\n");
    expect(JSON.parse(created.stdout)).toMatchObject({ region: "region0", size: 2 * GIB, type: "dynamic_ram_1", mappings: [{ position: 0, memdev: "mem0" }] });
    expect(JSON.parse((await cxl("list", "-R")).stdout)).toEqual([expect.objectContaining({ region: "region0", type: "dynamic_ram_1", decode_state: "commit" }) as unknown]);
    // No extents yet: the key is absent.
    expect(JSON.parse((await cxl("list", "-r", "region0", "-N")).stdout)).toEqual([expect.not.objectContaining({ extents: expect.anything() as unknown }) as unknown]);

    expect(await fm("add", "--policy", "prescriptive", "--region", "0", "--extent", `0x0:0x10000000:${TAG}`)).toMatchObject({ code: 0 });
    expect(await fm("add", "--policy", "prescriptive", "--region", "0", "--extent", "0x20000000:0x10000000")).toMatchObject({ code: 0 });
    const listed = await cxl("list", "-r", "region0", "-N");
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as [{ extents: unknown }])[0].extents).toEqual([
      { offset: 0, length: 256 * MIB, uuid: TAG },
      { offset: 512 * MIB, length: 256 * MIB },
    ]);

    // Host-initiated release of the tagged group, FM-initiated release of the untagged one.
    expect(await cxl("release-extents", "region0", "--tag", TAG)).toEqual({ code: 0, stdout: "", stderr: "cxl region: cmd_release_extents: released 1 extent group\n" });
    expect((JSON.parse((await cxl("list", "-r", "region0", "-N")).stdout) as [{ extents: unknown }])[0].extents).toEqual([{ offset: 512 * MIB, length: 256 * MIB }]);
    expect(await fm("release", "--policy", "prescriptive", "--extent", "0x20000000:0x10000000")).toMatchObject({ code: 0 });
    expect(JSON.parse((await cxl("list", "-r", "region0", "-N")).stdout)).toEqual([expect.not.objectContaining({ extents: expect.anything() as unknown }) as unknown]);
    expect(JSON.parse((await fm("extents")).stdout)).toMatchObject({ rc: "SUCCESS", total: 0, extents: [] });

  });

  it("daxctl through the binary: usage and unknown-device errors with daxctl's exit codes", async () => {
    const bogus = await daxctl("list", "--bogus");
    expect(bogus.code).toBe(129);
    expect(bogus.stdout).toBe("");
    expect(bogus.stderr.startsWith("  Error: unknown option `bogus'\n\n usage: daxctl list [<options>]\n")).toBe(true);
    expect(await daxctl("destroy-device", "dax9.9")).toEqual({ code: 250, stdout: "", stderr: "error destroying devices: No such device or address\ndestroyed 0 devices\n" });
  });

  it("bad input fails on stderr and leaves the server serving, state unchanged; destroy-region -f", async () => {
    // region0 from the previous test, given a tagged extent.
    expect((await fm("add", "--policy", "prescriptive", "--region", "0", "--extent", `0x0:0x10000000:${TAG}`)).code).toBe(0);
    const before = await state();
    expect(before[0]).toContain(TAG);

    const bogus = await cxl("list", "--bogus");
    expect(bogus.code).toBe(129);
    expect(bogus.stdout).toBe("");
    expect(bogus.stderr.startsWith("  Error: unknown option `bogus'\n\n usage: cxl list [<options>]\n")).toBe(true);
    // ndctl's region_action: no matching region is not an error, only a zero count.
    expect(await cxl("destroy-region", "region9")).toEqual({ code: 0, stdout: "", stderr: "cxl region: cmd_destroy_region: destroyed 0 regions\n" });
    expect(await cxl("release-extents", "region9", "--id", "1")).toEqual({ code: 1, stdout: "", stderr: "cxl region: cmd_release_extents: region9: no such region\n" });
    expect(await cxl("create-region", "-t", "foo", "-d", "decoder0.0", "-m", "mem0")).toMatchObject({ code: 1, stdout: "", stderr: expect.stringContaining("unsupported type: foo") as string });
    // An active region is refused without -f.
    expect(await cxl("destroy-region", "region0")).toMatchObject({ code: 1, stderr: expect.stringContaining("region0 active. Disable it or use --force") as string });

    expect(await state()).toEqual(before);

    expect(await cxl("destroy-region", "-f", "region0")).toEqual({ code: 0, stdout: "", stderr: "cxl region: cmd_destroy_region: destroyed 1 region\n" });
    const none = await cxl("list", "-R");
    expect(none.code).toBe(0);
    expect(none.stdout).not.toContain("region0");
    expect(none.stderr).toContain("no matching devices found");
  });
});

describe("dcd --preset qemu cxl (in-process, no server)", () => {
  it("runs without a server on --socket and starts from a fresh System", async () => {
    const r = await dcd(["--socket", join(dir, "nobody.sock"), "--preset", "qemu", "cxl", "list", "-M", "-R"]);
    expect(r.code).toBe(0);
    const listed = JSON.parse(r.stdout) as unknown;
    // Only memdevs: a fresh System has no regions.
    expect(listed).toEqual([expect.objectContaining({ memdev: "mem0", dynamic_ram_1_size: 2 * GIB }) as unknown]);
    expect(existsSync(join(dir, "nobody.sock"))).toBe(false);
  });
});

describe("dcd daxctl through a server: claim, destroy, and region re-creation", () => {
  it("claims a tag group into dax0.1, destroys it, destroys the region, and re-creates it on the freed DPA", async () => {
    const socket = await serve("dax", ["--preset", "qemu"]);
    const run = (...args: string[]) => dcd(["--socket", socket, ...args]);
    const tag = "11111111-2222-3333-4444-555555555555";
    expect((await run("cxl", "create-region", "-m", "mem0", "-d", "decoder0.0", "-t", "dynamic_ram_1")).code).toBe(0);
    expect((await run("fm", "add", "--device", "cxl-dcd0", "--host-id", "0", "--policy", "prescriptive", "--region", "0", "--extent", `0x0:0x10000000:${tag}`)).code).toBe(0);
    const created = await run("daxctl", "create-device", "-r", "region0", "--uuid", tag);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toEqual([{ chardev: "dax0.1", size: 256 * MIB, target_node: 1, align: 2 * MIB, mode: "devdax" }]);
    expect(created.stderr).toContain("created 1 device");
    expect((await run("daxctl", "disable-device", "dax0.1")).stderr).toContain("disabled 1 device");
    expect((await run("daxctl", "destroy-device", "dax0.1")).stderr).toContain("destroyed 1 device");
    expect((await run("cxl", "destroy-region", "-f", "region0")).code).toBe(0);
    const again = await run("cxl", "create-region", "-m", "mem0", "-d", "decoder0.0", "-t", "dynamic_ram_1");
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("created 1 region");
  });
});
