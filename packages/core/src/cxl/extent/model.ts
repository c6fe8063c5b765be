/**
 * The host's extent objects (kernel: `struct dc_extent`, `struct cxl_dc_tag_group`, the endpoint
 * decoder's DPA window) and the read-only views region drivers receive.
 */
import type { Device } from "../../driver-model/device.js";
import { NULL_UUID } from "../../uuid.js";
import type { ExtentGroup, RegionExtent } from "../region-driver.js";
import { SortedRangeIndex, type RangeEntry } from "./sorted-index.js";

/** One DC partition of a memdev as the memdev probe found it (R4, R7). */
export interface DcExtentPartition {
  /** DC region index (0-7). */
  readonly index: number;
  /** Absolute DPA of the first byte. */
  readonly start: number;
  /** Bytes (Decode Length × 256 MiB). */
  readonly size: number;
  /** CDAT DSMAS sharable flag. */
  readonly sharable: boolean;
}

/** An endpoint decoder of a DC region (1-way interleave: exactly one per region, R62). */
export interface DcRegionTarget {
  readonly memdev: Device;
  /** `decoderE.M`, for log lines. */
  readonly decoder: string;
  /** The decoder's DPA resource. */
  readonly dpaStart: number;
  readonly dpaSize: number;
  /** HPA of the decoder's first byte (the region's start for 1-way). */
  readonly hpaStart: number;
}

/** The region side a target belongs to (implemented by `CxlDaxRegion`). */
export interface RegionSide {
  readonly name: string;
  readonly regionName: string;
  readonly regionId: number;
  readonly hpaStart: number;
}

/** @internal What the per-extent checks (R28) conclude for an extent that passes them. */
export type CheckedExtent<R extends RegionSide> =
  | { readonly kind: "new"; readonly target: TargetState<R>; readonly sharable: boolean }
  | { readonly kind: "duplicate"; readonly target: TargetState<R> };

/** @internal A decoder window with the extents accepted through it. */
export class TargetState<R extends RegionSide = RegionSide> {
  readonly extents = new SortedRangeIndex<DcExtentRecord>();
  readonly dpaStart: number;
  readonly dpaEnd: number;
  /** The passing outcomes of R28 for this window, made once (they carry nothing per extent). */
  readonly isNew: CheckedExtent<R>;
  readonly isNewSharable: CheckedExtent<R>;
  readonly isDuplicate: CheckedExtent<R>;
  constructor(
    readonly target: DcRegionTarget,
    readonly region: R,
  ) {
    this.dpaStart = target.dpaStart;
    this.dpaEnd = target.dpaStart + target.dpaSize;
    this.isNew = Object.freeze({ kind: "new", target: this, sharable: false });
    this.isNewSharable = Object.freeze({ kind: "new", target: this, sharable: true });
    this.isDuplicate = Object.freeze({ kind: "duplicate", target: this });
  }

  contains(dpa: number, len: number): boolean {
    return dpa >= this.dpaStart && dpa + len <= this.dpaEnd;
  }
}

/** 2^30: the unit of the high half of a record's DPA and length (see `DcExtentRecord`). */
const HALF = 0x40000000;
/** Below 2^61 both halves of a non-negative integer are int32. */
const SPLIT_LIMIT = 2 ** 61;

/**
 * @internal `struct dc_extent`.
 *
 * The DPA and the length are each kept as two small integers (multiples of 2^30 and the rest,
 * both made int32 with `| 0`), not as one number: V8 keeps a number field that does not fit a
 * small integer in a heap object of its own, so a record with two such fields was three
 * objects, and a million records are held at once and copied by every young-generation
 * collection they survive. The sequence numbers are made int32 for the same reason.
 */
export class DcExtentRecord implements RangeEntry {
  /** K of `extentZ.K`; -1 until realised. */
  id = -1;
  private readonly dpaHi: number;
  private readonly dpaLo: number;
  private readonly lenHi: number;
  private readonly lenLo: number;

  /** seq_num (R30). */
  readonly seqNum: number;
  /** The device's Shared Extent Sequence (u16). */
  readonly sharedSeq: number;

  constructor(
    dpa: number,
    len: number,
    seqNum: number,
    sharedSeq: number,
    readonly group: TagGroupRecord,
    readonly target: TargetState,
  ) {
    // Both are small integers; `| 0` keeps them so whatever representation the caller's
    // value had (a decoded u16 may arrive as a double, which would be boxed here too).
    this.seqNum = seqNum | 0;
    this.sharedSeq = sharedSeq | 0;
    if (dpa >= 0 && dpa < SPLIT_LIMIT && len >= 0 && len < SPLIT_LIMIT && Number.isInteger(dpa) && Number.isInteger(len)) {
      const dpaHi = (dpa / HALF) | 0;
      const lenHi = (len / HALF) | 0;
      this.dpaHi = dpaHi;
      this.dpaLo = (dpa - dpaHi * HALF) | 0;
      this.lenHi = lenHi;
      this.lenLo = (len - lenHi * HALF) | 0;
    } else {
      // Anything else (a u64 beyond 2^61, which no device uses; never a fraction or a negative
      // number, which the R28 checks refuse first) is kept whole in the low half: exact, only
      // no longer small.
      this.dpaHi = 0;
      this.dpaLo = dpa;
      this.lenHi = 0;
      this.lenLo = len;
    }
  }

  get dpa(): number {
    return this.dpaHi * HALF + this.dpaLo;
  }

  get len(): number {
    return this.lenHi * HALF + this.lenLo;
  }

  /**
   * Region-relative offset (the sysfs `offset`), derived from the decoder window: a stored
   * number this large is a boxed heap number per record, and a million records are held at once.
   */
  get offset(): number {
    const t = this.target.target;
    return t.hpaStart - this.target.region.hpaStart + (this.dpa - t.dpaStart);
  }

  /** `extentZ.K` once realised, "" before (built on demand: a million names cost nothing). */
  get name(): string {
    return this.id < 0 ? "" : `extent${this.group.region.regionId}.${this.id}`;
  }
}

/** @internal `struct cxl_dc_tag_group`. */
export class TagGroupRecord {
  /** Members in seq_num order. */
  readonly members: DcExtentRecord[] = [];
  /** The policy saw `admit`/`accepted` (false while the region's DAX driver is unbound, R32). */
  notified = false;
  /** Never acknowledged: tearing it down sends no Release DC (R31). */
  skipDeviceRelease = false;
  /** In the tag registry and the region's lists. */
  live = false;
  /** A release is running (device, host or teardown); a second one waits for nothing. */
  releasing = false;
  private cachedView: ExtentGroup | undefined;

  constructor(
    readonly tag: string,
    readonly sharable: boolean,
    readonly region: RegionSide,
    readonly memdev: string,
    readonly existing: boolean,
  ) {}

  get tagged(): boolean {
    return this.tag !== NULL_UUID;
  }

  /**
   * The policy's view. One object per group: its extents read `name` from the records, so the
   * same view shows "" while the group is offered and `extentZ.K` once realised.
   */
  view(): ExtentGroup {
    this.cachedView ??= groupView(this);
    return this.cachedView;
  }
}

/**
 * A group's view. Its `extents` are built on first read: a policy that never looks at them (a
 * no-op driver, most `admit`s) costs no object per extent. A class with a prototype getter: an
 * object literal with a getter, or a `defineProperty`, costs microseconds per view in V8.
 * `toJSON` gives the plain shape (with `extents`) to serialisers.
 */
class GroupView implements ExtentGroup {
  readonly tag: string;
  readonly tagged: boolean;
  readonly sharable: boolean;
  readonly region: string;
  readonly memdev: string;
  readonly existing: boolean;
  #extents: readonly RegionExtent[] | undefined;
  readonly #group: TagGroupRecord;

  constructor(g: TagGroupRecord) {
    this.#group = g;
    this.tag = g.tag;
    this.tagged = g.tag !== NULL_UUID;
    this.sharable = g.sharable;
    this.region = g.region.regionName;
    this.memdev = g.memdev;
    this.existing = g.existing;
    this.#extents = undefined;
  }

  get extents(): readonly RegionExtent[] {
    if (this.#extents === undefined) {
      const g = this.#group;
      this.#extents = Object.freeze(g.members.map((m) => new RegionExtentView(m, g.region.hpaStart)));
    }
    return this.#extents;
  }

  toJSON(): ExtentGroup {
    return { tag: this.tag, tagged: this.tagged, sharable: this.sharable, region: this.region, memdev: this.memdev, extents: this.extents, existing: this.existing };
  }
}

function groupView(g: TagGroupRecord): ExtentGroup {
  return new GroupView(g);
}

/** A member as the policy sees it (`RegionExtent`), backed by its record. */
class RegionExtentView implements RegionExtent {
  readonly dpa: number;
  readonly length: number;
  readonly hpa: number;
  readonly offset: number;
  readonly tag: string;
  readonly seqNum: number;
  readonly sharedSeq: number;
  readonly #record: DcExtentRecord;

  constructor(record: DcExtentRecord, hpaStart: number) {
    this.#record = record;
    this.dpa = record.dpa;
    this.length = record.len;
    this.offset = record.offset;
    this.hpa = hpaStart + record.offset;
    this.tag = record.group.tag;
    this.seqNum = record.seqNum;
    this.sharedSeq = record.sharedSeq;
  }

  /** `extentZ.K` once realised, "" while offered. */
  get name(): string {
    return this.#record.name;
  }

  toJSON(): RegionExtent {
    return { dpa: this.dpa, length: this.length, hpa: this.hpa, offset: this.offset, tag: this.tag, seqNum: this.seqNum, sharedSeq: this.sharedSeq, name: this.name };
  }
}
