/**
 * A binary max-heap of integer ids ordered by a key array the caller owns (PGHI pushes coefficient
 * indices keyed by magnitude). Typed arrays keep millions of entries cheap.
 */
export class MaxHeap {
  #ids: Int32Array;
  #size = 0;

  constructor(
    private readonly keys: ArrayLike<number>,
    capacity: number,
  ) {
    this.#ids = new Int32Array(Math.max(16, capacity));
  }

  get size(): number {
    return this.#size;
  }

  clear(): void {
    this.#size = 0;
  }

  push(id: number): void {
    if (this.#size === this.#ids.length) {
      const grown = new Int32Array(this.#ids.length * 2);
      grown.set(this.#ids);
      this.#ids = grown;
    }
    const ids = this.#ids;
    const keys = this.keys;
    const key = keys[id];
    let i = this.#size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (keys[ids[parent]] >= key) break;
      ids[i] = ids[parent];
      i = parent;
    }
    ids[i] = id;
  }

  /** Removes and returns the id with the largest key; -1 when empty. */
  pop(): number {
    if (this.#size === 0) return -1;
    const ids = this.#ids;
    const keys = this.keys;
    const top = ids[0];
    const last = ids[--this.#size];
    const key = keys[last];
    const n = this.#size;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && keys[ids[child + 1]] > keys[ids[child]]) child++;
      if (keys[ids[child]] <= key) break;
      ids[i] = ids[child];
      i = child;
    }
    if (n > 0) ids[i] = last;
    return top;
  }
}
