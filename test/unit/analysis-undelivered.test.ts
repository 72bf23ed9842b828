import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnalysisState } from '../../src/core/engine/session-analysis.ts';
import type { AnalysisConfigInput } from '../../src/core/analysis/config.ts';
import { Traffic } from './analysis-helpers.ts';

function run(t: Traffic, config: AnalysisConfigInput = {}, end?: number): AnalysisState {
  const s = new AnalysisState(config);
  s.addOffsets(t.offsets);
  s.ingest(t.messages);
  s.finish(end);
  return s;
}

const reasons = (s: AnalysisState) => s.finish().undelivered.items.map((i) => [i.seq, i.reason]);

test('RabbitMQ: a publish routed to no queue is unroutable, with the routing key in the explanation', () => {
  const t = new Traffic();
  t.publish({ exchange: 'orders', routingKey: 'order.lost', body: 'x', routed: [] });
  t.publish({ exchange: 'orders', routingKey: 'order.tapped', body: 'y', routed: ['flowscope.tap.123'] });
  t.publish({ exchange: 'orders', routingKey: 'order.seen', body: 'z', routed: null });
  const s = run(t);
  const u = s.finish().undelivered;
  assert.deepEqual(reasons(s), [[1, 'unroutable'], [2, 'unroutable']]);
  assert.match(u.items[0]!.explanation, /order\.lost/);
  assert.match(u.items[1]!.explanation, /Flowscope's own tap/);
  assert.equal(u.items[0]!.destination, 'orders → order.lost');
  assert.deepEqual(u.byReason, { unroutable: 2 });
});

test('RabbitMQ: routed but never delivered within the window, per queue; delivered ones are not reported', () => {
  const t = new Traffic();
  t.publish({ exchange: 'fan', routingKey: '', body: 'both', routed: ['q1', 'q2'] });
  t.wait(5).deliver({ queue: 'q1', routingKey: '', exchange: 'fan', body: 'both' });
  t.wait(5).deliver({ queue: 'q2', routingKey: '', exchange: 'fan', body: 'both' });
  t.publish({ exchange: 'fan', routingKey: '', body: 'half', routed: ['q1', 'q2'] });
  t.wait(5).deliver({ queue: 'q1', routingKey: '', exchange: 'fan', body: 'half' });
  t.wait(2000).publish({ exchange: 'fan', routingKey: 'tick', body: 'later', routed: ['q3'] });
  t.wait(1).deliver({ queue: 'q3', routingKey: 'tick', body: 'later' });
  const s = new AnalysisState({ undelivered: { amqpWindowMs: 1000 } });
  s.ingest(t.messages);
  const u = s.snapshot().undelivered;
  assert.equal(u.total, 1, 'decided once message time passed the window, before the end');
  assert.equal(u.items[0]!.seq, 4);
  assert.equal(u.items[0]!.reason, 'never-delivered');
  assert.match(u.items[0]!.explanation, /"q2".*within 1 s/);
  assert.equal(u.items[0]!.atEnd, false);
});

test('RabbitMQ: identical payloads are matched one delivery per publish, and message ids win over bytes', () => {
  const t = new Traffic();
  for (let i = 0; i < 3; i++) t.publish({ routingKey: 'jobs', body: 'same' });
  t.deliver({ queue: 'jobs', body: 'same' });
  t.deliver({ queue: 'jobs', body: 'same' });
  t.publish({ routingKey: 'jobs', body: 'v1', props: { messageId: 'M' } });
  t.deliver({ queue: 'jobs', body: 'v1-rewritten', props: { messageId: 'M' } });
  const s = run(t);
  const u = s.finish().undelivered;
  assert.equal(u.total, 1);
  assert.equal(u.items[0]!.seq, 3, 'the oldest publishes are the delivered ones');
  assert.equal(u.items[0]!.atEnd, true);
  assert.match(u.items[0]!.explanation, /before the recording ended/);
  assert.equal(u.atEnd, 1);
});

test('RabbitMQ: x-death on a later delivery marks the original as expired, rejected or pushed out by a length limit', () => {
  const t = new Traffic();
  t.publish({ exchange: 'work', routingKey: 'job', body: 'ttl', routed: ['jobs'] });
  t.publish({ exchange: 'work', routingKey: 'job', body: 'bad', routed: ['jobs'] });
  const death = (reason: string) => ({ 'x-death': [{ queue: 'jobs', reason, exchange: 'work', 'routing-keys': ['job'], count: 1 }] });
  t.wait(10).publish({ exchange: 'dlx', routingKey: 'job', body: 'ttl', headers: death('expired'), routed: ['parking'] });
  t.wait(1).deliver({ queue: 'parking', routingKey: 'job', body: 'ttl', headers: death('expired') });
  t.wait(1).deliver({ queue: 'parking', routingKey: 'job', body: 'bad', headers: death('rejected') });
  // Published before the recording: only the dead-letter copy is seen.
  t.wait(1).deliver({ queue: 'parking', routingKey: 'job', body: 'older', headers: death('maxlen') });
  const s = run(t);
  assert.deepEqual(reasons(s), [[1, 'expired'], [2, 'rejected'], [6, 'max-length']]);
  const items = s.finish().undelivered.items;
  assert.match(items[0]!.explanation, /Expired in queue "jobs"/);
  assert.match(items[1]!.explanation, /Rejected by a consumer of queue "jobs"/);
  // Each links to its dead-lettered copy: the first one recorded (the tap of the exchange), the deliveries otherwise.
  assert.deepEqual(items.map((i) => i.deadLetter?.seq), [3, 5, 6]);
  assert.equal(items[2]!.destination, 'work → job', 'a copy without its original is named by where the original went');
});

test('RabbitMQ: basic.return is reported once even when the firehose also saw the unroutable publish', () => {
  const t = new Traffic();
  t.publish({ exchange: 'x', routingKey: 'nobody', body: 'm1', routed: [] });
  t.add({ transport: 'amqp', event: 'return', destKind: 'exchange', destination: 'x', routingKey: 'nobody', payload: new TextEncoder().encode('m1'), meta: { replyCode: 312, replyText: 'NO_ROUTE' } });
  t.add({ transport: 'amqp', event: 'return', destKind: 'exchange', destination: 'x', routingKey: 'nobody', payload: new TextEncoder().encode('m2'), meta: { replyCode: 312, replyText: 'NO_ROUTE' } });
  const s = run(t);
  assert.deepEqual(reasons(s), [[1, 'unroutable'], [3, 'returned']]);
  assert.match(s.finish().undelivered.items[1]!.explanation, /312 NO_ROUTE/);
});

test('Kafka: records no group committed past within the window; consumed ones are not reported', () => {
  const t = new Traffic();
  t.commit('billing', 'orders', 0, 0);
  for (let o = 0; o < 4; o++) t.wait(10).record({ topic: 'orders', offset: o, body: `o${o}` });
  t.wait(500).commit('billing', 'orders', 0, 2); // read 0 and 1
  t.commit('flowscope-tap-1', 'orders', 0, 4); // our own tap: ignored
  t.wait(2000).commit('billing', 'orders', 0, 2);
  const s = new AnalysisState({ undelivered: { kafkaWindowMs: 1000 } });
  s.addOffsets(t.offsets);
  s.ingest(t.messages);
  s.tick(t.time + 60_000);
  const u = s.snapshot().undelivered;
  assert.deepEqual(u.items.map((i) => [i.seq, i.reason]), [[3, 'not-consumed'], [4, 'not-consumed']]);
  assert.match(u.items[0]!.explanation, /offset 2 within 1 s.*"billing", had committed offset 2 on partition 0/);
});

test('Kafka: a topic no consumer group reads; partitions a group has not committed on', () => {
  const t = new Traffic();
  t.record({ topic: 'lonely', offset: 0, body: 'a' });
  t.record({ topic: 'half', partition: 0, offset: 0, body: 'b' });
  t.record({ topic: 'half', partition: 1, offset: 0, body: 'c' });
  t.wait(100).commit('g', 'half', 0, 1);
  const s = run(t);
  assert.deepEqual(reasons(s), [[1, 'no-consumer-group'], [3, 'not-consumed']]);
  const u = s.finish().undelivered;
  assert.equal(u.atEnd, 2, 'the window had not passed when the recording ended');
  assert.match(u.items[0]!.explanation, /No consumer group committed offsets for topic "lonely"/);
  assert.match(u.items[1]!.explanation, /by the end of the recording/);
});

test('WebSocket: frames sent after the peer closed, and frames the proxy could not deliver', () => {
  const t = new Traffic();
  t.wsOpen('c1');
  t.wsOut('c1', 'hello');
  t.wait(5).wsOut('c1', 'while closing', { dropped: true });
  t.wait(5).wsClose('c1', 1000, 'server');
  t.wait(5).wsOut('c1', { jsonrpc: '2.0', method: 'notify' });
  const s = run(t);
  assert.deepEqual(reasons(s), [[3, 'sent-after-close'], [5, 'sent-after-close']]);
  const items = s.finish().undelivered.items;
  assert.match(items[0]!.explanation, /while the server was closing/);
  assert.match(items[1]!.explanation, /after the server had closed the connection \(1000\)/);
});

test('WebSocket: an abnormal drop loses the frames in flight towards the side that died, and its open requests', () => {
  const t = new Traffic();
  t.wsOpen('c1');
  t.wsOut('c1', 'early');
  t.wait(5000).wsOut('c1', { jsonrpc: '2.0', method: 'a', id: 1 });
  t.wait(100).wsIn('c1', 'server push');
  t.wait(100).wsOut('c1', 'just before');
  t.wait(10).wsClose('c1', 1006, 'server');
  const s = run(t);
  assert.deepEqual(reasons(s), [[3, 'lost-on-drop'], [5, 'lost-on-drop']], 'each lost frame once; the push towards the client arrived');
  const r = s.finish();
  assert.equal(r.pairs.unansweredByReason['connection-dropped'], 1);
});

test('WebSocket: JSON-RPC requests left unanswered by a normal close', () => {
  const t = new Traffic();
  t.wsOpen('c1');
  t.wsOut('c1', { jsonrpc: '2.0', method: 'answered', id: 1 });
  t.wsOut('c1', { jsonrpc: '2.0', method: 'ignored', id: 2 });
  t.wait(5).wsIn('c1', { jsonrpc: '2.0', result: 'ok', id: 1 });
  t.wait(5000).wsClose('c1', 1000, 'client');
  const s = run(t);
  assert.deepEqual(reasons(s), [[3, 'unanswered-before-close']]);
  assert.match(s.finish().undelivered.items[0]!.explanation, /Request "ignored" \(id 2\) got no reply before the connection closed \(1000\)/);
});

test('groups by reason and destination with up to 5 examples; the item list is capped, counts exact', () => {
  const t = new Traffic();
  for (let i = 0; i < 12; i++) t.publish({ exchange: 'a', routingKey: 'k', body: `${i}`, routed: [] });
  for (let i = 0; i < 3; i++) t.publish({ exchange: 'b', routingKey: 'k', body: `${i}`, routed: [] });
  const s = run(t, { undelivered: { maxItems: 4 } });
  const u = s.finish().undelivered;
  assert.equal(u.total, 15);
  assert.equal(u.items.length, 4);
  assert.equal(u.truncated, true);
  const groups = s.undeliveredGroups();
  assert.deepEqual(groups.map((g) => [g.reason, g.destination, g.count, g.examples]), [
    ['unroutable', 'a → k', 12, [1, 2, 3, 4, 5]],
    ['unroutable', 'b → k', 3, [13, 14, 15]],
  ]);
  assert.equal(s.undeliveredPage({ offset: 2, limit: 10 }).rows.length, 2);
});

test('Kafka: on a topic no group reads, records are judged as message time passes their window, so what waits is a window of records, not the recording', () => {
  const t = new Traffic();
  const s = new AnalysisState();
  let most = 0;
  // Ten minutes at 100 records a second on three partitions, and no consumer group polled at all.
  const seconds = 600;
  const offsets = [0, 0, 0];
  for (let sec = 0; sec < seconds; sec++) {
    for (let i = 0; i < 100; i++) {
      const partition = i % 3;
      t.wait(10).record({ topic: 'unread', partition, offset: offsets[partition]!++, body: `r${sec}.${i}` });
    }
    s.ingest(t.drain().messages);
    most = Math.max(most, s.snapshot().undelivered.pending);
  }
  // The default 30 s window, 10 s for polls that changed nothing, 1 s between judgements.
  assert.ok(most <= 41 * 100, `at most ${most} records waited`);
  const u = s.finish().undelivered;
  assert.equal(u.total, seconds * 100, 'every record is counted once');
  assert.deepEqual(u.byReason, { 'no-consumer-group': seconds * 100 });
  assert.equal(u.atEnd, 30 * 100, 'those whose window had not passed when the recording ended');
  assert.equal(s.undeliveredGroups()[0]!.count, seconds * 100);
});

test('Kafka: a group that stopped committing: its topic is judged by message time, within the window', () => {
  const t = new Traffic();
  t.commit('billing', 'orders', 0, 0);
  for (let o = 0; o < 100; o++) t.wait(1000).record({ topic: 'orders', offset: o, body: `o${o}` });
  const s = new AnalysisState();
  s.addOffsets(t.offsets);
  s.ingest(t.messages);
  const u = s.snapshot().undelivered;
  assert.ok(u.total > 0 && u.pending < 100, `judged ${u.total} before the end, ${u.pending} waiting`);
  assert.match(u.items[0]!.explanation, /No consumer group read offset 0 within 30 s: the furthest group, "billing", had committed offset 0/);
  assert.equal(s.finish().undelivered.total, 100);
});

test('Kafka: records a group had already committed past are decided as they arrive (a catch-up of a read topic holds none of them), with the same answer', () => {
  const t = new Traffic();
  t.commit('billing', 'orders', 0, 5000);
  t.commit('billing', 'orders', 1, 0);
  t.commit('flowscope-tap-1', 'orders', 1, 6000); // our own tap: ignored
  for (let o = 0; o < 6000; o++) t.wait(1).record({ topic: 'orders', partition: o % 2, offset: o >> 1, body: `o${o}` });
  const s = new AnalysisState();
  s.addOffsets(t.offsets);
  s.ingest(t.messages);
  // Partition 0's 3,000 records are all below billing's 5000; partition 1's are above its 0.
  assert.equal(s.snapshot().undelivered.pending, 3000, 'only records no commit covers wait');
  const restored = AnalysisState.restore(s.save());
  for (const [how, state] of Object.entries({ live: s, restored })) {
    const u = state.finish().undelivered;
    assert.deepEqual(u.byReason, { 'not-consumed': 3000 }, `${how}: partition 1's records, unread`);
    assert.ok(u.items.every((i) => i.seq % 2 === 0), `${how}: only partition 1 (odd offsets in time order: even seqs)`);
  }
});
