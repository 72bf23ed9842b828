import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnalysisState } from '../../src/core/engine/session-analysis.ts';
import type { AnalysisConfigInput } from '../../src/core/analysis/config.ts';
import type { TopologyGraph as Topology } from '../../src/shared/views.ts';
import { RateMeter } from '../../src/core/analysis/rate.ts';
import { Traffic, bytes } from './analysis-helpers.ts';

function graph(t: Traffic, config: AnalysisConfigInput = {}): Topology {
  const s = new AnalysisState(config);
  s.addOffsets(t.offsets);
  s.ingest(t.messages);
  return s.finish().topology;
}

/** Edges as "source label → target label: count" for readable assertions. */
function edges(g: Topology): string[] {
  const label = new Map(g.nodes.map((n) => [n.id, `${n.kind}:${n.label}`]));
  return g.edges.map((e) => `${label.get(e.source)} → ${label.get(e.target)}: ${e.count}${e.undelivered ? ` (${e.undelivered} lost)` : ''}`).sort();
}

test('RabbitMQ: producers by appId or connection, exchange → routed queues → consumers', () => {
  const t = new Traffic();
  t.publish({ exchange: 'orders', routingKey: 'new', body: 'a', props: { appId: 'shop' }, routed: ['billing', 'shipping'] });
  t.publish({ exchange: 'orders', routingKey: 'new', body: 'b', props: { appId: 'shop' }, routed: ['billing', 'shipping'] });
  t.publish({ exchange: 'orders', routingKey: 'odd', body: 'c', connection: 'conn-7', routed: [] });
  // A queue consumer's delivery, as the connector records it: the consumer tag names the consumer.
  t.add({
    transport: 'amqp',
    event: 'deliver',
    destKind: 'queue',
    destination: 'billing',
    routingKey: 'new',
    connection: 'ctag-billing',
    payload: bytes('a'),
    meta: { exchange: 'orders', consumerTag: 'ctag-billing' },
  });
  const g = graph(t);
  // At the end, "b" never reached billing's consumer and neither reached shipping's.
  assert.deepEqual(edges(g), [
    'exchange:orders → queue:billing: 2 (1 lost)',
    'exchange:orders → queue:shipping: 2 (2 lost)',
    'producer:conn-7 → exchange:orders: 1 (1 lost)',
    'producer:shop → exchange:orders: 2',
    'queue:billing → consumer:ctag-billing: 1',
  ]);
  const orders = g.nodes.find((n) => n.label === 'orders')!;
  assert.deepEqual(orders.counts, { in: 3, out: 4, undelivered: 3 });
});

test('RabbitMQ: deliveries stand in for routing when the firehose saw none; Flowscope queues are left out', () => {
  const t = new Traffic();
  t.publish({ exchange: 'ev', routingKey: 'k', body: 'x', routed: null });
  t.deliver({ queue: 'worker', routingKey: 'k', exchange: 'ev', body: 'x' });
  t.deliver({ queue: 'flowscope.tap.1', routingKey: 'k', exchange: 'ev', body: 'x' });
  const e = edges(graph(t));
  assert.ok(e.includes('exchange:ev → queue:worker: 1'), e.join('\n'));
  assert.ok(!e.some((x) => x.includes('flowscope.tap')));
});

test('Kafka: one producers node per topic unless a header names the producer; groups from committed offsets', () => {
  const t = new Traffic();
  t.commit('billing', 'orders', 0, 0);
  for (let o = 0; o < 5; o++) t.wait(100).record({ topic: 'orders', offset: o, body: `${o}`, headers: o < 2 ? { producer: 'checkout' } : null! });
  t.wait(100).commit('billing', 'orders', 0, 5);
  t.commit('flowscope-tap-x', 'orders', 0, 5);
  const e = edges(graph(t));
  assert.deepEqual(e, [
    'producer:checkout → topic:orders: 2',
    'producer:producers → orders → topic:orders: 3',
    'topic:orders → group:billing: 5',
  ]);
});

test('Kafka: records written before the first commit was seen count for the group that read them', () => {
  const t = new Traffic();
  for (let o = 10; o < 14; o++) t.wait(10).record({ topic: 'orders', offset: o, body: `${o}` });
  t.wait(100).commit('late-joiner', 'orders', 0, 14);
  const e = edges(graph(t));
  assert.ok(e.includes('topic:orders → group:late-joiner: 4'), e.join('\n'));
});

test('WebSocket: client ⇄ server edges per direction; clients beyond the cap merge into one node', () => {
  const t = new Traffic();
  for (const c of ['c1', 'c2', 'c3']) {
    t.wsOpen(c);
    t.wsOut(c, 'ping');
    t.wsIn(c, 'pong');
    t.wsIn(c, 'push');
  }
  t.wsClose('c3', 1000, 'server');
  t.wsOut('c3', 'too late');
  const g = graph(t, { topology: { maxClientsPerPath: 2 } });
  assert.deepEqual(edges(g), [
    'ws-client:c1 (127.0.0.1:40000) → ws-server:ws://127.0.0.1:9000/rpc: 1',
    'ws-client:c2 (127.0.0.1:40000) → ws-server:ws://127.0.0.1:9000/rpc: 1',
    'ws-client:other clients of /rpc → ws-server:ws://127.0.0.1:9000/rpc: 2 (1 lost)',
    'ws-server:ws://127.0.0.1:9000/rpc → ws-client:c1 (127.0.0.1:40000): 2',
    'ws-server:ws://127.0.0.1:9000/rpc → ws-client:c2 (127.0.0.1:40000): 2',
    'ws-server:ws://127.0.0.1:9000/rpc → ws-client:other clients of /rpc: 2',
  ]);
});

test('each node stands for what a click on it filters by: its destination, its connection, or its neighbours’', () => {
  const t = new Traffic();
  t.publish({ exchange: '', routingKey: 'jobs', body: 'j', props: { appId: 'shop' }, routed: ['jobs'] });
  t.publish({ exchange: 'orders', routingKey: 'new', body: 'a', props: { appId: 'shop' }, routed: ['billing'] });
  t.deliver({ queue: 'billing', routingKey: 'new', exchange: 'orders', body: 'a' });
  t.record({ topic: 'payments', offset: 0, body: 'p', headers: { producer: 'checkout' } });
  t.record({ topic: 'refunds', offset: 0, body: 'r', headers: { producer: 'checkout' } });
  t.commit('ledger', 'payments', 0, 1);
  t.commit('ledger', 'refunds', 0, 1);
  t.wsOpen('c1');
  t.wsOut('c1', 'ping');
  const g = graph(t);
  const by = (kind: string, label: string) => {
    const n = g.nodes.find((x) => x.kind === kind && x.label === label);
    assert.ok(n, `${kind} ${label} in ${g.nodes.map((x) => `${x.kind}:${x.label}`).join(', ')}`);
    return { destinations: [...n.destinations].sort(), connection: n.connection };
  };
  assert.deepEqual(by('exchange', '(default exchange)'), { destinations: ['amq.default'], connection: null });
  assert.deepEqual(by('queue', 'billing'), { destinations: ['billing'], connection: null });
  assert.deepEqual(by('producer', 'shop'), { destinations: ['amq.default', 'orders'], connection: null });
  assert.deepEqual(by('producer', 'checkout'), { destinations: ['payments', 'refunds'], connection: null });
  assert.deepEqual(by('group', 'ledger'), { destinations: ['payments', 'refunds'], connection: null });
  assert.deepEqual(by('ws-server', 'ws://127.0.0.1:9000/rpc'), { destinations: ['/rpc'], connection: null });
  assert.deepEqual(by('ws-client', 'c1 (127.0.0.1:40000)'), { destinations: [], connection: 'c1' });
});

test('edges carry bytes, a recent rate and an average rate', () => {
  const t = new Traffic();
  for (let i = 0; i < 100; i++) t.wait(100).record({ topic: 'fast', offset: i, body: '12345' });
  const e = graph(t).edges[0]!;
  assert.equal(e.count, 100);
  assert.equal(e.bytes, 500);
  assert.ok(Math.abs(e.ratePerSec - 10) <= 1, `recent rate ${e.ratePerSec}`);
  assert.ok(Math.abs(e.avgRatePerSec - 10) <= 0.2, `average rate ${e.avgRatePerSec}`);
});

test('RateMeter forgets seconds that left the window', () => {
  const r = new RateMeter(10);
  for (let s = 0; s < 5; s++) r.add(s * 1000, 20);
  assert.equal(r.rate(4000), 10);
  assert.equal(r.rate(12_000), 4);
  r.add(30_000, 10);
  assert.equal(r.rate(30_000), 1);
});

test('NATS: replies to one requester’s inboxes are one node, not one per request', () => {
  const t = new Traffic();
  for (let n = 1; n <= 5; n += 1) {
    const inbox = `_INBOX.AbC123.${n}`;
    t.add({ transport: 'nats', endpoint: 'nats', event: 'publish', destKind: 'topic', destination: 'prices.get', replyTo: inbox, correlationId: inbox, payload: bytes('{"sku":1}') });
    t.add({ transport: 'nats', endpoint: 'nats', event: 'publish', destKind: 'topic', destination: inbox, correlationId: inbox, meta: { reply: true }, payload: bytes('{"price":2}') });
  }
  const g = graph(t);
  assert.deepEqual(edges(g), ['producer:producers → prices.get → topic:prices.get: 5', 'producer:replies → _INBOX.AbC123.* → topic:_INBOX.AbC123.*: 5']);
  // The inbox node is no single subject: a click on it filters by none.
  assert.deepEqual(g.nodes.find((n) => n.label === '_INBOX.AbC123.*')?.destinations, []);
  assert.equal(g.nodes.find((n) => n.label === '_INBOX.AbC123.*')?.transport, 'nats');
});
