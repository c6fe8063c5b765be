/**
 * Typed attributes: the parsers and formatters sysfs show/store functions use in the kernel
 * (`kstrtoull`, `kstrtobool`, `sysfs_streq`, `sysfs_emit("%#llx")`), so that every dcd attribute
 * accepts and refuses exactly what its kernel counterpart does.
 */
import { errno } from "../errors.js";
import { type AttributeSpec } from "./sysfs-tree.js";

/**
 * `kstrtoull(s, 0, &v)`: base auto-detected ("0x" hex, leading "0" octal, else decimal), no sign,
 * no spaces (one trailing newline is already gone). Values above 2^53 are refused with ERANGE
 * because dcd keeps addresses and sizes as JavaScript numbers.
 */
export function parseU64(value: string, what = "value"): number {
  let digits = value;
  let base = 10;
  if (/^0[xX]/.test(value)) {
    digits = value.slice(2);
    base = 16;
  } else if (value.length > 1 && value.startsWith("0")) {
    digits = value.slice(1);
    base = 8;
  }
  const valid = base === 16 ? /^[0-9a-fA-F]+$/ : base === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!valid.test(digits)) throw errno("EINVAL", `${what}: '${value}' is not a number`, { detail: { value } });
  const n = base === 10 ? Number(digits) : Number.parseInt(digits, base);
  if (!Number.isSafeInteger(n)) throw errno("ERANGE", `${what}: '${value}' is out of range`, { detail: { value } });
  return n;
}

/** `kstrtobool`: 1/y/Y/on and 0/n/N/off (the kernel reads only the first characters it needs). */
export function parseBool(value: string, what = "value"): boolean {
  const v = value.toLowerCase();
  if (v === "1" || v.startsWith("y") || v === "on") return true;
  if (v === "0" || v.startsWith("n") || v === "off") return false;
  throw errno("EINVAL", `${what}: '${value}' is not a boolean`, { detail: { value } });
}

/** `sysfs_streq`: equal once a single trailing newline is ignored on either side. */
export function sysfsStreq(a: string, b: string): boolean {
  const strip = (s: string) => (s.endsWith("\n") ? s.slice(0, -1) : s);
  return strip(a) === strip(b);
}

/** `sysfs_emit("%#llx")`: lowercase hex with a 0x prefix (0 prints as "0x0"). */
export function formatHex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** A read-only attribute. */
export function roAttribute(show: () => string | number): AttributeSpec {
  return { show: () => String(show()) };
}

/** A write-only attribute. */
export function woAttribute(store: (value: string) => void): AttributeSpec {
  return { store };
}

/** A read-write attribute. */
export function rwAttribute(show: () => string | number, store: (value: string) => void): AttributeSpec {
  return { show: () => String(show()), store };
}

/** A read-write unsigned number attribute: store parses with {@link parseU64} before `set`. */
export function u64Attribute(name: string, get: () => number, set: (n: number) => void, format: (n: number) => string = String): AttributeSpec {
  return { show: () => format(get()), store: (v) => { set(parseU64(v, name)); } };
}

/** A read-write attribute that accepts one of `choices` (EINVAL otherwise, naming the choices). */
export function enumAttribute<T extends string>(name: string, choices: readonly T[], get: () => T, set: (v: T) => void): AttributeSpec {
  return {
    show: get,
    store: (v) => {
      const choice = choices.find((c) => c === v);
      if (choice === undefined) throw errno("EINVAL", `${name}: '${v}' is not one of ${choices.join(", ")}`, { detail: { value: v } });
      set(choice);
    },
  };
}
