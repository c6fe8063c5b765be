/**
 * `dax_regionZ/extentZ.K` as sysfs serves it: the files of an extent are kept per record, so
 * they must follow the record and never the name (ids are reused), and only canonical names
 * resolve.
 */
import { useLeakCheck } from "@dcd/testing";
import { afterEach, describe, expect, it } from "vitest";
import { NULL_UUID } from "../../uuid.js";
import { hostPolicy } from "../extent/host-policy.js";
import { ext, Harness, type HarnessOptions, MIB, P0, TAG_A } from "../extent/test-support/harness.js";

const DIR = "/sys/bus/cxl/devices/dax_region0";

describe("extentZ.K sysfs directories", () => {
  useLeakCheck();
  let h: Harness;
  afterEach(async () => {
    await h.dispose();
  });

  async function setup(options: HarnessOptions = {}): Promise<Harness> {
    h = await Harness.create(options);
    await h.region({ id: 0, dpaStart: P0, dpaSize: 512 * MIB });
    return h;
  }

  const files = (name: string): Record<string, string> => Object.fromEntries(h.host.sysfs.list(`${DIR}/${name}`).map((f) => [f, h.cat(`${DIR}/${name}/${f}`)]));

  it("a reused id shows the new extent's files, not those of the extent released before", async () => {
    await setup();
    await h.add([ext(P0, 2 * MIB)]);
    await h.add([ext(P0 + 2 * MIB, 2 * MIB)]);
    // Read twice: the second read is served from what the first lookup kept.
    for (let i = 0; i < 2; i++) expect(files("extent0.1")).toEqual({ uevent: "DEVTYPE=extent", offset: "0", length: "0x200000" });
    await h.release([{ dpa: P0, len: 2 * MIB }]);
    expect(h.host.sysfs.exists(`${DIR}/extent0.1`)).toBe(false);
    await h.add([ext(P0 + 8 * MIB, 6 * MIB, TAG_A)]);
    expect(h.extentDirs()).toEqual(["extent0.1", "extent0.2"]);
    expect(files("extent0.1")).toEqual({ uevent: "DEVTYPE=extent", offset: "0x800000", length: "0x600000", uuid: TAG_A });
    expect(files("extent0.2")).toEqual({ uevent: "DEVTYPE=extent", offset: "0x200000", length: "0x200000" });
    expect(h.host.sysfs.lstat(`${DIR}/extent0.1/offset`)).toEqual({ type: "file", mode: 0o444 });
  });

  it("v9/v10 keep the null UUID file of untagged extents", async () => {
    await setup({ policy: hostPolicy("L10") });
    await h.add([ext(P0, 2 * MIB)]);
    expect(files("extent0.0")).toEqual({ uevent: "DEVTYPE=extent", offset: "0", length: "0x200000", uuid: NULL_UUID });
  });

  it("only extentZ.K with K in canonical decimal names an extent", async () => {
    await setup();
    await h.add([ext(P0, 2 * MIB)]);
    expect(h.host.sysfs.exists(`${DIR}/extent0.1`)).toBe(true);
    for (const name of ["extent0.01", "extent0.+1", "extent0.1e0", "extent0. 1", "extent0.", "extent0.0x1", "extent1.1", "extent0.1.", "extent0.18446744073709551617", "extent0.4294967297", "xextent0.1", "extent00.1"]) {
      expect(h.host.sysfs.exists(`${DIR}/${name}`), name).toBe(false);
    }
    expect(() => h.cat(`${DIR}/extent0.01/offset`)).toThrow(expect.objectContaining({ code: "ENOENT" }));
  });
});
