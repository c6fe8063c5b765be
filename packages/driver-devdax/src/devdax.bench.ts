/**
 * DAX-layer costs on a DC region, measured on the region's policy (the part the dax layer owns;
 * the CXL core caps a More chain at 100 extents, so a 1,000-extent group cannot come through a
 * device):
 *
 * - claim and release of one 1,000-extent tag group (accept → claim → unclaim → release);
 * - claim by tag among N tag groups in one region, N = 100 / 1,000 / 10,000: a `Map` lookup, so
 *   the time per claim must not grow with N (O(1), within the brief's O(log n)).
 */
import { DaxRegionPolicy, type DaxResourceOwner, type ExtentGroup, type RegionExtent } from "@dcd/core";
import { bench, describe } from "vitest";

const MIB = 1024 * 1024;

function tagOf(i: number): string {
  const h = i.toString(16).padStart(12, "0");
  return `11111111-2222-3333-4444-${h}`;
}

function group(tag: string, n: number, base: number): ExtentGroup {
  const extents: RegionExtent[] = [];
  for (let k = 0; k < n; k++) {
    const hpa = base + k * 2 * MIB;
    extents.push({ dpa: hpa, length: 2 * MIB, hpa, offset: hpa, tag, seqNum: k, sharedSeq: 0, name: `extent0.${k + 1}` });
  }
  return { tag, tagged: true, sharable: false, region: "region0", memdev: "mem0", extents, existing: false };
}

const owner: DaxResourceOwner = { name: "dax0.1", revoked: () => undefined };

describe("1,000-extent tag group", () => {
  const g = group(tagOf(1), 1000, 0);
  bench("accept + claim + unclaim + release", () => {
    const p = new DaxRegionPolicy("region0");
    p.accepted(g);
    const claimed = p.claim(g.tag, owner);
    p.unclaim(claimed);
    if (p.release(g, "device").result !== "released") throw new Error("release deferred");
  });
  const held = new DaxRegionPolicy("region0");
  held.accepted(g);
  bench("claim + unclaim (group already accepted)", () => {
    held.unclaim(held.claim(g.tag, owner));
  });
  const busy = new DaxRegionPolicy("region0");
  busy.accepted(g);
  busy.claim(g.tag, owner);
  bench("deferred release while claimed (R43)", () => {
    if (busy.release(g, "device").result !== "deferred") throw new Error("not deferred");
  });
});

describe("claim by tag among N groups (one extent each)", () => {
  for (const n of [100, 1_000, 10_000]) {
    const p = new DaxRegionPolicy("region0");
    for (let i = 0; i < n; i++) p.accepted(group(tagOf(i), 1, i * 2 * MIB));
    let i = 0;
    bench(`N = ${n.toLocaleString("en-US")}: claim + unclaim`, () => {
      i = (i * 7919 + 1) % n;
      p.unclaim(p.claim(tagOf(i), owner));
    });
  }
});
