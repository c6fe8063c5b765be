/**
 * QEMU's JSON value model (`qobject/`): QNull, QBool, QNum, QString, QList and QDict.
 *
 * dcd keeps QEMU's model rather than plain JS values for two reasons that show on the wire:
 * - QNum remembers whether a number was parsed as int64, uint64 or double, and the QAPI input
 *   visitor accepts or rejects it on that basis (`1.0` is not a uint64 for QEMU).
 * - QDict iterates in QEMU's hash-table order (`tdb_hash(key) % 512`, newest first inside a
 *   bucket), which decides both the key order QEMU writes (`{"timestamp": ..., "event": ...}`)
 *   and which offending member `qmp_dispatch_check_obj` reports first.
 */

/** JSON `null`. */
export interface QNull {
  readonly type: "null";
}

/** JSON `true` / `false`. */
export interface QBool {
  readonly type: "bool";
  readonly value: boolean;
}

/** A number as QEMU's parser classified it: int64 if it fits, else uint64, else double. */
export type QNum =
  | { readonly type: "num"; readonly kind: "i64"; readonly value: bigint }
  | { readonly type: "num"; readonly kind: "u64"; readonly value: bigint }
  | { readonly type: "num"; readonly kind: "double"; readonly value: number };

/** A string (already decoded from modified UTF-8). */
export interface QString {
  readonly type: "string";
  readonly value: string;
}

/** A JSON array. */
export interface QList {
  readonly type: "list";
  readonly items: readonly QObject[];
}

/** Any QEMU JSON value. */
export type QObject = QNull | QBool | QNum | QString | QList | QDict;

/** QEMU's `QDICT_BUCKET_MAX`. */
const QDICT_BUCKET_MAX = 512;

/**
 * `tdb_hash()` from `qobject/qdict.c` (gdbm's hash via tdb), in 32-bit unsigned arithmetic.
 * QEMU hashes the key's bytes; keys here are ASCII member names, so UTF-16 units equal bytes.
 */
export function tdbHash(name: string): number {
  const bytes = Buffer.from(name, "utf8");
  let value = Math.imul(0x238f13af, bytes.length) >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    value = (value + ((bytes[i] ?? 0) << ((i * 5) % 24))) >>> 0;
  }
  return (Math.imul(1103515243, value) + 12345) >>> 0;
}

/** The bucket QEMU stores `key` in. */
export function qdictBucket(key: string): number {
  return tdbHash(key) % QDICT_BUCKET_MAX;
}

/**
 * A QEMU `QDict`: a map whose iteration order is QEMU's (bucket ascending; inside a bucket the
 * most recently inserted key first, since `qdict_put_obj` does `QLIST_INSERT_HEAD`). Replacing a
 * value keeps the entry where it is, as QEMU does.
 */
export class QDict {
  readonly type = "dict" as const;
  private readonly values = new Map<string, { value: QObject; seq: number; bucket: number }>();
  private seq = 0;

  /** Build a dict inserting `entries` in the given order. */
  static of(entries: Iterable<readonly [string, QObject]>): QDict {
    const d = new QDict();
    for (const [k, v] of entries) d.put(k, v);
    return d;
  }

  get size(): number {
    return this.values.size;
  }

  has(key: string): boolean {
    return this.values.has(key);
  }

  get(key: string): QObject | undefined {
    return this.values.get(key)?.value;
  }

  /** `qdict_put_obj`: insert at the head of the key's bucket, or replace the value in place. */
  put(key: string, value: QObject): this {
    const old = this.values.get(key);
    if (old) old.value = value;
    else this.values.set(key, { value, seq: this.seq++, bucket: qdictBucket(key) });
    return this;
  }

  /** `qdict_del`. */
  delete(key: string): boolean {
    return this.values.delete(key);
  }

  /** Keys in QEMU's iteration order (`qdict_first` / `qdict_next`). */
  keys(): string[] {
    return [...this.values.entries()]
      .sort(([, a], [, b]) => a.bucket - b.bucket || b.seq - a.seq)
      .map(([k]) => k);
  }

  /** Entries in QEMU's iteration order. */
  entries(): [string, QObject][] {
    return this.keys().map((k) => [k, this.values.get(k)?.value ?? Q_NULL]);
  }
}

/** The one `null`. */
export const Q_NULL: QNull = Object.freeze({ type: "null" });

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

/** `qnum_from_int` / `qnum_from_uint` for a bigint, as QEMU's parser would classify it. */
export function qnumFromBigInt(value: bigint): QNum {
  if (value >= INT64_MIN && value <= INT64_MAX) return { type: "num", kind: "i64", value };
  if (value > INT64_MAX && value <= UINT64_MAX) return { type: "num", kind: "u64", value };
  return { type: "num", kind: "double", value: Number(value) };
}

/** `qnum_get_try_int`: the value as int64, or undefined (doubles never convert). */
export function qnumTryInt(n: QNum): bigint | undefined {
  if (n.kind === "i64") return n.value;
  if (n.kind === "u64" && n.value <= INT64_MAX) return n.value;
  return undefined;
}

/** `qnum_get_try_uint`: the value as uint64, or undefined (doubles never convert). */
export function qnumTryUint(n: QNum): bigint | undefined {
  if (n.kind === "u64") return n.value;
  if (n.kind === "i64" && n.value >= 0n) return n.value;
  return undefined;
}

/** A JS value that {@link toQObject} can convert (a {@link QDict} passes through as is). */
export type JsonLike =
  | null
  | boolean
  | number
  | bigint
  | string
  | QDict
  | readonly JsonLike[]
  | { readonly [key: string]: JsonLike | undefined };

/**
 * Convert a JS value to a QObject, inserting object members in their JS order (QEMU's output
 * visitor inserts struct members in schema order, so handlers list members in schema order).
 * Integral numbers become int64, bigints int64/uint64, other numbers doubles; `undefined`
 * members are left out (an absent optional member).
 */
export function toQObject(v: JsonLike): QObject {
  if (v === null) return Q_NULL;
  switch (typeof v) {
    case "boolean":
      return { type: "bool", value: v };
    case "bigint":
      return qnumFromBigInt(v);
    case "number":
      return Number.isSafeInteger(v) ? { type: "num", kind: "i64", value: BigInt(v) } : { type: "num", kind: "double", value: v };
    case "string":
      return { type: "string", value: v };
    default:
      break;
  }
  if (v instanceof QDict) return v;
  if (Array.isArray(v)) return { type: "list", items: (v as readonly JsonLike[]).map(toQObject) };
  const d = new QDict();
  for (const [k, item] of Object.entries(v as Record<string, JsonLike | undefined>)) {
    if (item !== undefined) d.put(k, toQObject(item));
  }
  return d;
}

/**
 * Convert a QObject to plain JS for tests and logs: dicts become objects (in QEMU order),
 * int64/uint64 numbers become `number` when safe and `bigint` otherwise.
 */
export function fromQObject(q: QObject): unknown {
  switch (q.type) {
    case "null":
      return null;
    case "bool":
    case "string":
      return q.value;
    case "num":
      if (q.kind === "double") return q.value;
      return q.value >= BigInt(Number.MIN_SAFE_INTEGER) && q.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(q.value) : q.value;
    case "list":
      return q.items.map(fromQObject);
    case "dict":
      return Object.fromEntries(q.entries().map(([k, v]) => [k, fromQObject(v)]));
  }
}
