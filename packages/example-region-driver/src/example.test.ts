/**
 * The README's "Write a driver" example is a real package: this suite builds it with `tsc -b`,
 * loads the built JavaScript, and binds the driver to a DC region of a host with a real device.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createHost, cxlCoreModule, cxlCreateRegion, CxlExtentCore, cxlOf, type DriverModule, type Host } from "@dcd/core";
import { attachDcd, DcdDevice } from "@dcd/fabric";
import { useLeakCheck } from "@dcd/testing";
import { afterEach, beforeAll, describe, expect, it } from "vitest";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const TAG = "11111111-2222-3333-4444-555555555555";

interface Built {
  exampleRegionDriverModule: DriverModule;
  exampleRegionDriver: { name: string };
}

async function boot(module: DriverModule): Promise<{ host: Host; device: DcdDevice }> {
  const device = new DcdDevice({ ramSize: 2 * GiB, partitions: [{ base: 2 * GiB, decodeLength: GiB, length: GiB, blockSize: 2 * MiB, dsmadHandle: 1 }] });
  const host = await createHost({ name: "example", drivers: [cxlCoreModule({ extents: true }), module] });
  await attachDcd(host, [device]);
  await cxlOf(host).settle();
  return { host, device };
}

describe("the example region driver package", () => {
  useLeakCheck();
  let built: Built;
  let running: { host: Host; device: DcdDevice } | undefined;

  beforeAll(async () => {
    execFileSync("pnpm", ["exec", "tsc", "-b", pkg], { stdio: "pipe" });
    const entry = join(pkg, "dist", "index.js");
    expect(existsSync(entry)).toBe(true);
    built = (await import(pathToFileURL(entry).href)) as Built;
  }, 240_000);

  afterEach(async () => {
    await running?.host.dispose();
    running?.device.dispose();
    running = undefined;
  });

  it("builds, registers on the cxl bus, binds a region and owns its extent policy", async () => {
    running = await boot(built.exampleRegionDriverModule);
    const { host, device } = running;
    expect(host.sysfs.list("/sys/bus/cxl/drivers")).toContain("cxl_example_region");
    const cxl = cxlOf(host);
    const region = await cxlCreateRegion(cxl, { memdevs: cxl.memdevs(), size: GiB, driver: built.exampleRegionDriver.name });
    await cxl.settle();
    expect(host.sysfs.readlink(`/sys/bus/cxl/devices/${region.name}/driver`)).toMatch(/cxl_example_region$/);

    // Capacity offered by the FM is admitted by the example's policy and recorded in its ledger.
    device.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [{ dpa: 2 * GiB, len: 256 * MiB, tag: TAG }] });
    await CxlExtentCore.of(host.container).idle();
    const ledger = region.drvdata as { held: Map<string, number>; pinned: Set<string> };
    expect(ledger.held.get(TAG)).toBe(256 * MiB);
    expect(device.acceptedExtents(0)).toHaveLength(1);

    // Pinned: the device's release request is deferred; unpinned: released.
    ledger.pinned.add(TAG);
    device.initiateRelease({ hostId: 0, removalPolicy: "tag-based", tag: TAG });
    await CxlExtentCore.of(host.container).idle();
    expect(device.acceptedExtents(0)).toHaveLength(1);
    ledger.pinned.delete(TAG);
    device.initiateRelease({ hostId: 0, removalPolicy: "tag-based", tag: TAG });
    await CxlExtentCore.of(host.container).idle();
    expect(device.acceptedExtents(0)).toHaveLength(0);
    expect(ledger.held.size).toBe(0);
  });
});
