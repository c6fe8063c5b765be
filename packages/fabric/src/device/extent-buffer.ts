/**
 * The extents a command produced (accepted by 4802h, released by 4803h/5605h), kept as numbers
 * and built as `DcExtent` objects only when read. Their readers are the FM's event log, which
 * holds a few records (QEMU: 8) and counts the rest as overflow, and observers of `events$`;
 * with nobody subscribed, a 1024-entry response builds at most a handful of objects. Objects are
 * built once and shared by every reader, as the eager lists were.
 */
import type { DcExtent } from "./types.js";

export class ExtentBuffer {
  length = 0;
  /** dpa, len, sharedSeq of entry k at 3k, 3k + 1, 3k + 2 (one allocation). */
  private v: Float64Array;
  private tags: string[];
  /** Objects built so far, for entries 0 .. built.length - 1. */
  private built: DcExtent[] = [];

  constructor(capacity: number) {
    const n = Math.max(1, capacity);
    this.v = new Float64Array(3 * n);
    this.tags = new Array<string>(n);
  }

  push(dpa: number, len: number, tag: string, sharedSeq: number): void {
    const k = this.length;
    if (3 * k === this.v.length) this.grow();
    this.v[3 * k] = dpa;
    this.v[3 * k + 1] = len;
    this.v[3 * k + 2] = sharedSeq;
    this.tags[k] = tag;
    this.length = k + 1;
  }

  /** Add an extent that already exists as an object (kept, not copied). */
  pushExtent(e: DcExtent): void {
    if (this.built.length === this.length) this.built.push(e);
    this.push(e.dpa, e.len, e.tag, e.sharedSeq);
  }

  dpa(k: number): number {
    return this.v[3 * k] as number;
  }

  len(k: number): number {
    return this.v[3 * k + 1] as number;
  }

  /** The first `n` extents as objects. */
  head(n: number): DcExtent[] {
    const built = this.built;
    const v = this.v;
    for (let k = built.length; k < n; k++) built.push({ dpa: v[3 * k] as number, len: v[3 * k + 1] as number, tag: this.tags[k] as string, sharedSeq: v[3 * k + 2] as number });
    return n === built.length ? built : built.slice(0, n);
  }

  /** Every extent as objects. */
  all(): DcExtent[] {
    return this.head(this.length);
  }

  private grow(): void {
    const v = new Float64Array(this.v.length * 2);
    v.set(this.v);
    this.v = v;
  }
}
