/**
 * Real ndctl 76.1 over `dcd sysfs export`: `cxl list` (and `daxctl list`) of the exported tree print
 * byte for byte what `dcd cxl list --ndctl 76.1` prints for the same host, for every listing
 * shape; the default (latest) shape lists the same objects with the same names and sizes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cxlCreateRegion } from "@dcd/core";
import { useLeakCheck } from "@dcd/testing";
import { registerExportCommand } from "../../export/index.js";
import { registerCxlCommands } from "./index.js";
import { bootDcdHost, DC_BASE, type DcdHost, MIB } from "./test-support/dcd-host.js";
import { realNdctl, realNdctlUnavailable } from "./test-support/real-ndctl.js";
import { runCli } from "./test-support/run-cli.js";

useLeakCheck();

/** Sort every array of `{ region }` objects by name. */
function byName(v: unknown): unknown {
  if (Array.isArray(v)) {
    const items = v.map(byName);
    const key = (x: unknown): string => (x !== null && typeof x === "object" && "region" in x ? String((x).region) : "");
    return items.every((x) => key(x) !== "") ? [...items].sort((a, b) => key(a).localeCompare(key(b))) : items;
  }
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, byName(x)]));
  return v;
}

const LISTINGS = [
  [],
  ["-M", "-B", "-P", "-D", "-E", "-T", "-R"],
  ["-M"],
  ["-u"],
  ["-M", "-u"],
  ["-R"],
  ["-R", "-u"],
  ["-D", "-u"],
  ["-D", "-i"],
  ["-vv"],
  ["-v"],
  ["-B", "-R"],
  ["-D", "-R"],
  ["-P", "-E"],
  ["-M", "-P"],
  ["-M", "-E"],
  ["-E", "-D", "-T"],
  ["-r", "region0"],
  ["-m", "mem0", "-D"],
  ["-d", "decoder2.0"],
  ["-p", "port1"],
  ["-p", "port1", "-S", "-D"],
  ["-p", "port1", "-D"],
  ["-p", "root0", "-P", "-E"],
  ["-p", "root0", "-S", "-P"],
  ["-e", "endpoint2"],
  ["-b", "root0", "-P"],
  ["-s", "0x1234"],
  ["-m", "mem1"],
  ["-r", "region9", "-u"],
  // Mailbox-backed objects: ndctl cannot reach /dev/cxl/memN over an export either.
  ["-M", "-H"],
  ["-M", "-I", "-u"],
  ["-M", "-A"],
  ["-vvv"],
];

describe("real ndctl 76.1 over dcd sysfs export", () => {
  let h: DcdHost;
  let tree: string;
  const unavailable = realNdctlUnavailable();

  beforeAll(async () => {
    h = await bootDcdHost();
    await cxlCreateRegion(h.cxl, { memdevs: h.cxl.memdevs() });
    await h.add([{ dpa: DC_BASE, len: 256 * MIB }, { dpa: DC_BASE + 512 * MIB, len: 256 * MIB, tag: "11111111-2222-3333-4444-555555555555" }]);
    tree = mkdtempSync(join(tmpdir(), "dcd-export-"));
    const r = await runCli(h.host, [registerExportCommand], ["sysfs", "export", tree]);
    expect(r).toMatchObject({ code: 0 });
  });
  afterAll(async () => {
    rmSync(tree, { recursive: true, force: true });
    await h.dispose();
  });

  it("can run here (root, unshare -m, ndctl installed)", () => {
    expect(unavailable).toBeUndefined();
  });

  it.each(LISTINGS.map((a) => [a.join(" ") || "(default)", a] as const))("cxl list %s is byte-identical", async (_name, args) => {
    const real = realNdctl(tree, ["cxl", "list", ...args]);
    const ours = await runCli(h.host, [registerCxlCommands], ["cxl", "list", ...args, "--ndctl", "76.1"]);
    expect(ours.out).toBe(real.out);
    expect(ours.err).toBe(real.err);
    expect(ours.code).toBe(real.code);
  });

  it("the latest shape lists the same objects, names and sizes as 76.1 (plus the DCD keys)", async () => {
    const real = JSON.parse(realNdctl(tree, ["cxl", "list", "-M", "-B", "-P", "-D", "-E", "-T", "-R"]).out) as unknown;
    const ours = JSON.parse((await runCli(h.host, [registerCxlCommands], ["cxl", "list", "-M", "-B", "-P", "-D", "-E", "-T", "-R"])).out) as unknown;
    const only76 = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(only76);
      if (v !== null && typeof v === "object") {
        const skip = new Set(["dynamic_ram_1_size", "dynamic_ram_1_capable", "type", "parent_dport", "decoders_committed", "firmware_version", "qos_class", "mode"]);
        return Object.fromEntries(Object.entries(v).filter(([k]) => !skip.has(k)).map(([k, x]) => [k, only76(x)]));
      }
      return v;
    };
    expect(only76(ours)).toEqual(only76(real));
    expect(JSON.stringify(ours)).toContain('"dynamic_ram_1_size":1073741824');
    expect(JSON.stringify(ours)).toContain('"mode":"dynamic_ram_1"');
    expect(JSON.stringify(real)).toContain('"mode":"mixed"');
  });

  it("two memdevs under one host bridge with a 2-way interleaved ram region list the same", async () => {
    const two = await bootDcdHost({ ramMemdevs: 1 });
    const dir = mkdtempSync(join(tmpdir(), "dcd-export-"));
    try {
      await cxlCreateRegion(two.cxl, { memdevs: two.cxl.memdevs(), mode: "ram", size: 2 * 256 * MIB });
      expect((await runCli(two.host, [registerExportCommand], ["sysfs", "export", dir])).code).toBe(0);
      for (const args of [["-M", "-B", "-P", "-D", "-E", "-T", "-R"], ["-vv"], ["-m", "mem1", "-D", "-T"], ["-M", "-P", "-u"], ["-R", "-T"], ["-d", "decoder1.0", "-T"], ["-E", "-m", "mem0"]]) {
        const real = realNdctl(dir, ["cxl", "list", ...args]);
        const ours = await runCli(two.host, [registerCxlCommands], ["cxl", "list", ...args, "--ndctl", "76.1"]);
        expect({ args, out: ours.out, err: ours.err }).toEqual({ args, out: real.out, err: real.err });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await two.dispose();
    }
  });

  it("a disabled region and a second idle region list the same (-R, -R -i, -vv, -D -R -i)", async () => {
    const r = await runCli(h.host, [registerCxlCommands], ["cxl", "disable-region", "region0"]);
    expect(r.code).toBe(0);
    // A second, uncommitted region (decode_state reset) from a raw create_dynamic_ram_1_region write.
    const rd = "/sys/bus/cxl/devices/decoder0.0/create_dynamic_ram_1_region";
    h.host.sysfs.write(rd, h.host.sysfs.read(rd).trim());
    await h.cxl.settle();
    const again = mkdtempSync(join(tmpdir(), "dcd-export-"));
    try {
      expect((await runCli(h.host, [registerExportCommand], ["sysfs", "export", again])).code).toBe(0);
      for (const args of [["-R"], ["-R", "-i"], ["-vv"], ["-D", "-R", "-i"], ["-R", "-i", "-u"], ["-M", "-R", "-i", "-T"]]) {
        const real = realNdctl(again, ["cxl", "list", ...args]);
        const ours = await runCli(h.host, [registerCxlCommands], ["cxl", "list", ...args, "--ndctl", "76.1"]);
        // libcxl keeps regions in readdir order (tmpfs: newest first; kernfs: name hash); dcd lists
        // them by id. Same objects, same text, once the region arrays are put in one order.
        expect({ args, out: byName(JSON.parse(ours.out)), err: ours.err }).toEqual({ args, out: byName(JSON.parse(real.out)), err: real.err });
      }
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  });
});
