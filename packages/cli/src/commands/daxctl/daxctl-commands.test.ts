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

  describe("reconfigure-device --mode=system-ram", () => {
    const inWindow = (x: DcdHost) => x.host.sysfs.list("/sys/devices/system/memory").filter((n) => /^memory\d+$/.test(n) && Number(n.slice(6)) * 128 * MIB >= 64 * GIB);
    const claimA = async (x: DcdHost): Promise<string> => (JSON.parse((await daxctl(x, "create-device", "--uuid", A)).out) as [{ chardev: string }])[0].chardev;

    it("SYS-14: with auto_online_blocks=online daxctl refuses without --force (EBUSY) and the device stays devdax; --force proceeds", async () => {
      const x = await boot();
      await installMemoryHotplug(x.host, { autoOnlineBlocks: "online" });
      const dev = await claimA(x);
      const refused = await daxctl(x, "reconfigure-device", "--mode=system-ram", dev);
      expect(refused).toEqual({ code: 240, out: "", err: `${dev}: error: kernel policy will auto-online memory, aborting\nerror reconfiguring devices: Device or resource busy\nreconfigured 0 devices\n` });
      expect(JSON.parse((await daxctl(x, "list", "-d", dev)).out)).toMatchObject([{ chardev: dev, mode: "devdax" }]);
      expect(inWindow(x)).toEqual([]);
      // --no-online is checked too: the kernel would online the memory anyway.
      expect((await daxctl(x, "reconfigure-device", "--mode=system-ram", "--no-online", dev)).code).toBe(240);

      const forced = await daxctl(x, "reconfigure-device", "--mode=system-ram", "--force", dev);
      expect(forced.code).toBe(0);
      // The kernel onlined every block before daxctl could: daxctl reports the race.
      expect(forced.err).toBe(
        `${dev}:\n  WARNING: detected a race while onlining memory\n  Some memory may not be in the expected zone. It is\n  recommended to disable any other onlining mechanisms,\n  and retry. If onlining is to be left to other agents,\n  use the --no-online option to suppress this warning\n${dev}: all memory sections (2) already online\nreconfigured 1 device\n`,
      );
      // auto_online_blocks=online put the blocks in ZONE_NORMAL, not where daxctl would have.
      expect(JSON.parse(forced.out)).toEqual([{ chardev: dev, size: 256 * MIB, target_node: 1, align: 2097152, mode: "system-ram", online_memblocks: 2, total_memblocks: 2, movable: false }]);
      expect(inWindow(x)).toHaveLength(2);
    });

    it("--no-movable passes the auto-online check (daxctl's condition) and onlines into ZONE_NORMAL", async () => {
      const x = await boot();
      await installMemoryHotplug(x.host, { autoOnlineBlocks: "online" });
      const dev = await claimA(x);
      const r = await daxctl(x, "reconfigure-device", "--mode=system-ram", "--no-movable", dev);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject([{ mode: "system-ram", online_memblocks: 2, total_memblocks: 2, movable: false }]);
    });

    it("daxctl onlines movable by default; the JSON adds online_memblocks, total_memblocks, movable after mode", async () => {
      const x = await boot();
      await installMemoryHotplug(x.host);
      const dev = await claimA(x);
      const r = await daxctl(x, "reconfigure-device", "-m", "system-ram", dev);
      expect(r.err).toBe("reconfigured 1 device\n");
      expect(r.code).toBe(0);
      const [obj] = JSON.parse(r.out) as [Record<string, unknown>];
      expect(Object.keys(obj)).toEqual(["chardev", "size", "target_node", "align", "mode", "online_memblocks", "total_memblocks", "movable"]);
      expect(obj).toEqual({ chardev: dev, size: 256 * MIB, target_node: 1, align: 2097152, mode: "system-ram", online_memblocks: 2, total_memblocks: 2, movable: true });
      expect(x.host.sysfs.read(`/sys/bus/dax/devices/${dev}/state`)).toBe("offline\n");
    });

    it("--no-online leaves the blocks offline; --no-movable onlines them into ZONE_NORMAL; --no-online with devdax is refused", async () => {
      const x = await boot();
      await installMemoryHotplug(x.host);
      const dev = await claimA(x);
      const r = await daxctl(x, "reconfigure-device", "-m", "system-ram", "--no-online", dev);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject([{ chardev: dev, mode: "system-ram", online_memblocks: 0, total_memblocks: 2 }]);
      expect(await daxctl(x, "reconfigure-device", "-m", "devdax", "--no-online", dev)).toMatchObject({ code: 129, err: "--no-online is incompatible with --mode=devdax\n\n usage: daxctl reconfigure-device <device> [<options>]\n\n" });
      // Back to devdax (all offline: no --force needed), then system-ram in ZONE_NORMAL.
      expect((await daxctl(x, "reconfigure-device", "-m", "devdax", dev)).code).toBe(0);
      expect(inWindow(x)).toEqual([]);
      const normal = await daxctl(x, "reconfigure-device", "-m", "system-ram", "--no-movable", dev);
      expect(JSON.parse(normal.out)).toMatchObject([{ online_memblocks: 2, total_memblocks: 2, movable: false }]);
    });

    it("back to devdax: online memory is EBUSY without --force; --force offlines it first and the blocks go", async () => {
      const x = await boot();
      await installMemoryHotplug(x.host);
      const dev = await claimA(x);
      await daxctl(x, "reconfigure-device", "-m", "system-ram", dev);
      expect(await daxctl(x, "reconfigure-device", "-m", "devdax", dev)).toEqual({ code: 240, out: "", err: "error reconfiguring devices: Device or resource busy\nreconfigured 0 devices\n" });
      expect(inWindow(x)).toHaveLength(2);
      const forced = await daxctl(x, "reconfigure-device", "-m", "devdax", "--force", dev);
      expect(forced).toMatchObject({ code: 0, err: "reconfigured 1 device\n" });
      expect(JSON.parse(forced.out)).toEqual([{ chardev: dev, size: 256 * MIB, target_node: 1, align: 2097152, mode: "devdax" }]);
      expect(inWindow(x)).toEqual([]);
    });
  });

  it("online-memory / offline-memory: block by block, daxctl's messages; devdax devices are refused", async () => {
    const x = await boot();
    await installMemoryHotplug(x.host);
    const dev = (JSON.parse((await daxctl(x, "create-device", "--uuid", A)).out) as [{ chardev: string }])[0].chardev;
    expect(await daxctl(x, "online-memory", dev)).toEqual({ code: 250, out: "", err: `${dev}: memory operations are not applicable in devdax mode\nerror onlining memory: No such device or address\nonlined memory for 0 devices\n` });
    await daxctl(x, "reconfigure-device", "-m", "system-ram", "--no-online", dev);
    expect(await daxctl(x, "online-memory", "--no-movable", dev)).toEqual({ code: 0, out: "", err: "onlined memory for 1 device\n" });
    expect(JSON.parse((await daxctl(x, "list", "-d", dev)).out)).toMatchObject([{ online_memblocks: 2, total_memblocks: 2, movable: false }]);
    // Already online: said, not counted, exit status 1 (daxctl returns the positive rc).
    expect(await daxctl(x, "online-memory", dev)).toMatchObject({ code: 1, err: expect.stringContaining(`${dev}: all memory sections (2) already online\nonlined memory for 0 devices\n`) as unknown });
    expect(await daxctl(x, "offline-memory", dev)).toEqual({ code: 0, out: "", err: "offlined memory for 1 device\n" });
    expect(JSON.parse((await daxctl(x, "list", "-d", dev)).out)).toMatchObject([{ online_memblocks: 0, total_memblocks: 2 }]);
    expect(await daxctl(x, "offline-memory", dev)).toEqual({ code: 1, out: "", err: `${dev}: all memory sections (2) already offline\nofflined memory for 0 devices\n` });
  });

});
