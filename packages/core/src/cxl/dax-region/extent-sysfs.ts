/**
 * `extentZ.K`: one accepted extent, a bus-less child device of `dax_regionZ`
 * (drivers/cxl/core/extent.c `dc_extent_type`). Attributes: `offset` and `length` (`%#llx`,
 * region-relative HPA), `uuid` (the group's tag), hidden for untagged extents in v11
 * (`dc_extent_visible`; v9/v10 show the null UUID), and the `uevent` every device has.
 *
 * A bus-less device sends no uevent and no bus notification, so all a host can observe of it is
 * its sysfs directory. dcd therefore keeps extents as records and serves their directories from
 * a sysfs directory source on `dax_regionZ`: a million extents cost no sysfs nodes until read.
 */
import type { AttributeSpec, SysfsDirSource } from "../../sysfs/sysfs-tree.js";
import { hexAlt } from "../extent/format.js";
import type { IdTable } from "../extent/id-table.js";
import type { DcExtentRecord } from "../extent/model.js";

/** A live extent as sysfs and the region's API describe it. */
export interface DcExtentInfo {
  /** `extentZ.K`. */
  readonly name: string;
  /** K. */
  readonly id: number;
  /** Region-relative HPA offset (`offset`). */
  readonly offset: number;
  readonly length: number;
  /** Absolute DPA on the memdev. */
  readonly dpa: number;
  /** The group's tag (`uuid`; the null UUID when untagged). */
  readonly uuid: string;
  readonly seqNum: number;
}

export function extentInfo(r: DcExtentRecord): DcExtentInfo {
  return { name: r.name, id: r.id, offset: r.offset, length: r.len, dpa: r.dpa, uuid: r.group.tag, seqNum: r.seqNum };
}

/** `uevent` reads the same for every extent. */
const UEVENT: AttributeSpec = { show: () => "DEVTYPE=extent\n" };

/**
 * The attribute files of one `extentZ.K` directory. A record's `offset`, `len` and group never
 * change, so the values are formatted once, on the first lookup.
 */
function extentAttributes(r: DcExtentRecord, showUntaggedUuid: boolean): ReadonlyMap<string, AttributeSpec> {
  const offset = hexAlt(r.offset);
  const length = hexAlt(r.len);
  const files = new Map<string, AttributeSpec>([
    ["uevent", UEVENT],
    ["offset", { show: () => offset }],
    ["length", { show: () => length }],
  ]);
  if (r.group.tagged || showUntaggedUuid) {
    const tag = r.group.tag;
    files.set("uuid", { show: () => tag });
  }
  return files;
}

/** Ids are u32 (`xa_alloc`): 10 digits at most, so any longer name is no extent's. */
const MAX_ID_DIGITS = 10;
const DIGIT_0 = 48;

/** K of `extentZ.K` when `name` is `prefix` then K in canonical decimal, else -1. */
function idOf(name: string, prefix: string): number {
  const start = prefix.length;
  const digits = name.length - start;
  // `lastIndexOf(prefix, 0) === 0` is startsWith, cheaper in V8 on this hot path.
  if (digits < 1 || digits > MAX_ID_DIGITS || name.lastIndexOf(prefix, 0) !== 0) return -1;
  // `extent0.01` is not `extent0.1`.
  if (digits > 1 && name.charCodeAt(start) === DIGIT_0) return -1;
  let id = 0;
  for (let i = start; i < name.length; i++) {
    const d = name.charCodeAt(i) - DIGIT_0;
    if (d < 0 || d > 9) return -1;
    id = id * 10 + d;
  }
  return id;
}

/**
 * The `dax_regionZ` directory's source of `extentZ.K` children. `cxl list` looks each extent
 * directory up once per file it reads, so the files of a record are kept for as long as the
 * record lives (weakly: a released extent's record takes them with it; a reused id has a new record).
 */
export function extentDirSource(extents: Pick<IdTable<DcExtentRecord>, "get" | "values">, regionId: number, showUntaggedUuid: boolean): SysfsDirSource {
  const prefix = `extent${regionId}.`;
  const files = new WeakMap<DcExtentRecord, ReadonlyMap<string, AttributeSpec>>();
  return {
    *names() {
      for (const r of extents.values()) yield r.name;
    },
    lookup(name) {
      const id = idOf(name, prefix);
      const r = id < 0 ? undefined : extents.get(id);
      if (r === undefined) return undefined;
      let f = files.get(r);
      if (f === undefined) {
        f = extentAttributes(r, showUntaggedUuid);
        files.set(r, f);
      }
      return f;
    },
  };
}
