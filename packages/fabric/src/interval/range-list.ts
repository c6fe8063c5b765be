/**
 * A list of DPA ranges as one `Float64Array` `[dpa0, len0, dpa1, len1, ...]`. The binary mailbox
 * decodes 4802h/4803h payloads straight into it and the checks and commits walk it, so a
 * 1024-entry response costs one array instead of 1024 objects (and their boxed DPAs). Typed
 * callers' `DpaRange[]` lists are copied in with `RangeList.from`. Any number is kept exactly
 * (huge decoded u64 values, negative or fractional typed input), so every check sees the same
 * values it would have read from the objects.
 */
import type { DpaRange } from "@dcd/core";

export class RangeList {
  private constructor(
    readonly length: number,
    private readonly v: Float64Array,
  ) {}

  /** An empty list of `n` ranges to fill with `set`. */
  static ofLength(n: number): RangeList {
    return new RangeList(n, new Float64Array(2 * n));
  }

  static from(list: readonly DpaRange[]): RangeList {
    const r = RangeList.ofLength(list.length);
    for (let i = 0; i < list.length; i++) {
      const e = list[i] as DpaRange;
      r.set(i, e.dpa, e.len);
    }
    return r;
  }

  dpa(i: number): number {
    return this.v[2 * i] as number;
  }

  len(i: number): number {
    return this.v[2 * i + 1] as number;
  }

  set(i: number, dpa: number, len: number): void {
    this.v[2 * i] = dpa;
    this.v[2 * i + 1] = len;
  }
}
