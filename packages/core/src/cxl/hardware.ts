/**
 * The hardware a CXL topology is made of, as the host's drivers discover it: host bridges, PCIe
 * root and switch downstream ports, switch upstream ports, memory-device functions, and the HDM
 * decoder registers of each component (with what firmware programmed into them, for
 * auto-regions). The topology builder records it; `cxl_port` and `cxl_mem` read it, as the kernel
 * reads PCI config space and component registers.
 */
import { type Device } from "../driver-model/device.js";
import { type CxlMemdevIdentity } from "./memdev.js";
import { type CxlMailboxTransport } from "./mbox/transport.js";
import { type CxlSubsystem } from "./subsystem.js";

/** What firmware programmed into one HDM decoder (a committed decoder). */
export interface HdmDecoderProgram {
  readonly hpaStart: number;
  readonly size: number;
  readonly ways: number;
  readonly granularity: number;
  /** Switch decoders: the dport ids of the target list. */
  readonly targets: readonly number[];
  /** Endpoint decoders: DPA skipped before this decoder's range. */
  readonly skip: number;
}

/** The HDM Decoder Capability of one component. */
export class HdmHardware {
  /** Committed decoders by index. */
  readonly programmed = new Map<number, HdmDecoderProgram>();

  constructor(readonly count: number) {}
}

export type CxlHwKind = "host-bridge" | "downstream-port" | "switch" | "memdev";

/** One component of the topology and where it sits. */
export class CxlHwNode {
  readonly children: CxlHwNode[] = [];

  constructor(
    readonly kind: CxlHwKind,
    readonly dev: Device,
    readonly parent: CxlHwNode | undefined,
    /** Host bridges: _UID; downstream ports: the port number decoders target. */
    readonly portId: number,
    /** Host bridges, switches and memdevs. */
    readonly hdm: HdmHardware | undefined,
  ) {
    parent?.children.push(this);
  }

  /** The downstream-port children (a host bridge's root ports, a switch's downstream ports). */
  downstreamPorts(): CxlHwNode[] {
    return this.children.filter((c) => c.kind === "downstream-port");
  }

  /** From this node up to its host bridge (inclusive). */
  pathUp(): CxlHwNode[] {
    const path: CxlHwNode[] = [this];
    for (let n = this.parent; n !== undefined; n = n.parent) path.push(n);
    return path;
  }

  /** Unplug: drop the node from its parent. */
  detach(): void {
    const siblings = this.parent?.children;
    const i = siblings?.indexOf(this) ?? -1;
    if (i >= 0) siblings?.splice(i, 1);
  }

  hostBridge(): CxlHwNode | undefined {
    return this.pathUp().find((n) => n.kind === "host-bridge");
  }
}

/** What a memory-device function carries (the platform data of its PCI or platform device). */
export interface CxlMemdevHardware {
  readonly cxl: CxlSubsystem;
  readonly transport: CxlMailboxTransport;
  readonly identity: CxlMemdevIdentity;
  /** Overrides the transport's mailbox payload size. */
  readonly payloadSize?: number;
  /** Whatever the code that attached the device wants to find again (the fabric's device model). */
  readonly attachment?: unknown;
}

/** True when `data` is a {@link CxlMemdevHardware}. */
export function isMemdevHardware(data: unknown): data is CxlMemdevHardware {
  return typeof data === "object" && data !== null && "transport" in data && "identity" in data && "cxl" in data;
}
