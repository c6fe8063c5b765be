/**
 * `struct dax_region` and `struct dev_dax` for DC regions (drivers/dax/bus.c, v11).
 *
 * The kernel's dax_region is not a device: it is the `dax_region/` attribute group of its parent,
 * here the cxl bus `dax_regionZ` (`cxl_dax_region`), created when `dax_cxl` binds it
 * (drivers/dax/cxl.c `cxl_dax_region_probe` → `alloc_dax_region`). Its devices `daxZ.N` are
 * children of that parent on the `dax` bus (`/sys/bus/dax/devices/daxZ.N`).
 *
 * Sysfs stores are synchronous and the driver core is not: `create` and `delete` make every
 * check and state change at once and queue the registration or removal (`await host.settle()`).
 */
import { Device } from "../driver-model/device.js";
import { type DeviceAttribute, type DeviceType } from "../driver-model/device-type.js";
import { type DriverCore } from "../driver-model/driver-core.js";
import { errno } from "../errors.js";
import { parseBool } from "../sysfs/attributes.js";
import { type SysfsTree } from "../sysfs/sysfs-tree.js";
import { NULL_UUID, parseUuid } from "../uuid.js";
import { DAX_DCD_ALIGN, type DaxRegionPolicy, type DaxResource, type DaxResourceOwner } from "./dax-resource-pool.js";

/** `%#llx`: `0` for zero (no `0x`), as sysfs_emit prints it. */
export function hexAlt(n: number): string {
  return n === 0 ? "0" : `0x${n.toString(16)}`;
}

const PAGE_SHIFT = 12;

/** One `mappingK` of a device: an HPA range and its offset inside the device, in pages. */
export interface DaxMapping {
  readonly start: number;
  /** Inclusive, as the kernel prints it. */
  readonly end: number;
  readonly pageOffset: number;
  readonly size: number;
}

function parseSize(dev: DevDax, value: string): number {
  const t = value.trim();
  if (!/^(0x[0-9a-f]+|0[0-7]*|[1-9]\d*)$/i.test(t)) throw errno("EINVAL", `${dev.name}/size: '${value}' is not a number`);
  return Number(t.startsWith("0x") || t.startsWith("0X") ? t : t.length > 1 && t.startsWith("0") ? parseInt(t, 8) : t);
}

const devDaxAttrs: readonly DeviceAttribute<DevDax>[] = [
  { name: "size", show: (d) => String(d.size), store: (d, v) => { d.sizeStore(v); } },
  { name: "uuid", show: (d) => d.uuid, store: (d, v) => { d.uuidStore(v); } },
  // Read-only on a DC region (R53): every range is a PMD-aligned extent.
  { name: "align", show: () => String(DAX_DCD_ALIGN), mode: 0o444 },
  { name: "target_node", show: (d) => String(d.targetNode) },
  { name: "numa_node", show: (d) => String(d.targetNode) },
  { name: "resource", show: (d) => hexAlt(d.resourceStart) },
  { name: "modalias", show: () => "dax:t0" },
  { name: "memmap_on_memory", show: (d) => (d.memmapOnMemory ? "1" : "0"), store: (d, v) => { d.memmapOnMemoryStore(v); } },
];

/** `dev_dax_type`. `mapping` (write a range) is hidden on DC regions (R53) and not modelled. */
export const DEV_DAX_TYPE: DeviceType<DevDax> = {
  name: "dev_dax",
  groups: [{ attrs: devDaxAttrs }],
};

/** `daxZ.N`: a dax device; on a DC region its capacity comes only from a claim (R56). */
export class DevDax extends Device implements DaxResourceOwner {
  /** The claimed resources in seq order (`dev_dax->ranges`). */
  private claimed: DaxResource[] = [];
  private tag = NULL_UUID;
  private memmap = false;

  constructor(
    readonly daxRegion: DaxRegion,
    readonly id: number,
  ) {
    super({ name: `dax${daxRegion.id}.${id}`, bus: "dax", parent: daxRegion.parent, type: DEV_DAX_TYPE });
  }

  /** `size`: the sum of the claimed ranges. */
  get size(): number {
    let n = 0;
    for (const r of this.claimed) n += r.size;
    return n;
  }

  /** The claimed tag; the null UUID for untagged and unclaimed devices (R58, v11). */
  get uuid(): string {
    return this.tag;
  }

  get targetNode(): number {
    return this.daxRegion.targetNode;
  }

  get align(): number {
    return DAX_DCD_ALIGN;
  }

  /** `resource`: the first range's start, or the region's start while unclaimed. */
  get resourceStart(): number {
    return this.claimed[0]?.start ?? this.daxRegion.start;
  }

  /** The claimed resources, in seq order. */
  get resources(): readonly DaxResource[] {
    return this.claimed;
  }

  /** The partition the claimed extents came from is sharable (other hosts map it). */
  get sharable(): boolean {
    return this.claimed.some((r) => r.group.view.sharable);
  }

  /** `mappingK`, one per range, with `page_offset` the range's offset in the device in pages. */
  mappings(): DaxMapping[] {
    const out: DaxMapping[] = [];
    let offset = 0;
    for (const r of this.claimed) {
      out.push({ start: r.start, end: r.start + r.size - 1, pageOffset: offset >> PAGE_SHIFT, size: r.size });
      offset += r.size;
    }
    return out;
  }

  /** `daxctl` mode: which dax driver is bound; undefined while disabled. */
  get mode(): "devdax" | "system-ram" | undefined {
    const name = this.driver?.name;
    return name === DEVICE_DAX_DRIVER_NAME ? "devdax" : name === KMEM_DRIVER_NAME ? "system-ram" : undefined;
  }

  /** `memmap_on_memory`: kmem asks for each block's memmap inside the block (`MHP_MEMMAP_ON_MEMORY`). */
  get memmapOnMemory(): boolean {
    return this.memmap;
  }

  /**
   * `memmap_on_memory_store`: a boolean; EOPNOTSUPP to turn it on when the memory_hotplug
   * module parameter is off; EBUSY to change it while kmem holds the device (it was used already).
   */
  memmapOnMemoryStore(value: string): void {
    const on = parseBool(value.trim(), `${this.name}/memmap_on_memory`);
    if (on && !this.daxRegion.memmapOnMemorySupported()) throw errno("EOPNOTSUPP", `${this.name}/memmap_on_memory: memory_hotplug.memmap_on_memory is off`);
    if (on !== this.memmap && this.driver?.name === KMEM_DRIVER_NAME) throw errno("EBUSY", `${this.name}/memmap_on_memory: kmem holds the device; unbind it first`);
    this.memmap = on;
  }

  /** @internal The pool released a resource under this device (R60 teardown). */
  revoked(resource: DaxResource): void {
    this.claimed = this.claimed.filter((r) => r !== resource);
    if (this.claimed.length === 0) this.tag = NULL_UUID;
  }

  /**
   * `size_store`: the region must be bound (ENXIO) and the device unbound (EBUSY); on a DC region
   * only 0 is accepted (R54, EOPNOTSUPP otherwise), which returns every range to the pool (R59).
   */
  sizeStore(value: string): void {
    const size = parseSize(this, value);
    this.daxRegion.assertLive(this);
    if (this.driver !== undefined) throw errno("EBUSY", `${this.name}/size: bound to ${this.driver.name}; disable the device first`);
    if (size !== 0) throw errno("EOPNOTSUPP", `${this.name}/size: ${value}: a DC region's devices are sized by their claim (write uuid), only 0 may be written`);
    this.releaseClaim();
  }

  /**
   * `uuid_store` (R56-R57): claim the group tagged with the UUID, or one untagged extent for `0`
   * or the null UUID. EBUSY when the device already has a size; EINVAL for a bad value; ENXIO when
   * the region is not bound; ENOENT when nothing free matches (nothing consumed).
   */
  uuidStore(value: string): void {
    const v = value.trim();
    this.daxRegion.assertLive(this);
    if (this.claimed.length > 0) throw errno("EBUSY", `${this.name}/uuid: already claimed ${this.size} bytes; write 0 to size first`);
    if (this.driver !== undefined) throw errno("EBUSY", `${this.name}/uuid: bound to ${this.driver.name}`);
    const tag = v === "0" ? NULL_UUID : parseUuid(v, `${this.name}/uuid`);
    this.claimed = this.daxRegion.pool.claim(tag, this);
    this.tag = tag;
  }

  /** Return the claimed resources to the region (size 0). */
  releaseClaim(): void {
    const claimed = this.claimed;
    this.claimed = [];
    this.tag = NULL_UUID;
    this.daxRegion.pool.unclaim(claimed);
  }
}

export const DEVICE_DAX_DRIVER_NAME = "device_dax";
export const KMEM_DRIVER_NAME = "kmem";

/** What a {@link DaxRegion} needs from its host. */
export interface DaxRegionEnv {
  readonly core: DriverCore;
  readonly sysfs: SysfsTree;
  /** Failures of queued work nobody awaits (a kernel log line). */
  background(work: Promise<unknown>, what: string): void;
  /** `mhp_supports_memmap_on_memory()`; false when omitted. */
  memmapOnMemory?(): boolean;
  /** Work before a device goes with its region (kmem unplugs what it added). */
  beforeTeardown?(dev: DevDax): Promise<void>;
}

/** `struct dax_region` of one DC region (IORESOURCE_DAX_DCD). */
export class DaxRegion {
  /** Devices by id. */
  readonly devices = new Map<number, DevDax>();
  /** `seed`: the idle device ready for a claim (cleared when it binds). */
  seed: DevDax | undefined;
  /** `create` reads the most recently created device. */
  youngest: DevDax | undefined;
  private live = true;

  constructor(
    /** The region id Z (`regionZ`, `dax_regionZ`, `daxZ.N`). */
    readonly id: number,
    /** `dax_regionZ` on the cxl bus. */
    readonly parent: Device,
    readonly pool: DaxRegionPolicy,
    /** HPA window. */
    readonly start: number,
    readonly size: number,
    readonly targetNode: number,
    private readonly env: DaxRegionEnv,
  ) {}

  /** daxctl's region name: `regionZ`. */
  get name(): string {
    return `region${this.id}`;
  }

  get align(): number {
    return DAX_DCD_ALIGN;
  }

  get availableSize(): number {
    return this.pool.availableSize;
  }

  /** True while `dax_cxl` binds the parent. */
  get isLive(): boolean {
    return this.live;
  }

  /** `/sys/devices/.../dax_regionZ/dax_region`. */
  get sysfsDir(): string {
    return `/sys${this.parent.devpath}/dax_region`;
  }

  /** Whether dax devices here may ask for memmap on memory. */
  memmapOnMemorySupported(): boolean {
    return this.env.memmapOnMemory?.() ?? false;
  }

  /** ENXIO unless the region is bound (R56). */
  assertLive(dev: Device): void {
    if (!this.live) throw errno("ENXIO", `${dev.name}: ${this.name} is not bound to dax_cxl`);
  }

  /** Devices in id order. */
  deviceList(): DevDax[] {
    return [...this.devices.values()].sort((a, b) => a.id - b.id);
  }

  /** @internal Publish `dax_region/` and register the seed `daxZ.0`. */
  attach(): Promise<void> {
    const dir = this.sysfsDir;
    const s = this.env.sysfs;
    s.addAttribute(`${dir}/id`, { show: () => `${this.id}\n` });
    s.addAttribute(`${dir}/size`, { show: () => `${this.size}\n` });
    s.addAttribute(`${dir}/align`, { show: () => `${this.align}\n` });
    s.addAttribute(`${dir}/available_size`, { show: () => `${this.availableSize}\n` });
    s.addAttribute(`${dir}/seed`, { show: () => `${this.seed?.name ?? ""}\n` });
    s.addAttribute(`${dir}/create`, { show: () => `${this.youngest?.name ?? ""}\n`, store: (v) => { this.createStore(v); } });
    s.addAttribute(`${dir}/delete`, { store: (v) => { this.deleteStore(v); } });
    return this.addDevice();
  }

  /** @internal `dax_cxl` let go: the group and every device go (their capacity was released, R60). */
  detach(): Promise<void> {
    this.live = false;
    this.env.sysfs.removeIfExists(this.sysfsDir);
    const devs = this.deviceList().reverse();
    this.devices.clear();
    this.seed = undefined;
    this.youngest = undefined;
    return Promise.all(devs.map(async (d) => {
      await this.env.beforeTeardown?.(d);
      await this.delDevice(d);
    })).then(() => undefined);
  }

  /**
   * `create_store`: write 1 to add a new idle device, which becomes the seed. ENOSPC when
   * `available_size` is 0 (R55); EINVAL for anything but 1.
   */
  createStore(value: string): void {
    if (value.trim() !== "1") throw errno("EINVAL", `${this.name}/create: '${value}': write 1`);
    if (!this.live) throw errno("ENXIO", `${this.name}/create: not bound`);
    if (this.availableSize === 0) throw errno("ENOSPC", `${this.name}/create: available_size is 0`);
    this.env.background(this.addDevice(), `${this.name}: create`);
  }

  /**
   * `delete_store`: remove an idle device. ENXIO when no such device is in this region; EBUSY
   * when it is bound, has a size, or is `daxZ.0`.
   */
  deleteStore(value: string): void {
    const name = value.trim();
    const dev = this.deviceList().find((d) => d.name === name);
    if (dev === undefined) throw errno("ENXIO", `${this.name}/delete: no device '${name}' in this region`);
    if (dev.driver !== undefined || dev.size !== 0) throw errno("EBUSY", `${this.name}/delete: ${name} is ${dev.driver === undefined ? "sized" : "enabled"}`);
    if (dev.id === 0) throw errno("EBUSY", `${this.name}/delete: ${name} is the region's first device`);
    this.devices.delete(dev.id);
    if (this.seed === dev) this.seed = undefined;
    if (this.youngest === dev) this.youngest = undefined;
    this.env.background(this.delDevice(dev), `${this.name}: delete ${name}`);
  }

  /** @internal A device bound: it is no longer the seed (`dax_bus_probe`). */
  bound(dev: DevDax): void {
    if (this.seed === dev) this.seed = undefined;
  }

  private addDevice(): Promise<void> {
    let id = 0;
    while (this.devices.has(id)) id++;
    const dev = new DevDax(this, id);
    this.devices.set(id, dev);
    this.seed = dev;
    this.youngest = dev;
    return this.env.core.deviceAdd(dev).then(
      () => {
        this.env.sysfs.addDirSource(`/sys${dev.devpath}`, mappingSource(dev));
      },
      (err: unknown) => {
        if (this.devices.get(id) === dev) this.devices.delete(id);
        if (this.seed === dev) this.seed = undefined;
        throw err;
      },
    );
  }

  private async delDevice(dev: DevDax): Promise<void> {
    dev.releaseClaim();
    if (!dev.isRegistered) return;
    await this.env.core.deviceDel(dev).catch((err: unknown) => {
      // Deleted with its parent meanwhile (region destroy): nothing left to do.
      if (dev.isRegistered) throw err;
    });
  }
}

/** `mappingK/{start,end,page_offset}` of a device, served from its ranges. */
function mappingSource(dev: DevDax) {
  return {
    *names(): Iterable<string> {
      const n = dev.resources.length;
      for (let k = 0; k < n; k++) yield `mapping${k}`;
    },
    lookup(name: string) {
      const m = /^mapping(0|[1-9]\d*)$/.exec(name);
      if (m === null) return undefined;
      const k = Number(m[1]);
      if (k >= dev.resources.length) return undefined;
      const at = (): DaxMapping => {
        const mapping = dev.mappings()[k];
        if (mapping === undefined) throw errno("ENXIO", `${dev.name}/mapping${k}: gone`);
        return mapping;
      };
      return new Map([
        ["start", { show: () => `${hexAlt(at().start)}\n` }],
        ["end", { show: () => `${hexAlt(at().end)}\n` }],
        ["page_offset", { show: () => `${hexAlt(at().pageOffset)}\n` }],
      ]);
    },
  };
}
