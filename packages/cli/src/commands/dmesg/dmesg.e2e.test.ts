/**
 * `dcd dmesg` through the built binary: a `dcd serve --topology` with H1's 2 GiB memory blocks,
 * every command a separate client process; `dmesg` goes to the server on the client's fast path.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type Run, useBinaryHarness } from "../../test-support/binary.js";

const harness = useBinaryHarness("dcd-dmesg-e2e-");

describe("dcd dmesg against dcd serve (binary)", () => {
  let sock: string[] = [];
  const dcd = (...args: string[]): Promise<Run> => harness.dcd([...sock, ...args]);

  beforeAll(async () => {
    const topology = join(harness.dir, "h1.yaml");
    writeFileSync(topology, ["devices:", "  - name: dcd0", "    partitions:", "      - { size: 8GiB, blockSize: 2MiB }", "hosts:", "  - name: h1", "    attach: [{ device: dcd0 }]", "    memory: { blockSize: 2GiB }", ""].join("\n"));
    sock = ["--socket", (await harness.serve("h1", ["--topology", topology])).socket];
  }, 60_000);

  it("prints the server host's kernel log with simulated timestamps; a bad level exits 1", async () => {
    const sysram = "/sys/bus/cxl/devices/sysram_region0";
    expect(await dcd("cxl", "create-region", "-m", "mem0", "-d", "decoder0.0", "-t", "dynamic_ram_1", "--driver", "sysram")).toMatchObject({ code: 0 });
    expect(await dcd("sysfs", "write", `${sysram}/stranded_policy`, "truncate")).toMatchObject({ code: 0 });
    expect(await dcd("sysfs", "write", `${sysram}/online_type`, "online_movable")).toMatchObject({ code: 0 });
    expect(await dcd("fm", "add", "--extent", "0x40000000:0x100000000")).toMatchObject({ code: 0 });
    const r = await dcd("dmesg");
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toMatch(/^\[ *\d+\.\d{6}\] sysram_region0: extent0\.1: truncated by 2\.00 GiB due to alignment$/m);
    expect(await dcd("dmesg", "--level", "nope")).toEqual({ code: 1, stdout: "", stderr: "dcd: unknown level 'nope'\n" });
    expect(await dcd("--host", "h1", "dmesg", "-t")).toEqual({ code: 0, stdout: r.stdout.replace(/^\[ *\d+\.\d{6}\] /gm, ""), stderr: "" });
  }, 60_000);
});
