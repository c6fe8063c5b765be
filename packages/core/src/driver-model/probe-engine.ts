/**
 * Binding devices to drivers: `drivers/base/dd.c`.
 *
 * Matching (with `driver_override` first), `__device_attach` / `driver_attach`, `really_probe`
 * with its unwinding on failure, `__device_release_driver`, and the deferred-probe work. The
 * engine owns which devices are bound (in bind order) and the deferred list; the driver core
 * owns registration, the operation queue and the event stream, and lends them through
 * {@link ProbeEngineHost}.
 */
import { describe, errno } from "../errors.js";
import { Binding } from "./binding.js";
import { type Bus, type DriverRecord } from "./bus.js";
import { type MatchResult } from "./bus-type.js";
import { DeferredProbe } from "./deferred-probe.js";
import { DEVICE_STATE, type Device } from "./device.js";
import { type Driver, type ProbeOutcome, probeOutcome } from "./driver.js";
import { type BusNotification, type BusNotifyAction, type UeventAction } from "./events.js";
import { type SysfsGlue } from "./sysfs-glue.js";

/** What the engine borrows from its driver core. */
export interface ProbeEngineHost {
  /** A device is registered with this core when its state's `core` is `owner`. */
  readonly owner: object;
  readonly name: string;
  readonly glue: SysfsGlue | undefined;
  /** False once teardown started: probes are then forced to defer (`device_block_probing`). */
  isLive(): boolean;
  busOf(dev: Device): Bus | undefined;
  notify(action: BusNotifyAction, dev: Device, bus: Bus, drv?: Driver, extra?: Pick<BusNotification, "probe" | "teardownErrors">): void;
  emitUevent(action: UeventAction, dev: Device, bus: Bus, extra: Readonly<Record<string, string>>): void;
}

/** What one probe attempt came to. */
export type ProbeAttempt = { readonly result: "bound" } | { readonly result: ProbeOutcome; readonly error: unknown };

export class ProbeEngine {
  /** `driver_deferred_probe_*`: the pending list and its trigger. */
  readonly deferred = new DeferredProbe();
  /** Bound devices in bind order (teardown unbinds them in reverse). */
  private readonly bound = new Set<Device>();

  constructor(private readonly host: ProbeEngineHost) {}

  /** `device_is_bound`: probed successfully and not yet unbound (false while its probe runs). */
  isBound(dev: Device): boolean {
    return this.bound.has(dev);
  }

  /** Bound devices, in bind order. */
  boundDevices(): Device[] {
    return [...this.bound];
  }

  /** `driver_match_device`, with `device_match_driver_override` first. */
  match(dev: Device, drv: Driver, bus: Bus): MatchResult {
    const override = dev[DEVICE_STATE].override;
    if (override !== undefined) return override === drv.name;
    return bus.type.match === undefined ? true : bus.type.match(dev, drv);
  }

  /** `__device_attach`: try the bus's drivers in registration order until one binds. */
  async deviceAttach(dev: Device, bus: Bus): Promise<void> {
    const state = dev[DEVICE_STATE];
    if (state.core !== this.host.owner || state.driver !== undefined) return;
    for (const record of bus.driversByName.values()) {
      const m = this.match(dev, record.driver, bus);
      if (m === false) continue;
      if (m === "defer") {
        // "Device can't match with a driver right now": try no other driver.
        state.deferredReason = `match with ${record.driver.name} deferred`;
        this.deferred.add(dev);
        return;
      }
      await this.driverProbeDevice(dev, record.driver, bus);
      if (state.core !== this.host.owner || dev.driver !== undefined) return;
    }
  }

  /** `driver_attach`: offer a new driver every device of its bus, in registration order. */
  async driverAttach(record: DriverRecord, bus: Bus): Promise<void> {
    for (const dev of bus.devicesByName.values()) {
      const m = this.match(dev, record.driver, bus);
      if (m === false) continue;
      if (m === "defer") {
        this.deferred.add(dev);
        continue;
      }
      if (dev[DEVICE_STATE].driver === undefined) await this.driverProbeDevice(dev, record.driver, bus);
    }
  }

  /** `driver_probe_device`: probe; a deferral goes on the pending list (retriggered on a race). */
  private async driverProbeDevice(dev: Device, drv: Driver, bus: Bus): Promise<void> {
    const triggerCount = this.deferred.triggerCount;
    const attempt = await this.reallyProbe(dev, drv, bus);
    if (attempt.result === "deferred") {
      this.deferred.add(dev);
      if (triggerCount !== this.deferred.triggerCount) this.deferred.trigger();
    }
  }

  /**
   * `really_probe`: set the driver, announce `bind-driver`, run the (bus's) probe, then either
   * `driver_bound` or unwind: release the binding's devres, clear the driver and drvdata, and
   * announce `driver-not-bound` with the outcome. Never throws: the result says what happened.
   */
  async reallyProbe(dev: Device, drv: Driver, bus: Bus): Promise<ProbeAttempt> {
    const state = dev[DEVICE_STATE];
    if (!this.host.isLive()) {
      // device_block_probing(): nothing binds while the core is torn down.
      const error = errno("EPROBE_DEFER", `${this.host.name} is shutting down`);
      state.deferredReason = error.message;
      return { result: "deferred", error };
    }
    const binding = new Binding(dev, drv);
    state.driver = drv;
    state.binding = binding;
    this.host.notify("bind-driver", dev, bus, drv);
    let probed = false;
    try {
      this.host.glue?.driverBind(dev, bus, drv);
      const pending = bus.type.probe !== undefined ? bus.type.probe(dev, drv, binding) : drv.probe?.(dev, binding);
      if (pending !== undefined) await pending;
      probed = true;
      const record = bus.driversByName.get(drv.name);
      if (state.core !== this.host.owner) throw errno("ENODEV", `${dev.toString()} was deleted during its probe`);
      if (record?.driver !== drv) throw errno("ENODEV", `driver '${drv.name}' was unregistered during the probe of ${dev.toString()}`);
      this.host.glue?.driverBound(dev, drv);
      this.driverBound(dev, bus, drv, record);
      return { result: "bound" };
    } catch (error) {
      const teardownErrors: unknown[] = [];
      // dev_groups_failed: a probe that succeeded is undone by remove before devres goes.
      if (probed) teardownErrors.push(...(await this.callRemove(dev, bus, drv, binding)));
      try {
        this.host.glue?.driverUnbind(dev, bus, drv);
      } catch (err) {
        teardownErrors.push(err);
      }
      teardownErrors.push(...(await releaseDevres(binding)));
      state.driver = undefined;
      state.binding = undefined;
      state.drvdata = undefined;
      const outcome = probeOutcome(error);
      if (outcome === "deferred") state.deferredReason = describe(error);
      this.host.notify("driver-not-bound", dev, bus, drv, { probe: { outcome, error }, teardownErrors });
      return { result: outcome, error };
    }
  }

  /** `device_remove`: the bus's remove if it has one, else the driver's. Returns what it threw. */
  private async callRemove(dev: Device, bus: Bus, drv: Driver, binding: Binding): Promise<unknown[]> {
    try {
      const pending = bus.type.remove !== undefined ? bus.type.remove(dev, drv, binding) : drv.remove?.(dev, binding);
      if (pending !== undefined) await pending;
      return [];
    } catch (err) {
      return [err];
    }
  }

  /** `driver_bound`: record the binding, leave the deferred list, retrigger it, announce. */
  private driverBound(dev: Device, bus: Bus, drv: Driver, record: DriverRecord): void {
    record.devices.add(dev);
    this.bound.add(dev);
    this.deferred.delete(dev);
    dev[DEVICE_STATE].deferredReason = undefined;
    this.deferred.trigger();
    this.host.notify("bound-driver", dev, bus, drv);
    this.host.emitUevent("bind", dev, bus, {});
  }

  /**
   * `__device_release_driver`: announce, run the (bus's) remove, release the devres stack, clear
   * the driver. A device whose probe is still running is not bound and is left alone. Returns
   * what remove and the devres actions threw; the unbind itself always completes.
   */
  async releaseDriver(dev: Device, only?: Driver): Promise<unknown[]> {
    const state = dev[DEVICE_STATE];
    const drv = state.driver;
    const binding = state.binding;
    if (drv === undefined || binding === undefined || !this.bound.has(dev) || (only !== undefined && drv !== only)) return [];
    const bus = this.host.busOf(dev);
    if (bus === undefined) return [];
    const errors: unknown[] = [];
    try {
      this.host.glue?.driverUnbind(dev, bus, drv);
    } catch (err) {
      errors.push(err);
    }
    this.host.notify("unbind-driver", dev, bus, drv);
    errors.push(...(await this.callRemove(dev, bus, drv, binding)));
    errors.push(...(await releaseDevres(binding)));
    state.driver = undefined;
    state.binding = undefined;
    state.drvdata = undefined;
    bus.driversByName.get(drv.name)?.devices.delete(dev);
    this.bound.delete(dev);
    this.host.notify("unbound-driver", dev, bus, drv, { teardownErrors: errors });
    this.host.emitUevent("unbind", dev, bus, {});
    return errors;
  }

  /** `driver_detach`: unbind the driver's devices, last bound first. Returns teardown errors. */
  async driverDetach(record: DriverRecord): Promise<unknown[]> {
    const errors: unknown[] = [];
    for (const dev of [...record.devices].reverse()) errors.push(...(await this.releaseDriver(dev, record.driver)));
    return errors;
  }

  /** The deferred-probe work: retry rounds until no bind triggers another one. */
  async drainDeferred(): Promise<void> {
    for (let active = this.deferred.takeActive(); active !== undefined; active = this.deferred.takeActive()) {
      for (const dev of active) {
        const bus = this.host.busOf(dev);
        // bus_probe_device: only registered, unbound devices on an autoprobing bus.
        if (bus?.autoprobe === true && dev[DEVICE_STATE].core === this.host.owner) await this.deviceAttach(dev, bus);
      }
    }
  }
}

/** `devres_release_all`, without a promise when there is nothing to release (the common case). */
function releaseDevres(binding: Binding): unknown[] | Promise<unknown[]> {
  return binding.devres.size === 0 ? binding.devres.releaseEmpty() : binding.devres.releaseAll();
}
