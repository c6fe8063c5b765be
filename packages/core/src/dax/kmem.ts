/**
 * `kmem` (drivers/dax/kmem.c with Gregory Price's whole-device `state` attribute, 2026): a dax
 * device's ranges, aligned inward to memory blocks, hot-plugged as driver-managed
 * `System RAM (kmem)` on the device's target node.
 *
 * `daxX.Y/state` (consumers.md §2.2): writable `unplugged`, `online`, `online_kernel`,
 * `online_movable`; `offline` is only ever read (the probe added under
 * `auto_online_blocks=offline`). A device is onlined only from `unplugged`; `unplugged` offlines
 * and removes every range in one all-or-nothing operation. Unbind never offlines: what is still
 * online is leaked with a warning, as the kernel does to keep unbind from deadlocking. Departure
 * from consumers.md §2.2 (no hot-remove on unbind unless `unplugged`): unbind still runs
 * `remove_memory` on every added range, so memory in state `offline` is removed, not leaked;
 * that offlines nothing, so it cannot deadlock (kmem-state.test.ts: "offline memory goes").
 */
import { type DependencyContainer } from "tsyringe";
import { KERNEL_LOG } from "../cxl/kernel-log.js";
import { type Driver, type ProbeContext } from "../driver-model/driver.js";
import { type DcdError, errno, type ErrnoCode } from "../errors.js";
import { SYSFS_TREE } from "../host/tokens.js";
import { MEMORY_HOTPLUG } from "../mm/install.js";
import { type MemoryHotplug } from "../mm/memory-hotplug.js";
import { type HotplugResult, type MemoryRange, ONLINE_TYPES, type OnlineType } from "../mm/types.js";
import { type DevDax, hexAlt, KMEM_DRIVER_NAME } from "./dax-region.js";

/** The `/proc/iomem` name of what kmem adds. */
export const KMEM_RESOURCE_NAME = "System RAM (kmem)";

/** `daxX.Y/state` as read: `unplugged`, or the online type the ranges were added with. */
export type KmemState = "unplugged" | OnlineType;
/** What `daxX.Y/state` accepts. */
export type KmemWritableState = Exclude<KmemState, "offline">;

/** How `kmem` behaves. */
export interface KmemOptions {
  /**
   * Online type the probe adds with. Default: `auto_online_blocks` (the kernel's
   * `mhp_get_default_online_type()`); daxctl then onlines what came up offline.
   */
  readonly onlineType?: OnlineType;
  /**
   * errno for writing an online type while the device is not `unplugged`. Default `EBUSY`, what
   * every version of the kernel series returns; `EINVAL` is consumers.md SYS-10's inferred errno.
   */
  readonly onlineFromOnlineErrno?: Extract<ErrnoCode, "EINVAL" | "EBUSY">;
}

/** What one `state` change did. Failures are data: `ok` false leaves the state as it was. */
export interface KmemTransition {
  readonly ok: boolean;
  readonly from: KmemState;
  /** The state afterwards (`from` when it failed). */
  readonly to: KmemState;
  readonly error?: DcdError;
  /** The memory-hotplug operations run, in order, rollbacks inside them. */
  readonly results: readonly HotplugResult[];
}

interface KmemRange {
  /** `mappingK`. */
  readonly index: number;
  readonly range: MemoryRange;
}

interface KmemEnv {
  readonly mm: MemoryHotplug;
  readonly onlineErrno: "EINVAL" | "EBUSY";
  warn(dev: DevDax, message: string): void;
  err(dev: DevDax, message: string): void;
}

/** `struct dax_kmem_data`: the state and which ranges are added (`res[i]`). */
export class KmemBinding {
  private current: KmemState = "unplugged";
  private added: MemoryRange[] = [];
  /** Set by remove(): an add still in flight must not leave its memory unaccounted for. */
  private detached = false;
  private queue: Promise<void> | undefined;

  /** @internal Made by the kmem probe. */
  constructor(
    readonly dev: DevDax,
    /** The block-aligned part of each mapping, fixed at probe (a teardown may revoke the mappings first). */
    private readonly ranges: readonly KmemRange[],
    private readonly env: KmemEnv,
  ) {}

  get state(): KmemState {
    return this.current;
  }

  /** The ranges currently hot-added. */
  get addedRanges(): readonly MemoryRange[] {
    return this.added;
  }

  /** Every range kmem manages for the device (added or not). */
  get managedRanges(): readonly MemoryRange[] {
    return this.ranges.map((r) => r.range);
  }

  /**
   * Change the state. Bad input (an unknown state, onlining from anything but `unplugged`) throws
   * at once and changes nothing. Transitions run one at a time (`data->lock`); the result is
   * synchronous when nothing had to wait for device registration.
   */
  request(target: KmemWritableState): KmemTransition | Promise<KmemTransition> {
    const pending = this.queue;
    const result = pending === undefined ? this.transition(target) : pending.then(() => this.transition(target));
    if (result instanceof Promise) {
      const settled = result.then(
        () => undefined,
        () => undefined,
      );
      this.queue = settled;
      void settled.then(() => {
        if (this.queue === settled) this.queue = undefined;
      });
    }
    return result;
  }

  /** `state_store`: parse (EINVAL for anything but the writable states), then {@link request}; a failed transition throws its errno. */
  store(value: string): void | Promise<void> {
    const target = parseKmemState(this.dev, value);
    const check = (t: KmemTransition): void => {
      if (!t.ok) throw t.error ?? errno("EIO", `${this.dev.name}/state: ${target} failed`);
    };
    const result = this.request(target);
    if (result instanceof Promise) return result.then(check);
    check(result);
  }

  /** @internal The probe: add every range with `onlineType`. */
  probe(onlineType: OnlineType): Promise<KmemTransition> {
    return this.hotplug(onlineType);
  }

  /**
   * @internal Unbind (`dev_dax_kmem_remove`): `remove_memory` each added range, which never
   * offlines; a range still online is refused and leaked until reboot, with a warning. Unlike
   * the reference (see the header), ranges of an `offline` device are removed here too.
   */
  async remove(): Promise<void> {
    // Not behind `queue`: an unplug in flight already dropped its ranges from `added`, and waiting
    // for its block devices from inside a device removal would deadlock the driver core. An add
    // in flight sees `detached` when it ends and gives back what it added the same way.
    this.detached = true;
    this.added = await this.removeOrLeak(this.added);
  }

  /** `remove_memory` each range; a range still online is leaked until reboot, with the kernel's warnings. */
  private async removeOrLeak(ranges: readonly MemoryRange[]): Promise<MemoryRange[]> {
    const stuck: MemoryRange[] = [];
    for (const { index, range } of this.ranges) {
      if (!ranges.includes(range)) continue;
      const removed = await this.env.mm.removeMemory(range);
      if (removed.ok) continue;
      this.env.warn(this.dev, `mapping${index}: ${hexAlt(range.start)}-${hexAlt(range.start + range.size - 1)} stuck online until reboot`);
      stuck.push(range);
    }
    if (stuck.length > 0) this.env.err(this.dev, "Hotplug regions stuck online until reboot");
    return stuck;
  }

  private transition(target: KmemWritableState): KmemTransition | Promise<KmemTransition> {
    const from = this.current;
    if (from === target) return { ok: true, from, to: from, results: [] };
    if (target === "unplugged") return this.unplug();
    if (from !== "unplugged") {
      throw errno(this.env.onlineErrno, `${this.dev.name}/state: '${target}' refused: the device is ${from}; a device is onlined only from unplugged`);
    }
    return this.hotplug(target);
  }

  /**
   * `dax_kmem_do_hotremove` → `offline_and_remove_memory_ranges`: offline every range as one
   * operation (a failure rolls every block back, EBUSY), then remove them all.
   */
  private unplug(): KmemTransition | Promise<KmemTransition> {
    const from = this.current;
    const ranges = [...this.added];
    if (ranges.length === 0) {
      this.current = "unplugged";
      return { ok: true, from, to: "unplugged", results: [] };
    }
    const off = this.env.mm.offlineRanges(ranges);
    if (!off.ok) {
      this.env.err(this.dev, `hotremove failed, device left ${from}: ${off.error.code}`);
      return { ok: false, from, to: from, error: off.error, results: [off] };
    }
    // Every removal starts now, while the blocks are offline; only registration work is left.
    const removals = ranges.map((r) => this.env.mm.removeMemory(r));
    this.added = [];
    this.current = "unplugged";
    return Promise.all(removals).then((removed) => {
      const results: HotplugResult[] = [off, ...removed];
      const stuck = ranges.filter((_, i) => removed[i]?.ok !== true);
      if (stuck.length === 0) return { ok: true, from, to: "unplugged", results };
      // Only an injected remove fault gets here: put back what is left as it was.
      if (from !== "offline" && from !== "unplugged") for (const r of stuck) results.push(this.env.mm.onlineRange(r, from));
      this.added = stuck;
      this.current = from;
      const failed = removed.find((r) => !r.ok);
      const error = failed?.error ?? errno("EBUSY", `${this.dev.name}: hotremove failed`);
      return { ok: false, from, to: from, error, results };
    });
  }

  /**
   * `dax_kmem_do_hotplug`: `__add_memory_driver_managed(..., online_type)` per range. As in the
   * kernel, a failure after some range was added is only warned about; a failure of the first
   * range fails the whole request.
   */
  private async hotplug(onlineType: OnlineType): Promise<KmemTransition> {
    const from = this.current;
    const results: HotplugResult[] = [];
    const added: MemoryRange[] = [];
    let error: DcdError | undefined;
    for (const { index, range } of this.ranges) {
      const r = await this.env.mm.addMemory({ ...range, node: this.dev.targetNode, driverManaged: true, resourceName: KMEM_RESOURCE_NAME, onlineType, memmapOnMemory: this.dev.memmapOnMemory });
      results.push(r);
      if (r.ok) {
        added.push(range);
        continue;
      }
      this.env.warn(this.dev, `mapping${index}: ${hexAlt(range.start)}-${hexAlt(range.start + range.size - 1)} memory add failed`);
      if (added.length === 0) {
        error = r.error;
        break;
      }
    }
    if (added.length === 0) return { ok: false, from, to: from, error: error ?? errno("EINVAL", `${this.dev.name}: nothing to add`), results };
    if (this.detached) {
      // kmem was unbound while this add ran (the kernel serialises the two; here the add ends
      // second): what it added is given back, or leaked with a warning, as remove() does.
      this.added = await this.removeOrLeak(added);
      return { ok: false, from, to: from, error: errno("ENXIO", `${this.dev.name}: kmem was unbound while the memory was being added`), results };
    }
    this.added = added;
    this.current = onlineType;
    return { ok: true, from, to: onlineType, results };
  }
}

/** `dax_kmem_parse_state`: `unplugged` or an online type; `offline` is refused (EINVAL). */
export function parseKmemState(dev: DevDax, value: string): KmemWritableState {
  const v = value.trim();
  if (v === "unplugged") return "unplugged";
  if (v === "offline") throw errno("EINVAL", `${dev.name}/state: 'offline' is read-only (write unplugged)`);
  if ((ONLINE_TYPES as readonly string[]).includes(v)) return v as KmemWritableState;
  throw errno("EINVAL", `${dev.name}/state: '${value}' is not one of unplugged, online, online_kernel, online_movable`);
}

/** The kmem binding of a device bound to kmem, or undefined. */
export function kmemBindingOf(dev: DevDax): KmemBinding | undefined {
  return dev.driver?.name === KMEM_DRIVER_NAME && dev.drvdata instanceof KmemBinding ? dev.drvdata : undefined;
}

/** `string_get_size(…, STRING_UNITS_2)`: three significant digits, `1.00 GiB`, `512 MiB`. */
function sizeString(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const digits = u === 0 || v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${v.toFixed(digits)} ${units[u] ?? "B"}`;
}

/**
 * `kmem` (`dev_dax_kmem_probe`): refuse a negative target node (EINVAL), refuse extents of a
 * sharable partition (EPERM: other hosts map that memory), align each mapping inward to memory
 * blocks (EINVAL when nothing is left), then add every range with the default online type and
 * publish `state`.
 */
export function kmemDriver(container: DependencyContainer, options: KmemOptions = {}): Driver<DevDax> {
  const hotplug = (): MemoryHotplug => {
    if (!container.isRegistered(MEMORY_HOTPLUG, true)) throw errno("ENODEV", "kmem: the host has no memory hotplug (installMemoryHotplug)");
    return container.resolve(MEMORY_HOTPLUG);
  };
  const log = (level: "warn" | "err" | "info", dev: DevDax, message: string): void => {
    if (container.isRegistered(KERNEL_LOG, true)) container.resolve(KERNEL_LOG)[level](dev, message);
  };
  const statePath = (dev: DevDax): string => `/sys${dev.devpath}/state`;
  return Object.freeze({
    name: KMEM_DRIVER_NAME,
    bus: "dax",
    async probe(dev: DevDax, ctx: ProbeContext<DevDax>): Promise<void> {
      const node = dev.targetNode;
      if (node < 0) {
        log("warn", dev, `rejecting DAX region with invalid node: ${node}`);
        throw errno("EINVAL", `${dev.name}: rejecting DAX region with invalid node: ${node}`);
      }
      if (dev.sharable) throw errno("EPERM", `${dev.name}: extents of a sharable partition cannot be onlined as System RAM`);
      const mm = hotplug();
      const ranges: KmemRange[] = [];
      let orig = 0;
      let total = 0;
      for (const [index, m] of dev.mappings().entries()) {
        orig += m.size;
        const { aligned } = mm.alignToBlocks({ start: m.start, size: m.size });
        if (aligned === undefined) {
          log("info", dev, `mapping${index}: ${hexAlt(m.start)}-${hexAlt(m.end)} too small after alignment`);
          continue;
        }
        total += aligned.size;
        ranges.push({ index, range: aligned });
      }
      if (total === 0) {
        log("warn", dev, "rejecting DAX region without any memory after alignment");
        throw errno("EINVAL", `${dev.name}: rejecting DAX region without any memory after alignment`);
      }
      if (total !== orig) log("warn", dev, `DAX region truncated by ${sizeString(orig - total)} due to alignment`);
      const binding = new KmemBinding(dev, ranges, {
        mm,
        onlineErrno: options.onlineFromOnlineErrno ?? "EBUSY",
        warn: (d, message) => { log("warn", d, message); },
        err: (d, message) => { log("err", d, message); },
      });
      const added = await binding.probe(options.onlineType ?? mm.autoOnlineBlocks);
      if (!added.ok) throw added.error ?? errno("EIO", `${dev.name}: kmem probe failed`);
      ctx.drvdata = binding;
      container.resolve(SYSFS_TREE).addAttribute(statePath(dev), { show: () => `${binding.state}\n`, store: (v) => binding.store(v) });
    },
    async remove(dev: DevDax, ctx: ProbeContext<DevDax>): Promise<void> {
      container.resolve(SYSFS_TREE).removeIfExists(statePath(dev));
      const binding = ctx.drvdata;
      if (binding instanceof KmemBinding) await binding.remove();
    },
  });
}

