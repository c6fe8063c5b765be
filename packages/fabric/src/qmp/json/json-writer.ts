/**
 * QEMU's compact JSON writer (`qobject/json-writer.c`, non-pretty): `", "` between members,
 * `": "` after keys, every code point outside printable ASCII escaped as `\uXXXX` (upper-case hex,
 * surrogate pairs beyond the BMP), doubles printed with `%.17g`, dict members in QDict order.
 */
import type { QObject } from "./qobject.js";

/** Serialize a QObject exactly as QEMU's `qobject_to_json()` does. */
export function qobjectToJson(q: QObject): string {
  switch (q.type) {
    case "null":
      return "null";
    case "bool":
      return q.value ? "true" : "false";
    case "num":
      return q.kind === "double" ? formatDouble17g(q.value) : q.value.toString();
    case "string":
      return quoteString(q.value);
    case "list":
      return `[${q.items.map(qobjectToJson).join(", ")}]`;
    case "dict":
      return `{${q
        .entries()
        .map(([k, v]) => `${quoteString(k)}: ${qobjectToJson(v)}`)
        .join(", ")}}`;
  }
}

const SIMPLE: Record<number, string> = { 0x22: '\\"', 0x5c: "\\\\", 0x08: "\\b", 0x0c: "\\f", 0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t" };

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, "0");
}

/** `quoted_str()`. Lone surrogates cannot come from QEMU's parser; they are written as U+FFFD. */
export function quoteString(s: string): string {
  let out = '"';
  for (const ch of s) {
    let cp = ch.codePointAt(0) ?? 0xfffd;
    const simple = SIMPLE[cp];
    if (simple !== undefined) {
      out += simple;
      continue;
    }
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    if (cp > 0xffff) out += `\\u${hex4(0xd800 + ((cp - 0x10000) >> 10))}\\u${hex4(0xdc00 + ((cp - 0x10000) & 0x3ff))}`;
    else if (cp < 0x20 || cp >= 0x7f) out += `\\u${hex4(cp)}`;
    else out += ch;
  }
  return `${out}"`;
}

/** C's `printf("%.17g", x)`, including glibc's `inf`, `-inf`, `nan` and `-0`. */
export function formatDouble17g(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const sign = x < 0 ? "-" : "";
  const [mant = "0", expText = "0"] = Math.abs(x).toExponential(16).split("e");
  const exp = Number(expText);
  const digits = mant.replace(".", "");
  if (exp < -4 || exp >= 17) {
    const frac = digits.slice(1).replace(/0+$/, "");
    const e = Math.abs(exp).toString().padStart(2, "0");
    return `${sign}${digits[0] ?? "0"}${frac ? `.${frac}` : ""}e${exp < 0 ? "-" : "+"}${e}`;
  }
  let intPart: string;
  let frac: string;
  if (exp >= 0) {
    intPart = digits.slice(0, exp + 1);
    frac = digits.slice(exp + 1);
  } else {
    intPart = "0";
    frac = "0".repeat(-exp - 1) + digits;
  }
  frac = frac.replace(/0+$/, "");
  return `${sign}${intPart}${frac ? `.${frac}` : ""}`;
}
