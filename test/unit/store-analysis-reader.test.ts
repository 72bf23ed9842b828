import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { MixedTraffic } from './analysis-traffic.ts';

test("the analysis's page reader gives exactly the messages `page` gives, without the record key it never reads", () => {
  const store = SessionStore.create(path.join(tmpDir(), 'reader.flowscope'));
  try {
    const gen = new MixedTraffic(31);
    for (const part of [gen.take(12_000), gen.end()]) {
      store.insertBatch(part.messages.map(({ seq, size: _z, ...m }) => ({ ...m, key: seq % 7 === 0 ? Buffer.from(`k${seq}`) : null })));
    }
    let seq = 0;
    let n = 0;
    for (;;) {
      const fast = store.pageForAnalysis(seq, 2500);
      for (const m of fast) assert.equal('key' in m, false);
      assert.deepEqual(fast, store.page(seq, 2500).map(({ key: _k, ...m }) => m));
      if (fast.length === 0) break;
      n += fast.length;
      seq = fast[fast.length - 1]!.seq;
    }
    assert.equal(n, store.lastSeq);
  } finally {
    store.close();
  }
});
