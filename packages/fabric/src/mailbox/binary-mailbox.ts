/**
 * The binary mailbox of a logical device: input bytes in, return code and output bytes out.
 * Length checks follow QEMU's dispatcher (fixed-size commands must match exactly → 
 * INVALID_PAYLOAD_LENGTH) and handlers (4802h/4803h: header first, then 0-entry handling, then
 * header + entries); everything else is the typed operation's.
 */
import type { DeviceCore } from "../device/device-core.js";
import { encodeGetDcConfigOut, decodeGetDcConfigIn, GET_DC_CONFIG_IN_SIZE } from "@dcd/core";
import { CLEAR_EVENT_RECORDS_HEADER, clearEventRecordsCount, decodeClearEventRecordsIn, decodeGetEventRecordsIn } from "@dcd/core";
import { decodeGetExtentListIn, encodeGetExtentListOut, GET_EXTENT_LIST_IN_SIZE } from "@dcd/core";
import { OPCODE } from "@dcd/core";
import { MBOX_RC, type DcdResult, type MboxRc } from "@dcd/core";
import { getU64, readU64, UPDATED_EXTENT_LIST_HEADER, UPDATED_EXTENT_SIZE, updatedExtentCount, view } from "@dcd/core";
import type { HostState } from "../device/host-state.js";
import { RangeList } from "../interval/range-list.js";
import { addCapacityResponseRanges } from "./add-response.js";
import type { LogicalDevice } from "./logical-device.js";
import { getEventRecordsOut } from "./queries.js";
import { releaseCapacityRange, releaseCapacityRanges } from "./release.js";

/** What a mailbox command returns: the return code and the output payload (empty on failure). */
export interface MailboxResponse {
  readonly rc: MboxRc;
  readonly payload: Uint8Array;
}

const EMPTY = new Uint8Array(0);
/** The usual answer of 4802h/4803h/0101h (shared: nothing writes to it, the payload is empty). */
const SUCCESS_NO_OUTPUT: MailboxResponse = Object.freeze({ rc: MBOX_RC.SUCCESS, payload: EMPTY });

function respond<T>(r: DcdResult<T>, encode: (v: T) => Uint8Array): MailboxResponse {
  return r.rc === MBOX_RC.SUCCESS ? { rc: r.rc, payload: encode(r.value) } : { rc: r.rc, payload: EMPTY };
}

function bytesOut(r: DcdResult<Uint8Array>): MailboxResponse {
  return r.rc === MBOX_RC.SUCCESS ? { rc: r.rc, payload: r.value } : { rc: r.rc, payload: EMPTY };
}

function noOutput(r: DcdResult<undefined>): MailboxResponse {
  return r.rc === MBOX_RC.SUCCESS ? SUCCESS_NO_OUTPUT : { rc: r.rc, payload: EMPTY };
}

function badLength(ld: LogicalDevice, core: DeviceCore, opcode: number, why: string): MailboxResponse {
  return { rc: core.reject(ld.hostId, `opcode 0x${opcode.toString(16)}`, MBOX_RC.INVALID_PAYLOAD_LENGTH, why).rc, payload: EMPTY };
}

/**
 * The `n` entries of a 4802h/4803h payload (length already checked), read with the same u64 rule
 * as `decodeUpdatedExtentList` but into a `RangeList`: no object per entry.
 */
function decodeUpdatedRanges(payload: Uint8Array, n: number): RangeList {
  const list = RangeList.ofLength(n);
  // Imports read once, not per entry (under vitest's module runner each read is a getter call).
  const size = UPDATED_EXTENT_SIZE;
  const u64 = readU64;
  const v = view(payload);
  let off = UPDATED_EXTENT_LIST_HEADER;
  for (let i = 0; i < n; i++) {
    list.set(i, u64(v, off), u64(v, off + 8));
    off += size;
  }
  return list;
}

export function executeBinary(ld: LogicalDevice, core: DeviceCore, state: HostState, opcode: number, payload: Uint8Array): MailboxResponse {
  if (payload.length > core.cfg.payloadSize) return badLength(ld, core, opcode, `input of ${payload.length} bytes exceeds the ${core.cfg.payloadSize}-byte payload`);
  switch (opcode) {
    case OPCODE.GET_EVENT_RECORDS:
      if (payload.length !== 1) return badLength(ld, core, opcode, `Get Event Records takes 1 byte, got ${payload.length}`);
      return bytesOut(getEventRecordsOut(core, state, decodeGetEventRecordsIn(payload)));
    case OPCODE.CLEAR_EVENT_RECORDS: {
      if (payload.length < CLEAR_EVENT_RECORDS_HEADER) return badLength(ld, core, opcode, `Clear Event Records needs ${CLEAR_EVENT_RECORDS_HEADER} bytes, got ${payload.length}`);
      const n = clearEventRecordsCount(payload);
      if (payload.length < CLEAR_EVENT_RECORDS_HEADER + 2 * n) return badLength(ld, core, opcode, `${n} handles need ${CLEAR_EVENT_RECORDS_HEADER + 2 * n} bytes, got ${payload.length}`);
      return noOutput(ld.clearEventRecords(decodeClearEventRecordsIn(payload)));
    }
    case OPCODE.GET_DC_CONFIG:
      if (payload.length !== GET_DC_CONFIG_IN_SIZE) return badLength(ld, core, opcode, `4800h takes ${GET_DC_CONFIG_IN_SIZE} bytes, got ${payload.length}`);
      return respond(ld.getDcConfig(decodeGetDcConfigIn(payload)), encodeGetDcConfigOut);
    case OPCODE.GET_DC_EXTENT_LIST:
      if (payload.length !== GET_EXTENT_LIST_IN_SIZE) return badLength(ld, core, opcode, `4801h takes ${GET_EXTENT_LIST_IN_SIZE} bytes, got ${payload.length}`);
      return respond(ld.getExtentList(decodeGetExtentListIn(payload)), encodeGetExtentListOut);
    case OPCODE.ADD_DC_RESPONSE:
    case OPCODE.RELEASE_DC: {
      if (payload.length < UPDATED_EXTENT_LIST_HEADER) return badLength(ld, core, opcode, `updated extent list needs an ${UPDATED_EXTENT_LIST_HEADER}-byte header, got ${payload.length}`);
      const n = updatedExtentCount(payload);
      // 4802h with 0 entries is handled before the length of the entries is checked (QEMU).
      if (n !== 0 && payload.length < UPDATED_EXTENT_LIST_HEADER + n * UPDATED_EXTENT_SIZE) {
        return badLength(ld, core, opcode, `${n} entries need ${UPDATED_EXTENT_LIST_HEADER + n * UPDATED_EXTENT_SIZE} bytes, got ${payload.length}`);
      }
      // One Release DC per extent (Linux): the entry's two numbers, no list.
      if (n === 1 && opcode === OPCODE.RELEASE_DC) return noOutput(releaseCapacityRange(core, state, getU64(payload, UPDATED_EXTENT_LIST_HEADER), getU64(payload, UPDATED_EXTENT_LIST_HEADER + 8)));
      const more = ((payload[4] ?? 0) & 1) !== 0;
      const ranges = decodeUpdatedRanges(payload, n);
      return noOutput(opcode === OPCODE.ADD_DC_RESPONSE ? addCapacityResponseRanges(core, state, more, ranges) : releaseCapacityRanges(core, state, ranges));
    }
    default:
      return { rc: core.reject(ld.hostId, `opcode 0x${opcode.toString(16)}`, MBOX_RC.UNSUPPORTED, `opcode 0x${opcode.toString(16)} is not supported`).rc, payload: EMPTY };
  }
}
