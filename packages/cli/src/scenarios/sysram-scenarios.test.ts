/**
 * consumers.md §7, sysram scenarios SYS-01 .. SYS-15, driven the way a user drives a host: `dcd`
 * commands (`cxl`, `daxctl`, `fm`, `sysfs`, `dmesg`) run by `main()` against a System built from a
 * topology file (what `dcd --topology FILE ...` builds). State is read back through `sysfs cat|ls`,
 * `fm extents`, `cxl list -N` and the kernel log (`dmesg`).
 *
 * Most scenarios run on `sysram-host.yaml`: H1 scaled down to 16 GiB of boot RAM, hence 128 MiB
 * memory blocks, and the region's node is node 1, not node 2. Its CXL window starts at 64 GiB, so
 * region offset X is memory(512 + X / 128 MiB). SYS-02 also runs on `h1-host.yaml`, H1 itself
 * (256 GiB of boot RAM, 2 GiB blocks, region0 at 256 GiB on node 2), where its block numbers and
 * its "truncated by 2.00 GiB" hold as written. SYS-12 runs on `vm1-memmap-host.yaml` (VM1 booted
 * with memory_hotplug.memmap_on_memory=1), SYS-13 on `no-node-host.yaml` (a window without a node).
 *
 * Not here, because no `dcd` command can set it up: SYS-09 (no way to signal an offline). In
 * part: SYS-03 (a chain reaches the host within one `fm add`, so "nothing before the last record"
 * cannot be looked at; atomicity is shown with a set that fails as a whole instead), SYS-06 (the
 * unmovable pages are another group's memmap, the only kernel allocation a command can place),
 * SYS-12 (where each block's memmap sits is not visible through sysfs; MemTotal is), SYS-15 (the
 * node masks; no command allocates or mbinds).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { useLeakCheck } from "@dcd/testing";
import { type System } from "../commands/context.js";
import { buildSystem, loadTopology } from "../system/index.js";
import { BLOCK, DAX, extent, GIB, hex, MEM, memories, memory, MIB, NODE, Shell, SYSRAM, TAG_A, TAG_B, TAG_C } from "./test-support/dcd-shell.js";

const TOPOLOGY = fileURLToPath(new URL("./sysram-host.yaml", import.meta.url));
const H1 = fileURLToPath(new URL("./h1-host.yaml", import.meta.url));
const VM1_MEMMAP = fileURLToPath(new URL("./vm1-memmap-host.yaml", import.meta.url));
const NO_NODE = fileURLToPath(new URL("./no-node-host.yaml", import.meta.url));
const PARAMS = "/sys/module/memory_hotplug/parameters";
/** A dmesg line: `[seconds.micros] text`. */
const dmesgLine = (text: string): RegExp => new RegExp(`^\\[ *\\d+\\.\\d{6}\\] ${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m");

const tmp = mkdtempSync(join(tmpdir(), "dcd-sys-"));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** A topology like sysram-host.yaml with a DC partition of `size`. */
function topology(size: string): string {
  const file = join(tmp, `sysram-${size}.yaml`);
  writeFileSync(file, ["devices:", "  - name: dcd0", "    partitions:", `      - { size: ${size}, blockSize: 2MiB }`, "hosts:", "  - name: h1", "    attach:", "      - { device: dcd0, hostId: 0 }", ""].join("\n"));
  return file;
}

describe("sysram scenarios (consumers.md §7) through dcd", () => {
  useLeakCheck();
  let system: System | undefined;
  afterEach(async () => {
    await system?.dispose();
    system = undefined;
  });

  async function boot(file = TOPOLOGY, firstBlock?: number): Promise<Shell> {
    system = await buildSystem(loadTopology(file));
    return new Shell(system, firstBlock);
  }

  it("sysram_region0/online_type: bad values are EINVAL and change nothing", async () => {
    const sh = await boot();
    await sh.ok("cxl", "create-region", "-m", "mem0", "-d", "decoder0.0", "-t", "dynamic_ram_1", "--driver", "sysram");
    const before = await sh.snapshot();
    for (const bad of ["invalid", "movable", "online_movable2", "ONLINE", ""]) expect(await sh.write(`${SYSRAM}/online_type`, bad)).toBe("write error: Invalid argument\n");
    expect(await sh.write(`${SYSRAM}/stranded_policy`, "strand")).toBe("write error: Invalid argument\n");
    expect(await sh.snapshot()).toEqual(before);
    // Until the policy is set, capacity is refused: the FM gets it back.
    await sh.add(extent(0, 256 * MIB));
    expect(await sh.fmExtents()).toEqual([]);
    expect(await sh.windowBlocks()).toEqual([]);
  });

  it("SYS-01: an extent smaller than a memory block is refused; no memoryN appears; the FM has it back", async () => {
    const sh = await boot();
    await sh.sysramRegion("online_movable", "truncate");
    const before = await sh.snapshot();
    await sh.add(extent(0, 64 * MIB));
    expect(await sh.windowBlocks()).toEqual([]);
    expect(await sh.fmExtents()).toEqual([]);
    expect(await sh.regionExtents()).toEqual([]);
    expect(await sh.memTotalKb(1)).toBe(0);
    expect(await sh.snapshot()).toEqual(before);
    // The capacity is free again: a whole block at the same DPA is accepted.
    await sh.add(extent(0, BLOCK));
    expect(await sh.fmExtents()).toEqual([`0x0:${hex(BLOCK)}`]);
    expect(await sh.windowBlocks()).toEqual([memory(0)]);
  });

  it("SYS-02: a misaligned extent is refused under stranded_policy=reject and truncated to whole blocks under truncate", async () => {
    const sh = await boot();
    await sh.sysramRegion("online_movable");
    expect(await sh.cat(`${SYSRAM}/stranded_policy`)).toBe("reject");
    // [64 MiB, 320 MiB): only [128 MiB, 256 MiB) is a whole block; 128 MiB would be stranded.
    await sh.add(extent(64 * MIB, 256 * MIB));
    expect(await sh.fmExtents()).toEqual([]);
    expect(await sh.windowBlocks()).toEqual([]);

    expect(await sh.write(`${SYSRAM}/stranded_policy`, "truncate")).toBe("");
    await sh.add(extent(64 * MIB, 256 * MIB));
    expect(await sh.fmExtents()).toEqual([`${hex(64 * MIB)}:${hex(256 * MIB)}`]);
    expect(await sh.windowBlocks()).toEqual([memory(BLOCK)]);
    expect(await sh.blockStates([memory(BLOCK)])).toEqual(["online:Movable"]);
    expect(await sh.memTotalKb(1)).toBe(BLOCK / 1024);
    const [e] = await sh.sysramExtents();
    expect(e?.memory).toBe(memory(BLOCK));
    expect(await sh.cat(`${SYSRAM}/extents/${e?.name ?? ""}/stranded_bytes`)).toBe(String(128 * MIB));
    expect(await sh.dmesg()).toMatch(dmesgLine(`sysram_region0: ${e?.name ?? ""}: truncated by 128.00 MiB due to alignment`));
  });

  it("SYS-02 on H1 (2 GiB blocks, region0 at 256 GiB on node2): offset 1 GiB len 4 GiB leaves memory129 online in ZONE_MOVABLE, logged as truncated by 2.00 GiB", async () => {
    const sh = await boot(H1, (256 * GIB) / (2 * GIB));
    expect(await sh.cat(`${MEM}/block_size_bytes`)).toBe("80000000");
    await sh.sysramRegion("online_movable", "truncate");
    const [region] = JSON.parse(await sh.ok("cxl", "list", "-r", "region0")) as [{ resource: number }];
    expect(hex(region.resource)).toBe("0x4000000000");
    expect(await sh.cat(`${SYSRAM}/target_node`)).toBe("2");
    expect(await sh.memTotalKb(2)).toBe(0);
    // HPA [0x4040000000, 0x4140000000): the one whole block is [0x4080000000, 0x4100000000).
    await sh.add(extent(GIB, 4 * GIB));
    expect(await sh.windowBlocks()).toEqual(["memory129"]);
    expect(await sh.blockStates(["memory129"])).toEqual(["online:Movable"]);
    expect(await sh.ls(`${NODE}/node2`)).toContain("memory129");
    expect(await sh.fmExtents()).toEqual([`${hex(GIB)}:${hex(4 * GIB)}`]);
    expect(await sh.memTotalKb(2)).toBe((2 * GIB) / 1024);
    const [e] = await sh.sysramExtents();
    expect(await sh.cat(`${SYSRAM}/extents/${e?.name ?? ""}/stranded_bytes`)).toBe(String(2 * GIB));
    expect(await sh.dmesg()).toMatch(dmesgLine(`sysram_region0: ${e?.name ?? ""}: truncated by 2.00 GiB due to alignment`));
  });

  it("SYS-03: a tagged set is hot-plugged as one unit: every block online in ZONE_MOVABLE under node1, every member in the response", async () => {
    const sh = await boot();
    await sh.sysramRegion("online_movable");
    await sh.add(extent(0, 256 * MIB, TAG_A), extent(GIB, 256 * MIB, TAG_A));
    const blocks = [...memories(0, 256 * MIB), ...memories(GIB, 256 * MIB)];
    expect(await sh.windowBlocks()).toEqual(blocks);
    expect(await sh.blockStates(blocks)).toEqual(blocks.map(() => "online:Movable"));
    const node1 = await sh.ls(`${NODE}/node1`);
    for (const b of blocks) expect(node1).toContain(b);
    expect(await sh.fmExtents()).toEqual([`0x0:${hex(256 * MIB)}:${TAG_A}`, `${hex(GIB)}:${hex(256 * MIB)}:${TAG_A}`]);
    expect(await sh.regionExtents()).toEqual([
      { offset: 0, length: 256 * MIB, uuid: TAG_A },
      { offset: GIB, length: 256 * MIB, uuid: TAG_A },
    ]);
    const members = await sh.sysramExtents();
    expect(members).toHaveLength(2);
    expect(new Set(members.map((m) => m.group)).size).toBe(1);
    expect(await sh.memTotalKb(1)).toBe((512 * MIB) / 1024);
    const plugged = await sh.snapshot();
    for (const bad of ["bogus", "going-offline", "online_movable "]) expect(await sh.write(`${MEM}/${memory(0)}/state`, bad)).toBe("write error: Invalid argument\n");
    expect(await sh.snapshot()).toEqual(plugged);

    // All or nothing: a set whose second member would strand capacity (stranded_policy=reject)
    // plugs nothing, its first member included.
    const before = await sh.snapshot();
    await sh.add(extent(2 * GIB, 256 * MIB, TAG_B), extent(3 * GIB + 64 * MIB, 256 * MIB, TAG_B));
    expect(await sh.snapshot()).toEqual(before);
  });

  it("SYS-04: a later chain reusing a live tag is rejected; group A keeps its two members", async () => {
    const sh = await boot();
    await sh.sysramRegion("online_movable");
    await sh.add(extent(0, 256 * MIB, TAG_A), extent(GIB, 256 * MIB, TAG_A));
    const before = await sh.snapshot();
    // The device offers it (the FM command succeeds); the host's tag-uniqueness gate refuses it.
    await sh.add(extent(2 * GIB, 256 * MIB, TAG_A));
    expect(await sh.exists(`${MEM}/${memory(2 * GIB)}`)).toBe(false);
    expect(await sh.snapshot()).toEqual(before);
    expect(await sh.sysramExtents()).toHaveLength(2);
  });

  it("SYS-05: releasing part of a tag group offlines and removes every block of the group; the FM sees all members released", async () => {
    const sh = await boot();
    await sh.sysramRegion("online_movable");
    await sh.add(extent(0, 256 * MIB, TAG_A), extent(GIB, 256 * MIB, TAG_A));
    // Another group that must stay.
    await sh.add(extent(4 * GIB, BLOCK));
    expect(await sh.windowBlocks()).toHaveLength(5);
    // The release names A1 only.
    await sh.release(extent(0, 256 * MIB, TAG_A));
    expect(await sh.windowBlocks()).toEqual([memory(4 * GIB)]);
    for (const b of [...memories(0, 256 * MIB), ...memories(GIB, 256 * MIB)]) expect(await sh.exists(`${MEM}/${b}`)).toBe(false);
    expect(await sh.fmExtents()).toEqual([`${hex(4 * GIB)}:${hex(BLOCK)}`]);
    expect(await sh.regionExtents()).toEqual([{ offset: 4 * GIB, length: BLOCK }]);
    expect(await sh.memTotalKb(1)).toBe(BLOCK / 1024);
  });

  it("SYS-06: a block holding unmovable pages fails the offline; the group stays online, nothing is released, a re-issued release fails the same way", async () => {
    const sh = await boot();
    await sh.sysramRegion("online_kernel");
    // Group B in ZONE_NORMAL on node1, then group C: C's memmap is a kernel allocation and goes
    // to node1's kernel zone first, that is, into B's blocks (unmovable pages, as slab would be).
    await sh.add(extent(GIB, 256 * MIB, TAG_B), extent(0, 256 * MIB, TAG_B));
    await sh.add(extent(2 * GIB, 256 * MIB, TAG_C));
    const b = [...memories(0, 256 * MIB), ...memories(GIB, 256 * MIB)];
    expect(await sh.blockStates(b)).toEqual(b.map(() => "online:Normal"));
    const before = await sh.snapshot();
    for (let attempt = 0; attempt < 2; attempt++) {
      await sh.release(extent(0, 256 * MIB, TAG_B));
      expect(await sh.snapshot()).toEqual(before);
    }
    expect(await sh.fmExtents()).toContain(`0x0:${hex(256 * MIB)}:${TAG_B}`);
    // The host-initiated release says why: the kernel's offline_pages() message for the block.
    const host = await sh.dcd("cxl", "release-extents", "region0", "--tag", TAG_B);
    expect(host).toMatchObject({ code: 1, stdout: "" });
    expect(host.stderr).toMatch(/release deferred: .*memory offlining \[mem 0x[0-9a-f]+-0x[0-9a-f]+\] \(memory\d+\) failed due to failure to isolate range/);
    expect(await sh.snapshot()).toEqual(before);
    // Once C is gone, so is its memmap, and B can go.
    await sh.release(extent(2 * GIB, 256 * MIB, TAG_C));
    await sh.release(extent(0, 256 * MIB, TAG_B));
    expect(await sh.windowBlocks()).toEqual([]);
    expect(await sh.fmExtents()).toEqual([]);
  });

  it("SYS-07: untagged extents of separate chains are released one by one; bad host release selectors change nothing", async () => {
    const sh = await boot();
    await sh.sysramRegion("online_movable");
    await sh.add(extent(2 * GIB, 256 * MIB));
    await sh.add(extent(2 * GIB + 256 * MIB, 256 * MIB));
    const groups = await sh.sysramExtents();
    expect(groups).toHaveLength(2);
    expect(new Set(groups.map((g) => g.group)).size).toBe(2);

    await sh.release(extent(2 * GIB, 256 * MIB));
    expect(await sh.windowBlocks()).toEqual(memories(2 * GIB + 256 * MIB, 256 * MIB));
    expect(await sh.blockStates(memories(2 * GIB + 256 * MIB, 256 * MIB))).toEqual(["online:Movable", "online:Movable"]);
    expect(await sh.fmExtents()).toEqual([`${hex(2 * GIB + 256 * MIB)}:${hex(256 * MIB)}`]);

    const before = await sh.snapshot();
    expect(await sh.write(`${SYSRAM}/extents/release`, "nonsense")).toBe("write error: Invalid argument\n");
    expect(await sh.write(`${SYSRAM}/extents/release`, "id=x")).toBe("write error: Invalid argument\n");
    expect(await sh.write(`${SYSRAM}/extents/release`, `tag=${TAG_B}`)).toBe("write error: No such file or directory\n");
    const cmd = "cxl region: cmd_release_extents: ";
    expect(await sh.dcd("cxl", "release-extents", "region0", "--id", "bogus")).toEqual({ code: 1, stdout: "", stderr: `${cmd}Invalid extent id: bogus\n` });
    expect(await sh.dcd("cxl", "release-extents", "region0", "--id", "99")).toEqual({ code: 1, stdout: "", stderr: `${cmd}region0: release failed: No such file or directory\n` });
    expect(await sh.dcd("cxl", "release-extents", "region0", "--tag", TAG_B)).toEqual({ code: 1, stdout: "", stderr: `${cmd}region0: release failed: No such file or directory\n` });
    expect(await sh.dcd("cxl", "release-extents", "region0")).toEqual({ code: 1, stdout: "", stderr: `${cmd}region0: release failed: Invalid argument\n` });
    // A malformed tag is refused (its errno is ENOENT today, not EINVAL: see the report of issue #7).
    expect(await sh.dcd("cxl", "release-extents", "region0", "--tag", "not-a-uuid")).toMatchObject({ code: 1, stdout: "" });
    expect(await sh.snapshot()).toEqual(before);

    // Host-initiated release of the one left, through sysram_region0/extents/release.
    const [left] = await sh.sysramExtents();
    expect(await sh.write(`${SYSRAM}/extents/release`, left?.name ?? "")).toBe("");
    expect(await sh.windowBlocks()).toEqual([]);
    expect(await sh.fmExtents()).toEqual([]);
  });

  it("SYS-08: online_policy=auto-movable puts hot-plugged memory into ZONE_MOVABLE up to auto_movable_ratio, then into a kernel zone", async () => {
    const sh = await boot(topology("25GiB"));
    const params = "/sys/module/memory_hotplug/parameters";
    expect(await sh.write(`${params}/online_policy`, "auto-movable")).toBe("");
    // VM1 has one node; here the region has its own (node1), so count globally. 16 GiB of boot
    // RAM at 150 % is the 24 GiB : 8 GiB at 301 % of the scenario (both exactly at the limit).
    expect(await sh.write(`${params}/auto_movable_numa_aware`, "N")).toBe("");
    expect(await sh.write(`${params}/auto_movable_ratio`, "150")).toBe("");
    expect(await sh.write(`${params}/online_policy`, "auto")).toBe("write error: Invalid argument\n");
    expect(await sh.write(`${params}/auto_movable_ratio`, "many")).toBe("write error: Invalid argument\n");
    expect(await sh.cat(`${params}/online_policy`)).toBe("auto-movable");
    expect(await sh.cat(`${params}/auto_movable_ratio`)).toBe("150");
    await sh.sysramRegion("online");
    for (let i = 0; i < 24; i += 4) await sh.add(extent(i * GIB, 4 * GIB));
    const blocks = await sh.windowBlocks();
    expect(blocks).toHaveLength(192);
    const zones = (await sh.ok("sysfs", "cat", ...blocks.map((b) => `${MEM}/${b}/valid_zones`))).split("\n").filter((z) => z !== "");
    expect(zones).toEqual(blocks.map(() => "Movable"));
    // One block more would exceed 150 %.
    await sh.add(extent(24 * GIB, BLOCK));
    expect(await sh.blockStates([memory(24 * GIB)])).toEqual(["online:Normal"]);
  });

  describe("dax_kmem (daxctl)", () => {
    /** A devdax DC region with tag A (two 256 MiB extents) claimed into dax0.1. */
    async function daxDevice(sh: Shell): Promise<string> {
      await sh.ok("cxl", "create-region", "-m", "mem0", "-d", "decoder0.0", "-t", "dynamic_ram_1");
      await sh.add(extent(0, 256 * MIB, TAG_A), extent(GIB, 256 * MIB, TAG_A));
      const [dev] = JSON.parse(await sh.ok("daxctl", "create-device", "-r", "region0", "--uuid", TAG_A)) as [{ chardev: string }];
      return dev.chardev;
    }
    const blocks = [...memories(0, 256 * MIB), ...memories(GIB, 256 * MIB)];

    it("SYS-10: online is refused unless unplugged (EBUSY, as the kernel series) and changes nothing; unplug then online_kernel re-adds into ZONE_NORMAL", async () => {
      const sh = await boot();
      const dev = await daxDevice(sh);
      // --no-online: the whole device is onlined through its state, not block by block by daxctl.
      await sh.ok("daxctl", "reconfigure-device", "--mode=system-ram", "--no-online", dev);
      const state = `${DAX}/${dev}/state`;
      expect(await sh.cat(state)).toBe("offline");
      expect(await sh.write(state, "unplugged")).toBe("");
      expect(await sh.write(state, "online_movable")).toBe("");
      expect(await sh.cat(state)).toBe("online_movable");
      expect(await sh.blockStates(blocks)).toEqual(blocks.map(() => "online:Movable"));
      const before = await sh.snapshot();
      expect(await sh.write(state, "online_kernel")).toBe("write error: Device or resource busy\n");
      expect(await sh.write(state, "bogus")).toBe("write error: Invalid argument\n");
      expect(await sh.cat(state)).toBe("online_movable");
      expect(await sh.snapshot()).toEqual(before);

      expect(await sh.write(state, "unplugged")).toBe("");
      expect(await sh.windowBlocks()).toEqual([]);
      expect(await sh.write(state, "online_kernel")).toBe("");
      expect(await sh.cat(state)).toBe("online_kernel");
      expect(await sh.blockStates(blocks)).toEqual(blocks.map(() => "online:Normal"));
    });

    it("SYS-11: a device created under auto_online_blocks=offline reads offline; offline is not writable, unplugged is", async () => {
      const sh = await boot();
      const dev = await daxDevice(sh);
      expect(await sh.cat(`${MEM}/auto_online_blocks`)).toBe("offline");
      await sh.ok("daxctl", "reconfigure-device", "--mode=system-ram", "--no-online", dev);
      const state = `${DAX}/${dev}/state`;
      expect(await sh.cat(state)).toBe("offline");
      // An offline block's valid_zones lists the zones it could go to, the default first.
      expect(await sh.blockStates(blocks)).toEqual(blocks.map(() => "offline:Normal Movable"));
      const before = await sh.snapshot();
      expect(await sh.write(state, "offline")).toBe("write error: Invalid argument\n");
      expect(await sh.snapshot()).toEqual(before);
      expect(await sh.write(state, "unplugged")).toBe("");
      expect(await sh.cat(state)).toBe("unplugged");
      expect(await sh.windowBlocks()).toEqual([]);
    });

    it("SYS-12: with memory_hotplug.memmap_on_memory=1 and the device's memmap_on_memory=1, a 1 GiB extent is 8 blocks of 128 MiB and MemTotal grows by 8 × 126 MiB", async () => {
      // Without the module parameter (the default topology) the device refuses the setting.
      const off = await boot();
      expect(await off.cat(`${PARAMS}/memmap_on_memory`)).toBe("N");
      const offDev = await daxDevice(off);
      expect(await off.write(`${DAX}/${offDev}/memmap_on_memory`, "1")).toBe("write error: Operation not supported\n");
      expect(await off.cat(`${DAX}/${offDev}/memmap_on_memory`)).toBe("0");
      await system?.dispose();
      system = undefined;

      const sh = await boot(VM1_MEMMAP);
      expect(await sh.cat(`${PARAMS}/memmap_on_memory`)).toBe("Y");
      expect(await sh.cat(`${MEM}/block_size_bytes`)).toBe("8000000");
      expect(await sh.write(`${PARAMS}/memmap_on_memory`, "N")).toBe("write error: Permission denied\n");
      await sh.ok("cxl", "create-region", "-m", "mem0", "-d", "decoder0.0", "-t", "dynamic_ram_1");
      await sh.add(extent(0, GIB, TAG_A));
      const [dev] = JSON.parse(await sh.ok("daxctl", "create-device", "-r", "region0", "--uuid", TAG_A)) as [{ chardev: string }];
      const chardev = dev.chardev;
      expect(await sh.write(`${DAX}/${chardev}/memmap_on_memory`, "1")).toBe("");
      await sh.ok("daxctl", "reconfigure-device", "--mode=system-ram", chardev);
      const eight = memories(0, GIB);
      expect(eight).toHaveLength(8);
      expect(await sh.windowBlocks()).toEqual(eight);
      expect(await sh.blockStates(eight)).toEqual(eight.map(() => "online:Movable"));
      expect(await sh.memTotalKb(1)).toBe((8 * 126 * MIB) / 1024);
    });

    it("SYS-13: a device whose target_node is -1 is refused by kmem (EINVAL, 'rejecting DAX region with invalid node: -1'); no memory blocks", async () => {
      const sh = await boot(NO_NODE);
      const dev = await daxDevice(sh);
      expect(await sh.cat(`${DAX}/${dev}/target_node`)).toBe("-1");
      const memoryBefore = await sh.ls(MEM);
      const r = await sh.dcd("daxctl", "reconfigure-device", "--mode=system-ram", "--no-online", dev);
      expect(r.code).not.toBe(0);
      // libdaxctl's daxctl_dev_enable() sees kmem did not bind and returns -ENXIO (exit 256 - 6).
      expect(r).toEqual({ code: 250, stdout: "", stderr: "error reconfiguring devices: No such device or address\nreconfigured 0 devices\n" });
      expect(await sh.ls(MEM)).toEqual(memoryBefore);
      expect(await sh.windowBlocks()).toEqual([]);
      expect(await sh.dmesg()).toMatch(dmesgLine(`${dev}: rejecting DAX region with invalid node: -1`));
      // The probe's own errno shows through a direct bind.
      expect(await sh.write("/sys/bus/dax/drivers/kmem/bind", dev)).toBe("write error: Invalid argument\n");
      expect(await sh.ls(MEM)).toEqual(memoryBefore);
      // daxctl omits a negative target_node; the device is left disabled, not system-ram.
      const [listed] = JSON.parse(await sh.ok("daxctl", "list", "-d", dev)) as [Record<string, unknown>];
      expect(listed).toMatchObject({ chardev: dev, mode: "devdax", state: "disabled" });
      expect(listed).not.toHaveProperty("target_node");
    });

    it("SYS-13 through sysram: a region on node -1 refuses every extent; the FM gets it back", async () => {
      const sh = await boot(NO_NODE);
      await sh.sysramRegion("online_movable");
      expect(await sh.cat(`${SYSRAM}/target_node`)).toBe("-1");
      const before = await sh.snapshot();
      await sh.add(extent(0, BLOCK));
      expect(await sh.fmExtents()).toEqual([]);
      expect(await sh.snapshot()).toEqual(before);
    });

    it("SYS-14: daxctl refuses system-ram while the kernel auto-onlines (dax0.1 stays devdax); --force proceeds", async () => {
      const sh = await boot();
      const dev = await daxDevice(sh);
      expect(await sh.write(`${MEM}/auto_online_blocks`, "online")).toBe("");
      const before = await sh.snapshot();
      const refused = await sh.dcd("daxctl", "reconfigure-device", "--mode=system-ram", dev);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain(`${dev}: error: kernel policy will auto-online memory, aborting`);
      expect(await sh.snapshot()).toEqual(before);
      const [listed] = JSON.parse(await sh.ok("daxctl", "list", "-d", dev)) as [{ mode: string }];
      expect(listed.mode).toBe("devdax");

      await sh.ok("daxctl", "reconfigure-device", "--mode=system-ram", "--force", dev);
      const [after] = JSON.parse(await sh.ok("daxctl", "list", "-d", dev)) as [{ mode: string }];
      expect(after.mode).toBe("system-ram");
      expect(await sh.windowBlocks()).toEqual(blocks);
    });
  });

  it("SYS-15: a private region's memory is on node1 (has_memory) but not in has_public_memory nor has_user_memory", async () => {
    const sh = await boot();
    await sh.ok("cxl", "create-region", "-m", "mem0", "-d", "decoder0.0", "-t", "dynamic_ram_1", "--driver", "sysram");
    expect(await sh.write(`${SYSRAM}/private`, "1")).toBe("");
    expect(await sh.write(`${SYSRAM}/private_features`, "")).toBe("");
    expect(await sh.write(`${SYSRAM}/private_features`, "FLY")).toBe("write error: Invalid argument\n");
    expect(await sh.write(`${SYSRAM}/private_features`, "DEMOTION")).toBe("write error: Invalid argument\n");
    expect(await sh.cat(`${SYSRAM}/private_features`)).toBe("");
    expect(await sh.write(`${SYSRAM}/online_type`, "online_movable")).toBe("");
    await sh.add(extent(0, 4 * GIB));
    expect(await sh.windowBlocks()).toHaveLength(32);
    expect(await sh.cat(`${NODE}/has_memory`)).toBe("0-1");
    expect(await sh.cat(`${NODE}/has_public_memory`)).toBe("0");
    expect(await sh.cat(`${NODE}/has_user_memory`)).toBe("0");
    // The mask cannot change under live memory.
    const before = await sh.snapshot();
    expect(await sh.write(`${SYSRAM}/private`, "0")).toBe("write error: Device or resource busy\n");
    expect(await sh.write(`${SYSRAM}/private_features`, "USER_NUMA")).toBe("write error: Device or resource busy\n");
    expect(await sh.snapshot()).toEqual(before);
  });
});
