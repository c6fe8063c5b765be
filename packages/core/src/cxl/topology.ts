/**
 * Building a machine for a host to boot on (the attach API): the firmware and hardware devices of
 * a {@link CxlPlatformSpec}, registered so that the host's own drivers enumerate them, exactly as
 * Linux does at boot: PCI/platform devices appear, `cxl_pci` (or cxl_test's `cxl_mock_mem`) probes
 * the memory devices, `cxl_acpi` builds the root from the CEDT, `cxl_port` and `cxl_mem` build the
 * rest, and auto-regions assemble.
 *
 * ```ts
 * const host = await createHost({ name: "h0", drivers: [cxlCore] });
 * const topo = await CxlTopology.attach(host, {
 *   hostBridges: [{ uid: 0, ports: [{}] }],
 *   windows: [{ base: 0x10_0000_0000, size: 4 * GiB, targets: [0] }],
 * });
 * const mem0 = await topo.attachMemdev({ at: topo.slots()[0], transport: device.logicalDevice(0), ramSize: GiB });
 * ```
 */
import { type Device } from "../driver-model/device.js";
import { Device as DeviceClass } from "../driver-model/device.js";
import { errno } from "../errors.js";
import { type Host } from "../host/host.js";
import { PCI_CLASS_BRIDGE_PCI, PCI_CLASS_MEMORY_CXL, PciDevice, PlatformDevice } from "./bus.js";
import { type CxlRootDecoder } from "./decoder.js";
import { QOS_CLASS_INVALID } from "./dpa.js";
import { alignUp, SZ_256M } from "./format.js";
import { CxlHwNode, HdmHardware, type CxlMemdevHardware } from "./hardware.js";
import { type CxlMemdev, type CxlMemdevIdentity } from "./memdev.js";
import { OPCODE } from "./wire/opcodes.js";
import { type CxlPort } from "./port.js";
import { CXL_SUBSYSTEM, type CxlSubsystem } from "./subsystem.js";
import { type CxlDownstreamPortSpec, type CxlMemdevSpec, type CxlPlatformFirmware, type CxlPlatformSpec } from "./topology-spec.js";

/** Default HDM decoder count of host bridges, switches and endpoints. */
export const DEFAULT_HDM_DECODERS = 4;

/** Event records and all DCD commands: what a DCD's Command Effects Log lists by default. */
export const DEFAULT_CEL: readonly number[] = [OPCODE.GET_EVENT_RECORDS, OPCODE.CLEAR_EVENT_RECORDS, OPCODE.GET_DC_CONFIG, OPCODE.GET_DC_EXTENT_LIST, OPCODE.ADD_DC_RESPONSE, OPCODE.RELEASE_DC];

const hex2 = (n: number): string => n.toString(16).padStart(2, "0");

/** A bus-less device (a directory under /sys/devices): host bridges and ACPI nodes. */
class FirmwareDevice extends DeviceClass {}

interface SlotInfo {
  readonly node: CxlHwNode;
  /** PCI secondary bus below the slot (acpi flavor). */
  readonly bus: number;
}

/** The CXL core of `host` (registered by `cxlCore`). */
export function cxlOf(host: Host): CxlSubsystem {
  return host.container.resolve(CXL_SUBSYSTEM);
}

export class CxlTopology {
  readonly flavor: "acpi" | "cxl_test";
  /** ACPI0017:00 / cxl_acpi.0. */
  readonly firmwareDevice: PlatformDevice;
  private readonly slotsByName = new Map<string, SlotInfo>();
  private readonly functions = new Map<CxlMemdevSpec, Device>();
  private nextBus: number;
  private memIndex = 0;
  /** HPA already given to auto-regions per window. */
  private readonly autoHpa = new Map<number, number>();

  private constructor(
    readonly cxl: CxlSubsystem,
    readonly spec: CxlPlatformSpec,
    firmware: PlatformDevice,
  ) {
    this.flavor = spec.flavor ?? "acpi";
    this.firmwareDevice = firmware;
    this.nextBus = 0;
  }

  /**
   * Build and register the platform of `spec` on `host` (which must load `cxlCore`), memdevs
   * included, and wait until every driver has probed.
   */
  static async attach(host: Host, spec: CxlPlatformSpec): Promise<CxlTopology> {
    const cxl = cxlOf(host);
    cxl.ensureBusAttributes();
    const flavor = spec.flavor ?? "acpi";
    const firmware: CxlPlatformFirmware = { cxl, hostBridges: [], windows: spec.windows };
    const fwDev =
      flavor === "acpi"
        ? new PlatformDevice({ name: "ACPI0017:00", acpiHid: "ACPI0017", platformData: firmware })
        : new PlatformDevice({ name: "cxl_acpi.0", pdevName: "cxl_acpi", platformData: firmware });
    const topo = new CxlTopology(cxl, spec, fwDev);
    await topo.build(firmware);
    return topo;
  }

  // ---- lookups ---------------------------------------------------------------------------------

  /** Names of the downstream ports a memdev can be plugged into (root ports and switch dports without a switch below). */
  slots(): string[] {
    return [...this.slotsByName.entries()].filter(([, s]) => !s.node.children.some((c) => c.kind === "switch")).map(([n]) => n);
  }

  /** `root0`, once cxl_acpi has probed. */
  get root(): CxlPort {
    const root = this.firmwareDevice.drvdata as CxlPort | undefined;
    if (root === undefined) throw errno("ENODEV", `${this.firmwareDevice.name} is not bound to cxl_acpi`);
    return root;
  }

  /** The root decoder of window `index` (`decoder0.<index>`). */
  rootDecoder(index = 0): CxlRootDecoder {
    const rd = this.cxl.rootDecoders().find((d) => d.port === this.root && d.id === index);
    if (rd === undefined) throw errno("ENODEV", `no root decoder ${index}`);
    return rd;
  }

  // ---- memdevs ---------------------------------------------------------------------------------

  /**
   * Plug a memory device into the downstream port `spec.at` (hot-add) and wait for its drivers.
   * Resolves to the memdev, or undefined when no driver created one (e.g. a cxl_test device
   * without the cxl_test module loaded).
   */
  async attachMemdev(spec: CxlMemdevSpec): Promise<CxlMemdev | undefined> {
    if (spec.autoRegion !== undefined) throw errno("EINVAL", `${spec.name ?? spec.at}: auto-regions are programmed by firmware before boot (CxlPlatformSpec.memdevs)`);
    const fn = this.createFunction(spec);
    await this.cxl.addDevice(fn);
    await this.cxl.settle();
    return this.memdevOf(fn);
  }

  /** Unplug the device behind `memdev` (its function is deleted; drivers unbind). */
  async detachMemdev(memdev: CxlMemdev): Promise<void> {
    const fn = memdev.state.dev;
    await this.cxl.deleteDevice(fn);
    this.cxl.hwNode(fn)?.detach();
    this.cxl.unregisterHw(fn);
    for (const [spec, dev] of this.functions) if (dev === fn) this.functions.delete(spec);
  }

  /** The memdev a function device carries, once probed. */
  memdevOf(fn: Device): CxlMemdev | undefined {
    return this.cxl.memdevs().find((m) => m.state.dev === fn);
  }

  // ---- building ----------------------------------------------------------------------------------

  private async build(firmware: CxlPlatformFirmware): Promise<void> {
    const cxl = this.cxl;
    const add = (dev: Device): Promise<void> => cxl.addDevice(dev);
    let acpiBus: Device | undefined;
    if (this.flavor === "acpi") {
      const system = new FirmwareDevice({ name: "LNXSYSTM:00", root: "" });
      acpiBus = new FirmwareDevice({ name: "LNXSYBUS:00", parent: system });
      await add(system);
      await add(acpiBus);
    }
    const bridges: { uid: number; dev: Device }[] = [];
    for (const [i, hb] of this.spec.hostBridges.entries()) {
      const bus = 0x34 + 0x20 * i;
      this.nextBus = bus + 1;
      let dev: Device;
      if (this.flavor === "acpi") {
        const companion = new FirmwareDevice({ name: `ACPI0016:${hex2(i)}`, ...(acpiBus === undefined ? {} : { parent: acpiBus }) });
        await add(companion);
        dev = new FirmwareDevice({ name: hb.name ?? `pci0000:${hex2(bus)}`, root: "" });
        await add(dev);
        cxl.sysfs.addLink(`/sys${dev.devpath}/firmware_node`, `/sys${companion.devpath}`);
      } else {
        dev = new PlatformDevice({ name: hb.name ?? `cxl_host_bridge.${hb.uid}`, pdevName: "cxl_host_bridge" });
        await add(dev);
        cxl.sysfs.addLink(`/sys${dev.devpath}/physical_node`, `/sys${dev.devpath}`);
      }
      const node = new CxlHwNode("host-bridge", dev, undefined, hb.uid, new HdmHardware(hb.decoders ?? DEFAULT_HDM_DECODERS));
      cxl.registerHw(node);
      bridges.push({ uid: hb.uid, dev });
      await this.buildPorts(node, hb.ports, bus, "root");
    }
    (firmware.hostBridges as { uid: number; dev: Device }[]).push(...bridges);
    // BIOS programs the auto-regions' decoders before anything enumerates them.
    const boot = this.spec.memdevs ?? [];
    for (const m of boot) if (m.autoRegion !== undefined) this.programAutoRegion(m);
    for (const m of boot) await add(this.createFunction(m));
    await add(this.firmwareDevice);
    await cxl.settle();
  }

  private async buildPorts(parent: CxlHwNode, ports: readonly CxlDownstreamPortSpec[], bus: number, level: "root" | "switch"): Promise<void> {
    for (const [j, p] of ports.entries()) {
      const secondary = this.nextBus++;
      const name = p.name ?? (this.flavor === "acpi" ? `0000:${hex2(bus)}:${hex2(j)}.0` : level === "root" ? `cxl_root_port.${this.slotsByName.size}` : `cxl_switch_dport.${this.slotsByName.size}`);
      const dev = this.flavor === "acpi" ? new PciDevice({ name, classCode: PCI_CLASS_BRIDGE_PCI, parent: parent.dev }) : new PlatformDevice({ name, pdevName: level === "root" ? "cxl_root_port" : "cxl_switch_dport", parent: parent.dev });
      await this.cxl.addDevice(dev);
      const node = new CxlHwNode("downstream-port", dev, parent, p.id ?? j, undefined);
      this.cxl.registerHw(node);
      this.slotsByName.set(name, { node, bus: secondary });
      if (p.switch !== undefined) {
        const sw = p.switch;
        const swName = sw.name ?? (this.flavor === "acpi" ? `0000:${hex2(secondary)}:00.0` : `cxl_switch_uport.${name.split(".").at(-1) ?? "0"}`);
        const swDev = this.flavor === "acpi" ? new PciDevice({ name: swName, classCode: PCI_CLASS_BRIDGE_PCI, parent: dev }) : new PlatformDevice({ name: swName, pdevName: "cxl_switch_uport", parent: dev });
        await this.cxl.addDevice(swDev);
        const swNode = new CxlHwNode("switch", swDev, node, 0, new HdmHardware(sw.decoders ?? DEFAULT_HDM_DECODERS));
        this.cxl.registerHw(swNode);
        await this.buildPorts(swNode, sw.ports, this.nextBus++, "switch");
      }
    }
  }

  private slot(name: string): SlotInfo {
    const slot = this.slotsByName.get(name);
    if (slot === undefined) throw errno("ENODEV", `no downstream port '${name}' in the topology`);
    if (slot.node.children.length > 0) throw errno("EBUSY", `downstream port '${name}' is occupied`);
    return slot;
  }

  /** The function device of a memdev, with its hardware description and registry entry. */
  private createFunction(spec: CxlMemdevSpec): Device {
    const existing = this.functions.get(spec);
    if (existing !== undefined) return existing;
    const slot = this.slot(spec.at);
    const identity: CxlMemdevIdentity = {
      serial: spec.serial ?? 0,
      firmwareVersion: spec.firmwareVersion ?? "FW 1.0.0",
      labelStorageSize: spec.labelStorageSize ?? 0,
      ramSize: spec.ramSize ?? 0,
      pmemSize: spec.pmemSize ?? 0,
      numaNode: spec.numaNode ?? 0,
      ramQosClass: spec.ramQosClass ?? QOS_CLASS_INVALID,
      pmemQosClass: spec.pmemQosClass ?? QOS_CLASS_INVALID,
      commands: new Set(spec.commands ?? DEFAULT_CEL),
      msi: spec.msi ?? spec.transport.interrupt$ !== undefined,
      cdat: spec.cdat ?? [],
    };
    const hw: CxlMemdevHardware = {
      cxl: this.cxl,
      transport: spec.transport,
      identity,
      ...(spec.payloadSize === undefined ? {} : { payloadSize: spec.payloadSize }),
      ...(spec.attachment === undefined ? {} : { attachment: spec.attachment }),
    };
    const parent = slot.node.dev;
    const dev =
      this.flavor === "acpi"
        ? new PciDevice({ name: spec.name ?? `0000:${hex2(slot.bus)}:00.0`, classCode: PCI_CLASS_MEMORY_CXL, parent, platformData: hw })
        : new PlatformDevice({ name: spec.name ?? `cxl_mem.${this.memIndex}`, pdevName: "cxl_mem", parent, platformData: hw });
    this.memIndex++;
    const node = new CxlHwNode("memdev", dev, slot.node, 0, this.hdmOf(spec));
    this.cxl.registerHw(node);
    this.functions.set(spec, dev);
    return dev;
  }

  private readonly hdms = new Map<CxlMemdevSpec, HdmHardware>();

  private hdmOf(spec: CxlMemdevSpec): HdmHardware {
    let hdm = this.hdms.get(spec);
    if (hdm === undefined) {
      hdm = new HdmHardware(spec.decoders ?? DEFAULT_HDM_DECODERS);
      this.hdms.set(spec, hdm);
    }
    return hdm;
  }

  /**
   * What a BIOS does for a 1-way region: pick HPA in the window, program the endpoint decoder
   * (with the DPA skip up to the partition) and one decoder per switch / host bridge on the path.
   */
  private programAutoRegion(spec: CxlMemdevSpec): void {
    const auto = spec.autoRegion;
    if (auto === undefined) return;
    const window = this.spec.windows[auto.window];
    if (window === undefined) throw errno("EINVAL", `auto-region: no window ${auto.window}`);
    if (auto.size <= 0 || auto.size % SZ_256M !== 0) throw errno("EINVAL", `auto-region: size ${auto.size} is not a multiple of 256 MiB`);
    const slot = this.slot(spec.at);
    const path = [slot.node, ...slot.node.pathUp().slice(1)];
    const hb = path.find((n) => n.kind === "host-bridge");
    if (hb === undefined || window.targets.length !== 1 || window.targets[0] !== hb.portId) throw errno("EINVAL", `auto-region: window ${auto.window} is not a 1-way window of host bridge ${hb?.portId ?? "?"}`);
    const used = this.autoHpa.get(auto.window) ?? 0;
    const start = alignUp(window.base + used, SZ_256M);
    if (start + auto.size > window.base + window.size) throw errno("ENOSPC", `auto-region: window ${auto.window} is full`);
    this.autoHpa.set(auto.window, start + auto.size - window.base);
    const ramSize = spec.ramSize ?? 0;
    const pmemSize = spec.pmemSize ?? 0;
    const partStart = auto.mode === "ram" ? 0 : auto.mode === "pmem" ? ramSize : ramSize + pmemSize;
    const hdm = this.hdmOf(spec);
    const epIndex = hdm.programmed.size;
    const dpaCursor = [...hdm.programmed.values()].reduce((sum, p) => sum + p.skip + p.size / p.ways, 0);
    hdm.programmed.set(epIndex, { hpaStart: start, size: auto.size, ways: 1, granularity: 256, targets: [], skip: Math.max(0, partStart - dpaCursor) });
    // Each component above programs its next decoder to route the range toward the slot.
    let below: CxlHwNode = slot.node;
    for (const n of path) {
      if (n.kind === "downstream-port") {
        below = n;
        continue;
      }
      if (n.hdm === undefined) continue;
      n.hdm.programmed.set(n.hdm.programmed.size, { hpaStart: start, size: auto.size, ways: 1, granularity: 256, targets: [below.portId], skip: 0 });
    }
  }
}
