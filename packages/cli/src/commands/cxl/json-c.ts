/**
 * ndctl's JSON output: json-c objects printed with `JSON_C_TO_STRING_PRETTY` (two-space indent,
 * `"key":value` without a space, `[\n]` for an empty array, `/` escaped as `\/`), numbers through
 * ndctl's serializers (`util_json_object_hex`, `util_json_object_size`), and
 * `util_display_json_array` (a single entry unwrapped under `-u`). Key order is insertion order,
 * as json-c keeps it; `JObject` keeps it as an explicit list so numeric-looking keys stay put.
 */

/** A json-c value. Integers are bigint so 64-bit values (serials, `0xffff…` resources) survive. */
export type JValue = string | bigint | number | boolean | JObject | JArray | JRaw;
export type JArray = JValue[];

/** A value whose text was already formatted by a custom serializer (`display_hex`, `display_size`). */
export class JRaw {
  constructor(readonly text: string) {}
}

/** An ordered json-c object. */
export class JObject {
  readonly entries: [string, JValue][] = [];
  add(key: string, value: JValue | undefined): this {
    if (value === undefined) return this;
    const at = this.entries.findIndex(([k]) => k === key);
    // json_object_object_add replaces in place.
    if (at >= 0) (this.entries[at] as [string, JValue])[1] = value;
    else this.entries.push([key, value]);
    return this;
  }
  get(key: string): JValue | undefined {
    return this.entries.find(([k]) => k === key)?.[1];
  }
  /** Plain JS view, for tests and callers that inspect the result. */
  toPlain(): Record<string, unknown> {
    return Object.fromEntries(this.entries.map(([k, v]) => [k, plain(v)]));
  }
}

export function plain(v: JValue): unknown {
  if (v instanceof JObject) return v.toPlain();
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof JRaw) return JSON.parse(v.text) as unknown;
  if (typeof v === "bigint") return Number(v);
  return v;
}

export interface JsonFlags {
  readonly human: boolean;
}

/** `util_json_object_hex`: `"%#llx"` (zero prints `"0"`) under `-u`, else the integer. */
export function jHex(value: bigint | number, flags: JsonFlags): JValue {
  const v = BigInt(value);
  if (!flags.human) return v;
  return new JRaw(v === 0n ? '"0"' : `"0x${v.toString(16)}"`);
}

/** `util_json_object_size`: ndctl's `display_size` under `-u`, else the integer. */
export function jSize(value: bigint | number, flags: JsonFlags): JValue {
  const v = BigInt(value);
  if (!flags.human) return v;
  return new JRaw(displaySize(v));
}

/** ndctl util/json.c `display_size` (adapted from mdadm's human_size_brief), C integer arithmetic. */
export function displaySize(bytes: bigint): string {
  if (bytes < 5000n * 1024n) return bytes.toString();
  const two = (n: bigint): string => `${n / 100n}.${(n % 100n).toString().padStart(2, "0")}`;
  let iec: string;
  let jedec: string;
  if (bytes < 2n * 1024n ** 3n) {
    iec = `${two((bytes * 200n / (1n << 20n) + 1n) / 2n)} MiB`;
    jedec = `${two((bytes / (1000000n / 200n) + 1n) / 2n)} MB`;
  } else if (bytes < 2n * 1024n ** 4n) {
    iec = `${two((bytes * 200n / (1n << 30n) + 1n) / 2n)} GiB`;
    jedec = `${two((bytes / (1000000000n / 200n) + 1n) / 2n)} GB`;
  } else {
    iec = `${two((bytes * 200n / (1n << 40n) + 1n) / 2n)} TiB`;
    jedec = `${two((bytes / (1000000000000n / 200n) + 1n) / 2n)} TB`;
  }
  return `"${iec} (${jedec})"`;
}

/** True when json-c would escape a character of `s` (a control character, `"`, a backslash or `/`). */
function needsEscape(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0x2f) return true;
  }
  return false;
}

/** json-c `json_escape_str` (without `JSON_C_TO_STRING_NOSLASHESCAPE`). */
function escape(s: string): string {
  // Names, uuids and hex numbers never need escaping; skip the per-character walk for them.
  if (!needsEscape(s)) return s;
  let out = "";
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case "\b": out += "\\b"; break;
      case "\n": out += "\\n"; break;
      case "\r": out += "\\r"; break;
      case "\t": out += "\\t"; break;
      case "\f": out += "\\f"; break;
      case '"': out += '\\"'; break;
      case "\\": out += "\\\\"; break;
      case "/": out += "\\/"; break;
      default:
        out += c < 0x20 ? `\\u00${c.toString(16).padStart(2, "0")}` : ch;
    }
  }
  return out;
}

const indents: string[] = [""];
const indent = (level: number): string => (indents[level] ??= "  ".repeat(level));

/**
 * The json-c text of `v` at nesting `level`, built by appending to one string (V8 keeps it as a
 * rope until the end): a listing of 10,000 extents is ~100,000 pieces, and nested
 * `map().join()` copied each level's text again.
 */
function print(v: JValue, level: number): string {
  if (v instanceof JRaw) return v.text;
  if (typeof v === "string") return `"${escape(v)}"`;
  if (typeof v === "bigint" || typeof v === "number") return String(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  const close = `\n${indent(level)}`;
  const open = `\n${indent(level + 1)}`;
  let out = "";
  if (Array.isArray(v)) {
    if (v.length === 0) return `[${close}]`;
    for (let i = 0; i < v.length; i++) out += `${i === 0 ? "[" : ","}${open}${print(v[i] as JValue, level + 1)}`;
    return `${out}${close}]`;
  }
  if (v.entries.length === 0) return `{${close}}`;
  for (let i = 0; i < v.entries.length; i++) {
    const [k, e] = v.entries[i] as [string, JValue];
    out += `${i === 0 ? "{" : ","}${open}"${escape(k)}":${print(e, level + 1)}`;
  }
  return `${out}${close}}`;
}

/** `json_object_to_json_string_ext(v, JSON_C_TO_STRING_PRETTY)`. */
export function toJsonString(v: JValue): string {
  return print(v, 0);
}

/** `util_display_json_array`: what ndctl prints for a listing (stdout text, stderr text). */
export function displayJsonArray(arr: JArray, flags: JsonFlags): { out: string; err: string } {
  const only = arr[0];
  if (arr.length > 1 || !flags.human) {
    return { out: toJsonString(arr) + "\n", err: arr.length === 0 ? "  Warning: no matching devices found\n\n" : "" };
  }
  if (only !== undefined) return { out: toJsonString(only) + "\n", err: "" };
  return { out: "", err: "" };
}
