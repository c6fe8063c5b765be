/**
 * `dcd daxctl …` in-process over a DC region with the DAX layer (claim by tag), and the same
 * listings from real daxctl 76.1 over the exported tree.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cxlCreateRegion, installMemoryHotplug } from "@dcd/core";
import { useLeakCheck } from "@dcd/testing";
import { registerExportCommand } from "../../export/index.js";
import { registerCxlCommands } from "../cxl/index.js";
import { bootDcdHost, daxTestModule, DC_BASE, type DcdHost, GIB, MIB } from "../cxl/test-support/dcd-host.js";
import { realNdctl } from "../cxl/test-support/real-ndctl.js";
import { runCli } from "../cxl/test-support/run-cli.js";
import { registerDaxctlCommands } from "./index.js";

useLeakCheck();

const A = "11111111-2222-3333-4444-555555555555";
const B = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

describe("dcd daxctl", () => {
  let h: DcdHost | undefined;
  let tree: string | undefined;
  afterEach(async () => {
    if (tree !== undefined) rmSync(tree, { recursive: true, force: true });
    tree = undefined;
    await h?.dispose();
    h = undefined;
  });
  const daxctl = (x: DcdHost, ...args: string[]) => runCli(x.host, [registerDaxctlCommands], ["daxctl", ...args]);
  const boot = async (): Promise<DcdHost> => {
    h = await bootDcdHost({ modules: [daxTestModule] });
    await cxlCreateRegion(h.cxl, { memdevs: h.cxl.memdevs() });
    await h.add([{ dpa: DC_BASE, len: 256 * MIB, tag: A }]);
    await h.add([{ dpa: DC_BASE + 512 * MIB, len: 512 * MIB, tag: B }]);
    return h;
  };

  it("list -R -D -i shows the region with available_size and the idle seed", async () => {
    const x = await boot();
    const r = await daxctl(x, "list", "-R", "-D", "-i");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual([
      { path: "/platform/ACPI0017:00/root0/decoder0.0/region0/dax_region0", id: 0, size: GIB, available_size: 768 * MIB, align: 2097152, devices: [{ chardev: "dax0.0", size: 0, target_node: 1, align: 2097152, mode: "devdax", state: "disabled" }] },
    ]);
    // Without -i the idle seed is hidden; nothing listed prints nothing.
    expect((await daxctl(x, "list")).out).toBe("");
  });

  it("create-device --uuid claims the tagged group: JSON on stdout, 'created 1 device' on stderr", async () => {
    const x = await boot();
    const r = await daxctl(x, "create-device", "-r", "region0", "--uuid", A);
    expect(r.err).toBe("created 1 device\n");
    expect(r.code).toBe(0);
    const dev = (JSON.parse(r.out) as [{ chardev: string }])[0];
    expect(JSON.parse(r.out)).toEqual([{ chardev: dev.chardev, size: 256 * MIB, target_node: 1, align: 2097152, mode: "devdax" }]);
    expect(JSON.parse((await daxctl(x, "list", "-d", dev.chardev)).out)).toEqual(JSON.parse(r.out));
    expect(JSON.parse((await daxctl(x, "list", "-R")).out)).toMatchObject([{ id: 0, available_size: 512 * MIB }]);
  });

  it("create-device with an unknown uuid: daxctl's error, created 0 devices, non-zero exit, nothing claimed", async () => {
    const x = await boot();
    const r = await daxctl(x, "create-device", "-r", "region0", "--uuid", "99999999-9999-9999-9999-999999999999");
    expect(r.err).toMatch(/^error creating devices: .+\ncreated 0 devices\n$/);
    expect(r.code).not.toBe(0);
    expect(r.out).toBe("");
    expect(JSON.parse((await daxctl(x, "list", "-R")).out)).toMatchObject([{ available_size: 768 * MIB }]);
  });

  it("disable-device + destroy-device return the capacity; destroy of an active device is refused", async () => {
    const x = await boot();
    const dev = (JSON.parse((await daxctl(x, "create-device", "--uuid", B)).out) as [{ chardev: string }])[0].chardev;
    const busy = await daxctl(x, "destroy-device", dev);
    expect(busy.code).not.toBe(0);
    expect(busy.err).toBe(`${dev}: is active, specify --force for deletion\nerror destroying devices: Device or resource busy\ndestroyed 0 devices\n`);
    expect(await daxctl(x, "disable-device", dev)).toEqual({ code: 0, out: "", err: "disabled 1 device\n" });
    expect(JSON.parse((await daxctl(x, "list", "-d", dev)).out)).toMatchObject([{ chardev: dev, state: "disabled" }]);
    expect(await daxctl(x, "destroy-device", dev)).toEqual({ code: 0, out: "", err: "destroyed 1 device\n" });
    expect(JSON.parse((await daxctl(x, "list", "-R")).out)).toMatchObject([{ available_size: 768 * MIB }]);
  });

  it("bad input: unknown device, missing device, missing mode, unknown flag", async () => {
    const x = await boot();
    expect(await daxctl(x, "destroy-device", "dax9.9")).toEqual({ code: 250, out: "", err: "error destroying devices: No such device or address\ndestroyed 0 devices\n" });
    expect(await daxctl(x, "disable-device")).toEqual({ code: 129, out: "", err: 'specify a device to disable, or "all"\n\n usage: daxctl disable-device <device>\n\n' });
    expect(await daxctl(x, "reconfigure-device", "dax0.0")).toMatchObject({ code: 129, err: "error: a 'align', 'mode' or 'size' option is required\n\n usage: daxctl reconfigure-device <device> [<options>]\n\n" });
    expect(await daxctl(x, "list", "--bogus")).toMatchObject({ code: 129, out: "" });
    expect((await daxctl(x, "list", "--bogus")).err.startsWith("  Error: unknown option `bogus'\n\n usage: daxctl list [<options>]\n")).toBe(true);
    expect(JSON.parse((await daxctl(x, "list", "-R", "-D", "-i")).out)).toMatchObject([{ available_size: 768 * MIB, devices: [{ chardev: "dax0.0", size: 0 }] }]);
  });

  it("reconfigure-device -m system-ram binds kmem; real daxctl 76.1 over the export lists the same regions and devices", async () => {
    const x = await boot();
    const dev = (JSON.parse((await daxctl(x, "create-device", "--uuid", A)).out) as [{ chardev: string }])[0].chardev;
    await daxctl(x, "create-device", "--uuid", B);
    // Without memory hotplug kmem cannot probe: daxctl's error, the device stays as it was.
    const noMm = await daxctl(x, "reconfigure-device", "-m", "system-ram", dev);
    expect(noMm).toMatchObject({ code: 250, err: "error reconfiguring devices: No such device or address\nreconfigured 0 devices\n" });
    expect(await daxctl(x, "enable-device", dev)).toMatchObject({ code: 0, err: "enabled 1 device\n" });
    await installMemoryHotplug(x.host);
    const re = await daxctl(x, "reconfigure-device", "-m", "system-ram", dev);
    expect(re.err).toBe("reconfigured 1 device\n");
    expect(JSON.parse(re.out)).toMatchObject([{ chardev: dev, mode: "system-ram" }]);
    tree = mkdtempSync(join(tmpdir(), "dcd-export-"));
    expect((await runCli(x.host, [registerExportCommand], ["sysfs", "export", tree])).code).toBe(0);
    for (const args of [[], ["-R"], ["-R", "-D"], ["-R", "-D", "-i"], ["-D", "-M"], ["-R", "-D", "-u"], ["-d", dev], ["-r", "0", "-D"]]) {
      const real = realNdctl(tree, ["daxctl", "list", ...args]);
      const ours = await daxctl(x, "list", ...args);
      expect({ args, out: ours.out, err: ours.err, code: ours.code }).toEqual({ args, out: real.out, err: real.err, code: real.code });
    }
    // cxl list of the same tree (with the dax region below the region) still matches too.
    const real = realNdctl(tree, ["cxl", "list", "-M", "-B", "-P", "-D", "-E", "-T", "-R"]);
    const ours = await runCli(x.host, [registerCxlCommands], ["cxl", "list", "-M", "-B", "-P", "-D", "-E", "-T", "-R", "--ndctl", "76.1"]);
    expect(ours.out).toBe(real.out);
  });
});
