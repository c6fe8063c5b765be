/**
 * Dynamic Capacity event records (CXL r3.1 Table 8-229) as plain data. The 48-byte common header
 * fields are kept so a record encodes to, and decodes from, its exact 128 bytes.
 */
import type { DcExtent } from "./extent.js";

/** Dynamic Capacity Event Type (record offset 30h). 04h and 05h are written only to the FM's view. */
export const DC_EVENT_TYPE = {
  ADD_CAPACITY: 0,
  RELEASE_CAPACITY: 1,
  FORCED_CAPACITY_RELEASE: 2,
  REGION_CONFIGURATION_UPDATED: 3,
  ADD_CAPACITY_RESPONSE: 4,
  CAPACITY_RELEASED: 5,
} as const;

export type DcEventType = (typeof DC_EVENT_TYPE)[keyof typeof DC_EVENT_TYPE];

/** Event record UUID of every Dynamic Capacity record. */
export const DC_EVENT_UUID = "ca95afa7-f183-4018-8c2f-95268e101a2a";
/** Every event record is 80h bytes. */
export const EVENT_RECORD_LENGTH = 0x80;
/** Record flag byte (35h) bit 0: more records of this event follow. */
export const DC_EVENT_FLAG_MORE = 1 << 0;
/** Validity flags (31h) bit 0: the available extents/tags counters are valid. */
export const DC_EVENT_VALID_COUNTERS = 1 << 0;

/** What the device decides when it writes a record; the log adds handle and timestamp. */
export interface DcEventBody {
  readonly eventType: DcEventType;
  readonly validityFlags: number;
  readonly hostId: number;
  readonly updatedRegionIndex: number;
  readonly more: boolean;
  readonly extent: DcExtent;
  readonly numAvailExtents: number;
  readonly numAvailTags: number;
}

/** A record as stored in (and read from) an event log. */
export interface DcEventRecord extends DcEventBody {
  /** Header flags (11h, 24 bits): bits 1:0 severity, 0 = informational. */
  readonly headerFlags: number;
  /** u16, never 0. */
  readonly handle: number;
  readonly relatedHandle: number;
  /** Device timestamp in nanoseconds (from the injected clock). */
  readonly timestamp: number;
  readonly maintOpClass: number;
  readonly maintOpSubClass: number;
  readonly ldId: number;
  readonly headId: number;
}
