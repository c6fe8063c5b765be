/**
 * The CXL core of one host: id allocators (`cxl_port_ida`, `cxl_memdev_ida`, memregion ids), the
 * hardware registry, lookups, and the glue to the driver core. One instance per host, resolved
 * from the host container under {@link CXL_SUBSYSTEM} (registered by `cxlCore`); two hosts share
 * nothing.
 *
 * Devices are released the kernel's way: what `put_device` would free (ids, HPA, region id) is
 * freed when the driver core reports the device removed, inside the operation that removed it, so
 * `host.settle()` sees the final state.
 */
import { type Subscription } from "rxjs";
import { type DependencyContainer, type InjectionToken } from "tsyringe";
import { type Device } from "../driver-model/device.js";
import { type DriverCore } from "../driver-model/driver-core.js";
import { describe, errno } from "../errors.js";
import { DRIVER_CORE, SYSFS_TREE } from "../host/tokens.js";
import { type SysfsTree } from "../sysfs/sysfs-tree.js";
import { CxlEndpointDecoder, CxlRootDecoder } from "./decoder.js";
import { type CxlHwNode } from "./hardware.js";
import { CXL_DCD_HOOKS, type CxlDcdHooks } from "./hooks.js";
import { Ida } from "./ida.js";
import { KERNEL_LOG, type KernelLog } from "./kernel-log.js";
import { CxlMemdev } from "./memdev.js";
import { CxlPort } from "./port.js";
import { type CxlProfile } from "./profile.js";
import { CxlRegion } from "./region.js";
import { finishReset } from "./region-attach.js";

/** What `cxlDpaToRegion` finds. */
export interface CxlDpaMapping {
  /** The region the DPA is mapped in; undefined when the endpoint decoder holds it but no region (yet). */
  readonly region: CxlRegion | undefined;
  readonly endpointDecoder: CxlEndpointDecoder;
}

export class CxlSubsystem {
  readonly core: DriverCore;
  readonly sysfs: SysfsTree;
  readonly log: KernelLog;
  /** `cxl_port_ida`: root, switch and endpoint ports share it. */
  readonly portIda = new Ida();
  readonly memdevIda = new Ida();
  /** `memregion_alloc`: region ids, global to the host. */
  readonly memregionIda = new Ida();
  private readonly hw = new Map<Device, CxlHwNode>();
  private readonly releases = new Map<Device, () => void>();
  private readonly subscription: Subscription;

  constructor(
    readonly container: DependencyContainer,
    readonly profile: CxlProfile,
  ) {
    this.core = container.resolve(DRIVER_CORE);
    this.sysfs = container.resolve(SYSFS_TREE);
    this.log = container.resolve(KERNEL_LOG);
    this.subscription = this.core.events$.subscribe({
      next: (event) => {
        if (event.kind !== "notify") return;
        if (event.action === "removed-device") this.released(event.device);
        else if (event.action === "unbound-driver" && event.device instanceof CxlRegion) finishReset(event.device);
      },
      // events$ never errors (failures travel in payloads).
      error: () => undefined,
    });
  }

  /** `/sys/bus/cxl/flush` (a bus attribute): libcxl writes "1" before every scan. */
  ensureBusAttributes(): void {
    if (this.sysfs.exists("/sys/bus/cxl") && !this.sysfs.exists("/sys/bus/cxl/flush")) {
      this.sysfs.addAttribute("/sys/bus/cxl/flush", {
        store: (v) => {
          if (v !== "1") throw errno("EINVAL", `flush: '${v}' is not 1`);
        },
      });
    }
  }

  /** Every registered {@link CxlDcdHooks} implementation. */
  hooks(): CxlDcdHooks[] {
    return this.container.isRegistered(CXL_DCD_HOOKS, true) ? this.container.resolveAll(CXL_DCD_HOOKS) : [];
  }

  // ---- lookups ---------------------------------------------------------------------------------

  /** `bus_find_device_by_name(&cxl_bus_type, ...)`. */
  cxlDevice(name: string): Device | undefined {
    return this.core.bus("cxl")?.device(name);
  }

  private cxlDevices(): Device[] {
    return this.core.bus("cxl")?.devices() ?? [];
  }

  memdevs(): CxlMemdev[] {
    return this.cxlDevices().filter((d): d is CxlMemdev => d instanceof CxlMemdev);
  }

  memdev(name: string): CxlMemdev | undefined {
    const dev = this.cxlDevice(name);
    return dev instanceof CxlMemdev ? dev : undefined;
  }

  ports(): CxlPort[] {
    return this.cxlDevices().filter((d): d is CxlPort => d instanceof CxlPort);
  }

  rootDecoders(): CxlRootDecoder[] {
    return this.cxlDevices().filter((d): d is CxlRootDecoder => d instanceof CxlRootDecoder);
  }

  /** Every region, including ones whose registration or deletion is still queued. */
  regions(): CxlRegion[] {
    return this.rootDecoders().flatMap((rd) => [...rd.regions.values()]);
  }

  region(name: string): CxlRegion | undefined {
    return this.regions().find((r) => r.name === name);
  }

  endpointDecoder(name: string): CxlEndpointDecoder | undefined {
    const dev = this.cxlDevice(name);
    return dev instanceof CxlEndpointDecoder ? dev : undefined;
  }

  /**
   * `cxl_dpa_to_region()`: the endpoint decoder of `memdev` whose DPA allocation holds `dpa`, and
   * the region it is attached to. Undefined when the memdev is not bound to `cxl_mem` or no
   * decoder is committed (as the kernel, which only searches committed endpoints).
   */
  cxlDpaToRegion(memdev: CxlMemdev, dpa: number): CxlDpaMapping | undefined {
    const port = memdev.endpoint;
    if (memdev.driver === undefined || port === undefined || port.decodersCommitted === 0) return undefined;
    for (const d of port.decoders.values()) {
      if (d instanceof CxlEndpointDecoder && d.dpaSize > 0 && d.containsDpa(dpa)) return { region: d.region, endpointDecoder: d };
    }
    return undefined;
  }

  // ---- hardware registry -----------------------------------------------------------------------

  registerHw(node: CxlHwNode): void {
    this.hw.set(node.dev, node);
  }

  unregisterHw(dev: Device): void {
    this.hw.delete(dev);
  }

  hwNode(dev: Device): CxlHwNode | undefined {
    return this.hw.get(dev);
  }

  // ---- driver-core glue --------------------------------------------------------------------------

  /** `device_add`, with `release` run when the device is finally removed. */
  async addDevice(dev: Device, release?: () => void): Promise<void> {
    if (release !== undefined) this.releases.set(dev, release);
    try {
      await this.core.deviceAdd(dev);
    } catch (err) {
      this.releases.delete(dev);
      release?.();
      throw err;
    }
  }

  /** `device_unregister` (nothing when already gone). */
  async deleteDevice(dev: Device): Promise<void> {
    if (dev.isRegistered) await this.core.deviceDel(dev);
  }

  /** `device_release_driver`, queued: the unbind runs after the current operation. */
  releaseDriver(dev: Device): void {
    if (dev.driver === undefined || dev.bus === undefined) return;
    this.background(this.core.bus(dev.bus)?.unbind(dev.name), `release driver of ${dev.name}`);
  }

  /** Run queued work whose failure has nobody to report to; failures go to the kernel log. */
  background(work: Promise<unknown> | undefined, what: string): void {
    work?.catch((err: unknown) => {
      this.log.debug(undefined, `${what}: ${describe(err)}`);
    });
  }

  /** Resolve once every queued probe, unbind and deletion is done, and the hooks are idle. */
  async settle(): Promise<void> {
    await this.core.waitForProbe();
    for (const hooks of this.hooks()) if (hooks.idle !== undefined) await hooks.idle();
    await this.core.waitForProbe();
  }

  private released(dev: Device): void {
    const release = this.releases.get(dev);
    if (release === undefined) return;
    this.releases.delete(dev);
    release();
  }

  /** Stop listening to the driver core (the host's teardown ends it anyway). */
  dispose(): void {
    this.subscription.unsubscribe();
  }
}

/** The CXL core of a host (registered by `cxlCore`). */
export const CXL_SUBSYSTEM: InjectionToken<CxlSubsystem> = Symbol("CxlSubsystem");

/** `cxl_dpa_to_region()` for `memdev` (see {@link CxlSubsystem.cxlDpaToRegion}). */
export function cxlDpaToRegion(memdev: CxlMemdev, dpa: number): CxlDpaMapping | undefined {
  return memdev.cxl.cxlDpaToRegion(memdev, dpa);
}
