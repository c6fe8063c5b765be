/**
 * Simulated time. Every timeout (the 20 s More-chain timer, hotplug costs, QMP deadlines) reads
 * an injected {@link Clock}; nothing in dcd sleeps. A {@link VirtualClock} only moves when a
 * test or a scenario advances it, so a run with the same inputs is reproducible.
 */
import type { InjectionToken } from "tsyringe";
import { type Disposable, toDisposable } from "../lifecycle/disposable.js";

/** Milliseconds since the clock's epoch, and timers on that time line. */
export interface Clock {
  /** Current time in milliseconds (may be fractional). */
  now(): number;
  /** Run `fn` once `ms` milliseconds from now. Disposing the handle cancels it. */
  setTimeout(fn: () => void, ms: number): Disposable;
}

/** Injection token for the host's or the fabric's clock. */
export const CLOCK: InjectionToken<Clock> = Symbol("Clock");

interface Timer {
  readonly seq: number;
  readonly due: number;
  readonly fn: () => void;
}

/**
 * A clock that moves only on {@link VirtualClock.advance}. Timers due at the same instant fire in
 * the order they were set; a timer set by a firing timer for a time already reached fires in the
 * same advance.
 */
export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  /** Live timers only: a cancelled one leaves at once, so re-armed watchdogs don't pile up. */
  private readonly timers = new Set<Timer>();

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): Disposable {
    const timer: Timer = { seq: this.seq++, due: this.current + Math.max(0, ms), fn };
    this.timers.add(timer);
    return toDisposable(() => {
      this.timers.delete(timer);
    });
  }

  /** Charge `ms` of simulated work without firing anything early (used for hotplug costs). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`VirtualClock.advance: ${ms} is not a non-negative duration`);
    const target = this.current + ms;
    for (;;) {
      const next = this.nextDue(target);
      if (next === undefined) break;
      this.current = next.due;
      this.timers.delete(next);
      next.fn();
    }
    this.current = target;
  }

  /** Number of timers still waiting. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  private nextDue(limit: number): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers) {
      if (t.due > limit) continue;
      if (best === undefined || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
