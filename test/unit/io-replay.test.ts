import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { CapturedMessage } from '../../src/shared/model.ts';
import type { ReplayProgress } from '../../src/shared/views.ts';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { Replayer, checkReplayLoop, parseTarget, type PlannedSend } from '../../src/core/replay/index.ts';
import { parseMapArgs, parseSpeed } from '../../src/cli/replay-format.ts';
import { ReplayRegistry } from '../../src/core/engine/replays.ts';
import type { SessionHandle } from '../../src/core/engine/session-handle.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';

const T = 1_700_000_000_000;
const base = { endpoint: 'e1', payload: Buffer.from('x') };
const mixed: CapturedMessage[] = [
  { ...base, time: T, transport: 'kafka', event: 'publish', destKind: 'topic', destination: 'orders', partition: 1, key: Buffer.from('k1') },
  { ...base, time: T + 10, transport: 'amqp', event: 'publish', destKind: 'exchange', destination: 'billing', routingKey: 'inv.new' },
  { ...base, time: T + 20, transport: 'amqp', event: 'deliver', destKind: 'queue', destination: 'invoices', routingKey: 'inv.new' },
  { ...base, time: T + 30, transport: 'amqp', event: 'publish', destKind: 'exchange', destination: 'amq.default', routingKey: 'rpc' },
  { ...base, time: T + 40, transport: 'ws', event: 'open', destKind: 'socket', destination: '/feed', connection: 'c1', meta: { subprotocol: 'v1' } },
  { ...base, time: T + 50, transport: 'ws', event: 'frame-out', destKind: 'socket', destination: '/feed', connection: 'c1', meta: { opcode: 'text' } },
  { ...base, time: T + 60, transport: 'ws', event: 'frame-in', destKind: 'socket', destination: '/feed', connection: 'c1', meta: { opcode: 'text' } },
  { ...base, time: T + 70, transport: 'kafka', event: 'publish', destKind: 'topic', destination: 'orders', partition: 0 },
];

function store(msgs: CapturedMessage[]): SessionStore {
  const s = SessionStore.create(path.join(tmpDir(), 's.flowscope'));
  s.insertBatch(msgs);
  return s;
}

async function plan(s: SessionStore, to: string, extra: { map?: Record<string, string>; filter?: object } = {}) {
  const items: PlannedSend[] = [];
  const report = await new Replayer(s, { to, dryRun: true, speed: 2, ...extra, onPlan: (p) => items.push(p) }).run();
  return { items, report };
}

test('a dry run plans only the source events of the target transport, mapped, and sends nothing', async () => {
  const s = store(mixed);
  // Port 1 refuses connections: a dry run must not even try.
  const kafka = await plan(s, 'kafka://127.0.0.1:1', { map: { orders: 'orders-copy', nowhere: 'x' } });
  assert.equal(kafka.report.state, 'done');
  assert.equal(kafka.report.sent, 0);
  assert.equal(kafka.report.planned, 2);
  assert.deepEqual(kafka.report.byDestination, { 'orders-copy': { sent: 2, failed: 0 } });
  assert.deepEqual(kafka.items.map((i) => [i.seq, i.to, i.atMs]), [[1, 'orders-copy', 0], [8, 'orders-copy', 35]]);
  assert.ok(kafka.report.notes.some((n) => n.includes('--map nowhere=… matched no replayed destination')));

  // AMQP: publishes win over deliveries; the default exchange maps by routing key (the queue name).
  const amqp = await plan(s, 'amqp://guest:guest@127.0.0.1:1', { map: { rpc: 'rpc-copy', billing: 'billing-copy' } });
  assert.deepEqual(amqp.items.map((i) => [i.from, i.to, i.detail]), [
    ['billing', 'billing-copy', 'routing key inv.new'],
    ['amq.default', 'rpc-copy', 'routing key rpc-copy'],
  ]);
  // Asked for explicitly, deliveries are replayed to their queue through the default exchange.
  const deliveries = await plan(s, 'amqp://127.0.0.1:1', { filter: { events: ['deliver'] } });
  assert.deepEqual(deliveries.items.map((i) => [i.to, i.detail]), [['invoices', 'routing key invoices']]);

  // WebSocket: the open is reproduced, only client → server frames count.
  const ws = await plan(s, 'ws://127.0.0.1:1', { map: { '/feed': '/feed2' } });
  assert.deepEqual(ws.items.map((i) => [i.action, i.to]), [['open', '/feed2'], ['send', '/feed2']]);
  assert.equal(ws.report.planned, 1);
  s.close();
});

test('a NATS dry run plans what clients published, never JetStream acks or advisories, nor what the server handed on', async () => {
  const nats = { ...base, transport: 'nats' as const, destKind: 'topic' as const };
  const s = store([
    { ...nats, time: T, event: 'publish', destination: 'orders.new', replyTo: '_INBOX.a.1' },
    { ...nats, time: T + 5, event: 'deliver', destination: 'orders.new', replyTo: '_INBOX.a.1' },
    { ...nats, time: T + 6, event: 'deliver', destination: '_INBOX.b.1', meta: { status: 503, noResponders: true } },
    { ...nats, time: T + 10, event: 'publish', destination: '$JS.ACK.S.c.1.5.5.0.0', payload: Buffer.from('+ACK') },
    { ...nats, time: T + 20, event: 'publish', destination: '$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.S.c' },
    { ...nats, time: T + 30, event: 'publish', destination: 'orders.paid' },
  ]);
  const { items, report } = await plan(s, 'nats://127.0.0.1:1', { map: { 'orders.new': 'copy.new' } });
  assert.deepEqual(items.map((i) => [i.seq, i.to, i.detail]), [[1, 'copy.new', 'reply _INBOX.a.1'], [6, 'orders.paid', 'no reply subject']]);
  assert.deepEqual([report.total, report.planned], [2, 2]);
  assert.ok(report.notes.some((n) => n.includes('2 JetStream acks and advisories')), report.notes.join('; '));
  s.close();
});

test('a session with only deliveries replays them; a filter that selects nothing says why', async () => {
  const s = store(mixed.filter((m) => m.event === 'deliver'));
  const { items, report } = await plan(s, 'amqp://127.0.0.1:1');
  assert.equal(items.length, 1);
  assert.ok(report.notes.some((n) => n.includes('No AMQP publish was recorded')));
  const none = await new Replayer(s, { to: 'kafka://127.0.0.1:1', dryRun: true, filter: { transports: ['amqp'] } }).run();
  assert.equal(none.state, 'failed');
  assert.match(none.error ?? '', /The filter selects no kafka messages/);
  s.close();
});

test('targets, speeds and --map arguments are parsed with clear errors', () => {
  assert.deepEqual(parseTarget('kafka://a:1,b,[::1]:3').transport === 'kafka' && parseTarget('kafka://a:1,b,[::1]:3'), {
    transport: 'kafka',
    url: 'kafka://a:1,b,[::1]:3',
    brokers: ['a:1', 'b:9092', '[::1]:3'],
  });
  const amqp = parseTarget('amqps://bob:pw@rabbit/prod');
  assert.ok(amqp.transport === 'amqp' && amqp.port === 5671 && amqp.vhost === 'prod' && amqp.username === 'bob');
  assert.throws(() => parseTarget('stomp://x'), /must be kafka:\/\/, amqp\(s\):\/\/, ws\(s\):\/\/, mqtt\(s\):\/\/ or nats:\/\//);
  assert.deepEqual(parseTarget('mqtt://x'), { transport: 'mqtt', url: 'mqtt://x', host: 'x', port: 1883 });
  assert.deepEqual(parseTarget('nats://tok@n:5222'), { transport: 'nats', url: 'nats://tok@n:5222', host: 'n', port: 5222 });
  assert.throws(() => parseTarget('kafka://host:port'), /is not host:port/);
  assert.equal(parseSpeed('max'), 'max');
  assert.equal(parseSpeed('10x'), 10);
  assert.throws(() => parseSpeed('0'), /positive number/);
  assert.deepEqual(parseMapArgs(['a=b', 'c=d=e']), { a: 'b', c: 'd=e' });
  assert.throws(() => parseMapArgs(['oops']), /--map takes FROM=TO/);
});

test('the loop guard refuses a replay into what the live recording listens to, unless mapped elsewhere', () => {
  const dest = (to: string, destKind: 'topic' | 'exchange' | 'queue' = 'topic') => [{ from: 'orders', to, destKind, partitions: 1, count: 1 }];
  const kafkaRec = [{ id: 'k', label: 'kafka 127.0.0.1:9092 orders', config: { kind: 'kafka', brokers: ['127.0.0.1:9092'], topics: ['orders', '/audit-.*/'] } }];
  const kafka = parseTarget('kafka://localhost:9092');
  assert.match(checkReplayLoop(kafka, 'kafka://localhost:9092', kafkaRec, dest('orders')) ?? '', /Refusing to replay.*topic orders.*--map orders=orders-replay/);
  assert.match(checkReplayLoop(kafka, 'k', kafkaRec, dest('audit-1')) ?? '', /topic audit-1/);
  assert.equal(checkReplayLoop(kafka, 'k', kafkaRec, dest('orders-replay')), null);
  assert.equal(checkReplayLoop(parseTarget('kafka://other:9092'), 'k', kafkaRec, dest('orders')), null);

  const amqpRec = [{ id: 'a', label: 'amqp', config: { kind: 'amqp', url: 'amqp://guest@127.0.0.1:5672/', exchanges: ['billing'], queues: ['invoices'] } }];
  const amqp = parseTarget('amqp://guest:guest@localhost');
  assert.ok(checkReplayLoop(amqp, 'a', amqpRec, dest('billing', 'exchange')));
  assert.ok(checkReplayLoop(amqp, 'a', amqpRec, dest('invoices', 'queue')));
  assert.ok(
    checkReplayLoop(amqp, 'a', amqpRec, dest('other', 'exchange'), [{ source: 'other', destination: 'invoices', destinationType: 'queue', routingKey: '#' }]),
    'an exchange bound to a tapped queue loops too',
  );
  assert.equal(checkReplayLoop(amqp, 'a', amqpRec, dest('billing-copy', 'exchange')), null);
  assert.equal(checkReplayLoop(parseTarget('amqp://localhost/othervhost'), 'a', amqpRec, dest('billing', 'exchange')), null);
  const firehose = [{ id: 'f', label: 'fh', config: { kind: 'amqp', url: 'amqp://127.0.0.1', exchanges: [], firehose: true } }];
  assert.match(checkReplayLoop(amqp, 'a', firehose, dest('anything', 'exchange')) ?? '', /firehose/);

  const proxy = [{ id: 'p', label: 'ws proxy :8080', config: { kind: 'ws-proxy', listenPort: 8080, target: 'ws://upstream:80/' } }];
  assert.match(checkReplayLoop(parseTarget('ws://127.0.0.1:8080'), 'w', proxy, []) ?? '', /recording proxy on port 8080/);
  assert.equal(checkReplayLoop(parseTarget('ws://upstream:80'), 'w', proxy, []), null);

  const mqttRec = [{ id: 'm', label: 'mqtt', config: { kind: 'mqtt', url: 'mqtt://127.0.0.1:1883', topics: ['sensors/+/temp', 'orders/#'] } }];
  const mqtt = parseTarget('mqtt://localhost');
  assert.match(checkReplayLoop(mqtt, 'm', mqttRec, dest('sensors/kitchen/temp')) ?? '', /topic sensors\/kitchen\/temp/);
  assert.ok(checkReplayLoop(mqtt, 'm', mqttRec, dest('orders')), '# also matches its parent level');
  assert.equal(checkReplayLoop(mqtt, 'm', mqttRec, dest('sensors/kitchen/humidity')), null);
  assert.equal(checkReplayLoop(parseTarget('mqtt://other:1883'), 'm', mqttRec, dest('orders/1')), null);

  const natsRec = [{ id: 'n', label: 'nats', config: { kind: 'nats', url: 'nats://127.0.0.1:4222', subjects: ['orders.*', 'audit.>'] } }];
  const nats = parseTarget('nats://localhost:4222');
  assert.match(checkReplayLoop(nats, 'n', natsRec, dest('orders.new')) ?? '', /subject orders\.new/);
  assert.ok(checkReplayLoop(nats, 'n', natsRec, dest('audit.a.b')));
  assert.equal(checkReplayLoop(nats, 'n', natsRec, dest('orders.new.eu')), null, '* is one token');
  assert.equal(checkReplayLoop(nats, 'n', natsRec, dest('audit')), null, '> needs a token');
  const natsProxy = [{ id: 'np', label: 'nats proxy', config: { kind: 'nats-proxy', listenPort: 14222, target: 'nats://127.0.0.1:4222' } }];
  assert.match(checkReplayLoop(parseTarget('nats://127.0.0.1:14222'), 'n', natsProxy, dest('x')) ?? '', /recording proxy on port 14222/);
  assert.equal(checkReplayLoop(parseTarget('nats://127.0.0.1:4222'), 'n', natsProxy, dest('x')), null);
});

/** The parts of a SessionHandle the registry uses, around a real store. */
function handle(s: SessionStore, live: boolean): SessionHandle {
  return {
    id: 'sess1',
    store: s,
    live,
    recorder: null,
    endpoints: () => [{ id: 'kafka-1', transport: 'kafka', label: 'kafka', status: 'recording', detail: null, since: 0 }],
  } as unknown as SessionHandle;
}

test('the registry refuses a looping replay of a live session, runs the mapped one, and never shows a password', async () => {
  const s = store(mixed);
  s.upsertEndpoint({ id: 'kafka-1', transport: 'kafka', label: 'kafka 127.0.0.1:9092 orders', config: { kind: 'kafka', brokers: ['127.0.0.1:9092'], topics: ['orders'] }, createdAt: T });
  const events: ReplayProgress[] = [];
  const registry = new ReplayRegistry((p) => events.push(p));

  assert.throws(() => registry.start(handle(s, true), { sessionId: 'sess1', to: 'kafka://127.0.0.1:9092', speed: 1 }), /Refusing to replay/);
  const id = registry.start(handle(s, true), { sessionId: 'sess1', to: 'kafka://127.0.0.1:9092', speed: 'max', map: { orders: 'elsewhere' }, dryRun: true });
  await waitFor('the dry run to finish', () => events.some((e) => e.replayId === id && e.state === 'done'));
  assert.match(events.at(-1)!.message ?? '', /Dry run: would send 2 of 2/);

  // Connection refused on port 1: a failed replay, reported with the password removed.
  const failed = registry.start(handle(s, false), { sessionId: 'sess1', to: 'amqp://bob:hunter2@127.0.0.1:1/', speed: 'max' });
  await waitFor('the failure', () => events.some((e) => e.replayId === failed && e.state === 'failed'), 20_000);
  const mine = events.filter((e) => e.replayId === failed);
  assert.ok(mine.every((e) => !JSON.stringify(e).includes('hunter2')), JSON.stringify(mine));
  assert.match(mine.at(-1)!.message ?? '', /Replay failed after sending 0 of 2 message\(s\) to amqp:\/\/bob@127.0.0.1:1\/: connect ECONNREFUSED/);
  assert.equal(registry.cancel('nope'), false);
  await waitFor('no replay left', () => registry.active === 0);
  s.close();
});
