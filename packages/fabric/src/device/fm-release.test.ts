import { describe, expect, it } from "vitest";
import { MBOX_RC } from "@dcd/core";
import { addAccepted, BASE, drain, expectRefused, ext, MIB, range, TAG_A, TAG_B, useDevices, watch } from "./test-support/fixtures.js";

const R1 = BASE + 256 * MIB;

describe("5605h Initiate Dynamic Capacity Release", () => {
  const make = useDevices();

  it("prescriptive: logs Release records with the capacity's tag and changes nothing until the host answers", () => {
    const d = make();
    addAccepted(d, [ext(BASE, 4 * MIB, TAG_A, 0), ext(BASE + 4 * MIB, 2 * MIB)]);
    const before = d.acceptedExtents(0);
    const r = d.initiateRelease({ hostId: 0, removalPolicy: "prescriptive", extents: [range(BASE + 2 * MIB, 2 * MIB), range(BASE + 4 * MIB, 2 * MIB)] });
    expect(r.rc).toBe(0);
    expect(d.acceptedExtents(0)).toEqual(before);
    const recs = drain(d.logicalDevice(0));
    expect(recs.map((x) => [x.eventType, x.more, x.extent.dpa, x.extent.len, x.extent.tag])).toEqual([
      [1, true, BASE + 2 * MIB, 2 * MIB, TAG_A],
      [1, false, BASE + 4 * MIB, 2 * MIB, "00000000-0000-0000-0000-000000000000"],
    ]);
    expect(d.logicalDevice(0).releaseCapacity({ more: false, extents: [range(BASE + 2 * MIB, 4 * MIB)] }).rc).toBe(0);
    expect(d.acceptedExtents(0)).toEqual([ext(BASE, 2 * MIB, TAG_A, 0)]);
  });

  it("refuses in QEMU's order: policy, malformed, pending overlap (INVALID_PA), not backed, budget", () => {
    const d = make({ extentBudget: 3 });
    addAccepted(d, [ext(BASE, 10 * MIB)]);
    d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [ext(BASE + 20 * MIB, 2 * MIB)] });
    const rel = (extents: ReturnType<typeof range>[], forcedRemoval = false) => () => d.initiateRelease({ hostId: 0, removalPolicy: "prescriptive", forcedRemoval, extents });
    expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.initiateRelease({ hostId: 9, removalPolicy: "prescriptive", extents: [range(BASE, 2 * MIB)] }));
    expectRefused(d, MBOX_RC.INVALID_EXTENT_LIST, rel([]));
    expectRefused(d, MBOX_RC.INVALID_PA, rel([range(0, 2 * MIB), range(BASE + 20 * MIB, 2 * MIB)]));
    expectRefused(d, MBOX_RC.INVALID_EXTENT_LIST, rel([range(BASE + MIB, 2 * MIB)]));
    expectRefused(d, MBOX_RC.INVALID_PA, rel([range(BASE, 2 * MIB), range(BASE + 20 * MIB, 2 * MIB)]));
    expectRefused(d, MBOX_RC.INVALID_PA, rel([range(BASE + 30 * MIB, 2 * MIB)]));
    expectRefused(d, MBOX_RC.RESOURCES_EXHAUSTED, rel([range(BASE + 2 * MIB, 2 * MIB), range(BASE + 6 * MIB, 2 * MIB)]));
  });

  it("QEMU profile: only prescriptive, no sanitize; the forced bit only skips the pending check", () => {
    const d = make({ profile: "qemu" });
    addAccepted(d, [ext(BASE, 4 * MIB)]);
    expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.initiateRelease({ hostId: 0, removalPolicy: "tag-based", tag: TAG_A }));
    expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.initiateRelease({ hostId: 0, removalPolicy: "prescriptive", sanitizeOnRelease: true, extents: [range(BASE, 2 * MIB)] }));
    expect(d.initiateRelease({ hostId: 0, removalPolicy: "prescriptive", forcedRemoval: true, extents: [range(BASE, 2 * MIB)] })).toMatchObject({ rc: 0, value: { forced: false } });
    expect(drain(d.logicalDevice(0)).map((r) => r.eventType)).toEqual([1]);
    expect(d.acceptedExtents(0)).toEqual([ext(BASE, 4 * MIB)]);
  });

  it("spec: releasing part of shared tagged capacity is INVALID_INPUT; the log lacking room is RETRY_REQUIRED", () => {
    const d = make({ eventLogCapacity: 2 });
    addAccepted(d, [ext(R1, 8192, TAG_B, 0), ext(R1 + 16384, 4096, TAG_B, 1)]);
    expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.initiateRelease({ hostId: 0, removalPolicy: "prescriptive", extents: [range(R1, 4096)] }));
    expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.initiateRelease({ hostId: 0, removalPolicy: "prescriptive", extents: [range(R1, 8192)] }));
    d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [ext(BASE, 2 * MIB)] });
    d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [ext(BASE + 2 * MIB, 2 * MIB)] });
    expectRefused(d, MBOX_RC.RETRY_REQUIRED, () => d.initiateRelease({ hostId: 0, removalPolicy: "tag-based", tag: TAG_B }));
  });

  it("tag-based: releases every extent of the tag the host holds; unknown tag INVALID_INPUT, pending add INVALID_PA", () => {
    const d = make();
    addAccepted(d, [ext(BASE, 2 * MIB, TAG_A), ext(BASE + 8 * MIB, 2 * MIB, TAG_A), ext(BASE + 4 * MIB, 2 * MIB)]);
    expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.initiateRelease({ hostId: 0, removalPolicy: "tag-based", tag: TAG_B }));
    expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.initiateRelease({ hostId: 0, removalPolicy: "tag-based" }));
    const r = d.initiateRelease({ hostId: 0, removalPolicy: "tag-based", tag: TAG_A });
    expect(r.rc === 0 && r.value.extents).toEqual([ext(BASE, 2 * MIB, TAG_A), ext(BASE + 8 * MIB, 2 * MIB, TAG_A)]);
    d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [ext(BASE + 20 * MIB, 2 * MIB, TAG_A)] });
    expectRefused(d, MBOX_RC.INVALID_PA, () => d.initiateRelease({ hostId: 0, removalPolicy: "tag-based", tag: TAG_A }));
  });

  it("forced: revokes at once (splitting), kills pending groups it touches, logs 02h even past the log's room", () => {
    const d = make({ eventLogCapacity: 2 });
    addAccepted(d, [ext(BASE, 8 * MIB, TAG_A, 0)]);
    d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [ext(BASE + 20 * MIB, 2 * MIB)] });
    d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [ext(BASE + 30 * MIB, 2 * MIB)] });
    const types: string[] = [];
    const sub = watch(d.events$, (e) => types.push(e.type));
    const r = d.initiateRelease({ hostId: 0, removalPolicy: "prescriptive", forcedRemoval: true, extents: [range(BASE + 2 * MIB, 2 * MIB), range(BASE + 20 * MIB, 2 * MIB)] });
    sub.unsubscribe();
    expect(r).toMatchObject({ rc: 0, value: { forced: true } });
    expect(d.acceptedExtents(0)).toEqual([ext(BASE, 2 * MIB, TAG_A, 0), ext(BASE + 4 * MIB, 4 * MIB, TAG_A, 0)]);
    expect(d.pendingGroups(0).map((g) => g.dead)).toEqual([true, false]);
    expect(d.generation(0)).toBe(2);
    expect(types).toEqual(["forced-release", "group-dead", "event-log-overflow"]);
    expect(d.logicalDevice(0).eventLog.overflowErrorCount).toBe(2);
    expect(d.fmEventLog.getRecords(8).records.filter((x) => x.eventType === 5).map((x) => [x.extent.dpa, x.extent.len])).toEqual([[BASE + 2 * MIB, 2 * MIB]]);
  });

  it("forced: refuses ranges not allocated to the host with INVALID_PA", () => {
    const d = make();
    addAccepted(d, [ext(BASE, 2 * MIB)]);
    expectRefused(d, MBOX_RC.INVALID_PA, () => d.initiateRelease({ hostId: 0, removalPolicy: "prescriptive", forcedRemoval: true, extents: [range(BASE, 4 * MIB)] }));
  });

  it("sanitize on release: the capacity is sanitized when the host releases it", () => {
    const d = make();
    addAccepted(d, [ext(BASE, 4 * MIB)]);
    expect(d.initiateRelease({ hostId: 0, removalPolicy: "prescriptive", sanitizeOnRelease: true, extents: [range(BASE, 4 * MIB)] }).rc).toBe(0);
    const seen: unknown[] = [];
    const sub = watch(d.events$, (e) => {
      if (e.type === "capacity-sanitized") seen.push(e.ranges);
    });
    d.logicalDevice(0).releaseCapacity({ more: false, extents: [range(BASE, 2 * MIB)] });
    d.logicalDevice(0).releaseCapacity({ more: false, extents: [range(BASE + 2 * MIB, 2 * MIB)] });
    sub.unsubscribe();
    expect(seen).toEqual([[range(BASE, 2 * MIB)], [range(BASE + 2 * MIB, 2 * MIB)]]);
    expect(d.snapshot().hosts[0]!.sanitizeRequests).toEqual([]);
  });
});
