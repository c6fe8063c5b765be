/**
 * The release side (host-rules R40-R46) and host-initiated release (R60, `cxl release-extents`),
 * driven through the device's FM release (5605h) and observed through sysfs, Release DC commands
 * and the streams.
 */
import { useLeakCheck } from "@dcd/testing";
import { afterEach, describe, expect, it } from "vitest";
import { errno } from "../../errors.js";
import { NULL_UUID } from "../../uuid.js";
import { DC_EVENT_TYPE } from "../wire/dc-event.js";
import { hostPolicy } from "./host-policy.js";
import { ext, Harness, type HarnessOptions, MIB, OP, P0, P1, PARTITION_0, PARTITION_1, TAG_A, TAG_B, TAG_C } from "./test-support/harness.js";

const R0 = { id: 0, dpaStart: P0, dpaSize: 512 * MIB };
const RELEASE = DC_EVENT_TYPE.RELEASE_CAPACITY;

describe("extent release pipeline", () => {
  useLeakCheck();
  let h: Harness;
  afterEach(async () => {
    await h.dispose();
  });

  async function setup(options: HarnessOptions = {}): Promise<Harness> {
    h = await Harness.create(options);
    await h.region(R0);
    return h;
  }

  it("R22: release records are not staged: each is handled on its own and More is ignored", async () => {
    await setup();
    await h.add([ext(P0, 2 * MIB, TAG_A)]);
    await h.add([ext(P0 + 4 * MIB, 2 * MIB, TAG_B)]);
    await h.inject([
      { eventType: RELEASE, extent: ext(P0, 2 * MIB, TAG_A), more: true },
      { eventType: RELEASE, extent: ext(P0 + 4 * MIB, 2 * MIB, TAG_B), more: true },
    ]);
    expect(h.extentDirs()).toEqual([]);
    expect(h.memdevs[0]?.handle.staged).toBe(0);
    h.clock.advance(30_000);
    await h.idle();
    expect(h.logged("timed out")).toEqual([]);
  });

  it("R40: a release of DPA no region tracks is acknowledged at once and fails with -ENXIO", async () => {
    await setup({ seed: [ext(P0 + 600 * MIB, 2 * MIB)] });
    await h.release([{ dpa: P0 + 600 * MIB, len: 2 * MIB }]);
    expect(h.releases()).toEqual([{ type: "release-dc", memdev: "mem0", extent: { dpa: P0 + 600 * MIB, len: 2 * MIB } }]);
    expect(h.logged("dcd event failed: -6")).toHaveLength(1);
    expect(h.device.acceptedExtents(0)).toEqual([]);
  });

  it("R41: a release names its extent by containment: a sub-range releases the whole extent", async () => {
    await setup();
    await h.add([ext(P0, 8 * MIB)]);
    await h.release([{ dpa: P0 + 2 * MIB, len: 2 * MIB }]);
    expect(h.releases().map((r) => r.extent)).toEqual([{ dpa: P0, len: 8 * MIB }]);
    expect(h.extentDirs()).toEqual([]);
    expect(h.events("released")).toEqual([expect.objectContaining({ cause: "device" })]);
    expect(h.events("release-requested")[0]).toMatchObject({ range: { dpa: P0 + 2 * MIB, len: 2 * MIB } });
  });

  it("R41: a release whose tag does not match is -EINVAL \"matches no dc_extent\" and is not acknowledged", async () => {
    await setup();
    await h.add([ext(P0, 2 * MIB, TAG_A)]);
    await h.inject([{ eventType: RELEASE, extent: ext(P0, 2 * MIB, TAG_B) }]);
    expect(h.logged(`release DPA [range 0x0000000080000000-0x00000000801fffff] (${TAG_B}) matches no dc_extent`)).toEqual([expect.objectContaining({ level: "err", device: "dax_region0" })]);
    expect(h.logged("dcd event failed: -22")).toHaveLength(1);
    expect(h.releases()).toEqual([]);
    expect(h.extentDirs()).toEqual(["extent0.1"]);
  });

  it("R41/Q1: with releaseNoMatch 'ack-return-0' the range is acknowledged and nothing fails", async () => {
    await setup({ policy: hostPolicy("L11", { releaseNoMatch: "ack-return-0" }) });
    await h.add([ext(P0, 2 * MIB, TAG_A)]);
    await h.inject([{ eventType: RELEASE, extent: ext(P0, 2 * MIB, NULL_UUID) }]);
    expect(h.logs.filter((l) => l.level !== "debug").map((l) => l.message)).toEqual([]);
    expect(h.releases().map((r) => r.extent)).toEqual([{ dpa: P0, len: 2 * MIB }]);
  });

  it("R42: when cache invalidation fails nothing changes and the rc is returned; the device may retry", async () => {
    await setup();
    await h.add([ext(P0, 2 * MIB)]);
    let fail = true;
    Object.assign(h.dax(), {
      invalidateMemregion: () => {
        if (fail) throw errno("ENXIO", "Failed to synchronize CPU cache state");
      },
    });
    await h.release([{ dpa: P0, len: 2 * MIB }]);
    expect(h.logged("dcd event failed: -6")).toHaveLength(1);
    expect(h.extentDirs()).toEqual(["extent0.1"]);
    expect(h.releases()).toEqual([]);
    fail = false;
    await h.inject([{ eventType: RELEASE, extent: ext(P0, 2 * MIB) }]);
    expect(h.extentDirs()).toEqual([]);
  });

  it("R43: while the policy says in use the release is deferred silently: no Release DC, no sysfs change", async () => {
    await setup();
    await h.add([ext(P0, 2 * MIB, TAG_A), ext(P0 + 2 * MIB, 2 * MIB, TAG_A)]);
    let inUse = true;
    h.policy().defer = () => (inUse ? "dax0.1 holds it" : undefined);
    await h.release([{ dpa: P0, len: 2 * MIB }]);
    expect(h.events("release-deferred")).toEqual([expect.objectContaining({ cause: "device", reason: "dax0.1 holds it" })]);
    expect(h.releases()).toEqual([]);
    expect(h.extentDirs()).toEqual(["extent0.1", "extent0.2"]);
    expect(h.logs.filter((l) => l.level === "err")).toEqual([]);
    // Nothing is remembered: only a new request from the FM releases it.
    inUse = false;
    await h.idle();
    expect(h.extentDirs()).toHaveLength(2);
    await h.inject([{ eventType: RELEASE, extent: ext(P0, 2 * MIB, TAG_A) }]);
    expect(h.extentDirs()).toEqual([]);
    expect(h.releases()).toHaveLength(2);
  });

  it("R44: a release naming one member releases the whole tag group, one Release DC per member", async () => {
    await setup();
    await h.add([ext(P0, 2 * MIB, TAG_A), ext(P0 + 4 * MIB, 2 * MIB, TAG_A), ext(P0 + 8 * MIB, 4 * MIB, TAG_A), ext(P0 + 16 * MIB, 2 * MIB, TAG_B)]);
    await h.release([{ dpa: P0 + 4 * MIB, len: 2 * MIB }]);
    expect(h.releases().map((r) => r.extent)).toEqual([
      { dpa: P0, len: 2 * MIB },
      { dpa: P0 + 4 * MIB, len: 2 * MIB },
      { dpa: P0 + 8 * MIB, len: 4 * MIB },
    ]);
    expect(h.count(OP.RELEASE_DC)).toBe(3);
    expect(h.extentDirs()).toEqual(["extent0.4"]);
    expect(h.core.liveTags()).toEqual([TAG_B]);
    // The tag is free again: a new chain may bring it back.
    await h.add([ext(P0 + 32 * MIB, 2 * MIB, TAG_A)]);
    expect(h.responses()[1]?.extents).toHaveLength(1);
  });

  it("R44: releasing one untagged extent releases its chain-mates; it is deferred if the group is in use", async () => {
    await setup();
    await h.add([ext(P0, 2 * MIB), ext(P0 + 2 * MIB, 2 * MIB)]);
    await h.add([ext(P0 + 8 * MIB, 2 * MIB)]);
    h.policy().defer = (g) => (g.extents.some((e) => e.dpa === P0 + 2 * MIB) ? "chain-mate in use" : undefined);
    await h.release([{ dpa: P0, len: 2 * MIB }]);
    expect(h.extentDirs()).toEqual(["extent0.1", "extent0.2", "extent0.3"]);
    h.policy().defer = undefined;
    await h.inject([{ eventType: RELEASE, extent: ext(P0, 2 * MIB) }]);
    expect(h.extentDirs()).toEqual(["extent0.3"]);
    expect(h.releases().map((r) => r.extent.dpa)).toEqual([P0, P0 + 2 * MIB]);
  });

  it("R45: a release spanning two adjacent extents matches no single extent: -EINVAL, nothing released", async () => {
    await setup();
    await h.add([ext(P0, 2 * MIB), ext(P0 + 2 * MIB, 2 * MIB)]);
    await h.inject([{ eventType: RELEASE, extent: ext(P0, 4 * MIB) }]);
    expect(h.logged("matches no dc_extent")).toHaveLength(1);
    expect(h.logged("dcd event failed: -22")).toHaveLength(1);
    expect(h.extentDirs()).toHaveLength(2);
    expect(h.releases()).toEqual([]);
  });

  it("R46: a forced release is logged and ignored; the host keeps describing the capacity", async () => {
    await setup();
    await h.add([ext(P0, 2 * MIB, TAG_A)]);
    await h.release([{ dpa: P0, len: 2 * MIB }], { forced: true });
    expect(h.dc.filter((e) => e.type === "record").at(-1)).toMatchObject({ eventType: DC_EVENT_TYPE.FORCED_CAPACITY_RELEASE });
    expect(h.logged("Forced release event ignored.")).toEqual([expect.objectContaining({ level: "err", rule: "R46" })]);
    expect(h.extentDirs()).toEqual(["extent0.1"]);
    expect(h.releases()).toEqual([]);
    expect(h.policy().forced.map((g) => g.tag)).toEqual([TAG_A]);
    expect(h.events("forced-release-ignored")).toHaveLength(1);
    // The device no longer has it (R17): the gap is the host's.
    expect(h.device.acceptedExtents(0)).toEqual([]);
  });

  it("R48: v9 releases every extent overlapping the range, each its own group", async () => {
    await setup({ policy: hostPolicy("L9") });
    await h.add([ext(P0, 2 * MIB), ext(P0 + 2 * MIB, 2 * MIB), ext(P0 + 4 * MIB, 2 * MIB)]);
    expect(h.dax().extentGroups()).toHaveLength(3);
    await h.inject([{ eventType: RELEASE, extent: ext(P0 + MIB, 2 * MIB) }]);
    expect(h.extentDirs()).toEqual(["extent0.2"]);
  });

  it("R60: destroying the region releases every extent with its own Release DC, even in use", async () => {
    await setup();
    await h.add([ext(P0, 2 * MIB, TAG_A), ext(P0 + 2 * MIB, 2 * MIB)]);
    h.policy().defer = () => "in use";
    const region = h.dax();
    await h.core.detachDcRegion(region);
    expect(h.releases().map((r) => r.extent.dpa).sort()).toEqual([P0, P0 + 2 * MIB]);
    expect(h.policy().calls.filter((c) => c.startsWith("release"))).toEqual([`release ${TAG_A} teardown`, `release ${NULL_UUID} teardown`]);
    expect(h.policy().tornDown).toBe(true);
    expect(h.host.sysfs.exists("/sys/bus/cxl/devices/dax_region0")).toBe(false);
    expect(h.core.liveTags()).toEqual([]);
    expect(h.device.acceptedExtents(0)).toEqual([]);
    // A late release for the old region is acknowledged as untracked (R40).
    h.device.seedAccepted(0, [ext(P0, 2 * MIB)]);
    await h.release([{ dpa: P0, len: 2 * MIB }]);
    expect(h.logged("dcd event failed: -6")).toHaveLength(1);
  });

  it("R60: unbinding the cxl_dax_region driver (modprobe -r dax_cxl) releases everything; a rebind scans again", async () => {
    await setup();
    await h.add([ext(P0, 2 * MIB), ext(P0 + 2 * MIB, 2 * MIB, TAG_A)]);
    const { cxlDaxRegionDriver } = await import("../dax-region/cxl-dax-region-driver.js");
    await h.host.core.driverUnregister(cxlDaxRegionDriver);
    await h.idle();
    expect(h.count(OP.RELEASE_DC)).toBe(2);
    expect(h.extentDirs()).toEqual([]);
    expect(h.host.sysfs.exists("/sys/bus/cxl/devices/dax_region0")).toBe(true);
    h.device.seedAccepted(0, [ext(P0 + 4 * MIB, 2 * MIB)]);
    await h.host.core.driverRegister(cxlDaxRegionDriver);
    await h.idle();
    expect(h.dax().extentList().map((e) => e.dpa)).toEqual([P0 + 4 * MIB]);
  });

  describe("R47 [L-dev] staged release chains (releaseMode chain-fully-named)", () => {
    const staged = hostPolicy("L11", { releaseMode: "chain-fully-named" });

    it("R47: records wait for More=0; a chain naming part of a group releases nothing, one naming every member (any order) releases it", async () => {
      await setup({ policy: staged });
      await h.add([ext(P0, 2 * MIB, TAG_A), ext(P0 + 4 * MIB, 2 * MIB, TAG_A), ext(P0 + 8 * MIB, 2 * MIB, TAG_A)]);
      await h.add([ext(P0 + 16 * MIB, 2 * MIB, TAG_B)]);
      // Two of TAG_A's three members and all of TAG_B: the whole chain is refused, nothing changes.
      await h.inject([
        { eventType: RELEASE, extent: ext(P0 + 16 * MIB, 2 * MIB, TAG_B), more: true },
        { eventType: RELEASE, extent: ext(P0 + 4 * MIB, 2 * MIB, TAG_A), more: true },
        { eventType: RELEASE, extent: ext(P0, 2 * MIB, TAG_A), more: false },
      ]);
      expect(h.logged(`release chain names 2 of 3 extents of tag ${TAG_A}; partial release not supported`)).toEqual([expect.objectContaining({ level: "err", rule: "R47" })]);
      expect(h.logged("dcd event failed: -22")).toHaveLength(1);
      expect(h.releases()).toEqual([]);
      expect(h.extentDirs()).toEqual(["extent0.1", "extent0.2", "extent0.3", "extent0.4"]);

      // An open chain changes nothing until it closes.
      await h.inject([{ eventType: RELEASE, extent: ext(P0 + 8 * MIB, 2 * MIB, TAG_A), more: true }]);
      expect(h.extentDirs()).toHaveLength(4);
      expect(h.releases()).toEqual([]);
      // A sub-range names its containing member; the order does not matter.
      await h.inject([
        { eventType: RELEASE, extent: ext(P0 + 2 * MIB, MIB / 2, NULL_UUID), more: true },
        { eventType: RELEASE, extent: ext(P0 + 4 * MIB, 2 * MIB, TAG_A), more: true },
        { eventType: RELEASE, extent: ext(P0 + MIB, MIB, TAG_A), more: false },
      ]);
      // The staged record joined this chain; a record inside no member matches nothing: refused again.
      expect(h.logged("matches no dc_extent")).toHaveLength(1);
      expect(h.extentDirs()).toHaveLength(4);
      await h.inject([
        { eventType: RELEASE, extent: ext(P0 + 8 * MIB, 2 * MIB, TAG_A), more: true },
        { eventType: RELEASE, extent: ext(P0 + 4 * MIB, 2 * MIB, TAG_A), more: true },
        { eventType: RELEASE, extent: ext(P0 + MIB, MIB, TAG_A), more: false },
      ]);
      expect(h.extentDirs()).toEqual(["extent0.4"]);
      expect(h.releases().map((r) => r.extent)).toEqual([
        { dpa: P0, len: 2 * MIB },
        { dpa: P0 + 4 * MIB, len: 2 * MIB },
        { dpa: P0 + 8 * MIB, len: 2 * MIB },
      ]);
      expect(h.core.liveTags()).toEqual([TAG_B]);
      expect(h.events("released")).toHaveLength(1);
      expect(h.events("released")[0]).toMatchObject({ cause: "device", group: { tag: TAG_A } });
    });

    it("R47: on a sharable partition a record names a member only with its seq_num; untracked DPAs are acknowledged", async () => {
      await setup({ policy: staged, partitions: [PARTITION_0, PARTITION_1] });
      await h.region({ id: 1, dpaStart: P1, dpaSize: 256 * MIB });
      await h.add([ext(P1, 2 * MIB, TAG_C, 0), ext(P1 + 2 * MIB, 2 * MIB, TAG_C, 1)]);
      expect(h.extentDirs(1)).toHaveLength(2);
      // Right ranges, swapped sequence numbers: neither record names a member.
      await h.inject([
        { eventType: RELEASE, extent: ext(P1, 2 * MIB, TAG_C, 1), more: true },
        { eventType: RELEASE, extent: ext(P1 + 2 * MIB, 2 * MIB, TAG_C, 0), more: true },
        { eventType: RELEASE, extent: ext(P0 + 600 * MIB, 2 * MIB), more: false },
      ]);
      expect(h.logged("matches no dc_extent")).toHaveLength(2);
      expect(h.extentDirs(1)).toHaveLength(2);
      // The DPA no region tracks is acknowledged, and is no failure of the chain by itself.
      expect(h.releases().map((r) => r.extent)).toEqual([{ dpa: P0 + 600 * MIB, len: 2 * MIB }]);
      await h.inject([
        { eventType: RELEASE, extent: ext(P1 + 2 * MIB, 2 * MIB, TAG_C, 1), more: true },
        { eventType: RELEASE, extent: ext(P1, 2 * MIB, TAG_C, 0), more: false },
      ]);
      expect(h.extentDirs(1)).toEqual([]);
      expect(h.releases()).toHaveLength(3);
      expect(h.logged("dcd event failed")).toHaveLength(1);
    });

    it("R47: the device's FM release of a whole group (one record per member, More-chained) releases it; naming one member does not", async () => {
      await setup({ policy: staged });
      await h.add([ext(P0, 2 * MIB, TAG_A), ext(P0 + 2 * MIB, 2 * MIB, TAG_A)]);
      await h.release([{ dpa: P0, len: 2 * MIB }]);
      expect(h.extentDirs()).toHaveLength(2);
      expect(h.logged("names 1 of 2 extents")).toHaveLength(1);
      await h.releaseTag(TAG_A);
      expect(h.extentDirs()).toEqual([]);
      expect(h.count(OP.RELEASE_DC)).toBe(2);
      expect(h.device.acceptedExtents(0)).toEqual([]);
    });

    it("R47: chain-fully-named needs containment matching (EINVAL with v9's overlap matching)", () => {
      expect(() => hostPolicy("L9", { releaseMode: "chain-fully-named" })).toThrow(expect.objectContaining({ code: "EINVAL" }));
      expect(hostPolicy("L11").releaseMode).toBe("whole-group-per-record");
    });
  });

  it("host-initiated release of one group (cxl release-extents): by tag or extent id; deferred while in use", async () => {
    await setup();
    await h.add([ext(P0, 2 * MIB, TAG_A), ext(P0 + 2 * MIB, 2 * MIB, TAG_A), ext(P0 + 4 * MIB, 2 * MIB)]);
    h.policy().defer = () => "mounted";
    await expect(h.dax().releaseExtents({ tag: TAG_A })).resolves.toEqual({ result: "deferred", reason: "mounted" });
    expect(h.releases()).toEqual([]);
    h.policy().defer = undefined;
    await expect(h.dax().releaseExtents({ tag: TAG_A.toUpperCase() })).resolves.toEqual({ result: "released" });
    expect(h.releases()).toHaveLength(2);
    expect(h.policy().released.map((r) => r.cause)).toEqual(["host"]);
    await expect(h.dax().releaseExtents({ id: 3 })).resolves.toEqual({ result: "released" });
    expect(h.extentDirs()).toEqual([]);
    await expect(h.dax().releaseExtents({ id: 3 })).rejects.toMatchObject({ code: "ENOENT" });
    await expect(h.dax().releaseExtents({ tag: TAG_B })).rejects.toMatchObject({ code: "ENOENT" });
    await expect(h.dax().releaseExtents({})).rejects.toMatchObject({ code: "EINVAL" });
  });
});
