/**
 * The deferred-probe lists of `drivers/base/dd.c`.
 *
 * A probe that answers EPROBE_DEFER puts its device on the pending list. Every successful bind
 * "triggers": the pending devices become active and are retried, in the order they deferred.
 * The trigger counter catches the kernel's race in our nested form: a device whose probe was
 * running while some other device bound (inside that probe) retriggers after deferring, so it
 * cannot be left waiting for a bind that already happened.
 *
 * Cost: a trigger with nothing pending is O(1), so the common case (nothing defers) never
 * scans; a retry round is linear in the devices pending at that moment.
 */
import { type Device } from "./device.js";

export class DeferredProbe {
  private pending = new Set<Device>();
  private triggered = false;
  private count = 0;

  /** Bumped on every trigger, as `deferred_trigger_count`. */
  get triggerCount(): number {
    return this.count;
  }

  /** True when a retry round is due. */
  get isTriggered(): boolean {
    return this.triggered;
  }

  /** Devices waiting, in the order they deferred. */
  devices(): Device[] {
    return [...this.pending];
  }

  /** `driver_deferred_probe_add`: a device already pending keeps its place. */
  add(dev: Device): void {
    this.pending.add(dev);
  }

  /** `driver_deferred_probe_del`. */
  delete(dev: Device): void {
    this.pending.delete(dev);
  }

  /** `driver_deferred_probe_trigger`: ask for a retry round if anything is pending. */
  trigger(): void {
    this.count++;
    if (this.pending.size > 0) this.triggered = true;
  }

  /**
   * Start a retry round if one was triggered: hand over the pending devices (the kernel's splice
   * onto the active list) and clear the request. Devices that defer again re-enter `pending`.
   */
  takeActive(): Device[] | undefined {
    if (!this.triggered) return undefined;
    this.triggered = false;
    const active = [...this.pending];
    this.pending = new Set();
    return active;
  }

  clear(): void {
    this.pending.clear();
    this.triggered = false;
  }
}
