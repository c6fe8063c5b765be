/**
 * The dax_kmem path (consumers §2.2): a claimed device reconfigured to system-ram onlines its
 * ranges through the memory-hotplug model, and back to devdax offlines them (which may fail).
 */
import { cxlDestroyRegion, installMemoryHotplug, isDcdError } from "@dcd/core";
import { useLeakCheck } from "@dcd/testing";
import { afterEach, describe, expect, it } from "vitest";
import { bootDevdax, DAX, type DevdaxBoot, GIB, MIB, WINDOW_BASE } from "./test-support/devdax-host.js";

const A = "11111111-2222-3333-4444-555555555555";

describe("kmem on a DC dax device", () => {
  useLeakCheck();
  let b: DevdaxBoot | undefined;
  afterEach(async () => {
    await b?.dispose();
    b = undefined;
  });

  it("reconfigure to system-ram onlines every range as movable memory on the target node; back to devdax removes it", async () => {
    b = await bootDevdax();
    const mm = await installMemoryHotplug(b.host);
    await b.add([{ off: 0, len: 128 * MIB, tag: A }, { off: 256 * MIB, len: 128 * MIB, tag: A }]);
    const dev = await b.dax.createDevice({ region: 0, uuid: A });
    await b.dax.reconfigure(dev, "system-ram");
    expect(dev.mode).toBe("system-ram");
    expect(b.sysfs.readlink(`${DAX}/${dev.name}/driver`)).toContain("kmem");
    const blocks = mm.blocks().filter((bl) => bl.start >= WINDOW_BASE && bl.start < WINDOW_BASE + GIB);
    expect(blocks.map((bl) => [bl.state, bl.node])).toEqual([
      ["online", 1],
      ["online", 1],
    ]);
    await b.dax.reconfigure(dev, "devdax");
    expect(dev.mode).toBe("devdax");
    expect(mm.blocks().filter((bl) => bl.start >= WINDOW_BASE && bl.start < WINDOW_BASE + GIB)).toEqual([]);
  });

  it("back to devdax fails with the offline's errno when the memory cannot be offlined, and stays system-ram", async () => {
    b = await bootDevdax();
    const mm = await installMemoryHotplug(b.host);
    await b.add([{ off: 0, len: 128 * MIB }]);
    const dev = await b.dax.createDevice({ region: 0, uuid: "0", mode: "system-ram" });
    const fault = mm.injectFault({ step: "offline-block", code: "EBUSY" });
    const err = await b.dax.reconfigure(dev, "devdax").catch((e: unknown) => e);
    fault.dispose();
    expect(isDcdError(err, "EBUSY")).toBe(true);
    expect(dev.mode).toBe("system-ram");
    // The release is deferred while the device holds the extent.
    await b.release(0, 128 * MIB);
    expect(b.accepted()).toBe(1);
    await b.dax.destroyDevice(dev);
    await b.release(0, 128 * MIB);
    expect(b.accepted()).toBe(0);
  });

  it("kmem refuses extents of a sharable partition", async () => {
    b = await bootDevdax({ device: { partitions: [{ base: 2 * GIB, decodeLength: GIB, length: GIB, blockSize: 2 * MIB, dsmadHandle: 1, sharable: true }] } });
    await installMemoryHotplug(b.host);
    await b.add([{ off: 0, len: 128 * MIB, tag: A }]);
    const dev = await b.dax.createDevice({ region: 0, uuid: A });
    const err = await b.dax.reconfigure(dev, "system-ram").catch((e: unknown) => e);
    expect(String(err)).toMatch(/sharable/);
    expect(dev.mode).toBeUndefined();
    expect(dev.size).toBe(128 * MIB);
  });
  it("R60: destroying the region under a system-ram device offlines and removes its memory and releases the extents", async () => {
    b = await bootDevdax();
    const mm = await installMemoryHotplug(b.host);
    await b.add([{ off: 0, len: 128 * MIB, tag: A }]);
    await b.dax.createDevice({ region: 0, uuid: A, mode: "system-ram" });
    expect(mm.blocks().filter((bl) => bl.start >= WINDOW_BASE && bl.start < WINDOW_BASE + GIB)).toHaveLength(1);
    await cxlDestroyRegion(b.cxl, b.region);
    await b.settle();
    expect(b.accepted()).toBe(0);
    expect(mm.blocks().filter((bl) => bl.start >= WINDOW_BASE && bl.start < WINDOW_BASE + GIB)).toEqual([]);
  });
});
