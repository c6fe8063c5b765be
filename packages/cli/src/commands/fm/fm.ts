/**
 * `dcd fm ...`: the FM API DCD command set (5600h-5608h) with named options. Every command is
 * encoded to its binary payload, run through `FmApi.execute` (exactly what an FM sends over MCTP)
 * and the answer decoded and printed as JSON with the return code's name:
 * `{"rc": "SUCCESS", ...}` or `{"rc": "INVALID_INPUT", "reason": "..."}` (exit 1).
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import { type DcExtent, mboxRcName, MBOX_RC, NULL_UUID, OPCODE, type DcdResult } from "@dcd/core";
import {
  decodeDcListTagsOut,
  decodeGetDcdInfoOut,
  decodeGetDcRegionExtentListsOut,
  decodeGetHostDcRegionConfigOut,
  encodeDcListTagsIn,
  encodeDcReferenceIn,
  encodeGetDcRegionExtentListsIn,
  encodeGetHostDcRegionConfigIn,
  encodeInitiateDcAddIn,
  encodeInitiateDcReleaseIn,
  encodeSetDcRegionConfigIn,
  type GetDcRegionExtentListsOut,
  type FmApiResponse,
  SELECTION_POLICY_CODE,
  REMOVAL_POLICY_CODE,
  type SelectionPolicy,
  type RemovalPolicy,
} from "@dcd/fabric";
import { parseSize } from "../../system/topology-file.js";
import { type CommandContext } from "../context.js";
import { settleHosts } from "../settle.js";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function int(what: string, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = parseSize(value);
    if (n === undefined || n > max) throw new InvalidArgumentError(`${what}: expected an integer (decimal, 0x..., or a size like 256MiB), got '${value}'`);
    return n;
  };
}

function tag(value: string): string {
  if (!UUID_RE.test(value)) throw new InvalidArgumentError(`--tag: expected a UUID, got '${value}'`);
  return value.toLowerCase();
}

/** `DPA:LEN[:TAG[:SEQ]]`, numbers decimal, hex or sizes. */
export function parseExtent(value: string, previous: DcExtent[] = []): DcExtent[] {
  const parts = value.split(":");
  const [dpaText, lenText, tagText, seqText] = parts;
  const dpa = parseSize(dpaText ?? "");
  const len = parseSize(lenText ?? "");
  if (parts.length < 2 || parts.length > 4 || dpa === undefined || len === undefined) throw new InvalidArgumentError(`--extent: expected DPA:LEN[:TAG[:SEQ]], got '${value}'`);
  const t = tagText === undefined || tagText === "" ? NULL_UUID : tag(tagText);
  const seq = seqText === undefined ? 0 : parseSize(seqText);
  if (seq === undefined) throw new InvalidArgumentError(`--extent: bad sequence number in '${value}'`);
  return [...previous, { dpa, len, tag: t, sharedSeq: seq }];
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function extentJson(e: DcExtent): Record<string, unknown> {
  return { dpa: hex(e.dpa), length: hex(e.len), tag: e.tag, shared_seq: e.sharedSeq };
}

export function registerFmCommands(program: Command, ctx: CommandContext): void {
  const fm = program.command("fm").description("Fabric Manager API DCD commands (5600h-5608h) to a device");

  /** Run one opcode on the --device's FM API, print JSON, set the exit code. */
  const run = async <T>(device: string | undefined, opcode: number, payload: Uint8Array, decode?: (bytes: Uint8Array) => DcdResult<T>, show?: (v: T) => Record<string, unknown>): Promise<T | undefined> => {
    const system = await ctx.system();
    const res: FmApiResponse = system.fm(device).execute(opcode, payload);
    // The host's drivers react to the event records the command produced.
    await settleHosts(system);
    if (res.rc !== MBOX_RC.SUCCESS) {
      ctx.io.out(`${JSON.stringify({ rc: mboxRcName(res.rc), ...(res.reason ? { reason: res.reason } : {}) }, null, 2)}\n`);
      ctx.setExitCode(1);
      return undefined;
    }
    if (!decode) {
      ctx.io.out(`${JSON.stringify({ rc: "SUCCESS" }, null, 2)}\n`);
      return undefined;
    }
    const out = decode(res.payload);
    if (out.rc !== MBOX_RC.SUCCESS) throw new InvalidArgumentError(`undecodable ${hex(opcode)} output: ${out.reason}`);
    ctx.io.out(`${JSON.stringify({ rc: "SUCCESS", ...(show ? show(out.value) : (out.value as Record<string, unknown>)) }, null, 2)}\n`);
    return out.value;
  };

  const deviceOption = (): Option => new Option("--device <name>", "device name (default: the first device)");
  const hostIdOption = (): Option => new Option("--host-id <n>", "logical device (host id)").argParser(int("--host-id", 0xffff)).default(0);

  fm.command("info")
    .description("5600h Get DCD Info")
    .addOption(deviceOption())
    .action(async (o: { device?: string }) => {
      await run(o.device, OPCODE.FM_GET_DCD_INFO, new Uint8Array(0), decodeGetDcdInfoOut, (v) => ({ ...v, totalDynamicCapacity: hex(v.totalDynamicCapacity), regionBlockSizeMasks: v.regionBlockSizeMasks.map(hex) }));
    });

  fm.command("config")
    .description("5601h Get Host DC Region Configuration")
    .addOption(deviceOption())
    .addOption(hostIdOption())
    .option("--start <n>", "first region", int("--start", 0xff), 0)
    .option("--count <n>", "regions", int("--count", 0xff), 8)
    .action(async (o: { device?: string; hostId: number; start: number; count: number }) => {
      await run(o.device, OPCODE.FM_GET_HOST_DC_REGION_CONFIG, encodeGetHostDcRegionConfigIn({ hostId: o.hostId, regionCount: o.count, startRegion: o.start }), decodeGetHostDcRegionConfigOut, (v) => ({
        ...v,
        regions: v.regions.map((r) => ({ ...r, base: hex(r.base), decodeLength: hex(r.decodeLength), length: hex(r.length), blockSize: hex(r.blockSize) })),
      }));
    });

  fm.command("set-config")
    .description("5602h Set DC Region Configuration")
    .addOption(deviceOption())
    .requiredOption("--region <n>", "DC region", int("--region", 0xff))
    .requiredOption("--block-size <size>", "block size", int("--block-size"))
    .option("--sanitize-on-release", "sanitize on release")
    .action(async (o: { device?: string; region: number; blockSize: number; sanitizeOnRelease?: boolean }) => {
      await run(o.device, OPCODE.FM_SET_DC_REGION_CONFIG, encodeSetDcRegionConfigIn({ regionId: o.region, blockSize: o.blockSize, sanitizeOnRelease: o.sanitizeOnRelease === true }));
    });

  fm.command("extents")
    .description("5603h Get DC Region Extent Lists (pages until --count extents or the end of the list)")
    .addOption(deviceOption())
    .addOption(hostIdOption())
    .option("--start <n>", "first extent index", int("--start", 0xffffffff), 0)
    .option("--count <n>", "extents to return (default: all)", int("--count", 0xffffffff))
    .action(async (o: { device?: string; hostId: number; start: number; count?: number }) => {
      const system = await ctx.system();
      const fmApi = system.fm(o.device);
      const extents: DcExtent[] = [];
      let first: GetDcRegionExtentListsOut | undefined;
      let index = o.start;
      // Page until the list is complete (5603h answers as many as fit the payload).
      for (;;) {
        const want = o.count === undefined ? 0xffff : o.count - extents.length;
        const res = fmApi.execute(OPCODE.FM_GET_DC_REGION_EXTENT_LISTS, encodeGetDcRegionExtentListsIn({ hostId: o.hostId, extentCount: want, startIndex: index }));
        if (res.rc !== MBOX_RC.SUCCESS) {
          ctx.io.out(`${JSON.stringify({ rc: mboxRcName(res.rc), ...(res.reason ? { reason: res.reason } : {}) }, null, 2)}\n`);
          ctx.setExitCode(1);
          return;
        }
        const page = decodeGetDcRegionExtentListsOut(res.payload);
        if (page.rc !== MBOX_RC.SUCCESS) throw new Error(`undecodable 5603h output: ${page.reason}`);
        if (first && page.value.generation !== first.generation) throw new Error("the extent list changed while it was read (generation moved); try again");
        first ??= page.value;
        extents.push(...page.value.extents);
        index += page.value.extents.length;
        if (page.value.extents.length === 0 || index >= page.value.total || (o.count !== undefined && extents.length >= o.count)) break;
      }
      ctx.io.out(`${JSON.stringify({ rc: "SUCCESS", hostId: first.hostId, startIndex: o.start, total: first.total, generation: first.generation, extents: extents.map(extentJson) }, null, 2)}\n`);
    });

  fm.command("add")
    .description("5604h Initiate Dynamic Capacity Add")
    .addOption(deviceOption())
    .addOption(hostIdOption())
    .addOption(new Option("--policy <policy>", "selection policy").choices(Object.keys(SELECTION_POLICY_CODE)).default("prescriptive"))
    .option("--region <n>", "DC region", int("--region", 0xff), 0)
    .option("--length <size>", "capacity (free/contiguous)", int("--length"), 0)
    .option("--tag <uuid>", "tag", tag)
    .option("--extent <dpa:len[:tag[:seq]]>", "extent (prescriptive; repeatable)", parseExtent, [])
    .action(async (o: { device?: string; hostId: number; policy: SelectionPolicy; region: number; length: number; tag?: string; extent: DcExtent[] }) => {
      await run(o.device, OPCODE.FM_INITIATE_DC_ADD, encodeInitiateDcAddIn({ hostId: o.hostId, selectionPolicy: SELECTION_POLICY_CODE[o.policy], regionNumber: o.region, length: o.length, tag: o.tag ?? NULL_UUID, extents: o.extent }));
    });

  fm.command("release")
    .description("5605h Initiate Dynamic Capacity Release")
    .addOption(deviceOption())
    .addOption(hostIdOption())
    .addOption(new Option("--policy <policy>", "removal policy").choices(Object.keys(REMOVAL_POLICY_CODE)).default("prescriptive"))
    .option("--forced", "forced removal")
    .option("--sanitize", "sanitize on release")
    .option("--length <size>", "capacity (tag-based)", int("--length"), 0)
    .option("--tag <uuid>", "tag", tag)
    .option("--extent <dpa:len[:tag[:seq]]>", "extent (prescriptive; repeatable)", parseExtent, [])
    .action(async (o: { device?: string; hostId: number; policy: RemovalPolicy; forced?: boolean; sanitize?: boolean; length: number; tag?: string; extent: DcExtent[] }) => {
      await run(o.device, OPCODE.FM_INITIATE_DC_RELEASE, encodeInitiateDcReleaseIn({ hostId: o.hostId, removalPolicy: REMOVAL_POLICY_CODE[o.policy], forcedRemoval: o.forced === true, sanitizeOnRelease: o.sanitize === true, length: o.length, tag: o.tag ?? NULL_UUID, extents: o.extent }));
    });

  for (const [name, opcode, what] of [
    ["add-ref", OPCODE.FM_DC_ADD_REFERENCE, "5606h DC Add Reference"],
    ["remove-ref", OPCODE.FM_DC_REMOVE_REFERENCE, "5607h DC Remove Reference"],
  ] as const) {
    fm.command(name)
      .description(what)
      .addOption(deviceOption())
      .requiredOption("--tag <uuid>", "tag", tag)
      .action(async (o: { device?: string; tag: string }) => {
        await run(o.device, opcode, encodeDcReferenceIn(o.tag));
      });
  }

  fm.command("tags")
    .description("5608h DC List Tags")
    .addOption(deviceOption())
    .option("--start <n>", "first tag index", int("--start", 0xffffffff), 0)
    .option("--count <n>", "tags to request", int("--count", 0xffffffff), 0xffff)
    .action(async (o: { device?: string; start: number; count: number }) => {
      await run(o.device, OPCODE.FM_DC_LIST_TAGS, encodeDcListTagsIn({ startIndex: o.start, count: o.count }), decodeDcListTagsOut);
    });
}
