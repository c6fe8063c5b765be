/**
 * Disposables in the VS Code style: anything that holds a resource exposes `dispose()`, and a
 * {@link DisposableStore} owns a set of them and releases them in reverse order of addition
 * (the devres and NestJS rule: undo in the opposite order of doing).
 */
import { DcdAggregateError } from "../errors.js";
import { leakTracker } from "./leak-tracker.js";

/** Something that releases a resource when disposed. Disposing twice is harmless. */
export interface Disposable {
  dispose(): void;
}

/** Something that releases a resource asynchronously. */
export interface AsyncDisposableLike {
  dispose(): void | Promise<void>;
}

/** Wrap a function as a {@link Disposable} that runs it at most once. */
export function toDisposable(fn: () => void): Disposable {
  let done = false;
  return {
    dispose() {
      if (done) return;
      done = true;
      fn();
    },
  };
}

/**
 * Owns disposables and disposes them once, last added first. Errors do not stop the sequence:
 * they are collected and thrown together at the end.
 */
export class DisposableStore implements Disposable {
  private readonly items: Disposable[] = [];
  private disposed = false;
  private readonly untrack: () => void;

  constructor(label = "DisposableStore") {
    this.untrack = leakTracker.track("disposable-store", label);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Take ownership of `d`. Adding to a disposed store disposes `d` at once (nothing leaks). */
  add<T extends Disposable>(d: T): T {
    if (this.disposed) {
      d.dispose();
      return d;
    }
    this.items.push(d);
    return d;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.untrack();
    const errors: unknown[] = [];
    while (this.items.length > 0) {
      const d = this.items.pop();
      try {
        d?.dispose();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw new DcdAggregateError(errors, "dispose failed");
  }
}
