/**
 * `cxl create-region | destroy-region | disable-region | enable-region | release-extents`
 * (ndctl cxl/region.c): ndctl's option handling and messages over `cxlCreateRegion` /
 * `cxlDestroyRegion` (the same sysfs writes cxl-cli makes) and the extent pipeline's host-initiated
 * release. Every function returns the exit status; text goes to `io`.
 */
import { type CxlPartitionMode, type CxlRegion, type CxlSubsystem, CxlExtentCore, cxlCreateRegion, cxlDestroyRegion, cxlOf, errno, type Host, isDcdError, isUuid, nextFreeEndpointDecoder } from "@dcd/core";
import { type Io } from "../context.js";
import { toJsonString } from "./json-c.js";
import { LibCxl } from "./libcxl.js";
import { cxlListJson } from "./list.js";
import { errText, logLine, parseSize64, splitArgs } from "./ndctl-cli.js";

const LOG = "cxl region";

export interface CreateRegionOptions {
  readonly type?: string | undefined;
  readonly decoder?: string | undefined;
  readonly memdevs?: boolean | undefined;
  readonly size?: string | undefined;
  readonly ways?: string | undefined;
  readonly granularity?: string | undefined;
  readonly uuid?: string | undefined;
  readonly human?: boolean | undefined;
  readonly driver?: string | undefined;
  readonly bus?: string | undefined;
}

function modeOf(type: string, cxl: CxlSubsystem): CxlPartitionMode | undefined {
  if (type === "ram" || type === "pmem") return type;
  // v11 names the DC partition dynamic_ram_1, v9/v10 dynamic_ram_a; accept the profile's name.
  if (type === cxl.profile.dcMode) return "dynamic_ram";
  return undefined;
}

/** `cxl create-region`. */
export async function createRegionCmd(host: Host, io: Io, args: readonly string[], o: CreateRegionOptions): Promise<number> {
  const cxl = cxlOf(host);
  const err = (fn: string, text: string): void => { io.err(logLine(LOG, fn, text)); };
  const fail = (): number => {
    err("cmd_create_region", "created 0 regions");
    return 1;
  };
  const names = splitArgs(args);
  const rootDecoder = o.decoder === undefined ? undefined : cxl.rootDecoders().find((d) => d.name === o.decoder || `decoder${o.decoder}` === d.name);
  if (o.decoder !== undefined && rootDecoder === undefined) {
    // collect_memdevs walks memdevs below the decoder first: an unknown decoder finds none.
    err("collect_memdevs", `no active memdevs found: decoder: ${o.decoder} filter: ${names.length > 0 ? names.join(",") : "none"}`);
    return fail();
  }
  let mode: CxlPartitionMode;
  if (o.type !== undefined) {
    const m = modeOf(o.type, cxl);
    if (m === undefined) {
      err("parse_create_options", `unsupported type: ${o.type}`);
      return fail();
    }
    mode = m;
  } else {
    // set_type_from_decoder: pmem if capable, else ram; the DC partition only when asked for (-t).
    const rd = rootDecoder ?? cxl.rootDecoders()[0];
    mode = rd?.canCreatePmem === true ? "pmem" : "ram";
  }
  if (mode === "ram" && o.uuid !== undefined) {
    err("parse_create_options", "can't set UUID for ram / volatile regions");
    return fail();
  }
  let size: number | undefined;
  if (o.size !== undefined) {
    const s = parseSize64(o.size);
    if (s === undefined) {
      err("parse_create_options", `Invalid size: ${o.size}`);
      return fail();
    }
    size = Number(s);
  }
  let granularity: number | undefined;
  if (o.granularity !== undefined) {
    const g = Number(o.granularity);
    if (!Number.isInteger(g) || g <= 0) {
      err("parse_create_options", `Invalid interleave granularity: ${o.granularity}`);
      return fail();
    }
    granularity = g;
  }
  const memdevs = names.length > 0 ? names.map((n) => cxl.memdev(n) ?? cxl.memdev(`mem${n}`)) : cxl.memdevs().filter((m) => m.endpoint !== undefined);
  const active = memdevs.filter((m): m is NonNullable<typeof m> => m !== undefined && m.endpoint !== undefined);
  if (active.length === 0 || active.length !== memdevs.length) {
    err("collect_memdevs", `no active memdevs found: decoder: ${o.decoder ?? "(null)"} filter: ${names.length > 0 ? names.join(",") : "none"}`);
    return fail();
  }
  if (o.ways !== undefined) {
    const w = Number(o.ways);
    if (!Number.isInteger(w) || w <= 0) {
      err("parse_create_options", `Invalid interleave ways: ${o.ways}`);
      return fail();
    }
    if (w !== active.length) {
      err("validate_ways", `Interleave ways ${w} is ${w > active.length ? "greater" : "less"} than number of memdevs ${names.length > 0 ? "specified" : "found"}: ${active.length}`);
      return fail();
    }
  }
  if (size !== undefined && size % active.length !== 0) {
    err("parse_create_options", `size (${size}) is not an integral multiple of interleave-ways (${active.length})`);
    return fail();
  }
  // Refuse what cxlCreateRegion would only find out after writing decoder modes (its undo
  // cannot reset an endpoint decoder's mode to "none"), so bad input changes nothing.
  const driver = o.driver === undefined || o.driver === "" ? o.driver : regionDriverName(cxl, o.driver);
  if (o.driver !== undefined && o.driver !== "" && driver === undefined) {
    err("create_region", `no region driver '${o.driver}': ${errText(errno("ENOENT", o.driver))}`);
    return fail();
  }
  if (size !== undefined) {
    const perDevice = size / active.length;
    const avail = Math.min(...active.map((m) => m.state.partition(mode)?.available() ?? 0));
    // dpa_size takes 256 MiB multiples (EINVAL); the kernel would refuse it after the decoder's
    // mode was already set, which cxl-cli does not undo.
    if (perDevice % (256 * 1024 * 1024) !== 0) {
      const d = active.map((m) => nextFreeEndpointDecoder(m)).find((x) => x !== undefined);
      err("create_region", `${d?.name ?? active[0]?.name ?? ""}: set_dpa_size failed: ${errText(errno("EINVAL", "size"))}`);
      return fail();
    }
    if (perDevice > avail) {
      err("create_region", `region size ${fmtHex(size)} exceeds max available space (${fmtHex(avail * active.length)}): ${errText(errno("ENOSPC", "size"))}`);
      return fail();
    }
  }
  let region: CxlRegion;
  try {
    region = await cxlCreateRegion(cxl, {
      memdevs: active,
      mode,
      ...(rootDecoder === undefined ? {} : { rootDecoder }),
      ...(size === undefined ? {} : { size }),
      ...(granularity === undefined ? {} : { granularity }),
      ...(o.uuid === undefined ? {} : { uuid: o.uuid }),
      ...(driver === undefined ? {} : { driver }),
    });
  } catch (e) {
    err("create_region", createFailure(e));
    return fail();
  }
  const lib = new LibCxl(cxl.sysfs);
  const info = lib.regions().find((r) => r.name === region.name);
  // create_region prints the region with UTIL_JSON_TARGETS (its mappings).
  const jregion = cxlListJson(cxl.sysfs, { regionFilter: region.name, regions: true, targets: true, human: o.human === true, idle: true })[0];
  if (info !== undefined && jregion !== undefined) io.out(toJsonString(jregion) + "\n");
  io.err(logLine(LOG, "cmd_create_region", "created 1 region"));
  return 0;
}

/** cxl/region.c's messages for the sysfs write that failed (its `try(prefix, op, …)` lines). */
function createFailure(e: unknown): string {
  const path = isDcdError(e) && typeof e.detail["path"] === "string" ? e.detail["path"] : undefined;
  const value = isDcdError(e) && typeof e.detail["value"] === "string" ? e.detail["value"] : "";
  if (path === undefined) return errText(e);
  const [dev = "", attr = ""] = path.replace(/^\/sys\/bus\/cxl\/(devices|drivers)\//, "").split("/");
  const text = errText(e);
  if (path.startsWith("/sys/bus/cxl/drivers/")) return `${value}: failed to enable: ${text}`;
  const target = /^target(\d+)$/.exec(attr);
  if (target !== null) return `${dev}: failed to set target${target[1] ?? ""} to ${value}: ${text}`;
  if (attr === "commit") return `${dev}: failed to commit decode: ${text}`;
  if (attr.startsWith("create_")) return `${dev}: failed to create new region: ${text}`;
  return `${dev}: set_${attr} failed: ${text}`;
}

const fmtHex = (n: number): string => `0x${n.toString(16)}`;

type Action = "destroy" | "disable" | "enable";

function matchRegions(cxl: CxlSubsystem, args: readonly string[], decoder: string | undefined): CxlRegion[] {
  const idents = splitArgs(args);
  return cxl.regions().filter((r) => (decoder === undefined || r.rootDecoder.name === decoder) && idents.some((a) => a === "all" || a === r.name || (/^\d+$/.test(a) && `region${a}` === r.name)));
}

function boundDriver(cxl: CxlSubsystem, name: string): string | undefined {
  const link = `/sys/bus/cxl/devices/${name}/driver`;
  if (cxl.sysfs.lstat(link)?.type !== "link") return undefined;
  return cxl.sysfs.realpath(link).split("/").at(-1);
}

/** `cxl destroy-region | disable-region | enable-region REGION...`. */
export async function regionActionCmd(host: Host, io: Io, action: Action, args: readonly string[], o: { force?: boolean | undefined; decoder?: string | undefined }): Promise<number> {
  const cxl = cxlOf(host);
  const fn = `cmd_${action}_region`;
  const past = { destroy: "destroyed", disable: "disabled", enable: "enabled" }[action];
  let count = 0;
  let last: string | undefined;
  const failed = (name: string, text: string): void => {
    io.err(logLine(LOG, "decoder_region_action", `${name}: failed: ${text}`));
    last = text;
  };
  for (const region of matchRegions(cxl, args, o.decoder)) {
    const name = region.name;
    try {
      if (action === "enable") {
        if (boundDriver(cxl, name) === undefined) {
          cxl.sysfs.write("/sys/bus/cxl/drivers_probe", name);
          await cxl.settle();
          if (boundDriver(cxl, name) === undefined) throw errno("ENXIO", `${name}: failed to enable`);
        }
      } else {
        const drv = boundDriver(cxl, name);
        if (action === "destroy" && drv !== undefined && o.force !== true) {
          io.err(logLine(LOG, "destroy_region", `${name} active. Disable it or use --force`));
          failed(name, errText(errno("EBUSY", `${name} active`)));
          continue;
        }
        if (drv !== undefined) {
          cxl.sysfs.write(`/sys/bus/cxl/drivers/${drv}/unbind`, name);
          await cxl.settle();
          if (boundDriver(cxl, name) !== undefined) throw errno("EBUSY", `${name}: failed to disable`);
        }
        if (action === "destroy") await cxlDestroyRegion(cxl, region);
      }
      count++;
    } catch (e) {
      failed(name, errText(e));
    }
  }
  if (last !== undefined) io.err(logLine(LOG, "region_action", `one or more failures, last failure: ${last}`));
  io.err(logLine(LOG, fn, `${past} ${count} region${count === 1 ? "" : "s"}`));
  return last === undefined ? 0 : 1;
}

/** `cxl release-extents REGION [--id K] [--tag UUID]`: host-initiated release of one extent group. */
export async function releaseExtentsCmd(host: Host, io: Io, regionName: string, o: { id?: string | undefined; tag?: string | undefined }): Promise<number> {
  const cxl = cxlOf(host);
  const fn = "cmd_release_extents";
  const region = cxl.region(regionName) ?? cxl.region(`region${regionName}`);
  if (region === undefined) {
    io.err(logLine(LOG, fn, `${regionName}: no such region`));
    return 1;
  }
  const dax = CxlExtentCore.of(host.container)
    .daxRegions()
    .find((d) => d.regionId === region.id);
  if (dax === undefined) {
    io.err(logLine(LOG, fn, `${region.name}: not a dynamic capacity region with a dax_region`));
    return 1;
  }
  let id: number | undefined;
  if (o.id !== undefined) {
    // Accept `K` or the extent device name `extentZ.K`.
    const m = /^(?:extent\d+\.)?(\d+)$/.exec(o.id);
    if (m === null) {
      io.err(logLine(LOG, fn, `Invalid extent id: ${o.id}`));
      return 1;
    }
    id = Number(m[1]);
  }
  if (o.tag !== undefined && !isUuid(o.tag)) {
    // uuid_parse() fails before anything is looked up.
    io.err(logLine(LOG, fn, `Invalid tag: ${o.tag}: ${errText(errno("EINVAL", o.tag))}`));
    return 1;
  }
  try {
    const verdict = await dax.releaseExtents({ ...(id === undefined ? {} : { id }), ...(o.tag === undefined ? {} : { tag: o.tag }) });
    await cxl.settle();
    if (verdict.result === "deferred") {
      io.err(logLine(LOG, fn, `${region.name}: release deferred: ${verdict.reason}`));
      return 1;
    }
  } catch (e) {
    io.err(logLine(LOG, fn, `${region.name}: release failed: ${errText(e)}`));
    return 1;
  }
  io.err(logLine(LOG, fn, "released 1 extent group"));
  return 0;
}

/**
 * `--driver NAME`: a cxl driver's own name, or the short form of the region-driver series
 * (`--driver=sysram` for `cxl_sysram_region`, `--driver=devdax` or `dax` for `cxl_devdax_region`).
 */
export function regionDriverName(cxl: CxlSubsystem, name: string): string | undefined {
  const bus = cxl.core.bus("cxl");
  const short = name === "dax" ? "devdax" : name;
  return [name, `cxl_${short}_region`].find((n) => bus?.driver(n) !== undefined);
}
