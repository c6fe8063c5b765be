/**
 * A process-wide count of live resources (devres bindings, owned subscriptions, containers,
 * hosts). Tests snapshot it before and after to prove nothing leaked, as VS Code's
 * `ensureNoDisposablesAreLeakedInTestSuite` does. Tracking costs one Map update per resource.
 */

/** One live resource: its kind and a label naming its owner. */
export interface LiveResource {
  readonly id: number;
  readonly kind: string;
  readonly label: string;
}

export class LeakTracker {
  private nextId = 1;
  private readonly live = new Map<number, LiveResource>();

  /** Record a live resource; call the returned function when it is released. Idempotent. */
  track(kind: string, label: string): () => void {
    const id = this.nextId++;
    this.live.set(id, { id, kind, label });
    return () => {
      this.live.delete(id);
    };
  }

  /** Ids of every resource live now. */
  snapshot(): ReadonlySet<number> {
    return new Set(this.live.keys());
  }

  /** Resources live now that were not live in `before`. */
  leakedSince(before: ReadonlySet<number>): LiveResource[] {
    return [...this.live.values()].filter((r) => !before.has(r.id));
  }

  /** How many resources are live now. */
  get size(): number {
    return this.live.size;
  }
}

/** The single tracker every dcd package reports to. */
export const leakTracker = new LeakTracker();
