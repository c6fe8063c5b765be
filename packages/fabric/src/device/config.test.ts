import { useLeakCheck } from "@dcd/testing";
import { describe, expect, it } from "vitest";
import { DcdDevice } from "./device.js";
import { BASE, GIB, MIB, specConfig } from "./test-support/fixtures.js";

const be = (id: string, size: number) => ({ id, size });

describe("DcdDevice.fromQemuProperties", () => {
  useLeakCheck();

  it("splits one backend into equal regions after static memory, 2 MiB blocks, DSMAD handles after the static ones", () => {
    const d = DcdDevice.fromQemuProperties({ "volatile-memdev": be("vmem0", 2 * GIB), "volatile-dc-memdev": be("dc0", 1 * GIB), "num-dc-regions": 2 });
    expect(d.partitions.map((p) => [p.base, p.decodeLength, p.length, p.blockSize, p.dsmadHandle, p.sharable])).toEqual([
      [2 * GIB, 512 * MIB, 512 * MIB, 2 * MIB, 1, false],
      [2 * GIB + 512 * MIB, 512 * MIB, 512 * MIB, 2 * MIB, 2, false],
    ]);
    expect(d.getDcdInfo()).toMatchObject({ numHosts: 1, numRegions: 2, selectionPolicyMask: 0b100, removalPolicyMask: 0b10, sanitizeOnReleaseConfigMask: 0, totalDynamicCapacity: GIB });
    expect(d.getDcdInfo().regionBlockSizeMasks).toEqual([2 * MIB, 2 * MIB, 0, 0, 0, 0, 0, 0]);
    expect(d.quirks.frozenGeneration).toBe(true);
    d.dispose();
  });

  it.each([
    [{}, "at least one memdev property must be set"],
    [{ memdev: be("a", GIB), "persistent-memdev": be("b", GIB), lsa: be("l", 1) }, "[memdev] cannot be used with new [persistent-memdev] property"],
    [{ "persistent-memdev": be("p", GIB) }, "lsa property must be set for persistent devices"],
    [{ "num-dc-regions": 1 }, "dynamic capacity must have a backing device"],
    [{ "volatile-memdev": be("m", GIB), "volatile-dc-memdev": be("m", GIB), "num-dc-regions": 1 }, "memory backend m can't be used multiple times."],
    [{ "volatile-dc-memdev": be("dc", 768 * MIB), "num-dc-regions": 2 }, "backend size is not multiple of region len: 0x18000000"],
    [{ "volatile-dc-memdev": be("dc", 100 * MIB), "num-dc-regions": 1 }, "backend size is not multiple of region len: 0x6400000"],
    [{ "volatile-memdev": be("v", 128 * MIB), "volatile-dc-memdev": be("dc", 256 * MIB), "num-dc-regions": 1 }, "DC region base not aligned to 0x10000000"],
  ] as const)("refuses %j with QEMU's message", (props, message) => {
    expect(() => DcdDevice.fromQemuProperties(props)).toThrow(expect.objectContaining({ code: "EINVAL", message }));
  });

  it("adds QEMU's hint to DC region errors", () => {
    try {
      DcdDevice.fromQemuProperties({ "volatile-dc-memdev": be("dc", 768 * MIB), "num-dc-regions": 2 });
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ detail: { hint: "setup DC regions failed" } });
    }
  });
});

describe("explicit partition lists", () => {
  useLeakCheck();

  it.each([
    [{ base: BASE + MIB }, "DC region base not aligned to 0x10000000"],
    [{ decodeLength: 100 * MIB }, "DC region size is unaligned to 0x10000000"],
    [{ blockSize: 0x30 }, "DC region 0 block size 0x30 is invalid: must be a power of 2 and at least 0x40"],
    [{ blockSize: 3 * MIB }, "DC region 0 block size 0x300000 is invalid: must be a power of 2 and at least 0x40"],
    [{ length: 512 * MIB }, "DC region 0 length 0x20000000 must be > 0 and <= decode length 0x10000000"],
    [{ length: 255 * MIB }, "DC region 0 length 0xff00000 is not a multiple of block size 0x200000"],
    [{ base: GIB }, "DC region 0 base 0x40000000 is below the end of the previous capacity 0x80000000"],
    [{ dsmadHandle: 2 ** 32 }, "DC region 0 DSMAD handle 4294967296 does not fit in 32 bits"],
  ] as const)("refuses region 0 with %j", (over, message) => {
    const cfg = specConfig();
    const first = { ...cfg.partitions[0]!, ...over };
    expect(() => new DcdDevice({ ...cfg, partitions: [first] })).toThrow(expect.objectContaining({ code: "EINVAL", message }));
  });

  it("refuses overlapping partitions and more than 8", () => {
    const cfg = specConfig();
    const p0 = cfg.partitions[0]!;
    expect(() => new DcdDevice({ ...cfg, partitions: [p0, p0] })).toThrow(/below the end of the previous capacity/);
    const many = Array.from({ length: 9 }, (_, i) => ({ ...p0, base: BASE + i * 256 * MIB }));
    expect(() => new DcdDevice({ ...cfg, partitions: many })).toThrow("num-dc-regions 9 exceeds the maximum of 8");
  });

  it("accepts a device without DC partitions (QMP reports 'No dynamic capacity support')", () => {
    const d = new DcdDevice({ ramSize: GIB, partitions: [] });
    expect(d.partitions).toEqual([]);
    d.dispose();
  });
});

describe("DcdDevice.cxlTestMock", () => {
  useLeakCheck();

  it("has the cxl_test geometry and a sharable partition on serial 0xDCDC, without pre-injected extents", () => {
    const d = DcdDevice.cxlTestMock();
    expect(d.serial).toBe(0xdcdc);
    expect(d.ramSize + d.pmemSize).toBe(2 * GIB);
    expect(d.partitions).toEqual([
      expect.objectContaining({ index: 0, base: 0x80000000, decodeLength: 512 * MIB, length: 512 * MIB, blockSize: 512, dsmadHandle: 0xfa, sharable: true }),
    ]);
    expect(d.acceptedExtents(0)).toEqual([]);
    d.dispose();
  });

  it("seeds 'pre' and tagged 'pre2' as accepted on other memdevs", () => {
    const d = DcdDevice.cxlTestMock({ serial: 2 });
    expect(d.partitions[0]!.sharable).toBe(false);
    expect(d.acceptedExtents(0)).toEqual([
      { dpa: 0x88000000, len: 0x4000000, tag: "00000000-0000-0000-0000-000000000000", sharedSeq: 0 },
      { dpa: 0x90000000, len: 0x4000000, tag: "deadbeef-cafe-baad-f00d-fedcba987654", sharedSeq: 0 },
    ]);
    d.dispose();
  });
});
