/**
 * `cxl list`: ndctl's `cxl_filter_walk` (cxl/filter.c) and `util_cxl_*_to_json` (cxl/json.c) over
 * {@link LibCxl}. Two output profiles:
 * - `latest` (default): the ndctl DCD series (v7 with kernel v11) — `dynamic_ram_1_size`,
 *   `dynamic_ram_1_capable`, region `type`, `extents` with `-N` (uuid only when the extent shows one),
 *   port `parent_dport`/`decoders_committed`, memdev `firmware_version`, real decoder mode names;
 * - `76.1`: exactly what Debian's ndctl 76.1 prints for the same tree (checked against the binary).
 */
import { LibDaxctl } from "../daxctl/libdaxctl.js";
import { daxDevJson } from "../daxctl/list.js";
import { displayJsonArray, JObject, jHex, jSize, type JArray, type JsonFlags, type JValue } from "./json-c.js";
import { type CxlDecoderInfo, type CxlMemdevInfo, type CxlPortInfo, type CxlRegionInfo, LibCxl, mailboxUnavailable, strtoull, type SysfsView } from "./libcxl.js";

export type NdctlProfile = "latest" | "76.1";

export interface CxlListParams {
  memdevFilter?: string | undefined;
  serialFilter?: string | undefined;
  busFilter?: string | undefined;
  portFilter?: string | undefined;
  endpointFilter?: string | undefined;
  decoderFilter?: string | undefined;
  regionFilter?: string | undefined;
  memdevs?: boolean;
  buses?: boolean;
  ports?: boolean;
  endpoints?: boolean;
  decoders?: boolean;
  targets?: boolean;
  /** `-S`: a port filter matches that port only, not its descendants. */
  single?: boolean;
  regions?: boolean;
  extents?: boolean;
  /** `-X`: each region's `daxregion` (newer ndctl; 76.1 has no `-X`). */
  dax?: boolean;
  /** `-H`, `-I`, `-A`: memdev health, partition info and alert config (mailbox commands; see {@link mailboxUnavailable}). */
  health?: boolean;
  partition?: boolean;
  alertConfig?: boolean;
  idle?: boolean;
  human?: boolean;
  verbose?: number;
  profile?: NdctlProfile;
}

interface Flags extends JsonFlags {
  readonly targets: boolean;
  readonly extents: boolean;
  readonly dax: boolean;
  readonly idle: boolean;
  /** Mailbox-backed memdev objects asked for, in the order cxl/json.c builds them. */
  readonly mailbox: readonly ("health" | "alert_config" | "partition_info")[];
  readonly profile: NdctlProfile;
}

// ---- filters (util_cxl_*_filter) --------------------------------------------------------------

const idents = (list: string): string[] => list.split(/[\s,]+/).filter((s) => s !== "");

function nameOrId(name: string, prefix: string, ident: string | undefined): boolean {
  if (ident === undefined) return true;
  return idents(ident).some((arg) => arg === "all" || arg === name || (/^\d+$/.test(arg) && `${prefix}${arg}` === name));
}

function memdevMatches(m: CxlMemdevInfo, ident: string | undefined, serials: string | undefined): boolean {
  if (!nameOrId(m.name, "mem", ident)) return false;
  if (serials === undefined) return true;
  return idents(serials).some((s) => {
    try {
      return m.serial !== undefined && BigInt(s) === m.serial;
    } catch {
      return false;
    }
  });
}

function portMatches(p: CxlPortInfo, ident: string | undefined): boolean {
  if (ident === undefined) return true;
  return idents(ident).some((arg) => arg === "all" || arg === p.name || (arg === "root" && p.kind === "root") || (arg === "switch" && p.kind === "port") || (arg === "endpoint" && p.kind === "endpoint") || (/^\d+$/.test(arg) && p.kind !== "root" && Number(arg) === p.id));
}

function decoderMatches(d: CxlDecoderInfo, ident: string | undefined): boolean {
  if (ident === undefined) return true;
  return idents(ident).some((arg) => arg === "all" || arg === d.name || `decoder${arg}` === d.name || (arg === "root" && d.port.kind === "root") || (arg === "switch" && d.port.kind === "port") || (arg === "endpoint" && d.port.kind === "endpoint"));
}

const ancestry = (p: CxlPortInfo): CxlPortInfo[] => {
  const out: CxlPortInfo[] = [];
  for (let q: CxlPortInfo | undefined = p; q !== undefined; q = q.parent) out.push(q);
  return out;
};

const rootOf = (p: CxlPortInfo): CxlPortInfo => ancestry(p).at(-1) ?? p;

class Walker {
  private readonly lib: LibCxl;
  readonly flags: Flags;
  private readonly selected: CxlMemdevInfo[] | undefined;
  private daxctl: LibDaxctl | undefined;
  /** What libcxl logs on stderr while the walk runs (before the listing is printed). */
  log = "";

  constructor(
    fs: SysfsView,
    private readonly p: Required<Pick<CxlListParams, "memdevs" | "buses" | "ports" | "endpoints" | "decoders" | "regions" | "idle">> & CxlListParams,
  ) {
    this.lib = new LibCxl(fs);
    const mailbox = (["health", "alert_config", "partition_info"] as const).filter((k) => (k === "health" ? p.health : k === "alert_config" ? p.alertConfig : p.partition) === true);
    this.flags = { human: p.human === true, targets: p.targets === true, extents: p.extents === true, dax: p.dax === true, idle: p.idle, mailbox, profile: p.profile ?? "latest" };
    this.selected = p.memdevFilter === undefined && p.serialFilter === undefined ? undefined : this.lib.memdevs().filter((m) => memdevMatches(m, p.memdevFilter, p.serialFilter));
  }

  /** strstr(memdev path, dport path) for any selected memdev (true when no memdev filter). */
  private underDports(dports: readonly { path: string }[]): boolean {
    if (this.selected === undefined) return true;
    return this.selected.some((m) => dports.some((d) => m.path.includes(d.path)));
  }

  private dportFilter(d: { path: string }): boolean {
    return this.underDports([d]);
  }

  private portByMemdev(port: CxlPortInfo): boolean {
    if (this.selected === undefined) return true;
    if (port.kind === "endpoint") return this.selected.some((m) => m.path === port.uport);
    return this.underDports(port.dports());
  }

  private decoderByMemdev(d: CxlDecoderInfo): boolean {
    if (this.selected === undefined) return true;
    if (d.port.kind === "endpoint") return this.selected.some((m) => m.path === d.port.uport);
    const dports = d.port.dports();
    return this.underDports(d.targetIds.flatMap((id) => dports.filter((x) => x.id === id)));
  }

  private portByFilters(port: CxlPortInfo): boolean {
    // util_cxl_*_filter_by_port (CXL_PF_ANCESTRY): the object or one of its ancestors is a
    // selected port; with -S (CXL_PF_SINGLE) only the port itself.
    if (this.p.portFilter === undefined) return true;
    return this.p.single === true ? portMatches(port, this.p.portFilter) : ancestry(port).some((a) => portMatches(a, this.p.portFilter));
  }

  private busByFilter(port: CxlPortInfo): boolean {
    const root = rootOf(port);
    return this.p.busFilter === undefined || nameOrId(root.name, "root", this.p.busFilter);
  }

  private regionSelected(r: CxlRegionInfo): boolean {
    if (!nameOrId(r.name, "region", this.p.regionFilter)) return false;
    const mapped = r.targets.flatMap((t) => (t === undefined ? [] : [this.lib.decoderByName(t)])).filter((d): d is CxlDecoderInfo => d !== undefined);
    if (this.selected !== undefined) {
      const mems = mapped.map((d) => this.lib.memdevOfDecoder(d)).filter((m): m is CxlMemdevInfo => m !== undefined);
      if (!mems.some((m) => this.selected?.includes(m) === true)) return false;
    }
    if (this.p.decoderFilter !== undefined && !decoderMatches(r.decoder, this.p.decoderFilter) && !mapped.some((d) => decoderMatches(d, this.p.decoderFilter))) return false;
    if (!this.p.idle && !r.enabled) return false;
    return true;
  }

  // ---- JSON objects (cxl/json.c) --------------------------------------------------------------

  memdevJson(m: CxlMemdevInfo): JObject {
    const f = this.flags;
    const j = new JObject().add("memdev", m.name);
    const latest = f.profile === "latest";
    if (m.pmemSize !== 0n) {
      j.add("pmem_size", jSize(m.pmemSize, f));
      if (latest && m.pmemQos !== undefined) j.add("pmem_qos_class", m.pmemQos);
    }
    if (m.ramSize !== 0n) {
      j.add("ram_size", jSize(m.ramSize, f));
      if (latest && m.ramQos !== undefined) j.add("ram_qos_class", m.ramQos);
    }
    if (latest && m.dynamicRamName !== undefined && m.dynamicRamSize !== 0n) {
      j.add(`${m.dynamicRamName}_size`, jSize(m.dynamicRamSize, f));
      if (m.dynamicRamQos !== undefined) j.add(`${m.dynamicRamName}_qos_class`, m.dynamicRamQos);
    }
    // health, alert_config (here) and partition_info (last) come from mailbox commands, which a
    // sysfs view cannot send: libcxl logs the failure and the keys stay out, as over a sysfs export.
    for (let i = 0; i < f.mailbox.length; i++) this.log += mailboxUnavailable(m.name);
    if (m.serial !== undefined) j.add("serial", jHex(m.serial, f));
    if (m.numaNode !== undefined && m.numaNode >= 0) j.add("numa_node", m.numaNode);
    j.add("host", m.host);
    if (latest && m.firmwareVersion !== undefined) j.add("firmware_version", m.firmwareVersion);
    if (!m.enabled) j.add("state", "disabled");
    return j;
  }

  private dportsAppend(j: JObject, port: CxlPortInfo): void {
    const dports = port.dports();
    if (dports.length === 0 || !this.flags.targets) return;
    j.add("nr_dports", dports.length);
    j.add(
      "dports",
      dports.filter((d) => this.dportFilter(d)).map((d) => new JObject().add("dport", d.name).add("alias", d.alias).add("id", jHex(d.id, this.flags))),
    );
  }

  private portJson(port: CxlPortInfo, key: "port" | "endpoint"): JObject {
    const j = new JObject().add(key, port.name).add("host", port.host);
    const latest = this.flags.profile === "latest";
    if (latest && port.parentDport !== undefined) j.add("parent_dport", port.parentDport);
    j.add("depth", port.depth);
    if (!port.enabled) j.add("state", "disabled");
    if (latest) j.add("decoders_committed", port.decodersCommitted ?? 0);
    return j;
  }

  private busJson(bus: CxlPortInfo): JObject {
    const provider = bus.host === "ACPI0017:00" ? "ACPI.CXL" : bus.host === "cxl_acpi.0" ? "cxl_test" : bus.host;
    return new JObject().add("bus", bus.name).add("provider", provider);
  }

  private decoderJson(d: CxlDecoderInfo): JObject {
    const f = this.flags;
    const latest = f.profile === "latest";
    const j = new JObject().add("decoder", d.name);
    const size = d.size ?? 0n;
    if (size !== 0n && d.start !== undefined) j.add("resource", jHex(d.start, f));
    if (size !== 0n && d.size !== undefined) j.add("size", jSize(size, f));
    if (d.ways !== undefined) {
      j.add("interleave_ways", Number(d.ways));
      if (d.ways > 1n && d.granularity !== undefined) j.add("interleave_granularity", Number(d.granularity));
    }
    if (d.regionName !== undefined && this.lib.regions().some((r) => r.name === d.regionName)) j.add("region", d.regionName);
    if (size === 0n) j.add("state", "disabled");
    if (d.port.kind === "endpoint") {
      const dpaSize = d.dpaSize ?? 0n;
      if (dpaSize !== 0n && d.dpaResource !== undefined && d.dpaResource !== 0xffff_ffff_ffff_ffffn) j.add("dpa_resource", jHex(d.dpaResource, f));
      if (dpaSize !== 0n) j.add("dpa_size", jSize(dpaSize, f));
      const mode = d.mode;
      if (mode !== undefined && mode !== "none") {
        const known = ["ram", "pmem", "mixed"].includes(mode) || (latest && /^dynamic_ram_\w+$/.test(mode));
        j.add("mode", known ? mode : "mixed");
      }
    }
    if (d.port.kind === "root" && d.capType3) {
      j.add("max_available_extent", jSize(this.maxAvailableExtent(d), f));
      if (d.capPmem) j.add("pmem_capable", true);
      if (d.capRam) j.add("volatile_capable", true);
      if (latest) for (const dc of d.capDynamicRam) j.add(`${dc}_capable`, true);
    }
    if (d.port.kind === "root" && d.capType2) j.add("accelmem_capable", true);
    if (latest && d.port.kind === "root" && d.qosClass !== undefined) j.add("qos_class", d.qosClass);
    return j;
  }

  /** libcxl `cxl_decoder_get_max_available_extent`: largest gap not covered by committed, sized regions. */
  private maxAvailableExtent(d: CxlDecoderInfo): bigint {
    const start = d.start ?? 0n;
    const end = start + (d.size ?? 0n);
    const used = d
      .regions()
      .filter((r) => (r.size ?? 0n) !== 0n && r.committed)
      .map((r) => [r.resource ?? 0n, (r.resource ?? 0n) + (r.size ?? 0n)] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : 1));
    let cursor = start;
    let max = 0n;
    for (const [s, e] of used) {
      if (s > cursor && s - cursor > max) max = s - cursor;
      if (e > cursor) cursor = e;
    }
    if (end > cursor && end - cursor > max) max = end - cursor;
    return max;
  }

  private targetsAppend(j: JObject, d: CxlDecoderInfo): void {
    if (d.port.kind === "endpoint") return;
    const dports = d.port.dports();
    const targets = d.targetIds.map((id, position) => ({ dport: dports.find((x) => x.id === id), position, id }));
    const nr = targets.every((t) => t.dport !== undefined) ? targets.length : 0;
    j.add("nr_targets", nr);
    if (!this.flags.targets || nr === 0) return;
    // libcxl 76.1 list_add()s each target at the head: it prints them last position first.
    if (this.flags.profile === "76.1") targets.reverse();
    j.add(
      "targets",
      targets
        .filter((t) => t.dport !== undefined && this.dportFilter(t.dport))
        .map((t) => new JObject().add("target", t.dport?.name ?? "").add("alias", t.dport?.alias).add("position", t.position).add("id", jHex(t.id, this.flags))),
    );
  }

  regionJson(r: CxlRegionInfo): JObject {
    const f = this.flags;
    const latest = f.profile === "latest";
    const j = new JObject().add("region", r.name);
    // An unallocated region reads resource ULLONG_MAX; libcxl keeps its calloc'd 0 then (checked with 76.1).
    j.add("resource", jHex(r.resource === undefined || r.resource === 0xffff_ffff_ffff_ffffn ? 0n : r.resource, f));
    if (r.size !== undefined) j.add("size", jSize(r.size, f));
    if (latest && r.mode !== undefined && r.mode !== "none" && r.mode !== "") j.add("type", r.mode);
    if (r.ways !== undefined) j.add("interleave_ways", Number(r.ways));
    if (r.granularity !== undefined) j.add("interleave_granularity", Number(r.granularity));
    j.add("decode_state", r.committed ? "commit" : "reset");
    if (!r.enabled) j.add("state", "disabled");
    if (r.ways !== undefined && r.ways > 0n && f.targets) {
      const maps: JArray = [];
      r.targets.forEach((t, position) => {
        if (t === undefined) return;
        const d = this.lib.decoderByName(t);
        if (d === undefined) return;
        const m = this.lib.memdevOfDecoder(d);
        maps.push(new JObject().add("position", position).add("memdev", m?.name).add("decoder", d.name));
      });
      // libcxl 76.1 list_add()s each mapping at the head: last position first.
      j.add("mappings", f.profile === "76.1" ? maps.reverse() : maps);
    }
    if (latest && f.dax) {
      const jdax = this.daxRegionJson(r);
      if (jdax !== undefined) j.add("daxregion", jdax);
    }
    if (latest && f.extents) {
      const ext = r.extents();
      // Newest shape: the key only when the region has extents; uuid only when the extent shows one.
      if (ext.length > 0) {
        j.add(
          "extents",
          ext.map((e) => new JObject().add("offset", jHex(e.offset, f)).add("length", jSize(e.length, f)).add("uuid", e.uuid)),
        );
      }
    }
    return j;
  }

  /**
   * `cxl_region_get_daxctl_region` + `util_daxctl_region_to_json(dax_region, NULL, flags)` with
   * UTIL_JSON_DAX | UTIL_JSON_DAX_DEVS: the region's `dax_regionN` (by the CXL region's id) when it
   * exists; no `path` (the caller knows the parent); `devices` only when some are listed.
   */
  private daxRegionJson(r: CxlRegionInfo): JObject | undefined {
    const f = this.flags;
    const path = `${r.path}/dax_region${r.id}`;
    if (!this.lib.fs.exists(path)) return undefined;
    const j = new JObject().add("id", r.id);
    const size = strtoull(this.lib.attr(`${path}/dax_region/size`));
    if (size !== undefined) j.add("size", jSize(size, f));
    const available = strtoull(this.lib.attr(`${path}/dax_region/available_size`)) ?? 0n;
    if (available !== 0n) j.add("available_size", jSize(available, f));
    const align = strtoull(this.lib.attr(`${path}/dax_region/align`));
    if (align !== undefined) j.add("align", align);
    this.daxctl ??= new LibDaxctl(this.lib.fs);
    const lib = this.daxctl;
    const devices = lib
      .regions()
      .filter((dr) => dr.path === path)
      .flatMap((dr) => dr.devices)
      .filter((d) => f.idle || d.size !== 0n)
      .map((d) => daxDevJson(lib, d, { human: f.human }));
    if (devices.length > 0) j.add("devices", devices);
    return j;
  }

  // ---- the walk (cxl/filter.c) ----------------------------------------------------------------

  private walkRegions(d: CxlDecoderInfo, out: JArray): void {
    for (const r of d.regions()) if (this.regionSelected(r)) out.push(this.regionJson(r));
  }

  private walkDecoders(port: CxlPortInfo, out: JArray | undefined, jregions: JArray): void {
    const p = this.p;
    for (const d of port.decoders()) {
      let jdecoder: JObject | undefined;
      let childRegions: JArray | undefined;
      const selected = p.decoders && decoderMatches(d, p.decoderFilter) && this.busByFilter(port) && this.portByFilters(port) && this.decoderByMemdev(d);
      if (selected) {
        if (!p.idle && (d.size ?? 0n) === 0n) continue;
        jdecoder = this.decoderJson(d);
        this.targetsAppend(jdecoder, d);
        if (port.kind === "root" && p.regions) childRegions = [];
        out?.push(jdecoder);
      }
      if (!p.regions || port.kind !== "root") continue;
      this.walkRegions(d, childRegions ?? jregions);
      if (jdecoder !== undefined && childRegions !== undefined && childRegions.length > 0) jdecoder.add(`regions:${d.name}`, childRegions);
    }
  }

  private walkEndpoints(port: CxlPortInfo, jeps: JArray, jdevs: JArray, jdecoders: JArray, jregions: JArray): void {
    const p = this.p;
    for (const ep of port.endpoints()) {
      if (!nameOrId(ep.name, "endpoint", p.endpointFilter)) continue;
      if (!this.busByFilter(ep)) continue;
      if (!this.portByFilters(ep.parent ?? ep)) continue;
      if (!this.portByMemdev(ep)) continue;
      if (!p.idle && !ep.enabled) continue;
      let jep: JObject | undefined;
      if (p.endpoints) {
        jep = this.portJson(ep, "endpoint");
        jeps.push(jep);
      }
      if (p.memdevs) {
        const m = this.lib.memdevOfEndpoint(ep);
        if (m === undefined) continue;
        if (!memdevMatches(m, p.memdevFilter, p.serialFilter)) continue;
        if (p.decoderFilter !== undefined && !ep.decoders().some((d) => decoderMatches(d, p.decoderFilter)) && !ancestry(ep).some((a) => a !== ep && a.decoders().some((d) => decoderMatches(d, p.decoderFilter)))) continue;
        if (!p.idle && !m.enabled) continue;
        const jm = this.memdevJson(m);
        if (jep !== undefined) jep.add("memdev", jm);
        else jdevs.push(jm);
      }
      if (!p.decoders) continue;
      const child: JArray | undefined = p.endpoints ? [] : undefined;
      this.walkDecoders(ep, child ?? jdecoders, jregions);
      if (jep !== undefined && child !== undefined && child.length > 0) jep.add(`decoders:${ep.name}`, child);
    }
  }

  private walkChildPorts(parent: CxlPortInfo, jports: JArray, jportdecoders: JArray, jeps: JArray, jepdecoders: JArray, jdevs: JArray, jregions: JArray): void {
    const p = this.p;
    for (const port of parent.ports()) {
      if (!this.portByMemdev(port)) continue;
      let jport: JObject | undefined;
      let childPorts: JArray | undefined;
      let childDevs: JArray | undefined;
      let childEps: JArray | undefined;
      let childDecoders: JArray | undefined;
      const selected = this.portByFilters(port) && this.busByFilter(port);
      if (selected) {
        if (!p.idle && !port.enabled) continue;
        if (p.ports) {
          jport = this.portJson(port, "port");
          this.dportsAppend(jport, port);
          jports.push(jport);
          childPorts = [];
          if (p.memdevs && !p.endpoints) childDevs = [];
          if (p.endpoints) childEps = [];
          if (p.decoders) childDecoders = [];
        }
      }
      if (p.endpoints || p.memdevs || p.decoders) this.walkEndpoints(port, childEps ?? jeps, childDevs ?? jdevs, childDecoders ?? jepdecoders, jregions);
      this.walkDecoders(port, childDecoders ?? jportdecoders, jregions);
      this.walkChildPorts(port, childPorts ?? jports, childDecoders ?? jportdecoders, childEps ?? jeps, childDecoders ?? jepdecoders, childDevs ?? jdevs, jregions);
      if (jport !== undefined) {
        for (const [key, arr] of [["ports", childPorts], ["endpoints", childEps], ["decoders", childDecoders], ["memdevs", childDevs]] as const) {
          if (arr !== undefined && arr.length > 0) jport.add(`${key}:${port.name}`, arr);
        }
      }
    }
  }

  walk(): JArray {
    const p = this.p;
    const janon: JArray = [];
    const jbuses: JArray = [];
    const jports: JArray = [];
    const jeps: JArray = [];
    const jdevs: JArray = [];
    const jbusdecoders: JArray = [];
    const jportdecoders: JArray = [];
    const jepdecoders: JArray = [];
    const jregions: JArray = [];
    for (const m of this.lib.memdevs()) {
      if (!memdevMatches(m, p.memdevFilter, p.serialFilter)) continue;
      if (m.enabled || !p.idle) continue;
      if (p.memdevs) janon.push(this.memdevJson(m));
    }
    for (const bus of this.lib.buses()) {
      if (!this.underDports(bus.dports())) continue;
      let jbus: JObject | undefined;
      let childPorts: JArray | undefined;
      let childEps: JArray | undefined;
      let childDevs: JArray | undefined;
      let childDecoders: JArray | undefined;
      let childRegions: JArray | undefined;
      if (nameOrId(bus.name, "root", p.busFilter) && portMatches(bus, p.portFilter) && p.buses) {
        jbus = this.busJson(bus);
        this.dportsAppend(jbus, bus);
        jbuses.push(jbus);
        if (p.ports) childPorts = [];
        if (p.endpoints) childEps = [];
        if (p.memdevs && !p.ports && !p.endpoints) childDevs = [];
        if (p.decoders) childDecoders = [];
        if (p.regions) childRegions = [];
      }
      this.walkDecoders(bus, childDecoders ?? jbusdecoders, childRegions ?? jregions);
      this.walkChildPorts(bus, childPorts ?? jports, childDecoders ?? jportdecoders, childEps ?? jeps, childDecoders ?? jepdecoders, childDevs ?? jdevs, jregions);
      if (jbus !== undefined) {
        for (const [key, arr] of [["ports", childPorts], ["endpoints", childEps], ["decoders", childDecoders], ["memdevs", childDevs], ["regions", childRegions]] as const) {
          if (arr !== undefined && arr.length > 0) jbus.add(`${key}:${bus.name}`, arr);
        }
      }
    }
    const tops: [string, JArray][] = [
      ["anon memdevs", janon],
      ["buses", jbuses],
      ["ports", jports],
      ["endpoints", jeps],
      ["memdevs", jdevs],
      ["root decoders", jbusdecoders],
      ["port decoders", jportdecoders],
      ["endpoint decoders", jepdecoders],
      ["regions", jregions],
    ];
    const container = tops.filter(([, a]) => a.length > 0).length > 1;
    const platform: JArray = [];
    for (const [name, arr] of tops) {
      if (arr.length === 0) continue;
      if (container) platform.push(new JObject().add(name, arr));
      else platform.push(...arr);
    }
    return platform;
  }
}

/** Resolve list.c's option implications (verbosity, filters implying object types, the default). */
export function resolveListParams(input: CxlListParams): CxlListParams & Required<Pick<CxlListParams, "memdevs" | "buses" | "ports" | "endpoints" | "decoders" | "regions" | "idle">> {
  const p = { memdevs: false, buses: false, ports: false, endpoints: false, decoders: false, regions: false, idle: false, targets: false, ...input };
  const v = input.verbose ?? 0;
  if (v >= 3) {
    p.health = p.partition = p.alertConfig = true;
    // The `-X` patch adds it to -vvv; 76.1 has no -X.
    if ((input.profile ?? "latest") === "latest") p.dax = true;
  }
  if (v >= 2) p.idle = true;
  if (v >= 1) {
    p.memdevs = p.buses = p.ports = p.endpoints = p.decoders = p.targets = p.regions = true;
  }
  const count = (): number => [p.memdevs, p.buses, p.ports, p.endpoints, p.decoders, p.regions].filter(Boolean).length;
  if (count() === 0) {
    if (p.memdevFilter !== undefined || p.serialFilter !== undefined) p.memdevs = true;
    if (p.busFilter !== undefined) p.buses = true;
    if (p.portFilter !== undefined) p.ports = true;
    if (p.endpointFilter !== undefined) p.endpoints = true;
    if (p.decoderFilter !== undefined) p.decoders = true;
    if (p.regionFilter !== undefined) p.regions = true;
    if (count() === 0) {
      p.memdevs = true;
      p.regions = true;
    }
  }
  // A root port is a bus: listing ports filtered to rootN lists that bus (checked with 76.1).
  if (p.ports && p.portFilter !== undefined && idents(p.portFilter).some((a) => /^root\d*$/.test(a))) p.buses = true;
  return p;
}

/** The JSON array `cxl list` builds (before `util_display_json_array`). */
export function cxlListJson(fs: SysfsView, params: CxlListParams): JValue[] {
  return new Walker(fs, resolveListParams(params)).walk();
}

/** `cxl list`: the text on stdout and stderr. */
export function cxlList(fs: SysfsView, params: CxlListParams): { out: string; err: string } {
  const walker = new Walker(fs, resolveListParams(params));
  const listed = walker.walk();
  const { out, err } = displayJsonArray(listed, walker.flags);
  return { out, err: walker.log + err };
}
