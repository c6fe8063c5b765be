/** The kernel-series option: v11 names the DC partition `dynamic_ram_1`, v9/v10 `dynamic_ram_a` (host-rules §0.3). */
import { type DcdDevice } from "@dcd/fabric";
import { useLeakCheck } from "@dcd/testing";
import { afterEach, describe, expect, it } from "vitest";
import { bootCxl, cat, type CxlBoot, dcdDevice, dcdSpec, writeErr } from "./test-support/cxl-host.js";

describe("kernel series profile", () => {
  useLeakCheck();
  let b: CxlBoot | undefined;
  let dev: DcdDevice | undefined;
  afterEach(async () => {
    await b?.dispose();
    dev?.dispose();
    b = undefined;
  });

  it("R61/R64 (v10): dynamic_ram_a names the memdev group, the create attribute, the decoder and region modes", async () => {
    const device = dcdDevice();
    dev = device;
    b = await bootCxl({ profile: "v10", memdevs: (slots) => [dcdSpec(device, slots[0] ?? "")] });
    const s = b.sysfs;
    const D = "/sys/bus/cxl/devices";
    expect(cat(s, `${D}/mem0/dynamic_ram_a/size`)).toBe("0x40000000");
    expect(s.exists(`${D}/mem0/dynamic_ram_1`)).toBe(false);
    expect(s.exists(`${D}/decoder0.0/create_dynamic_ram_1_region`)).toBe(false);
    expect(writeErr(s, `${D}/decoder0.0/create_dynamic_ram_a_region`, "region0")).toBeUndefined();
    await b.host.settle();
    expect(cat(s, `${D}/region0/mode`)).toBe("dynamic_ram_a");
    expect(writeErr(s, `${D}/decoder2.0/mode`, "dynamic_ram_1")).toBe("EINVAL");
    expect(writeErr(s, `${D}/decoder2.0/mode`, "dynamic_ram_a")).toBeUndefined();
    expect(cat(s, `${D}/decoder2.0/mode`)).toBe("dynamic_ram_a");
    expect(writeErr(s, `${D}/region0/interleave_ways`, "2")).toBe("EINVAL");
    expect(b.cxl.profile.series).toBe("v10");
  });

  it("v11 (default) refuses the v10 name", async () => {
    const device = dcdDevice();
    dev = device;
    b = await bootCxl({ memdevs: (slots) => [dcdSpec(device, slots[0] ?? "")] });
    expect(writeErr(b.sysfs, "/sys/bus/cxl/devices/decoder2.0/mode", "dynamic_ram_a")).toBe("EINVAL");
    expect(b.sysfs.exists("/sys/bus/cxl/devices/decoder0.0/create_dynamic_ram_a_region")).toBe(false);
  });
});
