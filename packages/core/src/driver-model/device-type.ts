/**
 * Device types (`struct device_type`) and their sysfs attribute groups.
 *
 * A device type names a family of devices on a bus (`cxl_memdev`, `cxl_region`) and owns the
 * attributes every device of that family shows in sysfs. The uevent carries the name as
 * `DEVTYPE=`. Attribute groups work as in the kernel: an optional sub-directory `name`, a list of
 * attributes, and `isVisible`, which may hide an attribute or change its mode per device (the
 * kernel's `is_visible` returning 0 or a mode).
 */
import { type Device } from "./device.js";

/** One sysfs attribute of a device (`struct device_attribute`). */
export interface DeviceAttribute<D extends Device = Device> {
  /** File name inside the device (or group) directory. */
  readonly name: string;
  /** The value as `cat` prints it (a trailing newline is added when missing). */
  show?(dev: D): string;
  /** Apply a written value (one trailing newline already stripped); throw a `DcdError` to refuse it. */
  store?(dev: D, value: string): void;
  /** Permission bits; default 0444 / 0200 / 0644 as for `__ATTR_RO/WO/RW`. */
  readonly mode?: number;
}

/** A set of attributes created and removed together (`struct attribute_group`). */
export interface AttributeGroup<D extends Device = Device> {
  /** Sub-directory holding the group; omitted: the attributes sit in the device directory. */
  readonly name?: string;
  readonly attrs: readonly DeviceAttribute<D>[];
  /**
   * Per-device visibility, evaluated when the group is created: `false`/`0` hides the
   * attribute, `true` keeps its mode, a number replaces the mode.
   */
  isVisible?(dev: D, attr: DeviceAttribute<D>): boolean | number;
}

/** The kernel's `struct device_type`. */
export interface DeviceType<D extends Device = Device> {
  /** Shown as `DEVTYPE=<name>` in uevents. */
  readonly name: string;
  /** Attribute groups every device of this type shows. */
  readonly groups?: readonly AttributeGroup<D>[];
  /** Extra uevent variables, added after the bus's (the kernel's `type->uevent`). */
  uevent?(dev: D): Readonly<Record<string, string>> | undefined;
}
