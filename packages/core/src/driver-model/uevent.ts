/**
 * uevent environments (`lib/kobject_uevent.c`, `dev_uevent` in `drivers/base/core.c`).
 *
 * A device's own variables are what `cat /sys/.../uevent` prints: `DEVTYPE`, `DRIVER` while a
 * driver is set, then the bus's (`MODALIAS`) and the type's. An emitted uevent wraps them as
 * `kobject_uevent_env` does: `ACTION`, `DEVPATH`, `SUBSYSTEM`, the caller's extra keys, the
 * device's variables, and a fresh `SEQNUM` last.
 */
import { errno } from "../errors.js";
import { type BusType } from "./bus-type.js";
import { type Device } from "./device.js";
import { UEVENT_ACTIONS, type UeventAction } from "./events.js";

type Env = Record<string, string>;

/** The device's own uevent variables, in the kernel's order. */
export function deviceUeventVars(dev: Device, bus: BusType | undefined): Env {
  return addDeviceVars({}, dev, bus);
}

/** A full uevent environment (`kobject_uevent_env`). */
export function ueventEnv(action: UeventAction, dev: Device, bus: BusType, ext: Readonly<Env>, seqnum: number): Env {
  const env: Env = { ACTION: action, DEVPATH: dev.devpath, SUBSYSTEM: bus.name };
  Object.assign(env, ext);
  addDeviceVars(env, dev, bus);
  env["SEQNUM"] = String(seqnum);
  return env;
}

/** `dev_uevent` + `bus->uevent` + `type->uevent`, appended to `env` (one object, no copies). */
function addDeviceVars(env: Env, dev: Device, bus: BusType | undefined): Env {
  if (dev.type !== undefined) env["DEVTYPE"] = dev.type.name;
  if (dev.driver !== undefined) env["DRIVER"] = dev.driver.name;
  const busVars = bus?.uevent?.(dev);
  if (busVars !== undefined) Object.assign(env, busVars);
  const typeVars = dev.type?.uevent?.(dev as never);
  if (typeVars !== undefined) Object.assign(env, typeVars);
  return env;
}

/** `KEY=value` lines, as the `uevent` attribute shows them. */
export function formatUeventVars(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([k, v]) => `${k}=${v}\n`)
    .join("");
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const SYNTH_KEY = /^[A-Za-z0-9]+$/;

/**
 * Parse what is written to a `uevent` file (`kobject_synth_uevent`): an action name, optionally
 * followed by a UUID and `KEY=value` arguments, which become `SYNTH_UUID` and `SYNTH_ARG_KEY`.
 * Without arguments the kernel still marks the event synthetic with `SYNTH_UUID=0`.
 * Anything else is EINVAL.
 */
export function parseSynthUevent(buf: string): { action: UeventAction; env: Record<string, string> } {
  const text = buf.endsWith("\n") || buf.endsWith("\0") ? buf.slice(0, -1) : buf;
  const space = text.indexOf(" ");
  const word = space < 0 ? text : text.slice(0, space);
  const action = UEVENT_ACTIONS.find((a) => a === word);
  if (action === undefined) throw errno("EINVAL", `uevent: '${text}' is not a uevent action (${UEVENT_ACTIONS.join(", ")})`, { detail: { value: buf } });
  if (space < 0) return { action, env: { SYNTH_UUID: "0" } };
  const [uuid, ...args] = text
    .slice(space + 1)
    .split(" ")
    .filter((a) => a !== "");
  if (uuid === undefined || !UUID.test(uuid)) throw errno("EINVAL", `uevent: '${text}': '${uuid ?? ""}' is not a UUID`, { detail: { value: buf } });
  const env: Env = { SYNTH_UUID: uuid };
  for (const arg of args) {
    const eq = arg.indexOf("=");
    const key = arg.slice(0, eq);
    if (eq <= 0 || !SYNTH_KEY.test(key)) throw errno("EINVAL", `uevent: '${text}': bad argument '${arg}'`, { detail: { value: buf } });
    env[`SYNTH_ARG_${key}`] = arg.slice(eq + 1);
  }
  return { action, env };
}
