/**
 * The probe-time scan of existing extents (host-rules R35-R39): Get DC Extent List paging with
 * generation retry inside the `cxl_dax_region` probe, never re-acknowledged.
 */
import { useLeakCheck } from "@dcd/testing";
import { afterEach, describe, expect, it } from "vitest";
import { NULL_UUID } from "../../uuid.js";
import { encodeGetExtentListOut } from "../wire/extent-list.js";
import { hostPolicy } from "./host-policy.js";
import { ext, Harness, type HarnessOptions, MIB, OP, P0, TAG_A, TAG_B } from "./test-support/harness.js";

const R0 = { id: 0, dpaStart: P0, dpaSize: 512 * MIB };

describe("probe-time scan", () => {
  useLeakCheck();
  let h: Harness;
  afterEach(async () => {
    await h.dispose();
  });

  async function withSeed(seed: ReturnType<typeof ext>[], options: HarnessOptions = {}): Promise<Harness> {
    h = await Harness.create({ seed, ...options });
    return h;
  }

  it("R35: extents found by the scan are realised with existing=true and never re-acknowledged", async () => {
    await withSeed([ext(P0, 2 * MIB), ext(P0 + 4 * MIB, 2 * MIB, TAG_A), ext(P0 + 8 * MIB, 2 * MIB, TAG_A)]);
    await h.region(R0);
    expect(h.count(OP.ADD_DC_RESPONSE)).toBe(0);
    expect(h.responses()).toEqual([]);
    expect(h.extentDirs()).toEqual(["extent0.1", "extent0.2", "extent0.3"]);
    expect(h.policy().accepted_.map((g) => [g.tag, g.existing, g.extents.length])).toEqual([
      [NULL_UUID, true, 1],
      [TAG_A, true, 2],
    ]);
    expect(h.events("accepted").every((e) => e.existing)).toBe(true);
    expect(h.core.liveTags()).toEqual([TAG_A]);
  });

  it("R35: the scan is not subject to the 100-extent cap", async () => {
    await withSeed(Array.from({ length: 150 }, (_, i) => ext(P0 + i * 2 * MIB, 2 * MIB)));
    await h.region(R0);
    expect(h.dax().extentCount).toBe(150);
    expect(h.logged("exceeds")).toEqual([]);
  });

  it("R36: after the scan the device's list and the host's extents agree", async () => {
    await withSeed([ext(P0, 2 * MIB), ext(P0 + 2 * MIB, 2 * MIB)], { payloadSize: 256 });
    await h.region(R0);
    expect(h.dax().extentList().map((e) => ({ dpa: e.dpa, len: e.length }))).toEqual(h.device.acceptedExtents(0).map((e) => ({ dpa: e.dpa, len: e.len })));
  });

  it("R37: the list is read page by page; a generation change restarts the read from index 0", async () => {
    // 256-byte payloads: 6 extents per 4801h page, so 8 extents take 2 pages.
    await withSeed(Array.from({ length: 8 }, (_, i) => ext(P0 + i * 2 * MIB, 2 * MIB)), { payloadSize: 256 });
    const m = h.memdevs[0]!;
    let pages = 0;
    m.intercept = (op) => {
      if (op === OP.GET_DC_EXTENT_LIST && ++pages === 2) h.device.seedAccepted(0, [ext(P0 + 600 * MIB, 2 * MIB)]);
      return undefined;
    };
    await h.region(R0);
    const warn = h.logged("Extent list change detected; gen ");
    expect(warn).toHaveLength(1);
    expect(warn[0]?.message).toMatch(/^Extent list change detected; gen \d+ != \d+ : cnt 8 != 9$/);
    // Pass 1: 2 pages (changed on the second); pass 2: 9 extents in 2 pages.
    expect(pages).toBe(4);
    expect(h.dax().extentCount).toBe(8);
    expect(h.dax().driver?.name).toBe("cxl_dax_region");
  });

  it("R37: a list that keeps changing fails the probe with -EAGAIN after 11 attempts; dax_regionZ stays unbound", async () => {
    await withSeed(Array.from({ length: 8 }, (_, i) => ext(P0 + i * 2 * MIB, 2 * MIB)), { payloadSize: 256 });
    const m = h.memdevs[0]!;
    let pages = 0;
    let extra = 0;
    m.intercept = (op) => {
      if (op === OP.GET_DC_EXTENT_LIST && ++pages % 2 === 0) h.device.seedAccepted(0, [ext(P0 + 600 * MIB + extra++ * 2 * MIB, 2 * MIB)]);
      return undefined;
    };
    await h.region(R0);
    expect(h.logged("Extent list change detected")).toHaveLength(11);
    expect(pages).toBe(22);
    expect(h.dax().driver).toBeUndefined();
    expect(h.dax().extentsScanned).toBe(false);
    expect(h.extentDirs()).toEqual([]);
  });

  it("R37: a page with no extents while more are expected is -EIO and fails the probe", async () => {
    await withSeed(Array.from({ length: 8 }, (_, i) => ext(P0 + i * 2 * MIB, 2 * MIB)), { payloadSize: 256 });
    const m = h.memdevs[0]!;
    let pages = 0;
    m.intercept = (op) => {
      if (op !== OP.GET_DC_EXTENT_LIST || ++pages !== 2) return undefined;
      const gen = h.device.generation(0);
      return { rc: 0, payload: encodeGetExtentListOut({ total: 8, generation: gen, extents: [] }) };
    };
    await h.region(R0);
    expect(h.dax().driver).toBeUndefined();
    expect(pages).toBe(2);
  });

  it("R37: a mailbox error is returned as is and fails the probe", async () => {
    await withSeed([ext(P0, 2 * MIB)]);
    h.memdevs[0]!.intercept = (op) => (op === OP.GET_DC_EXTENT_LIST ? { rc: 0x04, payload: new Uint8Array(0) } : undefined);
    await h.region(R0);
    expect(h.dax().driver).toBeUndefined();
    // The next bind attempt scans again.
    h.memdevs[0]!.intercept = undefined;
    await h.host.core.bus("cxl")?.bind("dax_region0", "cxl_dax_region");
    await h.idle();
    expect(h.dax().extentCount).toBe(1);
  });

  it("R37: runtime adds are accepted once the scan set extents_scanned", async () => {
    await withSeed([ext(P0, 2 * MIB)]);
    await h.region(R0);
    expect(h.dax().extentsScanned).toBe(true);
    await h.add([ext(P0 + 2 * MIB, 2 * MIB)]);
    expect(h.responses()[0]?.extents).toEqual([{ dpa: P0 + 2 * MIB, len: 2 * MIB }]);
  });

  it("R38: a group that fails a gate during the scan is skipped silently; the probe succeeds and the device keeps it", async () => {
    await withSeed([ext(P0, 2 * MIB, TAG_A), ext(P0 + 4 * MIB, 64 * 1024, TAG_A), ext(P0 + 8 * MIB, 2 * MIB, TAG_B)]);
    await h.region(R0);
    expect(h.dax().driver?.name).toBe("cxl_dax_region");
    expect(h.events("rejected")).toEqual([expect.objectContaining({ rule: "R27", existing: true, tag: TAG_A })]);
    expect(h.dax().extentGroups().map((g) => g.tag)).toEqual([TAG_B]);
    expect(h.device.acceptedExtents(0)).toHaveLength(3);
    expect(h.count(OP.ADD_DC_RESPONSE)).toBe(0);
    expect(h.count(OP.RELEASE_DC)).toBe(0);
  });

  it("R38: the scan also reads other regions' extents: already accepted ones are duplicates", async () => {
    h = await Harness.create();
    await h.region(R0);
    await h.add([ext(P0, 2 * MIB)]);
    await h.region({ id: 1, dpaStart: P0 + 512 * MIB, dpaSize: 256 * MIB });
    expect(h.logged("Extent [range 0x0000000080000000-0x00000000801fffff] exists; accept again")).toHaveLength(1);
    expect(h.events("rejected")).toEqual([expect.objectContaining({ rule: "R33", existing: true, region: "region0" })]);
    expect(h.dax(0).extentCount).toBe(1);
  });

  it("R39: v9/v10 read existing extents when dax_regionZ is created, even with dax_cxl not loaded", async () => {
    await withSeed([ext(P0, 2 * MIB)], { policy: hostPolicy("L10"), daxCxl: false });
    await h.region(R0);
    expect(h.dax().driver).toBeUndefined();
    expect(h.dax().extentList().map((e) => e.name)).toEqual(["extent0.0"]);
  });
});
