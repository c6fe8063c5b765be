/**
 * The DAX policy's claim rules that the CXL core's own gates already make unreachable through a
 * device (R57's seq invariant and alignment): checked on the policy directly with crafted groups.
 */
import { DaxRegionPolicy, type DaxResourceOwner, type ExtentGroup, isDcdError, NULL_UUID, type RegionExtent } from "@dcd/core";
import { useLeakCheck } from "@dcd/testing";
import { describe, expect, it } from "vitest";

const MIB = 1024 * 1024;
const A = "11111111-2222-3333-4444-555555555555";

function group(tag: string, members: readonly { hpa: number; length: number; seqNum: number }[]): ExtentGroup {
  const extents: RegionExtent[] = members.map((m) => ({ dpa: m.hpa, length: m.length, hpa: m.hpa, offset: m.hpa, tag, seqNum: m.seqNum, sharedSeq: 0, name: "" }));
  return { tag, tagged: tag !== NULL_UUID, sharable: false, region: "region0", memdev: "mem0", extents, existing: false };
}

const owner = (name: string): DaxResourceOwner & { lost: number } => ({
  name,
  lost: 0,
  revoked() {
    this.lost++;
  },
});

describe("DaxRegionPolicy", () => {
  useLeakCheck();

  it("R57: a tag group whose seq_nums are not 0..n-1 is refused with EINVAL and a warning, consuming nothing", () => {
    const warnings: string[] = [];
    const p = new DaxRegionPolicy("region0", (m) => warnings.push(m));
    p.accepted(group(A, [{ hpa: 0, length: 2 * MIB, seqNum: 0 }, { hpa: 4 * MIB, length: 2 * MIB, seqNum: 2 }]));
    const err = (() => {
      try {
        p.claim(A, owner("dax0.1"));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isDcdError(err, "EINVAL")).toBe(true);
    expect(warnings).toEqual([`tag ${A} seq invariant violated`]);
    expect(p.availableSize).toBe(4 * MIB);
  });

  it("R57: a claim whose ranges would break the 2 MiB alignment is EINVAL", () => {
    const p = new DaxRegionPolicy("region0");
    p.accepted(group(A, [{ hpa: MIB, length: 2 * MIB, seqNum: 0 }]));
    expect(() => p.claim(A, owner("dax0.1"))).toThrow(/alignment/);
    expect(p.availableSize).toBe(2 * MIB);
  });

  it("R43/R60: release is deferred while claimed, teardown revokes from the owner", () => {
    const p = new DaxRegionPolicy("region0");
    const g = group(NULL_UUID, [{ hpa: 0, length: 2 * MIB, seqNum: 0 }, { hpa: 2 * MIB, length: 2 * MIB, seqNum: 1 }]);
    p.accepted(g);
    const o = owner("dax0.1");
    expect(p.claim(NULL_UUID, o).map((r) => r.start)).toEqual([0]);
    expect(p.release(g, "device")).toMatchObject({ result: "deferred" });
    expect(p.release(g, "host")).toMatchObject({ result: "deferred" });
    expect(p.availableSize).toBe(2 * MIB);
    expect(p.release(g, "teardown")).toEqual({ result: "released" });
    expect(o.lost).toBe(1);
    expect(p.availableSize).toBe(0);
    expect(p.freeUntaggedCount).toBe(0);
  });
});
