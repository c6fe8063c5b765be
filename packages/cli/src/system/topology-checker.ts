/**
 * The field checker of topology files: every failure is a `DcdError` EINVAL reading
 * `FILE:LINE: field.path: what is wrong`, the line being the offending node's.
 */
import { errno } from "@dcd/core";
import { isMap, isSeq, type LineCounter, type Node as YamlNode, type YAMLMap } from "yaml";

const UNITS: Record<string, number> = { "": 1, k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tib: 1024 ** 4 };

/** `4096`, `0x1000`, `2MiB`, `1G`. */
export function parseSize(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string") return undefined;
  const m = /^\s*(0x[0-9a-f]+|\d+)\s*([a-z]*)\s*$/i.exec(value);
  if (!m) return undefined;
  const unit = UNITS[(m[2] ?? "").toLowerCase()];
  if (unit === undefined) return undefined;
  const n = Number(m[1]) * unit;
  return Number.isSafeInteger(n) ? n : undefined;
}

export class Checker {
  constructor(
    private readonly file: string,
    private readonly lines: LineCounter,
  ) {}

  fail(node: YamlNode | null | undefined, field: string, message: string): never {
    const offset = node?.range?.[0] ?? 0;
    const line = this.lines.linePos(offset).line;
    throw errno("EINVAL", `${this.file}:${line}: ${field}: ${message}`);
  }

  map(node: unknown, field: string, allowed: readonly string[]): YAMLMap {
    if (!isMap(node)) this.fail(node as YamlNode, field, "expected a mapping");
    for (const pair of node.items) {
      const key = String((pair.key as { value?: unknown } | null)?.value ?? pair.key);
      if (!allowed.includes(key)) this.fail(pair.key as YamlNode, `${field}.${key}`, `unknown field (allowed: ${allowed.join(", ")})`);
    }
    return node;
  }

  node(map: YAMLMap, key: string): YamlNode | undefined {
    return map.get(key, true);
  }

  value(map: YAMLMap, key: string): unknown {
    const n = this.node(map, key);
    return n === undefined ? undefined : (n as { toJSON(): unknown }).toJSON();
  }

  string(map: YAMLMap, key: string, field: string, required: boolean): string | undefined {
    const v = this.value(map, key);
    if (v === undefined || v === null) {
      if (required) this.fail(map, `${field}.${key}`, "required field is missing");
      return undefined;
    }
    if (typeof v !== "string" || v === "") this.fail(this.node(map, key), `${field}.${key}`, `expected a non-empty string, got ${JSON.stringify(v)}`);
    return v;
  }

  int(map: YAMLMap, key: string, field: string, min: number, max: number): number | undefined {
    const v = this.value(map, key);
    if (v === undefined) return undefined;
    const n = typeof v === "string" ? parseSize(v) : v;
    if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) this.fail(this.node(map, key), `${field}.${key}`, `expected an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
    return n;
  }

  size(map: YAMLMap, key: string, field: string, required: boolean): number | undefined {
    const v = this.value(map, key);
    if (v === undefined) {
      if (required) this.fail(map, `${field}.${key}`, "required field is missing");
      return undefined;
    }
    const n = parseSize(v);
    if (n === undefined) this.fail(this.node(map, key), `${field}.${key}`, `expected a size (bytes, 0x..., or with K/M/G/T[iB]), got ${JSON.stringify(v)}`);
    return n;
  }

  bool(map: YAMLMap, key: string, field: string): boolean | undefined {
    const v = this.value(map, key);
    if (v === undefined) return undefined;
    if (typeof v !== "boolean") this.fail(this.node(map, key), `${field}.${key}`, `expected true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  /** A string that must be one of `choices`. */
  oneOf<T extends string>(map: YAMLMap, key: string, field: string, choices: readonly T[]): T | undefined {
    const v = this.string(map, key, field, false);
    if (v === undefined) return undefined;
    if (!(choices as readonly string[]).includes(v)) this.fail(this.node(map, key), `${field}.${key}`, `expected one of ${choices.join(", ")}, got '${v}'`);
    return v as T;
  }

  seq(map: YAMLMap, key: string, field: string, required: boolean): YamlNode[] {
    const n = this.node(map, key);
    if (n === undefined) {
      if (required) this.fail(map, `${field}.${key}`, "required field is missing");
      return [];
    }
    if (!isSeq(n)) this.fail(n, `${field}.${key}`, "expected a list");
    return n.items as YamlNode[];
  }
}
