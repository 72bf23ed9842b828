import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Engine } from '../../src/core/engine/engine.ts';
import { SessionStore } from '../../src/core/store/session-store.ts';
import type { CapturedMessage } from '../../src/shared/model.ts';
import type { DecoderSettings } from '../../src/shared/decoders.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { SHOP_PROTO, confluent, pbOrders, pbReplies } from '../helpers/schema-encoders.ts';

/**
 * A session recorded without decoders (or without --json-path) pairs by a decoded Protobuf
 * field once it has both: the analysis reads decoded bodies, and is computed again when the
 * decoders change, not taken from what the file kept under the old ones.
 */
const settings: DecoderSettings = {
  rules: [{ match: 'rpc.*', format: 'protobuf' }],
  schemas: [{ name: 'shop.proto', kind: 'proto', text: SHOP_PROTO, ids: [5] }],
};

function traffic(n: number): CapturedMessage[] {
  const base = { transport: 'kafka', endpoint: 'k', event: 'publish', destKind: 'topic' } as const;
  const ids = Array.from({ length: n }, (_, i) => `o-${i}`);
  const requests = pbOrders(ids.map((id) => ({ id, quantity: 1n, price: 1, lines: [], paid: false })));
  const replies = pbReplies(ids.map((id) => ({ id, accepted: true })));
  const out: CapturedMessage[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ ...base, time: 1000 + i * 10, destination: 'rpc.requests', payload: confluent(5, requests[i]!, [0]) });
    if (i % 3 !== 2) out.push({ ...base, time: 1005 + i * 10, destination: 'rpc.replies', payload: confluent(5, replies[i]!, [1]) });
  }
  return out;
}

test('pairs by a decoded Protobuf field: after the decoders are set on a saved session, and on reopening it', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 's.flowscope');
  const store = SessionStore.create(file);
  const msgs = traffic(9);
  store.insertBatch(msgs);
  store.close();
  const answered = msgs.filter((m) => m.destination === 'rpc.replies').length;

  const engine = new Engine({ dataDir: dir, version: 'test', transport: 'bridge', analysis: { correlation: { jsonPaths: ['order_id'] } } });
  try {
    const s = engine.openSession(file);
    await s.analysisRead();
    assert.equal(s.analysisReader().summary().pairs.matched, 0, 'undecoded, nothing pairs');
    await engine.call('renderer:session:set-decoders', { sessionId: s.id, settings });
    await s.analysisRead();
    const summary = s.analysisReader().summary();
    assert.equal(summary.pairs.matched, answered);
    assert.equal(summary.pairs.unanswered, 9 - answered);
    await engine.closeSession(s.id);

    const again = engine.openSession(file);
    await again.analysisRead();
    assert.equal(again.analysisReader().summary().pairs.matched, answered, 'reopened with the settings the file keeps');
    // As it stood half-way (what playback seeked there shows): the pairs up to then, by the decoded field too.
    const half = msgs[Math.floor(msgs.length / 2)]!.time;
    const before = msgs.filter((m) => m.destination === 'rpc.replies' && m.time <= half).length;
    const at = await engine.call('renderer:analysis:summary', { sessionId: again.id, untilTime: half });
    assert.equal(at.pairs.matched, before);
    const detail = again.detail(2);
    assert.equal(detail?.decoded?.typeName, 'shop.OrderReply');
  } finally {
    await engine.shutdown();
  }
});
