/**
 * A small bus for driver-core tests: devices and drivers carry a `kind`, and match when the
 * kinds are equal (as CXL matches `cxl_device_id(dev) == drv->id`). Probe behaviour is scripted
 * per driver, and every callback is logged so tests can assert on order.
 */
import { type Subscription } from "rxjs";
import { Device, type DeviceOptions, type Driver, type DriverCore, type DriverCoreEvent, type BusType, type ProbeContext } from "../../index.js";

export class DemoDevice extends Device {
  constructor(
    name: string,
    readonly kind: string,
    options: Omit<DeviceOptions, "name" | "bus"> & { bus?: string } = {},
  ) {
    super({ bus: "demo", ...options, name });
  }
}

export interface DemoDriver extends Driver<DemoDevice> {
  readonly kind: string;
}

export const demoBus: BusType<DemoDevice, DemoDriver> = {
  name: "demo",
  match: (dev, drv) => dev.kind === drv.kind,
  uevent: (dev) => ({ MODALIAS: `demo:${dev.kind}` }),
};

export type ProbeScript = (dev: DemoDevice, ctx: ProbeContext<DemoDevice>) => void | Promise<void>;

/** A driver whose probe runs `script` (default: succeed) and logs `probe:<drv>:<dev>` / `remove:...`. */
export function demoDriver(name: string, kind: string, log: string[] = [], script?: ProbeScript, bus = "demo"): DemoDriver {
  return {
    name,
    bus,
    kind,
    async probe(dev, ctx) {
      log.push(`probe:${name}:${dev.name}`);
      await script?.(dev, ctx);
    },
    remove(dev) {
      log.push(`remove:${name}:${dev.name}`);
    },
  };
}

/** Record every event of `core`; the subscription ends when the core completes its stream. */
export function record(core: { events$: DriverCore["events$"] }): { events: DriverCoreEvent[]; sub: Subscription } {
  const events: DriverCoreEvent[] = [];
  // The stream never errors (failures travel in payloads); rethrowing makes a regression loud.
  const sub = core.events$.subscribe({ next: (e) => events.push(e), error: (err: unknown) => { throw err; } });
  return { events, sub };
}

/** `action:device[:driver]` for each notification, for compact assertions. */
export function notifications(events: readonly DriverCoreEvent[]): string[] {
  return events.flatMap((e) => (e.kind === "notify" ? [`${e.action}:${e.device.name}${e.driver ? `:${e.driver.name}` : ""}`] : []));
}

/** `device -> driver` for every bound device of `core`, sorted by device name. */
export function bindings(core: DriverCore): string[] {
  return core
    .deviceList()
    .filter((d) => d.driver !== undefined)
    .map((d) => `${d.name}->${d.driver?.name ?? ""}`)
    .sort();
}
