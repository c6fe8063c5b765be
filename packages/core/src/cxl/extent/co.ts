/**
 * Coroutines that stay synchronous until something is really asynchronous.
 *
 * The extent pipeline calls region-driver policies that may answer synchronously or with a
 * promise. Written as generators that `yield* wait(x)` on such answers, a pipeline step runs to
 * completion inside the device's interrupt when every answer is synchronous (the FM operation
 * returns with the host's work done, and no microtask is spent per chain), and turns into a promise
 * at the first real promise.
 */

/** A pipeline step: yields values that may be promises, returns `T`. */
export type Co<T> = Generator<unknown, T, unknown>;

/**
 * `await` inside a {@link Co}: resumes with `v`'s value. A value that is not a promise is
 * returned without yielding: a yield travels up and back down every `yield*` of the step.
 */
export function* wait<T>(v: T | PromiseLike<T>): Co<T> {
  if (!isThenable(v)) return v;
  return (yield v) as T;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function";
}

/**
 * Run `co`: its result when it never met a promise (errors thrown synchronously), else a promise
 * of it.
 */
export function run<T>(co: Co<T>): T | Promise<T> {
  let r = co.next();
  for (;;) {
    if (r.done === true) return r.value;
    if (isThenable(r.value)) return finish(co, r.value);
    r = co.next(r.value);
  }
}

/** Run `co` and always get a promise. */
export function runAsync<T>(co: Co<T>): Promise<T> {
  try {
    const r = run(co);
    return r instanceof Promise ? r : Promise.resolve(r);
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

async function finish<T>(co: Co<T>, first: PromiseLike<unknown>): Promise<T> {
  let pending = guard(first);
  for (;;) {
    let r: IteratorResult<unknown, T>;
    try {
      r = co.next(await pending);
    } catch (err) {
      // Either the awaited promise rejected (rethrow into the coroutine) or the coroutine threw.
      if (!(err instanceof CoRejection)) throw err;
      r = co.throw(err.reason);
    }
    while (r.done !== true && !isThenable(r.value)) r = co.next(r.value);
    if (r.done === true) return r.value;
    pending = guard(r.value as PromiseLike<unknown>);
  }
}

/** Marks a rejection of an awaited value, so it is thrown into the coroutine, not out of it. */
class CoRejection extends Error {
  constructor(readonly reason: unknown) {
    super("rejected");
  }
}

function guard(p: PromiseLike<unknown>): Promise<unknown> {
  return Promise.resolve(p).catch((reason: unknown) => {
    throw new CoRejection(reason);
  });
}
