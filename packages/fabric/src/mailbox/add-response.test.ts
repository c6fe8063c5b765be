import { NULL_UUID } from "@dcd/core";
import { describe, expect, it } from "vitest";
import type { DcdDevice } from "../device/device.js";
import { addAccepted, BASE, drain, expectRefused, ext, MIB, range, TAG_A, TAG_B, useDevices } from "../device/test-support/fixtures.js";
import { MBOX_RC } from "@dcd/core";

const R1 = BASE + 256 * MIB; // sharable region, 4 KiB blocks

function offer(d: DcdDevice, extents: Parameters<typeof ext>[], hostId = 0): number {
  const r = d.initiateAdd({ hostId, selectionPolicy: "prescriptive", extents: extents.map((a) => ext(...a)) });
  if (r.rc !== 0) throw new Error(`offer failed ${r.rc}: ${r.reason}`);
  drain(d.logicalDevice(hostId));
  return r.value.groupId;
}

describe("4802h Add Dynamic Capacity Response", () => {
  const make = useDevices();

  it("accepts every offered extent, keeping tags and sequence numbers, and bumps the generation", () => {
    const d = make();
    offer(d, [
      [BASE, 2 * MIB, TAG_A, 0],
      [BASE + 4 * MIB, 2 * MIB],
    ]);
    const ld = d.logicalDevice(0);
    expect(ld.addCapacityResponse({ more: false, extents: [range(BASE, 2 * MIB), range(BASE + 4 * MIB, 2 * MIB)] }).rc).toBe(MBOX_RC.SUCCESS);
    expect(d.acceptedExtents(0)).toEqual([ext(BASE, 2 * MIB, TAG_A, 0), ext(BASE + 4 * MIB, 2 * MIB)]);
    expect(d.pendingGroups(0)).toEqual([]);
    expect(d.generation(0)).toBe(1);
    expect(d.totalExtentCount).toBe(2);
  });

  it("accepts a subset, including part of one extent, and forgets the rest of the group", () => {
    const d = make();
    offer(d, [
      [BASE, 8 * MIB],
      [BASE + 16 * MIB, 2 * MIB],
    ]);
    expect(d.logicalDevice(0).addCapacityResponse({ more: false, extents: [range(BASE + 2 * MIB, 4 * MIB)] }).rc).toBe(0);
    expect(d.acceptedExtents(0)).toEqual([ext(BASE + 2 * MIB, 4 * MIB)]);
    expect(d.pendingGroups(0)).toEqual([]);
    expect(d.totalExtentCount).toBe(1);
  });

  it("declines everything with 0 entries: the oldest group goes, later groups stay in order", () => {
    const d = make();
    const g1 = offer(d, [[BASE, 2 * MIB]]);
    const g2 = offer(d, [[BASE + 2 * MIB, 2 * MIB]]);
    expect(d.pendingGroups(0).map((g) => g.id)).toEqual([g1, g2]);
    expect(d.logicalDevice(0).addCapacityResponse({ more: false, extents: [] }).rc).toBe(0);
    expect(d.pendingGroups(0).map((g) => g.id)).toEqual([g2]);
    expect(d.acceptedExtents(0)).toEqual([]);
    expect(d.generation(0)).toBe(0);
  });

  it("answers only the oldest group: naming an extent of a later group is INVALID_PA", () => {
    const d = make();
    offer(d, [[BASE, 2 * MIB]]);
    offer(d, [[BASE + 2 * MIB, 2 * MIB]]);
    expectRefused(d, MBOX_RC.INVALID_PA, () => d.logicalDevice(0).addCapacityResponse({ more: false, extents: [range(BASE + 2 * MIB, 2 * MIB)] }));
  });

  it("refuses entries when nothing is pending (INVALID_PA) and takes an empty response as a no-op", () => {
    const d = make();
    expectRefused(d, MBOX_RC.INVALID_PA, () => d.logicalDevice(0).addCapacityResponse({ more: false, extents: [range(BASE, 2 * MIB)] }));
    const before = d.snapshot();
    expect(d.logicalDevice(0).addCapacityResponse({ more: false, extents: [] }).rc).toBe(0);
    expect(d.snapshot()).toEqual(before);
  });

  it("refuses a range not contained in one offered extent (spanning two adjacent offers) with INVALID_PA", () => {
    const d = make();
    offer(d, [
      [BASE, 2 * MIB],
      [BASE + 2 * MIB, 2 * MIB],
    ]);
    expectRefused(d, MBOX_RC.INVALID_PA, () => d.logicalDevice(0).addCapacityResponse({ more: false, extents: [range(BASE, 4 * MIB)] }));
  });

  it("runs cxl_detect_malformed_extent_list first, entry by entry", () => {
    const d = make();
    offer(d, [[BASE, 16 * MIB]]);
    const ld = d.logicalDevice(0);
    // outside every region
    expectRefused(d, MBOX_RC.INVALID_PA, () => ld.addCapacityResponse({ more: false, extents: [range(0x1000_0000, 2 * MIB)] }));
    // crossing the end of region 0 into region 1
    expectRefused(d, MBOX_RC.INVALID_PA, () => ld.addCapacityResponse({ more: false, extents: [range(BASE + 254 * MIB, 4 * MIB)] }));
    // misaligned start / length
    expectRefused(d, MBOX_RC.INVALID_EXTENT_LIST, () => ld.addCapacityResponse({ more: false, extents: [range(BASE + MIB, 2 * MIB)] }));
    expectRefused(d, MBOX_RC.INVALID_EXTENT_LIST, () => ld.addCapacityResponse({ more: false, extents: [range(BASE, 3 * MIB)] }));
    expectRefused(d, MBOX_RC.INVALID_EXTENT_LIST, () => ld.addCapacityResponse({ more: false, extents: [range(BASE, 0)] }));
    // overlapping entries; the first failing entry decides between INVALID_PA and INVALID_EXTENT_LIST
    expectRefused(d, MBOX_RC.INVALID_EXTENT_LIST, () => ld.addCapacityResponse({ more: false, extents: [range(BASE, 4 * MIB), range(BASE + 2 * MIB, 2 * MIB), range(0, 2 * MIB)] }));
    expectRefused(d, MBOX_RC.INVALID_PA, () => ld.addCapacityResponse({ more: false, extents: [range(BASE, 4 * MIB), range(0, 2 * MIB), range(BASE + 2 * MIB, 2 * MIB)] }));
  });

  it("checks the extent budget before the list (QEMU: entries + tracked extents > budget)", () => {
    const d = make({ extentBudget: 3, profile: "qemu" });
    offer(d, [
      [BASE, 2 * MIB],
      [BASE + 2 * MIB, 2 * MIB],
    ]);
    // 2 pending + 2 entries > 3, even though the group's pending extents would be freed.
    expectRefused(d, MBOX_RC.RESOURCES_EXHAUSTED, () => d.logicalDevice(0).addCapacityResponse({ more: false, extents: [range(BASE, 2 * MIB), range(0, 1)] }));
  });

  it("counts the answered group as freed in the spec profile, but not while More=1 keeps it open", () => {
    const d = make({ extentBudget: 3 });
    offer(d, [
      [BASE, 2 * MIB],
      [BASE + 2 * MIB, 2 * MIB],
    ]);
    const ld = d.logicalDevice(0);
    expectRefused(d, MBOX_RC.RESOURCES_EXHAUSTED, () => ld.addCapacityResponse({ more: true, extents: [range(BASE, 2 * MIB), range(BASE + 2 * MIB, 2 * MIB)] }));
    expect(ld.addCapacityResponse({ more: false, extents: [range(BASE, 2 * MIB), range(BASE + 2 * MIB, 2 * MIB)] }).rc).toBe(0);
  });

  it("keeps the group open across More=1 payloads and refuses accepting the same range twice", () => {
    const d = make();
    const g = offer(d, [
      [BASE, 2 * MIB],
      [BASE + 2 * MIB, 2 * MIB],
    ]);
    const ld = d.logicalDevice(0);
    expect(ld.addCapacityResponse({ more: true, extents: [range(BASE, 2 * MIB)] }).rc).toBe(0);
    expect(d.pendingGroups(0).map((x) => x.id)).toEqual([g]);
    expectRefused(d, MBOX_RC.INVALID_PA, () => ld.addCapacityResponse({ more: false, extents: [range(BASE, 2 * MIB)] }));
    expect(ld.addCapacityResponse({ more: false, extents: [range(BASE + 2 * MIB, 2 * MIB)] }).rc).toBe(0);
    expect(d.pendingGroups(0)).toEqual([]);
    expect(d.acceptedExtents(0)).toHaveLength(2);
    expect(d.generation(0)).toBe(2);
  });

  it("QEMU profile: More is ignored and the generation never moves", () => {
    const d = make({ profile: "qemu" });
    offer(d, [
      [BASE, 2 * MIB],
      [BASE + 2 * MIB, 2 * MIB],
    ]);
    expect(d.logicalDevice(0).addCapacityResponse({ more: true, extents: [range(BASE, 2 * MIB)] }).rc).toBe(0);
    expect(d.pendingGroups(0)).toEqual([]);
    expect(d.generation(0)).toBe(0);
  });

  it("refuses any entry for a group made Dead by a forced release, and drops it on an empty response", () => {
    const d = make();
    offer(d, [
      [BASE, 2 * MIB],
      [BASE + 2 * MIB, 2 * MIB],
    ]);
    expect(d.initiateRelease({ hostId: 0, removalPolicy: "prescriptive", forcedRemoval: true, extents: [range(BASE, 2 * MIB)] }).rc).toBe(0);
    expect(d.pendingGroups(0)[0]!.dead).toBe(true);
    const ld = d.logicalDevice(0);
    expectRefused(d, MBOX_RC.INVALID_PA, () => ld.addCapacityResponse({ more: false, extents: [range(BASE + 2 * MIB, 2 * MIB)] }));
    expect(ld.addCapacityResponse({ more: false, extents: [] }).rc).toBe(0);
    expect(d.pendingGroups(0)).toEqual([]);
  });

  it("shared capacity: each extent whole, and all or none of a tag (INVALID_EXTENT_LIST)", () => {
    const d = make();
    offer(d, [
      [R1, 8192, TAG_B, 0],
      [R1 + 16384, 4096, TAG_B, 1],
    ]);
    const ld = d.logicalDevice(0);
    expectRefused(d, MBOX_RC.INVALID_EXTENT_LIST, () => ld.addCapacityResponse({ more: false, extents: [range(R1, 4096), range(R1 + 16384, 4096)] }));
    expectRefused(d, MBOX_RC.INVALID_EXTENT_LIST, () => ld.addCapacityResponse({ more: false, extents: [range(R1, 8192)] }));
    expect(ld.addCapacityResponse({ more: false, extents: [range(R1, 8192), range(R1 + 16384, 4096)] }).rc).toBe(0);
    expect(d.acceptedExtents(0).map((e) => [e.tag, e.sharedSeq])).toEqual([
      [TAG_B, 0],
      [TAG_B, 1],
    ]);
  });

  it("cxl-test profile: re-accepting an identical accepted extent is a no-op success", () => {
    const d = make({ profile: "cxl-test" });
    addAccepted(d, [ext(BASE, 2 * MIB)]);
    const before = d.snapshot();
    expect(d.logicalDevice(0).addCapacityResponse({ more: false, extents: [range(BASE, 2 * MIB)] }).rc).toBe(0);
    expect(d.snapshot()).toEqual(before);
  });

  it("tells the FM: one Add Capacity Response (04h) record per accepted extent, with the host id", () => {
    const d = make({ numHosts: 2 });
    offer(d, [[BASE, 4 * MIB]], 1);
    d.logicalDevice(1).addCapacityResponse({ more: false, extents: [range(BASE, 2 * MIB)] });
    const fm = d.fmEventLog.getRecords(8).records;
    expect(fm.map((r) => [r.eventType, r.hostId, r.extent.dpa, r.extent.len, r.more])).toEqual([[4, 1, BASE, 2 * MIB, false]]);
    expect(fm[0]!.extent.tag).toBe(NULL_UUID);
  });

  it("tells the FM and observers what was accepted, each with its offer's tag and sequence (not what was only offered)", () => {
    const d = make();
    offer(d, [
      [R1, 8192, TAG_A, 1],
      [R1 + 8192, 8192, TAG_A, 2],
      [BASE, 4 * MIB, TAG_B, 0],
    ]);
    const accepted: unknown[] = [];
    const sub = d.events$.subscribe({
      next: (e) => {
        if (e.type === "extents-accepted") accepted.push(e.extents);
      },
      error: () => expect.unreachable(),
    });
    // Both shared extents whole, and the first half of the TAG_B extent.
    expect(d.logicalDevice(0).addCapacityResponse({ more: false, extents: [range(R1, 8192), range(R1 + 8192, 8192), range(BASE, 2 * MIB)] }).rc).toBe(MBOX_RC.SUCCESS);
    sub.unsubscribe();
    const want = [ext(R1, 8192, TAG_A, 1), ext(R1 + 8192, 8192, TAG_A, 2), ext(BASE, 2 * MIB, TAG_B, 0)];
    expect(accepted).toEqual([want]);
    expect(d.fmEventLog.getRecords(8).records.map((r) => r.extent)).toEqual(want);
  });
});
