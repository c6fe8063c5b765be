/**
 * The extents a command produced (accepted by 4802h, released by 4803h/5605h), kept as numbers
 * and built as `DcExtent` objects only when read. Their readers are the FM's event log, which
 * holds a few records (QEMU: 8) and counts the rest as overflow, and observers of `events$`;
 * with nobody subscribed, a 1024-entry response builds at most a handful of objects. Objects are
 * built once and shared by every reader, as the eager lists were.
 */
import type { DcExtent } from "./types.js";

/** Extents a command produced, as readers see them: a count, and objects for those who ask. */
export interface ExtentSource {
  readonly length: number;
  /** The first `n` extents as objects (built once, shared by every reader). */
  head(n: number): DcExtent[];
  /** Every extent as objects. */
  all(): DcExtent[];
}

export class ExtentBuffer implements ExtentSource {
  length = 0;
  // Entry 0 lives in fields: most buffers hold the one extent of a Release DC, and then no array
  // is made at all (an array's first push reserves room for 16 entries).
  private dpa0 = 0;
  private len0 = 0;
  private seq0 = 0;
  private tag0 = "";
  /** dpa, len, sharedSeq of entry k >= 1 at 3(k-1), 3(k-1) + 1, 3(k-1) + 2. */
  private rest: number[] | undefined = undefined;
  private restTags: string[] | undefined = undefined;
  /** Objects built so far, for entries 0 .. built.length - 1. */
  private built: DcExtent[] | undefined = undefined;

  push(dpa: number, len: number, tag: string, sharedSeq: number): void {
    if (this.length === 0) {
      this.dpa0 = dpa;
      this.len0 = len;
      this.seq0 = sharedSeq;
      this.tag0 = tag;
    } else {
      (this.rest ??= []).push(dpa, len, sharedSeq);
      (this.restTags ??= []).push(tag);
    }
    this.length++;
  }

  /** Add an extent that already exists as an object (kept, not copied). */
  pushExtent(e: DcExtent): void {
    if ((this.built?.length ?? 0) === this.length) (this.built ??= []).push(e);
    this.push(e.dpa, e.len, e.tag, e.sharedSeq);
  }

  dpa(k: number): number {
    return k === 0 ? this.dpa0 : ((this.rest as number[])[3 * (k - 1)] as number);
  }

  len(k: number): number {
    return k === 0 ? this.len0 : ((this.rest as number[])[3 * (k - 1) + 1] as number);
  }

  private seq(k: number): number {
    // A u16 read from an array of doubles: made a small integer again (see `ExtentIndex`).
    return (k === 0 ? this.seq0 : ((this.rest as number[])[3 * (k - 1) + 2] as number)) | 0;
  }

  private tag(k: number): string {
    return k === 0 ? this.tag0 : ((this.restTags as string[])[k - 1] as string);
  }

  /** The first `n` extents as objects. */
  head(n: number): DcExtent[] {
    const built = (this.built ??= []);
    for (let k = built.length; k < n; k++) built.push({ dpa: this.dpa(k), len: this.len(k), tag: this.tag(k), sharedSeq: this.seq(k) });
    return n === built.length ? built : built.slice(0, n);
  }

  /** Every extent as objects. */
  all(): DcExtent[] {
    return this.head(this.length);
  }
}
