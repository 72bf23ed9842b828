import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { SessionStore } from '../../src/core/store/session-store.ts';
import type { StoredMessage } from '../../src/shared/model.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';
import { MQTT_URL, NATS_URL } from '../helpers/mqtt-nats.ts';
import { asyncApiErrors } from '../helpers/asyncapi.ts';
import { adminClient, createTopic, deleteTopics, kafkaBrokers, kcatProduce, uniqueName } from '../helpers/kafka.ts';
import { AMQP_HOST, AMQP_PORT, createVhost, runPython, spawnPython, suffix } from '../helpers/amqp.ts';
import { Recorder } from '../../src/core/engine/recorder.ts';
import { KafkaConnector } from '../../src/core/connectors/kafka/index.ts';
import { AmqpConnector } from '../../src/core/connectors/amqp/index.ts';
import { createEnricher } from '../../src/core/engine/session-analysis.ts';
import { buildAsyncApi } from '../../src/core/io/asyncapi/export.ts';

// Issue 15: `flowscope export --format asyncapi` writes an AsyncAPI 3.0 document of what a
// session observed. The session here is the demo's real traffic (a WebSocket JSON-RPC,
// pub-sub and notification system through the recording proxy, MQTT 5 request/response
// and telemetry on Mosquitto, NATS request/reply on nats-server); the document must pass
// the official AsyncAPI parser (@asyncapi/parser) and list exactly the channels
// and operations the traffic had.

const run = promisify(execFile);
const BIN = path.resolve('bin/flowscope.mjs');

interface Doc {
  asyncapi: string;
  servers: Record<string, { host: string; protocol: string }>;
  channels: Record<string, { address: string | null; servers: { $ref: string }[]; messages: Record<string, { payload: Record<string, unknown>; examples?: unknown[] }> }>;
  operations: Record<string, { action: string; channel: { $ref: string }; messages: { $ref: string }[]; reply?: { channel: { $ref: string } } }>;
}

const refName = (r: { $ref: string }) => r.$ref.split('/').at(-1)!;

test('the AsyncAPI document of the demo passes the official schema and lists exactly the channels and operations observed', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'demo.flowscope');
  const env = { ...process.env, FLOWSCOPE_DATA_DIR: dir, FLOWSCOPE_DEMO_MQTT: MQTT_URL, FLOWSCOPE_DEMO_NATS: NATS_URL };
  const demo = await run(process.execPath, [BIN, 'demo', '--duration', '4', '--out', file], { env, timeout: 90_000 });
  assert.doesNotMatch(demo.stderr, /skipped/, 'Mosquitto and NATS answered');

  const yamlOut = path.join(dir, 'demo.asyncapi.yaml');
  const jsonOut = path.join(dir, 'demo.asyncapi.json');
  const y = await run(process.execPath, [BIN, 'export', file, '--format', 'asyncapi', '--out', yamlOut], { env });
  assert.match(y.stderr, /exported an AsyncAPI 3\.0 document \(\d+ channels, \d+ operations\)/);
  await run(process.execPath, [BIN, 'export', file, '--format', 'asyncapi', '--out', jsonOut], { env });
  const doc = parseYaml(fs.readFileSync(yamlOut, 'utf8')) as Doc;
  assert.deepEqual(JSON.parse(fs.readFileSync(jsonOut, 'utf8')), doc, 'YAML and JSON say the same');

  // The official parser, on the YAML file as written.
  assert.deepEqual(await asyncApiErrors(fs.readFileSync(yamlOut, 'utf8')), [], 'the official AsyncAPI parser finds no error');
  // It does reject what is not AsyncAPI 3.0 (so the pass above means something).
  const broken = structuredClone(doc);
  (Object.values(broken.operations)[0] as { action: string }).action = 'publish';
  assert.ok((await asyncApiErrors(broken)).some((e) => e.includes('action')), 'a 2.x action is an error');

  // What the session holds, read straight from the store.
  const store = SessionStore.open(file, { readonly: true });
  const msgs: StoredMessage[] = [...store.iterate()];
  store.close();
  const expected = new Map<string, Set<string>>();
  const note = (server: string, address: string | null, action: string) => {
    const k = `${server} ${address}`;
    if (!expected.has(k)) expected.set(k, new Set());
    expected.get(k)!.add(action);
  };
  for (const m of msgs) {
    if (m.transport === 'ws' && (m.event === 'frame-out' || m.event === 'frame-in')) note(m.endpoint, m.destination, m.event === 'frame-out' ? 'send' : 'receive');
    if ((m.transport === 'mqtt' || m.transport === 'nats') && m.event === 'publish') note(m.endpoint, m.transport === 'nats' && m.meta?.reply === true ? null : m.destination, 'send');
  }
  const observed = new Map<string, Set<string>>();
  for (const op of Object.values(doc.operations)) {
    const ch = doc.channels[refName(op.channel)]!;
    const k = `${refName(ch.servers[0]!)} ${ch.address}`;
    if (!observed.has(k)) observed.set(k, new Set());
    observed.get(k)!.add(op.action);
  }
  assert.deepEqual(
    [...observed].map(([k, v]) => [k, [...v].sort()]).sort(),
    [...expected].map(([k, v]) => [k, [...v].sort()]).sort(),
    'one channel per destination (NATS reply inboxes as one), an operation per direction seen',
  );
  assert.equal(Object.keys(doc.channels).length, expected.size);
  assert.deepEqual(Object.values(doc.servers).map((s) => s.protocol).sort(), ['mqtt', 'nats', 'ws']);

  // Request/reply where the demo's requests were answered.
  const replyOf = (server: string, address: string) => {
    const op = Object.values(doc.operations).find((o) => {
      const ch = doc.channels[refName(o.channel)]!;
      return o.action === 'send' && refName(ch.servers[0]!) === server && ch.address?.endsWith(address);
    });
    const r = op?.reply ? doc.channels[refName(op.reply.channel)]! : null;
    return r ? r.address : 'no reply';
  };
  assert.equal(replyOf('demo-ws', '/rpc'), '/rpc', 'JSON-RPC over the socket: replies on the same path');
  assert.match(String(replyOf('demo-mqtt', '/thermostat/set')), /\/app\/replies$/, 'MQTT 5 response topic');
  assert.equal(replyOf('demo-nats', '.prices.get'), null, 'NATS replies go to a per-request inbox');

  // Messages by JSON-RPC method, with an inferred schema and an example each.
  const rpc = Object.values(doc.channels).find((c) => c.address === '/rpc')!;
  const methods = msgs.filter((m) => m.destination === '/rpc' && m.event === 'frame-out').map((m) => (JSON.parse(Buffer.from(m.payload).toString()) as { method: string }).method);
  for (const method of new Set(methods)) {
    const msg = rpc.messages[method];
    assert.ok(msg, `a message for ${method}`);
    assert.equal(msg.payload.type, 'object');
    assert.ok((msg.payload.required as string[]).includes('method'));
    assert.ok((msg.examples?.length ?? 0) > 0);
  }
});

test('the AsyncAPI document of a Kafka + RabbitMQ session: topics, the request queue and its replies, each as the clients used them', async (t) => {
  const brokers = await kafkaBrokers();
  const admin = await adminClient(brokers);
  const topic = uniqueName('asyncapi-orders');
  await createTopic(admin, topic);
  const vh = await createVhost();
  await vh.trace(true);
  t.after(async () => {
    await deleteTopics(admin, [topic]).catch(() => undefined);
    await admin.disconnect();
    await vh.dispose();
  });
  const dir = tmpDir();
  const store = SessionStore.create(path.join(dir, 'brokers.flowscope'));
  t.after(() => store.close());
  const recorder = new Recorder(store, { flushMs: 50, enrich: createEnricher() });
  store.upsertEndpoint({ id: 'kafka', transport: 'kafka', label: 'kafka', config: { brokers }, createdAt: Date.now() });
  store.upsertEndpoint({ id: 'rabbit', transport: 'amqp', label: 'rabbit', config: { url: vh.url.replace('guest:guest@', '') }, createdAt: Date.now() });
  await recorder.add(new KafkaConnector({ id: 'kafka', brokers, topics: [topic] }, recorder.sink('kafka')));
  await recorder.add(new AmqpConnector({ id: 'rabbit', url: vh.url, exchanges: [], firehose: true }, recorder.sink('rabbit')));
  await waitFor('both taps to record', () => recorder.endpointStates().every((s) => s.status === 'recording') && recorder.endpointStates().length === 2);

  // Kafka: order events from kcat (librdkafka), JSON with a status field.
  const lines = path.join(dir, 'orders.txt');
  fs.writeFileSync(lines, Array.from({ length: 12 }, (_, i) => `o${i}|${JSON.stringify({ id: i, status: i % 3 ? 'paid' : 'open', total: i * 2.5 })}`).join('\n'));
  await kcatProduce({ brokers, topic, file: lines, keyDelimiter: '|' });
  // RabbitMQ: pika RPC, 10 requests on the default exchange to the request queue, each
  // answered to the client's own reply queue with its correlation id.
  const queue = `rpc.${suffix()}`;
  const server = spawnPython('pika_rpc_server.py', [vh.url, queue, '1000']);
  t.after(() => server.stop());
  await waitFor('the pika RPC server', () => server.lines.includes('ready'));
  const rpc = JSON.parse(await runPython('pika_rpc_client.py', [vh.url, queue, '10', '10'])) as { answered: number; reply_to: string };
  assert.equal(rpc.answered, 10);
  await waitFor('the traffic in the session', () => {
    recorder.flush();
    return store.count({ destinations: [topic] }) === 12 && store.count({ events: ['publish'], transports: ['amqp'] }) === 20 && store.count({ events: ['deliver'], transports: ['amqp'] }) === 20;
  });
  await recorder.stop();

  const { document } = await buildAsyncApi(store, { version: 'test' });
  const doc = document as unknown as Doc & { channels: Record<string, { bindings?: { amqp?: Record<string, unknown> } }> };
  assert.deepEqual(await asyncApiErrors(doc), [], 'the official AsyncAPI parser finds no error');
  assert.deepEqual(
    Object.values(doc.servers).map((s) => [s.protocol, s.host]).sort(),
    [['amqp', `${AMQP_HOST}:${AMQP_PORT}`], ['kafka', brokers[0]]],
  );

  const byAddress = (address: string, is?: string) => Object.entries(doc.channels).find(([, c]) => c.address === address && (is === undefined || c.bindings?.amqp?.is === is));
  const opsOn = (channelId: string) => Object.values(doc.operations).filter((o) => refName(o.channel) === channelId).map((o) => o.action).sort();

  const [orders, ordersCh] = byAddress(topic)!;
  assert.deepEqual(opsOn(orders), ['send'], 'kcat produced to the topic');
  const order = Object.values(ordersCh.messages)[0]!;
  assert.deepEqual(order.payload, { type: 'object', properties: { id: { type: 'integer' }, status: { type: 'string', enum: ['open', 'paid'] }, total: { type: 'number' } }, required: ['id', 'status', 'total'] });

  // Requests: published to the default exchange with the queue as routing key, delivered from the queue.
  const [requests, requestsCh] = byAddress(queue, 'routingKey')!;
  assert.deepEqual(requestsCh.bindings?.amqp, { is: 'routingKey', exchange: { name: 'amq.default' }, bindingVersion: '0.3.0' });
  assert.deepEqual(opsOn(requests), ['send']);
  const [requestQueue] = byAddress(queue, 'queue')!;
  assert.deepEqual(opsOn(requestQueue), ['receive'], 'the server consumed the request queue');
  // Replies: to the client's reply queue, named by each request's reply_to.
  const [replies] = byAddress(rpc.reply_to, 'routingKey')!;
  const [replyQueue] = byAddress(rpc.reply_to, 'queue')!;
  assert.deepEqual(opsOn(replies), ['send']);
  assert.deepEqual(opsOn(replyQueue), ['receive']);
  const send = Object.values(doc.operations).find((o) => refName(o.channel) === requests && o.action === 'send')!;
  assert.equal(refName(send.reply!.channel), replies, 'the request operation replies on the reply_to channel');
  assert.deepEqual((send.reply as unknown as { address: { location: string } }).address.location, '$message.header#/replyTo');
  assert.equal(Object.keys(doc.channels).length, 5, 'the topic, the request and reply routing keys, the two queues');
});
