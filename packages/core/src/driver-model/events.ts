/**
 * What the driver core tells the world, on one stream (`DriverCore.events$`):
 *
 * - bus notifications, the kernel's `BUS_NOTIFY_*` in kebab-case, sent to in-kernel listeners at
 *   the same points `drivers/base` calls the bus notifier chain;
 * - uevents, what udev would read from netlink: `ACTION`, `DEVPATH`, `SUBSYSTEM`, the device's
 *   variables (`DEVTYPE`, `DRIVER`, the bus's `MODALIAS` ...) and `SEQNUM`.
 *
 * Failures travel in the payload (`probe`, `teardownErrors`), never as a stream error.
 */
import { type Device } from "./device.js";
import { type Driver, type ProbeOutcome } from "./driver.js";

/** `BUS_NOTIFY_*` from `include/linux/device/bus.h`, kebab-cased. */
export type BusNotifyAction =
  | "add-device"
  | "del-device"
  | "removed-device"
  | "bind-driver"
  | "bound-driver"
  | "unbind-driver"
  | "unbound-driver"
  | "driver-not-bound";

/** A bus notifier call. */
export interface BusNotification {
  readonly kind: "notify";
  readonly action: BusNotifyAction;
  readonly bus: string;
  readonly device: Device;
  /** The driver involved (bind/unbind family only). */
  readonly driver?: Driver;
  /** `driver-not-bound`: how and why the probe failed. `rejected` is the kernel's quiet case. */
  readonly probe?: { readonly outcome: ProbeOutcome; readonly error: unknown };
  /** `unbound-driver` / `driver-not-bound`: what remove and the devres actions threw. */
  readonly teardownErrors?: readonly unknown[];
}

/** `enum kobject_action`, as `kobject_actions[]` spells it. */
export const UEVENT_ACTIONS = ["add", "remove", "change", "move", "online", "offline", "bind", "unbind"] as const;
export type UeventAction = (typeof UEVENT_ACTIONS)[number];

/** A uevent as udev receives it. */
export interface Uevent {
  readonly kind: "uevent";
  readonly action: UeventAction;
  readonly device: Device;
  /** `KEY=value` pairs in the kernel's order, `ACTION` first and `SEQNUM` last. */
  readonly env: Readonly<Record<string, string>>;
}

/** Everything on `events$`. */
export type DriverCoreEvent = BusNotification | Uevent;
