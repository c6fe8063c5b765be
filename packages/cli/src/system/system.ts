/**
 * A System: fabric devices, hosts attached to their logical devices, and one QMP monitor over the
 * QOM registry of every device. Built from a {@link SystemSpec} (a preset or a topology file).
 */
import { devdaxModule, devdaxRegionDriverModule } from "@dcd/driver-devdax";
import { sysramRegionDriverModule, sysramRegionDriverModuleWith } from "@dcd/driver-sysram";
import { createHost, cxlCoreModule, installMemoryHotplug, type CxlTopology, CxlTopology as Topology, DisposableStore, errno, type Host, VirtualClock, type CxlWindowSpec, type DriverModule, type MemoryHotplugOptions } from "@dcd/core";
import { attachCxlTest, cxlDcdCommands, cxlTest, type DcdDevice, dcdMemdevSpec, FM_API_QEMU_OPCODES, FmApi, QmpMonitor, QomDeviceRegistry, type CxlTestTopology } from "@dcd/fabric";
import { type System, type SystemDevice, type SystemHost } from "../commands/context.js";

export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;

/** A device of a topology. */
export interface DeviceSpec {
  readonly name: string;
  /** QOM path; default `/machine/peripheral/NAME`. */
  readonly qom?: string;
  /** How it is built: an explicit partition list (`spec`), QEMU properties (`qemu`). */
  readonly build: () => DcdDevice;
  /** QMP profile (`qemu` validates like QEMU); default implied by the device. */
  readonly qmpProfile?: "qemu" | "spec";
}

/** A host of a topology and what it is attached to. */
export interface HostSpec {
  readonly name: string;
  /** Kernel series of the CXL core (`v11` default). */
  readonly kernel?: "v9" | "v10" | "v11";
  /** `cxl_test`: the kernel mock platform (attachCxlTest; brings its own 8 mock devices). */
  readonly flavor: "acpi" | "cxl_test";
  /** ACPI flavor: the devices (by name) and the logical device (host id) of each, one root port each. */
  readonly attach: readonly { readonly device: string; readonly hostId: number }[];
  /** cxl_test flavor: how many mock memdevs (default 8). */
  readonly memdevs?: number;
  /** The host's memory-hotplug model; default: 16 GiB of boot memory on node 0 and mm's defaults. */
  readonly memory?: MemoryHotplugOptions;
  /**
   * NUMA node of the host's CFMWS window(s): the `target_node` of every region's dax region and
   * sysram region. -1 is NUMA_NO_NODE (no SRAT entry), which kmem and sysram refuse. Default 1.
   */
  readonly windowNode?: number;
}

/** What a host boots with when its spec gives no `memory.boot`: 16 GiB on node 0. */
export const DEFAULT_BOOT_MEMORY = [{ node: 0, size: 16 * GIB }] as const;

/** Where the ACPI flavor's CXL window starts: 64 GiB, or above boot memory when that reaches further. */
export function windowBase(memory: MemoryHotplugOptions | undefined): number {
  const bootEnd = (memory?.boot ?? DEFAULT_BOOT_MEMORY).reduce((s, r) => s + r.size, 0);
  // A multiple of 64 GiB keeps the window aligned to every memory block size (at most 2 GiB).
  return Math.max(1, Math.ceil(bootEnd / (64 * GIB))) * 64 * GIB;
}

export interface SystemSpec {
  readonly source: string;
  readonly devices: readonly DeviceSpec[];
  readonly hosts: readonly HostSpec[];
}

/** CFMWS windows big enough for every attached device's capacity (ram-capable, 256 MiB aligned). */
function windowsFor(devices: readonly DcdDevice[], base: number): CxlWindowSpec[] {
  const total = devices.reduce((s, d) => s + d.ramSize + d.pmemSize + d.partitions.reduce((a, p) => a + p.decodeLength, 0), 0);
  const size = Math.max(4 * GIB, Math.ceil(total / GIB) * GIB);
  return [{ base, size, targets: [0], ram: true }];
}

/** The region drivers of a host, told the window's node when the spec sets one. */
function regionDriverModules(h: HostSpec): DriverModule[] {
  if (h.windowNode === undefined) return [devdaxRegionDriverModule, sysramRegionDriverModule];
  const node = h.windowNode;
  return [devdaxModule({ targetNode: () => node }), sysramRegionDriverModuleWith({ targetNode: node })];
}

class BuiltSystem implements System {
  private readonly fms = new Map<string, FmApi>();
  constructor(
    readonly source: string,
    readonly hosts: readonly SystemHost[],
    readonly devices: readonly SystemDevice[],
    readonly qmp: QmpMonitor,
    readonly qom: QomDeviceRegistry,
    private readonly store: DisposableStore,
    private readonly hostsDispose: () => Promise<void>,
  ) {}

  host(name?: string): SystemHost {
    const h = name === undefined ? this.hosts[0] : this.hosts.find((x) => x.name === name);
    if (!h) throw errno("ENODEV", `no host named '${name ?? ""}' (hosts: ${this.hosts.map((x) => x.name).join(", ")})`);
    return h;
  }

  device(name?: string): SystemDevice {
    const d = name === undefined ? this.devices[0] : this.devices.find((x) => x.name === name);
    if (!d) throw errno("ENODEV", `no device named '${name ?? ""}' (devices: ${this.devices.map((x) => x.name).join(", ") || "none"})`);
    return d;
  }

  fm(device?: string): FmApi {
    const d = this.device(device);
    let fm = this.fms.get(d.name);
    if (!fm) {
      // QEMU implements 5600h-5605h only; its devices answer UNSUPPORTED to the tag commands.
      fm = new FmApi(d.device, this.qom.resolve(d.qomPath)?.profile === "qemu" ? { opcodes: FM_API_QEMU_OPCODES } : {});
      this.fms.set(d.name, fm);
    }
    return fm;
  }

  private disposing: Promise<void> | undefined;
  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      // Hosts first: their drivers still hold the devices' mailboxes.
      try {
        await this.hostsDispose();
      } finally {
        this.store.dispose();
      }
    })();
    return this.disposing;
  }
}

/** Build and boot a System. On failure everything built so far is torn down. */
export async function buildSystem(spec: SystemSpec): Promise<System> {
  const clock = new VirtualClock();
  const store = new DisposableStore();
  const hosts: { name: string; host: Host; hostIds: Map<string, number>; topo?: CxlTopology; cxlTest?: CxlTestTopology }[] = [];
  const devices: SystemDevice[] = [];
  const qom = new QomDeviceRegistry();
  const disposeHosts = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const h of [...hosts].reverse()) {
      try {
        await h.host.dispose();
      } catch (err) {
        errors.push(err);
      }
      h.cxlTest?.dispose();
    }
    if (errors.length > 0) throw errors[0];
  };
  try {
    for (const d of spec.devices) {
      const device = d.build();
      store.add({
        dispose: () => {
          device.dispose();
        },
      });
      const qomPath = d.qom ?? `/machine/peripheral/${d.name}`;
      devices.push({ name: d.name, device, qomPath });
    }
    const qmp = new QmpMonitor({ clock, commands: cxlDcdCommands(qom) });
    store.add(qmp);
    for (const h of spec.hosts) {
      // The CXL core, then every region driver package (devdax also installs the dax layer and is
      // the default DC policy of cxl_region), as a host built by `dcd demo` has them.
      const drivers: DriverModule[] = [cxlCoreModule(h.kernel === undefined ? {} : { profile: h.kernel }), ...regionDriverModules(h)];
      if (h.flavor === "cxl_test") drivers.push(cxlTest);
      const host = await createHost({ name: h.name, drivers, clock });
      const entry: (typeof hosts)[number] = { name: h.name, host, hostIds: new Map() };
      hosts.push(entry);
      // sysram and kmem hot-plug into the memory model.
      await installMemoryHotplug(host, { boot: DEFAULT_BOOT_MEMORY, ...h.memory });
      if (h.flavor === "cxl_test") {
        const t = await attachCxlTest(host, h.memdevs === undefined ? {} : { memdevs: h.memdevs });
        entry.cxlTest = t;
        t.devices.forEach((device, id) => {
          const name = `cxl_mem.${id}`;
          devices.push({ name, device, qomPath: `/machine/peripheral/${h.name}/${name}` });
          entry.hostIds.set(name, 0);
        });
      } else {
        const attached = h.attach.map((a) => ({ ...a, device: devices.find((x) => x.name === a.device)?.device }));
        const missing = attached.find((a) => a.device === undefined);
        if (missing) throw errno("ENODEV", `host ${h.name}: no device for attach entry`);
        const ports = Math.max(1, attached.length);
        const topo = await Topology.attach(host, {
          flavor: "acpi",
          hostBridges: [{ uid: 0, decoders: 4, ports: Array.from({ length: ports }, () => ({})) }],
          windows: windowsFor(attached.map((a) => a.device as DcdDevice), windowBase(h.memory)),
        });
        entry.topo = topo;
        const slots = topo.slots();
        for (const [i, a] of attached.entries()) {
          const device = a.device as DcdDevice;
          await topo.attachMemdev(dcdMemdevSpec(device, slots[i] as string, { hostId: a.hostId }));
          entry.hostIds.set(devices.find((x) => x.device === device)?.name ?? "", a.hostId);
        }
      }
      await host.settle();
    }
    for (const [i, d] of devices.entries()) {
      const profile = spec.devices[i]?.qmpProfile;
      store.add(qom.add(d.qomPath, d.device, profile === undefined ? {} : { profile }));
    }
    return new BuiltSystem(spec.source, hosts.map((h) => ({ name: h.name, host: h.host, hostIds: h.hostIds })), devices, qmp, qom, store, disposeHosts);
  } catch (err) {
    try {
      await disposeHosts();
    } finally {
      store.dispose();
    }
    throw err;
  }
}
