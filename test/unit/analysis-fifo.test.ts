import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FifoMap } from '../../src/core/analysis/fifo-map.ts';

test('FifoMap behaves like an insertion-ordered Map under heavy churn', () => {
  const fifo = new FifoMap<number, { n: number }>();
  const reference = new Map<number, { n: number }>();
  let r = 1;
  for (let i = 0; i < 100_000; i++) {
    r = (r * 16807) % 2147483647;
    const op = r % 10;
    if (op < 5) {
      const v = { n: i };
      const k = op === 0 ? i - 3 : i; // sometimes set an existing key again: it moves to the end
      fifo.set(k, v);
      reference.delete(k);
      reference.set(k, v);
    } else if (op < 8) {
      const k = i - (r % 50);
      assert.equal(fifo.delete(k), reference.delete(k));
    } else {
      const expected = reference.entries().next().value;
      assert.deepEqual(fifo.shift(), expected);
      if (expected) reference.delete(expected[0]);
    }
  }
  assert.equal(fifo.size, reference.size);
  assert.deepEqual(fifo.first(), reference.entries().next().value);
});
