/**
 * dax_kmem's whole-device `state` (consumers.md §2.2, SYS-10, SYS-11), the invalid-node refusal
 * (SYS-13) and `memmap_on_memory`, all through sysfs writes.
 */
import { useLeakCheck } from "@dcd/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type DaxHost, bootDaxHost, cat, claimDevice, DAX, MIB, TAG_A, writeErr } from "./test-support/dax-host.js";

describe("dax kmem state", () => {
  useLeakCheck();
  let h: DaxHost | undefined;
  afterEach(async () => {
    await h?.dispose();
    h = undefined;
  });

  /** dax0.1 holding two 256 MiB extents (four 128 MiB blocks), bound to kmem through sysfs. */
  async function kmemDevice(x: DaxHost): Promise<string> {
    await x.add([{ off: 0, len: 256 * MIB, tag: TAG_A }, { off: 512 * MIB, len: 256 * MIB, tag: TAG_A }]);
    const dev = await claimDevice(x, TAG_A);
    await x.sysfs.writeAsync(`${DAX}/drivers/kmem/bind`, dev);
    return dev;
  }
  const zones = (x: DaxHost) => x.windowBlocks().map((b) => `${b.state}:${b.zone ?? "-"}`);

  it("SYS-11: under auto_online_blocks=offline the device reads offline; offline is not writable, unplugged is", async () => {
    const x = (h = await bootDaxHost());
    const dev = await kmemDevice(x);
    const state = `${DAX}/devices/${dev}/state`;
    expect(cat(x.sysfs, state)).toBe("offline");
    expect(zones(x)).toEqual(["offline:-", "offline:-", "offline:-", "offline:-"]);
    expect(await writeErr(x.sysfs, state, "offline")).toBe("EINVAL");
    // Onlining is only allowed from unplugged, so offline → online is refused too (EBUSY, as the kernel series).
    expect(await writeErr(x.sysfs, state, "online")).toBe("EBUSY");
    expect(await writeErr(x.sysfs, state, "bogus")).toBe("EINVAL");
    expect(cat(x.sysfs, state)).toBe("offline");
    expect(x.windowBlocks()).toHaveLength(4);
    expect(await writeErr(x.sysfs, state, "unplugged")).toBeUndefined();
    expect(cat(x.sysfs, state)).toBe("unplugged");
    expect(x.windowBlocks()).toEqual([]);
    expect(x.mm.ranges().some((r) => r.name === "System RAM (kmem)")).toBe(false);
  });

  it("SYS-10: onlining is refused unless unplugged; unplug then online_kernel re-adds every range into ZONE_NORMAL", async () => {
    const x = (h = await bootDaxHost());
    const dev = await kmemDevice(x);
    const state = `${DAX}/devices/${dev}/state`;
    await x.sysfs.writeAsync(state, "unplugged");
    await x.sysfs.writeAsync(state, "online_movable");
    expect(cat(x.sysfs, state)).toBe("online_movable");
    expect(zones(x)).toEqual(["online:Movable", "online:Movable", "online:Movable", "online:Movable"]);
    const before = x.mm.snapshot();

    // The kernel series answers EBUSY (SYS-10's "EINVAL" is marked as an inference).
    expect(await writeErr(x.sysfs, state, "online_kernel")).toBe("EBUSY");
    expect(cat(x.sysfs, state)).toBe("online_movable");
    expect(x.mm.snapshot()).toEqual(before);
    // Writing the state it already has is a no-op.
    expect(await writeErr(x.sysfs, state, "online_movable")).toBeUndefined();

    expect(await writeErr(x.sysfs, state, "unplugged")).toBeUndefined();
    expect(x.windowBlocks()).toEqual([]);
    expect(await writeErr(x.sysfs, state, "online_kernel")).toBeUndefined();
    expect(cat(x.sysfs, state)).toBe("online_kernel");
    expect(zones(x)).toEqual(["online:Normal", "online:Normal", "online:Normal", "online:Normal"]);
    expect(x.windowBlocks().map((b) => b.node)).toEqual([1, 1, 1, 1]);
  });

  it("consumers.md's inferred errno for onlining a device that is not unplugged (EINVAL) is an option", async () => {
    const x = (h = await bootDaxHost({ dax: { kmem: { onlineFromOnlineErrno: "EINVAL" } } }));
    const dev = await kmemDevice(x);
    const state = `${DAX}/devices/${dev}/state`;
    expect(await writeErr(x.sysfs, state, "online_movable")).toBe("EINVAL");
    expect(cat(x.sysfs, state)).toBe("offline");
    // Bad input stays EINVAL.
    expect(await writeErr(x.sysfs, state, "offline")).toBe("EINVAL");
  });

  it("unplug is all or nothing: a pinned page in the last block fails it with EBUSY and every block stays online", async () => {
    const x = (h = await bootDaxHost());
    const dev = await kmemDevice(x);
    const state = `${DAX}/devices/${dev}/state`;
    await x.sysfs.writeAsync(state, "unplugged");
    await x.sysfs.writeAsync(state, "online_movable");
    const last = x.windowBlocks().at(-1)?.id ?? -1;
    x.mm.workload.allocate(last, 16, "movable");
    x.mm.workload.pin(last, 16);
    const before = x.mm.snapshot();
    expect(await writeErr(x.sysfs, state, "unplugged")).toBe("EBUSY");
    expect(cat(x.sysfs, state)).toBe("online_movable");
    expect(x.mm.snapshot().blocks).toEqual(before.blocks);
    const t = await x.dax.setKmemState(dev, "unplugged");
    expect(t.ok).toBe(false);
    // The first three blocks went offline, the pinned one timed out, and the three came back.
    const steps = t.results[0]?.steps ?? [];
    expect(steps.find((s) => !s.ok)).toMatchObject({ action: "offline-block", block: last, reason: "timeout" });
    expect(steps.filter((s) => s.action === "online-block" && s.rollback)).toHaveLength(3);
    x.mm.workload.unpin(last, 16);
    expect(await writeErr(x.sysfs, state, "unplugged")).toBeUndefined();
    expect(x.windowBlocks()).toEqual([]);
  });

  it("unbind does not offline: online memory is leaked with a warning; unplugged or offline memory goes", async () => {
    const x = (h = await bootDaxHost({ memory: { boot: [{ node: 0, size: 16 * 1024 * MIB }], autoOnlineBlocks: "online_movable" } }));
    const dev = await kmemDevice(x);
    expect(cat(x.sysfs, `${DAX}/devices/${dev}/state`)).toBe("online_movable");
    await x.sysfs.writeAsync(`${DAX}/drivers/kmem/unbind`, dev);
    expect(x.sysfs.exists(`${DAX}/devices/${dev}/state`)).toBe(false);
    expect(zones(x)).toEqual(["online:Movable", "online:Movable", "online:Movable", "online:Movable"]);
    expect(x.log.has("stuck online until reboot")).toBe(true);

    const y = await bootDaxHost();
    try {
      const dev2 = await kmemDevice(y);
      expect(cat(y.sysfs, `${DAX}/devices/${dev2}/state`)).toBe("offline");
      await y.sysfs.writeAsync(`${DAX}/drivers/kmem/unbind`, dev2);
      expect(y.windowBlocks()).toEqual([]);
      expect(y.log.has("stuck online")).toBe(false);
    } finally {
      await y.dispose();
    }
  });

  it("unbind while a state write is still adding memory: the add ends with ENXIO and its online memory is leaked with the warning, never silently", async () => {
    const x = (h = await bootDaxHost());
    const dev = await kmemDevice(x);
    const state = `${DAX}/devices/${dev}/state`;
    await x.sysfs.writeAsync(state, "unplugged");
    const online = x.sysfs.writeAsync(state, "online_movable");
    const unbind = x.sysfs.writeAsync(`${DAX}/drivers/kmem/unbind`, dev);
    await expect(online).rejects.toMatchObject({ code: "ENXIO" });
    await unbind;
    expect(x.sysfs.exists(state)).toBe(false);
    // The blocks went online before the add saw the unbind: remove_memory refuses them, so they are
    // leaked until reboot, and the kernel log says so.
    expect(x.windowBlocks().map((b) => b.state)).toEqual(["online", "online", "online", "online"]);
    expect(x.log.has("stuck online until reboot")).toBe(true);
  });

  it("SYS-13: a device whose target_node is -1 is refused by kmem with EINVAL and no block is added", async () => {
    const x = (h = await bootDaxHost({ dax: { targetNode: () => -1 } }));
    await x.add([{ off: 0, len: 256 * MIB, tag: TAG_A }]);
    const dev = await claimDevice(x, TAG_A);
    expect(cat(x.sysfs, `${DAX}/devices/${dev}/target_node`)).toBe("-1");
    const err = await x.sysfs.writeAsync(`${DAX}/drivers/kmem/bind`, dev).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "EINVAL" });
    expect(String(err)).toContain("rejecting DAX region with invalid node: -1");
    expect(x.log.has("rejecting DAX region with invalid node: -1", "warn")).toBe(true);
    expect(x.windowBlocks()).toEqual([]);
    expect(x.mm.blocks().every((b) => b.boot)).toBe(true);
    expect(x.dax.device(dev)?.mode).toBeUndefined();
  });

  it("kmem aligns each mapping inward to memory blocks and refuses a device with nothing left", async () => {
    const x = (h = await bootDaxHost());
    // 64 MiB: smaller than one 128 MiB block.
    await x.add([{ off: 0, len: 64 * MIB, tag: TAG_A }]);
    const dev = await claimDevice(x, TAG_A);
    expect(await writeErr(x.sysfs, `${DAX}/drivers/kmem/bind`, dev)).toBe("EINVAL");
    expect(x.log.has("rejecting DAX region without any memory after alignment")).toBe(true);
    expect(x.windowBlocks()).toEqual([]);
  });

  it("memmap_on_memory: per device, EOPNOTSUPP when the module parameter is off, EBUSY to change it under kmem", async () => {
    const off = (h = await bootDaxHost());
    await off.add([{ off: 0, len: 256 * MIB, tag: TAG_A }]);
    const d0 = await claimDevice(off, TAG_A);
    const attr0 = `${DAX}/devices/${d0}/memmap_on_memory`;
    expect(cat(off.sysfs, attr0)).toBe("0");
    expect(await writeErr(off.sysfs, attr0, "1")).toBe("EOPNOTSUPP");
    expect(await writeErr(off.sysfs, attr0, "maybe")).toBe("EINVAL");
    expect(cat(off.sysfs, attr0)).toBe("0");
    await off.dispose();
    h = undefined;

    const x = (h = await bootDaxHost({ memory: { boot: [{ node: 0, size: 16 * 1024 * MIB }], memmapOnMemory: true } }));
    await x.add([{ off: 0, len: 256 * MIB, tag: TAG_A }]);
    const dev = await claimDevice(x, TAG_A);
    const attr = `${DAX}/devices/${dev}/memmap_on_memory`;
    expect(await writeErr(x.sysfs, attr, "1")).toBeUndefined();
    await x.sysfs.writeAsync(`${DAX}/drivers/kmem/bind`, dev);
    expect(x.windowBlocks().map((b) => b.memmapOnMemory)).toEqual([true, true]);
    expect(await writeErr(x.sysfs, attr, "0")).toBe("EBUSY");
    expect(await writeErr(x.sysfs, attr, "1")).toBeUndefined();
    expect(cat(x.sysfs, attr)).toBe("1");
  });
});
