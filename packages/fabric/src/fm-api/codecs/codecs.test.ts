/**
 * Every FM API codec against buffers built by hand from the reference's offsets, plus
 * round-trip properties. The hand-built buffers poke little-endian bytes one by one, so the
 * layout is checked independently of the DataView code under test.
 */
import { fc, test } from "@fast-check/vitest";
import { NULL_UUID } from "@dcd/core";
import { describe, expect, it } from "vitest";
import { MBOX_RC, type DcdResult } from "@dcd/core";
import { decodeGetDcdInfoOut, encodeGetDcdInfoOut, GET_DCD_INFO_OUT_SIZE, type GetDcdInfoOut } from "./get-dcd-info.js";
import {
  decodeGetHostDcRegionConfigIn,
  decodeGetHostDcRegionConfigOut,
  encodeGetHostDcRegionConfigIn,
  encodeGetHostDcRegionConfigOut,
  type GetHostDcRegionConfigOut,
} from "./host-dc-region-config.js";
import { decodeSetDcRegionConfigIn, encodeSetDcRegionConfigIn } from "./set-dc-region-config.js";
import { decodeGetDcRegionExtentListsIn, decodeGetDcRegionExtentListsOut, encodeGetDcRegionExtentListsIn, encodeGetDcRegionExtentListsOut, type GetDcRegionExtentListsOut } from "./dc-region-extent-lists.js";
import { decodeInitiateDcAddIn, encodeInitiateDcAddIn, type InitiateDcAddIn } from "./initiate-dc-add.js";
import { decodeInitiateDcReleaseIn, encodeInitiateDcReleaseIn, type InitiateDcReleaseIn } from "./initiate-dc-release.js";
import { decodeDcListTagsIn, decodeDcListTagsOut, decodeDcReferenceIn, encodeDcListTagsIn, encodeDcListTagsOut, encodeDcReferenceIn, type DcListTagsOut } from "./dc-tags.js";

const MiB = 1024 * 1024;
const TAG = "5be13bce-ae34-4a77-b6c3-16df975fcf1a";
const TAG_BYTES = [0x5b, 0xe1, 0x3b, 0xce, 0xae, 0x34, 0x4a, 0x77, 0xb6, 0xc3, 0x16, 0xdf, 0x97, 0x5f, 0xcf, 0x1a];

/** Poke `value` little-endian into `size` bytes at `off`. */
function le(buf: Uint8Array, off: number, size: number, value: number | bigint): void {
  let v = BigInt(value);
  for (let i = 0; i < size; i++) {
    buf[off + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

function value<T>(r: DcdResult<T>): T {
  if (r.rc !== MBOX_RC.SUCCESS) throw new Error(`unexpected rc ${r.rc}: ${r.reason}`);
  return r.value;
}

/** A 40-byte DC extent at `off`: start_dpa @0, len @8, tag @10h, shared_seq @20h. */
function pokeExtent(buf: Uint8Array, off: number, dpa: number, len: number, tag: number[] | null, seq: number): void {
  le(buf, off, 8, dpa);
  le(buf, off + 8, 8, len);
  if (tag) buf.set(tag, off + 0x10);
  le(buf, off + 0x20, 2, seq);
}

describe("5600h Get DCD Info", () => {
  const info: GetDcdInfoOut = {
    numHosts: 2,
    numRegions: 2,
    selectionPolicyMask: 0x0007,
    removalPolicyMask: 0x0003,
    sanitizeOnReleaseConfigMask: 0x03,
    totalDynamicCapacity: 1024 * MiB,
    regionBlockSizeMasks: [0x200000, 0x200000 | 0x40, 0, 0, 0, 0, 0, 0],
  };

  it("is 84 bytes at the reference's offsets", () => {
    const buf = new Uint8Array(84);
    buf[0x00] = 2;
    buf[0x01] = 2;
    le(buf, 0x04, 2, 0x0007);
    le(buf, 0x08, 2, 0x0003);
    buf[0x0a] = 0x03;
    le(buf, 0x0c, 8, 4); // 4 × 256 MiB
    le(buf, 0x14, 8, 0x200000);
    le(buf, 0x1c, 8, 0x200040);
    expect(GET_DCD_INFO_OUT_SIZE).toBe(84);
    expect(encodeGetDcdInfoOut(info)).toEqual(buf);
    expect(value(decodeGetDcdInfoOut(buf))).toEqual(info);
  });

  it("refuses a short output", () => {
    expect(decodeGetDcdInfoOut(new Uint8Array(83)).rc).toBe(MBOX_RC.INVALID_PAYLOAD_LENGTH);
  });

  test.prop([
    fc.record({
      numHosts: fc.integer({ min: 0, max: 255 }),
      numRegions: fc.integer({ min: 0, max: 8 }),
      selectionPolicyMask: fc.integer({ min: 0, max: 0xffff }),
      removalPolicyMask: fc.integer({ min: 0, max: 0xffff }),
      sanitizeOnReleaseConfigMask: fc.integer({ min: 0, max: 0xff }),
      totalDynamicCapacity: fc.integer({ min: 0, max: 2 ** 20 }).map((u) => u * 256 * MiB),
      regionBlockSizeMasks: fc.array(fc.integer({ min: 0, max: 2 ** 52 - 1 }), { minLength: 8, maxLength: 8 }),
    }),
  ])("round-trips", (i) => {
    expect(value(decodeGetDcdInfoOut(encodeGetDcdInfoOut(i)))).toEqual(i);
  });
});

describe("5601h Get Host DC Region Configuration", () => {
  it("decodes the 4-byte input and refuses any other length", () => {
    const buf = Uint8Array.of(0x01, 0x00, 0x08, 0x01);
    expect(value(decodeGetHostDcRegionConfigIn(buf))).toEqual({ hostId: 1, regionCount: 8, startRegion: 1 });
    expect(encodeGetHostDcRegionConfigIn({ hostId: 1, regionCount: 8, startRegion: 1 })).toEqual(buf);
    expect(decodeGetHostDcRegionConfigIn(new Uint8Array(3)).rc).toBe(MBOX_RC.INVALID_PAYLOAD_LENGTH);
    expect(decodeGetHostDcRegionConfigIn(new Uint8Array(5)).rc).toBe(MBOX_RC.INVALID_PAYLOAD_LENGTH);
  });

  it("lays records out from 04h, 28h bytes each, counters after them", () => {
    const out: GetHostDcRegionConfigOut = {
      hostId: 1,
      numRegions: 2,
      regions: [{ base: 0x80000000, decodeLength: 512 * MiB, length: 512 * MiB, blockSize: 2 * MiB, flags: 0x08, sanitizeOnRelease: true }],
      numExtentsSupported: 512,
      numExtentsAvailable: 510,
      numTagsSupported: 16,
      numTagsAvailable: 15,
    };
    const buf = new Uint8Array(4 + 0x28 + 16);
    le(buf, 0, 2, 1);
    buf[2] = 2;
    buf[3] = 1;
    le(buf, 0x04, 8, 0x80000000);
    le(buf, 0x0c, 8, 2); // decode_len in 256 MiB units
    le(buf, 0x14, 8, 512 * MiB);
    le(buf, 0x1c, 8, 2 * MiB);
    buf[0x24] = 0x08;
    buf[0x28] = 1;
    le(buf, 0x2c, 4, 512);
    le(buf, 0x30, 4, 510);
    le(buf, 0x34, 4, 16);
    le(buf, 0x38, 4, 15);
    expect(encodeGetHostDcRegionConfigOut(out)).toEqual(buf);
    expect(value(decodeGetHostDcRegionConfigOut(buf))).toEqual(out);
    expect(decodeGetHostDcRegionConfigOut(buf.subarray(0, buf.length - 1)).rc).toBe(MBOX_RC.INVALID_PAYLOAD_LENGTH);
  });
});

describe("5602h Set DC Region Configuration", () => {
  it("is 16 bytes: region_id @0, block_sz @4, sanitize @0Ch", () => {
    const buf = new Uint8Array(16);
    buf[0] = 3;
    le(buf, 4, 8, 64 * MiB);
    buf[0x0c] = 1;
    expect(encodeSetDcRegionConfigIn({ regionId: 3, blockSize: 64 * MiB, sanitizeOnRelease: true })).toEqual(buf);
    expect(value(decodeSetDcRegionConfigIn(buf))).toEqual({ regionId: 3, blockSize: 64 * MiB, sanitizeOnRelease: true });
    expect(decodeSetDcRegionConfigIn(new Uint8Array(15)).rc).toBe(MBOX_RC.INVALID_PAYLOAD_LENGTH);
    expect(decodeSetDcRegionConfigIn(new Uint8Array(17)).rc).toBe(MBOX_RC.INVALID_PAYLOAD_LENGTH);
  });
});

describe("5603h Get DC Region Extent Lists", () => {
  it("decodes the 12-byte input", () => {
    const buf = new Uint8Array(12);
    le(buf, 0, 2, 3);
    le(buf, 4, 4, 8);
    le(buf, 8, 4, 2);
    expect(value(decodeGetDcRegionExtentListsIn(buf))).toEqual({ hostId: 3, extentCount: 8, startIndex: 2 });
    expect(encodeGetDcRegionExtentListsIn({ hostId: 3, extentCount: 8, startIndex: 2 })).toEqual(buf);
    expect(decodeGetDcRegionExtentListsIn(new Uint8Array(8)).rc).toBe(MBOX_RC.INVALID_PAYLOAD_LENGTH);
  });

  it("writes the 18h-byte header then 28h-byte extents", () => {
    const out: GetDcRegionExtentListsOut = {
      hostId: 3,
      startIndex: 2,
      total: 5,
      generation: 7,
      extents: [
        { dpa: 0x90000000, len: 0x4000000, tag: TAG, sharedSeq: 1 },
        { dpa: 0xa0000000, len: 2 * MiB, tag: NULL_UUID, sharedSeq: 0 },
      ],
    };
    const buf = new Uint8Array(0x18 + 2 * 0x28);
    le(buf, 0, 2, 3);
    le(buf, 4, 4, 2);
    le(buf, 8, 4, 2);
    le(buf, 0x0c, 4, 5);
    le(buf, 0x10, 4, 7);
    pokeExtent(buf, 0x18, 0x90000000, 0x4000000, TAG_BYTES, 1);
    pokeExtent(buf, 0x40, 0xa0000000, 2 * MiB, null, 0);
    expect(encodeGetDcRegionExtentListsOut(out)).toEqual(buf);
    expect(value(decodeGetDcRegionExtentListsOut(buf))).toEqual(out);
  });
});

describe("5604h Initiate Dynamic Capacity Add", () => {
  const req: InitiateDcAddIn = {
    hostId: 1,
    selectionPolicy: 2,
    regionNumber: 0,
    length: 0,
    tag: NULL_UUID,
    extents: [
      { dpa: 0x80000000, len: 128 * MiB, tag: TAG, sharedSeq: 0 },
      { dpa: 0x88000000, len: 128 * MiB, tag: NULL_UUID, sharedSeq: 0 },
    ],
  };

  function handBuilt(): Uint8Array {
    const buf = new Uint8Array(0x20 + 2 * 0x28);
    le(buf, 0, 2, 1);
    buf[2] = 2;
    le(buf, 0x1c, 4, 2);
    pokeExtent(buf, 0x20, 0x80000000, 128 * MiB, TAG_BYTES, 0);
    pokeExtent(buf, 0x48, 0x88000000, 128 * MiB, null, 0);
    return buf;
  }

  it("has the header at 00h-1Fh and 40-byte extents from 20h", () => {
    expect(encodeInitiateDcAddIn(req)).toEqual(handBuilt());
    expect(value(decodeInitiateDcAddIn(handBuilt()))).toEqual(req);
  });

  it("reads the policy from bits 3:0 and the free/contiguous fields", () => {
    const buf = new Uint8Array(0x20);
    buf[2] = 0xf1;
    buf[3] = 5;
    le(buf, 4, 8, 256 * MiB);
    buf.set(TAG_BYTES, 0x0c);
    expect(value(decodeInitiateDcAddIn(buf))).toEqual({ hostId: 0, selectionPolicy: 1, regionNumber: 5, length: 256 * MiB, tag: TAG, extents: [] });
  });

  it("refuses a payload that does not match ext_count", () => {
    const buf = handBuilt();
    expect(decodeInitiateDcAddIn(buf.subarray(0, buf.length - 1)).rc).toBe(MBOX_RC.INVALID_PAYLOAD_LENGTH);
    expect(decodeInitiateDcAddIn(Uint8Array.of(...buf, 0)).rc).toBe(MBOX_RC.INVALID_PAYLOAD_LENGTH);
    expect(decodeInitiateDcAddIn(new Uint8Array(0x1f)).rc).toBe(MBOX_RC.INVALID_PAYLOAD_LENGTH);
  });
});

describe("5605h Initiate Dynamic Capacity Release", () => {
  it("packs removal policy, forced removal (bit 4) and sanitize (bit 5) into the flags byte", () => {
    const req: InitiateDcReleaseIn = {
      hostId: 2,
      removalPolicy: 0,
      forcedRemoval: true,
      sanitizeOnRelease: true,
      length: 0,
      tag: TAG,
      extents: [],
    };
    const buf = new Uint8Array(0x20);
    le(buf, 0, 2, 2);
    buf[2] = 0x30;
    buf.set(TAG_BYTES, 0x0c);
    expect(encodeInitiateDcReleaseIn(req)).toEqual(buf);
    expect(value(decodeInitiateDcReleaseIn(buf))).toEqual(req);
    buf[3] = 7; // QEMU's "reg_num": reserved, ignored
    buf[2] = 0x01;
    expect(value(decodeInitiateDcReleaseIn(buf))).toMatchObject({ removalPolicy: 1, forcedRemoval: false, sanitizeOnRelease: false });
  });
});

describe("5606h-5608h tags", () => {
  it("5606h/5607h take exactly a 16-byte tag", () => {
    expect(encodeDcReferenceIn(TAG)).toEqual(Uint8Array.from(TAG_BYTES));
    expect(value(decodeDcReferenceIn(Uint8Array.from(TAG_BYTES)))).toEqual({ tag: TAG });
    expect(decodeDcReferenceIn(new Uint8Array(15)).rc).toBe(MBOX_RC.INVALID_PAYLOAD_LENGTH);
  });

  it("5608h: 8-byte input, 10h-byte header, 54h-byte entries with host bitmaps", () => {
    const inBuf = new Uint8Array(8);
    le(inBuf, 0, 4, 1);
    le(inBuf, 4, 4, 4);
    expect(value(decodeDcListTagsIn(inBuf))).toEqual({ startIndex: 1, count: 4 });
    expect(encodeDcListTagsIn({ startIndex: 1, count: 4 })).toEqual(inBuf);
    expect(decodeDcListTagsIn(new Uint8Array(9)).rc).toBe(MBOX_RC.INVALID_PAYLOAD_LENGTH);

    const out: DcListTagsOut = { generation: 9, totalTags: 3, validityBitmap: 1, tags: [{ tag: TAG, flags: 0x01, hosts: [0, 9, 255], pendingHosts: [3] }] };
    const buf = new Uint8Array(0x10 + 0x54);
    le(buf, 0, 4, 9);
    le(buf, 4, 4, 3);
    le(buf, 8, 4, 1);
    buf[0x0c] = 1;
    buf.set(TAG_BYTES, 0x10);
    buf[0x20] = 0x01;
    buf[0x24] = 0x01; // host 0
    buf[0x25] = 0x02; // host 9
    buf[0x24 + 31] = 0x80; // host 255
    buf[0x44] = 0x08; // pending host 3
    expect(encodeDcListTagsOut(out)).toEqual(buf);
    expect(value(decodeDcListTagsOut(buf))).toEqual(out);
  });
});

const arbTag = fc.oneof(fc.constant(NULL_UUID), fc.uuid().map((u) => u.toLowerCase()));
const arbExtent = fc.record({
  dpa: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  len: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  tag: arbTag,
  sharedSeq: fc.integer({ min: 0, max: 0xffff }),
});

describe("round trips", () => {
  test.prop([
    fc.record({
      hostId: fc.integer({ min: 0, max: 0xffff }),
      selectionPolicy: fc.integer({ min: 0, max: 15 }),
      regionNumber: fc.integer({ min: 0, max: 255 }),
      length: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      tag: arbTag,
      extents: fc.array(arbExtent, { maxLength: 6 }),
    }),
  ])("5604h", (req) => {
    expect(value(decodeInitiateDcAddIn(encodeInitiateDcAddIn(req)))).toEqual(req);
  });

  test.prop([
    fc.record({
      hostId: fc.integer({ min: 0, max: 0xffff }),
      removalPolicy: fc.integer({ min: 0, max: 15 }),
      forcedRemoval: fc.boolean(),
      sanitizeOnRelease: fc.boolean(),
      length: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      tag: arbTag,
      extents: fc.array(arbExtent, { maxLength: 6 }),
    }),
  ])("5605h", (req) => {
    expect(value(decodeInitiateDcReleaseIn(encodeInitiateDcReleaseIn(req)))).toEqual(req);
  });

  test.prop([
    fc.record({
      hostId: fc.integer({ min: 0, max: 0xffff }),
      startIndex: fc.integer({ min: 0, max: 0xffffffff }),
      total: fc.integer({ min: 0, max: 0xffffffff }),
      generation: fc.integer({ min: 0, max: 0xffffffff }),
      extents: fc.array(arbExtent, { maxLength: 6 }),
    }),
  ])("5603h output", (out) => {
    expect(value(decodeGetDcRegionExtentListsOut(encodeGetDcRegionExtentListsOut(out)))).toEqual(out);
  });

  test.prop([
    fc.record({
      hostId: fc.integer({ min: 0, max: 0xffff }),
      numRegions: fc.integer({ min: 0, max: 8 }),
      regions: fc.array(
        fc.record({
          base: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
          decodeLength: fc.integer({ min: 0, max: 2 ** 24 }).map((u) => u * 256 * MiB),
          length: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
          blockSize: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
          flags: fc.integer({ min: 0, max: 255 }),
          sanitizeOnRelease: fc.boolean(),
        }),
        { maxLength: 8 },
      ),
      numExtentsSupported: fc.integer({ min: 0, max: 0xffffffff }),
      numExtentsAvailable: fc.integer({ min: 0, max: 0xffffffff }),
      numTagsSupported: fc.integer({ min: 0, max: 0xffffffff }),
      numTagsAvailable: fc.integer({ min: 0, max: 0xffffffff }),
    }),
  ])("5601h output", (out) => {
    expect(value(decodeGetHostDcRegionConfigOut(encodeGetHostDcRegionConfigOut(out)))).toEqual(out);
  });

  test.prop([
    fc.record({
      generation: fc.integer({ min: 0, max: 0xffffffff }),
      totalTags: fc.integer({ min: 0, max: 0xffffffff }),
      validityBitmap: fc.integer({ min: 0, max: 255 }),
      tags: fc.array(
        fc.record({
          tag: arbTag,
          flags: fc.integer({ min: 0, max: 255 }),
          hosts: fc.uniqueArray(fc.integer({ min: 0, max: 255 })).map((a) => a.sort((x, y) => x - y)),
          pendingHosts: fc.uniqueArray(fc.integer({ min: 0, max: 255 })).map((a) => a.sort((x, y) => x - y)),
        }),
        { maxLength: 4 },
      ),
    }),
  ])("5608h output", (out) => {
    expect(value(decodeDcListTagsOut(encodeDcListTagsOut(out)))).toEqual(out);
  });

  test.prop([fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.boolean()])("5602h", (regionId, blockSize, sanitizeOnRelease) => {
    expect(value(decodeSetDcRegionConfigIn(encodeSetDcRegionConfigIn({ regionId, blockSize, sanitizeOnRelease })))).toEqual({ regionId, blockSize, sanitizeOnRelease });
  });
});
