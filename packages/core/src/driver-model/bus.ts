/**
 * A registered bus: its devices and drivers by name, its `drivers_autoprobe` switch, and the
 * manual operations userspace reaches through `/sys/bus/<bus>/` (bind, unbind, drivers_probe,
 * rescan). The operations themselves run in the driver core, serialized with everything else.
 */
import { type BusType } from "./bus-type.js";
import { type Device } from "./device.js";
import { type Driver } from "./driver.js";

/** @internal A registered driver and the devices it is bound to, in bind order. */
export interface DriverRecord {
  readonly driver: Driver;
  readonly devices: Set<Device>;
}

/** @internal What a {@link Bus} asks of its driver core. */
export interface BusOperations {
  bind(bus: Bus, device: string, driver: string): Promise<void>;
  unbind(bus: Bus, device: string, driver: string | undefined): Promise<void>;
  probeDevice(bus: Bus, device: string): Promise<void>;
  rescan(bus: Bus): Promise<void>;
}

export class Bus<D extends Device = Device, R extends Driver<D> = Driver<D>> {
  /** @internal Devices on the bus by name, in registration order. */
  readonly devicesByName = new Map<string, Device>();
  /** @internal Drivers on the bus by name, in registration order (the order probes try them). */
  readonly driversByName = new Map<string, DriverRecord>();
  private autoprobeEnabled = true;

  /** @internal Built by `DriverCore.busRegister`. */
  constructor(
    readonly type: BusType<D, R>,
    private readonly ops: BusOperations,
  ) {}

  get name(): string {
    return this.type.name;
  }

  /**
   * `drivers_autoprobe`: when false, neither a new device nor a new driver is probed
   * automatically (deferred retries skip the bus too); manual bind, `drivers_probe` and rescan
   * still work. Turning it back on probes nothing by itself, as in the kernel.
   */
  get autoprobe(): boolean {
    return this.autoprobeEnabled;
  }

  set autoprobe(value: boolean) {
    this.autoprobeEnabled = value;
  }

  /** Devices on the bus, in registration order. */
  devices(): D[] {
    return [...this.devicesByName.values()] as D[];
  }

  device(name: string): D | undefined {
    return this.devicesByName.get(name) as D | undefined;
  }

  /** Drivers on the bus, in registration order. */
  drivers(): R[] {
    return [...this.driversByName.values()].map((r) => r.driver as R);
  }

  driver(name: string): R | undefined {
    return this.driversByName.get(name)?.driver as R | undefined;
  }

  /**
   * `echo <device> > drivers/<driver>/bind` (`bind_store`). ENOENT: no such driver on the bus;
   * ENODEV: no such device, or the driver does not match it; EBUSY: the device already has a
   * driver; EAGAIN: the probe deferred; otherwise the probe's own error.
   */
  bind(device: string, driver: string): Promise<void> {
    return this.ops.bind(this, device, driver);
  }

  /**
   * `echo <device> > drivers/<driver>/unbind` (`unbind_store`). ENODEV: no such device, or it is
   * not bound to `driver` (to any driver, when `driver` is omitted). ENOENT: no such driver.
   */
  unbind(device: string, driver?: string): Promise<void> {
    return this.ops.unbind(this, device, driver);
  }

  /** `echo <device> > drivers_probe`: attach an unbound device now. ENODEV: no such device. */
  probeDevice(device: string): Promise<void> {
    return this.ops.probeDevice(this, device);
  }

  /** `bus_rescan_devices`: try to attach every unbound device, in registration order. */
  rescan(): Promise<void> {
    return this.ops.rescan(this);
  }
}
