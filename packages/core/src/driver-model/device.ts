/**
 * `struct device`: a named node in the device tree, optionally on a bus, bound to at most one
 * driver at a time.
 *
 * What identifies a device (name, parent, bus, type) is fixed at construction, as `dev_set_name`
 * and `device_initialize` fix it before `device_add`. What the driver core changes while the
 * device lives (its driver, drvdata, override, registration) sits in a private state object keyed
 * by a symbol that the package does not export, as the kernel hides it in `dev->p`: the public
 * surface reads it, only the driver core writes it.
 */
import { errno } from "../errors.js";
import { type Binding } from "./binding.js";
import { type DeviceType } from "./device-type.js";
import { type Driver } from "./driver.js";

/** How to build a {@link Device}. */
export interface DeviceOptions {
  /** Unique on its bus and among its siblings; no `/`. */
  readonly name: string;
  /** Bus name (`"cxl"`, `"dax"`); omitted for a bus-less device (only a directory in sysfs). */
  readonly bus?: string;
  /** The device this one hangs under in `/sys/devices`. Must be registered first. */
  readonly parent?: Device;
  /**
   * The device's type. Typed for any device class (`DeviceType<CxlMemdev>` fits): attaching a
   * type only to devices of its class is the caller's contract, as `container_of` is in C.
   */
  readonly type?: DeviceType<never>;
  /** Initial `driver_override` (a driver name). */
  readonly driverOverride?: string;
  /**
   * Directory under `/sys/devices` for a device without a parent (`"platform"`, `""` for the top
   * level). Defaults to the bus's root, else `virtual/<bus>`, else the top level.
   */
  readonly root?: string;
}

/** @internal The driver core's private state of one device (`struct device_private`). */
export interface DeviceState {
  /** The driver core the device is registered with, while registered. */
  core: object | undefined;
  /** `/devices/...`, computed at registration. */
  devpath: string;
  /** Set from the start of a probe until unbind, as `dev->driver`. */
  driver: Driver | undefined;
  /** The probe context of the current binding (same lifetime as `driver`). */
  binding: Binding | undefined;
  drvdata: unknown;
  override: string | undefined;
  /** Registered children, in registration order. */
  readonly children: Set<Device>;
  /** Why the last probe deferred (`devices_deferred` in debugfs). */
  deferredReason: string | undefined;
}

/** @internal Key of {@link DeviceState} on a device; not exported from the package. */
export const DEVICE_STATE: unique symbol = Symbol("device_private");

export class Device {
  readonly name: string;
  readonly bus: string | undefined;
  readonly parent: Device | undefined;
  readonly type: DeviceType<never> | undefined;
  readonly root: string | undefined;
  /** @internal */
  readonly [DEVICE_STATE]: DeviceState;

  constructor(options: DeviceOptions) {
    if (options.name === "" || options.name.includes("/")) {
      throw errno("EINVAL", `device name '${options.name}' is empty or contains '/'`, { detail: { name: options.name } });
    }
    this.name = options.name;
    this.bus = options.bus;
    this.parent = options.parent;
    this.type = options.type;
    this.root = options.root;
    this[DEVICE_STATE] = {
      core: undefined,
      devpath: "",
      driver: undefined,
      binding: undefined,
      drvdata: undefined,
      override: options.driverOverride === "" ? undefined : options.driverOverride,
      children: new Set(),
      deferredReason: undefined,
    };
  }

  /** The bound driver; also set while its probe runs, as the kernel's `dev->driver`. */
  get driver(): Driver | undefined {
    return this[DEVICE_STATE].driver;
  }

  /** `dev_get_drvdata()`: what the bound driver stored; cleared on unbind. */
  get drvdata(): unknown {
    return this[DEVICE_STATE].drvdata;
  }

  /** `driver_override`: the only driver allowed to bind, or undefined (normal matching). */
  get driverOverride(): string | undefined {
    return this[DEVICE_STATE].override;
  }

  /** True between `deviceAdd` and `deviceDel`. */
  get isRegistered(): boolean {
    return this[DEVICE_STATE].core !== undefined;
  }

  /** The kobject path (`/devices/platform/ACPI0017:00/root0`); empty while unregistered. */
  get devpath(): string {
    return this[DEVICE_STATE].devpath;
  }

  /** The reason given by the last deferred probe, while the device waits on the pending list. */
  get deferredReason(): string | undefined {
    return this[DEVICE_STATE].deferredReason;
  }

  toString(): string {
    return this.bus === undefined ? this.name : `${this.bus}/${this.name}`;
  }
}
