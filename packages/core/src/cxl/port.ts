/**
 * `struct cxl_port` and `struct cxl_dport` (drivers/cxl/core/port.c): the decode topology.
 *
 * `root0` sits under the platform firmware device (ACPI0017:00, or cxl_test's cxl_acpi.0) and its
 * dports are the host bridges; each host bridge, and each CXL switch, is a `portN` whose dports are
 * its downstream ports; an `endpointN` hangs under the port whose dport leads to a memdev, with the
 * memdev as its uport. Port ids share one allocator per host, as the kernel's `cxl_port_ida`.
 */
import { Device } from "../driver-model/device.js";
import { type Devm } from "../driver-model/devres.js";
import { errno } from "../errors.js";
import { cxlBaseGroup, CXL_DEVICE, type CxlDeviceType } from "./bus.js";
import { type CxlDecoder, type CxlEndpointDecoder } from "./decoder.js";
import { Ida } from "./ida.js";
import { type CxlRegion } from "./region.js";
import { type CxlSubsystem } from "./subsystem.js";

/** `struct cxl_dport`: a downstream port of `port`, named `dport<portId>` in sysfs. */
export class CxlDport {
  constructor(
    readonly port: CxlPort,
    /** The hardware id decoders' target lists use (a host bridge's _UID, a root port's port number). */
    readonly portId: number,
    /** The device implementing the downstream link (host bridge, root port, switch downstream port). */
    readonly dev: Device,
  ) {}
}

/** `struct cxl_region_ref`: a region's interest in one port. */
export interface CxlRegionRef {
  readonly port: CxlPort;
  readonly region: CxlRegion;
  decoder: CxlDecoder | undefined;
  /** Endpoint decoders below this port that belong to the region. */
  readonly endpoints: Set<CxlEndpointDecoder>;
  nrTargetsSet: number;
  nrEps: number;
  nrTargets: number;
}

export type CxlPortKind = "root" | "switch" | "endpoint";

export interface CxlPortOptions {
  readonly cxl: CxlSubsystem;
  readonly id: number;
  readonly kind: CxlPortKind;
  /** The device implementing the upstream port: firmware device, host bridge, switch, memdev. */
  readonly uport: Device;
  readonly parentDport?: CxlDport;
}

/** `struct cxl_port` (also `struct cxl_root` when `kind` is "root"). */
export class CxlPort extends Device {
  readonly cxl: CxlSubsystem;
  readonly id: number;
  readonly kind: CxlPortKind;
  readonly uport: Device;
  readonly parentDport: CxlDport | undefined;
  readonly depth: number;
  /** Downstream ports by port id. */
  readonly dports = new Map<number, CxlDport>();
  /** Decoders by decoder id. */
  readonly decoders = new Map<number, CxlDecoder>();
  readonly decoderIda = new Ida();
  /** Regions mapped through this port. */
  readonly regions = new Map<CxlRegion, CxlRegionRef>();
  /** Last decoder with a DPA allocation (endpoint ports): allocation order is decoder order. */
  hdmEnd = -1;
  /** Last committed decoder: commit and reset go in decoder order. */
  commitEnd = -1;
  /** Set once unregistered (`port->dead`). */
  dead = false;
  /** The devres of the port's own binding (cxl_port), while bound: what the port's probe owns. */
  binding: Devm | undefined;

  constructor(options: CxlPortOptions) {
    const name = options.kind === "root" ? `root${options.id}` : options.kind === "endpoint" ? `endpoint${options.id}` : `port${options.id}`;
    super({ name, bus: "cxl", type: cxlPortType, parent: options.parentDport?.port ?? options.uport });
    this.cxl = options.cxl;
    this.id = options.id;
    this.kind = options.kind;
    this.uport = options.uport;
    this.parentDport = options.parentDport;
    this.depth = options.parentDport === undefined ? 0 : options.parentDport.port.depth + 1;
  }

  get isRoot(): boolean {
    return this.kind === "root";
  }

  get isEndpoint(): boolean {
    return this.kind === "endpoint";
  }

  /** `parent_port_of()`. */
  get parentPort(): CxlPort | undefined {
    return this.parentDport?.port;
  }

  /** `cxl_num_decoders_committed()`. */
  get decodersCommitted(): number {
    return this.commitEnd + 1;
  }

  /** Ports from the root down to this one (inclusive). */
  ancestry(): CxlPort[] {
    const chain: CxlPort[] = [this];
    for (let p = this.parentPort; p !== undefined; p = p.parentPort) chain.unshift(p);
    return chain;
  }

  /** The root port above this one (`find_cxl_root`). */
  cxlRoot(): CxlPort {
    return this.ancestry()[0] ?? this;
  }

  /** `find_dport`. */
  dport(portId: number): CxlDport | undefined {
    return this.dports.get(portId);
  }

  /** The dport whose device is `dev` (`cxl_find_dport_by_dev`). */
  dportByDev(dev: Device): CxlDport | undefined {
    for (const d of this.dports.values()) if (d.dev === dev) return d;
    return undefined;
  }

  /** `add_dport`: EBUSY when the port id is taken. */
  addDport(portId: number, dev: Device): CxlDport {
    const dup = this.dports.get(portId);
    if (dup !== undefined) {
      this.cxl.log.err(this, `unable to add dport${portId}-${dev.name} non-unique port id (${dup.dev.name})`);
      throw errno("EBUSY", `${this.name}: dport id ${portId} is already ${dup.dev.name}`);
    }
    const dport = new CxlDport(this, portId, dev);
    this.dports.set(portId, dport);
    return dport;
  }

  removeDport(dport: CxlDport): void {
    if (this.dports.get(dport.portId) === dport) this.dports.delete(dport.portId);
  }
}

/** `cxl_port_type`: devtype `cxl_port`; `cxl:t4` for a root, `cxl:t3` otherwise. */
export const cxlPortType: CxlDeviceType<CxlPort> = {
  name: "cxl_port",
  cxlDeviceId: (port) => (port.isRoot ? CXL_DEVICE.ROOT : CXL_DEVICE.PORT),
  groups: [cxlBaseGroup, { attrs: [{ name: "decoders_committed", show: (port) => String(port.decodersCommitted) }] }],
};
