/**
 * The part of libcxl that `cxl list` needs, reading a sysfs tree the way libcxl does
 * (shared/reference/real-ndctl.md, "Conventions libcxl relies on"): buses and memdevs from
 * `/sys/bus/cxl/devices`, everything else by scanning the parent device directory; hosts from
 * `realpath(uport)`; "enabled" = `driver` is a symlink; numbers through `strtoull(…, 0)`.
 */
import { posix } from "node:path";

/** The reads `cxl`/`daxctl` make; `SysfsTree` (`host.sysfs`) has them all. */
export interface SysfsView {
  read(path: string): string;
  list(path: string): string[];
  exists(path: string): boolean;
  lstat(path: string): { readonly type: "dir" | "file" | "link" } | undefined;
  realpath(path: string): string;
}

const CXL_DEVICES = "/sys/bus/cxl/devices";

/**
 * What libcxl logs when a mailbox command (`cxl_cmd_new_generic`: health, alert config,
 * identify) cannot reach `/dev/cxl/memN`, as over a sysfs export (checked with ndctl 76.1): `cxl
 * list -H/-I/-A` then lists the memdev without those keys. A sysfs view has no ioctl, so dcd
 * behaves the same; the host's own mailbox is the device's, not something `cxl list` can open.
 */
export function mailboxUnavailable(memdev: string): string {
  return [
    `libcxl: do_cmd: failed to validate /dev/cxl/${memdev} as a CXL memdev node`,
    `libcxl: alloc_do_query: ${memdev}: query commands failed: No such device or address`,
    `libcxl: cxl_cmd_new_generic: ${memdev}: query returned: No such device or address`,
    "",
  ].join("\n");
}

/** `sysfs_read_attr`: the file's text without one trailing newline; undefined when unreadable. */
export function readAttr(fs: SysfsView, path: string): string | undefined {
  // A missing file is common (an untagged extent hides `uuid`): checking first is far cheaper
  // than the error a failed read builds, which cost ~20 µs each on a 10,000-extent listing.
  return fs.lstat(path) === undefined ? undefined : readListed(fs, path);
}

/** {@link readAttr} without the existence check, for files that are expected to be there. */
function readListed(fs: SysfsView, path: string): string | undefined {
  try {
    return fs.read(path).replace(/\n$/, "");
  } catch {
    return undefined;
  }
}

const HEX = /^0[xX][0-9a-fA-F]+$/;

/** `strtoull(buf, NULL, 0)`: 0x hex, leading 0 octal, else decimal; garbage gives 0. */
export function strtoull(text: string | undefined): bigint | undefined {
  if (text === undefined) return undefined;
  const s = text.trim();
  // What sysfs shows (`%#llx`) parses as is; the cases below cover the rest.
  if (HEX.test(s)) return BigInt(s);
  let m = /^0[xX]([0-9a-fA-F]+)/.exec(s);
  if (m !== null) return BigInt(`0x${m[1] ?? "0"}`);
  m = /^0([0-7]*)/.exec(s);
  if (m !== null) return m[1] === "" || m[1] === undefined ? 0n : BigInt(`0o${m[1]}`);
  m = /^-?[0-9]+/.exec(s);
  if (m !== null) return BigInt(m[0]) & 0xffff_ffff_ffff_ffffn;
  return 0n;
}

const base = (p: string): string => posix.basename(p);
const idOf = (name: string, prefix: string): number => Number(name.slice(prefix.length));

function isLink(fs: SysfsView, path: string): boolean {
  return fs.lstat(path)?.type === "link";
}

function realpathOrUndefined(fs: SysfsView, path: string): string | undefined {
  try {
    return fs.exists(path) ? fs.realpath(path) : undefined;
  } catch {
    return undefined;
  }
}

function entries(fs: SysfsView, dir: string, re: RegExp): string[] {
  let names: string[];
  try {
    names = fs.list(dir);
  } catch {
    return [];
  }
  return names.filter((n) => re.test(n));
}

/** The numbers in a `prefixN` / `prefixN.M` name (every run of digits), for {@link sortById}. */
function idKey(name: string): number[] {
  const key: number[] = [];
  let n = -1;
  for (let i = 0; i < name.length; i++) {
    const d = name.charCodeAt(i) - 48;
    if (d >= 0 && d <= 9) n = (n < 0 ? 0 : n * 10) + d;
    else if (n >= 0) {
      key.push(n);
      n = -1;
    }
  }
  if (n >= 0) key.push(n);
  return key;
}

/** Sort `prefixN` / `prefixN.M` names numerically (libcxl keeps its lists in id order). */
function sortById(names: readonly string[]): string[] {
  // Keys are parsed once per name, not once per comparison: extent lists run to 10,000s of names.
  const keyed = names.map((name) => ({ name, key: idKey(name) }));
  keyed.sort((a, b) => {
    const na = a.key;
    const nb = b.key;
    for (let i = 0; i < Math.max(na.length, nb.length); i++) {
      const d = (na[i] ?? -1) - (nb[i] ?? -1);
      if (d !== 0) return d;
    }
    return a.name.localeCompare(b.name);
  });
  return keyed.map((k) => k.name);
}

export interface CxlDport {
  readonly name: string;
  readonly id: number;
  readonly path: string;
  readonly alias: string | undefined;
}

export interface CxlMemdevInfo {
  readonly name: string;
  readonly id: number;
  readonly path: string;
  readonly host: string;
  readonly enabled: boolean;
  readonly pmemSize: bigint;
  readonly ramSize: bigint;
  readonly dynamicRamSize: bigint;
  /** `dynamic_ram_1` (v11) or `dynamic_ram_a` (v9/v10): the partition directory found. */
  readonly dynamicRamName: string | undefined;
  readonly pmemQos: number | undefined;
  readonly ramQos: number | undefined;
  readonly dynamicRamQos: number | undefined;
  readonly serial: bigint | undefined;
  readonly numaNode: number | undefined;
  readonly firmwareVersion: string | undefined;
}

export interface CxlRegionExtent {
  readonly name: string;
  readonly offset: bigint;
  readonly length: bigint;
  readonly uuid: string | undefined;
}

export interface CxlRegionInfo {
  readonly name: string;
  readonly id: number;
  readonly path: string;
  readonly decoder: CxlDecoderInfo;
  readonly resource: bigint | undefined;
  readonly size: bigint | undefined;
  readonly mode: string | undefined;
  readonly ways: bigint | undefined;
  readonly granularity: bigint | undefined;
  readonly committed: boolean;
  readonly enabled: boolean;
  /** targetN names, by position (undefined when the file is missing). */
  readonly targets: readonly (string | undefined)[];
  extents(): CxlRegionExtent[];
}

export interface CxlDecoderInfo {
  readonly name: string;
  readonly path: string;
  readonly port: CxlPortInfo;
  readonly start: bigint | undefined;
  readonly size: bigint | undefined;
  readonly ways: bigint | undefined;
  readonly granularity: bigint | undefined;
  readonly targetIds: readonly number[];
  readonly capPmem: boolean;
  readonly capRam: boolean;
  readonly capType2: boolean;
  readonly capType3: boolean;
  /** DC partition capabilities found as `cap_dynamic_ram_*` / `create_dynamic_ram_*_region`. */
  readonly capDynamicRam: readonly string[];
  readonly regionName: string | undefined;
  readonly mode: string | undefined;
  readonly dpaResource: bigint | undefined;
  readonly dpaSize: bigint | undefined;
  readonly qosClass: number | undefined;
  regions(): CxlRegionInfo[];
}

export interface CxlPortInfo {
  readonly name: string;
  readonly kind: "root" | "port" | "endpoint";
  readonly id: number;
  readonly path: string;
  readonly depth: number;
  readonly parent: CxlPortInfo | undefined;
  readonly uport: string | undefined;
  readonly host: string;
  readonly enabled: boolean;
  readonly parentDport: string | undefined;
  readonly decodersCommitted: number | undefined;
  dports(): CxlDport[];
  ports(): CxlPortInfo[];
  endpoints(): CxlPortInfo[];
  decoders(): CxlDecoderInfo[];
}

/** A snapshot-free libcxl context over a sysfs view (every call re-reads, as `cxl list` does once). */
export class LibCxl {
  private memdevCache: CxlMemdevInfo[] | undefined;
  private busCache: CxlPortInfo[] | undefined;

  constructor(readonly fs: SysfsView) {}

  attr(path: string): string | undefined {
    return readAttr(this.fs, path);
  }

  num(path: string): bigint | undefined {
    return strtoull(this.attr(path));
  }

  memdevs(): CxlMemdevInfo[] {
    this.memdevCache ??= sortById(entries(this.fs, CXL_DEVICES, /^mem\d+$/))
      .flatMap((name) => {
        const m = this.memdev(name);
        return m === undefined ? [] : [m];
      });
    return this.memdevCache;
  }

  private memdev(name: string): CxlMemdevInfo | undefined {
    const path = realpathOrUndefined(this.fs, `${CXL_DEVICES}/${name}`);
    if (path === undefined) return undefined;
    const ram = this.num(`${path}/ram/size`);
    const pmem = this.num(`${path}/pmem/size`);
    // add_cxl_memdev fails without these.
    if (ram === undefined || pmem === undefined) return undefined;
    if (this.attr(`${path}/payload_max`) === undefined || this.attr(`${path}/label_storage_size`) === undefined || this.attr(`${path}/firmware_version`) === undefined) return undefined;
    const dynamicRamName = ["dynamic_ram_1", "dynamic_ram_a"].find((d) => this.fs.exists(`${path}/${d}/size`));
    const qos = (p: string): number | undefined => {
      const v = this.attr(p);
      if (v === undefined) return undefined;
      const n = Number.parseInt(v, 10);
      return Number.isNaN(n) || n < 0 ? undefined : n;
    };
    const numa = this.attr(`${path}/numa_node`);
    return {
      name,
      id: idOf(name, "mem"),
      path,
      host: base(posix.dirname(path)),
      enabled: isLink(this.fs, `${path}/driver`),
      pmemSize: pmem,
      ramSize: ram,
      dynamicRamSize: dynamicRamName === undefined ? 0n : (this.num(`${path}/${dynamicRamName}/size`) ?? 0n),
      dynamicRamName,
      pmemQos: qos(`${path}/pmem/qos_class`),
      ramQos: qos(`${path}/ram/qos_class`),
      dynamicRamQos: dynamicRamName === undefined ? undefined : qos(`${path}/${dynamicRamName}/qos_class`),
      serial: this.num(`${path}/serial`),
      numaNode: numa === undefined ? undefined : Number.parseInt(numa, 10) || 0,
      firmwareVersion: this.attr(`${path}/firmware_version`),
    };
  }

  memdevByName(name: string): CxlMemdevInfo | undefined {
    return this.memdevs().find((m) => m.name === name);
  }

  buses(): CxlPortInfo[] {
    this.busCache ??= sortById(entries(this.fs, CXL_DEVICES, /^root\d+$/))
      .flatMap((name) => {
        const path = realpathOrUndefined(this.fs, `${CXL_DEVICES}/${name}`);
        const p = path === undefined ? undefined : this.port(name, "root", path, undefined);
        return p === undefined ? [] : [p];
      });
    return this.busCache;
  }

  private port(name: string, kind: CxlPortInfo["kind"], path: string, parent: CxlPortInfo | undefined): CxlPortInfo | undefined {
    const uport = realpathOrUndefined(this.fs, `${path}/uport`);
    if (uport === undefined) return undefined; // add_dev() failed
    const prefix = kind === "endpoint" ? "endpoint" : kind === "root" ? "root" : "port";
    const id = idOf(name, prefix);
    let dportCache: CxlDport[] | undefined;
    let childCache: CxlPortInfo[] | undefined;
    let decoderCache: CxlDecoderInfo[] | undefined;
    const parentDportPath = realpathOrUndefined(this.fs, `${path}/parent_dport`);
    const committed = this.attr(`${path}/decoders_committed`);
    const port: CxlPortInfo = {
      name,
      kind,
      id,
      path,
      depth: parent === undefined ? 0 : parent.depth + 1,
      parent,
      uport,
      host: base(uport),
      enabled: isLink(this.fs, `${path}/driver`),
      parentDport: parentDportPath === undefined ? undefined : base(parentDportPath),
      decodersCommitted: committed === undefined ? undefined : Number(strtoull(committed) ?? 0n),
      dports: () => {
        dportCache ??= sortById(entries(this.fs, path, /^dport\d+$/))
          .flatMap((d) => {
            const dpath = realpathOrUndefined(this.fs, `${path}/${d}`);
            if (dpath === undefined) return [];
            const fw = realpathOrUndefined(this.fs, `${dpath}/firmware_node`);
            const phys = realpathOrUndefined(this.fs, `${dpath}/physical_node`);
            const alias = fw ?? phys;
            return [{ name: base(dpath), id: idOf(d, "dport"), path: dpath, alias: alias === undefined ? undefined : base(alias) }];
          });
        return dportCache;
      },
      ports: () => {
        return children().filter((c) => c.kind === "port");
      },
      endpoints: () => {
        return children().filter((c) => c.kind === "endpoint");
      },
      decoders: () => {
        decoderCache ??= sortById(entries(this.fs, path, new RegExp(`^decoder${id}\\.\\d+$`)))
          .map((d) => this.decoder(d, `${path}/${d}`, port));
        return decoderCache;
      },
    };
    const children = (): CxlPortInfo[] => {
      childCache ??= sortById(entries(this.fs, path, /^(port|endpoint)\d+$/))
        .flatMap((c) => {
          const p = this.port(c, c.startsWith("endpoint") ? "endpoint" : "port", `${path}/${c}`, port);
          return p === undefined ? [] : [p];
        });
      return childCache;
    };
    return port;
  }

  private decoder(name: string, path: string, port: CxlPortInfo): CxlDecoderInfo {
    const flag = (f: string): boolean => this.num(`${path}/${f}`) === 1n;
    const targetList = this.attr(`${path}/target_list`);
    const targetIds = targetList === undefined || targetList.trim() === "" ? [] : targetList.split(",").map((t) => Number(strtoull(t) ?? 0n));
    const regionName = this.attr(`${path}/region`);
    const capDynamicRam = entries(this.fs, path, /^create_dynamic_ram_\w+_region$/).map((f) => f.replace(/^create_/, "").replace(/_region$/, ""));
    const qos = this.attr(`${path}/qos_class`);
    let regionCache: CxlRegionInfo[] | undefined;
    const decoder: CxlDecoderInfo = {
      name,
      path,
      port,
      start: this.num(`${path}/start`),
      size: this.num(`${path}/size`),
      ways: this.num(`${path}/interleave_ways`),
      granularity: this.num(`${path}/interleave_granularity`),
      targetIds,
      capPmem: flag("cap_pmem"),
      capRam: flag("cap_ram"),
      capType2: flag("cap_type2"),
      capType3: flag("cap_type3"),
      capDynamicRam,
      regionName: regionName === "" ? undefined : regionName,
      mode: this.attr(`${path}/mode`),
      dpaResource: this.num(`${path}/dpa_resource`),
      dpaSize: this.num(`${path}/dpa_size`),
      qosClass: qos === undefined || Number.parseInt(qos, 10) < 0 ? undefined : Number.parseInt(qos, 10),
      regions: () => {
        if (port.kind !== "root") return [];
        regionCache ??= sortById(entries(this.fs, path, /^region\d+$/))
          .flatMap((r) => {
            const info = this.region(r, `${path}/${r}`, decoder);
            return info === undefined ? [] : [info];
          });
        return regionCache;
      },
    };
    return decoder;
  }

  private region(name: string, path: string, decoder: CxlDecoderInfo): CxlRegionInfo | undefined {
    const uuid = this.attr(`${path}/uuid`);
    if (uuid === undefined) return undefined; // add_dev() failed
    if (uuid !== "" && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uuid)) return undefined;
    const ways = this.num(`${path}/interleave_ways`);
    const targets: (string | undefined)[] = [];
    for (let i = 0; ways !== undefined && i < Number(ways); i++) targets.push(this.attr(`${path}/target${i}`));
    return {
      name,
      id: idOf(name, "region"),
      path,
      decoder,
      resource: this.num(`${path}/resource`),
      size: this.num(`${path}/size`),
      mode: this.attr(`${path}/mode`),
      ways,
      granularity: this.num(`${path}/interleave_granularity`),
      committed: this.num(`${path}/commit`) === 1n,
      enabled: isLink(this.fs, `${path}/driver`),
      targets,
      extents: () => {
        const out: CxlRegionExtent[] = [];
        for (const dr of entries(this.fs, path, /^dax_region\d+$/)) {
          // Enumeration order is the kernel's device order, not sorted by offset.
          for (const e of sortById(entries(this.fs, `${path}/${dr}`, /^extent\d+\.\d+$/))) {
            const dir = `${path}/${dr}/${e}`;
            // Every extent shows offset and length; only tagged ones show uuid (readAttr checks first).
            const offset = strtoull(readListed(this.fs, `${dir}/offset`)) ?? 0n;
            const length = strtoull(readListed(this.fs, `${dir}/length`)) ?? 0n;
            out.push({ name: e, offset, length, uuid: readAttr(this.fs, `${dir}/uuid`) });
          }
        }
        return out;
      },
    };
  }

  /** All ports below (and including) each bus, depth first. */
  allPorts(): CxlPortInfo[] {
    const out: CxlPortInfo[] = [];
    const visit = (p: CxlPortInfo): void => {
      out.push(p);
      for (const c of [...p.ports(), ...p.endpoints()]) visit(c);
    };
    for (const b of this.buses()) visit(b);
    return out;
  }

  /** The endpoint whose uport is the memdev (`cxl_memdev_get_endpoint`). */
  endpointOf(memdev: CxlMemdevInfo): CxlPortInfo | undefined {
    return this.allPorts().find((p) => p.kind === "endpoint" && p.uport === memdev.path);
  }

  /** `cxl_endpoint_get_memdev`. */
  memdevOfEndpoint(ep: CxlPortInfo): CxlMemdevInfo | undefined {
    return this.memdevs().find((m) => m.path === ep.uport);
  }

  /** `cxl_decoder_get_memdev`: the memdev of an endpoint decoder. */
  memdevOfDecoder(d: CxlDecoderInfo): CxlMemdevInfo | undefined {
    return d.port.kind === "endpoint" ? this.memdevOfEndpoint(d.port) : undefined;
  }

  /** An endpoint decoder by name anywhere in the topology. */
  decoderByName(name: string): CxlDecoderInfo | undefined {
    for (const p of this.allPorts()) for (const d of p.decoders()) if (d.name === name) return d;
    return undefined;
  }

  regions(): CxlRegionInfo[] {
    return this.buses().flatMap((b) => b.decoders().flatMap((d) => d.regions()));
  }
}
