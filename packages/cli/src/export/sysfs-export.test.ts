/**
 * `dcd sysfs export DIR`: the tree on disk is the host's sysfs — every directory, every readable
 * file with `cat`'s text, every link with `readlink`'s relative target — plus the /dev nodes
 * real-ndctl.md documents.
 */
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cxlCreateRegion } from "@dcd/core";
import { useLeakCheck } from "@dcd/testing";
import { bootDcdHost, daxTestModule, DC_BASE, type DcdHost, MIB } from "../commands/cxl/test-support/dcd-host.js";
import { runCli } from "../commands/cxl/test-support/run-cli.js";
import { registerExportCommand } from "./index.js";

useLeakCheck();

describe("dcd sysfs export", () => {
  let h: DcdHost | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
    await h?.dispose();
    h = undefined;
  });

  it("writes files, relative links and directories as the host's sysfs shows them, and the /dev nodes", async () => {
    h = await bootDcdHost({ modules: [daxTestModule] });
    await cxlCreateRegion(h.cxl, { memdevs: h.cxl.memdevs() });
    await h.add([{ dpa: DC_BASE, len: 256 * MIB, tag: "11111111-2222-3333-4444-555555555555" }]);
    dir = mkdtempSync(join(tmpdir(), "dcd-export-"));
    const r = await runCli(h.host, [registerExportCommand], ["sysfs", "export", dir]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^exported \d+ directories, \d+ files, \d+ links, 2 device nodes to /);
    let checked = 0;
    for (const e of h.host.sysfs.walk("/sys")) {
      const p = join(dir, e.path);
      if (e.type === "dir") expect(lstatSync(p).isDirectory()).toBe(true);
      else if (e.type === "link") expect(readlinkSync(p)).toBe(h.host.sysfs.readlink(e.path));
      else if ((e.mode & 0o444) !== 0) {
        let text: string;
        try {
          text = h.host.sysfs.read(e.path);
        } catch {
          text = "";
        }
        expect(readFileSync(p, "utf8")).toBe(text);
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(200);
    // Links resolve inside the tree as they do in the model.
    expect(realpathSync(join(dir, "sys/bus/cxl/devices/mem0"))).toBe(join(realpathSync(dir), h.host.sysfs.realpath("/sys/bus/cxl/devices/mem0")));
    expect(readFileSync(join(dir, "sys/bus/cxl/devices/dax_region0/extent0.1/uuid"), "utf8")).toBe("11111111-2222-3333-4444-555555555555\n");
    expect(existsSync(join(dir, "dev/cxl/mem0"))).toBe(true);
    expect(existsSync(join(dir, "dev/dax0.0"))).toBe(true);
    // A plain /dev file has rdev 0:0: libdaxctl finds the device through /sys/dev/char/0:0.
    expect(realpathSync(join(dir, "sys/dev/char/0:0"))).toBe(join(realpathSync(dir), h.host.sysfs.realpath("/sys/bus/dax/devices/dax0.0")));
  });
});
