/**
 * The object model with the extent pipeline loaded (`cxlCore` default): a DC region bound by a
 * region driver gets `dax_regionZ`, and extents the device offers land in it.
 */
import { type DcdDevice } from "@dcd/fabric";
import { useLeakCheck } from "@dcd/testing";
import { afterEach, describe, expect, it } from "vitest";
import { CxlExtentCore } from "./extent/extent-core.js";
import { cxlCreateRegion, cxlDestroyRegion } from "./region-helper.js";
import { bootCxl, type CxlBoot, dcdDevice, dcdSpec, GIB, MIB } from "./test-support/cxl-host.js";

describe("CXL core with the extent pipeline", () => {
  useLeakCheck();
  let b: CxlBoot | undefined;
  let dev: DcdDevice | undefined;
  afterEach(async () => {
    await b?.dispose();
    dev?.dispose();
    b = undefined;
  });

  it("binding a DC region creates dax_region0 and extents offered by the device are accepted into it", async () => {
    const device = dcdDevice();
    dev = device;
    b = await bootCxl({ extents: true, memdevs: (slots) => [dcdSpec(device, slots[0] ?? "")] });
    const mem0 = b.cxl.memdev("mem0");
    if (mem0 === undefined) throw new Error("mem0");
    const region = await cxlCreateRegion(b.cxl, { memdevs: [mem0], size: GIB });
    expect(region.driver?.name).toBe("cxl_region");
    expect(b.sysfs.exists("/sys/bus/cxl/devices/dax_region0")).toBe(true);
    const offer = device.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [{ dpa: 2 * GIB, len: 2 * MIB }] });
    expect(offer.rc).toBe(0);
    await CxlExtentCore.of(b.host.container).idle();
    expect(device.acceptedExtents(0)).toEqual([expect.objectContaining({ dpa: 2 * GIB, len: 2 * MIB })]);
    await cxlDestroyRegion(b.cxl, region);
    expect(b.sysfs.exists("/sys/bus/cxl/devices/dax_region0")).toBe(false);
  });
});
