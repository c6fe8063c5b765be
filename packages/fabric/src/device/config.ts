/**
 * Device configuration: options, validation of a DC partition list, QEMU `cxl-type3` properties
 * (realize errors word for word) and the kernel cxl_test mock geometry.
 */
import { type Clock, errno, NULL_UUID } from "@dcd/core";
import { DEFAULT_EVENT_LOG_CAPACITY } from "../event-log/event-log.js";
import { type DcdProfile, type DcdQuirks, PROFILES } from "./quirks.js";
import { CXL_CAPACITY_MULTIPLIER, DCD_MAX_NUM_REGION, type DcExtent, type DcPartition, type DcPartitionConfig, type RemovalPolicy, type SelectionPolicy } from "./types.js";

/** Options every way of building a device accepts. */
export interface DcdDeviceOptions {
  /** Label in events, errors and leak reports (QEMU's device id, e.g. "cxl-dcd0"). */
  readonly name?: string;
  readonly serial?: number;
  /** Host ids 0..numHosts-1, one logical device each. Default 1. */
  readonly numHosts?: number;
  /** Extents the device can track (pending + accepted, all hosts). Default 512. */
  readonly extentBudget?: number;
  /** Distinct tags the device can track; "untracked" reports 0/0 and never limits (QEMU). */
  readonly tagBudget?: number | "untracked";
  /** Records per DC event log. Default 8 (QEMU). */
  readonly eventLogCapacity?: number;
  /** Records in the FM's view (04h/05h). Default: `eventLogCapacity`. */
  readonly fmEventLogCapacity?: number;
  /** Mailbox payload size in bytes (bounds 4801h/5603h pages and accepted input). Default 2048. */
  readonly payloadSize?: number;
  readonly selectionPolicies?: readonly SelectionPolicy[];
  readonly removalPolicies?: readonly RemovalPolicy[];
  /** First shared sequence number the device assigns (v11: 0, v10: 1). */
  readonly sharedSeqBase?: 0 | 1;
  readonly profile?: DcdProfile;
  readonly quirks?: Partial<DcdQuirks>;
  readonly clock?: Clock;
}

/** A device from an explicit partition list. */
export interface DcdDeviceConfig extends DcdDeviceOptions {
  readonly ramSize?: number;
  readonly pmemSize?: number;
  readonly partitions: readonly DcPartitionConfig[];
}

/** A QEMU memory backend as a property value: its object id and size. */
export interface QemuBackend {
  readonly id: string;
  readonly size: number;
}

/** The `cxl-type3` properties that shape a DCD (hw/mem/cxl_type3.c). */
export interface QemuDcdProperties {
  readonly memdev?: QemuBackend;
  readonly "volatile-memdev"?: QemuBackend;
  readonly "persistent-memdev"?: QemuBackend;
  readonly "volatile-dc-memdev"?: QemuBackend;
  readonly "num-dc-regions"?: number;
  readonly lsa?: QemuBackend;
  readonly id?: string;
  readonly sn?: number;
}

export interface CxlTestMockOptions extends DcdDeviceOptions {
  /** Only the memdev with serial 0xDCDC (platform id 0) has a sharable DC partition. Default 0xDCDC. */
  readonly serial?: number;
  /** Seed the "pre" and "pre2" accepted extents (default: when the memdev is not 0xDCDC). */
  readonly preInjected?: boolean;
}

/** Everything a device needs, with every default applied. */
export interface ResolvedConfig {
  readonly name: string;
  readonly serial: number;
  readonly ramSize: number;
  readonly pmemSize: number;
  readonly partitions: readonly DcPartition[];
  readonly numHosts: number;
  readonly extentBudget: number;
  readonly tagBudget: number | "untracked";
  readonly eventLogCapacity: number;
  readonly fmEventLogCapacity: number;
  readonly payloadSize: number;
  readonly selectionPolicies: ReadonlySet<SelectionPolicy>;
  readonly removalPolicies: ReadonlySet<RemovalPolicy>;
  readonly sharedSeqBase: 0 | 1;
  readonly quirks: DcdQuirks;
}

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const hex = (n: number): string => `0x${n.toString(16)}`;
const isPow2 = (n: number): boolean => Number.isSafeInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;

function positiveInt(value: number, what: string, min = 1): number {
  if (!Number.isSafeInteger(value) || value < min) throw errno("EINVAL", `${what}: ${value} is not an integer >= ${min}`, { detail: { value } });
  return value;
}

/** Apply defaults and validate; EINVAL naming the first bad value. */
export function resolveConfig(config: DcdDeviceConfig, defaultProfile: DcdProfile = "spec"): ResolvedConfig {
  const profile = PROFILES[config.profile ?? defaultProfile];
  const ramSize = config.ramSize ?? 0;
  const pmemSize = config.pmemSize ?? 0;
  if (!Number.isSafeInteger(ramSize) || ramSize < 0) throw errno("EINVAL", `ramSize: ${ramSize} is not a byte count`);
  if (!Number.isSafeInteger(pmemSize) || pmemSize < 0) throw errno("EINVAL", `pmemSize: ${pmemSize} is not a byte count`);
  const partitions = validatePartitions(config.partitions, ramSize + pmemSize);
  const numHosts = positiveInt(config.numHosts ?? 1, "numHosts");
  if (numHosts > 0x10000) throw errno("EINVAL", `numHosts: ${numHosts} exceeds the u16 host id space`);
  const tagBudget = config.tagBudget ?? profile.tagBudget;
  if (tagBudget !== "untracked") positiveInt(tagBudget, "tagBudget", 0);
  const payloadSize = positiveInt(config.payloadSize ?? 2048, "payloadSize", 256);
  const selection = config.selectionPolicies ?? profile.selectionPolicies;
  const removal = config.removalPolicies ?? profile.removalPolicies;
  return {
    name: config.name ?? "dcd0",
    serial: config.serial ?? 0,
    ramSize,
    pmemSize,
    partitions,
    numHosts,
    extentBudget: positiveInt(config.extentBudget ?? 512, "extentBudget", 0),
    tagBudget,
    eventLogCapacity: positiveInt(config.eventLogCapacity ?? DEFAULT_EVENT_LOG_CAPACITY, "eventLogCapacity"),
    fmEventLogCapacity: positiveInt(config.fmEventLogCapacity ?? config.eventLogCapacity ?? DEFAULT_EVENT_LOG_CAPACITY, "fmEventLogCapacity"),
    payloadSize,
    selectionPolicies: new Set(selection),
    removalPolicies: new Set(removal),
    sharedSeqBase: config.sharedSeqBase ?? 0,
    quirks: { ...profile.quirks, ...config.quirks },
  };
}

/**
 * Check a partition list against the spec's constraints (R2) and QEMU's realize checks. Messages
 * are QEMU's where QEMU has the check; the others name the region and value the same way.
 */
export function validatePartitions(list: readonly DcPartitionConfig[], staticEnd: number): DcPartition[] {
  if (list.length > DCD_MAX_NUM_REGION) throw errno("EINVAL", `num-dc-regions ${list.length} exceeds the maximum of ${DCD_MAX_NUM_REGION}`);
  const out: DcPartition[] = [];
  let prevEnd = staticEnd;
  list.forEach((p, index) => {
    const where = `DC region ${index}`;
    for (const [field, value] of [
      ["base", p.base],
      ["decodeLength", p.decodeLength],
      ["length", p.length],
      ["blockSize", p.blockSize],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 0) throw errno("EINVAL", `${where} ${field}: ${value} is not a byte count`);
    }
    if (p.base % CXL_CAPACITY_MULTIPLIER !== 0) throw dcRegionError(`DC region base not aligned to ${hex(CXL_CAPACITY_MULTIPLIER)}`, index);
    if (p.decodeLength === 0 || p.decodeLength % CXL_CAPACITY_MULTIPLIER !== 0) throw dcRegionError(`DC region size is unaligned to ${hex(CXL_CAPACITY_MULTIPLIER)}`, index);
    if (!isPow2(p.blockSize) || p.blockSize < 0x40) throw dcRegionError(`${where} block size ${hex(p.blockSize)} is invalid: must be a power of 2 and at least 0x40`, index);
    if (p.base % p.blockSize !== 0) throw dcRegionError(`${where} base ${hex(p.base)} is not a multiple of block size ${hex(p.blockSize)}`, index);
    if (p.length === 0 || p.length > p.decodeLength) throw dcRegionError(`${where} length ${hex(p.length)} must be > 0 and <= decode length ${hex(p.decodeLength)}`, index);
    if (p.length % p.blockSize !== 0) throw dcRegionError(`${where} length ${hex(p.length)} is not a multiple of block size ${hex(p.blockSize)}`, index);
    if (p.base < prevEnd) throw dcRegionError(`${where} base ${hex(p.base)} is below the end of the previous capacity ${hex(prevEnd)}`, index);
    if (!Number.isSafeInteger(p.base + p.decodeLength)) throw dcRegionError(`${where} ends beyond 2^53 bytes`, index);
    if (!Number.isInteger(p.dsmadHandle) || p.dsmadHandle < 0 || p.dsmadHandle > 0xffffffff) throw dcRegionError(`${where} DSMAD handle ${p.dsmadHandle} does not fit in 32 bits`, index);
    const supported = p.supportedBlockSizes ?? p.blockSize;
    if (!Number.isSafeInteger(supported) || (supported & 0x3f) !== 0 || supported % (p.blockSize * 2) < p.blockSize) {
      throw dcRegionError(`${where} supported block size mask ${hex(supported)} must include block size ${hex(p.blockSize)} and no size below 0x40`, index);
    }
    prevEnd = p.base + p.decodeLength;
    out.push({
      index,
      base: p.base,
      decodeLength: p.decodeLength,
      length: p.length,
      blockSize: p.blockSize,
      dsmadHandle: p.dsmadHandle,
      supportedBlockSizes: supported,
      sharable: p.sharable ?? false,
      readOnly: p.readOnly ?? false,
      nonVolatile: p.nonVolatile ?? false,
      hwManagedCoherency: p.hwManagedCoherency ?? false,
      icSpecificDcManagement: p.icSpecificDcManagement ?? false,
      sanitizeOnRelease: p.sanitizeOnRelease ?? false,
    });
  });
  return out;
}

function dcRegionError(message: string, region: number): Error {
  return errno("EINVAL", message, { detail: { hint: "setup DC regions failed", region } });
}

/**
 * The partition list QEMU builds from `cxl-type3` properties (`cxl_setup_memory` and
 * `cxl_create_dc_regions`), with QEMU's realize errors in QEMU's order.
 */
export function qemuPropertiesToConfig(props: QemuDcdProperties, options: DcdDeviceOptions = {}): DcdDeviceConfig {
  const numRegions = props["num-dc-regions"] ?? 0;
  if (!Number.isInteger(numRegions) || numRegions < 0 || numRegions > 0xff) throw errno("EINVAL", `Parameter 'num-dc-regions' expects uint8_t`);
  if (props.memdev === undefined && props["volatile-memdev"] === undefined && props["persistent-memdev"] === undefined && numRegions === 0) {
    throw errno("EINVAL", "at least one memdev property must be set");
  }
  if (props.memdev !== undefined && props["persistent-memdev"] !== undefined) {
    throw errno("EINVAL", "[memdev] cannot be used with new [persistent-memdev] property");
  }
  const vmem = props["volatile-memdev"];
  // The legacy `memdev` property means persistent memory.
  const pmem = props["persistent-memdev"] ?? props.memdev;
  if (pmem !== undefined && props.lsa === undefined) throw errno("EINVAL", "lsa property must be set for persistent devices");
  const mapped = new Set<string>();
  const map = (b: QemuBackend): void => {
    if (mapped.has(b.id)) throw errno("EINVAL", `memory backend ${b.id} can't be used multiple times.`);
    mapped.add(b.id);
  };
  if (vmem !== undefined) map(vmem);
  if (pmem !== undefined) map(pmem);
  const partitions: DcPartitionConfig[] = [];
  if (numRegions > 0) {
    const dc = props["volatile-dc-memdev"];
    if (dc === undefined) throw errno("EINVAL", "dynamic capacity must have a backing device");
    map(dc);
    if (numRegions > DCD_MAX_NUM_REGION) throw errno("EINVAL", `num-dc-regions ${numRegions} exceeds the maximum of ${DCD_MAX_NUM_REGION}`);
    const regionLen = Math.ceil(dc.size / numRegions);
    if (dc.size % (numRegions * CXL_CAPACITY_MULTIPLIER) !== 0) throw dcRegionError(`backend size is not multiple of region len: ${hex(regionLen)}`, 0);
    if (regionLen % CXL_CAPACITY_MULTIPLIER !== 0) throw dcRegionError(`DC region size is unaligned to ${hex(CXL_CAPACITY_MULTIPLIER)}`, 0);
    let base = (vmem?.size ?? 0) + (pmem?.size ?? 0);
    if (base % CXL_CAPACITY_MULTIPLIER !== 0) throw dcRegionError(`DC region base not aligned to ${hex(CXL_CAPACITY_MULTIPLIER)}`, 0);
    // DSMAD handles continue after the static partitions' CDAT entries.
    let handle = (vmem !== undefined ? 1 : 0) + (pmem !== undefined ? 1 : 0);
    for (let i = 0; i < numRegions; i++) {
      partitions.push({ base, decodeLength: regionLen, length: regionLen, blockSize: 2 * MIB, dsmadHandle: handle++ });
      base += regionLen;
    }
  }
  return {
    name: props.id ?? "cxl-dcd0",
    ...(props.sn === undefined ? {} : { serial: props.sn }),
    profile: "qemu",
    ...options,
    ramSize: vmem?.size ?? 0,
    pmemSize: pmem?.size ?? 0,
    partitions,
  };
}

/** cxl_test's pre-injected extents (P26): "pre" untagged, "pre2" tagged. */
export const CXL_TEST_PRE_EXTENTS: readonly DcExtent[] = [
  { dpa: 0x88000000, len: 0x4000000, tag: NULL_UUID, sharedSeq: 0 },
  { dpa: 0x90000000, len: 0x4000000, tag: "deadbeef-cafe-baad-f00d-fedcba987654", sharedSeq: 0 },
];

/** The serial of the cxl_test memdev whose DC partition is sharable. */
export const CXL_TEST_SHARABLE_SERIAL = 0xdcdc;

/**
 * The kernel cxl_test mock memdev: 2 GiB static capacity (1 GiB ram + 1 GiB pmem, as
 * `mock_partition_info`), one DC partition at DPA 0x80000000 of 512 MiB with 512-byte blocks and
 * DSMAD handle 0xFA, sharable on the serial-0xDCDC memdev.
 */
export function cxlTestMockConfig(options: CxlTestMockOptions = {}): DcdDeviceConfig {
  const serial = options.serial ?? CXL_TEST_SHARABLE_SERIAL;
  return {
    name: `cxl_mem.${serial === CXL_TEST_SHARABLE_SERIAL ? 0 : serial - 1}`,
    profile: "cxl-test",
    ...options,
    serial,
    ramSize: GIB,
    pmemSize: GIB,
    partitions: [{ base: 0x80000000, decodeLength: 512 * MIB, length: 512 * MIB, blockSize: 512, dsmadHandle: 0xfa, sharable: serial === CXL_TEST_SHARABLE_SERIAL }],
  };
}
