/**
 * The FM API DCD command set (opcodes 5600h-5608h) as binary commands over a device:
 * `execute(opcode, payload)` decodes the input with the exact field layouts, calls the device's
 * typed operation (where every policy decision and return code is made) and encodes the output.
 * Bad input never throws: it answers with the spec's return code and an empty payload.
 *
 * Like QEMU, the command set exists only on devices with DC regions; a device may also be told to
 * implement only some opcodes (QEMU implements 5600h-5605h and answers UNSUPPORTED to the rest).
 */
import { REMOVAL_POLICY_FROM_CODE, SELECTION_POLICY_FROM_CODE } from "../device/types.js";
import { OPCODE } from "@dcd/core";
import { fail, MBOX_RC, type DcdResult, type MboxRc } from "@dcd/core";
import { decodeGetDcRegionExtentListsIn, encodeGetDcRegionExtentListsOut } from "./codecs/dc-region-extent-lists.js";
import { decodeDcListTagsIn, decodeDcReferenceIn, encodeDcListTagsOut } from "./codecs/dc-tags.js";
import { encodeGetDcdInfoOut } from "./codecs/get-dcd-info.js";
import { decodeGetHostDcRegionConfigIn, encodeGetHostDcRegionConfigOut } from "./codecs/host-dc-region-config.js";
import { decodeInitiateDcAddIn } from "./codecs/initiate-dc-add.js";
import { decodeInitiateDcReleaseIn } from "./codecs/initiate-dc-release.js";
import { requireFixedLength } from "./codecs/payload.js";
import { decodeSetDcRegionConfigIn } from "./codecs/set-dc-region-config.js";
import type { FmApiDevice } from "./fm-api-device.js";

/** A command's answer: the return code and the output payload (empty unless SUCCESS). */
export interface FmApiResponse {
  readonly rc: MboxRc;
  readonly payload: Uint8Array;
  /** Why the command failed (the device's sentence), for logs and tests. */
  readonly reason?: string;
}

/** Every DCD FM opcode. */
export const FM_API_DCD_OPCODES: readonly number[] = [
  OPCODE.FM_GET_DCD_INFO,
  OPCODE.FM_GET_HOST_DC_REGION_CONFIG,
  OPCODE.FM_SET_DC_REGION_CONFIG,
  OPCODE.FM_GET_DC_REGION_EXTENT_LISTS,
  OPCODE.FM_INITIATE_DC_ADD,
  OPCODE.FM_INITIATE_DC_RELEASE,
  OPCODE.FM_DC_ADD_REFERENCE,
  OPCODE.FM_DC_REMOVE_REFERENCE,
  OPCODE.FM_DC_LIST_TAGS,
];

/** The opcodes upstream QEMU implements (5606h-5608h answer UNSUPPORTED there). */
export const FM_API_QEMU_OPCODES: readonly number[] = FM_API_DCD_OPCODES.slice(0, 6);

/** 5608h validity_bitmap bit 0: the reference bitmaps of the entries are valid. */
export const TAG_LIST_REF_BITMAPS_VALID = 0x01;
/** 5608h entry flags bit 0 (dcd's reading): the FM holds at least one reference on the tag. */
export const TAG_FLAG_FM_REFERENCED = 0x01;

export interface FmApiOptions {
  /** Opcodes implemented (default: all of 5600h-5608h). Others answer UNSUPPORTED. */
  readonly opcodes?: readonly number[];
}

const EMPTY = new Uint8Array(0);

function answer(r: DcdResult<Uint8Array>): FmApiResponse {
  return r.rc === MBOX_RC.SUCCESS ? { rc: r.rc, payload: r.value } : { rc: r.rc, payload: EMPTY, reason: r.reason };
}

function then<T>(r: DcdResult<T>, encode: (value: T) => Uint8Array): DcdResult<Uint8Array> {
  return r.rc === MBOX_RC.SUCCESS ? { rc: r.rc, value: encode(r.value) } : r;
}

const NO_OUTPUT = (): Uint8Array => EMPTY;

export class FmApi {
  private readonly opcodes: ReadonlySet<number>;

  constructor(
    private readonly device: FmApiDevice,
    options: FmApiOptions = {},
  ) {
    this.opcodes = new Set(options.opcodes ?? FM_API_DCD_OPCODES);
  }

  /** Run one command. Never throws for bad input. */
  execute(opcode: number, payload: Uint8Array): FmApiResponse {
    if (!this.opcodes.has(opcode) || this.device.partitions.length === 0) {
      return { rc: MBOX_RC.UNSUPPORTED, payload: EMPTY, reason: `opcode ${opcode.toString(16).padStart(4, "0")}h is not supported` };
    }
    return answer(this.dispatch(opcode, payload));
  }

  private dispatch(opcode: number, payload: Uint8Array): DcdResult<Uint8Array> {
    const d = this.device;
    switch (opcode) {
      case OPCODE.FM_GET_DCD_INFO: {
        const len = requireFixedLength(payload, 0, "Get DCD Info");
        return len.rc === MBOX_RC.SUCCESS ? { rc: len.rc, value: encodeGetDcdInfoOut(d.getDcdInfo()) } : len;
      }
      case OPCODE.FM_GET_HOST_DC_REGION_CONFIG: {
        const req = decodeGetHostDcRegionConfigIn(payload);
        return req.rc === MBOX_RC.SUCCESS ? then(d.getHostDcRegionConfig(req.value), encodeGetHostDcRegionConfigOut) : req;
      }
      case OPCODE.FM_SET_DC_REGION_CONFIG: {
        const req = decodeSetDcRegionConfigIn(payload);
        return req.rc === MBOX_RC.SUCCESS ? then(d.setDcRegionConfig(req.value), NO_OUTPUT) : req;
      }
      case OPCODE.FM_GET_DC_REGION_EXTENT_LISTS: {
        const req = decodeGetDcRegionExtentListsIn(payload);
        return req.rc === MBOX_RC.SUCCESS ? then(d.getExtentLists(req.value), encodeGetDcRegionExtentListsOut) : req;
      }
      case OPCODE.FM_INITIATE_DC_ADD:
        return this.initiateAdd(payload);
      case OPCODE.FM_INITIATE_DC_RELEASE:
        return this.initiateRelease(payload);
      case OPCODE.FM_DC_ADD_REFERENCE:
      case OPCODE.FM_DC_REMOVE_REFERENCE: {
        const req = decodeDcReferenceIn(payload);
        if (req.rc !== MBOX_RC.SUCCESS) return req;
        return then(opcode === OPCODE.FM_DC_ADD_REFERENCE ? d.addReference(req.value.tag) : d.removeReference(req.value.tag), NO_OUTPUT);
      }
      case OPCODE.FM_DC_LIST_TAGS: {
        const req = decodeDcListTagsIn(payload);
        if (req.rc !== MBOX_RC.SUCCESS) return req;
        return then(d.listTags(req.value), (page) =>
          encodeDcListTagsOut({
            generation: page.generation,
            totalTags: page.total,
            validityBitmap: TAG_LIST_REF_BITMAPS_VALID,
            tags: page.tags.map((t) => ({ tag: t.tag, flags: t.fmRefs > 0 ? TAG_FLAG_FM_REFERENCED : 0, hosts: t.hosts, pendingHosts: t.pendingHosts })),
          }),
        );
      }
      default:
        return fail(MBOX_RC.UNSUPPORTED, `opcode ${opcode.toString(16)}h is not a DCD FM command`);
    }
  }

  /**
   * 5604h: the policy field picks which other fields mean anything. Prescriptive takes the extent
   * list (with per-extent tags and sequences); free and contiguous take region, length and tag;
   * enable shared access takes the tag. Reserved fields are not passed on.
   */
  private initiateAdd(payload: Uint8Array): DcdResult<Uint8Array> {
    const r = decodeInitiateDcAddIn(payload);
    if (r.rc !== MBOX_RC.SUCCESS) return r;
    const req = r.value;
    const policy = SELECTION_POLICY_FROM_CODE[req.selectionPolicy];
    if (policy === undefined) return fail(MBOX_RC.INVALID_INPUT, `selection policy ${req.selectionPolicy} is reserved`);
    switch (policy) {
      case "prescriptive":
        return then(
          this.device.initiateAdd({ hostId: req.hostId, selectionPolicy: policy, extents: req.extents.map((e) => ({ dpa: e.dpa, len: e.len, tag: e.tag, sharedSeq: e.sharedSeq })) }),
          NO_OUTPUT,
        );
      case "free":
      case "contiguous":
        return then(this.device.initiateAdd({ hostId: req.hostId, selectionPolicy: policy, region: req.regionNumber, length: req.length, tag: req.tag }), NO_OUTPUT);
      case "enable-shared-access":
        return then(this.device.initiateAdd({ hostId: req.hostId, selectionPolicy: policy, region: req.regionNumber, tag: req.tag }), NO_OUTPUT);
    }
  }

  /** 5605h: tag-based takes the tag, prescriptive the extent list (tags there are reserved). */
  private initiateRelease(payload: Uint8Array): DcdResult<Uint8Array> {
    const r = decodeInitiateDcReleaseIn(payload);
    if (r.rc !== MBOX_RC.SUCCESS) return r;
    const req = r.value;
    const policy = REMOVAL_POLICY_FROM_CODE[req.removalPolicy];
    if (policy === undefined) return fail(MBOX_RC.INVALID_INPUT, `removal policy ${req.removalPolicy} is reserved`);
    const common = { hostId: req.hostId, removalPolicy: policy, forcedRemoval: req.forcedRemoval, sanitizeOnRelease: req.sanitizeOnRelease };
    const typed = policy === "tag-based" ? { ...common, tag: req.tag } : { ...common, extents: req.extents.map((e) => ({ dpa: e.dpa, len: e.len })) };
    return then(this.device.initiateRelease(typed), NO_OUTPUT);
  }
}
