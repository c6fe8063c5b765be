/**
 * The host's mailbox client (drivers/cxl/core/mbox.c): typed DCD and event-log commands over the
 * wire codecs of `cxl/wire`, with Linux's error behaviour:
 *
 * - a failing return code becomes a {@link DcdError} whose `code` is the errno of
 *   `cxl_mbox_cmd_rc2errno()` (see `rc-errno.ts`), with `detail.rc`/`detail.rcName`/`detail.opcode`;
 * - an input larger than the payload size is E2BIG before anything is sent (`cxl_internal_send_cmd`);
 * - an output shorter than the command's minimum is EIO (`min_out`).
 *
 * Long lists are split the way the kernel splits them: Add DC Response (4802h) and Release DC
 * (4803h) carry ⌊(payload − 8) / 24⌋ entries per payload with More=1 on every payload but the last;
 * Clear Event Records carries at most 255 handles per command; 4800h is paged by region index.
 */
import { errno, isDcdError } from "../../errors.js";
import { decodeGetDcConfigOut, encodeGetDcConfigIn, type DcConfig, type DcRegionConfig } from "../wire/dc-config.js";
import { DC_EXTENT_SIZE } from "../wire/dc-extent.js";
import { EVENT_RECORD_LENGTH } from "../wire/dc-event.js";
import type { DcEventRecordHead } from "../wire/event-record.js";
import { decodeGetEventRecordColumns, decodeGetEventRecordHeads, decodeGetEventRecordsOut, type DcEventRecordColumns, encodeClearEventRecordsIn, encodeGetEventRecordsIn, CLEAR_EVENT_RECORDS_HEADER, GET_EVENT_RECORDS_HEADER, type EventRecordsPage } from "../wire/event-records-payload.js";
import type { DpaRange } from "../wire/extent.js";
import { decodeGetExtentListOut, encodeGetExtentListIn, EXTENT_LIST_OUT_HEADER, type ExtentListPage } from "../wire/extent-list.js";
import { OPCODE } from "../wire/opcodes.js";
import { mboxRcName } from "../wire/rc.js";
import { encodeSingleUpdatedExtent, encodeUpdatedExtentList, UPDATED_EXTENT_LIST_HEADER, UPDATED_EXTENT_SIZE } from "../wire/updated-extent-list.js";
import { mboxRcToErrno } from "./rc-errno.js";
import type { CxlMailboxTransport } from "./transport.js";

/** QEMU's (and the fabric device's) default mailbox payload size. */
export const DEFAULT_MBOX_PAYLOAD_SIZE = 2048;
/** `CXL_CLEAR_EVENT_MAX_HANDLES`: the handle count of 0101h is a u8. */
export const CLEAR_EVENT_MAX_HANDLES = 255;
/** `CXL_MAX_DC_PARTITIONS`: a device has 1-8 DC regions. */
export const CXL_MAX_DC_PARTITIONS = 8;

const COMMAND_NAME: Readonly<Record<number, string>> = {
  [OPCODE.GET_EVENT_RECORDS]: "Get Event Records",
  [OPCODE.CLEAR_EVENT_RECORDS]: "Clear Event Records",
  [OPCODE.GET_DC_CONFIG]: "Get DC Configuration",
  [OPCODE.GET_DC_EXTENT_LIST]: "Get DC Extent List",
  [OPCODE.ADD_DC_RESPONSE]: "Add DC Response",
  [OPCODE.RELEASE_DC]: "Release DC",
};

function commandName(opcode: number): string {
  return `${COMMAND_NAME[opcode] ?? "command"} (0x${opcode.toString(16).padStart(4, "0")})`;
}

export interface CxlMailboxOptions {
  /** Names the memdev in error messages (`mem0`). */
  readonly name?: string;
  /** Overrides the transport's payload size. */
  readonly payloadSize?: number;
}

/** Counts of commands sent, by opcode (for tests and benchmarks). */
export type MailboxCommandCounts = ReadonlyMap<number, number>;

export class CxlMailbox {
  readonly name: string;
  /** Mailbox payload size in bytes. */
  readonly payloadSize: number;
  private readonly counts = new Map<number, number>();
  /** The payload registers of single-extent Release DC commands (see `CxlMailboxTransport`). */
  private releaseRegisters: Uint8Array | undefined;

  constructor(
    private readonly transport: CxlMailboxTransport,
    options: CxlMailboxOptions = {},
  ) {
    this.name = options.name ?? "mailbox";
    const size = options.payloadSize ?? transport.payloadSize ?? DEFAULT_MBOX_PAYLOAD_SIZE;
    if (!Number.isSafeInteger(size) || size < 256) throw errno("EINVAL", `${this.name}: mailbox payload size ${size} is below the spec minimum of 256 bytes`);
    this.payloadSize = size;
  }

  /** Entries of one 4802h/4803h payload: 170 for 4 KiB, 85 for 2 KiB. */
  get updatedExtentsPerPayload(): number {
    return Math.floor((this.payloadSize - UPDATED_EXTENT_LIST_HEADER) / UPDATED_EXTENT_SIZE);
  }

  /** Extents of one 4801h page. */
  get extentsPerPage(): number {
    return Math.floor((this.payloadSize - EXTENT_LIST_OUT_HEADER) / DC_EXTENT_SIZE);
  }

  /** Event records one 0100h output can hold. */
  get eventRecordsPerPage(): number {
    return Math.floor((this.payloadSize - GET_EVENT_RECORDS_HEADER) / EVENT_RECORD_LENGTH);
  }

  /** Commands sent so far, by opcode (failed ones included). */
  get commandCounts(): MailboxCommandCounts {
    return this.counts;
  }

  /**
   * Send one command (`cxl_internal_send_cmd`). Returns the output bytes; throws E2BIG for an
   * oversized input, the rc's errno for a failure, EIO for an output shorter than `minOut`.
   */
  send(opcode: number, input: Uint8Array, minOut = 0): Uint8Array {
    if (input.length > this.payloadSize) {
      throw errno("E2BIG", `${this.name}: ${commandName(opcode)} input of ${input.length} bytes exceeds the ${this.payloadSize}-byte payload`, { detail: { opcode } });
    }
    this.counts.set(opcode, (this.counts.get(opcode) ?? 0) + 1);
    const reply = this.transport.execute(opcode, input);
    const code = mboxRcToErrno(reply.rc);
    if (code !== undefined) {
      const rcName = mboxRcName(reply.rc);
      throw errno(code, `${this.name}: ${commandName(opcode)} failed: ${rcName}`, { detail: { opcode, rc: reply.rc, rcName } });
    }
    if (reply.payload.length < minOut) {
      throw errno("EIO", `${this.name}: ${commandName(opcode)} returned ${reply.payload.length} bytes, need ${minOut}`, { detail: { opcode, have: reply.payload.length, need: minOut } });
    }
    return reply.payload;
  }

  /** One 4800h page: up to `regionCount` region configurations from `startRegion`. */
  getDcConfigPage(regionCount: number, startRegion: number): DcConfig {
    const out = this.send(OPCODE.GET_DC_CONFIG, encodeGetDcConfigIn({ regionCount, startRegion }), 8);
    return this.decode(OPCODE.GET_DC_CONFIG, () => decodeGetDcConfigOut(out));
  }

  /**
   * 4800h paged by Starting Region Index until every available region was returned (R1). The
   * device-wide counters are those of the last page. EIO when a page returns no region while more
   * are announced; the geometry itself is checked by the memdev probe (R3), not here.
   */
  getDcConfig(): DcConfig {
    const regions: DcRegionConfig[] = [];
    let page = this.getDcConfigPage(CXL_MAX_DC_PARTITIONS, 0);
    regions.push(...page.regions);
    while (regions.length < page.numRegions && regions.length < CXL_MAX_DC_PARTITIONS) {
      const next = this.getDcConfigPage(CXL_MAX_DC_PARTITIONS - regions.length, regions.length);
      if (next.regions.length === 0) {
        throw errno("EIO", `${this.name}: Get DC Configuration returned no region at index ${regions.length} of ${page.numRegions}`, { detail: { index: regions.length, available: page.numRegions } });
      }
      regions.push(...next.regions);
      page = next;
    }
    return { ...page, regions };
  }

  /** One 4801h page (`extentCount` 0 returns only the total and the generation number). */
  getDcExtentList(req: { readonly extentCount: number; readonly startIndex: number }): ExtentListPage {
    const out = this.send(OPCODE.GET_DC_EXTENT_LIST, encodeGetExtentListIn(req), EXTENT_LIST_OUT_HEADER);
    return this.decode(OPCODE.GET_DC_EXTENT_LIST, () => decodeGetExtentListOut(out));
  }

  /** 0100h: as many records of `logType` as one payload holds. */
  getEventRecords(logType: number): EventRecordsPage {
    const out = this.send(OPCODE.GET_EVENT_RECORDS, encodeGetEventRecordsIn({ logType }), GET_EVENT_RECORDS_HEADER);
    return this.decode(OPCODE.GET_EVENT_RECORDS, () => decodeGetEventRecordsOut(out));
  }

  /**
   * 0100h as the kernel's DC event handler reads it: per record only the handle, type, More and
   * extent (`cxl_mem_get_records_log` hands the rest to trace points nobody may read).
   */
  getDcEventRecordHeads(logType: number): DcEventRecordHead[] {
    const out = this.send(OPCODE.GET_EVENT_RECORDS, encodeGetEventRecordsIn({ logType }), GET_EVENT_RECORDS_HEADER);
    return this.decode(OPCODE.GET_EVENT_RECORDS, () => decodeGetEventRecordHeads(out));
  }

  /** {@link getDcEventRecordHeads} as columns (`cxl_mem_get_records_log`'s loop needs no object per record). */
  getDcEventRecordColumns(logType: number): DcEventRecordColumns {
    const out = this.send(OPCODE.GET_EVENT_RECORDS, encodeGetEventRecordsIn({ logType }), GET_EVENT_RECORDS_HEADER);
    return this.decode(OPCODE.GET_EVENT_RECORDS, () => decodeGetEventRecordColumns(out));
  }

  /** 0101h for `handles`, split into commands of at most 255 handles that fit the payload. */
  clearEventRecords(logType: number, handles: readonly number[]): void {
    const max = Math.min(CLEAR_EVENT_MAX_HANDLES, Math.floor((this.payloadSize - CLEAR_EVENT_RECORDS_HEADER) / 2));
    for (let i = 0; i < handles.length; i += max) {
      this.send(OPCODE.CLEAR_EVENT_RECORDS, encodeClearEventRecordsIn({ logType, clearAll: false, handles: handles.slice(i, i + max) }));
    }
  }

  /**
   * 4802h: one logical response for one Add event or More-chain (R12, R34). An empty list is one
   * payload with 0 entries and flags 0 (decline everything); a long list is split with More=1 on
   * every payload except the last. Returns the number of payloads sent.
   */
  addDcResponse(extents: readonly DpaRange[]): number {
    return this.sendUpdatedExtentList(OPCODE.ADD_DC_RESPONSE, extents);
  }

  /**
   * 4803h: release `extents` (non-empty). Linux sends one command per extent (R44); a caller that
   * passes several gets them split across payloads with More like 4802h. Returns payloads sent.
   */
  releaseDc(extents: readonly DpaRange[]): number {
    if (extents.length === 0) throw errno("EINVAL", `${this.name}: Release DC needs at least one extent`);
    if (extents.length === 1) {
      const e = extents[0] as DpaRange;
      this.releaseDcExtent(e.dpa, e.len);
      return 1;
    }
    return this.sendUpdatedExtentList(OPCODE.RELEASE_DC, extents);
  }

  /**
   * 4803h for one extent (`memdev_release_extent`, the kernel's one command per extent, R44):
   * the input is written into the reused payload registers, as on hardware, instead of a new
   * buffer (and list) per extent.
   */
  releaseDcExtent(dpa: number, len: number): void {
    this.send(OPCODE.RELEASE_DC, encodeSingleUpdatedExtent((this.releaseRegisters ??= new Uint8Array(UPDATED_EXTENT_LIST_HEADER + UPDATED_EXTENT_SIZE)), dpa, len));
  }

  private sendUpdatedExtentList(opcode: number, extents: readonly DpaRange[]): number {
    const per = this.updatedExtentsPerPayload;
    if (extents.length <= per) {
      this.send(opcode, encodeUpdatedExtentList({ more: false, extents }));
      return 1;
    }
    let sent = 0;
    for (let i = 0; i < extents.length; i += per) {
      const chunk = extents.slice(i, i + per);
      this.send(opcode, encodeUpdatedExtentList({ more: i + per < extents.length, extents: chunk }));
      sent++;
    }
    return sent;
  }

  /** A malformed output is EIO, as a too-short one is in the kernel. */
  private decode<T>(opcode: number, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (isDcdError(err, "EINVAL")) throw errno("EIO", `${this.name}: ${commandName(opcode)}: ${err.message}`, { cause: err, detail: { opcode } });
      throw err;
    }
  }
}
