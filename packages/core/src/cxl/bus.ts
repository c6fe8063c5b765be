/**
 * The buses the CXL core needs: `cxl` (drivers/cxl/core/port.c `cxl_bus_type`), and the two a
 * topology hangs from, `platform` (ACPI0017, cxl_test's mock devices) and `pci` (host bridges'
 * ports and memory-device functions).
 *
 * A cxl device's "device id" (`cxl_device_id()`) comes from its device type, as in the kernel; a
 * cxl driver names the id it binds. Region drivers (`RegionDriver`, from other packages) need not
 * name one: any driver that supplies an extent policy binds regions.
 */
import { type AttributeGroup, type DeviceType } from "../driver-model/device-type.js";
import { Device, type DeviceOptions } from "../driver-model/device.js";
import { type BusType } from "../driver-model/bus-type.js";
import { type Driver } from "../driver-model/driver.js";
import { isRegionDriver } from "./region-driver.js";

/** `CXL_DEVICE_*` (drivers/cxl/cxl.h): the `cxl:t%d` numbers. */
export const CXL_DEVICE = {
  NVDIMM_BRIDGE: 1,
  NVDIMM: 2,
  PORT: 3,
  ROOT: 4,
  MEMORY_EXPANDER: 5,
  REGION: 6,
  PMEM_REGION: 7,
  DAX_REGION: 8,
  PMU: 9,
} as const;

/** A device type on the cxl bus: its `cxl_device_id()` (0 for decoders, which no driver binds). */
export interface CxlDeviceType<D extends Device = Device> extends DeviceType<D> {
  readonly cxlDeviceId: number | ((dev: D) => number);
}

/** `cxl_device_id()`: what the device's type says; 0 for anything else. */
export function cxlDeviceId(dev: Device): number {
  const type = dev.type as Partial<CxlDeviceType> | undefined;
  const id = type?.cxlDeviceId;
  if (id === undefined) return 0;
  return typeof id === "number" ? id : id(dev);
}

/** `struct cxl_driver`: a driver on the cxl bus and the device id it binds. */
export interface CxlDriver<D extends Device = Device> extends Driver<D> {
  readonly id: number;
}

/** The id a driver binds: its own, or REGION for a region driver that names none. */
export function cxlDriverId(drv: Driver<never>): number | undefined {
  const id = (drv as Partial<CxlDriver<never>>).id;
  if (typeof id === "number") return id;
  return isRegionDriver(drv) ? CXL_DEVICE.REGION : undefined;
}

const baseGroup: AttributeGroup = {
  attrs: [
    { name: "devtype", show: (dev) => dev.type?.name ?? "" },
    { name: "modalias", show: (dev) => `cxl:t${cxlDeviceId(dev)}` },
  ],
};

/**
 * `cxl_base_attribute_group`: `devtype` and `modalias`, part of every cxl device type. Typed for
 * any device class (it reads only what every `Device` has).
 */
export const cxlBaseGroup: AttributeGroup<never> = baseGroup;

/** What a cxl-bus probe/remove wrapper needs beyond the driver's own callbacks. */
export type CxlBusProbe = NonNullable<BusType["probe"]>;

/**
 * `cxl_bus_type`. `probe` / `remove` are the bus wrappers (`cxl_bus_probe`); the CXL core
 * installs the region-aware ones (see `region-bind.ts`).
 */
export function cxlBusType(wrappers: Pick<BusType, "probe" | "remove"> = {}): BusType {
  return {
    name: "cxl",
    match: (dev, drv) => {
      const id = cxlDriverId(drv);
      return id !== undefined && id !== 0 && cxlDeviceId(dev) === id;
    },
    uevent: (dev) => ({ MODALIAS: `cxl:t${cxlDeviceId(dev)}` }),
    ...wrappers,
  };
}

// ---- platform bus ----------------------------------------------------------------------------

export interface PlatformDeviceOptions extends Omit<DeviceOptions, "bus"> {
  /** `pdev->name`: what id tables match (`cxl_acpi`, `cxl_mem`). Defaults to the device name. */
  readonly pdevName?: string;
  /** The ACPI companion's _HID (`ACPI0017`), matched by a driver's `acpiIds`. */
  readonly acpiHid?: string;
  /** `dev_get_platdata()`: what the firmware or a test module attached to the device. */
  readonly platformData?: unknown;
}

/** `struct platform_device`. */
export class PlatformDevice extends Device {
  readonly pdevName: string;
  readonly acpiHid: string | undefined;
  readonly platformData: unknown;

  constructor(options: PlatformDeviceOptions) {
    super({ ...options, bus: "platform" });
    this.pdevName = options.pdevName ?? options.name;
    this.acpiHid = options.acpiHid;
    this.platformData = options.platformData;
  }
}

/** `struct platform_driver` with its id tables. */
export interface PlatformDriver<D extends PlatformDevice = PlatformDevice> extends Driver<D> {
  /** `id_table` names (`pdev->name`). */
  readonly idTable?: readonly string[];
  /** `acpi_match_table` HIDs. */
  readonly acpiIds?: readonly string[];
}

/** `platform_bus_type`: ACPI id, then id table, then the driver's name (`platform_match`). */
export const platformBusType: BusType = {
  name: "platform",
  root: "platform",
  match: (dev, drv) => {
    if (!(dev instanceof PlatformDevice)) return false;
    const pdrv = drv as PlatformDriver;
    if (dev.acpiHid !== undefined && pdrv.acpiIds?.includes(dev.acpiHid) === true) return true;
    if (pdrv.idTable !== undefined) return pdrv.idTable.includes(dev.pdevName);
    return pdrv.name === dev.pdevName;
  },
  uevent: (dev) => (dev instanceof PlatformDevice ? { MODALIAS: dev.acpiHid !== undefined ? `acpi:${dev.acpiHid}:` : `platform:${dev.pdevName}` } : undefined),
};

// ---- pci bus ---------------------------------------------------------------------------------

/** PCI class code of a CXL memory device (`PCI_CLASS_MEMORY_CXL` << 8 | prog-if 0x10). */
export const PCI_CLASS_MEMORY_CXL = 0x050210;
/** PCI class code of a PCI-to-PCI bridge (root port, switch port). */
export const PCI_CLASS_BRIDGE_PCI = 0x060400;

export interface PciDeviceOptions extends Omit<DeviceOptions, "bus"> {
  readonly classCode: number;
  /** What the device "is" beyond its config space (for a CXL memdev: its mailbox and identity). */
  readonly platformData?: unknown;
}

/** `struct pci_dev` (a function, a root port or a switch port). Named by its BDF. */
export class PciDevice extends Device {
  readonly classCode: number;
  readonly platformData: unknown;

  constructor(options: PciDeviceOptions) {
    super({ ...options, bus: "pci" });
    this.classCode = options.classCode;
    this.platformData = options.platformData;
  }
}

export interface PciDriver<D extends PciDevice = PciDevice> extends Driver<D> {
  /** Class codes the driver binds (`pci_device_id.class`). */
  readonly classCodes: readonly number[];
}

/** `pci_bus_type`, matching on class code only. */
export const pciBusType: BusType = {
  name: "pci",
  match: (dev, drv) => dev instanceof PciDevice && (drv as Partial<PciDriver>).classCodes?.includes(dev.classCode) === true,
  uevent: (dev) => (dev instanceof PciDevice ? { PCI_CLASS: dev.classCode.toString(16).toUpperCase() } : undefined),
};
