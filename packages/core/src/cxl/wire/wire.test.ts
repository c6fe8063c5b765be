/**
 * Every payload against buffers built by hand from the reference's offsets (host-rules §1,
 * device-and-fabric (b)): encode must produce those exact bytes and decode must read them back.
 */
import { NULL_UUID, uuidToBytes } from "@dcd/core";
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { DC_EVENT_TYPE, type DcEventRecord } from "./dc-event.js";
import { readU64, writeU64 } from "./bytes.js";
import { decodeGetDcConfigIn, decodeGetDcConfigOut, encodeGetDcConfigIn, encodeGetDcConfigOut } from "./dc-config.js";
import { decodeDcExtent, encodeDcExtent } from "./dc-extent.js";
import { decodeDcEventRecord, encodeDcEventRecord, writeDcEventRecordParts } from "./event-record.js";
import { decodeClearEventRecordsIn, decodeGetEventRecordColumns, decodeGetEventRecordHeads, decodeGetEventRecordsOut, encodeClearEventRecordsIn, encodeGetEventRecordsOut } from "./event-records-payload.js";
import { decodeGetExtentListIn, decodeGetExtentListOut, encodeGetExtentListIn, encodeGetExtentListOut } from "./extent-list.js";
import { mboxRcName, MBOX_RC } from "./rc.js";
import { decodeUpdatedExtentList, encodeSingleUpdatedExtent, encodeUpdatedExtentList } from "./updated-extent-list.js";

const TAG = "5be13bce-ae34-4a77-b6c3-16df975fcf1a";

/** A little-endian buffer writer for hand-built expectations. */
function buf(size: number): { bytes: Uint8Array; u8: (o: number, v: number) => void; u16: (o: number, v: number) => void; u32: (o: number, v: number) => void; u64: (o: number, v: bigint) => void; tag: (o: number, t: string) => void } {
  const bytes = new Uint8Array(size);
  const v = new DataView(bytes.buffer);
  return {
    bytes,
    u8: (o, x) => {
      v.setUint8(o, x);
    },
    u16: (o, x) => {
      v.setUint16(o, x, true);
    },
    u32: (o, x) => {
      v.setUint32(o, x, true);
    },
    u64: (o, x) => {
      v.setBigUint64(o, x, true);
    },
    tag: (o, t) => {
      bytes.set(uuidToBytes(t), o);
    },
  };
}

describe("u64 fields", () => {
  it("round-trip safe integers and read huge values as numbers beyond any DPA", () => {
    const b = buf(8);
    writeU64(new DataView(b.bytes.buffer), 0, 0x1234_5678_9abc);
    expect(new DataView(b.bytes.buffer).getBigUint64(0, true)).toBe(0x1234_5678_9abcn);
    b.u64(0, 0xffff_ffff_ffff_ffffn);
    expect(readU64(new DataView(b.bytes.buffer), 0)).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
    expect(() => {
      writeU64(new DataView(b.bytes.buffer), 0, -1);
    }).toThrow(RangeError);
  });
});

describe("return codes", () => {
  it("carry the spec values", () => {
    expect(MBOX_RC.INVALID_PA).toBe(0x0f);
    expect(MBOX_RC.INVALID_PAYLOAD_LENGTH).toBe(0x16);
    expect(MBOX_RC.RESOURCES_EXHAUSTED).toBe(0x1d);
    expect(MBOX_RC.INVALID_EXTENT_LIST).toBe(0x1e);
    expect(mboxRcName(0x1e)).toBe("INVALID_EXTENT_LIST");
    expect(mboxRcName(0x99)).toBe("0x99");
  });
});

describe("DC extent (40 bytes)", () => {
  it("lays out start_dpa @0, len @8, tag @10h, shared_seq @20h", () => {
    const b = buf(0x28);
    b.u64(0, 0x88000000n);
    b.u64(8, 0x4000000n);
    b.tag(0x10, TAG);
    b.u16(0x20, 7);
    const e = { dpa: 0x88000000, len: 0x4000000, tag: TAG, sharedSeq: 7 };
    expect(encodeDcExtent(e)).toEqual(b.bytes);
    expect(decodeDcExtent(b.bytes)).toEqual(e);
  });

  it("refuses a short buffer with EINVAL", () => {
    expect(() => decodeDcExtent(new Uint8Array(39))).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });

  test.prop([fc.integer({ min: 0, max: 2 ** 50 }), fc.integer({ min: 0, max: 2 ** 50 }), fc.uuid(), fc.integer({ min: 0, max: 0xffff })])("round-trips", (dpa, len, tag, seq) => {
    const e = { dpa, len, tag: tag.toLowerCase(), sharedSeq: seq };
    expect(decodeDcExtent(encodeDcExtent(e))).toEqual(e);
  });
});

describe("4800h Get DC Configuration", () => {
  it("input is region_cnt @0, start_rid @1", () => {
    expect(encodeGetDcConfigIn({ regionCount: 8, startRegion: 1 })).toEqual(Uint8Array.of(8, 1));
    expect(decodeGetDcConfigIn(Uint8Array.of(3, 0))).toEqual({ regionCount: 3, startRegion: 0 });
  });

  it("output: 8-byte header, 40-byte records (decode_len in 256 MiB units), 4 trailing counters", () => {
    const b = buf(8 + 2 * 0x28 + 16);
    b.u8(0, 2);
    b.u8(1, 2);
    // region 0
    b.u64(8, 0x80000000n);
    b.u64(8 + 0x08, 2n); // 512 MiB / 256 MiB
    b.u64(8 + 0x10, 0x20000000n);
    b.u64(8 + 0x18, 0x200n);
    b.u32(8 + 0x20, 0xfa);
    b.u8(8 + 0x24, 1);
    // region 1
    const r1 = 8 + 0x28;
    b.u64(r1, 0xa0000000n);
    b.u64(r1 + 0x08, 1n);
    b.u64(r1 + 0x10, 0x10000000n);
    b.u64(r1 + 0x18, 0x200000n);
    b.u32(r1 + 0x20, 0xfb);
    const t = 8 + 2 * 0x28;
    b.u32(t, 512);
    b.u32(t + 4, 500);
    b.u32(t + 8, 16);
    b.u32(t + 12, 15);
    const value = {
      numRegions: 2,
      regions: [
        { base: 0x80000000, decodeLength: 0x20000000, length: 0x20000000, blockSize: 0x200, dsmadHandle: 0xfa, flags: 1 },
        { base: 0xa0000000, decodeLength: 0x10000000, length: 0x10000000, blockSize: 0x200000, dsmadHandle: 0xfb, flags: 0 },
      ],
      numExtentsSupported: 512,
      numExtentsAvailable: 500,
      numTagsSupported: 16,
      numTagsAvailable: 15,
    };
    expect(encodeGetDcConfigOut(value)).toEqual(b.bytes);
    expect(decodeGetDcConfigOut(b.bytes)).toEqual(value);
  });
});

describe("4801h Get DC Extent List", () => {
  it("input is extent_cnt u32 @0, start_extent_id u32 @4", () => {
    const b = buf(8);
    b.u32(0, 170);
    b.u32(4, 3);
    expect(encodeGetExtentListIn({ extentCount: 170, startIndex: 3 })).toEqual(b.bytes);
    expect(decodeGetExtentListIn(b.bytes)).toEqual({ extentCount: 170, startIndex: 3 });
  });

  it("output: count @0, total @4, generation @8, 4 reserved, 40-byte extents from @10h", () => {
    const b = buf(0x10 + 2 * 0x28);
    b.u32(0, 2);
    b.u32(4, 9);
    b.u32(8, 42);
    b.u64(0x10, 0x80000000n);
    b.u64(0x18, 0x200000n);
    b.u64(0x38, 0x90000000n);
    b.u64(0x40, 0x400000n);
    b.tag(0x48, TAG);
    b.u16(0x58, 1);
    const value = {
      total: 9,
      generation: 42,
      extents: [
        { dpa: 0x80000000, len: 0x200000, tag: NULL_UUID, sharedSeq: 0 },
        { dpa: 0x90000000, len: 0x400000, tag: TAG, sharedSeq: 1 },
      ],
    };
    expect(encodeGetExtentListOut(value)).toEqual(b.bytes);
    expect(decodeGetExtentListOut(b.bytes)).toEqual(value);
  });
});

describe("4802h/4803h updated extent list", () => {
  it("is num u32 @0, flags @4 (bit0 More), 3 reserved, then 24-byte entries", () => {
    const b = buf(8 + 2 * 24);
    b.u32(0, 2);
    b.u8(4, 1);
    b.u64(8, 0x80000000n);
    b.u64(16, 0x200000n);
    b.u64(32, 0x80400000n);
    b.u64(40, 0x600000n);
    const value = { more: true, extents: [{ dpa: 0x80000000, len: 0x200000 }, { dpa: 0x80400000, len: 0x600000 }] };
    expect(encodeUpdatedExtentList(value)).toEqual(b.bytes);
    expect(decodeUpdatedExtentList(b.bytes)).toEqual(value);
  });

  it("ignores reserved bytes and flag bits other than More when decoding", () => {
    const b = buf(8 + 24);
    b.u32(0, 1);
    b.u8(4, 0xfe);
    b.u8(5, 0xff);
    b.u64(8, 0x1000n);
    b.u64(16, 0x40n);
    b.u64(24, 0xffffn);
    expect(decodeUpdatedExtentList(b.bytes)).toEqual({ more: false, extents: [{ dpa: 0x1000, len: 0x40 }] });
  });

  it("a one-entry list written over reused registers leaves nothing of the previous command", () => {
    const registers = new Uint8Array(8 + 24).fill(0xff);
    const expected = encodeUpdatedExtentList({ more: false, extents: [{ dpa: 0x80400000, len: 0x200000 }] });
    expect(encodeSingleUpdatedExtent(registers, 0x80400000, 0x200000)).toEqual(expected);
    const longer = new Uint8Array(8 + 48).fill(0xff);
    expect(encodeSingleUpdatedExtent(longer, 0x80400000, 0x200000)).toEqual(Uint8Array.from([...expected, ...new Uint8Array(24)]));
  });
});

function record(over: Partial<DcEventRecord> = {}): DcEventRecord {
  return {
    headerFlags: 0,
    handle: 5,
    relatedHandle: 0,
    timestamp: 1_000_000,
    maintOpClass: 0,
    maintOpSubClass: 0,
    ldId: 0,
    headId: 0,
    eventType: DC_EVENT_TYPE.ADD_CAPACITY,
    validityFlags: 1,
    hostId: 0,
    updatedRegionIndex: 0,
    more: true,
    extent: { dpa: 0x80000000, len: 0x8000000, tag: TAG, sharedSeq: 2 },
    numAvailExtents: 511,
    numAvailTags: 7,
    ...over,
  };
}

/** The reference's Table 8-229 layout, byte by byte. */
function handBuiltRecord(into: ReturnType<typeof buf>, o: number): void {
  into.tag(o, "ca95afa7-f183-4018-8c2f-95268e101a2a");
  into.u8(o + 0x10, 0x80);
  into.u16(o + 0x14, 5);
  into.u64(o + 0x18, 1_000_000n);
  into.u8(o + 0x30, 0); // add capacity
  into.u8(o + 0x31, 1); // validity
  into.u16(o + 0x32, 0);
  into.u8(o + 0x34, 0);
  into.u8(o + 0x35, 1); // More
  into.u64(o + 0x38, 0x80000000n);
  into.u64(o + 0x40, 0x8000000n);
  into.tag(o + 0x48, TAG);
  into.u16(o + 0x58, 2);
  into.u32(o + 0x78, 511);
  into.u32(o + 0x7c, 7);
}

describe("DC event record (128 bytes)", () => {
  it("matches Table 8-229 offsets", () => {
    const b = buf(0x80);
    handBuiltRecord(b, 0);
    expect(encodeDcEventRecord(record())).toEqual(b.bytes);
    expect(decodeDcEventRecord(b.bytes)).toEqual(record());
  });

  it("puts host id @32h and updated region index @34h", () => {
    const bytes = encodeDcEventRecord(record({ eventType: DC_EVENT_TYPE.REGION_CONFIGURATION_UPDATED, hostId: 0x102, updatedRegionIndex: 3, more: false }));
    expect(bytes[0x30]).toBe(3);
    expect(bytes[0x32]).toBe(0x02);
    expect(bytes[0x33]).toBe(0x01);
    expect(bytes[0x34]).toBe(3);
    expect(bytes[0x35]).toBe(0);
  });

  it("refuses a record with another uuid", () => {
    const bytes = encodeDcEventRecord(record());
    bytes[0] = 0;
    expect(() => decodeDcEventRecord(bytes)).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });
});

describe("Get/Clear Event Records", () => {
  it("output header: flags @0, overflow count @2, timestamps @4/@0Ch, record count @14h, records @20h", () => {
    const b = buf(0x20 + 0x80);
    b.u8(0, 0b11);
    b.u16(2, 3);
    b.u64(4, 10n);
    b.u64(0x0c, 20n);
    b.u16(0x14, 1);
    handBuiltRecord(b, 0x20);
    const value = { overflow: true, moreRecords: true, overflowErrorCount: 3, firstOverflowTimestamp: 10, lastOverflowTimestamp: 20, records: [record()] };
    expect(encodeGetEventRecordsOut(value)).toEqual(b.bytes);
    expect(decodeGetEventRecordsOut(b.bytes)).toEqual(value);
    // The handler's reading: the same handle, type, More and extent, and the same refusals.
    const r = record();
    expect(decodeGetEventRecordHeads(b.bytes)).toEqual([{ handle: r.handle, eventType: r.eventType, more: r.more, extent: r.extent }]);
    expect(() => decodeGetEventRecordHeads(b.bytes.subarray(0, 0x20 + 0x7f))).toThrow(expect.objectContaining({ code: "EINVAL" }));
    const otherUuid = b.bytes.slice();
    otherUuid[0x20] = 0;
    expect(() => decodeGetEventRecordHeads(otherUuid)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    // The same reading as columns, with the same refusals.
    expect(decodeGetEventRecordColumns(b.bytes)).toEqual({ count: 1, handles: [r.handle], eventTypes: [r.eventType], mores: [r.more], extents: [r.extent] });
    expect(() => decodeGetEventRecordColumns(b.bytes.subarray(0, 0x20 + 0x7f))).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => decodeGetEventRecordColumns(otherUuid)).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });

  it("a record written field by field is the record's bytes when the log's header fields are zero", () => {
    const r = { ...record(), headerFlags: 0, relatedHandle: 0, maintOpClass: 0, maintOpSubClass: 0, ldId: 0, headId: 0 };
    const bytes = new Uint8Array(0x80);
    writeDcEventRecordParts(new DataView(bytes.buffer), bytes, 0, r.eventType, r.validityFlags, r.hostId, r.updatedRegionIndex, r.more, r.extent, r.numAvailExtents, r.numAvailTags, r.handle, r.timestamp);
    expect(bytes).toEqual(encodeDcEventRecord(r));
  });

  it("clear input: log @0, flags @1, count @2, 3 reserved, u16 handles from @6", () => {
    const b = buf(6 + 4);
    b.u8(0, 4);
    b.u8(2, 2);
    b.u16(6, 7);
    b.u16(8, 8);
    const value = { logType: 4, clearAll: false, handles: [7, 8] };
    expect(encodeClearEventRecordsIn(value)).toEqual(b.bytes);
    expect(decodeClearEventRecordsIn(b.bytes)).toEqual(value);
  });
});
