import { NULL_UUID } from "@dcd/core";
import { describe, expect, it } from "vitest";
import { MBOX_RC } from "@dcd/core";
import { addAccepted, BASE, drain, expectRefused, ext, MIB, range, TAG_A, TAG_B, useDevices, watch } from "./test-support/fixtures.js";

const R1 = BASE + 256 * MIB; // sharable, 4 KiB blocks

describe("5604h Initiate Dynamic Capacity Add", () => {
  const make = useDevices();

  describe("prescriptive", () => {
    it("queues one pending group and logs one Add record per extent, More on all but the last", () => {
      const d = make();
      const interrupts: number[] = [];
      const sub = watch(d.logicalDevice(0).interrupt$, (i) => interrupts.push(i.records));
      const r = d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [ext(BASE, 2 * MIB, TAG_A, 0), ext(BASE + 4 * MIB, 2 * MIB)] });
      sub.unsubscribe();
      expect(r.rc).toBe(0);
      expect(interrupts).toEqual([2]);
      expect(d.pendingGroups(0)).toEqual([expect.objectContaining({ dead: false, extents: [ext(BASE, 2 * MIB, TAG_A, 0), ext(BASE + 4 * MIB, 2 * MIB)] })]);
      const recs = drain(d.logicalDevice(0));
      expect(recs.map((x) => [x.eventType, x.more, x.extent.dpa, x.extent.tag, x.numAvailExtents, x.validityFlags, x.hostId])).toEqual([
        [0, true, BASE, TAG_A, 510, 1, 0],
        [0, false, BASE + 4 * MIB, NULL_UUID, 510, 1, 0],
      ]);
      expect(d.acceptedExtents(0)).toEqual([]);
    });

    it("refuses bad hosts, unsupported policies and empty lists", () => {
      const d = make();
      expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.initiateAdd({ hostId: 1, selectionPolicy: "prescriptive", extents: [ext(BASE, 2 * MIB)] }));
      expectRefused(d, MBOX_RC.INVALID_EXTENT_LIST, () => d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [] }));
      const q = make({ profile: "qemu" });
      for (const p of ["free", "contiguous", "enable-shared-access"] as const) {
        expectRefused(q, MBOX_RC.INVALID_INPUT, () => q.initiateAdd({ hostId: 0, selectionPolicy: p, region: 0, length: 2 * MIB, tag: TAG_A }));
      }
    });

    it("checks the budget, then overlaps, then the malformed list (QEMU's order)", () => {
      const d = make({ extentBudget: 4 });
      addAccepted(d, [ext(BASE, 2 * MIB)]);
      d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [ext(BASE + 2 * MIB, 2 * MIB)] });
      const outside = ext(0x1000, 2 * MIB);
      // budget first, even with a malformed list
      expectRefused(d, MBOX_RC.RESOURCES_EXHAUSTED, () => d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [outside, ext(BASE + 8 * MIB, 2 * MIB), ext(BASE + 12 * MIB, 2 * MIB)] }));
      // overlaps are checked for every extent before the malformed-list result of an earlier one
      expectRefused(d, MBOX_RC.INVALID_EXTENT_LIST, () => d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [outside, ext(BASE + 2 * MIB, 2 * MIB)] }));
      expectRefused(d, MBOX_RC.INVALID_EXTENT_LIST, () => d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [outside, ext(BASE, 2 * MIB)] }));
      expectRefused(d, MBOX_RC.INVALID_PA, () => d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [outside] }));
      expectRefused(d, MBOX_RC.INVALID_EXTENT_LIST, () => d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [ext(BASE + 8 * MIB, 3 * MIB)] }));
    });

    it("refuses a length that is not positive as a malformed list, and an overlap behind one", () => {
      const d = make();
      const B = 2 * MIB;
      for (const extents of [[ext(BASE, -B)], [ext(BASE, 0)], [ext(BASE, 2 * B), ext(BASE + 2 * B, -B), ext(BASE + B, B)]]) {
        const before = d.snapshot();
        const r = d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents });
        expect(r.rc).toBe(MBOX_RC.INVALID_EXTENT_LIST);
        expect(r.rc !== 0 && r.reason).toMatch(extents.length === 1 ? /extent 0 .* is not a positive multiple/ : /extent 1 .*length -0x200000 is not a positive multiple/);
        expect(d.snapshot()).toEqual(before);
      }
    });

    it("never gives one DPA of a non-sharable partition to two hosts", () => {
      const d = make({ numHosts: 2 });
      addAccepted(d, [ext(BASE, 4 * MIB)]);
      expectRefused(d, MBOX_RC.INVALID_EXTENT_LIST, () => d.initiateAdd({ hostId: 1, selectionPolicy: "prescriptive", extents: [ext(BASE + 2 * MIB, 2 * MIB)] }));
      expect(d.overlapsOtherHosts(1, range(BASE, 2 * MIB))).toBe(true);
    });

    it("refuses a tag that is not a UUID (INVALID_INPUT) and new tags beyond the budget (RESOURCES_EXHAUSTED)", () => {
      const d = make({ tagBudget: 1 });
      expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [{ dpa: BASE, len: 2 * MIB, tag: "nope" }] }));
      expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [{ dpa: BASE, len: 2 * MIB, sharedSeq: 0x10000 }] }));
      expect(d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [ext(BASE, 2 * MIB, TAG_A)] }).rc).toBe(0);
      expect(d.tagsAvailable).toBe(0);
      expectRefused(d, MBOX_RC.RESOURCES_EXHAUSTED, () => d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [ext(BASE + 2 * MIB, 2 * MIB, TAG_B)] }));
      expect(d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [ext(BASE + 2 * MIB, 2 * MIB, TAG_A)] }).rc).toBe(0);
    });

    it("spec: RETRY_REQUIRED when the log lacks room; QEMU: records overflow and are counted", () => {
      const spec = make({ eventLogCapacity: 2 });
      expectRefused(spec, MBOX_RC.RETRY_REQUIRED, () => spec.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [ext(BASE, 2 * MIB), ext(BASE + 2 * MIB, 2 * MIB), ext(BASE + 4 * MIB, 2 * MIB)] }));
      const q = make({ profile: "qemu", eventLogCapacity: 2 });
      const overflow: number[] = [];
      const sub = watch(q.events$, (e) => {
        if (e.type === "event-log-overflow") overflow.push(e.dropped, e.overflowCount);
      });
      expect(q.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [ext(BASE, 2 * MIB), ext(BASE + 2 * MIB, 2 * MIB), ext(BASE + 4 * MIB, 2 * MIB)] }).rc).toBe(0);
      sub.unsubscribe();
      expect(overflow).toEqual([1, 1]);
      const page = q.logicalDevice(0).getEventRecords({ logType: 4 });
      expect(page.rc === 0 && page.value).toMatchObject({ overflow: true, overflowErrorCount: 1 });
      expect(q.pendingGroups(0)[0]!.extents).toHaveLength(3);
    });

    it("keeps a More=1 injection chain in one open group until an add without More", () => {
      const d = make({ profile: "cxl-test" });
      const g = d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [ext(BASE, 2 * MIB)], more: true });
      const g2 = d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [ext(BASE + 2 * MIB, 2 * MIB)] });
      expect(g.rc === 0 && g2.rc === 0 && g.value.groupId === g2.value.groupId).toBe(true);
      expect(drain(d.logicalDevice(0)).map((r) => r.more)).toEqual([true, false]);
      expect(d.pendingGroups(0)).toHaveLength(1);
      expect(d.pendingGroups(0)[0]!.open).toBe(false);
    });
  });

  describe("free and contiguous", () => {
    it("free takes the lowest free blocks around capacity already held, possibly several extents", () => {
      const d = make({ numHosts: 2 });
      addAccepted(d, [ext(BASE + 2 * MIB, 2 * MIB)], 1);
      const r = d.initiateAdd({ hostId: 0, selectionPolicy: "free", region: 0, length: 6 * MIB });
      expect(r.rc === 0 && r.value.extents).toEqual([ext(BASE, 2 * MIB), ext(BASE + 4 * MIB, 4 * MIB)]);
    });

    it("contiguous takes the first gap that fits in one extent", () => {
      const d = make();
      addAccepted(d, [ext(BASE + 2 * MIB, 2 * MIB)]);
      const r = d.initiateAdd({ hostId: 0, selectionPolicy: "contiguous", region: 0, length: 4 * MIB, tag: TAG_A });
      expect(r.rc === 0 && r.value.extents).toEqual([ext(BASE + 4 * MIB, 4 * MIB, TAG_A)]);
    });

    it("numbers shared extents 0..n-1 (or 1..n with sharedSeqBase 1) on a sharable region", () => {
      const d = make({ numHosts: 2 });
      addAccepted(d, [ext(R1 + 4096, 4096)], 1);
      const r = d.initiateAdd({ hostId: 0, selectionPolicy: "free", region: 1, length: 12288, tag: TAG_A });
      expect(r.rc === 0 && r.value.extents).toEqual([ext(R1, 4096, TAG_A, 0), ext(R1 + 8192, 8192, TAG_A, 1)]);
      const v10 = make({ sharedSeqBase: 1 });
      const r2 = v10.initiateAdd({ hostId: 0, selectionPolicy: "free", region: 1, length: 4096, tag: TAG_A });
      expect(r2.rc === 0 && r2.value.extents[0]!.sharedSeq).toBe(1);
    });

    it("refuses bad regions and lengths (INVALID_INPUT) and capacity it cannot find (RESOURCES_EXHAUSTED)", () => {
      const d = make();
      addAccepted(d, [ext(BASE + 128 * MIB, 2 * MIB)]);
      expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.initiateAdd({ hostId: 0, selectionPolicy: "free", region: 2, length: 2 * MIB }));
      expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.initiateAdd({ hostId: 0, selectionPolicy: "free", region: 0, length: 0 }));
      expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.initiateAdd({ hostId: 0, selectionPolicy: "free", region: 0, length: MIB }));
      expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.initiateAdd({ hostId: 0, selectionPolicy: "free", region: 0, length: 2 * MIB, tag: "x" }));
      expectRefused(d, MBOX_RC.RESOURCES_EXHAUSTED, () => d.initiateAdd({ hostId: 0, selectionPolicy: "free", region: 0, length: 512 * MIB }));
      expectRefused(d, MBOX_RC.RESOURCES_EXHAUSTED, () => d.initiateAdd({ hostId: 0, selectionPolicy: "free", region: 0, length: 256 * MIB }));
      expectRefused(d, MBOX_RC.RESOURCES_EXHAUSTED, () => d.initiateAdd({ hostId: 0, selectionPolicy: "contiguous", region: 0, length: 130 * MIB }));
    });
  });

  describe("enable-shared-access", () => {
    it("offers a sharable tag's capacity to another host with the same sequence numbers", () => {
      const d = make({ numHosts: 3 });
      addAccepted(d, [ext(R1, 8192, TAG_A, 0), ext(R1 + 16384, 4096, TAG_A, 1)]);
      const r = d.initiateAdd({ hostId: 1, selectionPolicy: "enable-shared-access", tag: TAG_A });
      expect(r.rc).toBe(0);
      drain(d.logicalDevice(1));
      d.logicalDevice(1).addCapacityResponse({ more: false, extents: [range(R1, 8192), range(R1 + 16384, 4096)] });
      expect(d.acceptedExtents(1)).toEqual(d.acceptedExtents(0));
      expect(d.listTags({ startIndex: 0, count: 8 })).toMatchObject({ rc: 0, value: { total: 1, tags: [{ tag: TAG_A, hosts: [0, 1], pendingHosts: [] }] } });
    });

    it("refuses no tag, an unknown tag, a non-sharable tag and a host that already has it (INVALID_INPUT)", () => {
      const d = make({ numHosts: 2 });
      addAccepted(d, [ext(R1, 4096, TAG_A, 0), ext(BASE, 2 * MIB, TAG_B)]);
      expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.initiateAdd({ hostId: 1, selectionPolicy: "enable-shared-access" }));
      expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.initiateAdd({ hostId: 1, selectionPolicy: "enable-shared-access", tag: "11111111-2222-3333-4444-555555555555" }));
      expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.initiateAdd({ hostId: 1, selectionPolicy: "enable-shared-access", tag: TAG_B }));
      expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.initiateAdd({ hostId: 0, selectionPolicy: "enable-shared-access", tag: TAG_A }));
    });
  });
});
