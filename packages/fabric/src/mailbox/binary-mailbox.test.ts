import { describe, expect, it } from "vitest";
import { addAccepted, BASE, drain, expectRefused, ext, MIB, TAG_A, useDevices } from "../device/test-support/fixtures.js";
import { decodeGetDcConfigOut } from "@dcd/core";
import { decodeGetEventRecordsOut, encodeClearEventRecordsIn } from "@dcd/core";
import { decodeGetExtentListOut, encodeGetExtentListIn } from "@dcd/core";
import { OPCODE } from "@dcd/core";
import { MBOX_RC } from "@dcd/core";
import { encodeUpdatedExtentList } from "@dcd/core";

/** 4802h/4803h input built by hand: count, flags, then {dpa, len, rsvd}. */
function updated(count: number, entries: [number, number][], flags = 0): Uint8Array {
  const b = new Uint8Array(8 + entries.length * 24);
  const v = new DataView(b.buffer);
  v.setUint32(0, count, true);
  b[4] = flags;
  entries.forEach(([dpa, len], i) => {
    v.setBigUint64(8 + i * 24, BigInt(dpa), true);
    v.setBigUint64(16 + i * 24, BigInt(len), true);
  });
  return b;
}

describe("binary mailbox (execute)", () => {
  const make = useDevices();

  it("4800h: exact input length, INVALID_INPUT past the last region, exact output bytes", () => {
    const d = make();
    const ld = d.logicalDevice(0);
    expectRefused(d, MBOX_RC.INVALID_PAYLOAD_LENGTH, () => ld.execute(OPCODE.GET_DC_CONFIG, Uint8Array.of(1)));
    expectRefused(d, MBOX_RC.INVALID_PAYLOAD_LENGTH, () => ld.execute(OPCODE.GET_DC_CONFIG, Uint8Array.of(1, 0, 0)));
    expectRefused(d, MBOX_RC.INVALID_INPUT, () => ld.execute(OPCODE.GET_DC_CONFIG, Uint8Array.of(8, 2)));
    const r = ld.execute(OPCODE.GET_DC_CONFIG, Uint8Array.of(8, 1));
    expect(r.rc).toBe(0);
    expect(r.payload.length).toBe(8 + 40 + 16);
    expect(r.payload[0]).toBe(2); // regions available
    expect(r.payload[1]).toBe(1); // returned
    expect(decodeGetDcConfigOut(r.payload)).toMatchObject({ numRegions: 2, regions: [{ base: BASE + 256 * MIB, decodeLength: 256 * MIB, blockSize: 4096, dsmadHandle: 2 }], numExtentsSupported: 512, numExtentsAvailable: 512, numTagsSupported: 512 });
  });

  it("4801h: pages accepted extents, INVALID_INPUT past the end, bounded by the payload size", () => {
    const d = make({ payloadSize: 256 }); // (256 - 16) / 40 = 6 extents per page
    addAccepted(d, Array.from({ length: 10 }, (_, i) => ext(BASE + i * 2 * MIB, 2 * MIB, i === 3 ? TAG_A : undefined)));
    const ld = d.logicalDevice(0);
    expectRefused(d, MBOX_RC.INVALID_PAYLOAD_LENGTH, () => ld.execute(OPCODE.GET_DC_EXTENT_LIST, new Uint8Array(4)));
    expectRefused(d, MBOX_RC.INVALID_INPUT, () => ld.execute(OPCODE.GET_DC_EXTENT_LIST, encodeGetExtentListIn({ extentCount: 1, startIndex: 11 })));
    const p1 = decodeGetExtentListOut(ld.execute(OPCODE.GET_DC_EXTENT_LIST, encodeGetExtentListIn({ extentCount: 100, startIndex: 0 })).payload);
    expect(p1.extents).toHaveLength(6);
    expect(p1).toMatchObject({ total: 10, generation: 1 });
    expect(p1.extents[3]!.tag).toBe(TAG_A);
    const p2 = decodeGetExtentListOut(ld.execute(OPCODE.GET_DC_EXTENT_LIST, encodeGetExtentListIn({ extentCount: 100, startIndex: 6 })).payload);
    expect(p2.extents.map((e) => e.dpa)).toEqual([6, 7, 8, 9].map((i) => BASE + i * 2 * MIB));
    const end = decodeGetExtentListOut(ld.execute(OPCODE.GET_DC_EXTENT_LIST, encodeGetExtentListIn({ extentCount: 100, startIndex: 10 })).payload);
    expect(end.extents).toEqual([]);
  });

  it("4802h: header length, 0 entries before the entry length, then entries", () => {
    const d = make();
    d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [ext(BASE, 4 * MIB)] });
    d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [ext(BASE + 8 * MIB, 4 * MIB)] });
    const ld = d.logicalDevice(0);
    drain(ld);
    expectRefused(d, MBOX_RC.INVALID_PAYLOAD_LENGTH, () => ld.execute(OPCODE.ADD_DC_RESPONSE, new Uint8Array(7)));
    expectRefused(d, MBOX_RC.INVALID_PAYLOAD_LENGTH, () => ld.execute(OPCODE.ADD_DC_RESPONSE, updated(2, [[BASE, 2 * MIB]])));
    // 0 entries: the oldest group is declined even though no entry bytes follow.
    expect(ld.execute(OPCODE.ADD_DC_RESPONSE, updated(0, [])).rc).toBe(0);
    expect(d.pendingGroups(0)).toHaveLength(1);
    expect(ld.execute(OPCODE.ADD_DC_RESPONSE, updated(1, [[BASE + 8 * MIB, 2 * MIB]])).rc).toBe(0);
    expect(d.acceptedExtents(0)).toEqual([ext(BASE + 8 * MIB, 2 * MIB)]);
  });

  it("4802h/4803h: a u64 beyond 2^53 fails like the true value (INVALID_PA)", () => {
    const d = make();
    addAccepted(d, [ext(BASE, 2 * MIB)]);
    const b = updated(1, [[0, 2 * MIB]]);
    new DataView(b.buffer).setBigUint64(8, 0xffff_ffff_ffe0_0000n, true);
    expectRefused(d, MBOX_RC.INVALID_PA, () => d.logicalDevice(0).execute(OPCODE.RELEASE_DC, b));
  });

  it("4803h: 0 entries is INVALID_INPUT even with a bare header; entries length checked next", () => {
    const d = make();
    addAccepted(d, [ext(BASE, 4 * MIB)]);
    const ld = d.logicalDevice(0);
    expectRefused(d, MBOX_RC.INVALID_INPUT, () => ld.execute(OPCODE.RELEASE_DC, updated(0, [])));
    expectRefused(d, MBOX_RC.INVALID_PAYLOAD_LENGTH, () => ld.execute(OPCODE.RELEASE_DC, updated(2, [[BASE, 2 * MIB]])));
    expect(ld.execute(OPCODE.RELEASE_DC, encodeUpdatedExtentList({ more: false, extents: [{ dpa: BASE, len: 2 * MIB }] })).rc).toBe(0);
    expect(d.acceptedExtents(0)).toEqual([ext(BASE + 2 * MIB, 2 * MIB)]);
  });

  it("0100h/0101h: reads the DC log and clears by handle; wrong handle is INVALID_HANDLE (spec) or INVALID_INPUT (QEMU)", () => {
    for (const [profile, rc] of [
      ["spec", MBOX_RC.INVALID_HANDLE],
      ["qemu", MBOX_RC.INVALID_INPUT],
    ] as const) {
      const d = make({ profile });
      d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [ext(BASE, 2 * MIB), ext(BASE + 2 * MIB, 2 * MIB)] });
      const ld = d.logicalDevice(0);
      expectRefused(d, MBOX_RC.INVALID_PAYLOAD_LENGTH, () => ld.execute(OPCODE.GET_EVENT_RECORDS, Uint8Array.of(4, 0)));
      expectRefused(d, MBOX_RC.INVALID_INPUT, () => ld.execute(OPCODE.GET_EVENT_RECORDS, Uint8Array.of(5)));
      const page = decodeGetEventRecordsOut(ld.execute(OPCODE.GET_EVENT_RECORDS, Uint8Array.of(4)).payload);
      expect(page.records.map((r) => [r.handle, r.more, r.extent.dpa])).toEqual([
        [1, true, BASE],
        [2, false, BASE + 2 * MIB],
      ]);
      expect(decodeGetEventRecordsOut(ld.execute(OPCODE.GET_EVENT_RECORDS, Uint8Array.of(0)).payload).records).toEqual([]);
      expectRefused(d, MBOX_RC.INVALID_PAYLOAD_LENGTH, () => ld.execute(OPCODE.CLEAR_EVENT_RECORDS, Uint8Array.of(4, 0, 2, 0, 0, 0, 1, 0)));
      expectRefused(d, rc, () => ld.execute(OPCODE.CLEAR_EVENT_RECORDS, encodeClearEventRecordsIn({ logType: 4, clearAll: false, handles: [2] })));
      expect(ld.execute(OPCODE.CLEAR_EVENT_RECORDS, encodeClearEventRecordsIn({ logType: 4, clearAll: false, handles: [1, 2] })).rc).toBe(0);
      expect(ld.eventLog.length).toBe(0);
    }
  });

  it("refuses unknown opcodes (UNSUPPORTED) and inputs larger than the payload (INVALID_PAYLOAD_LENGTH)", () => {
    const d = make({ payloadSize: 256 });
    const ld = d.logicalDevice(0);
    expectRefused(d, MBOX_RC.UNSUPPORTED, () => ld.execute(0x4804, new Uint8Array(0)));
    expectRefused(d, MBOX_RC.INVALID_PAYLOAD_LENGTH, () => ld.execute(OPCODE.ADD_DC_RESPONSE, updated(11, Array.from({ length: 11 }, (_, i) => [BASE + i * 2 * MIB, 2 * MIB]))));
  });
});
