/**
 * `struct cxl_memdev` (`memN`, drivers/cxl/core/memdev.c) and the driver state behind it
 * (`struct cxl_memdev_state`): mailbox, identity, DPA partitions, the Dynamic Capacity
 * configuration and whether DCD is enabled.
 */
import { type Observable } from "rxjs";
import { Device } from "../driver-model/device.js";
import { type AttributeGroup, type DeviceAttribute } from "../driver-model/device-type.js";
import { cxlBaseGroup, CXL_DEVICE, type CxlDeviceType } from "./bus.js";
import { type DpaPartition, type DpaSpace, QOS_CLASS_INVALID } from "./dpa.js";
import { fmtLlx } from "./format.js";
import { type CxlMailbox } from "./mbox/mailbox.js";
import { type CxlMailboxTransport } from "./mbox/transport.js";
import { type CxlPort } from "./port.js";
import { type CxlPartitionMode, type CxlProfile } from "./profile.js";
import { type CxlSubsystem } from "./subsystem.js";

/** A CDAT DSMAS entry (Device Scoped Memory Affinity Structure) the device reports. */
export interface CdatDsmas {
  /** DSMAD handle (8 bits in CDAT). */
  readonly handle: number;
  readonly dpaBase: number;
  readonly dpaLength: number;
  readonly sharable?: boolean;
  readonly readOnly?: boolean;
  readonly nonVolatile?: boolean;
  /** The QoS class the platform assigns this range (CDAT + HMAT → `qos_class`). */
  readonly qosClass?: number;
}

/**
 * What the host learns from the device besides 4800h: Identify Memory Device (4000h), Get Partition
 * Info, the Command Effects Log, the CDAT, the MSI capability. dcd's device models speak only
 * 48xxh and event records on the wire, so a topology supplies these values.
 */
export interface CxlMemdevIdentity {
  /** 64 bits: a `bigint` when it does not fit a safe integer. */
  readonly serial: number | bigint;
  /** `%.16s` in sysfs. */
  readonly firmwareVersion: string;
  readonly labelStorageSize: number;
  readonly ramSize: number;
  readonly pmemSize: number;
  readonly numaNode: number;
  readonly ramQosClass: number;
  readonly pmemQosClass: number;
  /** Opcodes the Command Effects Log lists (R5: DCD needs all of 4800h-4803h). */
  readonly commands: ReadonlySet<number>;
  /** MSI/MSI-X event interrupts available (R6). */
  readonly msi: boolean;
  readonly cdat: readonly CdatDsmas[];
}

/** One DC region (spec) = DC partition (Linux), as read and checked from 4800h (R1-R3). */
export interface CxlDcPartitionInfo {
  /** DC region index on the device (0-7). */
  readonly index: number;
  /** DPA base. */
  readonly start: number;
  /** Decode Length in bytes (what Linux sizes the partition with, R4). */
  readonly size: number;
  /** Region Length in bytes (≤ size). */
  readonly length: number;
  readonly blockSize: number;
  readonly dsmadHandle: number;
  /** 4800h flags (bit 0 Sanitize on Release). */
  readonly flags: number;
  /** From the CDAT DSMAS entry with the same handle (R7). */
  readonly sharable: boolean;
  readonly readOnly: boolean;
  readonly qosClass: number;
}

/** `struct cxl_memdev_state` (+ `cxl_dev_state`). Built by the memdev host driver's probe. */
export class CxlDevState implements DpaSpace {
  /** `cxlds->part[]` in DPA order. */
  partitions: readonly DpaPartition[] = [];
  /** `mds->dcd_supported`: cleared by R3-R6 failures (static partitions keep working). */
  dcdSupported = false;
  /** Every DC partition the device reported, validated (R1-R3). */
  dcRegions: readonly CxlDcPartitionInfo[] = [];
  /** The DC partition Linux uses (the first, R4), once added to `partitions`. */
  dcPartition: CxlDcPartitionInfo | undefined;

  constructor(
    /** `cxlds->dev`: the PCI function or platform device hosting the memdev. */
    readonly dev: Device,
    readonly mailbox: CxlMailbox,
    readonly transport: CxlMailboxTransport,
    readonly identity: CxlMemdevIdentity,
  ) {}

  /** The device's event interrupt, when it has one (R6). */
  get interrupt$(): Observable<unknown> | undefined {
    return this.identity.msi ? this.transport.interrupt$ : undefined;
  }

  get payloadSize(): number {
    return this.mailbox.payloadSize;
  }

  /** `cxl_part_size()`. */
  partitionSize(mode: CxlPartitionMode): number {
    return this.partitions.find((p) => p.mode === mode)?.size ?? 0;
  }

  partition(mode: CxlPartitionMode): DpaPartition | undefined {
    return this.partitions.find((p) => p.mode === mode);
  }
}

/** `CXL_MEM_MAX_DEVS`-style char device major dcd reports for `/dev/cxl/memN` (as on the reference tree). */
export const CXL_MEM_MAJOR = 240;

/** `struct cxl_memdev`: `memN`, child of the function device. */
export class CxlMemdev extends Device {
  readonly cxl: CxlSubsystem;
  readonly id: number;
  readonly state: CxlDevState;
  /** The endpoint port, while `cxl_mem` has it enumerated. */
  endpoint: CxlPort | undefined;

  constructor(cxl: CxlSubsystem, id: number, state: CxlDevState) {
    super({ name: `mem${id}`, bus: "cxl", type: memdevType(cxl.profile), parent: state.dev });
    this.cxl = cxl;
    this.id = id;
    this.state = state;
  }

  /** `/dev/cxl/memN`. */
  get devNode(): string {
    return `/dev/cxl/${this.name}`;
  }

  /** `major:minor` of the char device. */
  get devt(): string {
    return `${CXL_MEM_MAJOR}:${this.id}`;
  }

  /** The memdev's serial number (`cxlds->serial`). */
  get serial(): number | bigint {
    return this.state.identity.serial;
  }
}

type Attr = DeviceAttribute<CxlMemdev>;

function partitionGroup(name: string, mode: CxlPartitionMode, hideEmptySize: boolean): AttributeGroup<CxlMemdev> {
  const size: Attr = { name: "size", show: (m) => fmtLlx(m.state.partitionSize(mode)) };
  const qos: Attr = { name: "qos_class", show: (m) => String(m.state.partition(mode)?.qosClass ?? QOS_CLASS_INVALID) };
  return {
    name,
    attrs: [size, qos],
    isVisible: (m, a) => {
      if (a === qos) return (m.state.partition(mode)?.qosClass ?? QOS_CLASS_INVALID) !== QOS_CLASS_INVALID;
      if (a === size && hideEmptySize) return m.state.partitionSize(mode) !== 0;
      return true;
    },
  };
}

const memdevTypes = new Map<string, CxlDeviceType<CxlMemdev>>();

/** `cxl_memdev_type` with its groups; the DC group is named per profile (`dynamic_ram_1`). */
export function memdevType(profile: CxlProfile): CxlDeviceType<CxlMemdev> {
  const cached = memdevTypes.get(profile.dcMode);
  if (cached !== undefined) return cached;
  const type: CxlDeviceType<CxlMemdev> = {
    name: "cxl_memdev",
    cxlDeviceId: CXL_DEVICE.MEMORY_EXPANDER,
    groups: [
      cxlBaseGroup,
      {
        attrs: [
          { name: "serial", show: (m) => fmtLlx(m.state.identity.serial) },
          { name: "firmware_version", show: (m) => m.state.identity.firmwareVersion.slice(0, 16) },
          { name: "payload_max", show: (m) => String(m.state.payloadSize) },
          { name: "label_storage_size", show: (m) => String(m.state.identity.labelStorageSize) },
          { name: "numa_node", show: (m) => String(m.state.identity.numaNode) },
          { name: "dev", show: (m) => m.devt },
        ],
      },
      partitionGroup("ram", "ram", false),
      partitionGroup("pmem", "pmem", false),
      partitionGroup(profile.dcMode, "dynamic_ram", true),
      { name: "security", attrs: [{ name: "state", show: () => "disabled" }] },
    ],
  };
  memdevTypes.set(profile.dcMode, type);
  return type;
}
