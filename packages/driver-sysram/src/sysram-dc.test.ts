/**
 * cxl_sysram_region on DC regions: direct hot-plug of accepted groups (consumers.md §2.5, §7 SYS-*),
 * through sysfs and the library API, on a host with 128 MiB memory blocks unless a test says so.
 */
import { useLeakCheck } from "@dcd/testing";
import { afterEach, describe, expect, it } from "vitest";
import { releaseExtents } from "./driver.js";
import { type SysramEvent } from "./types.js";
import {
  acceptedOffsets,
  cat,
  checkAccounting,
  DEV,
  dcRegion,
  DRV,
  fmRelease,
  GIB,
  MIB,
  offer,
  type SysramHost,
  sysramHost,
  type SysramHostOptions,
  sysramOf,
  TAG_A,
  TAG_B,
  WINDOW_BASE,
  writeErr,
} from "./test-support/sysram-host.js";

const MEM = "/sys/devices/system/memory";
const BLOCK = 128 * MIB;
const blockOf = (offset: number, size = BLOCK): number => (WINDOW_BASE + offset) / size;

describe("cxl_sysram_region: DC extents hot-plugged directly", () => {
  useLeakCheck();
  let h: SysramHost | undefined;
  afterEach(async () => {
    await h?.dispose();
    h = undefined;
  });

  async function boot(options: SysramHostOptions = {}): Promise<SysramHost> {
    h = await sysramHost(options);
    return h;
  }

  async function configured(onlineType = "online_movable", options: SysramHostOptions = {}) {
    const host = await boot(options);
    const region = await dcRegion(host);
    const sysram = sysramOf(region);
    expect(writeErr(host.sysfs, `${DEV}/sysram_region${region.id}/online_type`, onlineType)).toBeUndefined();
    const events: SysramEvent[] = [];
    const sub = sysram.events$.subscribe({ next: (e) => events.push(e), error: () => undefined });
    return { host, region, sysram, events, sub };
  }

  it("R68: create-region --driver cxl_sysram_region binds the region and creates sysram_regionZ with online_type invalid", async () => {
    const host = await boot();
    const region = await dcRegion(host);
    expect(region.driver?.name).toBe("cxl_sysram_region");
    const dir = `${DEV}/sysram_region${region.id}`;
    expect(host.sysfs.exists(dir)).toBe(true);
    expect(host.sysfs.realpath(dir)).toContain(`/region${region.id}/sysram_region${region.id}`);
    expect(cat(host.sysfs, `${dir}/online_type`)).toBe("invalid");
    expect(cat(host.sysfs, `${dir}/devtype`)).toBe("cxl_sysram_region");
    expect(cat(host.sysfs, `${dir}/stranded_policy`)).toBe("reject");
    for (const bad of ["invalid", "movable", "", "online_movable2"]) expect(writeErr(host.sysfs, `${dir}/online_type`, bad)).toBe("EINVAL");
    expect(cat(host.sysfs, `${dir}/online_type`)).toBe("invalid");
    for (const good of ["offline", "online", "online_kernel", "online_movable"]) {
      expect(writeErr(host.sysfs, `${dir}/online_type`, good)).toBeUndefined();
      expect(cat(host.sysfs, `${dir}/online_type`)).toBe(good);
    }
  });

  it("echo regionZ > cxl_sysram_region/bind claims a region created without a driver; unbind removes sysram_regionZ", async () => {
    const host = await boot();
    const region = await dcRegion(host, "");
    expect(region.driver).toBeUndefined();
    expect(writeErr(host.sysfs, `${DRV}/cxl_sysram_region/bind`, region.name)).toBeUndefined();
    await host.host.settle();
    expect(region.driver?.name).toBe("cxl_sysram_region");
    expect(host.sysfs.exists(`${DEV}/sysram_region${region.id}/online_type`)).toBe(true);
    expect(writeErr(host.sysfs, `${DRV}/cxl_sysram_region/unbind`, region.name)).toBeUndefined();
    await host.host.settle();
    expect(host.sysfs.exists(`${DEV}/sysram_region${region.id}`)).toBe(false);
  });

  it("until online_type is set, offered extents are refused with 'policy not configured'", async () => {
    const host = await boot();
    const region = await dcRegion(host);
    const events: SysramEvent[] = [];
    const sub = sysramOf(region).events$.subscribe({ next: (e) => events.push(e), error: () => undefined });
    expect(offer(host, [{ offset: 0, len: 256 * MIB }])).toBe(0);
    await host.idle();
    expect(acceptedOffsets(host)).toEqual([]);
    expect(host.mm.totals().pluggedBytes).toBe(0);
    expect(events).toContainEqual(expect.objectContaining({ type: "group-refused", stage: "admit", reason: "policy not configured" }));
    sub.unsubscribe();
  });

  it("SYS-01: an extent smaller than a memory block is refused ('too small after alignment'), no memoryN appears", async () => {
    const { host, events, sub } = await configured("online_movable", { sysram: { strandedPolicy: "truncate" } });
    const before = host.sysfs.list(MEM).filter((n) => n.startsWith("memory")).length;
    expect(offer(host, [{ offset: 0, len: 64 * MIB }])).toBe(0);
    await host.idle();
    expect(acceptedOffsets(host)).toEqual([]);
    expect(host.sysfs.list(MEM).filter((n) => n.startsWith("memory")).length).toBe(before);
    expect(events.find((e) => e.type === "group-refused")).toMatchObject({ reason: expect.stringContaining("too small after alignment") as string });
    sub.unsubscribe();
  });

  it("SYS-01 (2 GiB blocks): a 1 GiB extent is refused on a 2 GiB-block host", async () => {
    const { host, events, sub } = await configured("online_movable", { sysram: { strandedPolicy: "truncate" }, memory: { boot: [{ node: 0, size: 16 * GIB }], blockSize: 2 * GIB } });
    expect(offer(host, [{ offset: 0, len: GIB }])).toBe(0);
    await host.idle();
    expect(acceptedOffsets(host)).toEqual([]);
    expect(host.mm.totals().pluggedBytes).toBe(0);
    expect(events.find((e) => e.type === "group-refused")).toMatchObject({ reason: expect.stringContaining("too small after alignment") as string });
    sub.unsubscribe();
  });

  it("SYS-02: with stranded_policy=truncate a misaligned extent is truncated to whole blocks and the stranding logged", async () => {
    const { host, region, sysram, events, sub } = await configured("online_movable", { sysram: { strandedPolicy: "truncate" }, memory: { boot: [{ node: 0, size: 16 * GIB }], blockSize: 2 * GIB } });
    const nodeBefore = host.mm.node(1)?.managedPages ?? 0;
    expect(offer(host, [{ offset: GIB, len: 4 * GIB }])).toBe(0);
    await host.idle();
    expect(acceptedOffsets(host)).toEqual([GIB]);
    const block = blockOf(2 * GIB, 2 * GIB);
    expect(cat(host.sysfs, `${MEM}/memory${block}/state`)).toBe("online");
    expect(cat(host.sysfs, `${MEM}/memory${block}/valid_zones`)).toBe("Movable");
    expect(host.sysfs.exists(`${MEM}/memory${block - 1}`)).toBe(false);
    expect(host.sysfs.exists(`${MEM}/memory${block + 1}`)).toBe(false);
    expect(((host.mm.node(1)?.managedPages ?? 0) - nodeBefore) * 4096).toBe(2 * GIB);
    expect(events.find((e) => e.type === "extent-truncated")).toMatchObject({ strandedBytes: 2 * GIB, message: expect.stringContaining("truncated by 2.00 GiB") as string });
    const name = sysram.groups()[0]?.extents[0] ?? "";
    expect(cat(host.sysfs, `${DEV}/sysram_region${region.id}/extents/${name}/stranded_bytes`)).toBe(String(2 * GIB));
    checkAccounting(host, [sysram]);
    sub.unsubscribe();
  });

  it("stranded_policy=reject (default) refuses a misaligned extent with the stranded size in the reason", async () => {
    const { host, events, sub } = await configured();
    expect(offer(host, [{ offset: 64 * MIB, len: 256 * MIB }])).toBe(0);
    await host.idle();
    expect(acceptedOffsets(host)).toEqual([]);
    expect(host.mm.totals().pluggedBytes).toBe(0);
    expect(events.find((e) => e.type === "group-refused")).toMatchObject({ reason: expect.stringMatching(/not aligned.*128\.00 MiB would be stranded/) as string });
    sub.unsubscribe();
  });

  it("SYS-03: a tagged set is hot-plugged only when complete, all blocks online in ZONE_MOVABLE, all listed in the response", async () => {
    const { host, sysram, sub } = await configured();
    expect(offer(host, [{ offset: 0, len: 256 * MIB, tag: TAG_A }], true)).toBe(0);
    await host.idle();
    expect(host.mm.totals().pluggedBytes).toBe(0);
    expect(offer(host, [{ offset: 512 * MIB, len: 256 * MIB, tag: TAG_A }])).toBe(0);
    await host.idle();
    expect(acceptedOffsets(host)).toEqual([0, 512 * MIB]);
    const blocks = [blockOf(0), blockOf(BLOCK), blockOf(512 * MIB), blockOf(512 * MIB + BLOCK)];
    for (const b of blocks) {
      expect(cat(host.sysfs, `${MEM}/memory${b}/state`)).toBe("online");
      expect(cat(host.sysfs, `${MEM}/memory${b}/valid_zones`)).toBe("Movable");
      expect(host.sysfs.exists(`/sys/devices/system/node/node1/memory${b}`)).toBe(true);
    }
    expect(sysram.groups()).toHaveLength(1);
    expect(sysram.groups()[0]).toMatchObject({ tag: TAG_A, tagged: true, blocks });
    checkAccounting(host, [sysram]);
    sub.unsubscribe();
  });

  it("SYS-04: a later set with a tag already used (Set(A)') is rejected; group A keeps its members", async () => {
    const { host, sysram, sub } = await configured();
    expect(offer(host, [{ offset: 0, len: 256 * MIB, tag: TAG_A }])).toBe(0);
    await host.idle();
    expect(offer(host, [{ offset: GIB, len: 256 * MIB, tag: TAG_A }])).toBe(0);
    await host.idle();
    expect(acceptedOffsets(host)).toEqual([0]);
    expect(host.sysfs.exists(`${MEM}/memory${blockOf(GIB)}`)).toBe(false);
    expect(sysram.groups()).toHaveLength(1);
    expect(sysram.groups()[0]?.extents).toHaveLength(1);
    sub.unsubscribe();
  });

  it("SYS-04 (after release): a tag seen before stays refused after its set was released (tagReuse=reject)", async () => {
    const { host, events, sub } = await configured();
    expect(offer(host, [{ offset: 0, len: 256 * MIB, tag: TAG_A }])).toBe(0);
    await host.idle();
    expect(fmRelease(host, [], TAG_A)).toBe(0);
    await host.idle();
    expect(acceptedOffsets(host)).toEqual([]);
    expect(offer(host, [{ offset: GIB, len: 256 * MIB, tag: TAG_A }])).toBe(0);
    await host.idle();
    expect(acceptedOffsets(host)).toEqual([]);
    expect(events.filter((e) => e.type === "group-refused").at(-1)).toMatchObject({ reason: expect.stringContaining("already used") as string });
    sub.unsubscribe();
  });

  it("tagReuse=after-release lets a released tag come back", async () => {
    const { host, sub } = await configured("online_movable", { sysram: { tagReuse: "after-release" } });
    expect(offer(host, [{ offset: 0, len: 256 * MIB, tag: TAG_A }])).toBe(0);
    await host.idle();
    expect(fmRelease(host, [], TAG_A)).toBe(0);
    await host.idle();
    expect(offer(host, [{ offset: GIB, len: 256 * MIB, tag: TAG_A }])).toBe(0);
    await host.idle();
    expect(acceptedOffsets(host)).toEqual([GIB]);
    sub.unsubscribe();
  });

  it("untagged extents of one chain are hot-plugged one by one: one memory resource per extent", async () => {
    const { host, sysram, sub } = await configured();
    expect(offer(host, [{ offset: 0, len: 128 * MIB }, { offset: GIB, len: 256 * MIB }])).toBe(0);
    await host.idle();
    expect(acceptedOffsets(host)).toEqual([0, GIB]);
    const [g] = sysram.groups();
    expect(g?.ranges.map((r) => [r.start - WINDOW_BASE, r.size])).toEqual([
      [0, 128 * MIB],
      [GIB, 256 * MIB],
    ]);
    expect(host.mm.ranges().filter((r) => r.name === "System RAM (cxl_sysram)").map((r) => [r.start - WINDOW_BASE, r.size])).toEqual([
      [0, 128 * MIB],
      [GIB, 256 * MIB],
    ]);
    checkAccounting(host, [sysram]);
    sub.unsubscribe();
  });

  it("SYS-05: releasing a tag group offlines (migrating movable pages) and removes every block, then Release DC lists all members", async () => {
    const { host, sysram, events, sub } = await configured();
    expect(offer(host, [{ offset: 0, len: 256 * MIB, tag: TAG_A }, { offset: 512 * MIB, len: 256 * MIB, tag: TAG_A }])).toBe(0);
    await host.idle();
    const blocks = sysram.groups()[0]?.blocks ?? [];
    for (const b of blocks) host.mm.workload.allocate(b, 1000, "movable");
    expect(fmRelease(host, [], TAG_A)).toBe(0);
    await host.idle();
    expect(acceptedOffsets(host)).toEqual([]);
    for (const b of blocks) expect(host.sysfs.exists(`${MEM}/memory${b}`)).toBe(false);
    const released = events.find((e) => e.type === "group-released");
    expect(released).toMatchObject({ report: { path: "direct", outcome: "released", cause: "device", migratedPages: 4000, failurePoints: [] } });
    expect(released?.type === "group-released" ? released.report.steps.map((s) => s.stage) : []).toEqual(["hotunplug", "release-dc"]);
    expect(host.mm.totals().pluggedBytes).toBe(0);
    checkAccounting(host, [sysram]);
    sub.unsubscribe();
  });

  it("SYS-06: a block with unmovable pages fails the offline (EBUSY); blocks already offlined come back online; release deferred, nothing sent", async () => {
    const { host, sysram, events, sub } = await configured("online_kernel");
    expect(offer(host, [{ offset: 0, len: 256 * MIB, tag: TAG_B }])).toBe(0);
    await host.idle();
    const [b0, b1] = sysram.groups()[0]?.blocks ?? [];
    if (b0 === undefined || b1 === undefined) throw new Error("blocks");
    host.mm.workload.allocate(b1, 10, "unmovable");
    const before = host.mm.snapshot();
    for (let attempt = 0; attempt < 2; attempt++) {
      expect(fmRelease(host, [], TAG_B)).toBe(0);
      await host.idle();
      expect(acceptedOffsets(host)).toEqual([0]);
      expect(cat(host.sysfs, `${MEM}/memory${b0}/state`)).toBe("online");
      expect(cat(host.sysfs, `${MEM}/memory${b1}/state`)).toBe("online");
      expect(host.mm.snapshot().blocks).toEqual(before.blocks);
      const deferred = events.filter((e) => e.type === "release-deferred");
      expect(deferred).toHaveLength(attempt + 1);
      const report = deferred.at(-1)?.type === "release-deferred" ? (deferred.at(-1) as Extract<SysramEvent, { type: "release-deferred" }>).report : undefined;
      expect(report?.outcome).toBe("deferred");
      expect(report?.failurePoints).toEqual([expect.objectContaining({ stage: "hotunplug", kind: "hotplug", errno: "EBUSY", block: b1, reason: "failure to isolate range" })]);
      // Block b0 went offline, then came back online (rollback) inside the same step list.
      expect(report?.steps[0]?.hotplug.filter((s) => s.block === b0).map((s) => [s.action, s.rollback])).toEqual([
        ["offline-block", false],
        ["online-block", true],
      ]);
    }
    checkAccounting(host, [sysram]);
    sub.unsubscribe();
  });

  it("SYS-07: untagged extents accepted in separate chains are released one by one", async () => {
    const { host, sysram, sub } = await configured();
    expect(offer(host, [{ offset: 2 * GIB, len: 256 * MIB }])).toBe(0);
    await host.idle();
    expect(offer(host, [{ offset: 2 * GIB + 256 * MIB, len: 256 * MIB }])).toBe(0);
    await host.idle();
    expect(sysram.groups()).toHaveLength(2);
    expect(fmRelease(host, [{ offset: 2 * GIB, len: 256 * MIB }])).toBe(0);
    await host.idle();
    expect(acceptedOffsets(host)).toEqual([2 * GIB + 256 * MIB]);
    expect(host.sysfs.exists(`${MEM}/memory${blockOf(2 * GIB)}`)).toBe(false);
    expect(cat(host.sysfs, `${MEM}/memory${blockOf(2 * GIB + 256 * MIB)}/state`)).toBe("online");
    checkAccounting(host, [sysram]);
    sub.unsubscribe();
  });

  it("SYS-09: an offline interrupted by a signal (EINTR) leaves every block online and defers", async () => {
    const { host, sysram, events, sub } = await configured();
    expect(offer(host, [{ offset: 0, len: 256 * MIB }])).toBe(0);
    await host.idle();
    const [, b1] = sysram.groups()[0]?.blocks ?? [];
    const fault = host.mm.injectFault({ step: "offline-block", block: b1 as number, code: "EINTR", reason: "signal backoff" });
    expect(fmRelease(host, [{ offset: 0, len: 256 * MIB }])).toBe(0);
    await host.idle();
    fault.dispose();
    expect(acceptedOffsets(host)).toEqual([0]);
    for (const b of sysram.groups()[0]?.blocks ?? []) expect(cat(host.sysfs, `${MEM}/memory${b}/state`)).toBe("online");
    expect(events.find((e) => e.type === "release-deferred")).toMatchObject({ report: { failurePoints: [expect.objectContaining({ errno: "EINTR", reason: "signal backoff" })] } });
    sub.unsubscribe();
  });

  it("pinned pages: the release is deferred until they are unpinned (nothing released while a page is in use)", async () => {
    const { host, sysram, sub } = await configured();
    expect(offer(host, [{ offset: 0, len: 128 * MIB }])).toBe(0);
    await host.idle();
    const [b] = sysram.groups()[0]?.blocks ?? [];
    host.mm.workload.allocate(b as number, 8, "movable");
    host.mm.workload.pin(b as number, 8);
    expect(fmRelease(host, [{ offset: 0, len: 128 * MIB }])).toBe(0);
    await host.idle();
    expect(acceptedOffsets(host)).toEqual([0]);
    host.mm.workload.unpin(b as number, 8);
    expect(fmRelease(host, [{ offset: 0, len: 128 * MIB }])).toBe(0);
    await host.idle();
    expect(acceptedOffsets(host)).toEqual([]);
    sub.unsubscribe();
  });

  it("online_type=offline: extents are hot-added but left offline, and released without an offline step failing", async () => {
    const { host, sysram, sub } = await configured("offline");
    expect(offer(host, [{ offset: 0, len: 256 * MIB }])).toBe(0);
    await host.idle();
    expect(acceptedOffsets(host)).toEqual([0]);
    for (const b of sysram.groups()[0]?.blocks ?? []) expect(cat(host.sysfs, `${MEM}/memory${b}/state`)).toBe("offline");
    checkAccounting(host, [sysram]);
    expect(fmRelease(host, [{ offset: 0, len: 256 * MIB }])).toBe(0);
    await host.idle();
    expect(acceptedOffsets(host)).toEqual([]);
    expect(host.mm.totals().pluggedBytes).toBe(0);
    sub.unsubscribe();
  });

  it("a hot-add failure (online step EINVAL injected) refuses the group and leaves no block behind", async () => {
    const { host, events, sub } = await configured();
    const fault = host.mm.injectFault({ step: "online-block", code: "ENOMEM" });
    expect(offer(host, [{ offset: 0, len: 256 * MIB, tag: TAG_A }, { offset: GIB, len: 256 * MIB, tag: TAG_A }])).toBe(0);
    await host.idle();
    fault.dispose();
    expect(acceptedOffsets(host)).toEqual([]);
    expect(host.mm.totals().pluggedBytes).toBe(0);
    expect(events.find((e) => e.type === "group-refused")).toMatchObject({ stage: "online" });
    sub.unsubscribe();
  });

  it("SYS-08: online_type=online under online_policy=auto-movable puts 24 GiB next to 8 GiB of boot RAM into ZONE_MOVABLE", async () => {
    // VM1 has one node: the hot-plugged memory joins node 0, whose 8 GiB of boot RAM is kernel memory.
    const { host, sysram, sub } = await configured("online", {
      sysram: { targetNode: 0 },
      dcSize: 24 * GIB,
      windowSize: 32 * GIB,
      memory: { boot: [{ node: 0, size: 8 * GIB }], onlinePolicy: "auto-movable", autoMovableRatio: 301 },
    });
    for (let i = 0; i < 24; i += 4) {
      expect(offer(host, Array.from({ length: 4 }, (_, k) => ({ offset: (i + k) * GIB, len: GIB })))).toBe(0);
      await host.idle();
    }
    const blocks = sysram.groups().flatMap((g) => g.blocks);
    expect(blocks).toHaveLength(192);
    for (const b of blocks) expect(cat(host.sysfs, `${MEM}/memory${b}/valid_zones`)).toBe("Movable");
    // 8 GiB boot + 24 GiB hot-plugged, all online.
    expect(host.mm.totals().onlineBytes).toBe(32 * GIB);
    checkAccounting(host, [sysram]);
    sub.unsubscribe();
  });

  it("SYS-12: with memmap_on_memory each 128 MiB block keeps 2 MiB of memmap; a 1 GiB extent adds 1008 MiB to MemTotal", async () => {
    const { host, sub } = await configured("online_movable", { sysram: { memmapOnMemory: true }, memory: { boot: [{ node: 0, size: 16 * GIB }], memmapOnMemory: true } });
    const before = host.mm.node(1)?.managedPages ?? 0;
    expect(offer(host, [{ offset: 0, len: GIB }])).toBe(0);
    await host.idle();
    expect(acceptedOffsets(host)).toEqual([0]);
    expect(((host.mm.node(1)?.managedPages ?? 0) - before) * 4096).toBe(1008 * MIB);
    sub.unsubscribe();
  });

  it("SYS-13: an invalid target node refuses every group at admit", async () => {
    const { host, events, sub } = await configured("online_movable", { sysram: { targetNode: -1 } });
    expect(offer(host, [{ offset: 0, len: 256 * MIB }])).toBe(0);
    await host.idle();
    expect(acceptedOffsets(host)).toEqual([]);
    expect(events.find((e) => e.type === "group-refused")).toMatchObject({ reason: expect.stringContaining("invalid node: -1") as string });
    sub.unsubscribe();
  });

  it("host-initiated release: releaseExtents(region, { tag }) and a write to sysram_regionZ/extents/<extent>/release", async () => {
    const { host, region, sysram, sub } = await configured();
    expect(offer(host, [{ offset: 0, len: 128 * MIB, tag: TAG_A }])).toBe(0);
    await host.idle();
    expect(offer(host, [{ offset: GIB, len: 128 * MIB }])).toBe(0);
    await host.idle();
    expect(acceptedOffsets(host)).toEqual([0, GIB]);
    await expect(releaseExtents(region, { tag: TAG_A })).resolves.toEqual({ result: "released" });
    await host.idle();
    expect(acceptedOffsets(host)).toEqual([GIB]);
    const dir = `${DEV}/sysram_region${region.id}/extents`;
    const [name] = host.sysfs.list(dir).filter((n) => n.startsWith("extent"));
    expect(name).toBeDefined();
    expect(cat(host.sysfs, `${dir}/${name ?? ""}/memory`)).toBe(`memory${blockOf(GIB)}`);
    expect(writeErr(host.sysfs, `${dir}/${name ?? ""}/release`, "1")).toBeUndefined();
    await sysram.idle();
    await host.idle();
    expect(acceptedOffsets(host)).toEqual([]);
    expect(writeErr(host.sysfs, `${dir}/release`, `tag=${TAG_B}`)).toBe("ENOENT");
    expect(writeErr(host.sysfs, `${dir}/release`, "nonsense")).toBe("EINVAL");
    await expect(releaseExtents(region, { tag: TAG_B })).rejects.toMatchObject({ code: "ENOENT" });
    sub.unsubscribe();
  });

  it("a host release written to extents/release returns its outcome: EBUSY naming the reason when deferred; a malformed tag is EINVAL", async () => {
    const { host, region, sysram, sub } = await configured("online_kernel");
    expect(offer(host, [{ offset: 0, len: 256 * MIB, tag: TAG_B }])).toBe(0);
    await host.idle();
    const [, b1] = sysram.groups()[0]?.blocks ?? [];
    if (b1 === undefined) throw new Error("blocks");
    host.mm.workload.allocate(b1, 10, "unmovable");
    const release = `${DEV}/sysram_region${region.id}/extents/release`;
    const before = host.mm.snapshot();
    await expect(host.sysfs.writeAsync(release, `tag=${TAG_B}`)).rejects.toMatchObject({
      code: "EBUSY",
      message: expect.stringMatching(/release deferred: .*failure to isolate range/) as unknown,
    });
    expect(host.mm.snapshot().blocks).toEqual(before.blocks);
    expect(acceptedOffsets(host)).toEqual([0]);
    await expect(host.sysfs.writeAsync(release, "tag=not-a-uuid")).rejects.toMatchObject({ code: "EINVAL" });
    host.mm.workload.free(b1, 10, "unmovable");
    await host.sysfs.writeAsync(release, `tag=${TAG_B}`);
    await host.idle();
    expect(acceptedOffsets(host)).toEqual([]);
    sub.unsubscribe();
  });

  it("host.dispose() while releases are in flight (one from sysfs, one from the FM) lets them finish, then tears down", async () => {
    const { host, region, sub } = await configured();
    expect(offer(host, [{ offset: 0, len: 128 * MIB, tag: TAG_A }])).toBe(0);
    await host.idle();
    expect(offer(host, [{ offset: GIB, len: 128 * MIB, tag: TAG_B }])).toBe(0);
    await host.idle();
    expect(acceptedOffsets(host)).toEqual([0, GIB]);
    // Neither release is awaited: both still have memory blocks to remove through the driver core.
    host.sysfs.write(`${DEV}/sysram_region${region.id}/extents/release`, `tag=${TAG_A}`);
    expect(fmRelease(host, [{ offset: GIB, len: 128 * MIB }], TAG_B)).toBe(0);
    sub.unsubscribe();
    h = undefined;
    await host.dispose();
    expect(acceptedOffsets(host)).toEqual([]);
    expect(host.mm.totals().pluggedBytes).toBe(0);
  });

  it("extents from a sharable partition are never hot-plugged as system RAM", async () => {
    const { host, events, sub } = await configured("online_movable", { sharable: true });
    expect(offer(host, [{ offset: 0, len: 256 * MIB, tag: TAG_A }])).toBe(0);
    await host.idle();
    expect(acceptedOffsets(host)).toEqual([]);
    expect(host.mm.totals().pluggedBytes).toBe(0);
    expect(events.find((e) => e.type === "group-refused")).toMatchObject({ stage: "admit", reason: expect.stringContaining("sharable") as string });
    sub.unsubscribe();
  });

  it("unbinding the region gives every group back (teardown) and removes every block", async () => {
    const { host, region, sub } = await configured();
    expect(offer(host, [{ offset: 0, len: 256 * MIB }])).toBe(0);
    await host.idle();
    sub.unsubscribe();
    expect(writeErr(host.sysfs, `${DRV}/cxl_sysram_region/unbind`, region.name)).toBeUndefined();
    await host.host.settle();
    await host.idle();
    expect(host.mm.totals().pluggedBytes).toBe(0);
    expect(acceptedOffsets(host)).toEqual([]);
  });
});
