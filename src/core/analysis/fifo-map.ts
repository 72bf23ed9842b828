/**
 * A Map that is also a queue: `first()` is the entry set longest ago.
 *
 * A plain Map's insertion order is not usable for this at a high rate: V8 keeps deleted
 * slots until the table is rehashed, and every new iterator walks over them, so
 * `map.keys().next()` costs O(deleted entries) — a million-message analysis spent most of
 * its time there. Here the order lives in an array with a moving head; entries deleted or
 * replaced meanwhile are skipped (and dropped) when they reach the head, so `first()` is
 * O(1) amortised. `set` always moves the key to the end.
 *
 * Values must tell sets apart (objects, or counters): a key set twice with the same
 * primitive value keeps its older place in the queue.
 *
 * With `objectsOnce`, the owner promises that an object value, once deleted or replaced
 * under its key, is never set under that key again. Its dead slots can then never come
 * back to life, so they are dropped whenever they outnumber the live entries: otherwise a
 * long-lived entry at the head keeps every later dead slot, and the object it holds, in
 * memory (pairing's open requests: one request waiting out its late-reply window held
 * every request answered after it, and a kept analysis of 1M messages weighed 90 MB).
 */
export class FifoMap<K, V> {
  private readonly map = new Map<K, V>();
  private queueKeys: K[] = [];
  private queueValues: V[] = [];
  private head = 0;

  constructor(private readonly objectsOnce = false) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V): void {
    this.map.set(key, value);
    this.queueKeys.push(key);
    this.queueValues.push(value);
    if (this.objectsOnce && this.queueKeys.length - this.head > 2 * this.map.size + 1024) this.dropDead();
  }

  /** Keeps only the slots that are live, or could be (a primitive value), in their order. */
  private dropDead(): void {
    const keys: K[] = [];
    const values: V[] = [];
    for (let i = this.head; i < this.queueKeys.length; i++) {
      const k = this.queueKeys[i]!;
      const v = this.queueValues[i]!;
      if (typeof v === 'object' && v !== null && this.map.get(k) !== v) continue;
      keys.push(k);
      values.push(v);
    }
    this.queueKeys = keys;
    this.queueValues = values;
    this.head = 0;
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** The oldest live entry. */
  first(): [K, V] | undefined {
    // `drop` may swap in compacted arrays: always read through `this`.
    while (this.head < this.queueKeys.length) {
      const k = this.queueKeys[this.head]!;
      const v = this.queueValues[this.head]!;
      // Live only if the map still holds this very value for the key (not deleted, not set again).
      if (this.map.get(k) === v && this.map.has(k)) return [k, v];
      this.drop();
    }
    return undefined;
  }

  /** Removes and returns the oldest entry. */
  shift(): [K, V] | undefined {
    const e = this.first();
    if (e) {
      this.map.delete(e[0]);
      this.drop();
    }
    return e;
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  keys(): IterableIterator<K> {
    return this.map.keys();
  }

  private drop(): void {
    this.queueKeys[this.head] = undefined as K;
    this.queueValues[this.head] = undefined as V;
    this.head += 1;
    if (this.head >= 1024 && this.head * 2 >= this.queueKeys.length) {
      this.queueKeys = this.queueKeys.slice(this.head);
      this.queueValues = this.queueValues.slice(this.head);
      this.head = 0;
    }
  }
}
