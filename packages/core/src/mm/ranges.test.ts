/** Block arithmetic: the x86_64 block-size probe, alignment, range and node-list formats. */
import { useLeakCheck } from "@dcd/testing";
import { describe, expect, it } from "vitest";
import { alignToBlocks, checkBlockAligned, defaultMemoryBlockSize, formatNodeList, formatRange, isBlockAligned } from "../index.js";
import { GiB, MiB } from "./test-support/memory-host.js";

useLeakCheck();

describe("defaultMemoryBlockSize (probe_memory_block_size)", () => {
  it("is 128 MiB when boot memory ends below 64 GiB", () => {
    expect(defaultMemoryBlockSize(8 * GiB)).toBe(128 * MiB);
    expect(defaultMemoryBlockSize(64 * GiB - 128 * MiB)).toBe(128 * MiB);
  });

  it("is 2 GiB on bare metal from 64 GiB on", () => {
    expect(defaultMemoryBlockSize(64 * GiB)).toBe(2 * GiB);
    expect(defaultMemoryBlockSize(256 * GiB)).toBe(2 * GiB);
    expect(defaultMemoryBlockSize(65 * GiB)).toBe(2 * GiB);
  });

  it("under a hypervisor, is the largest power of two ≤ 2 GiB dividing the end of boot memory", () => {
    expect(defaultMemoryBlockSize(256 * GiB, true)).toBe(2 * GiB);
    expect(defaultMemoryBlockSize(65 * GiB, true)).toBe(1 * GiB);
    expect(defaultMemoryBlockSize(64 * GiB + 512 * MiB, true)).toBe(512 * MiB);
    expect(defaultMemoryBlockSize(64 * GiB + 128 * MiB, true)).toBe(128 * MiB);
  });
});

describe("alignment", () => {
  const bs = 2 * GiB;

  it("accepts whole aligned blocks only", () => {
    expect(isBlockAligned({ start: 0x40_8000_0000, size: 2 * GiB }, bs)).toBe(true);
    expect(isBlockAligned({ start: 0x40_4000_0000, size: 2 * GiB }, bs)).toBe(false);
    expect(isBlockAligned({ start: 0x40_8000_0000, size: 0 }, bs)).toBe(false);
  });

  it("refuses an unaligned range with EINVAL naming the range and the block size", () => {
    expect(() => {
      checkBlockAligned({ start: 0x40_4000_0000, size: 4 * GiB }, bs);
    }).toThrow(expect.objectContaining({ code: "EINVAL", message: "memory range [mem 0x4040000000-0x413fffffff] (size 0x100000000) is not aligned to the memory block size 0x80000000" }));
    expect(() => {
      checkBlockAligned({ start: -bs, size: bs }, bs);
    }).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });

  it("aligns inward as kmem does and reports what is stranded (SYS-02)", () => {
    expect(alignToBlocks({ start: 0x40_4000_0000, size: 4 * GiB }, bs)).toEqual({ aligned: { start: 0x40_8000_0000, size: 2 * GiB }, strandedBytes: 2 * GiB });
    expect(alignToBlocks({ start: 0x40_0000_0000, size: 1 * GiB }, bs)).toEqual({ aligned: undefined, strandedBytes: 1 * GiB });
    expect(alignToBlocks({ start: 0x40_0000_0000, size: 4 * GiB }, bs)).toEqual({ aligned: { start: 0x40_0000_0000, size: 4 * GiB }, strandedBytes: 0 });
  });
});

describe("formats", () => {
  it("prints ranges as %pR does", () => {
    expect(formatRange({ start: 0x40_8000_0000, size: 2 * GiB })).toBe("[mem 0x4080000000-0x40ffffffff]");
  });

  it("prints node lists as %*pbl does", () => {
    expect(formatNodeList([])).toBe("");
    expect(formatNodeList([0])).toBe("0");
    expect(formatNodeList([2, 0, 1, 5, 7, 6])).toBe("0-2,5-7");
    expect(formatNodeList([0, 2])).toBe("0,2");
  });
});
