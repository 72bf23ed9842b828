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

/** An AMQP RPC call as the firehose records it: request publish + delivery, reply publish + delivery. */
function rpc(t: Traffic, id: string, latency: number, replyQueue = 'amq.gen-client1'): void {
  const props = { correlationId: id, replyTo: replyQueue };
  t.publish({ routingKey: 'rpc_queue', body: `req ${id}`, props });
  t.wait(1).deliver({ queue: 'rpc_queue', body: `req ${id}`, props });
  t.wait(latency - 1).publish({ routingKey: replyQueue, body: `res ${id}`, props: { correlationId: id } });
  t.wait(1).deliver({ queue: replyQueue, body: `res ${id}`, props: { correlationId: id } });
}

test('AMQP RPC seen by the firehose: publish and delivery views count once, latency from request to reply', () => {
  const t = new Traffic();
  rpc(t, 'a', 40);
  t.wait(100);
  rpc(t, 'b', 60);
  const r = run(t).finish();
  assert.equal(r.pairs.matched, 2);
  assert.equal(r.pairs.unanswered, 0);
  assert.equal(r.pairs.orphans, 0, 'the reply delivery is not an orphan');
  assert.equal(r.pairs.duplicates, 0, 'the reply delivery is not a duplicate');
  assert.deepEqual([r.pairs.latencyMs.p50, r.pairs.latencyMs.max], [40, 60]);
  const dest = r.pairs.byDestination[0]!;
  assert.equal(dest.destination, 'rpc_queue', 'default-exchange requests are named by their queue');
  assert.equal(dest.matched, 2);
});

test('pairsPage lists pairs with request, reply, destinations and latency', () => {
  const t = new Traffic();
  rpc(t, 'a', 25);
  const s = run(t);
  const page = s.pairsPage({ limit: 10 });
  assert.equal(page.total, 1);
  const p = page.rows[0]!;
  assert.deepEqual(
    [p.status, p.correlationId, p.requestSeq, p.replySeq, p.destination, p.replyDestination, p.latencyMs],
    ['matched', 'a', 1, 3, 'rpc_queue', 'amq.gen-client1', 25],
  );
  assert.equal(p.replyTime! - p.requestTime!, 25);
});

test('unanswered: after the timeout while recording, and at the end of the recording', () => {
  const t = new Traffic();
  t.publish({ routingKey: 'rpc_queue', body: 'old', props: { correlationId: 'old', replyTo: 'replies' } });
  t.wait(5000);
  const live = new AnalysisState({ pairing: { timeoutMs: 1000 } });
  live.ingest(t.messages);
  live.tick(t.time + 10_000);
  assert.equal(live.snapshot().pairs.unanswered, 1, 'the live clock times the request out');

  t.publish({ routingKey: 'rpc_queue', body: 'young', props: { correlationId: 'young', replyTo: 'replies' } });
  t.wait(300).publish({ routingKey: 'other', body: 'noise', props: {} });
  const s = new AnalysisState({ pairing: { timeoutMs: 1000 } });
  s.ingest(t.messages);
  const before = s.snapshot();
  assert.equal(before.pairs.unanswered, 1, 'message time passing the timeout decides the old one');
  assert.equal(before.pairs.pending, 1, 'the young one is still waiting');
  const after = s.finish();
  assert.equal(after.pairs.unanswered, 2);
  assert.deepEqual(after.pairs.unansweredByReason, { timeout: 1, 'session-ended': 1 });
  assert.equal(after.pairs.pending, 0);
  const rows = s.pairsPage({ limit: 10, status: 'unanswered' }).rows;
  assert.deepEqual(rows.map((r) => [r.correlationId, r.reason]), [['old', 'timeout'], ['young', 'session-ended']]);
});

test('a reply after the timeout is late: the request stays unanswered and shows the reply', () => {
  const t = new Traffic();
  t.publish({ routingKey: 'rpc_queue', body: 'q', props: { correlationId: 'slow', replyTo: 'replies' } });
  t.wait(2500).publish({ routingKey: 'replies', body: 'r', props: { correlationId: 'slow' } });
  const s = run(t, { pairing: { timeoutMs: 1000 } });
  const r = s.finish();
  assert.deepEqual([r.pairs.matched, r.pairs.unanswered, r.pairs.late, r.pairs.orphans], [0, 1, 1, 0]);
  const row = s.pairsPage({ limit: 1, status: 'unanswered' }).rows[0]!;
  assert.equal(row.late, true);
  assert.equal(row.latencyMs, 2500);
  assert.equal(row.replySeq, 2);
});

test('orphan replies: a JSON-RPC result with no request, and a reply on a known reply queue', () => {
  const t = new Traffic();
  t.wsOpen('c1');
  t.wsIn('c1', { jsonrpc: '2.0', result: 1, id: 99 });
  rpc(t, 'seen', 10, 'replies');
  t.publish({ routingKey: 'replies', body: 'stray', props: { correlationId: 'never-asked' } });
  t.wait(1).deliver({ queue: 'replies', body: 'stray', props: { correlationId: 'never-asked' } });
  const s = run(t);
  const r = s.finish();
  assert.equal(r.pairs.orphans, 2, 'the delivery of the stray reply is the same orphan, not a second one');
  assert.equal(r.pairs.matched, 1);
  assert.equal(r.pairs.unanswered, 0);
  const orphans = s.pairsPage({ limit: 10, status: 'orphan' }).rows;
  assert.deepEqual(orphans.map((o) => o.correlationId).sort(), ['99', 'never-asked']);
});

test('duplicate replies: a second, different reply; the same reply published twice; a redelivery is not one', () => {
  const t = new Traffic();
  rpc(t, 'x', 10, 'replies');
  t.wait(5).publish({ routingKey: 'replies', body: 'res x again', props: { correlationId: 'x' } });
  rpc(t, 'y', 10, 'replies');
  t.wait(5).publish({ routingKey: 'replies', body: 'res y', props: { correlationId: 'y' } });
  rpc(t, 'z', 10, 'replies');
  t.wait(5).deliver({ queue: 'replies', body: 'res z', props: { correlationId: 'z' }, redelivered: true });
  const r = run(t).finish();
  assert.equal(r.pairs.matched, 3);
  assert.equal(r.pairs.duplicates, 2);
  assert.equal(r.pairs.orphans, 0);
});

test('Kafka request/reply by correlation header, implicit requests, reply on another topic', () => {
  const t = new Traffic();
  t.record({ topic: 'orders.request', offset: 0, body: 'q1', headers: { 'correlation-id': 'k1' } });
  t.wait(3).record({ topic: 'orders.request', offset: 1, body: 'q1', headers: { 'correlation-id': 'k1' } });
  t.wait(12).record({ topic: 'orders.reply', offset: 0, body: 'r1', headers: { 'correlation-id': 'k1' } });
  t.record({ topic: 'orders.request', offset: 2, body: 'q2', headers: { 'correlation-id': 'k2', 'reply-to': 'orders.reply' } });
  t.wait(5).record({ topic: 'audit', offset: 0, body: 'a2', headers: { 'correlation-id': 'k2' } });
  t.wait(5).record({ topic: 'orders.reply', offset: 1, body: 'r2', headers: { 'correlation-id': 'k2' } });
  const s = run(t);
  const r = s.finish();
  assert.equal(r.pairs.matched, 2);
  const rows = s.pairsPage({ limit: 10, status: 'matched' }).rows;
  assert.deepEqual(rows.map((p) => [p.correlationId, p.latencyMs, p.replyDestination]), [['k1', 15, 'orders.reply'], ['k2', 10, 'orders.reply']]);
  assert.equal(r.pairs.unanswered, 0, 'the re-sent request is not a second conversation');

  const traced = new Traffic();
  const tp = (n: number) => ({ traceparent: `00-4bf92f3577b34da6a3ce929d0e0e473${n}-00f067aa0ba902b7-01` });
  for (let i = 0; i < 5; i++) traced.record({ topic: 'events', offset: i, body: `e${i}`, headers: tp(i) });
  traced.record({ topic: 'rpc', offset: 0, body: 'ask', headers: { ...tp(9), 'reply-to': 'answers' } });
  traced.wait(4).record({ topic: 'answers', offset: 0, body: 'told', headers: tp(9) });
  const r3 = run(traced).finish();
  assert.deepEqual([r3.pairs.unanswered, r3.pairs.matched], [0, 1], 'trace ids relate messages but open no conversation by themselves');

  const off = new Traffic();
  off.record({ topic: 'events', offset: 0, body: 'e', headers: { 'correlation-id': 'e1' } });
  const r2 = run(off, { pairing: { implicitRequests: false } }).finish();
  assert.equal(r2.pairs.unanswered, 0, 'with implicit requests off, a bare correlation id opens nothing');
});

test('WebSocket JSON-RPC ids are scoped per connection and direction', () => {
  const t = new Traffic();
  t.wsOpen('c1');
  t.wsOpen('c2');
  t.wsOut('c1', { jsonrpc: '2.0', method: 'add', params: [1, 2], id: 1 });
  t.wait(5).wsOut('c2', { jsonrpc: '2.0', method: 'mul', params: [3, 4], id: 1 });
  t.wait(2).wsIn('c2', { jsonrpc: '2.0', method: 'confirm', id: 1 }); // server asks the client, same id
  t.wait(3).wsIn('c2', { jsonrpc: '2.0', result: 12, id: 1 });
  t.wait(4).wsOut('c2', { jsonrpc: '2.0', result: true, id: 1 });
  t.wait(10).wsIn('c1', { jsonrpc: '2.0', result: 3, id: 1 });
  const s = run(t);
  const r = s.finish();
  assert.equal(r.pairs.matched, 3);
  assert.equal(r.pairs.orphans + r.pairs.duplicates + r.pairs.unanswered, 0);
  const rows = s.pairsPage({ limit: 10 }).rows;
  assert.deepEqual(
    rows.map((p) => [p.method, p.latencyMs]),
    [['mul', 5], ['confirm', 7], ['add', 24]],
  );
});

test('a WebSocket request its connection closed on is unanswered at once', () => {
  const t = new Traffic();
  t.wsOpen('c1');
  t.wsOut('c1', { jsonrpc: '2.0', method: 'slow', id: 'a' });
  t.wait(10).wsClose('c1', 1000, 'server');
  t.wait(1).wsOut('c1', { jsonrpc: '2.0', method: 'late', id: 'b' }, { dropped: true });
  const s = new AnalysisState();
  s.ingest(t.messages);
  const r = s.snapshot();
  assert.equal(r.pairs.unanswered, 2, 'decided before any timeout');
  assert.deepEqual(r.pairs.unansweredByReason, { 'connection-closed': 1, 'sent-after-close': 1 });
});

test('a reply stored after a later-timestamped message still pairs (times of two connectors interleave)', () => {
  const t = new Traffic();
  t.publish({ routingKey: 'rpc_queue', body: 'q', props: { correlationId: 'i', replyTo: 'replies' } });
  t.wait(1500).record({ topic: 'noise', offset: 0, body: 'n' });
  t.add({ ...t.messages[0]!, event: 'publish', routingKey: 'replies', payload: new TextEncoder().encode('r'), properties: { correlationId: 'i' }, replyTo: null, time: t.time - 600 });
  const r = run(t, { pairing: { timeoutMs: 1000 } }).finish();
  assert.deepEqual([r.pairs.matched, r.pairs.unanswered], [1, 0]);
  assert.equal(r.pairs.latencyMs.max, 900);
});

test('lists are capped while counts and page totals stay exact', () => {
  const t = new Traffic();
  for (let i = 0; i < 50; i++) rpc(t, `id${i}`, 5 + i, 'replies');
  const s = run(t, { pairing: { maxListedMatched: 10 } });
  const r = s.finish();
  assert.equal(r.pairs.matched, 50);
  const page = s.pairsPage({ limit: 100, status: 'matched' });
  assert.equal(page.total, 50);
  assert.equal(page.listed, 10);
  assert.equal(s.pairsPage({ offset: 8, limit: 5 }).rows.length, 2);
  assert.equal(s.pairsPage({ limit: 5, destination: 'rpc_queue' }).total, 50);
  assert.equal(s.pairsPage({ limit: 5, destination: 'nowhere' }).total, 0);
  assert.equal(r.pairs.latencyMs.p50, 29);
  assert.equal(r.pairs.latencyMs.max, 54);
});

test('open requests are bounded: the oldest is given up as unanswered', () => {
  const t = new Traffic();
  for (let i = 0; i < 20; i++) t.wait(1).publish({ routingKey: 'rpc_queue', body: `q${i}`, props: { correlationId: `o${i}`, replyTo: 'r' } });
  const s = new AnalysisState({ pairing: { maxOpen: 5 } });
  s.ingest(t.messages);
  const r = s.snapshot();
  assert.equal(r.pairs.pending, 5);
  assert.equal(r.pairs.unansweredByReason.evicted, 15);
});

test('a pairs page filtered by an exchange lists the pairs of every routing key through it', () => {
  const t = new Traffic();
  for (const [key, id] of [['order.create', 'x1'], ['order.cancel', 'x2']] as const) {
    const props = { correlationId: id, replyTo: 'replies' };
    t.publish({ exchange: 'orders', routingKey: key, body: `req ${id}`, props });
    t.wait(5).publish({ routingKey: 'replies', body: `res ${id}`, props: { correlationId: id } });
  }
  t.publish({ exchange: 'billing', routingKey: 'invoice', body: 'req y', props: { correlationId: 'y', replyTo: 'replies' } });
  const s = run(t);
  const byExchange = s.pairsPage({ limit: 10, destination: 'orders' });
  assert.deepEqual(byExchange.rows.map((p) => p.correlationId).sort(), ['x1', 'x2']);
  assert.equal(s.pairsPage({ limit: 10, destination: 'orders → order.create' }).rows.length, 1, 'a full label still matches exactly');
  assert.equal(s.pairsPage({ limit: 10, destination: 'ord' }).rows.length, 0, 'a bare prefix of a name is not a match');
});
