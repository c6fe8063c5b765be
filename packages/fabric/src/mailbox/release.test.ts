import { describe, expect, it } from "vitest";
import { addAccepted, BASE, expectRefused, ext, MIB, range, TAG_A, TAG_B, useDevices, watch } from "../device/test-support/fixtures.js";
import { MBOX_RC } from "@dcd/core";

const R1 = BASE + 256 * MIB; // sharable region, 4 KiB blocks

describe("4803h Release Dynamic Capacity", () => {
  const make = useDevices();

  it("releases whole extents and bumps the generation", () => {
    const d = make();
    addAccepted(d, [ext(BASE, 2 * MIB), ext(BASE + 4 * MIB, 2 * MIB)]);
    expect(d.logicalDevice(0).releaseCapacity({ more: false, extents: [range(BASE, 2 * MIB)] }).rc).toBe(0);
    expect(d.acceptedExtents(0)).toEqual([ext(BASE + 4 * MIB, 2 * MIB)]);
    expect(d.generation(0)).toBe(2);
    expect(d.totalExtentCount).toBe(1);
  });

  it("splits an extent when part of it is released; remainders keep tag and sequence", () => {
    const d = make();
    addAccepted(d, [ext(BASE, 10 * MIB, TAG_A, 3)]);
    expect(d.logicalDevice(0).releaseCapacity({ more: false, extents: [range(BASE + 2 * MIB, 2 * MIB), range(BASE + 6 * MIB, 2 * MIB)] }).rc).toBe(0);
    expect(d.acceptedExtents(0)).toEqual([ext(BASE, 2 * MIB, TAG_A, 3), ext(BASE + 4 * MIB, 2 * MIB, TAG_A, 3), ext(BASE + 8 * MIB, 2 * MIB, TAG_A, 3)]);
  });

  it("releases a range spanning adjacent extents", () => {
    const d = make();
    addAccepted(d, [ext(BASE, 4 * MIB), ext(BASE + 4 * MIB, 4 * MIB), ext(BASE + 8 * MIB, 4 * MIB)]);
    expect(d.logicalDevice(0).releaseCapacity({ more: false, extents: [range(BASE + 2 * MIB, 8 * MIB)] }).rc).toBe(0);
    expect(d.acceptedExtents(0)).toEqual([ext(BASE, 2 * MIB), ext(BASE + 10 * MIB, 2 * MIB)]);
  });

  it("refuses 0 entries with INVALID_INPUT and a malformed list per cxl_detect_malformed_extent_list", () => {
    const d = make();
    addAccepted(d, [ext(BASE, 8 * MIB)]);
    const ld = d.logicalDevice(0);
    expectRefused(d, MBOX_RC.INVALID_INPUT, () => ld.releaseCapacity({ more: false, extents: [] }));
    expectRefused(d, MBOX_RC.INVALID_PA, () => ld.releaseCapacity({ more: false, extents: [range(0, 2 * MIB)] }));
    expectRefused(d, MBOX_RC.INVALID_EXTENT_LIST, () => ld.releaseCapacity({ more: false, extents: [range(BASE + 4096, 2 * MIB)] }));
    expectRefused(d, MBOX_RC.INVALID_EXTENT_LIST, () => ld.releaseCapacity({ more: false, extents: [range(BASE, 4 * MIB), range(BASE + 2 * MIB, 4 * MIB)] }));
  });

  it("refuses ranges not fully backed by this host's accepted extents with INVALID_PA", () => {
    const d = make({ numHosts: 2 });
    addAccepted(d, [ext(BASE, 4 * MIB), ext(BASE + 6 * MIB, 4 * MIB)]);
    const ld = d.logicalDevice(0);
    expectRefused(d, MBOX_RC.INVALID_PA, () => ld.releaseCapacity({ more: false, extents: [range(BASE + 2 * MIB, 6 * MIB)] })); // spans a gap
    expectRefused(d, MBOX_RC.INVALID_PA, () => ld.releaseCapacity({ more: false, extents: [range(BASE + 20 * MIB, 2 * MIB)] }));
    expectRefused(d, MBOX_RC.INVALID_PA, () => d.logicalDevice(1).releaseCapacity({ more: false, extents: [range(BASE, 2 * MIB)] })); // other host
    // a pending (not yet accepted) range is not backed either
    d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [ext(BASE + 20 * MIB, 2 * MIB)] });
    expectRefused(d, MBOX_RC.INVALID_PA, () => ld.releaseCapacity({ more: false, extents: [range(BASE + 20 * MIB, 2 * MIB)] }));
  });

  it("refuses a split that would exceed the extent budget with RESOURCES_EXHAUSTED, in entry order", () => {
    const d = make({ extentBudget: 2 });
    addAccepted(d, [ext(BASE, 10 * MIB)]);
    const ld = d.logicalDevice(0);
    // One middle cut: 1 -> 2 extents, fits. Two middle cuts: 1 -> 3, does not.
    expectRefused(d, MBOX_RC.RESOURCES_EXHAUSTED, () => ld.releaseCapacity({ more: false, extents: [range(BASE + 2 * MIB, 2 * MIB), range(BASE + 6 * MIB, 2 * MIB)] }));
    // The budget failure of entry 0 is reported before entry 1's INVALID_PA.
    expectRefused(d, MBOX_RC.RESOURCES_EXHAUSTED, () => ld.releaseCapacity({ more: false, extents: [range(BASE + 2 * MIB, 2 * MIB), range(BASE + 6 * MIB, 2 * MIB), range(BASE + 100 * MIB, 2 * MIB)] }));
    expectRefused(d, MBOX_RC.INVALID_PA, () => ld.releaseCapacity({ more: false, extents: [range(BASE + 100 * MIB, 2 * MIB), range(BASE + 2 * MIB, 2 * MIB), range(BASE + 6 * MIB, 2 * MIB)] }));
    expect(ld.releaseCapacity({ more: false, extents: [range(BASE + 2 * MIB, 2 * MIB)] }).rc).toBe(0);
    expect(d.acceptedExtents(0)).toHaveLength(2);
  });

  it("counts a cut an earlier entry already made (QEMU's running count)", () => {
    const d = make({ extentBudget: 3 });
    addAccepted(d, [ext(BASE, 8 * MIB)]);
    // [2,4) then [4,6): the first cut leaves 2 pieces, the second removes the start of the right one -> 3.
    expect(d.logicalDevice(0).releaseCapacity({ more: false, extents: [range(BASE + 2 * MIB, 2 * MIB), range(BASE + 4 * MIB, 2 * MIB)] }).rc).toBe(0);
    expect(d.acceptedExtents(0)).toEqual([ext(BASE, 2 * MIB), ext(BASE + 6 * MIB, 2 * MIB)]);
  });

  it("spec: releasing part of a shared extent is INVALID_EXTENT_LIST", () => {
    const d = make();
    addAccepted(d, [ext(R1, 8192, TAG_B, 0)]);
    expectRefused(d, MBOX_RC.INVALID_EXTENT_LIST, () => d.logicalDevice(0).releaseCapacity({ more: false, extents: [range(R1, 4096)] }));
    expect(d.logicalDevice(0).releaseCapacity({ more: false, extents: [range(R1, 8192)] }).rc).toBe(0);
  });

  it("cxl-test profile: releasing a range that is not accepted is ignored", () => {
    const d = make({ profile: "cxl-test" });
    const before = d.snapshot();
    expect(d.logicalDevice(0).releaseCapacity({ more: false, extents: [range(BASE, 2 * MIB)] }).rc).toBe(0);
    expect(d.snapshot()).toEqual(before);
  });

  it("tells the FM with Capacity Released (05h) records and sanitizes when the region asks", () => {
    const d = make();
    d.setDcRegionConfig({ regionId: 0, blockSize: 2 * MIB, sanitizeOnRelease: true });
    addAccepted(d, [ext(BASE, 4 * MIB)]);
    const seen: unknown[] = [];
    const sub = watch(d.events$, (e) => {
      if (e.type === "capacity-sanitized") seen.push(e.ranges);
    });
    d.logicalDevice(0).releaseCapacity({ more: false, extents: [range(BASE, 2 * MIB)] });
    sub.unsubscribe();
    expect(seen).toEqual([[range(BASE, 2 * MIB)]]);
    const fm = d.fmEventLog.getRecords(8).records.filter((r) => r.eventType === 5);
    expect(fm.map((r) => [r.hostId, r.extent.dpa, r.extent.len])).toEqual([[0, BASE, 2 * MIB]]);
  });
});
