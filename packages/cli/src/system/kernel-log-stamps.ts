/**
 * Timestamps for a host's kernel log. `KernelLog` entries carry no time, so a System stamps each
 * line with the simulated clock as it is printed (what printk's `ts_nsec` is); `dcd dmesg` reads
 * them back. Lines printed before the System subscribed (while `createHost` loaded the CXL core)
 * get the time of the subscription: no earlier than they were printed, and still in order.
 */
import { type Disposable, errno, type Host, KERNEL_LOG, type KernelLog, type KernelLogEntry } from "@dcd/core";

/** One kernel log line and when it was printed (simulated milliseconds since boot). */
export interface KernelLogRecord extends KernelLogEntry {
  readonly atMs: number;
}

interface Stamps {
  /** Entries already in the log when stamping began, and the time it began. */
  readonly before: number;
  readonly beforeAtMs: number;
  /** Times of the entries after those, in order. */
  readonly atMs: number[];
}

const stamps = new WeakMap<KernelLog, Stamps>();

function kernelLogOf(host: Host): KernelLog | undefined {
  return host.container.isRegistered(KERNEL_LOG, true) ? host.container.resolve(KERNEL_LOG) : undefined;
}

/** Start stamping `host`'s kernel log; a no-op for a host without one. Dispose to stop. */
export function stampKernelLog(host: Host): Disposable {
  const log = kernelLogOf(host);
  if (log === undefined || stamps.has(log)) return { dispose: () => undefined };
  const s: Stamps = { before: log.entries().length, beforeAtMs: host.clock.now(), atMs: [] };
  stamps.set(log, s);
  // lines$ never errors (KernelLog only completes it); the handler is there for the rule's sake.
  const sub = log.lines$.subscribe({
    next: () => {
      s.atMs.push(host.clock.now());
    },
    error: () => undefined,
  });
  return {
    dispose: () => {
      sub.unsubscribe();
    },
  };
}

/**
 * Every line of `host`'s kernel log, oldest first, with its time. A log nobody stamped reads as
 * printed at 0. ENODEV when the host has no kernel log (no CXL core loaded).
 */
export function kernelLogRecords(host: Host): KernelLogRecord[] {
  const log = kernelLogOf(host);
  if (log === undefined) throw errno("ENODEV", `host ${host.name} has no kernel log (the CXL core is not loaded)`);
  const s = stamps.get(log);
  return log.entries().map((e, i) => {
    const atMs = s === undefined ? 0 : i < s.before ? s.beforeAtMs : (s.atMs[i - s.before] ?? host.clock.now());
    return { ...e, atMs };
  });
}
