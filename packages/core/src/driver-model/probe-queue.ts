/**
 * One global lock for the driver core, as a FIFO of async operations.
 *
 * Probe and remove are async, yet every run with the same inputs must bind the same devices in
 * the same order. The simplest rule that gives that is the kernel's synchronous probing made
 * global: operations run one after another in the order they were requested.
 *
 * A driver's probe often registers child devices (a region driver adds its DAX region) and
 * awaits that. Queueing such a nested call behind the running operation would deadlock, so a
 * call made *from inside* an operation runs inline, exactly as `device_add` from a probe runs
 * `bus_probe_device` in the caller's context. "Inside" is tracked with AsyncLocalStorage so that
 * an unrelated caller that happens to run while a probe awaits still queues, and a frame that
 * outlives its operation (a detached promise) stops counting as inside once that operation ends.
 */
import { AsyncLocalStorage } from "node:async_hooks";

interface Frame {
  active: boolean;
}

/** The frame of code that runs outside any operation. */
const OUTSIDE: Frame = { active: false };

export class ProbeQueue {
  private readonly context = new AsyncLocalStorage<Frame>();
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private idleWaiters: (() => void)[] = [];

  /** True when the caller runs inside an operation that has not finished. */
  get insideOperation(): boolean {
    return this.context.getStore()?.active === true;
  }

  /** Run `op` after every operation queued before it, or inline when called from inside one. */
  run<T>(op: () => Promise<T>): Promise<T> {
    if (this.insideOperation) return op();
    this.queued++;
    const result = this.tail.then(() => {
      const frame: Frame = { active: true };
      return this.context.run(frame, async () => {
        try {
          return await op();
        } finally {
          frame.active = false;
        }
      });
    });
    this.tail = result.then(this.finished, this.finished);
    return result;
  }

  /**
   * Run `fn` as if outside every operation: what it starts is queued, not nested. (Not
   * `AsyncLocalStorage.exit`: on Node 20 that toggles the process-wide promise hooks per call.)
   */
  outside<T>(fn: () => T): T {
    return this.insideOperation ? this.context.run(OUTSIDE, fn) : fn();
  }

  /**
   * Stop tracking "inside" for good (the driver core is gone). On Node 20 an enabled
   * AsyncLocalStorage keeps a promise hook that every promise in the process pays for, so a
   * disposed host must not leave its one behind.
   */
  dispose(): void {
    this.context.disable();
  }

  /** Resolve once nothing is queued or running. */
  idle(): Promise<void> {
    if (this.queued === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private readonly finished = (): void => {
    this.queued--;
    if (this.queued > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  };
}
