import { describe, expect, it } from "vitest";
import { MBOX_RC } from "@dcd/core";
import { addAccepted, BASE, drain, expectRefused, ext, MIB, useDevices } from "./test-support/fixtures.js";
import { DSMAS_FLAG } from "./types.js";

describe("FM configuration commands", () => {
  const make = useDevices();

  it("5600h reports hosts, regions, policy masks (no bit 3), sanitize mask, capacity and block-size masks", () => {
    const d = make({ numHosts: 4 });
    expect(d.getDcdInfo()).toEqual({
      numHosts: 4,
      numRegions: 2,
      selectionPolicyMask: 0b111,
      removalPolicyMask: 0b11,
      sanitizeOnReleaseConfigMask: 0b11,
      totalDynamicCapacity: 512 * MIB,
      regionBlockSizeMasks: [2 * MIB, 4096, 0, 0, 0, 0, 0, 0],
    });
  });

  it("5601h returns DSMAS flags and counters; bad host or start region is INVALID_INPUT", () => {
    const d = make({ numHosts: 2 });
    const r = d.getHostDcRegionConfig({ hostId: 1, regionCount: 8, startRegion: 1 });
    expect(r).toMatchObject({ rc: 0, value: { hostId: 1, numRegions: 2, regions: [{ base: BASE + 256 * MIB, flags: DSMAS_FLAG.SHARABLE, sanitizeOnRelease: false }], numExtentsSupported: 512 } });
    expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.getHostDcRegionConfig({ hostId: 2, regionCount: 1, startRegion: 0 }));
    expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.getHostDcRegionConfig({ hostId: 0, regionCount: 1, startRegion: 2 }));
  });

  it("5602h follows QEMU's order and logs Region Configuration Updated (03h) to every host", () => {
    const d = make({ numHosts: 2, partitions: [{ base: BASE, decodeLength: 256 * MIB, length: 256 * MIB, blockSize: 2 * MIB, dsmadHandle: 1, supportedBlockSizes: 2 * MIB | 4 * MIB }] });
    expectRefused(d, MBOX_RC.UNSUPPORTED, () => d.setDcRegionConfig({ regionId: 3, blockSize: 2 * MIB, sanitizeOnRelease: true }));
    expectRefused(d, MBOX_RC.UNSUPPORTED, () => d.setDcRegionConfig({ regionId: 8, blockSize: 2 * MIB, sanitizeOnRelease: false }));
    expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.setDcRegionConfig({ regionId: 3, blockSize: 2 * MIB, sanitizeOnRelease: false }));
    expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.setDcRegionConfig({ regionId: 0, blockSize: 3 * MIB, sanitizeOnRelease: false }));
    expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.setDcRegionConfig({ regionId: 0, blockSize: 8 * MIB, sanitizeOnRelease: false }));
    const before = d.snapshot();
    expect(d.setDcRegionConfig({ regionId: 0, blockSize: 2 * MIB, sanitizeOnRelease: false }).rc).toBe(0);
    expect(d.snapshot()).toEqual(before); // same settings: no event
    expect(d.setDcRegionConfig({ regionId: 0, blockSize: 4 * MIB, sanitizeOnRelease: false }).rc).toBe(0);
    expect(d.partitions[0]!.blockSize).toBe(4 * MIB);
    for (const h of [0, 1]) expect(drain(d.logicalDevice(h)).map((r) => [r.eventType, r.updatedRegionIndex])).toEqual([[3, 0]]);
    // with capacity pending (spec) or accepted, the region cannot change
    d.initiateAdd({ hostId: 1, selectionPolicy: "prescriptive", extents: [ext(BASE, 4 * MIB)] });
    expectRefused(d, MBOX_RC.UNSUPPORTED, () => d.setDcRegionConfig({ regionId: 0, blockSize: 2 * MIB, sanitizeOnRelease: false }));
  });

  it("5602h in the QEMU profile cannot change Sanitize on Release and ignores pending capacity", () => {
    const d = make({ profile: "qemu" });
    expectRefused(d, MBOX_RC.UNSUPPORTED, () => d.setDcRegionConfig({ regionId: 0, blockSize: 2 * MIB, sanitizeOnRelease: true }));
    d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [ext(BASE, 2 * MIB)] });
    expect(d.setDcRegionConfig({ regionId: 0, blockSize: 2 * MIB, sanitizeOnRelease: false }).rc).toBe(0);
    d.logicalDevice(0).addCapacityResponse({ more: false, extents: [] });
    addAccepted(d, [ext(BASE + 4 * MIB, 2 * MIB)]);
    expectRefused(d, MBOX_RC.UNSUPPORTED, () => d.setDcRegionConfig({ regionId: 0, blockSize: 2 * MIB, sanitizeOnRelease: false }));
  });

  it("5603h lists a host's accepted extents with the generation; bad host or start is INVALID_INPUT", () => {
    const d = make({ numHosts: 2 });
    addAccepted(d, [ext(BASE, 2 * MIB), ext(BASE + 4 * MIB, 2 * MIB)], 1);
    expect(d.getExtentLists({ hostId: 1, extentCount: 10, startIndex: 1 })).toEqual({ rc: 0, value: { hostId: 1, startIndex: 1, total: 2, generation: 1, extents: [ext(BASE + 4 * MIB, 2 * MIB)] } });
    expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.getExtentLists({ hostId: 2, extentCount: 1, startIndex: 0 }));
    expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.getExtentLists({ hostId: 1, extentCount: 1, startIndex: 3 }));
  });
});
