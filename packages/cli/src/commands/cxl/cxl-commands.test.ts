/**
 * `dcd cxl …` in-process against a booted host: list JSON built from the reference shapes
 * (cli-and-json.md, host-rules §5.2), region commands with ndctl's texts, and bad input that
 * changes nothing.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cxlCreateRegion, installMemoryHotplug } from "@dcd/core";
import { devdaxRegionDriverModule } from "@dcd/driver-devdax";
import { sysramRegionDriverModule } from "@dcd/driver-sysram";
import { useLeakCheck } from "@dcd/testing";
import { registerDaxctlCommands } from "../daxctl/index.js";
import { registerCxlCommands } from "./index.js";
import { bootDcdHost, daxTestModule, DC_BASE, type DcdHost, GIB, MIB, WINDOW_BASE } from "./test-support/dcd-host.js";
import { runCli } from "./test-support/run-cli.js";
import { displaySize } from "./json-c.js";

useLeakCheck();

const TAG = "11111111-2222-3333-4444-555555555555";

function snapshot(h: DcdHost): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of h.host.sysfs.walk("/sys")) {
    if (e.type === "link") out[e.path] = `-> ${e.target ?? ""}`;
    else if (e.type === "file") {
      try {
        out[e.path] = (e.mode & 0o444) === 0 ? "(wo)" : h.host.sysfs.read(e.path);
      } catch (err) {
        out[e.path] = `!${(err as { code?: string }).code ?? "?"}`;
      }
    } else out[e.path] = "/";
  }
  return out;
}

describe("dcd cxl", () => {
  let h: DcdHost | undefined;
  afterEach(async () => {
    await h?.dispose();
    h = undefined;
  });
  const cxl = (x: DcdHost, ...args: string[]) => runCli(x.host, [registerCxlCommands], ["cxl", ...args]);

  it("display_size matches ndctl's human sizes", () => {
    expect(displaySize(268435456n)).toBe('"256.00 MiB (268.44 MB)"');
    expect(displaySize(4n * 1024n ** 3n)).toBe('"4.00 GiB (4.29 GB)"');
    expect(displaySize(512n * 1024n ** 2n)).toBe('"512.00 MiB (536.87 MB)"');
    expect(displaySize(4096n)).toBe("4096");
  });

  it("create-region -t dynamic_ram_1 prints the region and ndctl's count line; list -r -N shows extents (uuid only when tagged)", async () => {
    h = await bootDcdHost();
    const r = await cxl(h, "create-region", "-t", "dynamic_ram_1", "-d", "decoder0.0", "-m", "mem0");
    expect(r.err).toBe("cxl region: cmd_create_region: created 1 region\n");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ region: "region0", resource: WINDOW_BASE, size: GIB, type: "dynamic_ram_1", interleave_ways: 1, interleave_granularity: 256, decode_state: "commit", mappings: [{ position: 0, memdev: "mem0", decoder: "decoder2.0" }] });
    await h.add([{ dpa: DC_BASE, len: 256 * MIB }, { dpa: DC_BASE + 512 * MIB, len: 256 * MIB, tag: TAG }]);
    const list = await cxl(h, "list", "-r", "region0", "-N");
    expect(list.out).toBe(
      [
        "[",
        "  {",
        '    "region":"region0",',
        `    "resource":${WINDOW_BASE},`,
        `    "size":${GIB},`,
        '    "type":"dynamic_ram_1",',
        '    "interleave_ways":1,',
        '    "interleave_granularity":256,',
        '    "decode_state":"commit",',
        '    "extents":[',
        "      {",
        '        "offset":0,',
        `        "length":${256 * MIB}`,
        "      },",
        "      {",
        `        "offset":${512 * MIB},`,
        `        "length":${256 * MIB},`,
        `        "uuid":"${TAG}"`,
        "      }",
        "    ]",
        "  }",
        "]",
        "",
      ].join("\n"),
    );
    const human = await cxl(h, "list", "-r", "region0", "-N", "-u");
    // A single match is unwrapped under -u; offsets are hex strings, lengths size strings.
    expect(JSON.parse(human.out)).toMatchObject({ resource: "0x1000000000", size: "1024.00 MiB (1073.74 MB)", extents: [{ offset: "0", length: "256.00 MiB (268.44 MB)" }, { offset: "0x20000000", length: "256.00 MiB (268.44 MB)", uuid: TAG }] });
  });

  it("memdev and root decoder carry the dynamic_ram_1 keys; the extents key is absent without extents", async () => {
    h = await bootDcdHost();
    const m = JSON.parse((await cxl(h, "list", "-m", "mem0")).out) as unknown;
    expect(m).toEqual([{ memdev: "mem0", ram_size: 2 * GIB, dynamic_ram_1_size: GIB, serial: 0x1234, numa_node: 0, host: "0000:35:00.0", firmware_version: "FW 1.0.0" }]);
    const d = JSON.parse((await cxl(h, "list", "-d", "decoder0.0")).out) as [Record<string, unknown>];
    expect(d[0]).toMatchObject({ decoder: "decoder0.0", volatile_capable: true, dynamic_ram_1_capable: true, max_available_extent: 4 * GIB });
    await cxlCreateRegion(h.cxl, { memdevs: h.cxl.memdevs() });
    const r = JSON.parse((await cxl(h, "list", "-R", "-N")).out) as [Record<string, unknown>];
    expect(r[0]).not.toHaveProperty("extents");
  });

  it("destroy-region refuses an active region, then disable + destroy frees it", async () => {
    h = await bootDcdHost();
    await cxlCreateRegion(h.cxl, { memdevs: h.cxl.memdevs() });
    const busy = await cxl(h, "destroy-region", "region0");
    expect(busy.code).toBe(1);
    expect(busy.err).toBe(
      [
        "cxl region: destroy_region: region0 active. Disable it or use --force",
        "cxl region: decoder_region_action: region0: failed: Device or resource busy",
        "cxl region: region_action: one or more failures, last failure: Device or resource busy",
        "cxl region: cmd_destroy_region: destroyed 0 regions",
        "",
      ].join("\n"),
    );
    expect(h.cxl.region("region0")).toBeDefined();
    expect(await cxl(h, "disable-region", "region0")).toEqual({ code: 0, out: "", err: "cxl region: cmd_disable_region: disabled 1 region\n" });
    expect(JSON.parse((await cxl(h, "list", "-R", "-i")).out)).toMatchObject([{ region: "region0", state: "disabled" }]);
    expect(await cxl(h, "enable-region", "region0")).toMatchObject({ code: 0, err: "cxl region: cmd_enable_region: enabled 1 region\n" });
    expect(await cxl(h, "destroy-region", "--force", "region0")).toEqual({ code: 0, out: "", err: "cxl region: cmd_destroy_region: destroyed 1 region\n" });
    expect(h.cxl.region("region0")).toBeUndefined();
    expect(await cxl(h, "destroy-region", "region9")).toEqual({ code: 0, out: "", err: "cxl region: cmd_destroy_region: destroyed 0 regions\n" });
  });

  it.each([
    [["create-region", "-d", "decoder0.0", "-s", "12Q", "-m", "mem0"], "cxl region: parse_create_options: Invalid size: 12Q\n", 1],
    [["create-region", "-t", "foo", "-d", "decoder0.0", "-m", "mem0"], "cxl region: parse_create_options: unsupported type: foo\n", 1],
    [["create-region", "-d", "decoder9.0", "-m", "mem0"], "cxl region: collect_memdevs: no active memdevs found: decoder: decoder9.0 filter: mem0\n", 1],
    [["create-region", "-t", "dynamic_ram_1", "-m", "mem7"], "cxl region: collect_memdevs: no active memdevs found: decoder: (null) filter: mem7\n", 1],
    [["create-region", "-t", "dynamic_ram_1", "-s", "3G", "-m", "mem0"], "cxl region: create_region:", 1],
    [["create-region", "-t", "dynamic_ram_1", "-s", "100M", "-m", "mem0"], "cxl region: create_region: decoder2.0: set_dpa_size failed: Invalid argument\n", 1],
    [["list", "--bogus"], "  Error: unknown option `bogus'\n\n usage: cxl list [<options>]\n\n", 129],
    [["list", "-z"], "  Error: unknown switch `z'\n\n usage: cxl list [<options>]\n\n", 129],
    [["create-region", "--frobnicate"], "  Error: unknown option `frobnicate'\n", 129],
  ] as const)("bad input %j: ndctl's error, non-zero exit, nothing changed", async (args, err, code) => {
    h = await bootDcdHost();
    const before = snapshot(h);
    const r = await cxl(h, ...args);
    expect(r.err.startsWith(err)).toBe(true);
    if (args[0] === "create-region" && code === 1) expect(r.err.endsWith("cxl region: cmd_create_region: created 0 regions\n")).toBe(true);
    expect(r.code).toBe(code);
    expect(r.out).toBe("");
    expect(snapshot(h)).toEqual(before);
  });

  it("--driver binds the named region driver; an unknown driver fails and undoes the region", async () => {
    h = await bootDcdHost();
    const before = snapshot(h);
    const bad = await cxl(h, "create-region", "-t", "dynamic_ram_1", "-m", "mem0", "--driver", "no_such_driver");
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("No such file or directory");
    expect(h.cxl.regions()).toEqual([]);
    // The region id is handed out again (the kernel's ida), so the tree is as before.
    expect(snapshot(h)).toEqual(before);
    const ok = await cxl(h, "create-region", "-t", "dynamic_ram_1", "-m", "mem0", "--driver", "cxl_region");
    expect(ok.code).toBe(0);
    expect(h.host.sysfs.realpath("/sys/bus/cxl/devices/region0/driver")).toBe("/sys/bus/cxl/drivers/cxl_region");
  });

  it("--driver takes the region-driver series' short names: sysram, devdax (and dax)", async () => {
    h = await bootDcdHost({ modules: [devdaxRegionDriverModule, sysramRegionDriverModule] });
    await installMemoryHotplug(h.host, { boot: [{ node: 0, size: 16 * GIB }] });
    const driverOf = (region: string) => h?.host.sysfs.realpath(`/sys/bus/cxl/devices/${region}/driver`);
    expect(await cxl(h, "create-region", "-t", "dynamic_ram_1", "-m", "mem0", "-s", "256M", "--driver", "sysram")).toMatchObject({ code: 0 });
    expect(driverOf("region0")).toBe("/sys/bus/cxl/drivers/cxl_sysram_region");
    expect(h.host.sysfs.read("/sys/bus/cxl/devices/sysram_region0/online_type")).toBe("invalid\n");
    expect(await cxl(h, "create-region", "-t", "dynamic_ram_1", "-m", "mem0", "-s", "256M", "--driver", "devdax")).toMatchObject({ code: 0 });
    expect(driverOf("region1")).toBe("/sys/bus/cxl/drivers/cxl_devdax_region");
    expect(await cxl(h, "create-region", "-t", "dynamic_ram_1", "-m", "mem0", "-s", "256M", "--driver", "dax")).toMatchObject({ code: 0 });
    expect(driverOf("region2")).toBe("/sys/bus/cxl/drivers/cxl_devdax_region");
    const bad = await cxl(h, "create-region", "-t", "dynamic_ram_1", "-m", "mem0", "-s", "256M", "--driver", "famfs");
    expect(bad).toMatchObject({ code: 1, err: expect.stringContaining("no region driver 'famfs'") as string });
    expect(h.cxl.regions().map((r) => r.name)).toEqual(["region0", "region1", "region2"]);
  });

  it("list -X adds each region's daxregion (no path; devices as daxctl lists them, idle ones with -i) before extents", async () => {
    h = await bootDcdHost({ modules: [daxTestModule] });
    await cxlCreateRegion(h.cxl, { memdevs: h.cxl.memdevs() });
    await h.add([{ dpa: DC_BASE, len: 256 * MIB, tag: TAG }]);
    const claimed = await runCli(h.host, [registerDaxctlCommands], ["daxctl", "create-device", "-r", "region0", "--uuid", TAG]);
    expect(claimed.code).toBe(0);
    const dev = (JSON.parse(claimed.out) as [{ chardev: string }])[0].chardev;
    const r = await cxl(h, "list", "-r", "region0", "-X", "-N");
    expect(r).toMatchObject({ code: 0, err: "" });
    const [region] = JSON.parse(r.out) as [Record<string, unknown>];
    expect(Object.keys(region).slice(-2)).toEqual(["daxregion", "extents"]);
    // Every accepted extent is claimed by the device: available_size is 0, so the key is left out.
    expect(region.daxregion).toEqual({ id: 0, size: GIB, align: 2097152, devices: [{ chardev: dev, size: 256 * MIB, target_node: 1, align: 2097152, mode: "devdax" }] });
    const idle = JSON.parse((await cxl(h, "list", "-r", "region0", "-X", "-i", "-u")).out) as { daxregion: { size: string; devices: { chardev: string }[] } };
    expect(idle.daxregion.size).toBe('1024.00 MiB (1073.74 MB)');
    expect(idle.daxregion.devices.map((d) => d.chardev).sort()).toEqual(["dax0.0", dev].sort());
    // Without -X, and for a region without a dax_region, there is no key.
    expect(Object.keys((JSON.parse((await cxl(h, "list", "-r", "region0")).out) as [object])[0])).not.toContain("daxregion");
    // ndctl 76.1 has no -X: its parse-options refuses the switch.
    expect(await cxl(h, "list", "-X", "--ndctl", "76.1")).toEqual({ code: 129, out: "", err: "  Error: unknown switch `X'\n\n usage: cxl list [<options>]\n\n" });
  });

  it("list -H/-I/-A log libcxl's failed mailbox query per memdev (no /dev/cxl ioctl from sysfs) and list without those keys", async () => {
    h = await bootDcdHost();
    const plain = JSON.parse((await cxl(h, "list", "-M")).out) as unknown;
    const failed = ["libcxl: do_cmd: failed to validate /dev/cxl/mem0 as a CXL memdev node", "libcxl: alloc_do_query: mem0: query commands failed: No such device or address", "libcxl: cxl_cmd_new_generic: mem0: query returned: No such device or address", ""].join("\n");
    for (const flags of [["-H"], ["-I"], ["-A"], ["-H", "-I", "-A"]]) {
      const r = await cxl(h, "list", "-M", ...flags);
      expect(r.code).toBe(0);
      expect(r.err).toBe(failed.repeat(flags.length));
      expect(JSON.parse(r.out)).toEqual(plain);
    }
  });

  it("release-extents releases one group by tag or extent id; unknown selectors fail", async () => {
    h = await bootDcdHost();
    await cxlCreateRegion(h.cxl, { memdevs: h.cxl.memdevs() });
    await h.add([{ dpa: DC_BASE, len: 256 * MIB }]);
    await h.add([{ dpa: DC_BASE + 512 * MIB, len: 256 * MIB, tag: TAG }]);
    const extents = () => h?.host.sysfs.list("/sys/bus/cxl/devices/dax_region0").filter((n) => n.startsWith("extent")) ?? [];
    expect(extents()).toEqual(["extent0.1", "extent0.2"]);
    expect(await cxl(h, "release-extents", "region0", "--tag", TAG)).toEqual({ code: 0, out: "", err: "cxl region: cmd_release_extents: released 1 extent group\n" });
    expect(extents()).toEqual(["extent0.1"]);
    const none = await cxl(h, "release-extents", "region0", "--tag", TAG);
    expect(none.code).toBe(1);
    expect(none.err).toBe("cxl region: cmd_release_extents: region0: release failed: No such file or directory\n");
    expect(await cxl(h, "release-extents", "region0", "--id", "extent0.1")).toMatchObject({ code: 0 });
    expect(extents()).toEqual([]);
    expect(await cxl(h, "release-extents", "region5", "--id", "1")).toMatchObject({ code: 1, err: "cxl region: cmd_release_extents: region5: no such region\n" });
    expect(await cxl(h, "release-extents", "region0", "--tag", "not-a-uuid")).toEqual({ code: 1, out: "", err: "cxl region: cmd_release_extents: Invalid tag: not-a-uuid: Invalid argument\n" });
  });
});
