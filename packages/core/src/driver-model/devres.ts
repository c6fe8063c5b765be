/**
 * devres: the managed resources of one binding.
 *
 * Whatever a probe acquires it registers here (`devm_add_action`), and the driver core releases
 * all of it, last registered first, when the probe fails and when the device is unbound
 * (`devres_release_all`). Each action runs exactly once: release pops it off the stack before
 * running it, and a stack that is being or has been released refuses new actions. Release never
 * stops at a failing action; it collects the errors for the caller to report.
 */
import { type Unsubscribable } from "rxjs";
import { errno } from "../errors.js";
import { type Disposable } from "../lifecycle/disposable.js";
import { leakTracker } from "../lifecycle/leak-tracker.js";

/** A release action: undo one thing the probe did. Its result is awaited, then ignored. */
export type DevresAction = () => unknown;

/** The devres API a probe sees as `ctx.devm`. */
export interface Devm {
  /** `devm_add_action`: run `action` on release. Throws ENODEV if the binding is already released. */
  add(action: DevresAction): void;
  /**
   * `devm_add_action_or_reset`: like {@link Devm.add}, but when the action cannot be registered it
   * runs at once (so nothing leaks) before the ENODEV is thrown.
   */
  addOrReset(action: DevresAction): Promise<void>;
  /** Own a subscription: unsubscribed on release (or at once, then ENODEV, if already released). */
  subscription<S extends Unsubscribable>(sub: S): S;
  /** Own a disposable: disposed on release (or at once, then ENODEV, if already released). */
  disposable<T extends Disposable>(d: T): T;
  /** `devm_remove_action`: forget the most recent registration of `action` without running it. */
  remove(action: DevresAction): boolean;
  /** `devm_release_action`: forget `action` and run it now. ENOENT when it is not registered. */
  release(action: DevresAction): Promise<void>;
  /** Number of actions waiting. */
  readonly size: number;
}

/** @internal One binding's devres stack; released by the driver core. */
export class Devres implements Devm {
  private readonly actions: DevresAction[] = [];
  private state: "open" | "releasing" | "released" = "open";
  private readonly untrack: () => void;

  constructor(private readonly label: string) {
    this.untrack = leakTracker.track("devres", label);
  }

  get size(): number {
    return this.actions.length;
  }

  add(action: DevresAction): void {
    if (this.state !== "open") throw this.closed();
    this.actions.push(action);
  }

  async addOrReset(action: DevresAction): Promise<void> {
    if (this.state === "open") {
      this.actions.push(action);
      return;
    }
    let cause: unknown;
    try {
      await action();
    } catch (err) {
      cause = err;
    }
    throw this.closed(cause);
  }

  subscription<S extends Unsubscribable>(sub: S): S {
    if (this.state !== "open") {
      sub.unsubscribe();
      throw this.closed();
    }
    this.actions.push(() => {
      sub.unsubscribe();
    });
    return sub;
  }

  disposable<T extends Disposable>(d: T): T {
    if (this.state !== "open") {
      d.dispose();
      throw this.closed();
    }
    this.actions.push(() => {
      d.dispose();
    });
    return d;
  }

  remove(action: DevresAction): boolean {
    const i = this.actions.lastIndexOf(action);
    if (i < 0) return false;
    this.actions.splice(i, 1);
    return true;
  }

  async release(action: DevresAction): Promise<void> {
    if (!this.remove(action)) throw errno("ENOENT", `devres of ${this.label}: action is not registered`);
    await action();
  }

  /** `devres_release_all`: run every action once, last first; return what they threw. */
  async releaseAll(): Promise<unknown[]> {
    if (this.state !== "open") return [];
    this.state = "releasing";
    const errors: unknown[] = [];
    for (let action = this.actions.pop(); action !== undefined; action = this.actions.pop()) {
      try {
        await action();
      } catch (err) {
        errors.push(err);
      }
    }
    this.state = "released";
    this.untrack();
    return errors;
  }

  /** @internal `releaseAll` for a stack known to be empty, without a promise. */
  releaseEmpty(): unknown[] {
    if (this.state === "open" && this.actions.length === 0) {
      this.state = "released";
      this.untrack();
    }
    return [];
  }

  private closed(cause?: unknown) {
    return errno("ENODEV", `devres of ${this.label} is already released`, cause === undefined ? {} : { cause });
  }
}
