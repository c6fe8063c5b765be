import { NULL_UUID, VirtualClock } from "@dcd/core";
import { useLeakCheck } from "@dcd/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DcdDevice } from "../../device/device.js";
import { MBOX_RC } from "@dcd/core";
import { QmpMonitor } from "../qmp-monitor.js";
import type { QmpSession } from "../qmp-session.js";
import { QomDeviceRegistry } from "../qom-device-registry.js";
import { cxlDcdCommands } from "./cxl-dcd-commands.js";
import type { QmpDcdDevice } from "./qmp-dcd-device.js";
import { QEMU_DC_ERRORS as E } from "./qemu-dc-validation.js";

const MiB = 1024 * 1024;
const PATH = "/machine/peripheral/cxl-dcd0";
const TAG = "5be13bce-ae34-4a77-b6c3-16df975fcf1a";

// Compile-time check: the device model satisfies what the QMP commands need.
const asQmpDevice = (d: DcdDevice): QmpDcdDevice => d;

interface Harness {
  monitor: QmpMonitor;
  registry: QomDeviceRegistry;
  session: QmpSession;
  /** Send one request; return the parsed response. */
  qmp(command: string, args?: unknown): Record<string, unknown>;
}

function harness(): Harness {
  const registry = new QomDeviceRegistry();
  const monitor = new QmpMonitor({ clock: new VirtualClock(), commands: cxlDcdCommands(registry) });
  const out: string[] = [];
  const session = monitor.connect((t) => out.push(t));
  session.feed(Buffer.from('{"execute": "qmp_capabilities"}'));
  return {
    monitor,
    registry,
    session,
    qmp(command, args) {
      const before = out.length;
      session.feed(Buffer.from(JSON.stringify(args === undefined ? { execute: command } : { execute: command, arguments: args })));
      expect(out.length).toBe(before + 1);
      return JSON.parse(out[before] ?? "null") as Record<string, unknown>;
    },
  };
}

const ext = (offset: number, len: number): { offset: number; len: number } => ({ offset, len });

describe("cxl-add/release-dynamic-capacity on a QEMU-profile device", () => {
  useLeakCheck();
  let h: Harness;
  let dev: DcdDevice;
  let noDc: DcdDevice;

  beforeEach(() => {
    h = harness();
    // Two 256 MiB DC regions after 256 MiB of static ram, 2 MiB blocks (QEMU's cxl_create_dc_regions).
    dev = DcdDevice.fromQemuProperties({ "volatile-memdev": { id: "vmem0", size: 256 * MiB }, "volatile-dc-memdev": { id: "dc0", size: 512 * MiB }, "num-dc-regions": 2 });
    noDc = DcdDevice.fromQemuProperties({ "volatile-memdev": { id: "vmem1", size: 256 * MiB }, id: "cxl-pmem1" });
    h.registry.add(PATH, asQmpDevice(dev));
    h.registry.add("/machine/peripheral/cxl-vmem1", noDc);
  });
  afterEach(() => {
    h.monitor.dispose();
    dev.dispose();
    noDc.dispose();
  });

  const addArgs = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ path: PATH, "host-id": 0, "selection-policy": "prescriptive", region: 0, extents: [ext(0, 128 * MiB)], ...over });
  const relArgs = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ path: PATH, "host-id": 0, "removal-policy": "prescriptive", region: 0, extents: [ext(0, 128 * MiB)], ...over });

  /** The request fails with exactly `desc` and the device is exactly as it was. */
  function rejects(command: string, args: unknown, desc: string): void {
    const before = dev.snapshot();
    expect(h.qmp(command, args)).toEqual({ error: { class: "GenericError", desc } });
    expect(dev.snapshot()).toEqual(before);
  }

  function accept(dpaOffset: number, len: number): void {
    const base = dev.partitions[0]?.base ?? 0;
    const r = dev.logicalDevice(0).addCapacityResponse({ more: false, extents: [{ dpa: base + dpaOffset, len }] });
    expect(r.rc).toBe(MBOX_RC.SUCCESS);
  }

  it("runs the reference example: add two extents, accept them, release one", () => {
    const add = {
      path: PATH,
      "host-id": 0,
      "selection-policy": "prescriptive",
      region: 0,
      extents: [
        { offset: 0, len: 134217728 },
        { offset: 134217728, len: 134217728 },
      ],
    };
    expect(h.qmp("cxl-add-dynamic-capacity", add)).toEqual({ return: {} });
    const base = dev.partitions[0]?.base ?? 0;
    expect(base).toBe(256 * MiB);
    expect(dev.pendingGroups(0)).toHaveLength(1);
    expect(dev.pendingGroups(0)[0]?.extents).toEqual([
      { dpa: base, len: 128 * MiB, tag: NULL_UUID, sharedSeq: 0 },
      { dpa: base + 128 * MiB, len: 128 * MiB, tag: NULL_UUID, sharedSeq: 0 },
    ]);
    const records = dev.logicalDevice(0).eventLog.snapshot().records;
    expect(records).toHaveLength(2);
    // One response entry per offered extent: an entry must lie inside one extent of the group.
    expect(dev.logicalDevice(0).addCapacityResponse({ more: false, extents: [{ dpa: base, len: 128 * MiB }, { dpa: base + 128 * MiB, len: 128 * MiB }] }).rc).toBe(MBOX_RC.SUCCESS);
    const release = { path: PATH, "host-id": 0, "removal-policy": "prescriptive", "forced-removal": false, "sanitize-on-release": false, region: 0, extents: [{ offset: 134217728, len: 134217728 }] };
    expect(h.qmp("cxl-release-dynamic-capacity", release)).toEqual({ return: {} });
    expect(dev.logicalDevice(0).eventLog.snapshot().records).toHaveLength(3);
    expect(dev.acceptedExtents(0)).toHaveLength(2); // nothing changes until the host releases
  });

  it("ignores host-id, tag and sanitize-on-release as QEMU does, and accepts a partial path", () => {
    expect(h.qmp("cxl-add-dynamic-capacity", addArgs({ path: "cxl-dcd0", "host-id": 7, tag: "not-even-a-uuid" }))).toEqual({ return: {} });
    expect(dev.pendingGroups(0)[0]?.extents[0]?.tag).toBe(NULL_UUID);
    accept(0, 128 * MiB);
    expect(h.qmp("cxl-release-dynamic-capacity", relArgs({ path: "peripheral/cxl-dcd0", "sanitize-on-release": true, tag: TAG }))).toEqual({ return: {} });
  });

  it("succeeds and does nothing for an empty extent list", () => {
    const before = dev.snapshot();
    expect(h.qmp("cxl-add-dynamic-capacity", addArgs({ extents: [] }))).toEqual({ return: {} });
    expect(h.qmp("cxl-release-dynamic-capacity", relArgs({ extents: [] }))).toEqual({ return: {} });
    expect(dev.snapshot()).toEqual(before);
  });

  it("rows 1-3: path, DC support, region id", () => {
    rejects("cxl-add-dynamic-capacity", addArgs({ path: "/machine/peripheral/nope" }), E.unresolved);
    rejects("cxl-add-dynamic-capacity", addArgs({ path: "/machine/peripheral" }), E.unresolved);
    rejects("cxl-release-dynamic-capacity", relArgs({ path: "" }), E.unresolved);
    rejects("cxl-add-dynamic-capacity", addArgs({ path: "/machine/peripheral/cxl-vmem1" }), E.noDynamicCapacity);
    rejects("cxl-add-dynamic-capacity", addArgs({ region: 2 }), E.regionTooLarge);
    rejects("cxl-release-dynamic-capacity", relArgs({ region: 255 }), E.regionTooLarge);
  });

  it("rows 4-7: length, alignment, region end, overlap within the request", () => {
    rejects("cxl-add-dynamic-capacity", addArgs({ extents: [ext(0, 0)] }), E.zeroLength);
    rejects("cxl-add-dynamic-capacity", addArgs({ extents: [ext(MiB, 2 * MiB)] }), E.unaligned);
    rejects("cxl-add-dynamic-capacity", addArgs({ extents: [ext(0, 3 * MiB)] }), E.unaligned);
    rejects("cxl-add-dynamic-capacity", addArgs({ extents: [ext(0, 258 * MiB)] }), E.beyondRegionEnd);
    rejects("cxl-add-dynamic-capacity", addArgs({ region: 1, extents: [ext(254 * MiB, 4 * MiB)] }), E.beyondRegionEnd);
    // QEMU accepts a negative uint64 and wraps it: a huge offset, far beyond the region.
    rejects("cxl-add-dynamic-capacity", addArgs({ extents: [ext(-2 * MiB, 2 * MiB)] }), E.beyondRegionEnd);
    rejects("cxl-add-dynamic-capacity", addArgs({ extents: [ext(0, 4 * MiB), ext(2 * MiB, 4 * MiB)] }), E.overlapped);
    rejects("cxl-add-dynamic-capacity", addArgs({ extents: [ext(8 * MiB, 2 * MiB), ext(8 * MiB, 2 * MiB)] }), E.overlapped);
    // Per extent in order: extent 0 of a release fails row 9 before extent 1 can fail row 7.
    rejects("cxl-release-dynamic-capacity", relArgs({ extents: [ext(8 * MiB, 2 * MiB), ext(8 * MiB, 2 * MiB)] }), E.releaseNonExisting);
  });

  it("rows 8-9: release of pending or non-accepted capacity", () => {
    expect(h.qmp("cxl-add-dynamic-capacity", addArgs({ extents: [ext(0, 4 * MiB)] }))).toEqual({ return: {} });
    rejects("cxl-release-dynamic-capacity", relArgs({ extents: [ext(2 * MiB, 2 * MiB)] }), E.releasePending);
    rejects("cxl-release-dynamic-capacity", relArgs({ extents: [ext(64 * MiB, 2 * MiB)] }), E.releaseNonExisting);
    accept(0, 4 * MiB);
    // Partly backed is not backed.
    rejects("cxl-release-dynamic-capacity", relArgs({ extents: [ext(2 * MiB, 4 * MiB)] }), E.releaseNonExisting);
    expect(h.qmp("cxl-release-dynamic-capacity", relArgs({ extents: [ext(2 * MiB, 2 * MiB)] }))).toEqual({ return: {} });
  });

  it("rows 10-11: add over accepted or pending capacity", () => {
    expect(h.qmp("cxl-add-dynamic-capacity", addArgs({ extents: [ext(0, 4 * MiB)] }))).toEqual({ return: {} });
    rejects("cxl-add-dynamic-capacity", addArgs({ extents: [ext(2 * MiB, 4 * MiB)] }), E.addPending);
    accept(0, 4 * MiB);
    rejects("cxl-add-dynamic-capacity", addArgs({ extents: [ext(0, 2 * MiB)] }), E.addAccepted);
    expect(h.qmp("cxl-add-dynamic-capacity", addArgs({ extents: [ext(4 * MiB, 2 * MiB)] }))).toEqual({ return: {} });
    // Accepted and pending at once: row 10 is checked before row 11.
    rejects("cxl-add-dynamic-capacity", addArgs({ extents: [ext(2 * MiB, 4 * MiB)] }), E.addAccepted);
  });

  it("checks extent by extent: a state check on extent 0 fires before a length check on extent 1", () => {
    expect(h.qmp("cxl-add-dynamic-capacity", addArgs({ extents: [ext(0, 2 * MiB)] }))).toEqual({ return: {} });
    rejects("cxl-add-dynamic-capacity", addArgs({ extents: [ext(0, 2 * MiB), ext(8 * MiB, 0)] }), E.addPending);
    rejects("cxl-add-dynamic-capacity", addArgs({ extents: [ext(8 * MiB, 0), ext(0, 2 * MiB)] }), E.zeroLength);
    rejects("cxl-add-dynamic-capacity", addArgs({ extents: [ext(8 * MiB, 2 * MiB), ext(0, 2 * MiB), ext(9 * MiB, 2 * MiB)] }), E.addPending);
  });

  it("dispatcher: selection policy, then forced removal before removal policy, all before the path", () => {
    for (const policy of ["free", "contiguous", "enable-shared-access"]) {
      rejects("cxl-add-dynamic-capacity", addArgs({ "selection-policy": policy }), E.selectionPolicy);
      rejects("cxl-add-dynamic-capacity", addArgs({ "selection-policy": policy, path: "/nope", region: 9 }), E.selectionPolicy);
    }
    rejects("cxl-release-dynamic-capacity", relArgs({ "forced-removal": true }), E.forcedRemoval);
    rejects("cxl-release-dynamic-capacity", relArgs({ "forced-removal": true, "removal-policy": "tag-based", path: "/nope" }), E.forcedRemoval);
    rejects("cxl-release-dynamic-capacity", relArgs({ "removal-policy": "tag-based", path: "/nope" }), E.removalPolicy);
    expect(h.qmp("cxl-release-dynamic-capacity", relArgs({ "forced-removal": false, extents: [] }))).toEqual({ return: {} });
  });

  it("rejects schema errors before the handler with QEMU's texts", () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ["cxl-add-dynamic-capacity", {}, "Parameter 'path' is missing"],
      ["cxl-add-dynamic-capacity", { "host-id": 0 }, "Parameter 'path' is missing"],
      ["cxl-add-dynamic-capacity", addArgs({ path: 1 }), "Invalid parameter type for 'path', expected: string"],
      ["cxl-add-dynamic-capacity", addArgs({ "host-id": 65536 }), "Parameter 'host-id' expects uint16_t"],
      ["cxl-add-dynamic-capacity", addArgs({ "host-id": -1 }), "Parameter 'host-id' expects uint16_t"],
      ["cxl-add-dynamic-capacity", addArgs({ "host-id": "0" }), "Parameter 'host-id' expects uint64"],
      ["cxl-add-dynamic-capacity", addArgs({ region: 256 }), "Parameter 'region' expects uint8_t"],
      ["cxl-add-dynamic-capacity", addArgs({ region: 0.5 }), "Parameter 'region' expects uint64"],
      ["cxl-add-dynamic-capacity", addArgs({ region: null }), "Parameter 'region' expects uint64"],
      ["cxl-add-dynamic-capacity", addArgs({ "selection-policy": "bogus" }), "Parameter 'selection-policy' does not accept value 'bogus'"],
      ["cxl-add-dynamic-capacity", addArgs({ "selection-policy": 2 }), "Invalid parameter type for 'selection-policy', expected: string"],
      ["cxl-add-dynamic-capacity", addArgs({ tag: 5 }), "Invalid parameter type for 'tag', expected: string"],
      ["cxl-add-dynamic-capacity", addArgs({ extents: undefined }), "Parameter 'extents' is missing"],
      ["cxl-add-dynamic-capacity", addArgs({ extents: {} }), "Invalid parameter type for 'extents', expected: array"],
      ["cxl-add-dynamic-capacity", addArgs({ extents: [1] }), "Invalid parameter type for 'extents[0]', expected: object"],
      ["cxl-add-dynamic-capacity", addArgs({ extents: [ext(0, 2 * MiB), { offset: 0 }] }), "Parameter 'extents[1].len' is missing"],
      ["cxl-add-dynamic-capacity", addArgs({ extents: [{ offset: 0, len: 1.5 }] }), "Parameter 'extents[0].len' expects uint64"],
      ["cxl-add-dynamic-capacity", addArgs({ extents: [{ offset: "0", len: 2 }] }), "Parameter 'extents[0].offset' expects uint64"],
      ["cxl-add-dynamic-capacity", addArgs({ extents: [{ offset: 0, len: 2 * MiB, tag: TAG }] }), "Parameter 'extents[0].tag' is unexpected"],
      ["cxl-add-dynamic-capacity", addArgs({ "removal-policy": "prescriptive" }), "Parameter 'removal-policy' is unexpected"],
      ["cxl-release-dynamic-capacity", relArgs({ "removal-policy": "forced" }), "Parameter 'removal-policy' does not accept value 'forced'"],
      ["cxl-release-dynamic-capacity", relArgs({ "forced-removal": "yes" }), "Invalid parameter type for 'forced-removal', expected: boolean"],
      ["cxl-release-dynamic-capacity", relArgs({ "sanitize-on-release": 1 }), "Invalid parameter type for 'sanitize-on-release', expected: boolean"],
      ["cxl-release-dynamic-capacity", relArgs({ "selection-policy": "prescriptive" }), "Parameter 'selection-policy' is unexpected"],
    ];
    for (const [command, args, desc] of cases) rejects(command, args, desc);
    // A wrong type takes precedence over a later schema error and over every semantic check.
    rejects("cxl-add-dynamic-capacity", { path: "/nope", "host-id": 70000, region: 300 }, "Parameter 'host-id' expects uint16_t");
  });
});

describe("cxl-add/release-dynamic-capacity on a spec-profile device", () => {
  useLeakCheck();
  let h: Harness;
  let dev: DcdDevice;
  const DC_BASE = 1024 * MiB;

  beforeEach(() => {
    h = harness();
    dev = new DcdDevice({
      name: "cxl-dcd1",
      ramSize: DC_BASE,
      numHosts: 2,
      partitions: [
        { base: DC_BASE, decodeLength: 256 * MiB, length: 256 * MiB, blockSize: 2 * MiB, dsmadHandle: 1 },
        { base: DC_BASE + 256 * MiB, decodeLength: 256 * MiB, length: 256 * MiB, blockSize: 2 * MiB, dsmadHandle: 2, sharable: true },
      ],
    });
    h.registry.add(PATH, dev);
  });
  afterEach(() => {
    h.monitor.dispose();
    dev.dispose();
  });

  function rejects(command: string, args: unknown, desc: string | RegExp): void {
    const before = dev.snapshot();
    const r = h.qmp(command, args) as { error?: { class: string; desc: string } };
    expect(r.error?.class).toBe("GenericError");
    if (typeof desc === "string") expect(r.error?.desc).toBe(desc);
    else expect(r.error?.desc).toMatch(desc);
    expect(dev.snapshot()).toEqual(before);
  }

  it("is treated as a spec device", () => {
    expect(h.registry.resolve("cxl-dcd0")?.profile).toBe("spec");
  });

  it("adds prescriptive capacity to the host-id, tagged", () => {
    expect(h.qmp("cxl-add-dynamic-capacity", { path: PATH, "host-id": 1, "selection-policy": "prescriptive", region: 1, tag: TAG.toUpperCase(), extents: [ext(0, 4 * MiB), ext(8 * MiB, 2 * MiB)] })).toEqual({ return: {} });
    expect(dev.pendingGroups(0)).toEqual([]);
    expect(dev.pendingGroups(1)[0]?.extents.map((e) => [e.dpa - DC_BASE, e.len, e.tag])).toEqual([
      [256 * MiB, 4 * MiB, TAG],
      [264 * MiB, 2 * MiB, TAG],
    ]);
    // QEMU's table still runs, per host.
    rejects("cxl-add-dynamic-capacity", { path: PATH, "host-id": 1, "selection-policy": "prescriptive", region: 1, extents: [ext(0, 2 * MiB)] }, E.addPending);
    rejects("cxl-add-dynamic-capacity", { path: PATH, "host-id": 2, "selection-policy": "prescriptive", region: 0, extents: [ext(0, 2 * MiB)] }, /^host-id 2 does not exist/);
    rejects("cxl-add-dynamic-capacity", { path: PATH, "host-id": 0, "selection-policy": "prescriptive", region: 0, tag: "nope", extents: [ext(0, 2 * MiB)] }, "tag 'nope' is not a UUID");
  });

  it("lets the device pick DPAs for free and contiguous adds", () => {
    expect(h.qmp("cxl-add-dynamic-capacity", { path: PATH, "host-id": 0, "selection-policy": "free", region: 0, extents: [ext(0, 4 * MiB), ext(0, 2 * MiB)] })).toEqual({ return: {} });
    expect(dev.pendingGroups(0)[0]?.extents.reduce((s, e) => s + e.len, 0)).toBe(6 * MiB);
    expect(h.qmp("cxl-add-dynamic-capacity", { path: PATH, "host-id": 0, "selection-policy": "contiguous", region: 0, extents: [ext(0, 8 * MiB)] })).toEqual({ return: {} });
    expect(dev.pendingGroups(0)[1]?.extents).toHaveLength(1);
    rejects("cxl-add-dynamic-capacity", { path: PATH, "host-id": 0, "selection-policy": "free", region: 0, extents: [ext(0, 3 * MiB)] }, E.unaligned);
    rejects("cxl-add-dynamic-capacity", { path: PATH, "host-id": 0, "selection-policy": "contiguous", region: 0, extents: [ext(0, 512 * MiB)] }, /^\/machine\/peripheral\/cxl-dcd0: /);
  });

  it("shares tagged capacity with another host, and releases by tag, forced, with sanitize", () => {
    expect(h.qmp("cxl-add-dynamic-capacity", { path: PATH, "host-id": 0, "selection-policy": "prescriptive", region: 1, tag: TAG, extents: [ext(0, 4 * MiB)] })).toEqual({ return: {} });
    expect(dev.logicalDevice(0).addCapacityResponse({ more: false, extents: [{ dpa: DC_BASE + 256 * MiB, len: 4 * MiB }] }).rc).toBe(MBOX_RC.SUCCESS);
    rejects("cxl-add-dynamic-capacity", { path: PATH, "host-id": 1, "selection-policy": "enable-shared-access", region: 1, extents: [] }, /needs a tag/);
    expect(h.qmp("cxl-add-dynamic-capacity", { path: PATH, "host-id": 1, "selection-policy": "enable-shared-access", region: 1, tag: TAG, extents: [] })).toEqual({ return: {} });
    expect(dev.pendingGroups(1)[0]?.extents[0]).toMatchObject({ dpa: DC_BASE + 256 * MiB, tag: TAG });

    const records = dev.logicalDevice(0).eventLog.snapshot().records.length;
    expect(h.qmp("cxl-release-dynamic-capacity", { path: PATH, "host-id": 0, "removal-policy": "tag-based", region: 1, tag: TAG, extents: [] })).toEqual({ return: {} });
    expect(dev.logicalDevice(0).eventLog.snapshot().records.length).toBe(records + 1);

    // Forced removal of capacity still pending for host 1 is the device's call (R77), not row 8.
    expect(h.qmp("cxl-release-dynamic-capacity", { path: PATH, "host-id": 1, "removal-policy": "prescriptive", "forced-removal": true, region: 1, extents: [ext(0, 4 * MiB)] })).toEqual({ return: {} });
    expect(dev.pendingGroups(1)[0]?.dead).toBe(true);
    expect(h.qmp("cxl-release-dynamic-capacity", { path: PATH, "host-id": 0, "removal-policy": "prescriptive", "forced-removal": true, region: 1, extents: [ext(0, 2 * MiB)] })).toEqual({ return: {} });
    expect(dev.acceptedExtents(0).map((e) => [e.dpa - DC_BASE, e.len])).toEqual([[258 * MiB, 2 * MiB]]);
    expect(h.qmp("cxl-release-dynamic-capacity", { path: PATH, "host-id": 0, "removal-policy": "prescriptive", "sanitize-on-release": true, region: 1, extents: [ext(2 * MiB, 2 * MiB)] })).toEqual({ return: {} });
    expect(dev.snapshot().hosts[0]?.sanitizeRequests).toEqual([{ dpa: DC_BASE + 258 * MiB, len: 2 * MiB }]);
  });

  it("reports an unresolvable path with QEMU's text, whatever the policy", () => {
    rejects("cxl-add-dynamic-capacity", { path: "/machine/peripheral/none", "host-id": 0, "selection-policy": "free", region: 0, extents: [] }, E.unresolved);
    rejects("cxl-release-dynamic-capacity", { path: "/machine/peripheral/none", "host-id": 0, "removal-policy": "tag-based", "forced-removal": true, region: 0, extents: [] }, E.unresolved);
  });
});
