/**
 * The host's kernel log (`dmesg`): what `dev_err`/`dev_warn`/`dev_info`/`dev_dbg` print, in order.
 * Rules whose only visible outcome is a log line (R3-R7 "DCD disabled", the extent gates' drops)
 * are tested by reading it. One log per host, registered in the host container by `cxlCore`
 * under {@link KERNEL_LOG}; anything that prints resolves it from there. Each line carries the
 * time it was printed (printk's `ts_nsec`), read from the host's clock (`CLOCK`).
 */
import { type Observable, Subject } from "rxjs";
import { type InjectionToken } from "tsyringe";
import { type Device } from "../driver-model/device.js";
import { type Clock } from "../time/clock.js";

/** `KERN_ERR`, `KERN_WARNING`, `KERN_INFO`, `KERN_DEBUG`. */
export type KernelLogLevel = "err" | "warn" | "info" | "debug";

export interface KernelLogEntry {
  readonly level: KernelLogLevel;
  /** `dev_name()` of the device printed for, or "" for `pr_*` lines. */
  readonly device: string;
  /** The message without its trailing newline. */
  readonly message: string;
  /**
   * When it was printed: the log's clock in milliseconds. Undefined for a log built without a
   * clock, as printk has no time before a clock source exists (dmesg shows those as 0).
   */
  readonly atMs?: number;
}

export class KernelLog {
  private readonly lines: KernelLogEntry[] = [];
  private readonly subject = new Subject<KernelLogEntry>();
  /** Every line as it is printed. Completes on {@link dispose}. */
  readonly lines$: Observable<KernelLogEntry> = this.subject.asObservable();

  /** `clock`: the host's (`CLOCK`), which stamps every line. */
  constructor(private readonly clock?: Clock) {}

  /** `dev_printk`. `dev` may be a device or a bare name. */
  print(level: KernelLogLevel, dev: Device | string | undefined, message: string): void {
    const device = typeof dev === "string" ? dev : (dev?.name ?? "");
    const entry: KernelLogEntry = this.clock === undefined ? { level, device, message } : { level, device, message, atMs: this.clock.now() };
    this.lines.push(entry);
    this.subject.next(entry);
  }

  err(dev: Device | string | undefined, message: string): void {
    this.print("err", dev, message);
  }

  warn(dev: Device | string | undefined, message: string): void {
    this.print("warn", dev, message);
  }

  info(dev: Device | string | undefined, message: string): void {
    this.print("info", dev, message);
  }

  debug(dev: Device | string | undefined, message: string): void {
    this.print("debug", dev, message);
  }

  /** Every line so far, oldest first. */
  entries(): readonly KernelLogEntry[] {
    return this.lines;
  }

  /** `dmesg` text: one `device: message` line per entry (debug lines only with `withDebug`). */
  text(withDebug = false): string {
    return this.lines
      .filter((l) => withDebug || l.level !== "debug")
      .map((l) => (l.device === "" ? l.message : `${l.device}: ${l.message}`))
      .join("\n");
  }

  /** True when some line's message contains `fragment` (any level). */
  has(fragment: string, level?: KernelLogLevel): boolean {
    return this.lines.some((l) => l.message.includes(fragment) && (level === undefined || l.level === level));
  }

  dispose(): void {
    this.subject.complete();
  }
}

/** The host's kernel log. */
export const KERNEL_LOG: InjectionToken<KernelLog> = Symbol("KernelLog");
