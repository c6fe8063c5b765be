/**
 * The driver core of one host: `drivers/base/{core,bus,dd}.c` in one object.
 *
 * It owns the buses, the device list, the deferred-probe lists and the event stream, and runs
 * every operation that can probe or unbind through one FIFO ({@link ProbeQueue}), so that the
 * same sequence of calls always binds the same devices in the same order. Each public operation
 * resolves once its own probes, and the deferred retries they triggered, are done.
 *
 * Two driver cores share nothing: a driver object registered with both is bound separately in
 * each, and a device belongs to at most one core at a time.
 */
import { type Observable, Subject } from "rxjs";
import { DcdAggregateError, describe, errno, isDcdError } from "../errors.js";
import { leakTracker } from "../lifecycle/leak-tracker.js";
import { type SysfsTree } from "../sysfs/sysfs-tree.js";
import { Bus, type BusOperations, type DriverRecord } from "./bus.js";
import { type BusType, type MatchResult } from "./bus-type.js";
import { DEVICE_STATE, type Device } from "./device.js";
import { type Driver } from "./driver.js";
import { type BusNotification, type BusNotifyAction, type DriverCoreEvent, type UeventAction } from "./events.js";
import { ProbeEngine } from "./probe-engine.js";
import { ProbeQueue } from "./probe-queue.js";
import { SysfsGlue } from "./sysfs-glue.js";
import { ueventEnv } from "./uevent.js";

export interface DriverCoreOptions {
  /** Names the core in errors and leak reports (usually the host name). */
  readonly name?: string;
  /** Mirror buses, drivers and devices into this tree (`/sys/bus`, `/sys/devices`). */
  readonly sysfs?: SysfsTree;
}

export class DriverCore {
  /** Bus notifications and uevents, in the order they happen. Completes on {@link dispose}. */
  readonly events$: Observable<DriverCoreEvent>;
  readonly name: string;

  private readonly subject = new Subject<DriverCoreEvent>();
  private readonly queue = new ProbeQueue();
  private readonly buses = new Map<string, Bus>();
  /** Registered devices in registration order (teardown deletes them in reverse). */
  private readonly devices = new Set<Device>();
  private readonly devpaths = new Map<string, Device>();
  private readonly engine: ProbeEngine;
  private readonly glue: SysfsGlue | undefined;
  private readonly busOps: BusOperations;
  private readonly untrack: () => void;
  private seqnum = 0;
  private state: "live" | "disposing" | "disposed" = "live";
  private disposed: Promise<void> | undefined;

  constructor(options: DriverCoreOptions = {}) {
    this.name = options.name ?? "driver-core";
    this.events$ = this.subject.asObservable();
    this.busOps = {
      bind: (bus, dev, drv) => this.op(() => this.bindStore(bus, dev, drv)),
      unbind: (bus, dev, drv) => this.op(() => this.unbindStore(bus, dev, drv)),
      probeDevice: (bus, dev) => this.op(() => this.driversProbe(bus, dev)),
      rescan: (bus) => this.op(() => this.rescanBus(bus)),
    };
    this.glue = options.sysfs === undefined ? undefined : new SysfsGlue(options.sysfs, this);
    this.engine = new ProbeEngine({
      owner: this,
      name: this.name,
      glue: this.glue,
      isLive: () => this.state === "live",
      busOf: (dev) => this.busOf(dev),
      notify: (action, dev, bus, drv, extra) => {
        this.notify(action, dev, bus, drv, extra);
      },
      emitUevent: (action, dev, bus, extra) => {
        this.emitUevent(action, dev, bus, extra);
      },
    });
    this.untrack = leakTracker.track("driver-core", this.name);
  }

  // ---- buses ---------------------------------------------------------------------------------

  /** `bus_register`: EEXIST when a bus of that name exists. Synchronous: it probes nothing. */
  busRegister<D extends Device, R extends Driver<D>>(type: BusType<D, R>): Bus<D, R> {
    this.assertLive();
    if (type.name === "" || type.name.includes("/")) throw errno("EINVAL", `bus name '${type.name}' is empty or contains '/'`);
    if (this.buses.has(type.name)) throw errno("EEXIST", `bus '${type.name}' is already registered`);
    const bus = new Bus(type, this.busOps);
    const generic = bus as unknown as Bus;
    this.glue?.busAdded(generic);
    this.buses.set(type.name, generic);
    return bus;
  }

  /** A registered bus by name. */
  bus(name: string): Bus | undefined {
    return this.buses.get(name);
  }

  /** Registered buses, in registration order. */
  busList(): Bus[] {
    return [...this.buses.values()];
  }

  // ---- devices -------------------------------------------------------------------------------

  /**
   * `device_add`: register `dev` under its parent, announce it, and probe it (unless its bus's
   * autoprobe is off). EINVAL: unknown bus or unregistered parent; EEXIST: the name is taken on
   * the bus or under the parent, or `dev` is already registered.
   */
  deviceAdd(dev: Device): Promise<void> {
    return this.op(async () => {
      const bus = this.register(dev);
      if (bus?.autoprobe === true) await this.engine.deviceAttach(dev, bus);
    });
  }

  /**
   * `device_del`: unbind `dev`, delete the children its driver did not delete (last registered
   * first), then remove it. ENODEV: not registered here. Teardown errors are reported in the
   * `unbound-driver` notifications, not thrown.
   */
  deviceDel(dev: Device): Promise<void> {
    return this.op(async () => {
      if (dev[DEVICE_STATE].core !== this) throw errno("ENODEV", `${dev.toString()} is not registered with ${this.name}`);
      await this.unregister(dev);
    });
  }

  /** Registered devices in registration order. */
  deviceList(): Device[] {
    return [...this.devices];
  }

  /** The device at a kobject path (`/devices/...`). */
  deviceAt(devpath: string): Device | undefined {
    return this.devpaths.get(devpath);
  }

  /** Devices waiting on the deferred-probe list, in the order they deferred. */
  deferredDevices(): Device[] {
    return this.engine.deferred.devices();
  }

  /**
   * Set or clear (`undefined`/`""`) `driver_override`, then reprobe: a bound device whose driver
   * no longer matches is unbound, and an unbound device is attached (`device_reprobe`, minus the
   * needless unbind of a driver that still matches). The sysfs attribute only sets it, as the
   * kernel's `driver_override_store` does.
   */
  setDriverOverride(dev: Device, driver: string | undefined): Promise<void> {
    return this.op(async () => {
      const state = dev[DEVICE_STATE];
      const value = driver === "" ? undefined : driver;
      if (state.override === value) return;
      state.override = value;
      const bus = state.core === this ? this.busOf(dev) : undefined;
      if (bus === undefined) return;
      if (state.driver !== undefined && this.engine.isBound(dev) && this.engine.match(dev, state.driver, bus) === false) await this.engine.releaseDriver(dev);
      if (state.driver === undefined) await this.engine.deviceAttach(dev, bus);
    });
  }

  /** @internal `driver_match_device`, for the sysfs `bind` file's synchronous check. */
  match(dev: Device, drv: Driver, bus: Bus): MatchResult {
    return this.engine.match(dev, drv, bus);
  }

  /** @internal `driver_override_store`: set without reprobing. */
  storeDriverOverride(dev: Device, driver: string | undefined): void {
    dev[DEVICE_STATE].override = driver;
  }

  /**
   * `kobject_uevent_env`: announce `action` for a registered device with extra variables.
   * Synchronous, like the kernel's. Bus-less devices send none (`dev_uevent_filter`).
   */
  uevent(dev: Device, action: UeventAction, extra: Readonly<Record<string, string>> = {}): void {
    if (dev[DEVICE_STATE].core !== this) throw errno("ENODEV", `${dev.toString()} is not registered with ${this.name}`);
    const bus = this.busOf(dev);
    if (bus !== undefined) this.emitUevent(action, dev, bus, extra);
  }

  // ---- drivers -------------------------------------------------------------------------------

  /**
   * `driver_register`: add `drv` to its bus and bind it to every matching unbound device
   * (unless autoprobe is off). EINVAL: unknown bus; EBUSY: a driver of that name is registered.
   */
  driverRegister<D extends Device>(drv: Driver<D>): Promise<void> {
    return this.op(async () => {
      const driver = drv as unknown as Driver;
      const bus = this.buses.get(driver.bus);
      if (bus === undefined) throw errno("EINVAL", `driver '${driver.name}': bus '${driver.bus}' is not registered`);
      if (bus.driversByName.has(driver.name)) throw errno("EBUSY", `driver '${driver.name}' is already registered on bus '${bus.name}'`);
      const record: DriverRecord = { driver, devices: new Set() };
      this.glue?.driverAdded(bus, driver);
      bus.driversByName.set(driver.name, record);
      if (bus.autoprobe) await this.engine.driverAttach(record, bus);
    });
  }

  /**
   * `driver_unregister`: take the driver off its bus, then unbind its devices, last bound first
   * (`driver_detach`). ENOENT: this driver object is not registered.
   */
  driverUnregister<D extends Device>(drv: Driver<D>): Promise<void> {
    return this.op(async () => {
      const driver = drv as unknown as Driver;
      const bus = this.buses.get(driver.bus);
      const record = bus?.driversByName.get(driver.name);
      if (bus === undefined || record?.driver !== driver) throw errno("ENOENT", `driver '${driver.name}' is not registered on bus '${driver.bus}'`);
      await this.driverRemove(bus, record);
    });
  }

  // ---- quiescence and teardown ---------------------------------------------------------------

  /**
   * `wait_for_device_probe`: resolve once every queued operation, with its deferred retries, is
   * done. EBUSY when called from inside a probe or remove (it would wait for itself).
   */
  waitForProbe(): Promise<void> {
    if (this.queue.insideOperation) return Promise.reject(errno("EBUSY", `${this.name}: waitForProbe() from inside a probe or remove would deadlock`));
    return this.queue.idle();
  }

  /**
   * Tear everything down once the queued operations are done: probing is blocked
   * (`device_block_probing`), every device is unbound in reverse bind order (each devres stack
   * released), devices are deleted in reverse registration order, drivers and buses removed, and
   * `events$` completes. Errors are collected and thrown together at the end as a
   * {@link DcdAggregateError}; the sequence never stops halfway. Idempotent.
   */
  dispose(): Promise<void> {
    if (this.queue.insideOperation) return Promise.reject(errno("EBUSY", `${this.name}: dispose() from inside a probe or remove`));
    this.disposed ??= this.queue.run(() => this.teardown()).finally(() => {
      this.queue.dispose();
    });
    return this.disposed;
  }

  private async teardown(): Promise<void> {
    this.state = "disposing";
    const errors: unknown[] = [];
    const collect = async (step: () => unknown[] | Promise<unknown[]>): Promise<void> => {
      try {
        errors.push(...(await step()));
      } catch (err) {
        errors.push(err);
      }
    };
    for (const dev of this.engine.boundDevices().reverse()) await collect(() => this.engine.releaseDriver(dev));
    // A remove callback may register devices even now (they cannot bind: probing is blocked),
    // so delete in rounds, last registered first, until a round finds nothing left.
    for (let left = [...this.devices].reverse(); left.length > 0; left = [...this.devices].reverse()) {
      for (const dev of left) {
        if (dev[DEVICE_STATE].core === this) await collect(() => this.unregister(dev));
      }
      if (left.every((dev) => this.devices.has(dev))) break; // no progress: never loop forever
    }
    for (const bus of [...this.buses.values()].reverse()) {
      for (const record of [...bus.driversByName.values()].reverse()) await collect(() => this.driverRemove(bus, record));
      await collect(() => {
        this.glue?.busRemoved(bus);
        return [];
      });
    }
    this.buses.clear();
    this.engine.deferred.clear();
    this.state = "disposed";
    this.subject.complete();
    this.untrack();
    if (errors.length > 0) throw new DcdAggregateError(errors, `${this.name}: teardown`);
  }

  // ---- the operation wrapper -----------------------------------------------------------------

  /**
   * Run `fn` as one driver-core operation: queued behind earlier ones (inline when nested in
   * one), and followed by the deferred-probe retries its binds triggered.
   */
  private op<T>(fn: () => Promise<T>): Promise<T> {
    if (this.queue.insideOperation) return fn();
    return this.queue.run(async () => {
      this.assertLive();
      try {
        return await fn();
      } finally {
        if (this.engine.deferred.isTriggered) await this.engine.drainDeferred();
      }
    });
  }

  private assertLive(): void {
    if (this.state !== "live") throw errno("ENODEV", `driver core '${this.name}' is shut down`);
  }

  // ---- registration (core.c: device_add / device_del) ----------------------------------------

  /** Validate and register `dev`; no probe. Returns its bus (undefined: bus-less). */
  private register(dev: Device): Bus | undefined {
    const state = dev[DEVICE_STATE];
    if (state.core !== undefined) throw errno("EEXIST", `${dev.toString()} is already registered`);
    const bus = dev.bus === undefined ? undefined : this.buses.get(dev.bus);
    if (dev.bus !== undefined && bus === undefined) throw errno("EINVAL", `${dev.name}: bus '${dev.bus}' is not registered`);
    if (dev.parent !== undefined && dev.parent[DEVICE_STATE].core !== this) {
      throw errno("EINVAL", `${dev.name}: parent ${dev.parent.toString()} is not registered with ${this.name}`);
    }
    if (bus?.devicesByName.has(dev.name) === true) throw errno("EEXIST", `bus '${bus.name}' already has a device '${dev.name}'`);
    const devpath = this.devpathOf(dev, bus);
    if (this.devpaths.has(devpath)) throw errno("EEXIST", `a device is already registered at ${devpath}`);

    state.core = this;
    state.devpath = devpath;
    try {
      this.glue?.deviceAdded(dev, bus);
    } catch (err) {
      state.core = undefined;
      state.devpath = "";
      throw err;
    }
    this.devices.add(dev);
    this.devpaths.set(devpath, dev);
    dev.parent?.[DEVICE_STATE].children.add(dev);
    if (bus !== undefined) {
      bus.devicesByName.set(dev.name, dev);
      this.notify("add-device", dev, bus);
      this.emitUevent("add", dev, bus, {});
    }
    return bus;
  }

  /** Unbind, delete leftover children, remove. Returns teardown errors. */
  private async unregister(dev: Device): Promise<unknown[]> {
    const state = dev[DEVICE_STATE];
    const bus = this.busOf(dev);
    if (bus !== undefined) this.notify("del-device", dev, bus);
    const errors = await this.engine.releaseDriver(dev);
    for (const child of [...state.children].reverse()) {
      if (child[DEVICE_STATE].core === this) errors.push(...(await this.unregister(child)));
    }
    // A remove callback may have deleted the device already.
    if (state.core !== this) return errors;
    this.engine.deferred.delete(dev);
    try {
      this.glue?.deviceRemoved(dev, bus);
    } catch (err) {
      errors.push(err);
    }
    if (bus !== undefined) this.emitUevent("remove", dev, bus, {});
    this.devices.delete(dev);
    this.devpaths.delete(state.devpath);
    dev.parent?.[DEVICE_STATE].children.delete(dev);
    bus?.devicesByName.delete(dev.name);
    state.core = undefined;
    state.devpath = "";
    state.deferredReason = undefined;
    if (bus !== undefined) this.notify("removed-device", dev, bus);
    return errors;
  }

  /** `/devices/<root>/<ancestors>/<name>`: under the parent, else the device's or bus's root. */
  private devpathOf(dev: Device, bus: Bus | undefined): string {
    if (dev.parent !== undefined) return `${dev.parent.devpath}/${dev.name}`;
    const root = dev.root ?? bus?.type.root ?? (bus === undefined ? "" : `virtual/${bus.name}`);
    return root === "" ? `/devices/${dev.name}` : `/devices/${root}/${dev.name}`;
  }

  private busOf(dev: Device): Bus | undefined {
    return dev.bus === undefined ? undefined : this.buses.get(dev.bus);
  }

  /** `bus_remove_driver`: off the bus first (nothing new binds to it), then `driver_detach`. */
  private async driverRemove(bus: Bus, record: DriverRecord): Promise<unknown[]> {
    bus.driversByName.delete(record.driver.name);
    const errors = await this.engine.driverDetach(record);
    try {
      this.glue?.driverRemoved(bus, record.driver);
    } catch (err) {
      errors.push(err);
    }
    return errors;
  }

  // ---- manual binding (bus.c: bind_store, unbind_store, drivers_probe, rescan) ---------------

  private async bindStore(bus: Bus, devName: string, drvName: string): Promise<void> {
    const record = bus.driversByName.get(drvName);
    if (record === undefined) throw errno("ENOENT", `bus '${bus.name}' has no driver '${drvName}'`);
    const dev = bus.devicesByName.get(devName);
    // bind_store: any non-zero match (including a deferral) lets device_driver_attach try.
    if (dev === undefined || this.engine.match(dev, record.driver, bus) === false) {
      throw errno("ENODEV", `bind: ${dev === undefined ? `no device '${devName}' on bus '${bus.name}'` : `driver '${drvName}' does not match ${devName}`}`);
    }
    if (dev.driver !== undefined) throw errno("EBUSY", `bind: ${devName} is already bound to '${dev.driver.name}'`);
    // device_driver_attach probes without adding to the deferred list; EPROBE_DEFER reads EAGAIN.
    const attempt = await this.engine.reallyProbe(dev, record.driver, bus);
    if (attempt.result === "bound") return;
    const cause = attempt.error;
    if (attempt.result === "deferred") throw errno("EAGAIN", `bind ${devName} to ${drvName}: probe deferred: ${describe(cause)}`, { cause });
    throw errno(isDcdError(cause) ? cause.code : "EIO", `bind ${devName} to ${drvName}: probe failed: ${describe(cause)}`, { cause });
  }

  private async unbindStore(bus: Bus, devName: string, drvName: string | undefined): Promise<void> {
    const record = drvName === undefined ? undefined : bus.driversByName.get(drvName);
    if (drvName !== undefined && record === undefined) throw errno("ENOENT", `bus '${bus.name}' has no driver '${drvName}'`);
    const dev = bus.devicesByName.get(devName);
    if (dev === undefined || !this.engine.isBound(dev) || (record !== undefined && dev.driver !== record.driver)) {
      throw errno("ENODEV", `unbind: ${devName} is not bound${drvName === undefined ? "" : ` to '${drvName}'`} on bus '${bus.name}'`);
    }
    await this.engine.releaseDriver(dev);
  }

  private async driversProbe(bus: Bus, devName: string): Promise<void> {
    const dev = bus.devicesByName.get(devName);
    if (dev === undefined) throw errno("ENODEV", `drivers_probe: no device '${devName}' on bus '${bus.name}'`);
    await this.engine.deviceAttach(dev, bus);
  }

  private async rescanBus(bus: Bus): Promise<void> {
    for (const dev of [...bus.devicesByName.values()]) await this.engine.deviceAttach(dev, bus);
  }

  // ---- events --------------------------------------------------------------------------------

  /**
   * Emit outside the operation context: a subscriber that starts an operation queues it after
   * the current one instead of running it in the middle of this one. Nothing is built when
   * nobody listens.
   */
  private notify(action: BusNotifyAction, device: Device, bus: Bus, driver?: Driver, extra?: Pick<BusNotification, "probe" | "teardownErrors">): void {
    if (!this.subject.observed) return;
    const event: BusNotification = { kind: "notify", action, bus: bus.name, device, ...(driver === undefined ? {} : { driver }), ...extra };
    this.queue.outside(() => {
      this.subject.next(event);
    });
  }

  private emitUevent(action: UeventAction, device: Device, bus: Bus, extra: Readonly<Record<string, string>>): void {
    const seqnum = ++this.seqnum;
    if (!this.subject.observed) return;
    let env: Record<string, string>;
    try {
      env = ueventEnv(action, device, bus.type, extra, seqnum);
    } catch {
      return; // a failing uevent callback drops the event, as kobject_uevent_env does
    }
    this.queue.outside(() => {
      this.subject.next({ kind: "uevent", action, device, env });
    });
  }
}
