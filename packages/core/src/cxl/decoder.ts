/**
 * HDM decoders (drivers/cxl/core/port.c): root decoders (one per CFMWS window, children of root0),
 * switch decoders (host bridges and switches) and endpoint decoders (one per HDM decoder of a
 * memdev). Named `decoder<port id>.<n>`.
 */
import { Device } from "../driver-model/device.js";
import { type DeviceAttribute, type AttributeGroup } from "../driver-model/device-type.js";
import { type DevresAction } from "../driver-model/devres.js";
import { errno } from "../errors.js";
import { cxlBaseGroup, type CxlDeviceType } from "./bus.js";
import { dpaSetPart, dpaSizeStore } from "./dpa.js";
import { fmtLlx, fmtLlxOrAllOnes, fmtPa, parseKstrtou64 } from "./format.js";
import { CxlMemdev } from "./memdev.js";
import { type CxlDport, type CxlPort } from "./port.js";
import { type CxlProfile, modeName, parseModeName } from "./profile.js";
import { type CxlRegion } from "./region.js";
import { createRegionStore, deleteRegionStore } from "./region-create.js";
import { type CxlSubsystem } from "./subsystem.js";

/** `CXL_DECODER_F_*`. */
export interface CxlDecoderFlags {
  ram: boolean;
  pmem: boolean;
  type2: boolean;
  type3: boolean;
  lock: boolean;
  /** Committed (`CXL_DECODER_F_ENABLE`). */
  enable: boolean;
}

/** `enum cxl_decoder_type`: accelerator (type 2) or expander (type 3). */
export type CxlDecoderTargetType = "accelerator" | "expander";

/** `CXL_DECODER_MIN_GRANULARITY`. */
export const CXL_DECODER_MIN_GRANULARITY = 256;

export abstract class CxlDecoder extends Device {
  readonly cxl: CxlSubsystem;
  readonly port: CxlPort;
  readonly id: number;
  /** `hpa_range`; size 0 means the empty range (0, -1). */
  hpaStart = 0;
  hpaSize = 0;
  interleaveWays = 1;
  interleaveGranularity = CXL_DECODER_MIN_GRANULARITY;
  targetType: CxlDecoderTargetType = "expander";
  readonly flags: CxlDecoderFlags = { ram: false, pmem: false, type2: false, type3: false, lock: false, enable: false };
  /** The region this decoder decodes for. */
  region: CxlRegion | undefined;

  constructor(port: CxlPort, id: number, type: CxlDeviceType<never>) {
    super({ name: `decoder${port.id}.${id}`, bus: "cxl", type, parent: port });
    this.cxl = port.cxl;
    this.port = port;
    this.id = id;
  }

  setHpaRange(start: number, size: number): void {
    this.hpaStart = size === 0 ? 0 : start;
    this.hpaSize = size;
  }
}

/** `struct cxl_switch_decoder`: routes to one or more dports. */
export class CxlSwitchDecoder extends CxlDecoder {
  /** `target[]`: the active, ordered target list. */
  readonly targets: (CxlDport | undefined)[];

  constructor(port: CxlPort, id: number, readonly nrTargets: number, type: CxlDeviceType<never> = switchDecoderType) {
    super(port, id, type);
    this.targets = Array.from({ length: nrTargets }, () => undefined);
  }

  /** `emit_target_list`: the port ids of the first `interleave_ways` targets, comma separated. */
  targetList(): string {
    const ids: number[] = [];
    for (let i = 0; i < this.interleaveWays; i++) {
      const t = this.targets[i];
      if (t === undefined) break;
      ids.push(t.portId);
    }
    return ids.join(",");
  }
}

/** An HPA range handed out of a root decoder's window. */
export interface HpaAllocation {
  readonly start: number;
  readonly size: number;
  readonly owner: string;
}

/** `struct cxl_root_decoder`: a CFMWS window, parent of the regions created in it. */
export class CxlRootDecoder extends CxlSwitchDecoder {
  /** `region_id`: the id the next `create_*_region` write must name. */
  regionId: number;
  qosClass: number;
  /** Regions of this window by name, including ones whose registration is still queued. */
  readonly regions = new Map<string, CxlRegion>();
  /** Allocated HPA ranges in address order (`cxlrd->res` children). */
  readonly hpaAllocations: HpaAllocation[] = [];

  constructor(port: CxlPort, id: number, nrTargets: number, regionId: number, qosClass: number) {
    super(port, id, nrTargets, rootDecoderType(port.cxl.profile));
    this.regionId = regionId;
    this.qosClass = qosClass;
  }

  /** `can_create_ram` / `can_create_pmem`. */
  get canCreateRam(): boolean {
    return this.flags.type3 && this.flags.ram;
  }

  get canCreatePmem(): boolean {
    return this.flags.type3 && this.flags.pmem;
  }

  /**
   * `alloc_free_mem_region(cxlrd->res, size, SZ_256M)`: the lowest `align`-aligned free range.
   * ERANGE when none fits, as `get_free_mem_region`.
   */
  allocHpa(size: number, align: number, owner: string): HpaAllocation {
    let cursor = Math.ceil(this.hpaStart / align) * align;
    for (const a of this.hpaAllocations) {
      if (cursor + size <= a.start) break;
      cursor = Math.max(cursor, Math.ceil((a.start + a.size) / align) * align);
    }
    if (cursor + size > this.hpaStart + this.hpaSize) throw errno("ERANGE", `${this.name}: no free ${fmtLlx(size)}-byte range in window ${fmtLlx(this.hpaStart)}+${fmtLlx(this.hpaSize)}`);
    return this.insertHpa({ start: cursor, size, owner });
  }

  /** `insert_resource` of a range firmware already decodes (auto-regions). EBUSY on overlap. */
  claimHpa(start: number, size: number, owner: string): HpaAllocation {
    if (start < this.hpaStart || start + size > this.hpaStart + this.hpaSize) throw errno("ENXIO", `${this.name}: ${fmtLlx(start)}+${fmtLlx(size)} is outside the window`);
    if (this.hpaAllocations.some((a) => a.start < start + size && start < a.start + a.size)) throw errno("EBUSY", `${this.name}: ${fmtLlx(start)}+${fmtLlx(size)} overlaps another region`);
    return this.insertHpa({ start, size, owner });
  }

  releaseHpa(alloc: HpaAllocation): void {
    const i = this.hpaAllocations.indexOf(alloc);
    if (i >= 0) this.hpaAllocations.splice(i, 1);
  }

  private insertHpa(alloc: HpaAllocation): HpaAllocation {
    const i = this.hpaAllocations.findIndex((a) => a.start > alloc.start);
    if (i < 0) this.hpaAllocations.push(alloc);
    else this.hpaAllocations.splice(i, 0, alloc);
    return alloc;
  }
}

/** Whether an endpoint decoder was set up by firmware (auto-region) or by the user. */
export type CxlDecoderState = "manual" | "auto" | "auto-staged";

/** `struct cxl_endpoint_decoder`: maps DPA of one memdev into HPA. */
export class CxlEndpointDecoder extends CxlDecoder {
  /** `dpa_res`: the decoder's DPA allocation. */
  dpaRes: { readonly start: number; readonly size: number } | undefined;
  /** DPA skipped below `dpaRes` (reserved, unusable). */
  skip = 0;
  /** Index of the selected partition, -1 while no mode is set (`mode` reads `none`). */
  part = -1;
  /** Position in the region's interleave set, -1 while detached. */
  pos = -1;
  state: CxlDecoderState = "manual";
  /** @internal the devres action releasing the DPA on endpoint unbind. */
  dpaReleaseAction: DevresAction | undefined;

  constructor(port: CxlPort, id: number) {
    super(port, id, endpointDecoderType(port.cxl.profile));
  }

  /** The memdev whose endpoint port holds this decoder. */
  get memdev(): CxlMemdev {
    const memdev = this.port.uport;
    if (!(memdev instanceof CxlMemdev)) throw errno("ENODEV", `${this.name}: ${this.port.name} is not an endpoint port`);
    return memdev;
  }

  get dpaStart(): number | undefined {
    return this.dpaRes?.start;
  }

  get dpaSize(): number {
    return this.dpaRes?.size ?? 0;
  }

  /** True when `dpa` lies in this decoder's allocation. */
  containsDpa(dpa: number): boolean {
    return this.dpaRes !== undefined && dpa >= this.dpaRes.start && dpa < this.dpaRes.start + this.dpaRes.size;
  }

  /** The mode name `mode` shows: the partition's name, or `none`. */
  modeName(): string {
    if (this.part < 0) return "none";
    const part = this.memdev.state.partitions[this.part];
    return part === undefined ? "none" : modeName(part.mode, this.cxl.profile);
  }
}

// ---- attributes ------------------------------------------------------------------------------

type Attr<D extends Device> = DeviceAttribute<D>;

function flagAttr<D extends CxlDecoder>(name: string, flag: keyof CxlDecoderFlags): Attr<D> {
  return { name, show: (d) => (d.flags[flag] ? "1" : "0") };
}

/** `cxl_decoder_base_attribute_group`. `start` is admin-only (0400) in the kernel. */
function baseGroup<D extends CxlDecoder>(): AttributeGroup<D> {
  return {
    attrs: [
      { name: "start", mode: 0o400, show: (d) => fmtLlx(d.hpaStart) },
      { name: "size", show: (d) => fmtLlx(d.hpaSize) },
      flagAttr("locked", "lock"),
      { name: "interleave_granularity", show: (d) => String(d.interleaveGranularity) },
      { name: "interleave_ways", show: (d) => String(d.interleaveWays) },
    ],
  };
}

function targetTypeAttr<D extends CxlDecoder>(): Attr<D> {
  return { name: "target_type", show: (d) => d.targetType };
}

function targetListAttr<D extends CxlSwitchDecoder>(): Attr<D> {
  return { name: "target_list", show: (d) => d.targetList() };
}

function regionAttr<D extends CxlDecoder>(): Attr<D> {
  return { name: "region", show: (d) => d.region?.name ?? "" };
}

/** `cxl_decoder_switch_type`. */
export const switchDecoderType: CxlDeviceType<CxlSwitchDecoder> = {
  name: "cxl_decoder_switch",
  cxlDeviceId: 0,
  groups: [{ attrs: [targetTypeAttr(), targetListAttr(), regionAttr()] }, baseGroup(), cxlBaseGroup],
};

const rootTypes = new Map<string, CxlDeviceType<CxlRootDecoder>>();

/** `cxl_decoder_root_type` (the DC create attribute is named per profile). */
export function rootDecoderType(profile: CxlProfile): CxlDeviceType<CxlRootDecoder> {
  const cached = rootTypes.get(profile.dcMode);
  if (cached !== undefined) return cached;
  const createAttr = (mode: "ram" | "pmem" | "dynamic_ram"): Attr<CxlRootDecoder> => ({
    name: `create_${modeName(mode, profile)}_region`,
    show: (d) => `region${d.regionId}`,
    store: (d, v) => {
      createRegionStore(d, v, mode);
    },
  });
  const createPmem = createAttr("pmem");
  const createRam = createAttr("ram");
  const createDc = createAttr("dynamic_ram");
  const deleteRegion: Attr<CxlRootDecoder> = {
    name: "delete_region",
    store: (d, v) => {
      deleteRegionStore(d, v);
    },
  };
  const type: CxlDeviceType<CxlRootDecoder> = {
    name: "cxl_decoder_root",
    cxlDeviceId: 0,
    groups: [
      {
        attrs: [
          flagAttr("cap_pmem", "pmem"),
          flagAttr("cap_ram", "ram"),
          flagAttr("cap_type2", "type2"),
          flagAttr("cap_type3", "type3"),
          targetListAttr(),
          { name: "qos_class", show: (d) => String(d.qosClass) },
          createPmem,
          createRam,
          createDc,
          deleteRegion,
        ],
        // cxl_root_decoder_visible: create_* only where the window can host that memory (R61).
        isVisible: (d, a) => {
          if (a === createPmem) return d.canCreatePmem;
          if (a === createRam || a === createDc) return d.canCreateRam;
          if (a === deleteRegion) return d.canCreatePmem || d.canCreateRam;
          return true;
        },
      },
      baseGroup(),
      cxlBaseGroup,
    ],
  };
  rootTypes.set(profile.dcMode, type);
  return type;
}

const endpointTypes = new Map<string, CxlDeviceType<CxlEndpointDecoder>>();

/** `cxl_decoder_endpoint_type`: `mode` accepts ram, pmem and the DC mode of the profile (R64). */
export function endpointDecoderType(profile: CxlProfile): CxlDeviceType<CxlEndpointDecoder> {
  const cached = endpointTypes.get(profile.dcMode);
  if (cached !== undefined) return cached;
  const type: CxlDeviceType<CxlEndpointDecoder> = {
    name: "cxl_decoder_endpoint",
    cxlDeviceId: 0,
    groups: [
      baseGroup(),
      {
        attrs: [
          targetTypeAttr(),
          {
            name: "mode",
            show: (d) => d.modeName(),
            store: (d, v) => {
              const mode = parseModeName(v, profile);
              if (mode === undefined) throw errno("EINVAL", `${d.name}: mode '${v}' is not ram, pmem or ${profile.dcMode}`);
              dpaSetPart(d.memdev.state, d, mode);
            },
          },
          {
            name: "dpa_size",
            show: (d) => fmtPa(d.dpaSize),
            store: (d, v) => {
              dpaSizeStore(d.memdev.state, d, parseKstrtou64(v, "dpa_size"));
            },
          },
          { name: "dpa_resource", show: (d) => fmtLlxOrAllOnes(d.dpaStart) },
          regionAttr(),
        ],
      },
      cxlBaseGroup,
    ],
  };
  endpointTypes.set(profile.dcMode, type);
  return type;
}
