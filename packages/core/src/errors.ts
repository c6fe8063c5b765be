/**
 * One coded error family for every dcd package.
 *
 * The kernel reports failures as negative errno values; dcd keeps the errno *name* as `code`
 * so that a test, a CLI or a sysfs writer can branch on it (`err.code === "EBUSY"`) and wrap the
 * original failure in `cause`, as tRPC and the ES2022 error-cause proposal do.
 */

/** errno names used across dcd, with the message `strerror(3)` gives for each. */
export const ERRNO = {
  EPERM: "Operation not permitted",
  ENOENT: "No such file or directory",
  EINTR: "Interrupted system call",
  EIO: "Input/output error",
  ENXIO: "No such device or address",
  E2BIG: "Argument list too long",
  EAGAIN: "Resource temporarily unavailable",
  ENOMEM: "Cannot allocate memory",
  EACCES: "Permission denied",
  EFAULT: "Bad address",
  EBUSY: "Device or resource busy",
  EEXIST: "File exists",
  ENODEV: "No such device",
  ENOTDIR: "Not a directory",
  EISDIR: "Is a directory",
  EINVAL: "Invalid argument",
  ENOSPC: "No space left on device",
  ERANGE: "Numerical result out of range",
  ENOSYS: "Function not implemented",
  ENOTEMPTY: "Directory not empty",
  ELOOP: "Too many levels of symbolic links",
  ENODATA: "No data available",
  ETIMEDOUT: "Connection timed out",
  EOPNOTSUPP: "Operation not supported",
  EALREADY: "Operation already in progress",
  ECANCELED: "Operation canceled",
  EPROBE_DEFER: "Driver requests probe retry",
  ENOTCONN: "Transport endpoint is not connected",
  ECONNREFUSED: "Connection refused",
  EADDRINUSE: "Address already in use",
  EPROTO: "Protocol error",
} as const;

/** An errno name known to dcd. */
export type ErrnoCode = keyof typeof ERRNO;

/** The text `strerror(3)` prints for an errno name (`write error: Invalid argument`). */
export function strerror(code: ErrnoCode): string {
  return ERRNO[code];
}

/** Options accepted by every {@link DcdError}. */
export interface DcdErrorOptions extends ErrorOptions {
  /** Structured context for logs and tests (path, value, device name ...). */
  readonly detail?: Readonly<Record<string, unknown>>;
}

/**
 * The one error class of dcd. `code` is an errno name; `message` names what was wrong
 * (the path, the value, the device); `cause` carries the failure it wraps.
 */
export class DcdError extends Error {
  readonly code: ErrnoCode;
  readonly detail: Readonly<Record<string, unknown>>;

  constructor(code: ErrnoCode, message: string, options: DcdErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.detail = options.detail ?? {};
  }

  /** `strerror(code)`, for CLIs that print `write error: <strerror>`. */
  get strerror(): string {
    return strerror(this.code);
  }
}

/** True when `err` is a {@link DcdError}, optionally with one of the given codes. */
export function isDcdError(err: unknown, ...codes: ErrnoCode[]): err is DcdError {
  return err instanceof DcdError && (codes.length === 0 || codes.includes(err.code));
}

/**
 * Shorthand constructor: `errno("EINVAL", "size: 'abc' is not a number")`.
 * Returns the error so callers write `throw errno(...)`.
 */
export function errno(code: ErrnoCode, message: string, options?: DcdErrorOptions): DcdError {
  return new DcdError(code, message, options);
}

/**
 * Several failures reported together (teardown never stops halfway; it collects).
 * `code` is the first error's code, or `EIO` when none carries one.
 */
export class DcdAggregateError extends DcdError {
  readonly errors: readonly unknown[];

  constructor(errors: readonly unknown[], message: string) {
    const first = errors.find((e): e is DcdError => e instanceof DcdError);
    super(first?.code ?? "EIO", `${message}: ${errors.map(describe).join("; ")}`, { cause: errors[0] });
    this.errors = errors;
  }
}

/** A one-line description of any thrown value. */
export function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
