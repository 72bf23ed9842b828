import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PageCache } from '../../src/renderer/src/lib/page-cache.ts';

// The message list's page cache: fetches by offset what the list shows, holds a bounded
// number of pages, and takes live rows without refetching.

function source(n: number) {
  const calls: number[] = [];
  const fetch = async (offset: number, limit: number) => {
    calls.push(offset);
    const rows = Array.from({ length: Math.max(0, Math.min(limit, n - offset)) }, (_, i) => offset + i);
    return { rows, total: null };
  };
  return { calls, fetch };
}

const settle = () => new Promise((r) => setImmediate(r));

test('fetches only the pages a range needs, once', async () => {
  const src = source(10_000);
  const cache = new PageCache<number>(src.fetch, () => undefined, 100, 5);
  cache.total = 10_000;
  cache.ensure(250, 420);
  cache.ensure(250, 420);
  await settle();
  assert.deepEqual(src.calls, [200, 300, 400]);
  assert.equal(cache.row(250), 250);
  assert.equal(cache.row(420), 420);
  assert.equal(cache.row(0), undefined);
});

test('never holds more than maxPages pages, however far the list scrolls', async () => {
  const src = source(1_000_000);
  const cache = new PageCache<number>(src.fetch, () => undefined, 100, 5);
  cache.total = 1_000_000;
  for (let start = 0; start < 1_000_000; start += 37_000) {
    cache.ensure(start, start + 60);
    await settle();
    assert.equal(cache.row(start + 60), start + 60);
  }
  assert.ok(cache.cachedRows <= 500, `cached ${cache.cachedRows}`);
});

test('live rows extend the tail without a fetch, and holes are fetched', async () => {
  const src = source(1000);
  const cache = new PageCache<number>(src.fetch, () => undefined, 100, 5);
  cache.appendTail(1000, [995, 996, 997, 998, 999]);
  assert.equal(cache.total, 1000);
  assert.equal(cache.row(999), 999);
  cache.ensure(995, 999);
  await settle();
  assert.deepEqual(src.calls, [900], 'the partly known last page is completed');
  assert.equal(cache.row(950), 950);
});

test('a reset drops answers to requests made before it', async () => {
  let release: () => void = () => undefined;
  const cache = new PageCache<string>(
    async () => {
      await new Promise<void>((r) => (release = r));
      return { rows: ['stale'], total: 1 };
    },
    () => undefined,
    100,
    5,
  );
  cache.total = 1;
  cache.ensure(0, 0);
  cache.reset();
  release();
  await settle();
  assert.equal(cache.row(0), undefined);
});

test('invalidate keeps showing rows until their refetch arrives', async () => {
  let version = 'v1';
  const cache = new PageCache<string>(async (offset, limit) => ({ rows: Array.from({ length: limit }, () => version), total: 100 }), () => undefined, 100, 5);
  cache.total = 100;
  cache.ensure(0, 10);
  await settle();
  version = 'v2';
  cache.invalidate();
  assert.equal(cache.row(3), 'v1');
  cache.ensure(0, 10);
  await settle();
  assert.equal(cache.row(3), 'v2');
});
