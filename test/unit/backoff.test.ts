import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, backoffDelay } from '../../src/core/common/backoff.ts';

const opts = { initialMs: 500, maxMs: 15_000 };

test('backoff doubles from the first delay up to the ceiling, jitter at ±20 %', () => {
  const low = { ...opts, random: () => 0 };
  const mid = { ...opts, random: () => 0.5 };
  const high = { ...opts, random: () => 0.999_999 };
  const bases = [500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000];
  bases.forEach((base, attempt) => {
    assert.equal(backoffDelay(attempt, mid), base, `attempt ${attempt} without spread`);
    assert.equal(backoffDelay(attempt, low), Math.round(base * 0.8), `attempt ${attempt} lowest`);
    assert.equal(backoffDelay(attempt, high), Math.round(base * 1.2), `attempt ${attempt} highest`);
  });
});

test('every delay stays within its bounds whatever the random source gives', () => {
  let seed = 7;
  const random = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  for (let attempt = 0; attempt < 40; attempt++) {
    const base = Math.min(opts.maxMs, opts.initialMs * 2 ** attempt);
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(attempt, { ...opts, random });
      assert.ok(d >= Math.round(base * 0.8) && d <= Math.round(base * 1.2), `attempt ${attempt}: ${d} ms`);
    }
  }
});

test('Backoff counts failures and starts again from the first delay after a success', () => {
  const b = new Backoff({ ...opts, jitter: 0 });
  assert.deepEqual([b.next(), b.next(), b.next()], [500, 1000, 2000]);
  assert.equal(b.attempts, 3);
  b.reset();
  assert.equal(b.attempts, 0);
  assert.equal(b.next(), 500);
});
