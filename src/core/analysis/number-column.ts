/**
 * A growable column of numbers in a Float64Array: exact for every JavaScript number, and
 * outside the V8 heap, so a long queue (a catch-up's Kafka records waiting for their
 * window, issue 12) is neither scanned by the garbage collector nor multiplied by the
 * heap's growth headroom. Dropping from the front moves the rest down in place.
 */
export class NumberColumn {
  private data = new Float64Array(MIN_CAPACITY);
  length = 0;

  push(v: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = v;
  }

  at(i: number): number {
    return this.data[i]!;
  }

  /** Removes the first `n` values; gives memory back once a drained queue is much smaller. */
  dropFirst(n: number): void {
    this.data.copyWithin(0, n, this.length);
    this.length -= n;
    if (this.data.length > MIN_CAPACITY && this.length * 4 < this.data.length) {
      this.data = this.data.slice(0, Math.max(MIN_CAPACITY, this.length * 2));
    }
  }
}

const MIN_CAPACITY = 1024;
