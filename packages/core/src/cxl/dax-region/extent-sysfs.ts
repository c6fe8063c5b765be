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

/** The attribute files of one `extentZ.K` directory. */
export function extentAttributes(r: DcExtentRecord, showUntaggedUuid: boolean): ReadonlyMap<string, AttributeSpec> {
  const files = new Map<string, AttributeSpec>([
    ["uevent", { show: () => "DEVTYPE=extent\n" }],
    ["offset", { show: () => hexAlt(r.offset) }],
    ["length", { show: () => hexAlt(r.len) }],
  ]);
  if (r.group.tagged || showUntaggedUuid) files.set("uuid", { show: () => r.group.tag });
  return files;
}

/** The `dax_regionZ` directory's source of `extentZ.K` children. */
export function extentDirSource(extents: Pick<IdTable<DcExtentRecord>, "get" | "values">, regionId: number, showUntaggedUuid: boolean): SysfsDirSource {
  const prefix = `extent${regionId}.`;
  return {
    *names() {
      for (const r of extents.values()) yield r.name;
    },
    lookup(name) {
      if (!name.startsWith(prefix)) return undefined;
      const digits = name.slice(prefix.length);
      if (!/^\d+$/.test(digits)) return undefined;
      const r = extents.get(Number(digits));
      // `extent0.01` is not `extent0.1`.
      return r === undefined || String(r.id) !== digits ? undefined : extentAttributes(r, showUntaggedUuid);
    },
  };
}
