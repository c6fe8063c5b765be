/**
 * A shell on one CLI System for scenario tests: every call is one `dcd` command line run by
 * `main()`, plus readers for what the sysram scenarios look at (memory blocks, node meminfo, the
 * FM's extent list, `cxl list -N`, sysram_region0's extents) and a snapshot of all of it for
 * "bad input changes nothing" checks.
 */
import { expect } from "vitest";
import { type System } from "../../commands/context.js";
import { type DcdRun, runDcd } from "../../test-support/run-dcd.js";

export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;
export const BLOCK = 128 * MIB;
/** The CLI System's memory blocks are 128 MiB and its CXL window starts at 64 GiB (`system.ts`). */
export const FIRST_BLOCK = (64 * GIB) / BLOCK;
export const MEM = "/sys/devices/system/memory";
export const NODE = "/sys/devices/system/node";
export const SYSRAM = "/sys/bus/cxl/devices/sysram_region0";
export const DAX = "/sys/bus/dax/devices";
export const TAG_A = "5be13bce-ae34-4a77-b6c3-16df975fcf1a";
export const TAG_B = "deadbeef-cafe-baad-f00d-fedcba987654";
export const TAG_C = "0c0c0c0c-1111-2222-3333-444444444444";

/** `memoryN` of region offset `offset`. */
export const memory = (offset: number): string => `memory${FIRST_BLOCK + offset / BLOCK}`;
/** `memoryN` of every block of [offset, offset + len). */
export const memories = (offset: number, len: number): string[] => Array.from({ length: len / BLOCK }, (_, i) => memory(offset + i * BLOCK));
export const hex = (n: number): string => `0x${n.toString(16)}`;
/** `--extent DPA:LEN[:TAG]` (region 0 starts at DPA 0). */
export const extent = (offset: number, len: number, tag?: string): string[] => ["--extent", `${hex(offset)}:${hex(len)}${tag === undefined ? "" : `:${tag}`}`];

export type Run = DcdRun;

interface FmExtent {
  readonly dpa: string;
  readonly length: string;
  readonly tag: string;
}

/** One host's shell: every call is one `dcd` command line. */
export class Shell {
  /** `firstBlock`: id of the CXL window's first memory block (default: 64 GiB in 128 MiB blocks). */
  constructor(
    readonly system: System,
    private readonly firstBlock = FIRST_BLOCK,
  ) {}

  async dcd(...argv: string[]): Promise<Run> {
    return runDcd(argv, this.system);
  }

  /** A command that must succeed; its stdout. */
  async ok(...argv: string[]): Promise<string> {
    const r = await this.dcd(...argv);
    expect(r, `dcd ${argv.join(" ")}`).toMatchObject({ code: 0 });
    return r.stdout;
  }

  async cat(path: string): Promise<string> {
    return (await this.ok("sysfs", "cat", path)).replace(/\n$/, "");
  }

  async ls(path: string): Promise<string[]> {
    return (await this.ok("sysfs", "ls", path)).split("\n").filter((n) => n !== "");
  }

  async exists(path: string): Promise<boolean> {
    return (await this.dcd("sysfs", "ls", path)).code === 0;
  }

  /** `echo value > path`: the stderr of a refused store, "" when it was taken. */
  async write(path: string, value: string): Promise<string> {
    const r = await this.dcd("sysfs", "write", path, value);
    expect(r.code).toBe(r.stderr === "" ? 0 : 1);
    return r.stderr;
  }

  /** The memory blocks of the CXL window, in id order. */
  async windowBlocks(): Promise<string[]> {
    return (await this.ls(MEM))
      .filter((n) => /^memory\d+$/.test(n) && Number(n.slice(6)) >= this.firstBlock)
      .sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)));
  }

  /** `state:valid_zones` of each block. */
  async blockStates(blocks: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    for (const b of blocks) out.push(`${await this.cat(`${MEM}/${b}/state`)}:${await this.cat(`${MEM}/${b}/valid_zones`)}`);
    return out;
  }

  /** What the FM sees as allocated to host 0 (5603h), as `DPA:LEN[:TAG]`. */
  async fmExtents(): Promise<string[]> {
    const r = JSON.parse(await this.ok("fm", "extents")) as { extents: FmExtent[] };
    return r.extents.map((e) => `${e.dpa}:${e.length}${/^0+(-0+)*$/.test(e.tag) ? "" : `:${e.tag}`}`);
  }

  /** `cxl list -r region0 -N` extents (absent when the region has none). */
  async regionExtents(): Promise<unknown[]> {
    const [r] = JSON.parse(await this.ok("cxl", "list", "-r", "region0", "-N")) as [{ extents?: unknown[] }];
    return r.extents ?? [];
  }

  /** `dcd dmesg` (err, warn and info lines). */
  async dmesg(): Promise<string> {
    return this.ok("dmesg");
  }

  /** MemTotal of node N in kB (0 when the node has no memory and so no directory). */
  async memTotalKb(node: number): Promise<number> {
    if (!(await this.exists(`${NODE}/node${node}`))) return 0;
    const m = /MemTotal:\s+(\d+) kB/.exec(await this.cat(`${NODE}/node${node}/meminfo`));
    return Number(m?.[1]);
  }

  /** Everything a refused command must leave as it was. */
  async snapshot(): Promise<string[]> {
    const blocks = await this.windowBlocks();
    return [
      (await this.ls(MEM)).join(","),
      ...(await this.blockStates(blocks)),
      (await this.dcd("sysfs", "ls", `${SYSRAM}/extents`)).stdout,
      (await this.dcd("sysfs", "cat", `${SYSRAM}/online_type`, `${SYSRAM}/stranded_policy`, `${SYSRAM}/private`)).stdout,
      (await this.ok("fm", "extents")),
      (await this.ok("cxl", "list", "-r", "region0", "-N")),
    ];
  }

  /** `cxl create-region --driver sysram` over the whole DC partition, then its policy through sysfs. */
  async sysramRegion(onlineType: string, strandedPolicy?: string): Promise<void> {
    await this.ok("cxl", "create-region", "-m", "mem0", "-d", "decoder0.0", "-t", "dynamic_ram_1", "--driver", "sysram");
    expect(await this.cat(`${SYSRAM}/online_type`)).toBe("invalid");
    if (strandedPolicy !== undefined) expect(await this.write(`${SYSRAM}/stranded_policy`, strandedPolicy)).toBe("");
    expect(await this.write(`${SYSRAM}/online_type`, onlineType)).toBe("");
  }

  /** `fm add` (prescriptive, region 0, host 0): one chain. */
  async add(...extents: string[][]): Promise<void> {
    await this.ok("fm", "add", ...extents.flat());
  }

  /** `fm release` (prescriptive). */
  async release(...extents: string[][]): Promise<void> {
    await this.ok("fm", "release", ...extents.flat());
  }

  /** The extent directories under sysram_region0/extents, with their `group` and `memory`. */
  async sysramExtents(): Promise<{ name: string; group: string; memory: string }[]> {
    const names = (await this.ls(`${SYSRAM}/extents`)).filter((n) => n.startsWith("extent"));
    const out = [];
    for (const name of names) out.push({ name, group: await this.cat(`${SYSRAM}/extents/${name}/group`), memory: await this.cat(`${SYSRAM}/extents/${name}/memory`) });
    return out;
  }
}
