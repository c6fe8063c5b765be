/**
 * Private NUMA nodes (Private Memory NUMA Nodes v5, consumers.md §2.4): memory added with a feature
 * mask makes its node `N_MEMORY` but not public; ordinary allocations, kernel data and migration
 * never land there; memory policies trim it unless `MPOL_BIND` names it with `USER_NUMA`; the mask
 * is fixed while the node has memory.
 */
import { useLeakCheck } from "@dcd/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type MemoryRange, type OnlineType, type PrivateNodeFeature } from "../index.js";
import { GiB, type MemoryHost, memoryHost, MiB, pages, REGION_BASE, thrown, VM1 } from "./test-support/memory-host.js";

useLeakCheck();

const NODE = "/sys/devices/system/node";

let open: MemoryHost[] = [];
afterEach(async () => {
  for (const h of open) await h.host.dispose();
  open = [];
});

async function setup(): Promise<MemoryHost> {
  const h = await memoryHost(VM1);
  open.push(h);
  return h;
}

const region = (offset: number, size: number): MemoryRange => ({ start: REGION_BASE + offset, size });

async function plug(h: MemoryHost, range: MemoryRange, privateFeatures: readonly PrivateNodeFeature[] | undefined, node = 2, onlineType: OnlineType = "online_movable") {
  return h.mm.addMemory({ ...range, node, resourceName: "System RAM (test)", driverManaged: true, onlineType, ...(privateFeatures === undefined ? {} : { privateFeatures }) });
}

function nodeLists(h: MemoryHost): Record<string, string> {
  const read = (f: string) => h.host.sysfs.read(`${NODE}/${f}`).trim();
  return { has_memory: read("has_memory"), has_public_memory: read("has_public_memory"), has_user_memory: read("has_user_memory") };
}

describe("a private node", () => {
  it("is in has_memory but not in has_public_memory nor (without USER_NUMA) has_user_memory", async () => {
    const h = await setup();
    expect(nodeLists(h)).toEqual({ has_memory: "0", has_public_memory: "0", has_user_memory: "0" });
    expect((await plug(h, region(0, 1 * GiB), [])).ok).toBe(true);
    await h.host.settle();
    expect(nodeLists(h)).toEqual({ has_memory: "0,2", has_public_memory: "0", has_user_memory: "0" });
    expect(h.mm.node(2)).toMatchObject({ private: true, privateFeatures: [], presentPages: pages(1 * GiB) });
    expect(h.mm.node(0)).toMatchObject({ private: false, privateFeatures: [] });
  });

  it("with USER_NUMA is in has_user_memory, still not in has_public_memory", async () => {
    const h = await setup();
    expect((await plug(h, region(0, 1 * GiB), ["USER_NUMA", "RECLAIM"])).ok).toBe(true);
    expect(nodeLists(h)).toEqual({ has_memory: "0,2", has_public_memory: "0", has_user_memory: "0,2" });
    // The mask reads in the canonical order, whatever order it was given in.
    expect(h.mm.node(2)?.privateFeatures).toEqual(["RECLAIM", "USER_NUMA"]);
  });

  it("keeps its feature mask while it has memory: another mask, or public memory, is EBUSY and changes nothing", async () => {
    const h = await setup();
    expect((await plug(h, region(0, 1 * GiB), [])).ok).toBe(true);
    const before = h.mm.snapshot();
    const other = await plug(h, region(1 * GiB, 1 * GiB), ["USER_NUMA"]);
    expect(other.ok ? "ok" : other.error.code).toBe("EBUSY");
    expect(other.ok ? "" : other.error.message).toMatch(/node2 is a private node with features \{\} while it has memory; a range with \{USER_NUMA\} is refused/);
    const pub = await plug(h, region(1 * GiB, 1 * GiB), undefined);
    expect(pub.ok ? "" : pub.error.message).toMatch(/node2 is a private node; public memory cannot be added/);
    expect(h.mm.snapshot()).toEqual(before);
    // The same mask is the same driver: accepted.
    expect((await plug(h, region(1 * GiB, 1 * GiB), [])).ok).toBe(true);
    expect(h.mm.node(2)?.presentPages).toBe(pages(2 * GiB));
  });

  it("cannot be made of a node that has public memory (boot node 0, or node 2 with public blocks)", async () => {
    const h = await setup();
    const boot = await plug(h, region(0, 1 * GiB), [], 0);
    expect(boot.ok ? "ok" : boot.error.code).toBe("EBUSY");
    expect((await plug(h, region(0, 1 * GiB), undefined)).ok).toBe(true);
    const priv = await plug(h, region(1 * GiB, 1 * GiB), []);
    expect(priv.ok ? "" : priv.error.message).toMatch(/node2 has public memory; private memory cannot be added/);
  });

  it("is public again once its last block is removed, and may then take another kind", async () => {
    const h = await setup();
    expect((await plug(h, region(0, 1 * GiB), [])).ok).toBe(true);
    expect((await h.mm.offlineAndRemoveMemory(region(0, 1 * GiB))).ok).toBe(true);
    expect(h.mm.node(2)?.private).toBe(false);
    expect((await plug(h, region(0, 1 * GiB), undefined)).ok).toBe(true);
    expect(nodeLists(h).has_public_memory).toBe("0,2");
  });

  it("refuses unknown features and DEMOTION without RECLAIM with EINVAL", async () => {
    const h = await setup();
    const unknown = await plug(h, region(0, 1 * GiB), ["SWAP" as PrivateNodeFeature]);
    expect(unknown.ok ? "" : `${unknown.error.code} ${unknown.error.message}`).toMatch(/^EINVAL .*'SWAP' is not a private node feature/);
    const demotion = await plug(h, region(0, 1 * GiB), ["DEMOTION"]);
    expect(demotion.ok ? "" : `${demotion.error.code} ${demotion.error.message}`).toMatch(/^EINVAL .*DEMOTION requires RECLAIM/);
    expect((await plug(h, region(0, 1 * GiB), ["DEMOTION", "RECLAIM"])).ok).toBe(true);
  });
});

describe("allocations and memory policies", () => {
  it("an unbound process never gets pages of a private node, even when public memory runs out", async () => {
    const h = await setup();
    expect((await plug(h, region(0, 4 * GiB), [])).ok).toBe(true);
    const free0 = h.mm.node(0)?.freePages ?? 0;
    const before = h.mm.snapshot();
    // 8 GiB boot RAM cannot take 10 GiB; the 4 GiB on node 2 are not a fallback.
    expect(thrown(() => h.mm.workload.allocatePages(pages(10 * GiB))).code).toBe("ENOMEM");
    expect(h.mm.snapshot()).toEqual(before);
    const placed = h.mm.workload.allocatePages(free0);
    expect(new Set(placed.map((p) => h.mm.block(p.block)?.node))).toEqual(new Set([0]));
    expect(h.mm.node(2)?.freePages).toBe(pages(4 * GiB));
  });

  it("mbind: MPOL_BIND naming only the private node is EINVAL; naming private and public trims the private one", async () => {
    const h = await setup();
    expect((await plug(h, region(0, 4 * GiB), [])).ok).toBe(true);
    const only = thrown(() => h.mm.workload.mbind("bind", [2]));
    expect(only.code).toBe("EINVAL");
    expect(only.message).toMatch(/private node 2 is trimmed \(its feature mask lacks USER_NUMA\)/);
    expect(h.mm.workload.mbind("bind", [0, 2])).toEqual({ mode: "bind", nodes: [0] });
    expect(thrown(() => h.mm.workload.mbind("preferred", [2])).code).toBe("EINVAL");
    // A policy naming node 2 directly is checked again when used.
    expect(thrown(() => h.mm.workload.allocatePages(1, "movable", { mode: "bind", nodes: [2] })).code).toBe("EINVAL");
    expect(thrown(() => h.mm.workload.mbind("default", [0])).code).toBe("EINVAL");
    expect(thrown(() => h.mm.workload.mbind("bind", [9])).code).toBe("EINVAL");
  });

  it("with USER_NUMA, MPOL_BIND may target the private node (and only MPOL_BIND)", async () => {
    const h = await setup();
    expect((await plug(h, region(0, 1 * GiB), ["USER_NUMA"])).ok).toBe(true);
    const policy = h.mm.workload.mbind("bind", [2]);
    expect(policy).toEqual({ mode: "bind", nodes: [2] });
    const placed = h.mm.workload.allocatePages(1000, "movable", policy);
    expect(placed.every((p) => h.mm.block(p.block)?.node === 2)).toBe(true);
    expect(thrown(() => h.mm.workload.mbind("preferred", [2])).message).toMatch(/only MPOL_BIND can target a private node/);
  });

  it("an explicit request for the node (allocateOnNode) still lands there", async () => {
    const h = await setup();
    expect((await plug(h, region(0, 1 * GiB), [])).ok).toBe(true);
    h.mm.workload.allocateOnNode(2, 1000);
    expect(h.mm.node(2)?.freePages).toBe(pages(1 * GiB) - 1000);
  });
});

describe("kernel data and migration", () => {
  it("offlining public memory never migrates pages onto a private node", async () => {
    const h = await setup();
    expect((await plug(h, region(0, 1 * GiB), [])).ok).toBe(true);
    // Public node 3 holds movable pages; node 0 is full, so only the private node 2 has room.
    expect((await plug(h, region(2 * GiB, 128 * MiB), undefined, 3)).ok).toBe(true);
    h.mm.workload.allocateOnNode(3, 100);
    h.mm.workload.allocateOnNode(0, h.mm.node(0)?.freePages ?? 0, "unmovable");
    const r = h.mm.offlineRange(region(2 * GiB, 128 * MiB));
    expect(r.ok ? "ok" : `${r.error.code} ${r.error.message}`).toMatch(/^EBUSY .*100 movable pages to migrate, 0 free pages outside the range/);
    expect(h.mm.node(2)?.freePages).toBe(pages(1 * GiB));
  });

  it("hosts no memmap of other blocks, even in a kernel zone", async () => {
    const h = await setup();
    expect((await plug(h, region(0, 1 * GiB), [], 2, "online_kernel")).ok).toBe(true);
    // Node 0 is full: the private node's kernel zone is the only room left for a memmap.
    h.mm.workload.allocateOnNode(0, h.mm.node(0)?.freePages ?? 0, "unmovable");
    const r = await plug(h, region(2 * GiB, 1 * GiB), undefined, 3);
    expect(r.ok ? "ok" : `${r.error.code} ${r.error.message}`).toMatch(/^ENOMEM .*no kernel memory for the 2097152 byte memmap/);
    expect(h.mm.node(2)?.freePages).toBe(pages(1 * GiB));
    expect(h.mm.blocks().filter((b) => b.node === 2).every((b) => b.pages.memmapHosted === 0)).toBe(true);
  });
});
