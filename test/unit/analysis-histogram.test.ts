import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatencyHistogram } from '../../src/core/analysis/histogram.ts';

test('small samples give exact nearest-rank percentiles', () => {
  const h = new LatencyHistogram();
  for (const v of [5, 1, 3, 2, 4, 100, 6, 7, 8, 9]) h.record(v);
  assert.deepEqual(h.summary(), { count: 10, p50: 5, p95: 100, p99: 100, max: 100, min: 1, mean: 14.5 });
  assert.deepEqual(new LatencyHistogram().summary().p50, null);
});

test('a million samples stay within 2 % of the true percentiles in fixed memory', () => {
  const h = new LatencyHistogram();
  const values = new Float64Array(1_000_000);
  let seed = 42;
  for (let i = 0; i < values.length; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    // Log-normal-ish latencies from 0.1 ms to a few seconds.
    values[i] = Math.exp((seed / 2147483648) * 10 - 2.3);
    h.record(values[i]!);
  }
  values.sort();
  for (const q of [0.5, 0.95, 0.99]) {
    const exact = values[Math.ceil(q * values.length) - 1]!;
    const approx = h.quantile(q)!;
    assert.ok(Math.abs(approx - exact) / exact < 0.02, `p${q * 100}: ${approx} vs ${exact}`);
  }
  assert.equal(h.summary().max, Math.round(values[values.length - 1]! * 1000) / 1000);
});

test('display buckets follow a 1-2-5 ladder around the values', () => {
  const h = new LatencyHistogram();
  for (const v of [0.3, 0.4, 1.5, 1.5, 7, 40]) h.record(v);
  const d = h.display();
  assert.deepEqual(d.edges, [0.2, 0.5, 1, 2, 5, 10, 20, 50]);
  assert.deepEqual(d.counts, [2, 0, 2, 0, 1, 0, 1]);
  assert.equal(d.counts.reduce((a, b) => a + b, 0), 6);
});

test('merging keeps counts and exactness while small', () => {
  const a = new LatencyHistogram();
  const b = new LatencyHistogram();
  [1, 2, 3].forEach((v) => a.record(v));
  [10, 20].forEach((v) => b.record(v));
  a.merge(b);
  assert.deepEqual([a.count, a.quantile(0.5), a.summary().max], [5, 3, 20]);
});
