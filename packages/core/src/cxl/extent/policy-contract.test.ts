/**
 * The region-driver plug-in contract end to end, on the CXL core's real object model: a toy
 * region driver defined here binds a DC region (`cxl create-region --driver toy_region`), and the
 * core asks its policy — admit → realise → accepted → one Add DC Response; release →
 * released | deferred. The core never names the driver.
 */
import { type DcdDevice } from "@dcd/fabric";
import { useLeakCheck } from "@dcd/testing";
import { type DependencyContainer } from "tsyringe";
import { afterEach, describe, expect, it } from "vitest";
import { NULL_UUID } from "../../uuid.js";
import { CXL_DEVICE } from "../bus.js";
import type { CxlRegion } from "../region.js";
import { type ExtentGroup, provideRegionDriver, type RegionDriver, type RegionExtentPolicy, type ReleaseCause, type ReleaseVerdict } from "../region-driver.js";
import { cxlCreateRegion, cxlDestroyRegion } from "../region-helper.js";
import { bootCxl, type CxlBoot, dcdDevice, dcdSpec, GIB, MIB } from "../test-support/cxl-host.js";
import type { ExtentLifecycleEvent } from "./events.js";
import { CxlExtentCore } from "./extent-core.js";

const TAG_OK = "11111111-2222-4333-8444-555555555555";
const TAG_FOREIGN = "99999999-8888-4777-8666-555555555555";
const DC = 2 * GIB;

/** A toy consumer: hands out groups as "tenants", refuses a foreign tag, holds what is in use. */
class ToyPolicy implements RegionExtentPolicy {
  readonly log: string[] = [];
  readonly inUse = new Set<string>();

  admit(group: ExtentGroup): { admit: true } | { admit: false; reason: string } {
    this.log.push(`admit ${group.tag} ${group.extents.length}`);
    if (group.tag === TAG_FOREIGN) return { admit: false, reason: "tag belongs to another tenant" };
    return { admit: true };
  }

  async accepted(group: ExtentGroup): Promise<void> {
    // An asynchronous policy: the core waits before it answers the device.
    await Promise.resolve();
    this.log.push(`accepted ${group.tag} ${group.extents.map((e) => e.name).join(",")}`);
  }

  release(group: ExtentGroup, cause: ReleaseCause): ReleaseVerdict {
    this.log.push(`release ${group.tag} ${cause}`);
    if (this.inUse.has(group.tag) && cause !== "teardown") return { result: "deferred", reason: `${group.tag} is mounted` };
    return { result: "released" };
  }

  teardown(): void {
    this.log.push("teardown");
  }
}

const policies = new Map<string, ToyPolicy>();

const toyRegionDriver: RegionDriver<CxlRegion> & { id: number } = {
  name: "toy_region",
  bus: "cxl",
  id: CXL_DEVICE.REGION,
  policy(region: CxlRegion): RegionExtentPolicy {
    const p = new ToyPolicy();
    policies.set(region.name, p);
    return p;
  },
};

const toyModule = { name: "toy", register: (c: DependencyContainer) => { provideRegionDriver(c, toyRegionDriver); } };

describe("region-driver policy contract", () => {
  useLeakCheck();
  let b: CxlBoot | undefined;
  let device: DcdDevice | undefined;
  afterEach(async () => {
    await b?.dispose();
    device?.dispose();
    b = undefined;
    policies.clear();
  });

  async function start(): Promise<{ boot: CxlBoot; region: CxlRegion; core: CxlExtentCore; events: ExtentLifecycleEvent[] }> {
    const d = dcdDevice({ eventLogCapacity: 64 });
    device = d;
    const boot = await bootCxl({ extents: true, modules: [toyModule], memdevs: (slots) => [dcdSpec(d, slots[0] ?? "")] });
    b = boot;
    const mem0 = boot.cxl.memdev("mem0");
    if (mem0 === undefined) throw new Error("mem0 did not probe");
    const region = await cxlCreateRegion(boot.cxl, { memdevs: [mem0], size: GIB, driver: "toy_region" });
    const core = CxlExtentCore.of(boot.host.container);
    const events: ExtentLifecycleEvent[] = [];
    core.lifecycle$.subscribe({ next: (e) => events.push(e), error: () => undefined });
    return { boot, region, core, events };
  }

  it("admits some groups, refuses others with a reason in the stream, defers a release then allows it", async () => {
    const { boot, region, core, events } = await start();
    expect(region.driver?.name).toBe("toy_region");
    const policy = policies.get(region.name);
    if (policy === undefined || device === undefined) throw new Error("no policy");
    expect(boot.sysfs.exists("/sys/bus/cxl/devices/dax_region0")).toBe(true);

    // One chain: an untagged extent, an accepted tag (2 extents), a foreign tag.
    expect(
      device.initiateAdd({
        hostId: 0,
        selectionPolicy: "prescriptive",
        extents: [
          { dpa: DC, len: 2 * MIB },
          { dpa: DC + 4 * MIB, len: 2 * MIB, tag: TAG_OK },
          { dpa: DC + 8 * MIB, len: 4 * MIB, tag: TAG_FOREIGN },
          { dpa: DC + 16 * MIB, len: 2 * MIB, tag: TAG_OK },
        ],
      }).rc,
    ).toBe(0);
    await core.idle();
    await boot.host.settle();
    expect(policy.log).toEqual([`admit ${NULL_UUID} 1`, `accepted ${NULL_UUID} extent0.1`, `admit ${TAG_OK} 2`, `accepted ${TAG_OK} extent0.2,extent0.3`, `admit ${TAG_FOREIGN} 1`]);
    const rejected = events.filter((e) => e.type === "rejected");
    expect(rejected).toEqual([expect.objectContaining({ rule: "policy", reason: "tag belongs to another tenant", tag: TAG_FOREIGN, region: "region0" })]);
    // The device got one response: everything but the refused group.
    expect(device.acceptedExtents(0).map((e) => e.dpa)).toEqual([DC, DC + 4 * MIB, DC + 16 * MIB]);
    expect(device.pendingGroups(0)).toEqual([]);
    expect(boot.sysfs.list("/sys/bus/cxl/devices/dax_region0").filter((n) => n.startsWith("extent"))).toEqual(["extent0.1", "extent0.2", "extent0.3"]);
    expect(boot.sysfs.read("/sys/bus/cxl/devices/dax_region0/extent0.3/uuid")).toBe(`${TAG_OK}\n`);

    // The tagged group is in use: the FM's release is deferred, nothing changes.
    policy.inUse.add(TAG_OK);
    expect(device.initiateRelease({ hostId: 0, removalPolicy: "tag-based", tag: TAG_OK }).rc).toBe(0);
    await core.idle();
    // Tag-based release: one record per member, each deferred on its own.
    expect(events.flatMap((e) => (e.type === "release-deferred" ? [[e.reason, e.cause]] : []))).toEqual([
      [`${TAG_OK} is mounted`, "device"],
      [`${TAG_OK} is mounted`, "device"],
    ]);
    expect(device.acceptedExtents(0)).toHaveLength(3);

    // Unmounted: the host releases the group itself (cxl release-extents).
    policy.inUse.delete(TAG_OK);
    const dax = core.daxRegions()[0];
    await expect(dax?.releaseExtents({ tag: TAG_OK })).resolves.toEqual({ result: "released" });
    expect(device.acceptedExtents(0).map((e) => e.dpa)).toEqual([DC]);
    expect(events.flatMap((e) => (e.type === "released" ? [[e.group.tag, e.cause]] : []))).toEqual([[TAG_OK, "host"]]);

    // Destroying the region releases the rest and tears the policy down.
    await cxlDestroyRegion(boot.cxl, region);
    await core.idle();
    expect(device.acceptedExtents(0)).toEqual([]);
    expect(policy.log.slice(-2)).toEqual([`release ${NULL_UUID} teardown`, "teardown"]);
    expect(boot.sysfs.exists("/sys/bus/cxl/devices/dax_region0")).toBe(false);
  });

  it("R35: extents the device already holds are found when the region binds, and never re-acknowledged", async () => {
    const d = dcdDevice({ eventLogCapacity: 64 });
    device = d;
    d.seedAccepted(0, [{ dpa: DC, len: 2 * MIB, tag: TAG_OK, sharedSeq: 0 }]);
    const boot = await bootCxl({ extents: true, modules: [toyModule], memdevs: (slots) => [dcdSpec(d, slots[0] ?? "")] });
    b = boot;
    const mem0 = boot.cxl.memdev("mem0");
    if (mem0 === undefined) throw new Error("mem0");
    const region = await cxlCreateRegion(boot.cxl, { memdevs: [mem0], size: GIB, driver: "toy_region" });
    const policy = policies.get(region.name);
    expect(policy?.log).toEqual([`admit ${TAG_OK} 1`, `accepted ${TAG_OK} extent0.1`]);
    expect(boot.log.entries().filter((l) => l.message.includes("dcd event failed"))).toEqual([]);
  });
});
