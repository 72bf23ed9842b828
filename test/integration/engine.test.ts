import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Engine } from '../../src/core/engine/engine.ts';
import type { PlaybackState, TrafficBatch } from '../../src/shared/api.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';

/** What the UI sees through the InspectorApi, for a live demo recording and its saved file. */
test('the engine records the demo live, analyses it, and gives the same answers over the saved file and in playback', async () => {
  const dir = tmpDir();
  const engine = new Engine({ dataDir: dir, version: 'test', transport: 'bridge' });
  const batches: TrafficBatch[] = [];
  const playback: PlaybackState[] = [];
  engine.onEvent((msg) => {
    if (msg.event === 'main:traffic:batch') batches.push(msg.payload);
    if (msg.event === 'main:playback:state') playback.push(msg.payload);
  });
  const file = path.join(dir, 'demo.flowscope');
  const created = await engine.call('renderer:session:new', { path: file });
  await engine.call('renderer:demo:start', { sessionId: created.id });

  const live = await waitFor(
    'the demo to produce answered requests, fan-out and undelivered notifications',
    async () => {
      const s = await engine.call('renderer:analysis:summary', { sessionId: created.id });
      return s.pairs.matched >= 20 && s.topology.edges.length >= 3 ? s : null;
    },
    60_000,
  );
  assert.ok(live.topology.nodes.some((n) => n.kind === 'ws-server'));
  // Live updates come in batches, never one event per message.
  const total = batches[batches.length - 1]!.total;
  assert.ok(batches.length < total, `${batches.length} batch events for ${total} messages`);
  assert.ok(batches.every((b) => b.newest.length <= 200));

  // Filters run in the store: a correlation id narrows the list to a request and its reply.
  const page = await engine.call('renderer:analysis:pairs', {
    sessionId: created.id,
    offset: 0,
    limit: 5,
    status: 'matched',
  });
  const { correlationId, requestSeq, replySeq } = page.rows[0]!;
  assert.ok(requestSeq !== null && replySeq !== null, 'a matched pair has its request and its reply');
  const { rows } = await engine.call('renderer:messages:query', {
    sessionId: created.id,
    filter: { correlationId, seqs: [requestSeq, replySeq] },
    limit: 10,
  });
  assert.deepEqual(rows.map((r) => r.seq).sort((a, b) => a - b), [requestSeq, replySeq].sort((a, b) => a - b));

  await engine.call('renderer:session:close', { sessionId: created.id });

  // Reopened: the saved session's analysis is final and consistent with what was recorded.
  const reopened = await engine.call('renderer:session:open', { path: file });
  assert.equal(reopened.live, false);
  assert.ok(reopened.messageCount >= total);
  const saved = await engine.call('renderer:analysis:summary', { sessionId: reopened.id });
  assert.ok(saved.pairs.matched >= live.pairs.matched);
  assert.ok(saved.undelivered.total > 0, 'the demo sends notifications to peers that already closed');

  // Playback at max speed rebuilds the same analysis as the saved session.
  await engine.call('renderer:playback:control', { sessionId: reopened.id, action: 'speed', speed: 'max' });
  await engine.call('renderer:playback:control', { sessionId: reopened.id, action: 'play' });
  await waitFor('playback to reach the end', () => playback.some((p) => !p.playing && p.playhead !== null && p.playhead >= (p.to ?? Infinity)), 60_000);
  const played = await engine.call('renderer:analysis:summary', { sessionId: reopened.id });
  assert.equal(played.pairs.matched, saved.pairs.matched);
  assert.equal(played.topology.nodes.length, saved.topology.nodes.length);

  // Seeking back to the start shows nothing yet, as if the traffic had not happened.
  const first = reopened.firstTime!;
  await engine.call('renderer:playback:control', { sessionId: reopened.id, action: 'seek', time: first - 1 });
  const atStart = await engine.call('renderer:messages:query', { sessionId: reopened.id, filter: {}, limit: 5, withTotal: true });
  assert.equal(atStart.total, 0);
  await engine.call('renderer:playback:control', { sessionId: reopened.id, action: 'stop' });
  const after = await engine.call('renderer:messages:query', { sessionId: reopened.id, filter: {}, limit: 5, withTotal: true });
  assert.equal(after.total, reopened.messageCount);
  await engine.shutdown();
});

test('the engine refuses bad requests with a message, not a crash', async () => {
  const engine = new Engine({ dataDir: tmpDir(), version: 'test', transport: 'bridge' });
  await assert.rejects(engine.handle('renderer:nope', {}), /Unknown channel/);
  await assert.rejects(engine.handle('renderer:messages:query', { sessionId: 'x', filter: {}, limit: 100000 }), /Invalid request.*limit/);
  await assert.rejects(engine.handle('renderer:session:info', { sessionId: 'missing' }), /No open session/);
  await assert.rejects(
    engine.handle('renderer:endpoint:connect', { sessionId: 'x', spec: { kind: 'kafka', brokers: ['no port'], topics: ['t'] } }),
    /brokers are host:port/,
  );
  await engine.shutdown();
});
