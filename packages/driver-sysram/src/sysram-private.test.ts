/**
 * `sysram_regionZ/private` and `private_features` (consumers.md §2.3 "Model decision", §2.4, SYS-15):
 * a private region hot-plugs its extents onto a private NUMA node, which ordinary allocations never
 * use, memory policies trim, and whose kind and feature mask are fixed while it has memory.
 */
import { cxlCreateRegion } from "@dcd/core";
import { useLeakCheck } from "@dcd/testing";
import { afterEach, describe, expect, it } from "vitest";
import { acceptedOffsets, cat, DEV, dcRegion, DRV, fmRelease, GIB, MIB, offer, type SysramHost, sysramHost, type SysramHostOptions, sysramOf, WINDOW_BASE, writeErr } from "./test-support/sysram-host.js";

const NODE = "/sys/devices/system/node";
const PAGE = 4096;

/** `Node N MemFree:` of `nodeN/meminfo`, in bytes. */
function memFree(h: SysramHost, node: number): number {
  const line = /MemFree:\s+(\d+) kB/.exec(cat(h.sysfs, `${NODE}/node${node}/meminfo`));
  return Number(line?.[1] ?? Number.NaN) * 1024;
}

function nodeLists(h: SysramHost): Record<string, string> {
  return Object.fromEntries(["has_memory", "has_public_memory", "has_user_memory"].map((f) => [f, cat(h.sysfs, `${NODE}/${f}`)]));
}

describe("cxl_sysram_region: private nodes", () => {
  useLeakCheck();
  let h: SysramHost | undefined;
  afterEach(async () => {
    await h?.dispose();
    h = undefined;
  });

  /** A DC region on node 2, online_movable, with `private` and `private_features` written through sysfs. */
  async function privateRegion(features: string, options: SysramHostOptions = {}) {
    h = await sysramHost({ sysram: { targetNode: 2 }, ...options });
    const region = await dcRegion(h);
    const dir = `${DEV}/sysram_region${region.id}`;
    expect(cat(h.sysfs, `${dir}/private`)).toBe("0");
    expect(cat(h.sysfs, `${dir}/private_features`)).toBe("");
    expect(writeErr(h.sysfs, `${dir}/online_type`, "online_movable")).toBeUndefined();
    expect(writeErr(h.sysfs, `${dir}/private`, "1")).toBeUndefined();
    expect(writeErr(h.sysfs, `${dir}/private_features`, features)).toBeUndefined();
    return { host: h, region, sysram: sysramOf(region), dir };
  }

  it("SYS-15: private node isolation — node2 is in has_memory only; unbound allocations never land there; mbind({2}, MPOL_BIND) is EINVAL, mbind({0,2}) trims node2", async () => {
    const { host, dir } = await privateRegion("");
    expect(offer(host, [{ offset: 0, len: 4 * GIB }])).toBe(0);
    await host.idle();
    expect(acceptedOffsets(host)).toEqual([0]);
    const blocks = host.mm.blocks().filter((b) => b.node === 2);
    expect(blocks).toHaveLength(32);
    expect(blocks.every((b) => b.state === "online" && b.zone === "Movable")).toBe(true);
    expect(nodeLists(host)).toEqual({ has_memory: "0,2", has_public_memory: "0", has_user_memory: "0" });
    expect(memFree(host, 2)).toBe(4 * GIB);

    // An unbound process asks for 16 GiB: node 0 (16 GiB, less the hot-plugged blocks' memmap) cannot
    // hold it and node 2 is no fallback, so it gets nothing rather than pages on node 2.
    const before = host.mm.snapshot();
    expect(() => host.mm.workload.allocatePages((16 * GIB) / PAGE)).toThrow(expect.objectContaining({ code: "ENOMEM" }));
    expect(host.mm.snapshot()).toEqual(before);
    const placed = host.mm.workload.allocatePages((12 * GIB) / PAGE);
    expect(new Set(placed.map((p) => host.mm.block(p.block)?.node))).toEqual(new Set([0]));
    expect(memFree(host, 2)).toBe(4 * GIB);

    // Another process binds to node 2.
    expect(() => host.mm.workload.mbind("bind", [2])).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(host.mm.workload.mbind("bind", [0, 2])).toEqual({ mode: "bind", nodes: [0] });

    // The node's kind and mask are fixed while it has memory: the knobs are EBUSY, and a second range
    // with another mask (a second driver, dax_test style) is refused.
    expect(writeErr(host.sysfs, `${dir}/private`, "0")).toBe("EBUSY");
    expect(writeErr(host.sysfs, `${dir}/private_features`, "USER_NUMA")).toBe("EBUSY");
    expect(cat(host.sysfs, `${dir}/private`)).toBe("1");
    const second = await host.mm.addMemory({ start: WINDOW_BASE + 8 * GIB, size: 128 * MIB, node: 2, resourceName: "System RAM (dax_test)", driverManaged: true, privateFeatures: ["USER_NUMA"] });
    expect(second.ok ? "ok" : second.error.code).toBe("EBUSY");
    const publicRange = await host.mm.addMemory({ start: WINDOW_BASE + 8 * GIB, size: 128 * MIB, node: 2, resourceName: "System RAM (kmem)", driverManaged: true });
    expect(publicRange.ok ? "ok" : publicRange.error.code).toBe("EBUSY");

    // Once the FM takes the capacity back, node 2 has no memory and the knobs are writable again.
    expect(fmRelease(host, [{ offset: 0, len: 4 * GIB }])).toBe(0);
    await host.idle();
    expect(acceptedOffsets(host)).toEqual([]);
    expect(nodeLists(host)).toEqual({ has_memory: "0", has_public_memory: "0", has_user_memory: "0" });
    expect(writeErr(host.sysfs, `${dir}/private`, "0")).toBeUndefined();
  });

  it("with USER_NUMA, node2 is in has_user_memory and MPOL_BIND may name it alone", async () => {
    const { host } = await privateRegion("user_numa");
    expect(offer(host, [{ offset: 0, len: GIB }])).toBe(0);
    await host.idle();
    expect(nodeLists(host)).toEqual({ has_memory: "0,2", has_public_memory: "0", has_user_memory: "0,2" });
    const placed = host.mm.workload.allocatePages(1000, "movable", host.mm.workload.mbind("bind", [2]));
    expect(placed.every((p) => host.mm.block(p.block)?.node === 2)).toBe(true);
    expect(memFree(host, 2)).toBe(GIB - 1000 * PAGE);
  });

  it("a private region targeting a node with public memory has its extents refused at hot-add (EBUSY); nothing is plugged", async () => {
    const { host, sysram } = await privateRegion("", { sysram: { targetNode: 0 } });
    const refused: string[] = [];
    const sub = sysram.events$.subscribe({ next: (e) => e.type === "group-refused" && refused.push(`${e.stage} ${e.error?.code ?? ""}`), error: () => undefined });
    expect(offer(host, [{ offset: 0, len: GIB }])).toBe(0);
    await host.idle();
    expect(acceptedOffsets(host)).toEqual([]);
    expect(refused).toEqual(["add EBUSY"]);
    expect(host.mm.totals().pluggedBytes).toBe(0);
    sub.unsubscribe();
  });

  it("a RAM region's kmem stage plugs onto the private node too; the knob is EBUSY while it holds the memory", async () => {
    h = await sysramHost({ sysram: { targetNode: 3 } });
    const host = h;
    const region = await cxlCreateRegion(host.cxl, { memdevs: [host.mem0], mode: "ram", size: GIB, driver: "cxl_sysram_region" });
    const sr = `sysram_region${region.id}`;
    expect(writeErr(host.sysfs, `${DEV}/${sr}/private`, "1")).toBeUndefined();
    expect(writeErr(host.sysfs, `${DEV}/${sr}/private_features`, "RECLAIM")).toBeUndefined();
    expect(writeErr(host.sysfs, `${DEV}/${sr}/online_type`, "online_movable")).toBeUndefined();
    expect(writeErr(host.sysfs, `${DRV}/cxl_dax_kmem_region/bind`, sr)).toBeUndefined();
    await host.host.settle();
    expect(host.mm.node(3)).toMatchObject({ private: true, privateFeatures: ["RECLAIM"], presentPages: GIB / PAGE });
    expect(nodeLists(host)).toEqual({ has_memory: "0,3", has_public_memory: "0", has_user_memory: "0" });
    expect(writeErr(host.sysfs, `${DEV}/${sr}/private`, "0")).toBe("EBUSY");
    expect(writeErr(host.sysfs, `${DRV}/cxl_dax_kmem_region/unbind`, sr)).toBeUndefined();
    await host.host.settle();
    expect(nodeLists(host).has_memory).toBe("0");
    expect(writeErr(host.sysfs, `${DEV}/${sr}/private`, "0")).toBeUndefined();
  });

  it("the node kind is fixed from the start of a group's hot-plug: private is EBUSY while the group is still being plugged", async () => {
    const { host, region, sysram, dir } = await privateRegion("");
    const start = region.hpaStart ?? 0;
    const extent = (offset: number) => ({ dpa: 2 * GIB + offset, length: 128 * MIB, hpa: start + offset, offset, tag: "00000000-0000-0000-0000-000000000000", seqNum: 0, sharedSeq: 0, name: `extent${region.id}.${offset / (128 * MIB)}` });
    const group = { tag: "00000000-0000-0000-0000-000000000000", tagged: false, sharable: false, region: region.name, memdev: "mem0", existing: false, extents: [extent(0), extent(128 * MIB)] };
    const plugging = sysram.policy.accepted(group);
    expect(writeErr(host.sysfs, `${dir}/private`, "0")).toBe("EBUSY");
    expect(writeErr(host.sysfs, `${dir}/private_features`, "RECLAIM")).toBe("EBUSY");
    await plugging;
    expect(cat(host.sysfs, `${dir}/private`)).toBe("1");
    expect(nodeLists(host)).toMatchObject({ has_public_memory: "0" });
    expect(sysram.groups()).toHaveLength(1);
  });

  it("private takes a boolean, private_features a list of known features (DEMOTION needs RECLAIM), shown in the canonical order", async () => {
    h = await sysramHost();
    const region = await dcRegion(h);
    const dir = `${DEV}/sysram_region${region.id}`;
    for (const bad of ["maybe", "2", ""]) expect(writeErr(h.sysfs, `${dir}/private`, bad)).toBe("EINVAL");
    for (const good of ["y", "0", "on", "1"]) expect(writeErr(h.sysfs, `${dir}/private`, good)).toBeUndefined();
    expect(cat(h.sysfs, `${dir}/private`)).toBe("1");
    expect(writeErr(h.sysfs, `${dir}/private_features`, "SWAP")).toBe("EINVAL");
    expect(writeErr(h.sysfs, `${dir}/private_features`, "DEMOTION")).toBe("EINVAL");
    expect(cat(h.sysfs, `${dir}/private_features`)).toBe("");
    expect(writeErr(h.sysfs, `${dir}/private_features`, "demotion, reclaim,USER_NUMA")).toBeUndefined();
    expect(cat(h.sysfs, `${dir}/private_features`)).toBe("RECLAIM,USER_NUMA,DEMOTION");
  });
});
