/**
 * `cxlr_dax->dc_extents` keyed by extent id: ids are small integers handed out lowest-free first
 * (`LowestIdAllocator`), so a plain array indexed by id holds them densely. A `Map` with a million
 * integer keys costs a hash entry per extent and rehashes as it grows; the array costs a slot.
 */
export class IdTable<T> {
  private readonly slots: (T | undefined)[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(id: number): T | undefined {
    return id >= 0 ? this.slots[id] : undefined;
  }

  /** Store `value` at a free id (the allocator's). */
  set(id: number, value: T): void {
    const slots = this.slots;
    if (id === slots.length) {
      // The next id (the usual case while ids are handed out upwards): no read past the end.
      slots.push(value);
      this.count++;
      return;
    }
    // Fill any gap first so the array stays packed (ids start at the allocator's base).
    while (slots.length < id) slots.push(undefined);
    if (slots[id] === undefined) this.count++;
    slots[id] = value;
  }

  delete(id: number): boolean {
    const slots = this.slots;
    if (id < 0 || slots[id] === undefined) return false;
    slots[id] = undefined;
    this.count--;
    // Trim the tail so a drained table does not keep a million empty slots.
    let end = slots.length;
    while (end > 0 && slots[end - 1] === undefined) end--;
    if (end < slots.length) slots.length = end;
    return true;
  }

  /** Values in id order. */
  *values(): IterableIterator<T> {
    for (const v of this.slots) if (v !== undefined) yield v;
  }
}
