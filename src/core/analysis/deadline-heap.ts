/**
 * A min-heap of values by deadline. Deletion is lazy: a value that no longer needs its
 * deadline stays in the heap, and whoever pops it checks that it still does. Pairing keeps
 * timeouts here because event times do not arrive in order (a history read fetches
 * partitions one after another), so the oldest open request is not the first one opened.
 */
export class DeadlineHeap<V> {
  private times: number[] = [];
  private values: V[] = [];

  get size(): number {
    return this.times.length;
  }

  push(deadline: number, value: V): void {
    const t = this.times;
    const v = this.values;
    let i = t.length;
    t.push(deadline);
    v.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (t[parent]! <= deadline) break;
      t[i] = t[parent]!;
      v[i] = v[parent]!;
      i = parent;
    }
    t[i] = deadline;
    v[i] = value;
  }

  /** The earliest deadline, or undefined when empty. */
  peek(): number | undefined {
    return this.times[0];
  }

  /** Removes and returns the value with the earliest deadline. */
  pop(): V | undefined {
    const t = this.times;
    const v = this.values;
    if (t.length === 0) return undefined;
    const top = v[0]!;
    const lastTime = t.pop()!;
    const lastValue = v.pop()!;
    const n = t.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && t[r]! < t[l]! ? r : l;
        if (t[c]! >= lastTime) break;
        t[i] = t[c]!;
        v[i] = v[c]!;
        i = c;
      }
      t[i] = lastTime;
      v[i] = lastValue;
    }
    return top;
  }

  /** Replaces the contents (dropping values that no longer need a deadline). */
  rebuild(entries: Iterable<[deadline: number, value: V]>): void {
    this.times = [];
    this.values = [];
    for (const [d, v] of entries) this.push(d, v);
  }
}
