import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCountShort } from '../../src/renderer/src/lib/format.ts';

test('a short count fits an axis label: exact below 10,000, then k, M, G, as rounded for display', () => {
  const cases: [number, string][] = [
    [0, '0'],
    [9_999, '9,999'],
    [10_000, '10k'],
    [490_000, '490k'],
    [999_499, '999k'],
    // Rounded to 1000k it would be six characters: it becomes the next unit.
    [999_999, '1M'],
    [2_500_000, '2.5M'],
    [9_949_999, '9.9M'],
    [9_950_000, '10M'],
    [999_999_999, '1G'],
    [-490_000, '-490k'],
  ];
  for (const [n, shown] of cases) assert.equal(formatCountShort(n), shown, String(n));
  for (let n = 1; n < 1e13; n = Math.ceil(n * 1.37)) assert.ok(formatCountShort(n).length <= 5, `${n} → ${formatCountShort(n)}`);
});
