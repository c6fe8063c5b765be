/**
 * What the memdev host driver's probe learns about Dynamic Capacity, and when it gives DCD up
 * (host-rules §3.1, L11 patches 01-03, 10; drivers/cxl/core/mbox.c, drivers/cxl/pci.c):
 *
 * - R5 `cxl_enumerate_cmds`: DCD is supported only when the Command Effects Log lists 4800h-4803h;
 * - R1 `cxl_dev_dc_identify`: 4800h, paged by start index until every DC region is read;
 * - R2/R3 `cxl_dc_check`: per-region geometry checks, in the kernel's order, with its log lines;
 * - R4 `cxl_configure_dcd`: only the first region is used, and it must start where pmem ends;
 * - R7 `cxl_endpoint_parse_cdat`: sharable / qos_class from the DSMAS entry with the same handle;
 * - R6 `cxl_event_config`: no MSI/MSI-X, no DCD.
 *
 * Every failure disables DCD only (`cxl_disable_dcd`); the static partitions keep working.
 */
import { isDcdError } from "../errors.js";
import { type DcRegionConfig } from "./wire/dc-config.js";
import { OPCODE } from "./wire/opcodes.js";
import { isPowerOf2, isAligned, SZ_256M, hex } from "./format.js";
import { type KernelLog } from "./kernel-log.js";
import { CXL_MAX_DC_PARTITIONS, type CxlMailbox } from "./mbox/mailbox.js";
import { errnoNumber } from "./mbox/rc-errno.js";
import { type CdatDsmas, type CxlDevState, type CxlDcPartitionInfo } from "./memdev.js";
import { QOS_CLASS_INVALID } from "./dpa.js";
import { type CxlProfile } from "./profile.js";

/** `CXL_DCD_BLOCK_LINE_SIZE`. */
export const CXL_DCD_BLOCK_LINE_SIZE = 0x40;

/** The opcodes DCD needs in the Command Effects Log (R5). */
export const DCD_COMMANDS: readonly number[] = [OPCODE.GET_DC_CONFIG, OPCODE.GET_DC_EXTENT_LIST, OPCODE.ADD_DC_RESPONSE, OPCODE.RELEASE_DC];

/** A failure with the negative errno the kernel returns. */
class DcIdentifyError extends Error {
  constructor(readonly errno: number) {
    super(`-${errno}`);
  }
}

const EINVAL = 22;
const EIO = 5;

/** R5: `cxl_enumerate_cmds` sets `dcd_supported` when all of 4800h-4803h are in the CEL. */
export function dcdCommandsSupported(commands: ReadonlySet<number>): boolean {
  return DCD_COMMANDS.every((op) => commands.has(op));
}

/** The validated partition `cxl_dc_check` records (before CDAT). */
interface CheckedPartition {
  readonly start: number;
  readonly size: number;
}

/** `IS_ALIGNED(x, a)`: `(x & (a - 1)) == 0`, as C computes it for any `a` (0 included). */
function isAlignedMask(x: number, a: number): boolean {
  return (BigInt(x) & (BigInt(a) - 1n)) === 0n;
}

/** R2/R3 `cxl_dc_check` for region `index`, in the kernel's order. */
function dcCheck(log: KernelLog, dev: string, profile: CxlProfile, checked: CheckedPartition[], index: number, r: DcRegionConfig): void {
  const blk = r.blockSize;
  const len = r.length;
  const start = r.base;
  // The wire decoder already multiplied Decode Length (256 MiB units) into bytes.
  const size = r.decodeLength;
  checked[index] = { start, size };
  if (index > 0) {
    const prev = checked[index - 1];
    if (prev !== undefined && prev.start + prev.size > start) {
      log.err(dev, `DPA ordering violation for DC partition ${index - 1} and ${index}`);
      throw new DcIdentifyError(EINVAL);
    }
  }
  if (size === 0 || len === 0 || size < len || !isAlignedMask(len, blk)) {
    log.err(dev, `DC partition ${index} invalid length; size ${size} len ${len} blk size ${blk}`);
    throw new DcIdentifyError(EINVAL);
  }
  if (blk === 0 || blk % CXL_DCD_BLOCK_LINE_SIZE !== 0 || !isPowerOf2(blk)) {
    log.err(dev, `DC partition ${index} invalid block size ${blk}`);
    throw new DcIdentifyError(EINVAL);
  }
  if (!isAligned(start, SZ_256M) || !isAligned(start, blk)) {
    log.err(dev, `DC partition ${index} invalid start ${start} blk size ${blk}`);
    throw new DcIdentifyError(EINVAL);
  }
  if (profile.checkDsmadHandle && r.dsmadHandle > 0xff) {
    log.err(dev, `DC partition ${index} DSMAD handle ${hex(r.dsmadHandle)} has non-zero reserved bits`);
    throw new DcIdentifyError(EINVAL);
  }
  log.debug(dev, `DC partition ${index} start ${start} size ${size} blk_size: ${blk}`);
}

/** R1 `cxl_dev_dc_identify`: read and check every DC region; returns them all. */
function dcIdentify(mailbox: CxlMailbox, log: KernelLog, dev: string, profile: CxlProfile): DcRegionConfig[] {
  const checked: CheckedPartition[] = [];
  const regions: DcRegionConfig[] = [];
  let start = 0;
  let num = 0;
  let available: number;
  do {
    let page;
    try {
      page = mailbox.getDcConfigPage(CXL_MAX_DC_PARTITIONS, start);
    } catch (err) {
      const rc = isDcdError(err) ? errnoNumber(err.code) : EIO;
      log.err(dev, `Failed to get DC config: -${rc}`);
      throw new DcIdentifyError(rc);
    }
    const returned = page.regions.length;
    available = page.numRegions;
    if (returned > CXL_MAX_DC_PARTITIONS) {
      log.err(dev, `Device returned ${returned} partitions, max ${CXL_MAX_DC_PARTITIONS}`);
      log.err(dev, `Failed to get DC config: -${EIO}`);
      throw new DcIdentifyError(EIO);
    }
    if (returned === 0) {
      log.err(dev, `Device reported ${available} partitions available but returned none at index ${start}`);
      throw new DcIdentifyError(EIO);
    }
    num += returned;
    if (num < 1 || num > CXL_MAX_DC_PARTITIONS) {
      log.err(dev, `Invalid num of dynamic capacity partitions ${num}`);
      throw new DcIdentifyError(EINVAL);
    }
    page.regions.forEach((r, j) => {
      dcCheck(log, dev, profile, checked, start + j, r);
      regions.push(r);
    });
    start = num;
  } while (num < available);
  return regions;
}

/**
 * R1-R4 `cxl_configure_dcd`: identify, then add the first DC region as the dynamic partition when
 * it starts where static capacity ends. Returns the partition to add, or undefined (DCD disabled).
 */
export function configureDcd(state: CxlDevState, log: KernelLog, profile: CxlProfile, staticSize: number): { readonly regions: DcRegionConfig[]; readonly first: DcRegionConfig } | undefined {
  const dev = state.dev.name;
  let regions: DcRegionConfig[];
  try {
    regions = dcIdentify(state.mailbox, log, dev, profile);
  } catch (err) {
    const rc = err instanceof DcIdentifyError ? err.errno : EIO;
    log.warn(dev, `Failed to read Dynamic Capacity config: -${rc}`);
    state.dcdSupported = false;
    return undefined;
  }
  const first = regions[0];
  if (first === undefined) {
    state.dcdSupported = false;
    return undefined;
  }
  if (first.base !== staticSize) {
    log.warn(dev, "Dynamic Capacity skip from pmem not supported");
    state.dcdSupported = false;
    return undefined;
  }
  log.debug(dev, `Adding dynamic ram partition ${profile.dcMode === "dynamic_ram_1" ? "1" : "A"}; ${first.base} size ${first.decodeLength}`);
  return { regions, first };
}

/**
 * R7: sharable / read-only / qos_class of a DC region from the CDAT DSMAS entries with its DSMAD
 * handle. Entries of one handle that disagree only warn ("Dynamic RAM perf mismatch"); the first
 * wins. No entry: not sharable, no QoS class.
 */
export function dcPartitionInfo(index: number, r: DcRegionConfig, cdat: readonly CdatDsmas[], log: KernelLog, dev: string): CxlDcPartitionInfo {
  const handle = r.dsmadHandle & 0xff;
  const matches = cdat.filter((d) => (d.handle & 0xff) === handle);
  const first = matches[0];
  if (matches.some((d) => (d.sharable ?? false) !== (first?.sharable ?? false) || (d.qosClass ?? QOS_CLASS_INVALID) !== (first?.qosClass ?? QOS_CLASS_INVALID) || d.dpaBase !== first?.dpaBase || d.dpaLength !== first.dpaLength)) {
    log.warn(dev, "Dynamic RAM perf mismatch");
  }
  if (first === undefined) log.debug(dev, `DC partition ${index}: no DSMAS entry for handle ${hex(handle)}`);
  return {
    index,
    start: r.base,
    size: r.decodeLength,
    length: r.length,
    blockSize: r.blockSize,
    dsmadHandle: handle,
    flags: r.flags,
    sharable: first?.sharable ?? false,
    readOnly: first?.readOnly ?? false,
    qosClass: first?.qosClass ?? QOS_CLASS_INVALID,
  };
}

/** R6 `cxl_event_config` without interrupts. */
export function eventConfig(state: CxlDevState, log: KernelLog): void {
  if (state.interrupt$ !== undefined) return;
  log.info(state.dev.name, "No interrupt support, disable event processing.");
  if (state.dcdSupported) {
    log.info(state.dev.name, "DCD requires interrupts, disable DCD");
    state.dcdSupported = false;
  }
}
