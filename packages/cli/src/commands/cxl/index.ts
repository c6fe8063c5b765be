/**
 * `dcd cxl …`: cxl-cli compatible commands (ndctl cxl/list.c, cxl/region.c) against the `--host`
 * host. `list` reads the host's sysfs tree as libcxl does; the region commands make cxl-cli's sysfs
 * writes. Output and messages are ndctl's, so scripts written for ndctl work against dcd.
 */
import { type Command } from "commander";
import { type CommandContext } from "../context.js";
import { cxlList, type NdctlProfile } from "./list.js";
import { ndctlParseErrors, USAGE_EXIT } from "./ndctl-cli.js";
import { createRegionCmd, regionActionCmd, releaseExtentsCmd } from "./region.js";

export { cxlList, cxlListJson, resolveListParams, type CxlListParams, type NdctlProfile } from "./list.js";
export { LibCxl, type SysfsView } from "./libcxl.js";
export { displayJsonArray, displaySize, toJsonString } from "./json-c.js";

interface ListOpts {
  memdev?: string;
  serial?: string;
  memdevs?: boolean;
  bus?: string;
  buses?: boolean;
  port?: string;
  ports?: boolean;
  endpoint?: string;
  endpoints?: boolean;
  decoder?: string;
  decoders?: boolean;
  targets?: boolean;
  single?: boolean;
  region?: string;
  regions?: boolean;
  extents?: boolean;
  dax?: boolean;
  health?: boolean;
  partition?: boolean;
  alertConfig?: boolean;
  idle?: boolean;
  human?: boolean;
  verbose?: number;
  ndctl?: string;
}

/** Register `cxl list|create-region|destroy-region|disable-region|enable-region|release-extents`. */
export function registerCxlCommands(program: Command, ctx: CommandContext): Command {
  const { io } = ctx;
  const cxl = program.command("cxl").description("cxl-cli compatible commands (ndctl)");
  const sub = (name: string, usage: string): Command => ndctlParseErrors(cxl.command(name), io, usage, (c) => { ctx.setExitCode(c); });

  sub("list", "cxl list [<options>]")
    .description("List CXL objects as ndctl's `cxl list` prints them")
    .option("-m, --memdev <names>", "filter by CXL memory device name(s)")
    .option("-s, --serial <serials>", "filter by CXL memory device serial number(s)")
    .option("-M, --memdevs", "include CXL memory device info")
    .option("-b, --bus <name>", "filter by CXL bus device name(s)")
    .option("-B, --buses", "include CXL bus info")
    .option("-p, --port <name>", "filter by CXL port device name(s)")
    .option("-P, --ports", "include CXL port info")
    .option("-S, --single", "skip listing descendant objects")
    .option("-e, --endpoint <name>", "filter by CXL endpoint device name(s)")
    .option("-E, --endpoints", "include CXL endpoint info")
    .option("-d, --decoder <name>", "filter by CXL decoder device name(s) / class")
    .option("-D, --decoders", "include CXL decoder info")
    .option("-T, --targets", "include CXL target data with decoders, ports or regions")
    .option("-r, --region <name>", "filter by CXL region name(s)")
    .option("-R, --regions", "include CXL regions")
    .option("-N, --extents", "include dynamic capacity extents of regions")
    .option("-X, --dax", "include CXL DAX region enumeration")
    .option("-H, --health", "include memory device health information")
    .option("-I, --partition", "include memory device partition information")
    .option("-A, --alert-config", "include alert configuration information")
    .option("-i, --idle", "include disabled devices")
    .option("-u, --human", "use human friendly number formats")
    .option("-v, --verbose", "increase output detail", (_v: string, prev: number) => prev + 1, 0)
    .option("--ndctl <version>", "output shape: 'latest' (ndctl DCD series, default) or '76.1'")
    .action(async (o: ListOpts) => {
      const profile: NdctlProfile = o.ndctl === "76.1" || o.ndctl === "76" ? "76.1" : "latest";
      if (profile === "76.1" && o.dax === true) {
        // ndctl 76.1 predates -X: its parse-options refuses the switch.
        io.err("  Error: unknown switch `X'\n\n usage: cxl list [<options>]\n\n");
        ctx.setExitCode(USAGE_EXIT);
        return;
      }
      const host = await ctx.host();
      const { out, err } = cxlList(host.sysfs, {
        memdevFilter: o.memdev,
        serialFilter: o.serial,
        busFilter: o.bus,
        portFilter: o.port,
        endpointFilter: o.endpoint,
        decoderFilter: o.decoder,
        regionFilter: o.region,
        memdevs: o.memdevs === true,
        buses: o.buses === true,
        ports: o.ports === true,
        endpoints: o.endpoints === true,
        decoders: o.decoders === true,
        targets: o.targets === true,
        single: o.single === true,
        regions: o.regions === true,
        extents: o.extents === true,
        dax: o.dax === true,
        health: o.health === true,
        partition: o.partition === true,
        alertConfig: o.alertConfig === true,
        idle: o.idle === true,
        human: o.human === true,
        verbose: o.verbose ?? 0,
        profile,
      });
      io.out(out);
      io.err(err);
    });

  sub("create-region", "cxl create-region <target0> ... [<options>]")
    .description("Create a region (ndctl cxl create-region); --driver binds the named region driver")
    .argument("[memdevs...]")
    .option("-b, --bus <name>", "Limit operation to the specified bus")
    .option("-d, --decoder <name>", "Limit to / use the specified root decoder")
    .option("-s, --size <size>", "total size desired for the resulting region.")
    .option("-w, --ways <n>", "number of memdevs participating in the regions interleave set")
    .option("-g, --granularity <n>", "granularity of the interleave set")
    .option("-t, --type <type>", "region type - 'pmem', 'ram', 'dynamic_ram_1'")
    .option("-U, --uuid <uuid>", "uuid for the new region (default: autogenerate)")
    .option("-m, --memdevs", "non-option arguments are memdevs")
    .option("-u, --human", "use human friendly number formats")
    .option("--driver <name>", "region driver to bind: a cxl driver name, or sysram / devdax (cxl_sysram_region / cxl_devdax_region); default cxl_region, '' leaves the region unbound")
    .option("--debug", "turn on debug")
    .action(async (args: string[], o: Record<string, string | boolean | undefined>) => {
      const host = await ctx.host();
      const str = (k: string): string | undefined => (typeof o[k] === "string" ? o[k] : undefined);
      ctx.setExitCode(
        await createRegionCmd(host, io, args, {
          type: str("type"),
          decoder: str("decoder"),
          size: str("size"),
          ways: str("ways"),
          granularity: str("granularity"),
          uuid: str("uuid"),
          driver: str("driver"),
          bus: str("bus"),
          human: o["human"] === true,
          memdevs: o["memdevs"] === true,
        }),
      );
    });

  for (const action of ["destroy", "disable", "enable"] as const) {
    const c = sub(`${action}-region`, `cxl ${action}-region <region> [<options>]`)
      .description(`${action} region(s) (ndctl cxl ${action}-region)`)
      .argument("[regions...]")
      .option("-b, --bus <name>", "Limit operation to the specified bus")
      .option("-d, --decoder <name>", "Limit to / use the specified root decoder")
      .option("--debug", "turn on debug");
    if (action !== "enable") c.option("-f, --force", action === "destroy" ? "destroy region even if currently active" : "attempt to offline memory before disabling the region");
    c.action(async (args: string[], o: { force?: boolean; decoder?: string }) => {
      const host = await ctx.host();
      ctx.setExitCode(await regionActionCmd(host, io, action, args, o));
    });
  }

  sub("release-extents", "cxl release-extents <region> [--id K] [--tag UUID]")
    .description("Host-initiated release of one extent group of a dynamic capacity region")
    .argument("<region>")
    .option("--id <id>", "the group holding extent K (K or extentZ.K)")
    .option("--tag <uuid>", "the live group tagged UUID")
    .action(async (region: string, o: { id?: string; tag?: string }) => {
      const host = await ctx.host();
      ctx.setExitCode(await releaseExtentsCmd(host, io, region, o));
    });
  return cxl;
}
