import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaConnector } from '../../src/core/connectors/kafka/index.ts';
import { AmqpConnector } from '../../src/core/connectors/amqp/index.ts';
import { WsProxyConnector } from '../../src/core/connectors/ws/proxy.ts';
import { Replayer } from '../../src/core/replay/index.ts';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';
import { adminClient, createTopic, deleteTopics, kafkaBrokers, kcatProduce, uniqueName } from '../helpers/kafka.ts';
import { AMQP_HOST, AMQP_PORT, AmqpClient, amqpPublishCli, runPython } from '../helpers/amqp.ts';
import { runPythonClient, startPythonServer } from '../fixtures/ws_python.ts';
import { amqpFacts, kafkaByPartition, rate, startRecording, wsFramesByPath } from './replay-support.ts';

const brokers = await kafkaBrokers();
const admin = await adminClient(brokers);
const topics: string[] = [];
after(async () => {
  await deleteTopics(admin, topics);
  await admin.disconnect();
});
const AMQP_URL = `amqp://guest:guest@${AMQP_HOST}:${AMQP_PORT}`;

test('kafka: a recorded session replayed into a fresh topic is recorded again with the same keys, headers, bytes and per-partition order', async (t) => {
  const dir = tmpDir();
  const src = uniqueName('fs-replay-src');
  const dst = uniqueName('fs-replay-dst');
  topics.push(src, dst);
  await createTopic(admin, src, 3);
  await createTopic(admin, dst, 3);

  const a = await startRecording(dir, 'kafka-a', (id, sink) => new KafkaConnector({ id, brokers, topics: [src], fromBeginning: true }, sink));
  t.after(() => a.stop());
  // An ordinary client (kcat/librdkafka): keyed text records with a repeated header.
  const file = path.join(dir, 'lines.txt');
  const TEXT = 1500;
  fs.writeFileSync(file, Array.from({ length: TEXT }, (_, i) => `key-${i % 40}:{"n":${i},"pad":"${'x'.repeat(i % 50)}"}`).join('\n') + '\n');
  await kcatProduce({ brokers, topic: src, file, keyDelimiter: ':', headers: [['h1', 'v1'], ['trace', 't-1'], ['h1', 'v2']] });
  // A Node client: binary keys, values and header values on explicit partitions, and a tombstone.
  const producer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  const BIN = 300;
  await producer.send({
    topic: src,
    messages: [
      ...Array.from({ length: BIN }, (_, i) => ({
        partition: i % 3,
        key: Buffer.from([0xff, i % 256, 0x00]),
        value: Buffer.from(Array.from({ length: 64 + (i % 200) }, (_, j) => (i * 31 + j) % 256)),
        headers: { raw: Buffer.from([0xc3, 0x28, i % 256]), text: `héllo-${i}` },
      })),
      { partition: 1, key: 'deleted', value: null },
    ],
  });
  await producer.disconnect();
  const N = TEXT + BIN + 1;
  await waitFor(`${N} records recorded`, () => a.store.count() === N, 60_000);
  await a.stop();

  const b = await startRecording(dir, 'kafka-b', (id, sink) => new KafkaConnector({ id, brokers, topics: [dst], fromBeginning: true }, sink));
  t.after(() => b.stop());
  const report = await new Replayer(a.store, { to: `kafka://${brokers.join(',')}`, speed: 'max', map: { [src]: dst } }).run();
  assert.equal(report.state, 'done', report.error ?? '');
  assert.equal(report.sent, N);
  assert.equal(report.failed, 0);
  assert.deepEqual(report.byDestination, { [dst]: { sent: N, failed: 0 } });
  await waitFor(`${N} replayed records recorded`, () => b.store.count() === N, 60_000);
  await b.stop();

  const before = kafkaByPartition([...a.store.iterate()]);
  const again = kafkaByPartition([...b.store.iterate()]);
  assert.equal(before.size, 3);
  for (const p of [0, 1, 2]) assert.deepEqual(again.get(p), before.get(p), `partition ${p}: same records in the same order`);
  t.diagnostic(`kafka replay at max: ${N} records in ${report.durationMs} ms (${rate(N, report.durationMs)}, incl. connect)`);
});

test('amqp: a recorded exchange replayed into another exchange is recorded again with every property, header and byte, in order', async (t) => {
  const dir = tmpDir();
  const id = uniqueName('fs-replay');
  const [x1, x2, q1, q2] = [`${id}-x1`, `${id}-x2`, `${id}-q1`, `${id}-q2`];
  const client = await AmqpClient.open(AMQP_URL);
  t.after(async () => {
    for (const q of [q1, q2]) await client.ch.deleteQueue(q).catch(() => undefined);
    for (const x of [x1, x2]) await client.ch.deleteExchange(x).catch(() => undefined);
    await client.close();
  });
  for (const [x, q] of [[x1, q1], [x2, q2]] as const) {
    await client.ch.assertExchange(x, 'topic', { durable: false, autoDelete: false });
    await client.ch.assertQueue(q, { durable: false });
    await client.ch.bindQueue(q, x, '#');
  }

  const a = await startRecording(dir, 'amqp-a', (eid, sink) => new AmqpConnector({ id: eid, url: AMQP_URL, exchanges: [x1] }, sink));
  t.after(() => a.stop());
  // amqp-tools (C client) and pika (Python) with full properties, then a Node client in bulk with binary bodies.
  await amqpPublishCli({ url: AMQP_URL, exchange: x1, key: 'cli.one', body: 'from amqp-publish', contentType: 'text/plain', replyTo: 'replies', persistent: true, headers: { 'x-tool': 'amqp-tools' } });
  const pikaMessages = [
    {
      key: 'rpc.request',
      body: '{"jsonrpc":"2.0","id":7,"method":"sum"}',
      props: {
        correlation_id: 'corr-7', reply_to: 'rpc.replies', message_id: 'msg-7', content_type: 'application/json',
        content_encoding: 'utf-8', delivery_mode: 2, expiration: '600000', timestamp: 1_700_000_000, type: 'rpc',
        app_id: 'pika-test', priority: 3, headers: { 'x-int': 42, 'x-big': 5_000_000_000, 'x-bool': true, 'x-list': [1, 'two'], 'x-nested': { k: 'v' } },
      },
    },
    { key: 'plain', body: 'no properties at all' },
  ];
  await runPython('pika_publish.py', [AMQP_URL, x1, JSON.stringify(pikaMessages)]);
  const BULK = 500;
  for (let i = 0; i < BULK; i++) {
    client.ch.publish(x1, `bulk.${i % 5}`, Buffer.from([i % 256, 0xff, 0x00, 0xfe]), {
      correlationId: `c-${i}`,
      headers: { seq: i, bin: Buffer.from([0xff, i % 256]) },
      contentType: 'application/octet-stream',
    });
  }
  await client.ch.waitForConfirms();
  const N = 1 + pikaMessages.length + BULK;
  await waitFor(`${N} publishes recorded`, () => a.store.count() === N, 60_000);
  await a.stop();

  const b = await startRecording(dir, 'amqp-b', (eid, sink) => new AmqpConnector({ id: eid, url: AMQP_URL, exchanges: [x2] }, sink));
  t.after(() => b.stop());
  const report = await new Replayer(a.store, { to: AMQP_URL, speed: 'max', map: { [x1]: x2 } }).run();
  assert.equal(report.state, 'done', report.error ?? '');
  assert.equal(report.sent, N);
  assert.equal(report.unroutable, 0);
  await waitFor(`${N} replayed publishes recorded`, () => b.store.count() === N, 60_000);
  await b.stop();

  const before = [...a.store.iterate()];
  const again = [...b.store.iterate()];
  assert.ok(again.every((m) => m.destination === x2 && m.event === 'publish'));
  assert.deepEqual(again.map(amqpFacts), before.map(amqpFacts), 'same messages, same order');
  const rpc = again.find((m) => m.routingKey === 'rpc.request')!;
  assert.equal(rpc.properties?.expiration, '600000');
  assert.deepEqual(rpc.headers?.['x-nested'], { k: 'v' });
  t.diagnostic(`amqp replay at max: ${N} messages in ${report.durationMs} ms (${rate(N, report.durationMs)}, incl. connect)`);
});

test('ws: each recorded connection is replayed over a new connection and recorded again frame for frame, with its path, subprotocol and close', async (t) => {
  const dir = tmpDir();
  const serverA = await startPythonServer('ws_echo_server.py', ['0']);
  t.after(() => serverA.stop());
  const a = await startRecording(dir, 'ws-a', (id, sink) => new WsProxyConnector({ id, listenPort: 0, target: `ws://127.0.0.1:${serverA.port}` }, sink));
  t.after(() => a.stop());
  await runPythonClient('ws_client.py', [(a.connector as WsProxyConnector).url]);
  await waitFor('three connections closed', () => a.store.count({ events: ['close'] }) === 3);
  await a.stop();

  const serverB = await startPythonServer('ws_echo_server.py', ['0']);
  t.after(() => serverB.stop());
  const b = await startRecording(dir, 'ws-b', (id, sink) => new WsProxyConnector({ id, listenPort: 0, target: `ws://127.0.0.1:${serverB.port}` }, sink));
  t.after(() => b.stop());
  const report = await new Replayer(a.store, {
    to: (b.connector as WsProxyConnector).url,
    speed: 'max',
    map: { '/strict': '/strict-replayed' },
  }).run();
  const outFrames = a.store.count({ events: ['frame-out'] });
  assert.equal(report.state, 'done', report.error ?? '');
  assert.equal(report.sent, outFrames);
  await waitFor('three replayed connections closed', () => b.store.count({ events: ['close'] }) === 3);
  await b.stop();

  const before = wsFramesByPath([...a.store.iterate()]);
  const again = wsFramesByPath([...b.store.iterate()]);
  const expected = new Map([...before].map(([p, frames]) => [p === '/strict' ? '/strict-replayed' : p, frames]));
  assert.deepEqual(again, expected, 'every client → server frame, same opcode and bytes, same order per connection');
  const echoOpen = [...b.store.iterate({ events: ['open'], destinations: ['/echo'] })][0];
  assert.equal(echoOpen?.meta?.subprotocol, 'flowscope.v1', 'the recorded subprotocol is offered again');
  assert.match(String(echoOpen?.meta?.target), /\/echo\?x=1$/, 'the recorded query is kept');
  const echoClose = [...b.store.iterate({ events: ['close'], destinations: ['/echo'] })][0];
  assert.equal(echoClose?.meta?.code, 4000);
  assert.equal(echoClose?.meta?.by, 'client');
  const bytes = [...before.values()].flat().reduce((s, f) => s + f.size, 0);
  t.diagnostic(`ws replay at max: ${outFrames} frames (${(bytes / 1048576).toFixed(1)} MiB) in ${report.durationMs} ms`);
});

test('amqp: a replay to an exchange the target lacks fails before sending anything, and says which one', async (t) => {
  const store = SessionStore.create(path.join(tmpDir(), 'missing.flowscope'));
  t.after(() => store.close());
  store.insertBatch([
    { time: 1, transport: 'amqp', endpoint: 'a', event: 'publish', destKind: 'exchange', destination: 'orders', routingKey: 'r', payload: Buffer.from('x') },
  ]);
  const missing = uniqueName('fs-no-such-exchange');
  const report = await new Replayer(store, { to: AMQP_URL, speed: 'max', map: { orders: missing } }).run();
  assert.equal(report.state, 'failed');
  assert.equal(report.sent, 0);
  assert.match(report.error ?? '', new RegExp(`Exchange "${missing}" does not exist on the target.*--map orders=`));
  assert.ok(!(report.error ?? '').includes('guest:guest'));
});
