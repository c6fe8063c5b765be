/**
 * @internal A sorted list (a multiset by key) in chunks of a few hundred items: inserting or
 * removing anywhere moves at most one chunk, so a list of ten thousand blocks or resources costs the
 * same per change as a list of a hundred (one flat array would move every item after the change,
 * and hot-unplug removes from the front).
 */
export class SortedList<T> {
  private readonly chunks: T[][] = [];
  private count = 0;

  constructor(
    private readonly key: (item: T) => number,
    private readonly chunkSize = 256,
  ) {}

  get size(): number {
    return this.count;
  }

  /** The item with the smallest key. */
  first(): T | undefined {
    return this.chunks[0]?.[0];
  }

  /** The item with the largest key. */
  last(): T | undefined {
    const chunk = this.chunks[this.chunks.length - 1];
    return chunk?.[chunk.length - 1];
  }

  /** The first item for which `pred` holds; `pred` must be false, then true, along the list. */
  find(pred: (item: T) => boolean): T | undefined {
    const [c, i] = this.locate(pred);
    return this.chunks[c]?.[i];
  }

  /** The items from the first for which `pred` holds (as in {@link find}) to the end. Do not change the list meanwhile. */
  *from(pred: (item: T) => boolean): Generator<T> {
    const [c, i] = this.locate(pred);
    for (let ci = c, start = i; ci < this.chunks.length; ci++, start = 0) {
      const chunk = this.chunks[ci] as T[];
      for (let k = start; k < chunk.length; k++) yield chunk[k] as T;
    }
  }

  /** Every item by key. Do not change the list meanwhile. */
  *values(): Generator<T> {
    for (const chunk of this.chunks) yield* chunk;
  }

  /** Insert after the items with the same key. */
  insert(item: T): void {
    const k = this.key(item);
    let [c, i] = this.locate((t) => this.key(t) > k);
    if (this.chunks.length === 0) {
      this.chunks.push([item]);
      this.count++;
      return;
    }
    if (c === this.chunks.length) {
      c--;
      i = (this.chunks[c] as T[]).length;
    }
    const chunk = this.chunks[c] as T[];
    chunk.splice(i, 0, item);
    this.count++;
    if (chunk.length > 2 * this.chunkSize) this.chunks.splice(c + 1, 0, chunk.splice(this.chunkSize));
  }

  /** Remove `item` (the same value or object); false when absent. */
  remove(item: T): boolean {
    const k = this.key(item);
    let [c, i] = this.locate((t) => this.key(t) >= k);
    while (c < this.chunks.length) {
      const chunk = this.chunks[c] as T[];
      for (; i < chunk.length; i++) {
        const t = chunk[i] as T;
        if (this.key(t) !== k) return false;
        if (t !== item) continue;
        chunk.splice(i, 1);
        this.count--;
        if (chunk.length === 0) this.dropChunk(c);
        return true;
      }
      c++;
      i = 0;
    }
    return false;
  }

  /**
   * Forget the emptied chunk `c`. The first chunk (hot-unplug removes from the front) leaves with
   * `shift`, which V8 does by left-trimming instead of moving every other chunk as `splice(0, 1)` does.
   */
  private dropChunk(c: number): void {
    if (c === 0) this.chunks.shift();
    else this.chunks.splice(c, 1);
  }

  /** Where the first item for which `pred` holds is: [chunk, index], or [chunks.length, 0]. */
  private locate(pred: (item: T) => boolean): [number, number] {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = this.chunks[mid] as T[];
      if (pred(chunk[chunk.length - 1] as T)) hi = mid;
      else lo = mid + 1;
    }
    const chunk = this.chunks[lo];
    if (chunk === undefined) return [lo, 0];
    let a = 0;
    let b = chunk.length - 1;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (pred(chunk[mid] as T)) b = mid;
      else a = mid + 1;
    }
    return [lo, a];
  }
}
