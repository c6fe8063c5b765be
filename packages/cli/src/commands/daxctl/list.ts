/** `daxctl list` (ndctl daxctl/list.c, util/json.c `util_daxctl_*_to_json`). */
import { JObject, jHex, jSize, type JArray, type JsonFlags, toJsonString } from "../cxl/json-c.js";
import { type SysfsView } from "../cxl/libcxl.js";
import { type DaxDevInfo, type DaxRegionInfo, LibDaxctl } from "./libdaxctl.js";

export interface DaxctlListParams {
  region?: string | undefined;
  dev?: string | undefined;
  regions?: boolean;
  devices?: boolean;
  mappings?: boolean;
  idle?: boolean;
  human?: boolean;
}

const idents = (s: string): string[] => s.split(/[\s,]+/).filter((x) => x !== "");

export function regionMatches(r: DaxRegionInfo, filter: string | undefined): boolean {
  if (filter === undefined) return true;
  return idents(filter).some((a) => a === "all" || a === String(r.id) || a === `region${r.id}`);
}

export function devMatches(d: DaxDevInfo, filter: string | undefined): boolean {
  if (filter === undefined) return true;
  return idents(filter).some((a) => a === "all" || a === d.name);
}

export function daxDevJson(lib: LibDaxctl, d: DaxDevInfo, flags: JsonFlags & { mappings?: boolean }): JObject {
  const j = new JObject().add("chardev", d.name).add("size", jSize(d.size, flags));
  if (d.targetNode !== undefined && d.targetNode >= 0) j.add("target_node", d.targetNode);
  if (d.align !== undefined && d.align !== 0n) j.add("align", d.align);
  j.add("mode", d.mode);
  if (d.mode === "system-ram" && d.size !== 0n) {
    const m = lib.memblocks(d);
    if (m !== undefined) {
      j.add("online_memblocks", m.online).add("total_memblocks", m.total);
      if (m.movable !== undefined) j.add("movable", m.movable);
    }
  }
  if (!d.enabled) j.add("state", "disabled");
  if (flags.mappings === true && d.mappings.length > 0) {
    j.add(
      "mappings",
      d.mappings.map((m) => new JObject().add("page_offset", jHex(m.pageOffset, flags)).add("start", jHex(m.start, flags)).add("end", jHex(m.end, flags)).add("size", jSize(m.end - m.start + 1n, flags))),
    );
  }
  return j;
}

function regionJson(r: DaxRegionInfo, devices: JArray | undefined, flags: JsonFlags): JObject {
  const j = new JObject().add("path", r.devpath).add("id", r.id);
  if (r.size !== undefined) j.add("size", jSize(r.size, flags));
  if (r.availableSize !== undefined && r.availableSize !== 0n) j.add("available_size", jSize(r.availableSize, flags));
  if (r.align !== undefined && r.align !== 0n) j.add("align", r.align);
  if (devices !== undefined && devices.length > 0) j.add("devices", devices);
  return j;
}

/** `daxctl list`: stdout text (nothing when nothing matched, as daxctl). */
export function daxctlList(fs: SysfsView, p: DaxctlListParams): { out: string; err: string } {
  const lib = new LibDaxctl(fs);
  const flags = { human: p.human === true, mappings: p.mappings === true };
  const listRegions = p.regions === true;
  let listDevices = p.devices === true;
  if (!listRegions && !listDevices) listDevices = true;
  if (p.mappings === true) listDevices = true;
  const out: JArray = [];
  for (const r of lib.regions()) {
    if (!regionMatches(r, p.region)) continue;
    const devs: JArray = [];
    for (const d of r.devices) {
      if (!devMatches(d, p.dev)) continue;
      if (p.idle !== true && d.size === 0n) continue;
      if (listDevices) devs.push(daxDevJson(lib, d, flags));
    }
    if (listRegions) {
      if (p.dev !== undefined && devs.length === 0) continue;
      out.push(regionJson(r, devs, flags));
    } else out.push(...devs);
  }
  if (out.length === 0) return { out: "", err: "" };
  if (out.length === 1 && flags.human) return { out: toJsonString(out[0] as JObject) + "\n", err: "" };
  return { out: toJsonString(out) + "\n", err: "" };
}
