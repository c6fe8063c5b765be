import { fc, test } from "@fast-check/vitest";
import { NULL_UUID } from "@dcd/core";
import { useLeakCheck } from "@dcd/testing";
import { afterEach, describe, expect, it } from "vitest";
import { DcdDevice } from "../device/device.js";
import { OPCODE } from "@dcd/core";
import { MBOX_RC, type DcdResult } from "@dcd/core";
import { decodeGetDcRegionExtentListsOut, encodeGetDcRegionExtentListsIn } from "./codecs/dc-region-extent-lists.js";
import { decodeDcListTagsOut, encodeDcListTagsIn, encodeDcReferenceIn } from "./codecs/dc-tags.js";
import { decodeGetDcdInfoOut } from "./codecs/get-dcd-info.js";
import { decodeGetHostDcRegionConfigOut, encodeGetHostDcRegionConfigIn } from "./codecs/host-dc-region-config.js";
import { encodeInitiateDcAddIn, type InitiateDcAddIn } from "./codecs/initiate-dc-add.js";
import { encodeInitiateDcReleaseIn, type InitiateDcReleaseIn } from "./codecs/initiate-dc-release.js";
import { encodeSetDcRegionConfigIn } from "./codecs/set-dc-region-config.js";
import { FM_API_DCD_OPCODES, FM_API_QEMU_OPCODES, FmApi } from "./fm-api.js";
import type { FmApiDevice } from "./fm-api-device.js";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const DC_BASE = 2 * GiB;
const TAG = "5be13bce-ae34-4a77-b6c3-16df975fcf1a";

// Compile-time check: the device model satisfies the FM API's view of a device.
const asFmDevice = (d: DcdDevice): FmApiDevice => d;

function value<T>(r: DcdResult<T>): T {
  if (r.rc !== MBOX_RC.SUCCESS) throw new Error(`unexpected rc ${r.rc}: ${r.reason}`);
  return r.value;
}

const devices: DcdDevice[] = [];
function specDevice(): DcdDevice {
  const d = new DcdDevice({
    name: "dcd-spec",
    ramSize: DC_BASE,
    numHosts: 2,
    partitions: [
      { base: DC_BASE, decodeLength: 512 * MiB, length: 512 * MiB, blockSize: 2 * MiB, dsmadHandle: 1, supportedBlockSizes: 2 * MiB | 4 * MiB },
      { base: DC_BASE + 512 * MiB, decodeLength: 256 * MiB, length: 256 * MiB, blockSize: 2 * MiB, dsmadHandle: 2, sharable: true },
    ],
  });
  devices.push(d);
  return d;
}
function qemuDevice(): DcdDevice {
  const d = DcdDevice.fromQemuProperties({ "volatile-memdev": { id: "vmem0", size: 256 * MiB }, "volatile-dc-memdev": { id: "dc0", size: 512 * MiB }, "num-dc-regions": 2 });
  devices.push(d);
  return d;
}

function add(extents: { dpa: number; len: number; tag?: string; sharedSeq?: number }[], over: Partial<InitiateDcAddIn> = {}): Uint8Array {
  return encodeInitiateDcAddIn({
    hostId: 0,
    selectionPolicy: 2,
    regionNumber: 0,
    length: 0,
    tag: NULL_UUID,
    extents: extents.map((e) => ({ dpa: e.dpa, len: e.len, tag: e.tag ?? NULL_UUID, sharedSeq: e.sharedSeq ?? 0 })),
    ...over,
  });
}
function release(over: Partial<InitiateDcReleaseIn>): Uint8Array {
  return encodeInitiateDcReleaseIn({ hostId: 0, removalPolicy: 1, forcedRemoval: false, sanitizeOnRelease: false, length: 0, tag: NULL_UUID, extents: [], ...over });
}

describe("FM API 5600h-5608h over a device", () => {
  useLeakCheck();
  afterEach(() => {
    for (const d of devices.splice(0)) d.dispose();
  });

  it("answers INVALID_PAYLOAD_LENGTH to every wrong fixed input length, changing nothing", () => {
    const d = specDevice();
    const fm = new FmApi(asFmDevice(d));
    const before = d.snapshot();
    const fixed: [number, number][] = [
      [OPCODE.FM_GET_DCD_INFO, 0],
      [OPCODE.FM_GET_HOST_DC_REGION_CONFIG, 4],
      [OPCODE.FM_SET_DC_REGION_CONFIG, 16],
      [OPCODE.FM_GET_DC_REGION_EXTENT_LISTS, 12],
      [OPCODE.FM_DC_ADD_REFERENCE, 16],
      [OPCODE.FM_DC_REMOVE_REFERENCE, 16],
      [OPCODE.FM_DC_LIST_TAGS, 8],
    ];
    for (const [opcode, size] of fixed) {
      for (const wrong of [size + 1, size === 0 ? 4 : size - 1]) {
        expect(fm.execute(opcode, new Uint8Array(wrong)), `${opcode.toString(16)} with ${wrong} bytes`).toMatchObject({ rc: MBOX_RC.INVALID_PAYLOAD_LENGTH, payload: new Uint8Array(0) });
      }
    }
    expect(fm.execute(OPCODE.FM_INITIATE_DC_ADD, new Uint8Array(0x1f)).rc).toBe(MBOX_RC.INVALID_PAYLOAD_LENGTH);
    const short = add([{ dpa: DC_BASE, len: 2 * MiB }]).subarray(0, 0x30);
    expect(fm.execute(OPCODE.FM_INITIATE_DC_ADD, short).rc).toBe(MBOX_RC.INVALID_PAYLOAD_LENGTH);
    expect(fm.execute(OPCODE.FM_INITIATE_DC_RELEASE, new Uint8Array(0x21)).rc).toBe(MBOX_RC.INVALID_PAYLOAD_LENGTH);
    expect(d.snapshot()).toEqual(before);
  });

  it("5600h reports hosts, regions, policy masks and block sizes", () => {
    const spec = value(decodeGetDcdInfoOut(new FmApi(specDevice()).execute(OPCODE.FM_GET_DCD_INFO, new Uint8Array(0)).payload));
    expect(spec).toMatchObject({ numHosts: 2, numRegions: 2, selectionPolicyMask: 0b0111, removalPolicyMask: 0b11, totalDynamicCapacity: 768 * MiB });
    expect(spec.regionBlockSizeMasks).toEqual([6 * MiB, 2 * MiB, 0, 0, 0, 0, 0, 0]);
    const qemu = new FmApi(qemuDevice()).execute(OPCODE.FM_GET_DCD_INFO, new Uint8Array(0));
    expect(qemu.payload).toHaveLength(84);
    expect(value(decodeGetDcdInfoOut(qemu.payload))).toEqual({
      numHosts: 1,
      numRegions: 2,
      selectionPolicyMask: 0x0004,
      removalPolicyMask: 0x0002,
      sanitizeOnReleaseConfigMask: 0,
      totalDynamicCapacity: 512 * MiB,
      regionBlockSizeMasks: [0x200000, 0x200000, 0, 0, 0, 0, 0, 0],
    });
  });

  it("5601h pages region records; a start past the last region is INVALID_INPUT", () => {
    const fm = new FmApi(specDevice());
    const r = fm.execute(OPCODE.FM_GET_HOST_DC_REGION_CONFIG, encodeGetHostDcRegionConfigIn({ hostId: 1, regionCount: 8, startRegion: 1 }));
    expect(value(decodeGetHostDcRegionConfigOut(r.payload))).toEqual({
      hostId: 1,
      numRegions: 2,
      regions: [{ base: DC_BASE + 512 * MiB, decodeLength: 256 * MiB, length: 256 * MiB, blockSize: 2 * MiB, flags: 0x08, sanitizeOnRelease: false }],
      numExtentsSupported: 512,
      numExtentsAvailable: 512,
      numTagsSupported: 512,
      numTagsAvailable: 512,
    });
    expect(fm.execute(OPCODE.FM_GET_HOST_DC_REGION_CONFIG, encodeGetHostDcRegionConfigIn({ hostId: 0, regionCount: 1, startRegion: 2 })).rc).toBe(MBOX_RC.INVALID_INPUT);
    expect(fm.execute(OPCODE.FM_GET_HOST_DC_REGION_CONFIG, encodeGetHostDcRegionConfigIn({ hostId: 9, regionCount: 1, startRegion: 0 })).rc).toBe(MBOX_RC.INVALID_INPUT);
  });

  it("5602h changes a free region's block size and refuses unsupported sizes", () => {
    const d = specDevice();
    const fm = new FmApi(d);
    expect(fm.execute(OPCODE.FM_SET_DC_REGION_CONFIG, encodeSetDcRegionConfigIn({ regionId: 0, blockSize: 3 * MiB, sanitizeOnRelease: false })).rc).toBe(MBOX_RC.INVALID_INPUT);
    expect(fm.execute(OPCODE.FM_SET_DC_REGION_CONFIG, encodeSetDcRegionConfigIn({ regionId: 8, blockSize: 2 * MiB, sanitizeOnRelease: false })).rc).toBe(MBOX_RC.UNSUPPORTED);
    expect(fm.execute(OPCODE.FM_SET_DC_REGION_CONFIG, encodeSetDcRegionConfigIn({ regionId: 0, blockSize: 4 * MiB, sanitizeOnRelease: false })).rc).toBe(MBOX_RC.SUCCESS);
    expect(d.partitions[0]?.blockSize).toBe(4 * MiB);
  });

  it("5604h prescriptive: one pending group with per-extent tags; 5603h lists only accepted extents", () => {
    const d = specDevice();
    const fm = new FmApi(d);
    const r = fm.execute(OPCODE.FM_INITIATE_DC_ADD, add([{ dpa: DC_BASE, len: 4 * MiB, tag: TAG }, { dpa: DC_BASE + 8 * MiB, len: 2 * MiB }], { hostId: 1 }));
    expect(r).toEqual({ rc: MBOX_RC.SUCCESS, payload: new Uint8Array(0) });
    expect(d.pendingGroups(1)).toHaveLength(1);
    expect(d.pendingGroups(1)[0]?.extents).toEqual([
      { dpa: DC_BASE, len: 4 * MiB, tag: TAG, sharedSeq: 0 },
      { dpa: DC_BASE + 8 * MiB, len: 2 * MiB, tag: NULL_UUID, sharedSeq: 0 },
    ]);
    const list = (): unknown => value(decodeGetDcRegionExtentListsOut(fm.execute(OPCODE.FM_GET_DC_REGION_EXTENT_LISTS, encodeGetDcRegionExtentListsIn({ hostId: 1, extentCount: 8, startIndex: 0 })).payload));
    expect(list()).toMatchObject({ hostId: 1, total: 0, extents: [] });
    value(d.logicalDevice(1).addCapacityResponse({ more: false, extents: [{ dpa: DC_BASE, len: 4 * MiB }] }));
    expect(list()).toMatchObject({ hostId: 1, total: 1, extents: [{ dpa: DC_BASE, len: 4 * MiB, tag: TAG, sharedSeq: 0 }] });
    // The same range again is already accessible to the host.
    expect(fm.execute(OPCODE.FM_INITIATE_DC_ADD, add([{ dpa: DC_BASE, len: 2 * MiB }], { hostId: 1 })).rc).toBe(MBOX_RC.INVALID_EXTENT_LIST);
  });

  it("5604h free, contiguous and enable-shared-access reach the device's allocator", () => {
    const d = specDevice();
    const fm = new FmApi(d);
    expect(fm.execute(OPCODE.FM_INITIATE_DC_ADD, add([], { selectionPolicy: 0, regionNumber: 0, length: 6 * MiB })).rc).toBe(MBOX_RC.SUCCESS);
    expect(d.pendingGroups(0)[0]?.extents.reduce((s, e) => s + e.len, 0)).toBe(6 * MiB);
    expect(fm.execute(OPCODE.FM_INITIATE_DC_ADD, add([], { selectionPolicy: 1, regionNumber: 1, length: 8 * MiB, tag: TAG })).rc).toBe(MBOX_RC.SUCCESS);
    const shared = d.pendingGroups(0)[1]?.extents ?? [];
    expect(shared).toHaveLength(1);
    value(d.logicalDevice(0).addCapacityResponse({ more: false, extents: [] }));
    value(d.logicalDevice(0).addCapacityResponse({ more: false, extents: shared.map((e) => ({ dpa: e.dpa, len: e.len })) }));
    expect(fm.execute(OPCODE.FM_INITIATE_DC_ADD, add([], { hostId: 1, selectionPolicy: 3, tag: TAG })).rc).toBe(MBOX_RC.SUCCESS);
    expect(d.pendingGroups(1)[0]?.extents).toEqual(shared);
    // Free with a length that is not a block multiple; reserved policy values.
    expect(fm.execute(OPCODE.FM_INITIATE_DC_ADD, add([], { selectionPolicy: 0, length: MiB })).rc).toBe(MBOX_RC.INVALID_INPUT);
    expect(fm.execute(OPCODE.FM_INITIATE_DC_ADD, add([], { selectionPolicy: 4 })).rc).toBe(MBOX_RC.INVALID_INPUT);
  });

  it("5605h prescriptive, tag-based, forced and sanitize-on-release", () => {
    const d = specDevice();
    const fm = new FmApi(d);
    value(d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [{ dpa: DC_BASE, len: 8 * MiB }, { dpa: DC_BASE + 16 * MiB, len: 4 * MiB, tag: TAG }] }));
    // Still pending: a non-forced release of it is INVALID_PA.
    expect(fm.execute(OPCODE.FM_INITIATE_DC_RELEASE, release({ extents: [{ dpa: DC_BASE, len: 2 * MiB, tag: NULL_UUID, sharedSeq: 0 }] })).rc).toBe(MBOX_RC.INVALID_PA);
    value(d.logicalDevice(0).addCapacityResponse({ more: false, extents: [{ dpa: DC_BASE, len: 8 * MiB }, { dpa: DC_BASE + 16 * MiB, len: 4 * MiB }] }));
    const log = d.logicalDevice(0).eventLog;
    const records = log.snapshot().records.length;
    expect(fm.execute(OPCODE.FM_INITIATE_DC_RELEASE, release({ extents: [{ dpa: DC_BASE, len: 2 * MiB, tag: NULL_UUID, sharedSeq: 0 }], sanitizeOnRelease: true })).rc).toBe(MBOX_RC.SUCCESS);
    expect(log.snapshot().records.length).toBe(records + 1);
    expect(d.acceptedExtents(0)).toHaveLength(2); // nothing changes until the host answers
    expect(fm.execute(OPCODE.FM_INITIATE_DC_RELEASE, release({ removalPolicy: 0, tag: TAG })).rc).toBe(MBOX_RC.SUCCESS);
    expect(fm.execute(OPCODE.FM_INITIATE_DC_RELEASE, release({ removalPolicy: 0, tag: NULL_UUID })).rc).toBe(MBOX_RC.INVALID_INPUT);
    expect(fm.execute(OPCODE.FM_INITIATE_DC_RELEASE, release({ extents: [{ dpa: DC_BASE + 2 * MiB, len: 2 * MiB, tag: NULL_UUID, sharedSeq: 0 }], forcedRemoval: true })).rc).toBe(MBOX_RC.SUCCESS);
    expect(d.acceptedExtents(0).map((e) => [e.dpa - DC_BASE, e.len])).toEqual([
      [0, 2 * MiB],
      [4 * MiB, 4 * MiB],
      [16 * MiB, 4 * MiB],
    ]);
    expect(fm.execute(OPCODE.FM_INITIATE_DC_RELEASE, release({ removalPolicy: 2 })).rc).toBe(MBOX_RC.INVALID_INPUT);
  });

  it("5606h-5608h: references and the tag list with host bitmaps", () => {
    const d = specDevice();
    const fm = new FmApi(d);
    expect(fm.execute(OPCODE.FM_DC_ADD_REFERENCE, encodeDcReferenceIn(TAG)).rc).toBe(MBOX_RC.INVALID_INPUT);
    value(d.initiateAdd({ hostId: 1, selectionPolicy: "prescriptive", extents: [{ dpa: DC_BASE + 512 * MiB, len: 2 * MiB, tag: TAG }] }));
    expect(fm.execute(OPCODE.FM_DC_ADD_REFERENCE, encodeDcReferenceIn(TAG)).rc).toBe(MBOX_RC.SUCCESS);
    const tags = value(decodeDcListTagsOut(fm.execute(OPCODE.FM_DC_LIST_TAGS, encodeDcListTagsIn({ startIndex: 0, count: 4 })).payload));
    expect(tags).toMatchObject({ totalTags: 1, validityBitmap: 1, tags: [{ tag: TAG, flags: 1, hosts: [], pendingHosts: [1] }] });
    expect(fm.execute(OPCODE.FM_DC_REMOVE_REFERENCE, encodeDcReferenceIn(TAG)).rc).toBe(MBOX_RC.SUCCESS);
    expect(fm.execute(OPCODE.FM_DC_REMOVE_REFERENCE, encodeDcReferenceIn(TAG)).rc).toBe(MBOX_RC.INVALID_INPUT);
  });

  it("a QEMU-profile device refuses the policies QEMU lacks, and the QEMU opcode set answers UNSUPPORTED past 5605h", () => {
    const d = qemuDevice();
    const fm = new FmApi(d, { opcodes: FM_API_QEMU_OPCODES });
    const before = d.snapshot();
    expect(fm.execute(OPCODE.FM_INITIATE_DC_ADD, add([], { selectionPolicy: 0, length: 2 * MiB })).rc).toBe(MBOX_RC.INVALID_INPUT);
    expect(fm.execute(OPCODE.FM_INITIATE_DC_RELEASE, release({ removalPolicy: 0, tag: TAG })).rc).toBe(MBOX_RC.INVALID_INPUT);
    expect(fm.execute(OPCODE.FM_DC_LIST_TAGS, encodeDcListTagsIn({ startIndex: 0, count: 1 })).rc).toBe(MBOX_RC.UNSUPPORTED);
    expect(fm.execute(OPCODE.FM_DC_ADD_REFERENCE, encodeDcReferenceIn(TAG)).rc).toBe(MBOX_RC.UNSUPPORTED);
    expect(d.snapshot()).toEqual(before);
    expect(fm.execute(OPCODE.FM_INITIATE_DC_ADD, add([{ dpa: 256 * MiB, len: 2 * MiB }])).rc).toBe(MBOX_RC.SUCCESS);
  });

  it("has no DCD command set on a device without DC regions, nor for other opcodes", () => {
    const d = DcdDevice.fromQemuProperties({ "volatile-memdev": { id: "m0", size: 256 * MiB } });
    devices.push(d);
    expect(new FmApi(d).execute(OPCODE.FM_GET_DCD_INFO, new Uint8Array(0)).rc).toBe(MBOX_RC.UNSUPPORTED);
    expect(new FmApi(specDevice()).execute(0x5609, new Uint8Array(0)).rc).toBe(MBOX_RC.UNSUPPORTED);
  });

  test.prop([fc.constantFrom(...FM_API_DCD_OPCODES), fc.uint8Array({ maxLength: 0x80 })], { numRuns: 300 })(
    "never throws on arbitrary input, and a refused command leaves the device exactly as it was",
    (opcode, payload) => {
      const d = specDevice();
      value(d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [{ dpa: DC_BASE, len: 4 * MiB }] }));
      const before = d.snapshot();
      const r = new FmApi(d).execute(opcode, payload);
      if (r.rc !== MBOX_RC.SUCCESS) {
        expect(r.payload).toHaveLength(0);
        expect(d.snapshot()).toEqual(before);
      }
      d.dispose();
      devices.splice(devices.indexOf(d), 1);
    },
  );
});
