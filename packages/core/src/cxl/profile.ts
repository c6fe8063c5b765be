/**
 * Which kernel series the CXL core behaves as (host-rules §0.3, §6). The default is v11: the DC
 * partition mode is `dynamic_ram_1`, and the DSMAD handle's reserved bits are checked (R3). v9 and
 * v10 name it `dynamic_ram_a` (`create_dynamic_ram_a_region`, `memX/dynamic_ram_a/`) and do not
 * check the handle.
 */
export type CxlKernelSeries = "v11" | "v10" | "v9";

export interface CxlProfile {
  readonly series: CxlKernelSeries;
  /** The DC partition mode string: `dynamic_ram_1` (v11) or `dynamic_ram_a` (v9/v10). */
  readonly dcMode: "dynamic_ram_1" | "dynamic_ram_a";
  /** [L11] DSMAD handles with bits above bit 7 make the DC configuration invalid. */
  readonly checkDsmadHandle: boolean;
}

export function cxlProfile(series: CxlKernelSeries = "v11"): CxlProfile {
  return series === "v11" ? { series, dcMode: "dynamic_ram_1", checkDsmadHandle: true } : { series, dcMode: "dynamic_ram_a", checkDsmadHandle: false };
}

/** `ram`, `pmem`, or the DC partition (named per profile). */
export type CxlPartitionMode = "ram" | "pmem" | "dynamic_ram";

/** The sysfs / log name of a partition mode under `profile`. */
export function modeName(mode: CxlPartitionMode, profile: CxlProfile): string {
  return mode === "dynamic_ram" ? profile.dcMode : mode;
}

/** The mode a sysfs string names under `profile`, or undefined (`mode_store`'s `sysfs_streq` chain). */
export function parseModeName(value: string, profile: CxlProfile): CxlPartitionMode | undefined {
  if (value === "pmem") return "pmem";
  if (value === "ram") return "ram";
  if (value === profile.dcMode) return "dynamic_ram";
  return undefined;
}
