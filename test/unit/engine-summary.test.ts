import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Engine } from '../../src/core/engine/engine.ts';
import { SessionStore } from '../../src/core/store/session-store.ts';
import type { CapturedMessage } from '../../src/shared/model.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { Traffic } from './analysis-helpers.ts';

const CALLS = 6;
const GAP_MS = 1000;
const LATENCY_MS = 40;

/** A saved session of AMQP RPC calls one second apart, each answered 40 ms later. */
function recordedCalls(file: string): number {
  const t = new Traffic();
  const start = t.time;
  for (let i = 0; i < CALLS; i++) {
    t.time = start + i * GAP_MS;
    const props = { correlationId: `call-${i}`, replyTo: 'amq.gen-client' };
    t.publish({ routingKey: 'rpc_queue', body: `req ${i}`, props });
    t.wait(LATENCY_MS).publish({ routingKey: 'amq.gen-client', body: `res ${i}`, props: { correlationId: `call-${i}` } });
  }
  const store = SessionStore.create(file, { flowscope_version: 'test' });
  store.insertBatch(t.messages.map(({ seq: _seq, size: _size, ...m }): CapturedMessage => m));
  store.close();
  return start;
}

test('the summary until a time counts what had happened by then, as playback seeked there shows it', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'calls.flowscope');
  const start = recordedCalls(file);
  const engine = new Engine({ dataDir: dir, version: 'test', transport: 'bridge' });
  try {
    const { id: sessionId } = await engine.call('renderer:session:open', { path: file });
    const at = async (untilTime: number) => (await engine.call('renderer:analysis:summary', { sessionId, untilTime })).pairs;

    assert.equal((await engine.call('renderer:analysis:summary', { sessionId })).pairs.matched, CALLS, 'the whole session');
    assert.equal((await at(start - 1)).matched, 0, 'before the first call');
    // Half-way: three calls answered; the fourth request is out and its reply not yet.
    assert.equal((await at(start + 2 * GAP_MS + LATENCY_MS)).matched, 3);
    const mid = await at(start + 3 * GAP_MS + LATENCY_MS / 2);
    assert.equal(mid.matched, 3);
    assert.equal(mid.unanswered, 0, 'a reply still inside its timeout is not missing yet');
    assert.equal((await at(start + 3 * GAP_MS + LATENCY_MS)).matched, 4, 'the reply lands at its own time');
    assert.equal((await at(start + (CALLS - 1) * GAP_MS + LATENCY_MS)).matched, CALLS);

    // The same figure the views show when playback seeks to that time.
    const t = start + 2 * GAP_MS + LATENCY_MS / 2;
    await engine.call('renderer:playback:control', { sessionId, action: 'seek', time: t });
    const played = await engine.call('renderer:analysis:summary', { sessionId });
    assert.deepEqual(await engine.call('renderer:analysis:summary', { sessionId, untilTime: t }), played);
    assert.equal(played.pairs.matched, 2);
  } finally {
    await engine.shutdown();
  }
});
