import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnalysisState } from '../../src/core/engine/session-analysis.ts';
import { Traffic } from './analysis-helpers.ts';

// RabbitMQ shapes as the connector records them: firehose publishes and deliveries, and
// dead-lettered copies from the tap of a dead-letter exchange (routing unknown, x-death set).

const death = (queue: string, reason: string, count = 1) => ({
  'x-death': [{ queue, reason, count, exchange: 'work', 'routing-keys': ['job'], time: 1_700_000_000 }],
});

test('direct reply-to: a reply published to amq.rabbitmq.reply-to.* is delivered, whether routed nowhere or to a pseudo-queue', () => {
  const t = new Traffic();
  t.publish({ routingKey: 'rpc', body: 'q1', props: { correlationId: 'c1', replyTo: 'amq.rabbitmq.reply-to' } });
  t.deliver({ queue: 'rpc', body: 'q1', props: { correlationId: 'c1', replyTo: 'amq.rabbitmq.reply-to.g1h2AA.abc' } });
  t.wait(3).publish({ routingKey: 'amq.rabbitmq.reply-to.g1h2AA.abc', body: 'a1', props: { correlationId: 'c1' }, routed: [] });
  // A newer broker names a volatile queue for it; no delivery is ever traced.
  t.wait(3).publish({ routingKey: 'amq.rabbitmq.reply-to.g1h2AA.def', body: 'a2', props: { correlationId: 'c2' }, routed: ['amq.rabbitmq.reply-to.g1h2AA.def'] });
  // A real unroutable publish next to them is still reported.
  t.publish({ exchange: 'orders', routingKey: 'nobody', body: 'lost', routed: [] });
  const s = new AnalysisState({ undelivered: { amqpWindowMs: 1000 } });
  s.ingest(t.messages);
  const r = s.finish(t.time + 60_000);
  assert.deepEqual(r.undelivered.items.map((i) => [i.seq, i.reason]), [[5, 'unroutable']]);
  assert.equal(r.pairs.matched, 1);
});

test('a stream queue the connector marked untraced is not waited for', () => {
  const t = new Traffic();
  const p = t.publish({ exchange: 'events', routingKey: 'e', body: 'x', routed: ['stream.q', 'classic.q'] });
  p.meta = { ...p.meta, untracedQueues: ['stream.q'] };
  t.wait(2).deliver({ queue: 'classic.q', routingKey: 'e', exchange: 'events', body: 'x' });
  const q = t.publish({ exchange: 'events', routingKey: 'e', body: 'y', routed: ['stream.q'] });
  q.meta = { ...q.meta, untracedQueues: ['stream.q'] };
  const s = new AnalysisState();
  s.ingest(t.messages);
  assert.equal(s.finish().undelivered.total, 0);
});

test('a consumer rejects a delivered message: the original is reported rejected, linked to the dead-lettered copy', () => {
  const t = new Traffic();
  t.publish({ exchange: 'work', routingKey: 'job', body: 'bad', routed: ['jobs'] });
  t.wait(2).deliver({ queue: 'jobs', routingKey: 'job', exchange: 'work', body: 'bad' });
  t.wait(1).publish({ exchange: 'dlx', routingKey: 'job', body: 'bad', headers: death('jobs', 'rejected'), routed: null });
  // The same copy delivered from the dead-letter queue is the same dead-lettering.
  t.wait(1).deliver({ queue: 'parking', routingKey: 'job', exchange: 'dlx', body: 'bad', headers: death('jobs', 'rejected') });
  const s = new AnalysisState();
  s.ingest(t.messages);
  const u = s.finish().undelivered;
  assert.equal(u.total, 1);
  const item = u.items[0]!;
  assert.deepEqual([item.seq, item.reason, item.destination], [1, 'rejected', 'work → job']);
  assert.deepEqual(item.deadLetter, {
    seq: 3,
    queue: 'jobs',
    reason: 'rejected',
    count: 1,
    exchange: 'work',
    routingKeys: ['job'],
    deadLetterExchange: 'dlx',
    deadLetterRoutingKey: 'job',
    deadLetterQueues: [],
  });
  assert.match(item.explanation, /^Rejected by a consumer of queue "jobs" without requeue .*; dead-lettered to exchange "dlx"/);
  const [g] = s.undeliveredGroups();
  assert.deepEqual(g!.chains, [{ seq: 1, deadLetter: item.deadLetter }]);
});

test('a TTL longer than the window: the never-delivered verdict becomes expired when the dead-lettered copy arrives', () => {
  const t = new Traffic();
  t.publish({ exchange: 'work', routingKey: 'job', body: 'slow', routed: ['jobs'] });
  t.publish({ exchange: 'work', routingKey: 'other', body: 'stuck', routed: ['jobs'] });
  t.wait(5000).publish({ exchange: 'work', routingKey: 'tick', body: 'later', routed: ['ticks'] });
  t.wait(1).deliver({ queue: 'ticks', routingKey: 'tick', exchange: 'work', body: 'later' });
  const live = new AnalysisState({ undelivered: { amqpWindowMs: 1000 } });
  live.ingest(t.drain().messages);
  assert.deepEqual(live.snapshot().undelivered.byReason, { 'never-delivered': 2 });

  t.wait(10_000).publish({ exchange: 'dlx', routingKey: 'job', body: 'slow', headers: death('jobs', 'expired'), routed: null });
  live.ingest(t.drain().messages);
  const u = live.finish().undelivered;
  assert.deepEqual(u.byReason, { 'never-delivered': 1, expired: 1 }, 'counted once, under its real reason');
  assert.equal(u.total, 2);
  assert.deepEqual(u.items.map((i) => [i.seq, i.reason, i.deadLetter?.seq ?? null]), [[1, 'expired', 5], [2, 'never-delivered', null]]);
  const groups = live.undeliveredGroups().map((g) => [g.reason, g.destination, g.count, g.examples]);
  assert.deepEqual(groups.sort(), [['expired', 'work → job', 1, [1]], ['never-delivered', 'work → other', 1, [2]]]);
});

test('max length and delivery limit each keep their own reason', () => {
  const t = new Traffic();
  t.publish({ exchange: 'work', routingKey: 'job', body: 'a', routed: ['jobs'] });
  t.publish({ exchange: 'work', routingKey: 'job', body: 'b', routed: ['jobs'] });
  t.wait(1).publish({ exchange: 'dlx', routingKey: 'job', body: 'a', headers: death('jobs', 'maxlen'), routed: null });
  t.wait(1).deliver({ queue: 'jobs', routingKey: 'job', exchange: 'work', body: 'b' });
  t.wait(1).deliver({ queue: 'jobs', routingKey: 'job', exchange: 'work', body: 'b', redelivered: true });
  t.wait(1).publish({ exchange: 'dlx', routingKey: 'job', body: 'b', headers: death('jobs', 'delivery_limit'), routed: null });
  const s = new AnalysisState();
  s.ingest(t.messages);
  const u = s.finish().undelivered;
  assert.deepEqual(u.items.map((i) => [i.seq, i.reason, i.deadLetter?.seq]), [[1, 'max-length', 3], [2, 'delivery-limit', 6]]);
  assert.match(u.items[0]!.explanation, /Pushed out of queue "jobs" by its length limit/);
  assert.match(u.items[1]!.explanation, /more often than its delivery limit allows/);
});

test('the flow graph draws a dead-lettered copy as queue → dead-letter exchange → dead-letter queue', () => {
  const t = new Traffic();
  t.publish({ exchange: 'work', routingKey: 'job', body: 'x', routed: ['jobs'] });
  const copy = t.wait(1).publish({ exchange: 'dlx', routingKey: 'job', body: 'x', headers: death('jobs', 'expired'), routed: null });
  copy.meta = { source: 'dead-letter', deadLetterQueues: ['parked'] };
  const s = new AnalysisState();
  s.ingest(t.messages);
  const topo = s.finish().topology;
  const label = new Map(topo.nodes.map((n) => [n.id, `${n.kind}:${n.label}`]));
  const edges = topo.edges.map((e) => `${label.get(e.source)} -${e.via}-> ${label.get(e.target)}`).sort();
  assert.ok(edges.includes('queue:jobs -dead-letter-> exchange:dlx'), edges.join('\n'));
  assert.ok(edges.includes('exchange:dlx -routing-> queue:parked'), edges.join('\n'));
  assert.ok(!edges.some((e) => e.endsWith('-> exchange:dlx') && e.startsWith('producer')), 'no producer published the copy');
});
