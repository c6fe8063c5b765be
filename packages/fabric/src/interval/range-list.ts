/**
 * A list of DPA ranges as one flat array of doubles `[dpa0, len0, dpa1, len1, ...]`. The binary
 * mailbox decodes 4802h/4803h payloads straight into it and the checks and commits walk it, so a
 * 1024-entry response costs one array instead of 1024 objects (and their boxed DPAs). A plain
 * array (V8 keeps its doubles unboxed) rather than a `Float64Array`: most lists are the single
 * entry of a Release DC, and a typed array costs far more to create than it saves. Typed callers'
 * `DpaRange[]` lists are copied in with `RangeList.from`. Any number is kept exactly (huge decoded
 * u64 values, negative or fractional typed input), so every check sees the same values it would
 * have read from the objects.
 */
import type { DpaRange } from "@dcd/core";

export class RangeList {
  private constructor(
    readonly length: number,
    private readonly v: number[],
  ) {}

  /** A list of `n` zero ranges to fill with `set`. */
  static ofLength(n: number): RangeList {
    // Exact-size arrays of doubles (-0 is not a small integer): the single entry of a Release DC
    // is a two-element literal, longer lists are filled once.
    if (n === 1) return new RangeList(1, [-0, -0]);
    return new RangeList(n, new Array<number>(2 * n).fill(-0));
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
