/**
 * A growable column of numbers in a Float64Array: exact for every JavaScript number, and
 * outside the V8 heap, so a long queue (a catch-up's Kafka records waiting for their
 * window, issue 12) is neither scanned by the garbage collector nor multiplied by the
 * heap's growth headroom. Dropping from the front moves the rest down in place.
 */
export class NumberColumn {
  private data = owned(new Float64Array(MIN_CAPACITY), this);
  length = 0;

  push(v: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = owned(grown, this);
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
      this.data = owned(this.data.slice(0, Math.max(MIN_CAPACITY, this.length * 2)), this);
    }
  }
}

const MIN_CAPACITY = 1024;

/** Each column's own array, so a snapshot can tell a column's values from its spare room. */
const columns = new WeakMap<Float64Array, NumberColumn>();

function owned(data: Float64Array, column: NumberColumn): Float64Array {
  columns.set(data, column);
  return data;
}

/**
 * What a snapshot needs to keep of a typed array: for a column's array, the values it holds
 * (the rest is room the next push grows into: after a doubling, up to half the array, which
 * the snapshot of a 1M-record catch-up wrote as 23 MB of zeros, issue 12); anything else
 * whole. A column revived from a snapshot then holds an array of exactly its length and
 * grows from there.
 */
export function usedPart(view: NodeJS.ArrayBufferView): NodeJS.ArrayBufferView {
  if (!(view instanceof Float64Array)) return view;
  const column = columns.get(view);
  return column !== undefined && column.length < view.length ? view.subarray(0, column.length) : view;
}
