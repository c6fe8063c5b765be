/**
 * `cxl create-region` / `cxl destroy-region` as a library call, for the CLI and scenarios: the same
 * sysfs writes cxl-cli makes (so every refusal is the kernel's errno), then the bind of the chosen
 * region driver. `create-region --driver NAME` is `driver: "NAME"`; plain create binds `cxl_region`.
 *
 * Sequence (host-rules §5.1): read and write `create_<mode>_region`, `interleave_granularity`,
 * `interleave_ways`, per memdev `mode` + `dpa_size` of its next free endpoint decoder, `size`,
 * `targetN`, `commit`, then `echo regionZ > /sys/bus/cxl/drivers/<driver>/bind`. A failure undoes
 * what was done (the region is deleted, DPA freed) and rethrows the first error.
 */
import { errno, isDcdError } from "../errors.js";
import { CxlEndpointDecoder, type CxlRootDecoder } from "./decoder.js";
import { type CxlMemdev } from "./memdev.js";
import { type CxlPartitionMode, modeName } from "./profile.js";
import { type CxlRegion } from "./region.js";
import { type CxlSubsystem } from "./subsystem.js";
import { fmtLlx, SZ_256M } from "./format.js";

export interface CxlCreateRegionOptions {
  /** `-t`: ram, pmem or the DC mode (default: the DC mode). */
  readonly mode?: CxlPartitionMode;
  /** `-m`: the memdevs, in interleave position order. */
  readonly memdevs: readonly CxlMemdev[];
  /** `-d`: the root decoder; default the first whose window can host `mode`. */
  readonly rootDecoder?: CxlRootDecoder;
  /** `-s`: bytes; default the largest size every memdev can back (256 MiB multiple). */
  readonly size?: number;
  /** `-g`: default 256 (or the root decoder's granularity when it interleaves). */
  readonly granularity?: number;
  /** pmem regions need a uuid. */
  readonly uuid?: string;
  /** `--driver`: the region driver to bind; default `cxl_region`. Empty string: leave unbound. */
  readonly driver?: string;
}

const DEV = "/sys/bus/cxl/devices";

/** The next endpoint decoder of `memdev` that can take an allocation (allocation order is decoder order). */
export function nextFreeEndpointDecoder(memdev: CxlMemdev): CxlEndpointDecoder | undefined {
  const port = memdev.endpoint;
  if (port === undefined) return undefined;
  const d = port.decoders.get(port.hdmEnd + 1);
  return d instanceof CxlEndpointDecoder && d.region === undefined && d.dpaRes === undefined ? d : undefined;
}

/** Create, configure, commit and bind a region. */
export async function cxlCreateRegion(cxl: CxlSubsystem, options: CxlCreateRegionOptions): Promise<CxlRegion> {
  const mode = options.mode ?? "dynamic_ram";
  const name = modeName(mode, cxl.profile);
  const ways = options.memdevs.length;
  if (ways === 0) throw errno("EINVAL", "create-region: no memdevs");
  const rd = options.rootDecoder ?? cxl.rootDecoders().find((d) => (mode === "pmem" ? d.canCreatePmem : d.canCreateRam));
  if (rd === undefined) throw errno("ENXIO", `create-region: no root decoder can host ${name}`);
  const decoders = options.memdevs.map((m) => {
    const d = nextFreeEndpointDecoder(m);
    if (d === undefined) throw errno("ENOSPC", `create-region: ${m.name} has no free endpoint decoder`);
    return d;
  });
  const perDevice = options.size === undefined ? Math.min(...options.memdevs.map((m) => Math.floor((m.state.partition(mode)?.available() ?? 0) / SZ_256M) * SZ_256M)) : options.size / ways;
  if (perDevice <= 0) throw errno("ENOSPC", `create-region: no ${name} capacity available`);
  const size = perDevice * ways;
  const sysfs = cxl.sysfs;
  const write = (path: string, value: string): void => {
    sysfs.write(path, value);
  };
  const rdDir = `${DEV}/${rd.name}`;
  const regionName = sysfs.read(`${rdDir}/create_${name}_region`).trim();
  write(`${rdDir}/create_${name}_region`, regionName);
  await cxl.settle();
  const region = cxl.region(regionName);
  if (region === undefined) throw errno("ENXIO", `create-region: ${regionName} did not appear`);
  const dir = `${DEV}/${regionName}`;
  const allocated: CxlEndpointDecoder[] = [];
  try {
    const gran = options.granularity ?? (rd.interleaveWays > 1 ? rd.interleaveGranularity : 256);
    write(`${dir}/interleave_granularity`, String(gran));
    write(`${dir}/interleave_ways`, String(ways));
    if (options.uuid !== undefined) write(`${dir}/uuid`, options.uuid);
    for (const d of decoders) {
      write(`${DEV}/${d.name}/mode`, name);
      write(`${DEV}/${d.name}/dpa_size`, fmtLlx(perDevice));
      allocated.push(d);
    }
    write(`${dir}/size`, fmtLlx(size));
    decoders.forEach((d, i) => {
      write(`${dir}/target${i}`, d.name);
    });
    write(`${dir}/commit`, "1");
    const driver = options.driver ?? "cxl_region";
    if (driver !== "") {
      const bus = cxl.core.bus("cxl");
      if (bus?.driver(driver) === undefined) throw errno("ENOENT", `create-region: no region driver '${driver}'`);
      await bus.bind(regionName, driver);
    }
    return region;
  } catch (err) {
    await cxlDestroyRegion(cxl, region).catch(() => undefined);
    for (const d of allocated.reverse()) {
      try {
        write(`${DEV}/${d.name}/dpa_size`, "0");
      } catch (e) {
        if (!isDcdError(e)) throw e;
      }
    }
    throw err;
  }
}

/**
 * `cxl destroy-region`: reset (unbinding the driver), detach, delete, then free the endpoint
 * decoders' DPA (`cxl_decoder_set_dpa_size(0)` in cxl-cli's `destroy_region`), so that the
 * capacity can back a new region.
 */
export async function cxlDestroyRegion(cxl: CxlSubsystem, region: CxlRegion): Promise<void> {
  const dir = `${DEV}/${region.name}`;
  const decoders = region.endpointDecoders();
  if (region.isRegistered && !region.lock) {
    if (region.committed) cxl.sysfs.write(`${dir}/commit`, "0");
    await cxl.settle();
  }
  cxl.sysfs.write(`${DEV}/${region.rootDecoder.name}/delete_region`, region.name);
  await cxl.settle();
  for (const d of decoders) {
    if (d.region === undefined && d.dpaRes !== undefined) cxl.sysfs.write(`${DEV}/${d.name}/dpa_size`, "0");
  }
  await cxl.settle();
}
