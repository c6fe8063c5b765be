import { describe, expect, it } from "vitest";
import { MBOX_RC } from "@dcd/core";
import { addAccepted, BASE, expectRefused, ext, MIB, range, TAG_A, TAG_B, useDevices, watch } from "./test-support/fixtures.js";

const R1 = BASE + 256 * MIB;

describe("FM tag references (5606h-5608h)", () => {
  const make = useDevices();

  it("an FM reference keeps a tag's capacity allocated after every host released it", () => {
    const d = make({ numHosts: 2 });
    addAccepted(d, [ext(R1, 8192, TAG_A, 0)]);
    expect(d.addReference(TAG_A.toUpperCase()).rc).toBe(0);
    d.logicalDevice(0).releaseCapacity({ more: false, extents: [range(R1, 8192)] });
    expect(d.listTags({ startIndex: 0, count: 4 })).toMatchObject({ rc: 0, value: { total: 1, tags: [{ tag: TAG_A, fmRefs: 1, hosts: [], pendingHosts: [] }] } });
    // still allocated: nobody else gets those DPAs, but the tag can be shared again
    expectRefused(d, MBOX_RC.INVALID_EXTENT_LIST, () => d.initiateAdd({ hostId: 1, selectionPolicy: "prescriptive", extents: [ext(R1, 4096)] }));
    expect(d.totalExtentCount).toBe(1);
    expect(d.initiateAdd({ hostId: 1, selectionPolicy: "enable-shared-access", tag: TAG_A }).rc).toBe(0);
  });

  it("frees the tag when the last reference goes and no host holds it", () => {
    const d = make();
    addAccepted(d, [ext(BASE, 2 * MIB, TAG_B)]);
    d.addReference(TAG_B);
    d.logicalDevice(0).releaseCapacity({ more: false, extents: [range(BASE, 2 * MIB)] });
    const events: string[] = [];
    const sub = watch(d.events$, (e) => events.push(e.type));
    expect(d.removeReference(TAG_B).rc).toBe(0);
    sub.unsubscribe();
    expect(events).toEqual(["tag-unreferenced", "tag-freed"]);
    expect(d.listTags({ startIndex: 0, count: 4 })).toMatchObject({ value: { total: 0, tags: [] } });
    expect(d.tagsAvailable).toBe(512);
  });

  it("refuses unknown or null tags and removing a reference never added (INVALID_INPUT)", () => {
    const d = make();
    addAccepted(d, [ext(BASE, 2 * MIB, TAG_A)]);
    expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.addReference(TAG_B));
    expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.addReference("00000000-0000-0000-0000-000000000000"));
    expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.removeReference(TAG_A));
    expectRefused(d, MBOX_RC.INVALID_INPUT, () => d.listTags({ startIndex: 2, count: 1 }));
  });

  it("bumps the tag list generation when tags come and go", () => {
    const d = make();
    const g0 = d.listTags({ startIndex: 0, count: 1 });
    addAccepted(d, [ext(BASE, 2 * MIB, TAG_A)]);
    const g1 = d.listTags({ startIndex: 0, count: 1 });
    expect(g0.rc === 0 && g1.rc === 0 && g1.value.generation > g0.value.generation).toBe(true);
  });
});
