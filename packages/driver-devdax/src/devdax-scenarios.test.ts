/**
 * The remaining devdax scenarios of consumers.md §7 (DCD v11 semantics) that apply to a DC
 * region: DAX-04, 07, 09, 10, 11, 12, 13, 14, 18. DAX-19 (first-fit on a static dax region) is
 * the v9/static model, not a DC region, and is not covered here.
 *
 * Firmware bugs the device refuses to emit (overlaps, misaligned or cross-partition extents, a
 * release naming the wrong tag) are written straight into the device's DC event log, as core's
 * extent harness does. A raw append raises no interrupt, so each test then makes the FM release
 * a sacrificial extent: that logs a real record after the raw ones and interrupts the host,
 * which drains the log in order.
 */
import { CxlExtentCore, type DcEvent, DC_EVENT_TYPE, type KernelLogLine, NULL_UUID, VirtualClock } from "@dcd/core";
import type { DcEventBody } from "@dcd/core";
import { useLeakCheck } from "@dcd/testing";
import { afterEach, describe, expect, it } from "vitest";
import { bootDevdax, cat, DAX, DC_BASE, type DevdaxBoot, type DevdaxBootOptions, GIB, MIB, REGION0, writeErr } from "./test-support/devdax-host.js";

const A = "11111111-2222-3333-4444-555555555555";
const B = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
const C = "cccccccc-0000-4000-8000-000000000001";
const D = "dddddddd-0000-4000-8000-000000000002";
const E = "eeeeeeee-0000-4000-8000-000000000003";
const EXTENTS_DIR = "/sys/bus/cxl/devices/dax_region0";
/** The sacrificial extent whose release triggers a drain after a raw append. */
const SACRIFICE = { off: 0x30000000, len: 2 * MIB } as const;

describe("devdax scenarios (consumers.md §7, DCD v11)", () => {
  useLeakCheck();
  let b: DevdaxBoot | undefined;
  let logs: KernelLogLine[] = [];
  let dc: DcEvent[] = [];
  let stop: (() => void) | undefined;
  afterEach(async () => {
    stop?.();
    stop = undefined;
    await b?.dispose();
    b = undefined;
  });
  const boot = async (options: DevdaxBootOptions = {}): Promise<DevdaxBoot> => {
    b = await bootDevdax(options);
    logs = [];
    dc = [];
    const core = CxlExtentCore.of(b.host.container);
    const ignore = (): void => undefined;
    const subs = [core.log$.subscribe({ next: (l) => logs.push(l), error: ignore }), core.dcEvents$.subscribe({ next: (e) => dc.push(e), error: ignore })];
    stop = () => {
      for (const s of subs) s.unsubscribe();
    };
    return b;
  };
  const logged = (fragment: string) => logs.some((l) => l.message.includes(fragment));
  const avail = (x: DevdaxBoot) => Number(cat(x.sysfs, `${REGION0}/available_size`));
  const extentDirs = (x: DevdaxBoot) => x.sysfs.list(EXTENTS_DIR).filter((n) => n.startsWith("extent"));
  const extentAttrs = (x: DevdaxBoot) =>
    extentDirs(x).map((n) => [cat(x.sysfs, `${EXTENTS_DIR}/${n}/offset`), cat(x.sysfs, `${EXTENTS_DIR}/${n}/length`), uuidOf(x, n)]);
  /** v11 hides `uuid` on untagged extents (dc_extent_visible); read that as the null UUID. */
  const uuidOf = (x: DevdaxBoot, n: string) => (x.sysfs.exists(`${EXTENTS_DIR}/${n}/uuid`) ? cat(x.sysfs, `${EXTENTS_DIR}/${n}/uuid`) : NULL_UUID);
  const accepted = (x: DevdaxBoot) => x.device.acceptedExtents(0).map((e) => [e.dpa - DC_BASE, e.len, e.tag]);
  const addResponses = () => dc.filter((e): e is Extract<DcEvent, { type: "add-response" }> => e.type === "add-response");
  const releaseDcs = () => dc.filter((e): e is Extract<DcEvent, { type: "release-dc" }> => e.type === "release-dc");
  const rel = (e: Extract<DcEvent, { type: "release-dc" }>) => [e.extent.dpa - DC_BASE, e.extent.len];

  /** Append raw DC event records (offsets into the DC partition), then drain via a sacrificial release. */
  const inject = async (x: DevdaxBoot, bodies: readonly (Partial<DcEventBody> & { off: number; len: number; tag?: string })[]) => {
    x.device.logicalDevice(0).eventLog.append(
      bodies.map(({ off, len, tag, ...rest }) => ({
        eventType: DC_EVENT_TYPE.ADD_CAPACITY,
        validityFlags: 0,
        hostId: 0,
        updatedRegionIndex: 0,
        more: false,
        numAvailExtents: 0,
        numAvailTags: 0,
        ...rest,
        extent: { dpa: DC_BASE + off, len, tag: tag ?? NULL_UUID, sharedSeq: 0 },
      })),
    );
    await x.release(SACRIFICE.off, SACRIFICE.len);
    // The host read every injected record (else the outcomes below would prove nothing).
    const read = dc.flatMap((e) => (e.type === "record" ? [[e.eventType, e.extent.dpa - DC_BASE, e.extent.len]] : []));
    for (const body of bodies) expect(read).toContainEqual([body.eventType ?? DC_EVENT_TYPE.ADD_CAPACITY, body.off, body.len]);
  };
  /** Accept the sacrificial extent up front (its own chain). */
  const prepareSacrifice = async (x: DevdaxBoot) => {
    await x.add([SACRIFICE]);
  };

  it("DAX-04: with the only untagged extent claimed, '0' is ENOENT and a plain size grow is EOPNOTSUPP", async () => {
    const x = await boot();
    await x.add([{ off: 0x8000000, len: 64 * MIB }]);
    await x.add([{ off: 0, len: 64 * MIB, tag: A }]); // keeps available_size > 0 so a seed can exist
    const claimed = await x.dax.createDevice({ region: 0, uuid: "0" });
    expect(claimed.size).toBe(64 * MIB);
    expect(avail(x)).toBe(64 * MIB);
    expect(writeErr(x.sysfs, `${REGION0}/create`, "1")).toBeUndefined();
    await x.settle();
    const seed = cat(x.sysfs, `${REGION0}/seed`);
    expect(seed).not.toBe("");
    expect(writeErr(x.sysfs, `${DAX}/${seed}/uuid`, "0")).toBe("ENOENT");
    expect(writeErr(x.sysfs, `${DAX}/${seed}/uuid`, NULL_UUID)).toBe("ENOENT");
    // daxctl create-device without --uuid: a size write on the seed.
    expect(writeErr(x.sysfs, `${DAX}/${seed}/size`, String(64 * MIB))).toBe("EOPNOTSUPP");
    expect(cat(x.sysfs, `${DAX}/${seed}/size`)).toBe("0");
    expect(avail(x)).toBe(64 * MIB); // nothing consumed; the tagged group is still free
    expect(cat(x.sysfs, `${DAX}/${claimed.name}/size`)).toBe(String(64 * MIB));
    // createDevice (daxctl --uuid 0) reports the same ENOENT.
    await expect(x.dax.createDevice({ region: 0, uuid: "0" })).rejects.toMatchObject({ code: "ENOENT" });
    expect(avail(x)).toBe(64 * MIB);
  });

  it("DAX-07: a release naming the upper half of an unclaimed untagged extent releases the whole extent (no split)", async () => {
    const x = await boot();
    await x.add([{ off: 0, len: 64 * MIB }]);
    expect(avail(x)).toBe(64 * MIB);
    await x.release(32 * MIB, 32 * MIB);
    expect(extentDirs(x)).toEqual([]);
    expect(avail(x)).toBe(0);
    expect(x.accepted()).toBe(0);
    expect(releaseDcs().map(rel)).toEqual([[0, 64 * MIB]]);
  });

  it("DAX-09: a release whose DPA matches group A but names tag B is EINVAL and ignored; A unchanged, no Release DC", async () => {
    const x = await boot();
    await x.add([{ off: 0x8000000, len: 64 * MIB, tag: A }, { off: 0, len: 64 * MIB, tag: A }]);
    await prepareSacrifice(x);
    const before = extentAttrs(x);
    expect(before).toHaveLength(3);
    await inject(x, [{ eventType: DC_EVENT_TYPE.RELEASE_CAPACITY, off: 0, len: 64 * MIB, tag: B }]);
    expect(logged(`(${B}) matches no dc_extent`)).toBe(true);
    // Only the sacrificial extent went; group A is intact on both sides.
    expect(releaseDcs().map(rel)).toEqual([[SACRIFICE.off, SACRIFICE.len]]);
    expect(accepted(x)).toEqual(expect.arrayContaining([[0x8000000, 64 * MIB, A], [0, 64 * MIB, A]]));
    expect(x.accepted()).toBe(2);
    expect(extentAttrs(x)).toEqual(before.filter(([off]) => off !== `0x${SACRIFICE.off.toString(16)}`));
    expect(avail(x)).toBe(128 * MIB);
    const dev = await x.dax.createDevice({ region: 0, uuid: A });
    expect(dev.size).toBe(128 * MIB);
  });

  it("DAX-10: a group with one member 1 MiB off a 2 MiB boundary is dropped whole; nothing surfaces or is accepted", async () => {
    const x = await boot();
    await prepareSacrifice(x);
    await inject(x, [
      { off: 0, len: 64 * MIB, tag: C, more: true },
      { off: 0x10100000, len: 64 * MIB, tag: C },
    ]);
    expect(extentDirs(x)).toEqual([]);
    expect(avail(x)).toBe(0);
    expect(x.accepted()).toBe(0);
    // No Add DC Response lists a member of C.
    const listed = addResponses().flatMap((r) => r.extents.map((e) => e.dpa - DC_BASE));
    expect(listed).not.toContain(0);
    expect(listed).not.toContain(0x10100000);
    expect(logged("dropping group, extent DPA:0x90100000 LEN:0x4000000 not 2097152-aligned")).toBe(true);
    // Nothing free in the region: not even a seed can be created to claim C.
    expect(writeErr(x.sysfs, `${REGION0}/create`, "1")).toBe("ENOSPC");
  });

  it("DAX-11: an untagged add overlapping the second half of an accepted extent is rejected; the original is untouched", async () => {
    const x = await boot();
    await x.add([{ off: 0x8000000, len: 64 * MIB }]);
    await prepareSacrifice(x);
    const responsesBefore = addResponses().length;
    const original = extentAttrs(x).filter(([off]) => off === "0x8000000");
    expect(original).toHaveLength(1);
    await inject(x, [{ off: 0xa000000, len: 64 * MIB }]);
    expect(logged("overlaps an accepted extent")).toBe(true);
    expect(extentAttrs(x)).toEqual(original);
    expect(accepted(x)).toEqual([[0x8000000, 64 * MIB, NULL_UUID]]);
    expect(avail(x)).toBe(64 * MIB);
    const listed = addResponses()
      .slice(responsesBefore)
      .flatMap((r) => r.extents.map((e) => e.dpa - DC_BASE));
    expect(listed).not.toContain(0xa000000);
    const dev = await x.dax.createDevice({ region: 0, uuid: "0" });
    expect(dev.size).toBe(64 * MIB);
  });

  it("DAX-12: an exact duplicate of an accepted extent is a no-op: still one extent, no error", async () => {
    const x = await boot();
    await x.add([{ off: 0x8000000, len: 64 * MIB }]);
    await prepareSacrifice(x);
    const name = extentDirs(x).find((n) => cat(x.sysfs, `${EXTENTS_DIR}/${n}/offset`) === "0x8000000");
    await inject(x, [{ off: 0x8000000, len: 64 * MIB }]);
    expect(extentDirs(x)).toEqual([name]);
    expect(accepted(x)).toEqual([[0x8000000, 64 * MIB, NULL_UUID]]);
    expect(avail(x)).toBe(64 * MIB);
    expect(addResponses().filter((r) => r.errno !== undefined)).toEqual([]);
    const dev = await x.dax.createDevice({ region: 0, uuid: "0" });
    expect(dev.size).toBe(64 * MIB);
  });

  it("DAX-13: a More chain left open for 20 s (injected clock) is discarded; nothing accepted; tag D can be reused", async () => {
    const x = await boot();
    const clock = x.host.clock;
    if (!(clock instanceof VirtualClock)) throw new Error("host clock is not virtual");
    await x.add([{ off: 0, len: 64 * MIB, tag: D }], true);
    expect(x.device.pendingGroups(0)).toHaveLength(1);
    clock.advance(19_999);
    await x.settle();
    expect(x.device.pendingGroups(0)).toHaveLength(1);
    expect(avail(x)).toBe(0);
    clock.advance(1);
    await x.settle();
    expect(extentDirs(x)).toEqual([]);
    expect(avail(x)).toBe(0);
    expect(x.accepted()).toBe(0);
    expect(x.device.pendingGroups(0)).toHaveLength(0);
    expect(addResponses().map((r) => [r.cause, r.extents.length])).toEqual([["timeout", 0]]);
    expect(CxlExtentCore.of(x.host.container).liveTags()).not.toContain(D);
    await x.add([{ off: 0, len: 64 * MIB, tag: D }]);
    expect(x.accepted()).toBe(1);
    expect(avail(x)).toBe(64 * MIB);
    const dev = await x.dax.createDevice({ region: 0, uuid: D });
    expect(dev.size).toBe(64 * MIB);
  });

  it("DAX-14: a tag-E chain with one member in each of two DC partitions is dropped entirely", async () => {
    const x = await boot({
      device: {
        partitions: [
          { base: DC_BASE, decodeLength: GIB, length: GIB, blockSize: 2 * MIB, dsmadHandle: 1 },
          { base: DC_BASE + GIB, decodeLength: GIB, length: GIB, blockSize: 2 * MIB, dsmadHandle: 2 },
        ],
      },
    });
    await prepareSacrifice(x);
    await inject(x, [
      { off: 0, len: 64 * MIB, tag: E, more: true },
      { off: GIB, len: 64 * MIB, tag: E },
    ]);
    expect(extentDirs(x)).toEqual([]);
    expect(avail(x)).toBe(0);
    expect(x.accepted()).toBe(0);
    const listed = addResponses().flatMap((r) => r.extents.map((e) => e.dpa - DC_BASE));
    expect(listed).not.toContain(0);
    expect(listed).not.toContain(GIB);
    // The host knows only the first DC partition (R4), so the partition-1 member already fails
    // gate (a); the partition-equality gate (f) cannot be reached through this host.
    expect(logged("is not in a valid DC partition")).toBe(true);
  });

  it("DAX-18: a Forced Capacity Release of a claimed, enabled group is ignored by the host: the dax device and sysfs stay as they were", async () => {
    const x = await boot();
    await x.add([{ off: 0x8000000, len: 64 * MIB, tag: A }, { off: 0, len: 64 * MIB, tag: A }]);
    const dev = await x.dax.createDevice({ region: 0, uuid: A });
    const d = `${DAX}/${dev.name}`;
    const snapshot = () => ({
      size: cat(x.sysfs, `${d}/size`),
      uuid: cat(x.sysfs, `${d}/uuid`),
      driver: x.sysfs.exists(`${d}/driver`) ? x.sysfs.readlink(`${d}/driver`) : undefined,
      m0: cat(x.sysfs, `${d}/mapping0/start`),
      m1: cat(x.sysfs, `${d}/mapping1/start`),
      extents: extentAttrs(x),
      avail: avail(x),
    });
    const before = snapshot();
    expect(before.driver).toMatch(/device_dax$/);
    expect(before.extents).toHaveLength(2);
    const r = x.device.initiateRelease({ hostId: 0, removalPolicy: "tag-based", tag: A, forcedRemoval: true });
    expect(r.rc).toBe(0);
    await x.settle();
    expect(logs.some((l) => l.message.includes("Forced release event ignored"))).toBe(true);
    expect(snapshot()).toEqual(before);
    expect(dev.size).toBe(128 * MIB);
    expect(releaseDcs()).toEqual([]);
  });
});
