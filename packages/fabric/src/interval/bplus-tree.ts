/**
 * An ordered map from numeric keys to values: a B+ tree whose leaves are linked in key order and
 * whose branches keep per-child entry counts. Lookups, inserts and deletes are O(log n); `at(i)`
 * (the i-th entry in key order, needed for 4801h paging) is O(log n) thanks to the counts.
 *
 * Why a B+ tree and not a sorted array: splitting an extent on partial release inserts in the
 * middle, which is an O(n) memmove for an array at 1e6 extents; and not a binary tree: one node
 * per entry costs ~3x the memory and a cache miss per level.
 *
 * Written for V8's fast paths: one node class for leaves and branches (monomorphic property
 * access), iterative descents with a reusable path, in-place shifts instead of `splice`, and a
 * cached last leaf so appends past the largest key (sequential DPAs) skip the descent.
 * Separator keys only need to be <= every key of their subtree, so removing a subtree's
 * smallest key never has to touch its ancestors.
 */

const LEAF_MAX = 32;
const LEAF_MIN = LEAF_MAX >> 2;
const BRANCH_MAX = 64;
const BRANCH_MIN = BRANCH_MAX >> 2;
/** Deeper than any tree that fits in memory (64^10 entries). */
const MAX_DEPTH = 12;

class Node<V> {
  keys: number[] = [];
  /** Leaves: the values. */
  vals: V[];
  /** Branches: children, and the number of entries under each. */
  children: Node<V>[];
  counts: number[];
  next: Node<V> | null = null;
  prev: Node<V> | null = null;

  constructor(readonly leaf: boolean) {
    this.vals = [];
    this.children = [];
    this.counts = [];
  }

  get length(): number {
    return this.leaf ? this.keys.length : this.children.length;
  }
}

/** A position in the tree: `leaf.vals[pos]`. Invalidated by any insert or delete. */
export interface TreeCursor<V> {
  leaf: Node<V> | null;
  pos: number;
}

/** Index of the last element of sorted `keys` that is <= key, or -1. */
function floorIndex(keys: readonly number[], key: number): number {
  let lo = 0;
  let hi = keys.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as number) <= key) lo = mid + 1;
    else hi = mid - 1;
  }
  return hi;
}

/*
 * `splice(at, 0, v)` / `splice(at, 1)` without allocating the removed-elements array; one copy
 * for number arrays and one for reference arrays so each call site stays monomorphic.
 */
function insertNum(arr: number[], at: number, v: number): void {
  let i = arr.length;
  arr.push(v);
  for (; i > at; i--) arr[i] = arr[i - 1] as number;
  arr[at] = v;
}

function insertRef<T>(arr: T[], at: number, v: T): void {
  let i = arr.length;
  arr.push(v);
  for (; i > at; i--) arr[i] = arr[i - 1] as T;
  arr[at] = v;
}

function removeNum(arr: number[], at: number): void {
  const n = arr.length - 1;
  for (let i = at; i < n; i++) arr[i] = arr[i + 1] as number;
  arr.pop();
}

function removeRef(arr: unknown[], at: number): void {
  const n = arr.length - 1;
  for (let i = at; i < n; i++) arr[i] = arr[i + 1];
  arr.pop();
}

function sum(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

function size<V>(node: Node<V>): number {
  return node.leaf ? node.keys.length : sum(node.counts);
}

export class BPlusTree<V> {
  private root = new Node<V>(true);
  private count = 0;
  /** The rightmost leaf and the branches above it (root first) with their counts to bump. */
  private tail: Node<V> | null = null;
  private tailPath: Node<V>[] = [];
  /** The leftmost leaf and the branches above it: removing the smallest key (FIFO release) skips the descent. */
  private head: Node<V> | null = null;
  private headPath: Node<V>[] = [];
  private readonly pathNodes: Node<V>[] = new Array<Node<V>>(MAX_DEPTH);
  private readonly pathIdx: number[] = new Array<number>(MAX_DEPTH).fill(0);

  get size(): number {
    return this.count;
  }

  /** Value stored under exactly `key`. */
  get(key: number): V | undefined {
    const leaf = this.leafFor(key);
    const i = floorIndex(leaf.keys, key);
    return i >= 0 && leaf.keys[i] === key ? leaf.vals[i] : undefined;
  }

  /** Cursor at the entry with the greatest key <= `key` (leaf null when there is none). */
  floor(key: number): TreeCursor<V> {
    const leaf = this.leafFor(key);
    const i = floorIndex(leaf.keys, key);
    if (i >= 0) return { leaf, pos: i };
    // Every key in this leaf is > key: the floor, if any, is the previous leaf's last entry.
    const prev = leaf.prev;
    return prev === null ? { leaf: null, pos: 0 } : { leaf: prev, pos: prev.keys.length - 1 };
  }

  /** The value with the greatest key <= `key`, without allocating a cursor. */
  floorValue(key: number): V | undefined {
    const leaf = this.leafFor(key);
    const i = floorIndex(leaf.keys, key);
    if (i >= 0) return leaf.vals[i];
    const prev = leaf.prev;
    return prev === null ? undefined : prev.vals[prev.keys.length - 1];
  }

  /** Cursor at the entry with the smallest key >= `key`. */
  ceiling(key: number): TreeCursor<V> {
    const c = this.floor(key);
    if (c.leaf === null) return this.first();
    if ((c.leaf.keys[c.pos] as number) === key) return c;
    this.advance(c);
    return c;
  }

  /** Cursor at the smallest entry. */
  first(): TreeCursor<V> {
    let node = this.root;
    while (!node.leaf) node = node.children[0] as Node<V>;
    return node.keys.length === 0 ? { leaf: null, pos: 0 } : { leaf: node, pos: 0 };
  }

  /** Cursor at the `index`-th entry in key order (0-based). */
  at(index: number): TreeCursor<V> {
    if (index < 0 || index >= this.count) return { leaf: null, pos: 0 };
    let node = this.root;
    let rest = index;
    while (!node.leaf) {
      let i = 0;
      while (rest >= (node.counts[i] as number)) {
        rest -= node.counts[i] as number;
        i++;
      }
      node = node.children[i] as Node<V>;
    }
    return { leaf: node, pos: rest };
  }

  /** Move `c` to the next entry in key order (leaf becomes null past the end). */
  advance(c: TreeCursor<V>): void {
    if (c.leaf === null) return;
    c.pos++;
    while (c.leaf !== null && c.pos >= c.leaf.keys.length) {
      c.leaf = c.leaf.next;
      c.pos = 0;
    }
  }

  /** Move `c` to the previous entry in key order (leaf becomes null before the start). */
  retreat(c: TreeCursor<V>): void {
    if (c.leaf === null) return;
    c.pos--;
    while (c.leaf !== null && c.pos < 0) {
      c.leaf = c.leaf.prev;
      c.pos = c.leaf === null ? 0 : c.leaf.keys.length - 1;
    }
  }

  /** Insert `key -> value`; replaces the value when the key is present. */
  set(key: number, value: V): void {
    // Fast path: appending past the largest key into a rightmost leaf with room.
    const tail = this.tail;
    if (tail !== null && tail.keys.length > 0 && tail.keys.length < LEAF_MAX && key > (tail.keys[tail.keys.length - 1] as number)) {
      tail.keys.push(key);
      tail.vals.push(value);
      for (const b of this.tailPath) b.counts[b.counts.length - 1] = (b.counts[b.counts.length - 1] as number) + 1;
      this.count++;
      return;
    }
    const depth = this.descend(key);
    const leaf = this.pathNodes[depth] as Node<V>;
    const i = floorIndex(leaf.keys, key);
    if (i >= 0 && leaf.keys[i] === key) {
      leaf.vals[i] = value;
      return;
    }
    insertNum(leaf.keys, i + 1, key);
    insertRef(leaf.vals, i + 1, value);
    this.count++;
    for (let d = 0; d < depth; d++) {
      const b = this.pathNodes[d] as Node<V>;
      const ci = this.pathIdx[d] as number;
      b.counts[ci] = (b.counts[ci] as number) + 1;
      if (key < (b.keys[ci] as number)) b.keys[ci] = key;
    }
    if (leaf.keys.length > LEAF_MAX) this.splitUp(depth, i + 1 === leaf.keys.length - 1 && leaf.next === null);
    else if (leaf.next === null) this.rememberTail(depth);
  }

  /** Remove `key`; returns whether it was present. */
  delete(key: number): boolean {
    return this.deleteIf(key, undefined);
  }

  /** Remove `key` only if it maps to `expected` (any value when undefined); one descent. */
  deleteIf(key: number, expected: V | undefined): boolean {
    const head = this.head;
    if (head !== null && head.keys.length > LEAF_MIN && head.keys[0] === key) {
      if (expected !== undefined && head.vals[0] !== expected) return false;
      removeNum(head.keys, 0);
      removeRef(head.vals, 0);
      for (const b of this.headPath) b.counts[0] = (b.counts[0] as number) - 1;
      this.count--;
      return true;
    }
    const depth = this.descend(key);
    const leaf = this.pathNodes[depth] as Node<V>;
    const i = floorIndex(leaf.keys, key);
    if (i < 0 || leaf.keys[i] !== key) return false;
    if (expected !== undefined && leaf.vals[i] !== expected) return false;
    removeNum(leaf.keys, i);
    removeRef(leaf.vals, i);
    this.count--;
    for (let d = 0; d < depth; d++) {
      const b = this.pathNodes[d] as Node<V>;
      const ci = this.pathIdx[d] as number;
      b.counts[ci] = (b.counts[ci] as number) - 1;
    }
    // Walk up while a node is under-full: borrow from or merge with a sibling.
    let restructured = false;
    for (let d = depth; d > 0; d--) {
      const node = this.pathNodes[d] as Node<V>;
      if (node.length >= (node.leaf ? LEAF_MIN : BRANCH_MIN)) break;
      this.rebalance(this.pathNodes[d - 1] as Node<V>, this.pathIdx[d - 1] as number);
      restructured = true;
    }
    // Collapse a root branch with a single child so depth shrinks as the tree empties.
    while (!this.root.leaf && this.root.children.length === 1) {
      this.root = this.root.children[0] as Node<V>;
      restructured = true;
    }
    if (restructured) {
      this.tail = null;
      this.head = null;
    } else if (leaf.prev === null) {
      this.head = leaf;
      this.headPath = this.pathNodes.slice(0, depth);
    }
    return true;
  }

  clear(): void {
    this.root = new Node<V>(true);
    this.count = 0;
    this.tail = null;
    this.tailPath = [];
    this.head = null;
    this.headPath = [];
  }

  /** Every value in key order (O(n); snapshots and tests). */
  values(): V[] {
    const out: V[] = [];
    for (let leaf: Node<V> | null = this.first().leaf; leaf !== null; leaf = leaf.next) {
      for (const v of leaf.vals) out.push(v);
    }
    return out;
  }

  private leafFor(key: number): Node<V> {
    let node = this.root;
    while (!node.leaf) {
      const i = floorIndex(node.keys, key);
      node = node.children[i < 0 ? 0 : i] as Node<V>;
    }
    return node;
  }

  /** Fill pathNodes/pathIdx from the root to the leaf for `key`; returns the leaf's depth. */
  private descend(key: number): number {
    let node = this.root;
    let d = 0;
    while (!node.leaf) {
      let i = floorIndex(node.keys, key);
      if (i < 0) i = 0;
      this.pathNodes[d] = node;
      this.pathIdx[d] = i;
      d++;
      node = node.children[i] as Node<V>;
    }
    this.pathNodes[d] = node;
    return d;
  }

  private rememberTail(depth: number): void {
    this.tail = this.pathNodes[depth] as Node<V>;
    this.tailPath = this.pathNodes.slice(0, depth);
  }

  /** The leaf at `depth` overflowed: split it and any ancestors that overflow in turn. */
  private splitUp(depth: number, appending: boolean): void {
    for (let d = depth; d >= 0; d--) {
      const node = this.pathNodes[d] as Node<V>;
      const max = node.leaf ? LEAF_MAX : BRANCH_MAX;
      if (node.length <= max) break;
      // Appending past the last key (sequential DPAs): keep this node full, start a new one.
      const half = appending ? node.length - 1 : node.length >> 1;
      const right = new Node<V>(node.leaf);
      if (node.leaf) {
        right.keys = node.keys.splice(half);
        right.vals = node.vals.splice(half);
        right.next = node.next;
        right.prev = node;
        if (node.next !== null) node.next.prev = right;
        node.next = right;
      } else {
        right.keys = node.keys.splice(half);
        right.children = node.children.splice(half);
        right.counts = node.counts.splice(half);
      }
      const rightSize = size(right);
      if (d === 0) {
        const root = new Node<V>(false);
        root.children = [node, right];
        root.keys = [node.keys[0] as number, right.keys[0] as number];
        root.counts = [size(node), rightSize];
        this.root = root;
      } else {
        const parent = this.pathNodes[d - 1] as Node<V>;
        const ci = this.pathIdx[d - 1] as number;
        parent.counts[ci] = (parent.counts[ci] as number) - rightSize;
        insertRef(parent.children, ci + 1, right);
        insertNum(parent.keys, ci + 1, right.keys[0] as number);
        insertNum(parent.counts, ci + 1, rightSize);
        appending = appending && ci + 1 === parent.children.length - 1;
      }
    }
    this.tail = null;
    this.head = null;
  }

  /** Child `i` of `parent` is under-full: merge it with a sibling, or borrow from one. */
  private rebalance(parent: Node<V>, i: number): void {
    const child = parent.children[i] as Node<V>;
    const left = i > 0 ? (parent.children[i - 1] as Node<V>) : undefined;
    const right = i + 1 < parent.children.length ? (parent.children[i + 1] as Node<V>) : undefined;
    const max = child.leaf ? LEAF_MAX : BRANCH_MAX;
    const min = child.leaf ? LEAF_MIN : BRANCH_MIN;
    if (left !== undefined && left.length + child.length <= max) {
      this.merge(parent, i - 1);
    } else if (right !== undefined && right.length + child.length <= max) {
      this.merge(parent, i);
    } else if (left !== undefined && left.length > min) {
      this.shift(parent, i - 1, i, left.length - ((left.length + child.length) >> 1));
    } else if (right !== undefined && right.length > min) {
      this.shift(parent, i + 1, i, right.length - ((right.length + child.length) >> 1));
    } else if (child.length === 0) {
      // Only reachable under a root with a single child: drop the empty node.
      this.unlink(child);
      removeRef(parent.children, i);
      removeNum(parent.keys, i);
      removeNum(parent.counts, i);
    }
  }

  /** Merge children[a+1] into children[a]. */
  private merge(parent: Node<V>, a: number): void {
    const into = parent.children[a] as Node<V>;
    const from = parent.children[a + 1] as Node<V>;
    for (let k = 0; k < from.keys.length; k++) into.keys.push(from.keys[k] as number);
    if (into.leaf) {
      for (let k = 0; k < from.vals.length; k++) into.vals.push(from.vals[k] as V);
      this.unlink(from);
    } else {
      for (let k = 0; k < from.children.length; k++) {
        into.children.push(from.children[k] as Node<V>);
        into.counts.push(from.counts[k] as number);
      }
    }
    parent.counts[a] = (parent.counts[a] as number) + (parent.counts[a + 1] as number);
    removeRef(parent.children, a + 1);
    removeNum(parent.keys, a + 1);
    removeNum(parent.counts, a + 1);
  }

  /** Move `n` entries from sibling `src` to its neighbour `dst` (adjacent indexes). */
  private shift(parent: Node<V>, src: number, dst: number, n: number): void {
    const from = parent.children[src] as Node<V>;
    const to = parent.children[dst] as Node<V>;
    let moved: number;
    if (src < dst) {
      const k = from.keys.splice(from.keys.length - n);
      to.keys.unshift(...k);
      if (from.leaf) {
        to.vals.unshift(...from.vals.splice(from.vals.length - n));
        moved = n;
      } else {
        to.children.unshift(...from.children.splice(from.children.length - n));
        const cnt = from.counts.splice(from.counts.length - n);
        to.counts.unshift(...cnt);
        moved = sum(cnt);
      }
    } else {
      to.keys.push(...from.keys.splice(0, n));
      if (from.leaf) {
        to.vals.push(...from.vals.splice(0, n));
        moved = n;
      } else {
        to.children.push(...from.children.splice(0, n));
        const cnt = from.counts.splice(0, n);
        to.counts.push(...cnt);
        moved = sum(cnt);
      }
    }
    parent.counts[src] = (parent.counts[src] as number) - moved;
    parent.counts[dst] = (parent.counts[dst] as number) + moved;
    // Exact separators for both: the receiver may now hold smaller keys, the giver lost its smallest.
    parent.keys[src] = from.keys[0] as number;
    parent.keys[dst] = to.keys[0] as number;
  }

  private unlink(node: Node<V>): void {
    if (!node.leaf) return;
    if (node.prev !== null) node.prev.next = node.next;
    if (node.next !== null) node.next.prev = node.prev;
    node.prev = null;
    node.next = null;
  }
}
