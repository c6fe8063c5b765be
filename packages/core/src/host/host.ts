/**
 * A host: one simulated machine with its own driver core, sysfs tree, clock and tsyringe
 * container. Two hosts in one process share no state: each has a fresh container chain
 * (`container` → a new child → the host's child), and nothing is registered globally.
 */
import { type Observable } from "rxjs";
import { container as globalContainer, type DependencyContainer } from "tsyringe";
import { DcdAggregateError } from "../errors.js";
import { leakTracker } from "../lifecycle/leak-tracker.js";
import { CLOCK, type Clock, VirtualClock } from "../time/clock.js";
import { SysfsTree } from "../sysfs/sysfs-tree.js";
import { type Bus } from "../driver-model/bus.js";
import { type BusType } from "../driver-model/bus-type.js";
import { type Device } from "../driver-model/device.js";
import { type Driver } from "../driver-model/driver.js";
import { DriverCore } from "../driver-model/driver-core.js";
import { type DriverCoreEvent } from "../driver-model/events.js";
import { DriverLoader } from "./driver-loader.js";
import { DRIVER_CORE, type DriverModule, HOST, HOST_QUIESCE, type HostQuiesce, SYSFS_TREE } from "./tokens.js";

export interface HostOptions {
  /** Names the host in errors, leak reports and the driver core. */
  readonly name: string;
  /** Driver packages to load, in order (subsystem cores, which bring buses, first). */
  readonly drivers?: readonly DriverModule[];
  /** Buses to register before any module's driver (of any device class). */
  readonly buses?: readonly BusType<never, never>[];
  /** Defaults to a fresh {@link VirtualClock}. */
  readonly clock?: Clock;
}

export class Host {
  private disposing: Promise<void> | undefined;

  /** @internal Built by {@link createHost}. */
  constructor(
    readonly name: string,
    /** The host's own container: modules register here; resolve host services from it. */
    readonly container: DependencyContainer,
    private readonly root: DependencyContainer,
    readonly clock: Clock,
    readonly sysfs: SysfsTree,
    readonly core: DriverCore,
    private readonly untrack: readonly (() => void)[],
  ) {}

  /** Bus notifications and uevents of this host; completes on {@link dispose}. */
  get events$(): Observable<DriverCoreEvent> {
    return this.core.events$;
  }

  /** Register a bus (`bus_register`). */
  registerBus<D extends Device, R extends Driver<D>>(type: BusType<D, R>): Bus<D, R> {
    return this.core.busRegister(type);
  }

  bus(name: string): Bus | undefined {
    return this.core.bus(name);
  }

  /** Resolve once every queued probe, unbind and deferred retry is done. */
  settle(): Promise<void> {
    return this.core.waitForProbe();
  }

  /**
   * Wait for every {@link HOST_QUIESCE} (detached subsystem work), then unbind everything in
   * reverse bind order (running every devres action), delete every device, complete `events$`,
   * dispose the containers. Every step runs even if an earlier one failed;
   * the failures are thrown together as one {@link DcdAggregateError}. Idempotent.
   */
  dispose(): Promise<void> {
    this.disposing ??= this.teardown();
    return this.disposing;
  }

  private async teardown(): Promise<void> {
    const errors: unknown[] = [];
    const step = async (fn: () => unknown): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        if (err instanceof DcdAggregateError) errors.push(...err.errors);
        else errors.push(err);
      }
    };
    let quiescers: readonly HostQuiesce[] = [];
    await step(() => {
      if (this.container.isRegistered(HOST_QUIESCE, true)) quiescers = this.container.resolveAll(HOST_QUIESCE);
    });
    for (const q of quiescers) await step(() => q.quiesce());
    await step(() => this.core.dispose());
    await step(() => this.container.dispose());
    await step(() => this.root.dispose());
    for (const untrack of this.untrack) untrack();
    if (errors.length > 0) throw new DcdAggregateError(errors, `host ${this.name}: dispose`);
  }
}

/**
 * Build a host: containers, clock, sysfs and driver core; then load the driver modules and
 * register their buses and drivers (binding whatever they match). If loading fails, what was
 * built is disposed before the error is rethrown.
 */
export async function createHost(options: HostOptions): Promise<Host> {
  const root = globalContainer.createChildContainer();
  const scope = root.createChildContainer();
  const untrack = [
    leakTracker.track("host", options.name),
    leakTracker.track("container", `${options.name} root`),
    leakTracker.track("container", options.name),
  ];
  const clock = options.clock ?? new VirtualClock();
  const sysfs = new SysfsTree();
  const core = new DriverCore({ name: options.name, sysfs });
  const host = new Host(options.name, scope, root, clock, sysfs, core, untrack);
  scope.register(CLOCK, { useValue: clock });
  scope.register(SYSFS_TREE, { useValue: sysfs });
  scope.register(DRIVER_CORE, { useValue: core });
  scope.register(HOST, { useValue: host });
  try {
    for (const bus of options.buses ?? []) core.busRegister(bus);
    for (const module of options.drivers ?? []) module.register(scope);
    const loaded = scope.resolve(DriverLoader);
    for (const bus of loaded.buses) core.busRegister(bus);
    for (const driver of loaded.drivers) await core.driverRegister(driver);
  } catch (err) {
    try {
      await host.dispose();
    } catch (disposeErr) {
      throw new DcdAggregateError([err, disposeErr], `host ${options.name}: creation failed`);
    }
    throw err;
  }
  return host;
}
