/** `struct ida`: hands out the smallest free non-negative id. */
export class Ida {
  private readonly used = new Set<number>();

  alloc(): number {
    let id = 0;
    while (this.used.has(id)) id++;
    this.used.add(id);
    return id;
  }

  free(id: number): void {
    this.used.delete(id);
  }

  has(id: number): boolean {
    return this.used.has(id);
  }
}
