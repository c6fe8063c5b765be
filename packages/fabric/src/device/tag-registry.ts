/**
 * Device-wide tag bookkeeping: which hosts hold each tag (pending or accepted), FM references
 * (5606h/5607h) and the capacity allocated to the tag. A tag lives while a host holds it or
 * the FM references it (R79); freeing is deferred to `sweep()` at the end of an operation,
 * because splitting an extent releases and re-takes the same tag in between.
 */
import type { DcExtent } from "./types.js";

/** `sweep()` with nothing to free (every command ends with a sweep). */
const NONE_FREED: readonly string[] = Object.freeze([]);

export interface TagRecord {
  readonly tag: string;
  /** Partition of the first extent that carried the tag (-1 if only seeded without one). */
  partition: number;
  sharable: boolean;
  /** The capacity allocated to the tag, as first offered (what enable-shared-access offers). */
  readonly extents: DcExtent[];
  fmRefs: number;
  /** Host id -> number of that host's pending + accepted extents carrying the tag. */
  readonly holders: Map<number, number>;
}

export interface TagSnapshot {
  readonly tag: string;
  readonly partition: number;
  readonly sharable: boolean;
  readonly extents: readonly DcExtent[];
  readonly fmRefs: number;
  readonly holders: readonly (readonly [number, number])[];
}

export class TagRegistry {
  private readonly tags = new Map<string, TagRecord>();
  private readonly maybeFree = new Set<string>();
  /** Bumped whenever a tag is created or freed (5608h generation). */
  generation = 0;

  get size(): number {
    return this.tags.size;
  }

  get(tag: string): TagRecord | undefined {
    return this.tags.get(tag);
  }

  /** The record for `tag`, created when missing; `created` tells whether it is new. */
  ensure(tag: string, partition: number, sharable: boolean): { record: TagRecord; created: boolean } {
    const existing = this.tags.get(tag);
    if (existing !== undefined) return { record: existing, created: false };
    const record: TagRecord = { tag, partition, sharable, extents: [], fmRefs: 0, holders: new Map() };
    this.tags.set(tag, record);
    this.generation++;
    return { record, created: true };
  }

  hold(tag: string, hostId: number): void {
    const r = this.ensure(tag, -1, false).record;
    r.holders.set(hostId, (r.holders.get(hostId) ?? 0) + 1);
  }

  unhold(tag: string, hostId: number): void {
    const r = this.tags.get(tag);
    if (r === undefined) return;
    const n = (r.holders.get(hostId) ?? 0) - 1;
    if (n > 0) r.holders.set(hostId, n);
    else r.holders.delete(hostId);
    if (r.holders.size === 0) this.maybeFree.add(tag);
  }

  /** Tags no host holds, which the FM does not reference: capacity only the FM could re-offer. */
  fmHeld(): TagRecord[] {
    const out: TagRecord[] = [];
    for (const r of this.tags.values()) if (r.holders.size === 0 && r.fmRefs > 0) out.push(r);
    return out;
  }

  /** Free every tag nobody holds or references any more; returns the freed tags. */
  sweep(): readonly string[] {
    if (this.maybeFree.size === 0) return NONE_FREED;
    const freed: string[] = [];
    for (const tag of this.maybeFree) {
      const r = this.tags.get(tag);
      if (r !== undefined && r.holders.size === 0 && r.fmRefs === 0) {
        this.tags.delete(tag);
        freed.push(tag);
      }
    }
    this.maybeFree.clear();
    if (freed.length > 0) this.generation++;
    return freed;
  }

  /** Mark `tag` for the next sweep (after an FM reference is dropped, or a record is created unheld). */
  markMaybeFree(tag: string): void {
    this.maybeFree.add(tag);
  }

  all(): TagRecord[] {
    return [...this.tags.values()];
  }

  snapshot(): TagSnapshot[] {
    return this.all().map((r) => ({
      tag: r.tag,
      partition: r.partition,
      sharable: r.sharable,
      extents: r.extents.map((e) => ({ ...e })),
      fmRefs: r.fmRefs,
      holders: [...r.holders.entries()].sort((a, b) => a[0] - b[0]),
    }));
  }
}
