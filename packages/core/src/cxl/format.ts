/**
 * The kernel's printf formats as CXL sysfs attributes use them, and the parsers their stores use.
 * They differ from dcd's general helpers in `sysfs/attributes.ts` where C differs: `%#llx` prints
 * zero as `0` (not `0x0`), `%pa` is zero-padded to 16 digits, and `kstrtoint` takes a sign.
 */
import { errno } from "../errors.js";
import { parseU64 } from "../sysfs/attributes.js";

/** `~0ULL` / `RESOURCE_SIZE_MAX` as `%#llx` prints it (a decoder or region without a resource). */
export const LLX_ALL_ONES = "0xffffffffffffffff";

/** `sysfs_emit("%#llx")`: `0` for zero, else lowercase hex with `0x`. */
export function fmtLlx(n: number | bigint): string {
  return n === 0 || n === 0n ? "0" : `0x${n.toString(16)}`;
}

/** `%pa` (a `phys_addr_t` / `resource_size_t`): `0x` and 16 zero-padded hex digits. */
export function fmtPa(n: number): string {
  return `0x${n.toString(16).padStart(16, "0")}`;
}

/** `%#llx` of a value that may be "none" (`-1ULL`). */
export function fmtLlxOrAllOnes(n: number | undefined): string {
  return n === undefined ? LLX_ALL_ONES : fmtLlx(n);
}

/**
 * `kstrtoint(s, 0, &v)`: an optional sign, then `kstrtoull`'s digits (base auto-detected). EINVAL
 * for anything else, ERANGE outside a C `int`.
 */
export function parseKstrtoint(value: string, what: string): number {
  const negative = value.startsWith("-");
  const digits = value.startsWith("-") || value.startsWith("+") ? value.slice(1) : value;
  const n = parseU64(digits, what);
  const signed = negative ? -n : n;
  if (signed > 0x7fffffff || signed < -0x80000000) throw errno("ERANGE", `${what}: '${value}' is out of range for an int`, { detail: { value } });
  return signed;
}

/** `kstrtou64(s, 0, &v)` (the same grammar as `kstrtoull`). */
export function parseKstrtou64(value: string, what: string): number {
  return parseU64(value, what);
}

export const SZ_256M = 0x1000_0000;
export const SZ_2M = 0x20_0000;

export function isAligned(n: number, align: number): boolean {
  return n % align === 0;
}

export function isPowerOf2(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

/** `ALIGN(n, align)` for a power-of-2 `align` (exact for JS safe integers). */
export function alignUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

/** A hex address for log messages (`%#llx`, or `%llx` style without `0x` where the kernel omits it). */
export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
