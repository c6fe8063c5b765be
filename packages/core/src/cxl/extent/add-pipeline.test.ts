/**
 * The add side of the extent pipeline (host-rules R18-R34), driven through the device's FM
 * operations (or raw DC log injection for firmware bugs the device model refuses to produce), and
 * observed through sysfs, the device's state and the host's streams and kernel log.
 */
import { useLeakCheck } from "@dcd/testing";
import { afterEach, describe, expect, it } from "vitest";
import { NULL_UUID } from "../../uuid.js";
import { DC_EVENT_TYPE } from "../wire/dc-event.js";
import { hostPolicy } from "./host-policy.js";
import { ext, GIB, Harness, type HarnessOptions, MIB, OP, P0, P1, PARTITION_0, PARTITION_1, type RegionSpec, TAG_A, TAG_B } from "./test-support/harness.js";

const R0 = { id: 0, dpaStart: P0, dpaSize: 512 * MIB };

describe("extent add pipeline", () => {
  useLeakCheck();
  let h: Harness;
  afterEach(async () => {
    await h.dispose();
  });

  async function setup(options: HarnessOptions = {}, regions: RegionSpec[] = [R0]): Promise<Harness> {
    h = await Harness.create(options);
    for (const r of regions) await h.region(r);
    return h;
  }

  describe("R18 dispatch", () => {
    it("R18: each record is traced, then dispatched; the handles are cleared after the batch", async () => {
      await setup();
      await h.add([ext(P0, 2 * MIB), ext(P0 + 2 * MIB, 2 * MIB)]);
      expect(h.dc.flatMap((e) => (e.type === "record" ? [[e.handle, e.more]] : []))).toEqual([
        [1, true],
        [2, false],
      ]);
      expect(h.device.logicalDevice(0).eventLog.length).toBe(0);
      expect(h.count(OP.CLEAR_EVENT_RECORDS)).toBe(1);
    });

    it("R18: a Region Configuration Updated record is -EINVAL: \"dcd event failed: -22\"", async () => {
      await setup();
      expect(h.device.setDcRegionConfig({ regionId: 1, blockSize: 2 * MIB, sanitizeOnRelease: true }).rc).toBe(0);
      await h.idle();
      expect(h.dc.find((e) => e.type === "record")).toMatchObject({ eventType: DC_EVENT_TYPE.REGION_CONFIGURATION_UPDATED });
      expect(h.logged("dcd event failed: -22")).toEqual([expect.objectContaining({ level: "err", device: "mem0" })]);
    });
  });

  describe("R19-R21 More-chain staging", () => {
    it("R19: records with More=1 are staged; nothing is validated or answered until More=0", async () => {
      await setup();
      await h.add([ext(P0, 2 * MIB), ext(P0 + 2 * MIB, 2 * MIB)], { more: true });
      expect(h.memdevs[0]?.handle.staged).toBe(2);
      expect(h.events("offered")).toEqual([]);
      expect(h.responses()).toEqual([]);
      expect(h.extentDirs()).toEqual([]);
      await h.add([ext(P0 + 8 * MIB, 2 * MIB)]);
      expect(h.memdevs[0]?.handle.staged).toBe(0);
      expect(h.responses()).toHaveLength(1);
      expect(h.responses()[0]?.extents).toEqual([
        { dpa: P0, len: 2 * MIB },
        { dpa: P0 + 2 * MIB, len: 2 * MIB },
        { dpa: P0 + 8 * MIB, len: 2 * MIB },
      ]);
      expect(h.extentDirs()).toEqual(["extent0.1", "extent0.2", "extent0.3"]);
    });

    it("R20: a chain not closed within 20 s of its last More=1 record is refused with an empty response", async () => {
      await setup();
      await h.add([ext(P0, 2 * MIB)], { more: true });
      h.clock.advance(15_000);
      await h.idle();
      // A later More=1 record re-arms the watchdog.
      await h.add([ext(P0 + 2 * MIB, 2 * MIB)], { more: true });
      h.clock.advance(19_999);
      await h.idle();
      expect(h.responses()).toEqual([]);
      h.clock.advance(1);
      await h.idle();
      expect(h.logged("DC add chain timed out; refusing staged extents")).toEqual([expect.objectContaining({ level: "warn", rule: "R20" })]);
      expect(h.responses()).toEqual([expect.objectContaining({ extents: [], payloads: 1, cause: "timeout" })]);
      expect(h.memdevs[0]?.handle.staged).toBe(0);
      expect(h.device.acceptedExtents(0)).toEqual([]);
      expect(h.device.pendingGroups(0)).toEqual([]);
      expect(h.events("rejected")).toEqual([expect.objectContaining({ rule: "R20", errno: "ETIMEDOUT", scope: "group" })]);
    });

    it("R21: a runtime chain growing past 100 staged extents is dropped with -ENOSPC; the armed watchdog answers it", async () => {
      await setup();
      const chain = Array.from({ length: 101 }, (_, i) => ext(P0 + i * 2 * MIB, 2 * MIB));
      await h.add(chain, { more: true });
      expect(h.logged("DC add chain exceeds 100 extents; dropping (firmware bug)")).toHaveLength(1);
      expect(h.logged("dcd event failed: -28")).toHaveLength(1);
      expect(h.memdevs[0]?.handle.staged).toBe(0);
      // v11 code sends nothing at the cap; the still-armed watchdog sends the one (empty) response.
      expect(h.responses()).toEqual([]);
      h.clock.advance(20_000);
      await h.idle();
      expect(h.responses()).toEqual([expect.objectContaining({ extents: [], cause: "timeout" })]);
      expect(h.device.acceptedExtents(0)).toEqual([]);
    });

    it("R21: with capAction 'empty-response' the cap sends the empty response at once", async () => {
      await setup({ policy: hostPolicy("L11", { capAction: "empty-response" }) });
      await h.add(Array.from({ length: 101 }, (_, i) => ext(P0 + i * 2 * MIB, 2 * MIB)));
      expect(h.responses()).toEqual([expect.objectContaining({ extents: [], cause: "cap" })]);
    });

    it("R21: the cap is the policy's (v10 has none)", async () => {
      await setup({ policy: hostPolicy("L10") });
      await h.add(Array.from({ length: 101 }, (_, i) => ext(P0 + i * 2 * MIB, 2 * MIB)));
      expect(h.responses()[0]?.extents).toHaveLength(101);
    });
  });

  describe("R23 grouping", () => {
    it("R23: groups form in first-appearance order of their tag; all untagged extents of a chain are one group", async () => {
      await setup();
      await h.add([ext(P0, 2 * MIB), ext(P0 + 2 * MIB, 2 * MIB, TAG_A), ext(P0 + 4 * MIB, 2 * MIB), ext(P0 + 6 * MIB, 2 * MIB, TAG_A)]);
      const accepted = h.events("accepted");
      expect(accepted.map((e) => [e.group.tag, e.group.extents.map((x) => x.dpa)])).toEqual([
        [NULL_UUID, [P0, P0 + 4 * MIB]],
        [TAG_A, [P0 + 2 * MIB, P0 + 6 * MIB]],
      ]);
      expect(h.responses()[0]?.extents.map((e) => e.dpa)).toEqual([P0, P0 + 4 * MIB, P0 + 2 * MIB, P0 + 6 * MIB]);
      // Ids follow realisation: group by group, each in seq order.
      expect(h.dax().extentList().map((e) => [e.name, e.dpa])).toEqual([
        ["extent0.1", P0],
        ["extent0.2", P0 + 4 * MIB],
        ["extent0.3", P0 + 2 * MIB],
        ["extent0.4", P0 + 6 * MIB],
      ]);
    });

    it("R23: a sharable group is stable-sorted by Shared Extent Sequence", async () => {
      await setup({ partitions: [PARTITION_0, PARTITION_1] }, [{ id: 1, dpaStart: P1, dpaSize: 256 * MIB }]);
      await h.add([ext(P1 + 4 * MIB, 2 * MIB, TAG_A, 2), ext(P1, 2 * MIB, TAG_A, 0), ext(P1 + 8 * MIB, 2 * MIB, TAG_A, 1)]);
      const [g] = h.events("accepted");
      expect(g?.group.sharable).toBe(true);
      expect(g?.group.extents.map((e) => [e.sharedSeq, e.seqNum, e.dpa, e.name])).toEqual([
        [0, 0, P1, "extent1.1"],
        [1, 1, P1 + 8 * MIB, "extent1.2"],
        [2, 2, P1 + 4 * MIB, "extent1.3"],
      ]);
    });

    it("R23: untagged groups of different chains stay separate groups", async () => {
      await setup();
      await h.add([ext(P0, 2 * MIB)]);
      await h.add([ext(P0 + 2 * MIB, 2 * MIB)]);
      expect(h.dax().extentGroups()).toHaveLength(2);
    });
  });

  describe("R24-R27 group gates", () => {
    it("R24: a tag already live on the host drops the whole group", async () => {
      await setup({ memdevs: 2 }, [R0, { id: 1, memdev: 1, dpaStart: P0, dpaSize: 512 * MIB }]);
      await h.add([ext(P0, 2 * MIB, TAG_A)]);
      // Same tag through another memdev into another region: still one allocation per host.
      await h.add([ext(P0 + 2 * MIB, 2 * MIB, TAG_A), ext(P0 + 4 * MIB, 2 * MIB, TAG_A)], { memdev: 1 });
      expect(h.logged(`Tag ${TAG_A}: dropping group, tag already committed (firmware/orchestrator bug)`)).toEqual([expect.objectContaining({ level: "warn", device: "mem1", rule: "R24" })]);
      expect(h.responses(1)).toEqual([expect.objectContaining({ extents: [] })]);
      expect(h.events("rejected")).toEqual([expect.objectContaining({ rule: "R24", scope: "group", region: "region1", tag: TAG_A })]);
      expect(h.extentDirs(1)).toEqual([]);
      expect(h.core.liveTags()).toEqual([TAG_A]);
    });

    it("R24: the second chain of a tag split across chains is rejected", async () => {
      await setup();
      await h.add([ext(P0, 2 * MIB, TAG_A)]);
      await h.add([ext(P0 + 2 * MIB, 2 * MIB, TAG_A)]);
      expect(h.responses().map((r) => r.extents.length)).toEqual([1, 0]);
    });

    it("R24: v10 checks only the target region", async () => {
      await setup({ policy: hostPolicy("L10"), memdevs: 2 }, [R0, { id: 1, memdev: 1, dpaStart: P0, dpaSize: 512 * MIB }]);
      await h.add([ext(P0, 2 * MIB, TAG_A)]);
      await h.add([ext(P0 + 2 * MIB, 2 * MIB, TAG_A)], { memdev: 1 });
      expect(h.responses(1)[0]?.extents).toHaveLength(1);
      await h.add([ext(P0 + 2 * MIB, 2 * MIB, TAG_A)]);
      expect(h.logged(`Tag ${TAG_A}: dropping group, tag already committed in a previous More-chain (firmware bug)`)).toHaveLength(1);
    });

    it("R25: sequence numbers must be all 0 or exactly 0..n-1; a gap, a duplicate or a wrong start drops the group", async () => {
      await setup({ partitions: [PARTITION_0, PARTITION_1] }, [{ id: 1, dpaStart: P1, dpaSize: 256 * MIB }]);
      await h.add([ext(P1, 2 * MIB, TAG_A, 0), ext(P1 + 2 * MIB, 2 * MIB, TAG_A, 2)]);
      await h.add([ext(P1 + 4 * MIB, 2 * MIB, TAG_B, 1), ext(P1 + 6 * MIB, 2 * MIB, TAG_B, 2)]);
      expect(h.logged(`Tag ${TAG_A}: shared_extn_seq gap/dup: expected 1 got 2 (firmware bug)`)).toHaveLength(1);
      expect(h.logged(`Tag ${TAG_B}: shared_extn_seq starts at 1, expected 0 (firmware bug)`)).toHaveLength(1);
      expect(h.events("rejected").map((e) => [e.rule, e.errno, e.extents.length])).toEqual([
        ["R25", "EINVAL", 2],
        ["R25", "EINVAL", 2],
      ]);
      expect(h.responses().map((r) => r.extents.length)).toEqual([0, 0]);
    });

    it("R25: v10 requires 1..n and calls a 0 among nonzero values mixed", async () => {
      await setup({ policy: hostPolicy("L10"), partitions: [PARTITION_0, PARTITION_1] }, [{ id: 1, dpaStart: P1, dpaSize: 256 * MIB }]);
      await h.add([ext(P1, 2 * MIB, TAG_A, 1), ext(P1 + 2 * MIB, 2 * MIB, TAG_A, 2)]);
      await h.add([ext(P1 + 4 * MIB, 2 * MIB, TAG_B, 0), ext(P1 + 6 * MIB, 2 * MIB, TAG_B, 1)]);
      expect(h.responses().map((r) => r.extents.length)).toEqual([2, 0]);
      expect(h.logged(`Tag ${TAG_B}: shared_extn_seq mixed 0/non-zero in one allocation (firmware bug)`)).toHaveLength(1);
    });

    it("R26: a tagged group spanning DC partitions is dropped", async () => {
      await setup({ partitions: [PARTITION_0, PARTITION_1] }, [R0, { id: 1, dpaStart: P1, dpaSize: 256 * MIB }]);
      await h.add([ext(P0, 2 * MIB, TAG_A), ext(P1, 2 * MIB, TAG_A)]);
      expect(h.logged(`Tag ${TAG_A}: extents span DC partitions (DPA:0x80000000 and DPA:0xc0000000), firmware bug`)).toHaveLength(1);
      expect(h.events("rejected")).toEqual([expect.objectContaining({ rule: "R26", errno: "EINVAL", scope: "group" })]);
      expect(h.responses()[0]?.extents).toEqual([]);
    });

    it("R26: a tagged member in no DC partition the host uses drops the group with -ENXIO", async () => {
      await setup();
      await h.add([ext(P0, 2 * MIB, TAG_A), ext(P1, 2 * MIB, TAG_A)]);
      expect(h.logged("is not in a valid DC partition")).toHaveLength(1);
      expect(h.events("rejected")).toEqual([expect.objectContaining({ rule: "R26", errno: "ENXIO" })]);
      expect(h.responses()[0]?.extents).toEqual([]);
    });

    it("R26: untagged groups skip the partition gate (members fail one by one)", async () => {
      await setup();
      await h.add([ext(P0, 2 * MIB), ext(P1, 2 * MIB)]);
      expect(h.responses()[0]?.extents).toEqual([{ dpa: P0, len: 2 * MIB }]);
      expect(h.events("rejected")).toEqual([expect.objectContaining({ rule: "R28.1", scope: "extent" })]);
    });

    it("R27: one member not 2 MiB aligned (start or length) drops the whole group", async () => {
      await setup();
      await h.add([ext(P0, 2 * MIB, TAG_A), ext(P0 + 4 * MIB, 64 * 1024, TAG_A)]);
      await h.add([ext(P0 + 8 * MIB + 64 * 1024, 2 * MIB)]);
      expect(h.logged(`Tag ${TAG_A}: dropping group, extent DPA:0x80400000 LEN:0x10000 not 2097152-aligned`)).toHaveLength(1);
      expect(h.logged(`Tag ${NULL_UUID}: dropping group, extent DPA:0x80810000 LEN:0x200000 not 2097152-aligned`)).toHaveLength(1);
      expect(h.responses().map((r) => r.extents)).toEqual([[], []]);
      expect(h.device.acceptedExtents(0)).toEqual([]);
    });

    it("R27: v9 has no alignment gate (block-size extents work)", async () => {
      await setup({ policy: hostPolicy("L9") });
      await h.add([ext(P0, 64 * 1024)]);
      expect(h.responses()[0]?.extents).toEqual([{ dpa: P0, len: 64 * 1024 }]);
    });

    it("Q2: a tagged group whose members resolve to two regions is dropped", async () => {
      await setup({}, [R0, { id: 1, dpaStart: P0 + 512 * MIB, dpaSize: 256 * MIB }]);
      await h.add([ext(P0, 2 * MIB, TAG_A), ext(P0 + 512 * MIB, 2 * MIB, TAG_A)]);
      expect(h.events("rejected")).toEqual([expect.objectContaining({ rule: "Q2", errno: "EINVAL" })]);
    });

    it("Q2: untagged extents of one chain for two regions form one group per region", async () => {
      await setup({}, [R0, { id: 1, dpaStart: P0 + 512 * MIB, dpaSize: 256 * MIB }]);
      await h.add([ext(P0, 2 * MIB), ext(P0 + 512 * MIB, 2 * MIB), ext(P0 + 2 * MIB, 2 * MIB)]);
      expect(h.events("accepted").map((e) => [e.region, e.group.extents.length])).toEqual([
        ["region0", 2],
        ["region1", 1],
      ]);
      expect(h.responses()[0]?.extents).toHaveLength(3);
    });
  });

  describe("R28-R30 per-extent checks", () => {
    it("R28.1: a zero-length or wrapping extent is -ENXIO \"has invalid length (firmware bug)\"", async () => {
      await setup();
      await h.inject([{ extent: ext(P0, 0) }]);
      expect(h.logged(`DC extent DPA [range 0x0000000080000000-0x000000007fffffff] (${NULL_UUID}) has invalid length (firmware bug)`)).toHaveLength(1);
      expect(h.events("rejected")).toEqual([expect.objectContaining({ rule: "R28.1", errno: "ENXIO", scope: "extent" })]);
    });

    it("R28.1: an extent outside every DC partition the host uses is -ENXIO", async () => {
      await setup();
      await h.add([ext(P1, 2 * MIB)]);
      expect(h.logged(`DC extent DPA [range 0x00000000c0000000-0x00000000c01fffff] (${NULL_UUID}) is not in a valid DC partition`)).toHaveLength(1);
      expect(h.responses()[0]?.extents).toEqual([]);
    });

    it("R28.2: a sharable-partition extent with a null tag is -ENXIO", async () => {
      await setup({ partitions: [PARTITION_0, PARTITION_1] }, [{ id: 1, dpaStart: P1, dpaSize: 256 * MIB }]);
      await h.add([ext(P1, 2 * MIB)]);
      expect(h.logged("DC extent DPA [range 0x00000000c0000000-0x00000000c01fffff]: sharable-partition extent has null tag (firmware bug)")).toHaveLength(1);
      expect(h.responses()[0]?.extents).toEqual([]);
    });

    it("R28.2: a non-sharable-partition extent with seq != 0 is -ENXIO, its group-mates survive", async () => {
      await setup();
      await h.add([ext(P0, 2 * MIB, TAG_A, 0), ext(P0 + 2 * MIB, 2 * MIB, TAG_A, 1)]);
      expect(h.logged(`(${TAG_A}): non-sharable partition but shared_extn_seq=1 (firmware bug)`)).toHaveLength(1);
      expect(h.responses()[0]?.extents).toEqual([{ dpa: P0, len: 2 * MIB }]);
    });

    it("R28.3: an extent in a partition but in no region (or no dax_region) is -ENXIO", async () => {
      await setup();
      await h.add([ext(P0 + 600 * MIB, 2 * MIB), ext(P0, 2 * MIB)]);
      expect(h.events("rejected")).toEqual([expect.objectContaining({ rule: "R28.3", errno: "ENXIO", extents: [ext(P0 + 600 * MIB, 2 * MIB)] })]);
      expect(h.responses()[0]?.extents).toEqual([{ dpa: P0, len: 2 * MIB }]);
    });

    it("R28.4: a runtime add before the region's probe-time scan finished is -EBUSY (refused, not deferred)", async () => {
      await setup({ daxCxl: false });
      expect(h.dax().extentsScanned).toBe(false);
      await h.add([ext(P0, 2 * MIB)]);
      expect(h.events("rejected")).toEqual([expect.objectContaining({ rule: "R28.4", errno: "EBUSY" })]);
      expect(h.responses()[0]?.extents).toEqual([]);
      // Load dax_cxl: the probe scans, then adds go through.
      const { cxlDaxRegionDriver } = await import("../dax-region/cxl-dax-region-driver.js");
      await h.host.core.driverRegister(cxlDaxRegionDriver);
      await h.idle();
      expect(h.dax().extentsScanned).toBe(true);
      await h.add([ext(P0, 2 * MIB)]);
      expect(h.responses()[1]?.extents).toEqual([{ dpa: P0, len: 2 * MIB }]);
    });

    it("R28.5: an extent straddling its endpoint decoder's DPA range is -ENXIO (never clipped)", async () => {
      await setup();
      await h.add([ext(P0 + 510 * MIB, 4 * MIB)]);
      expect(h.logged("is not fully in ED [range 0x0000000080000000-0x000000009fffffff]")).toEqual([expect.objectContaining({ device: "decoder2.0", level: "err" })]);
      expect(h.responses()[0]?.extents).toEqual([]);
    });

    it("R28.6: an extent inside an accepted one is a duplicate (\"exists; accept again\"); a partial overlap is -ENXIO", async () => {
      await setup();
      await h.add([ext(P0, 4 * MIB)]);
      await h.inject([
        { extent: ext(P0 + 2 * MIB, 2 * MIB), more: true },
        { extent: ext(P0 + 2 * MIB, 4 * MIB), more: true },
        { extent: ext(P0 + 8 * MIB, 2 * MIB) },
      ]);
      expect(h.logged("Extent [range 0x0000000080200000-0x00000000803fffff] exists; accept again")).toEqual([expect.objectContaining({ level: "warn", device: "decoder2.0" })]);
      expect(h.events("duplicate")).toHaveLength(1);
      expect(h.events("rejected")).toEqual([expect.objectContaining({ rule: "R28.6", errno: "ENXIO", extents: [ext(P0 + 2 * MIB, 4 * MIB)] })]);
      // The duplicate is neither a new object nor listed (v11).
      expect(h.responses()[1]?.extents).toEqual([{ dpa: P0 + 8 * MIB, len: 2 * MIB }]);
      expect(h.dax().extentCount).toBe(2);
    });

    it("R29: a per-extent failure drops only that extent; the rest of its group is accepted", async () => {
      await setup();
      await h.add([ext(P0, 2 * MIB, TAG_A), ext(P0 + 510 * MIB, 4 * MIB, TAG_A), ext(P0 + 4 * MIB, 2 * MIB, TAG_A)]);
      expect(h.responses()[0]?.extents).toEqual([
        { dpa: P0, len: 2 * MIB },
        { dpa: P0 + 4 * MIB, len: 2 * MIB },
      ]);
      expect(h.events("rejected")).toEqual([expect.objectContaining({ scope: "extent", rule: "R28.5" })]);
    });

    it("R30: non-sharable seq_num is the arrival index over surviving members (v11, Q3); v10 keeps the gap from 1", async () => {
      await setup();
      await h.add([ext(P0, 2 * MIB), ext(P0 + 510 * MIB, 4 * MIB), ext(P0 + 4 * MIB, 2 * MIB)]);
      expect(h.events("accepted")[0]?.group.extents.map((e) => e.seqNum)).toEqual([0, 1]);
      await h.dispose();
      await setup({ policy: hostPolicy("L10") });
      await h.add([ext(P0, 2 * MIB), ext(P0 + 510 * MIB, 4 * MIB), ext(P0 + 4 * MIB, 2 * MIB)]);
      expect(h.events("accepted")[0]?.group.extents.map((e) => e.seqNum)).toEqual([1, 3]);
    });

    it("R30: sharable seq_num is the device's Shared Extent Sequence", async () => {
      await setup({ partitions: [PARTITION_0, PARTITION_1] }, [{ id: 1, dpaStart: P1, dpaSize: 256 * MIB }]);
      await h.add([ext(P1, 2 * MIB, TAG_A, 1), ext(P1 + 2 * MIB, 2 * MIB, TAG_A, 0)]);
      expect(h.events("accepted")[0]?.group.extents.map((e) => [e.dpa, e.seqNum])).toEqual([
        [P1 + 2 * MIB, 0],
        [P1, 1],
      ]);
    });
  });

  describe("R31-R34 realisation and the response", () => {
    it("R31: an accepted group becomes one extentZ.K per member under dax_regionZ, ids from 1 (ALLOC1)", async () => {
      await setup();
      await h.add([ext(P0, 2 * MIB), ext(P0 + 4 * MIB, 6 * MIB, TAG_A)]);
      const dir = "/sys/bus/cxl/devices/dax_region0";
      expect(h.extentDirs()).toEqual(["extent0.1", "extent0.2"]);
      expect(h.host.sysfs.list(`${dir}/extent0.1`)).toEqual(["length", "offset", "uevent"]);
      expect(h.host.sysfs.list(`${dir}/extent0.2`)).toEqual(["length", "offset", "uevent", "uuid"]);
      expect(h.cat(`${dir}/extent0.1/offset`)).toBe("0");
      expect(h.cat(`${dir}/extent0.2/offset`)).toBe("0x400000");
      expect(h.cat(`${dir}/extent0.2/length`)).toBe("0x600000");
      expect(h.cat(`${dir}/extent0.2/uuid`)).toBe(TAG_A);
      expect(h.cat(`${dir}/extent0.2/uevent`)).toBe("DEVTYPE=extent");
      expect(h.host.sysfs.realpath(`${dir}/extent0.1`)).toBe("/sys/devices/virtual/cxl/root0/region0/dax_region0/extent0.1");
    });

    it("R31: v9/v10 number extents from 0 and show the null UUID of untagged extents", async () => {
      await setup({ policy: hostPolicy("L10") });
      await h.add([ext(P0, 2 * MIB)]);
      expect(h.extentDirs()).toEqual(["extent0.0"]);
      expect(h.cat("/sys/bus/cxl/devices/dax_region0/extent0.0/uuid")).toBe(NULL_UUID);
    });

    it("R31: ids of released extents are reused lowest first (xa_alloc)", async () => {
      await setup();
      await h.add([ext(P0, 2 * MIB)]);
      await h.add([ext(P0 + 2 * MIB, 2 * MIB)]);
      await h.add([ext(P0 + 4 * MIB, 2 * MIB)]);
      await h.release([{ dpa: P0, len: 2 * MIB }]);
      await h.add([ext(P0 + 8 * MIB, 2 * MIB)]);
      expect(h.dax().extentList().map((e) => [e.name, e.dpa])).toEqual([
        ["extent0.1", P0 + 8 * MIB],
        ["extent0.2", P0 + 2 * MIB],
        ["extent0.3", P0 + 4 * MIB],
      ]);
    });

    it("R31: when onlining fails (memregion invalidation) the group is unwound, left out, and no Release DC is sent", async () => {
      h = await Harness.create();
      let fail = true;
      await h.region(R0);
      Object.assign(h.dax(), {
        invalidateMemregion: () => {
          if (fail) throw Object.assign(new Error("Failed to synchronize CPU cache state"), { code: "ENXIO" });
        },
      });
      await h.add([ext(P0, 2 * MIB, TAG_A)]);
      expect(h.logged(`Tag ${TAG_A}: failed to online tag group`)).toHaveLength(1);
      expect(h.responses()[0]?.extents).toEqual([]);
      expect(h.releases()).toEqual([]);
      expect(h.core.liveTags()).toEqual([]);
      fail = false;
      await h.add([ext(P0, 2 * MIB, TAG_A)]);
      expect(h.responses()[1]?.extents).toHaveLength(1);
    });

    it("R32: a region driver that fails to take the group tears it down and leaves it out of the response", async () => {
      await setup();
      h.policy().failAccepted = (g) => g.tag === TAG_A;
      await h.add([ext(P0, 2 * MIB, TAG_A), ext(P0 + 2 * MIB, 2 * MIB, TAG_B)]);
      expect(h.events("rejected")).toEqual([expect.objectContaining({ rule: "R32", tag: TAG_A })]);
      expect(h.responses()[0]?.extents).toEqual([{ dpa: P0 + 2 * MIB, len: 2 * MIB }]);
      expect(h.extentDirs()).toEqual(["extent0.1"]);
      expect(h.releases()).toEqual([]);
    });

    it("R32: with no driver bound to dax_regionZ (after its scan) extents are still accepted, the policy is not told", async () => {
      await setup();
      await h.host.core.bus("cxl")?.unbind("dax_region0", "cxl_dax_region");
      await h.idle();
      await h.add([ext(P0, 2 * MIB)]);
      expect(h.responses()[0]?.extents).toEqual([{ dpa: P0, len: 2 * MIB }]);
      expect(h.policy().calls).toEqual([]);
      // Binding again announces it to the policy.
      await h.host.core.bus("cxl")?.bind("dax_region0", "cxl_dax_region");
      await h.idle();
      expect(h.policy().calls).toEqual([`admit ${NULL_UUID}`, `accepted ${NULL_UUID}`]);
    });

    it("R33: a duplicate is not counted; a group of only duplicates is dropped and the response is empty", async () => {
      await setup();
      await h.add([ext(P0, 2 * MIB)]);
      await h.inject([{ extent: ext(P0, 2 * MIB) }]);
      expect(h.events("rejected")).toEqual([expect.objectContaining({ rule: "R33", scope: "group" })]);
      expect(h.responses()[1]?.extents).toEqual([]);
      expect(h.dax().extentCount).toBe(1);
    });

    it("R33: v9/v10 echo duplicates in the response when the group has something new", async () => {
      await setup({ policy: hostPolicy("L10") });
      await h.add([ext(P0, 2 * MIB)]);
      await h.inject([{ extent: ext(P0, 2 * MIB), more: true }, { extent: ext(P0 + 2 * MIB, 2 * MIB) }]);
      expect(h.responses()[1]?.extents).toEqual([
        { dpa: P0 + 2 * MIB, len: 2 * MIB },
        { dpa: P0, len: 2 * MIB },
      ]);
    });

    it("R34: exactly one response per chain, split across payloads with More when long", async () => {
      await setup({ payloadSize: 256 });
      // 256-byte payloads hold 10 entries: 25 accepted extents need 3 payloads.
      await h.add(Array.from({ length: 25 }, (_, i) => ext(P0 + i * 2 * MIB, 2 * MIB)));
      expect(h.responses()).toEqual([expect.objectContaining({ payloads: 3 })]);
      expect(h.count(OP.ADD_DC_RESPONSE)).toBe(3);
      expect(h.device.acceptedExtents(0)).toHaveLength(25);
      expect(h.device.pendingGroups(0)).toEqual([]);
    });

    it("R34: nothing accepted is answered with a single empty response", async () => {
      await setup();
      await h.add([ext(P1, 2 * MIB), ext(P1 + 2 * MIB, 2 * MIB)]);
      expect(h.responses()).toEqual([expect.objectContaining({ extents: [], payloads: 1 })]);
      expect(h.device.pendingGroups(0)).toEqual([]);
    });

    it("R34/Q5: a response the device refuses is logged as \"dcd event failed\"; onlined groups stay", async () => {
      await setup();
      const m = h.memdevs[0]!;
      m.intercept = (op) => (op === OP.ADD_DC_RESPONSE ? { rc: 0x0f, payload: new Uint8Array(0) } : undefined);
      await h.add([ext(P0, 2 * MIB)]);
      expect(h.responses()).toEqual([expect.objectContaining({ errno: "EFAULT" })]);
      expect(h.logged("dcd event failed: -14")).toHaveLength(1);
      expect(h.extentDirs()).toEqual(["extent0.1"]);
    });

    it("R34: responses go out in event order, one per chain, for several chains read in one batch", async () => {
      await setup({ interrupts: false });
      h.device.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [ext(P0, 2 * MIB)] });
      h.device.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [ext(P0 + 2 * MIB, 2 * MIB), ext(P0 + 4 * MIB, 2 * MIB)] });
      await h.memdevs[0]!.handle.drain();
      await h.idle();
      expect(h.responses().map((r) => r.extents.length)).toEqual([1, 2]);
      expect(h.device.acceptedExtents(0)).toHaveLength(3);
      expect(GIB).toBeGreaterThan(0);
    });
  });
});
