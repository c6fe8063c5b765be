/**
 * Non-overlapping DPA ranges of one endpoint decoder, ordered by start: the containment, overlap
 * and release lookups of R28.6 and R41 in O(log n), for a million live extents. A sorted list of
 * chunks (at most 256 ranges each): inserts and deletes move at most one chunk.
 */

export interface RangeEntry {
  readonly dpa: number;
  readonly len: number;
}

const MAX_CHUNK = 256;

export class SortedRangeIndex<T extends RangeEntry> {
  private chunks: T[][] = [];
  /** First key of each chunk. */
  private mins: number[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Index of the chunk that holds (or would hold) `dpa`: the last whose first key is ≤ dpa, else 0. */
  private chunkFor(dpa: number): number {
    const mins = this.mins;
    let lo = 0;
    let hi = mins.length - 1;
    let ans = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((mins[mid] as number) <= dpa) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  /** Position of the last entry with start ≤ dpa in `chunk`, or -1. */
  private static floorIn(chunk: readonly RangeEntry[], dpa: number): number {
    let lo = 0;
    let hi = chunk.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((chunk[mid] as RangeEntry).dpa <= dpa) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  /** The entry with the greatest start. */
  last(): T | undefined {
    const chunk = this.chunks[this.chunks.length - 1];
    return chunk === undefined ? undefined : chunk[chunk.length - 1];
  }

  insert(entry: T): void {
    this.count++;
    if (this.chunks.length === 0) {
      this.chunks.push([entry]);
      this.mins.push(entry.dpa);
      return;
    }
    // Devices hand out DPAs upwards, so most inserts append: no search.
    const lastChunk = this.chunks[this.chunks.length - 1] as T[];
    if ((lastChunk[lastChunk.length - 1] as T).dpa < entry.dpa && lastChunk.length < MAX_CHUNK) {
      lastChunk.push(entry);
      return;
    }
    const c = this.chunkFor(entry.dpa);
    const chunk = this.chunks[c] as T[];
    const at = SortedRangeIndex.floorIn(chunk, entry.dpa) + 1;
    if (at === chunk.length) chunk.push(entry);
    else chunk.splice(at, 0, entry);
    if (at === 0) this.mins[c] = entry.dpa;
    if (chunk.length > MAX_CHUNK) {
      const tail = chunk.splice(MAX_CHUNK >>> 1);
      this.chunks.splice(c + 1, 0, tail);
      this.mins.splice(c + 1, 0, (tail[0] as T).dpa);
    }
  }

  /** Remove this exact entry object; false when absent. */
  delete(entry: T): boolean {
    if (this.chunks.length === 0) return false;
    const c = this.chunkFor(entry.dpa);
    const chunk = this.chunks[c] as T[];
    const at = SortedRangeIndex.floorIn(chunk, entry.dpa);
    if (at < 0 || chunk[at] !== entry) return false;
    this.count--;
    if (at === 0) chunk.shift();
    else chunk.splice(at, 1);
    if (chunk.length === 0) this.dropChunk(c);
    else if (at === 0) this.mins[c] = (chunk[0] as T).dpa;
    return true;
  }

  /**
   * Remove these exact entries (absent ones are skipped). Entries that follow each other in the
   * index (a group's members, in DPA order) leave in one splice instead of one each.
   */
  deleteAll(entries: readonly T[]): void {
    let i = 0;
    while (i < entries.length) {
      const first = entries[i] as T;
      if (this.chunks.length === 0) return;
      const c = this.chunkFor(first.dpa);
      const chunk = this.chunks[c] as T[];
      const at = SortedRangeIndex.floorIn(chunk, first.dpa);
      if (at < 0 || chunk[at] !== first) {
        i++;
        continue;
      }
      let k = 1;
      while (i + k < entries.length && at + k < chunk.length && chunk[at + k] === entries[i + k]) k++;
      chunk.splice(at, k);
      this.count -= k;
      if (chunk.length === 0) this.dropChunk(c);
      else if (at === 0) this.mins[c] = (chunk[0] as T).dpa;
      i += k;
    }
  }

  /**
   * Forget the emptied chunk `c`. The first chunk (releases in DPA order empty the index from the
   * front) leaves with `shift`, which V8 does without moving the other ~n/128 chunks and keys;
   * `splice(0, 1)` moved them all, per emptied chunk: O(n) per 128 releases at a million extents.
   */
  private dropChunk(c: number): void {
    if (c === 0) {
      this.chunks.shift();
      this.mins.shift();
    } else {
      this.chunks.splice(c, 1);
      this.mins.splice(c, 1);
    }
  }

  /** The entry with the greatest start ≤ dpa. */
  floor(dpa: number): T | undefined {
    if (this.chunks.length === 0) return undefined;
    const c = this.chunkFor(dpa);
    const chunk = this.chunks[c] as T[];
    const at = SortedRangeIndex.floorIn(chunk, dpa);
    return at < 0 ? undefined : chunk[at];
  }

  /** The entry with the smallest start > dpa. */
  higher(dpa: number): T | undefined {
    if (this.chunks.length === 0) return undefined;
    const c = this.chunkFor(dpa);
    const chunk = this.chunks[c] as T[];
    const at = SortedRangeIndex.floorIn(chunk, dpa) + 1;
    if (at < chunk.length) return chunk[at];
    return this.chunks[c + 1]?.[0];
  }

  /** The entry that contains all of [dpa, dpa + len), if any. */
  containing(dpa: number, len: number): T | undefined {
    const e = this.floor(dpa);
    return e !== undefined && e.dpa + e.len >= dpa + len ? e : undefined;
  }

  /** Entries overlapping [dpa, dpa + len), in DPA order. */
  overlapping(dpa: number, len: number): T[] {
    const out: T[] = [];
    const end = dpa + len;
    const first = this.floor(dpa);
    if (first !== undefined && first.dpa + first.len > dpa) out.push(first);
    for (let e = this.higher(dpa); e !== undefined && e.dpa < end; e = this.higher(e.dpa)) out.push(e);
    return out;
  }

  /** Every entry, in DPA order. */
  *values(): IterableIterator<T> {
    for (const chunk of this.chunks) yield* chunk;
  }
}

/**
 * `xa_alloc` on an ALLOC/ALLOC1 xarray: the lowest free id ≥ base, so ids of released extents are
 * reused lowest first.
 */
export class LowestIdAllocator {
  private next: number;
  /** Freed ids below `next`, as a binary min-heap. */
  private readonly free: number[] = [];

  constructor(private readonly base: number) {
    this.next = base;
  }

  alloc(): number {
    const heap = this.free;
    if (heap.length === 0) return this.next++;
    const top = heap[0] as number;
    const last = heap.pop() as number;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && (heap[l] as number) < (heap[m] as number)) m = l;
        if (r < heap.length && (heap[r] as number) < (heap[m] as number)) m = r;
        if (m === i) break;
        const t = heap[i] as number;
        heap[i] = heap[m] as number;
        heap[m] = t;
        i = m;
      }
    }
    return top;
  }

  release(id: number): void {
    // Every freed id is below `next`, so the heap's minimum is the lowest free id.
    const heap = this.free;
    if (heap.length + 1 === this.next - this.base) {
      // Every id is free again: start over (the next alloc is `base` either way), no heap.
      heap.length = 0;
      this.next = this.base;
      return;
    }
    heap.push(id);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >>> 1;
      if ((heap[p] as number) <= (heap[i] as number)) break;
      const t = heap[p] as number;
      heap[p] = heap[i] as number;
      heap[i] = t;
      i = p;
    }
  }
}
