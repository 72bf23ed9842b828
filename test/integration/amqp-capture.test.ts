import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { StoredMessage } from '../../src/shared/model.ts';
import { AmqpClient, amqpPublishCli, amqpRecording, createVhost, runPython, spawnPython, suffix } from '../helpers/amqp.ts';
import type { TestVhost } from '../helpers/amqp.ts';
import { waitFor } from '../helpers/tmp.ts';

// A topic exchange with two bound queues and one routing key nobody is bound for, traffic
// from amqp-publish (amqp-tools) and pika, a pika consumer on one queue; Flowscope taps the
// exchange and reads the firehose of the test's own vhost.

let vh: TestVhost;
let admin: AmqpClient;
const s = suffix();
const EX = `orders.${s}`;
const Q_CREATED = `billing.${s}`;
const Q_SHIPPED = `mail.${s}`;
const KEYS = { created: 'order.created', shipped: 'order.shipped', lost: 'order.lost' } as const;

before(async () => {
  vh = await createVhost();
  await vh.trace(true);
  admin = await AmqpClient.open(vh.url);
  await admin.ch.assertExchange(EX, 'topic', { durable: false });
  await admin.ch.assertQueue(Q_CREATED, { durable: false });
  await admin.ch.assertQueue(Q_SHIPPED, { durable: false });
  await admin.ch.bindQueue(Q_CREATED, EX, KEYS.created);
  await admin.ch.bindQueue(Q_SHIPPED, EX, KEYS.shipped);
});

after(async () => {
  await admin?.close();
  await vh?.dispose(); // trace_off and delete_vhost
});

const byFirehose = (m: StoredMessage) => m.meta?.source === 'firehose';

test('records every publish with its properties and routed queues, and every delivery to a consumer', async (t) => {
  const rec = amqpRecording({ url: vh.url, exchanges: [EX], firehose: true, reconcileMs: 500 });
  t.after(() => rec.close());
  await rec.recorder.add(rec.connector);
  await waitFor('recording', () => rec.status()?.status === 'recording');
  assert.match(rec.status()!.detail!, new RegExp(`topic exchange '${EX}' \\(all keys\\)`));
  assert.match(rec.status()!.detail!, /firehose: publishes with their routed queues/);
  assert.doesNotMatch(rec.status()!.detail!, /:guest@/, 'no password in the status');

  const consumer = spawnPython('pika_consume.py', [vh.url, Q_CREATED, '2']);
  t.after(() => consumer.stop());
  await waitFor('pika consumer ready', () => consumer.lines.includes('ready'));

  for (const key of Object.values(KEYS)) {
    await amqpPublishCli({
      url: vh.url,
      exchange: EX,
      key,
      body: JSON.stringify({ from: 'amqp-publish', key }),
      contentType: 'application/json',
      replyTo: 'cli.replies',
      persistent: true,
      headers: { 'x-client': 'amqp-tools' },
    });
  }
  const ts = 1_700_000_000;
  await runPython('pika_publish.py', [
    vh.url,
    EX,
    JSON.stringify(
      Object.values(KEYS).map((key, i) => ({
        key,
        body: JSON.stringify({ from: 'pika', key }),
        props: {
          correlation_id: `corr-${key}`,
          reply_to: 'pika.replies',
          message_id: `msg-${i}`,
          content_type: 'application/json',
          content_encoding: 'utf-8',
          delivery_mode: 2,
          priority: 4,
          expiration: '60000',
          headers: { tenant: 'acme', attempt: 3, nested: { ok: true } },
          timestamp: ts,
          app_id: 'pika-fixture',
          type: 'order-event',
        },
      })),
    ),
  ]);
  assert.equal(await consumer.exited, 0);
  assert.equal(consumer.lines.filter((l) => l.startsWith('{')).length, 2);

  await waitFor('6 publishes and 2 deliveries from the firehose', () => {
    const all = rec.messages().filter(byFirehose);
    return all.filter((m) => m.event === 'publish').length === 6 && all.filter((m) => m.event === 'deliver').length === 2;
  });
  // Stopping records any tap copy still unmatched: a duplicate would show up now.
  await rec.stop();
  const all = rec.messages();
  const publishes = all.filter((m) => m.event === 'publish');
  assert.equal(publishes.length, 6, 'each publish recorded once (tap copies matched to firehose events)');
  assert.ok(publishes.every(byFirehose));
  for (const m of publishes) {
    assert.equal(m.destKind, 'exchange');
    assert.equal(m.destination, EX);
    assert.equal(m.meta?.exchange, EX);
    assert.match(m.connection ?? '', /->/, 'the publisher connection is known');
  }

  // Routing: what the firehose says each key reached, our tap queue left out.
  const routed = (key: string) => publishes.filter((m) => m.routingKey === key).map((m) => m.meta?.routedQueues);
  assert.deepEqual(routed(KEYS.created), [[Q_CREATED], [Q_CREATED]]);
  assert.deepEqual(routed(KEYS.shipped), [[Q_SHIPPED], [Q_SHIPPED]]);
  assert.deepEqual(routed(KEYS.lost), [[], []], 'the unbound key was routed nowhere');

  // amqp-publish's properties.
  const cli = publishes.find((m) => m.routingKey === KEYS.created && m.properties?.appId === undefined)!;
  assert.deepEqual(JSON.parse(Buffer.from(cli.payload).toString()), { from: 'amqp-publish', key: KEYS.created });
  assert.equal(cli.properties?.contentType, 'application/json');
  assert.equal(cli.properties?.deliveryMode, 2);
  assert.equal(cli.replyTo, 'cli.replies');
  assert.deepEqual(cli.headers, { 'x-client': 'amqp-tools' });

  // pika's properties, every one of them.
  const py = publishes.find((m) => m.routingKey === KEYS.shipped && m.properties?.appId === 'pika-fixture')!;
  assert.equal(py.correlationId, `corr-${KEYS.shipped}`);
  assert.equal(py.replyTo, 'pika.replies');
  assert.equal(py.messageId, 'msg-1');
  assert.equal(py.brokerTime, ts * 1000);
  assert.deepEqual(py.headers, { tenant: 'acme', attempt: 3, nested: { ok: true } });
  assert.deepEqual(py.properties, {
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    deliveryMode: 2,
    priority: 4,
    correlationId: `corr-${KEYS.shipped}`,
    replyTo: 'pika.replies',
    expiration: '60000',
    messageId: 'msg-1',
    timestamp: ts,
    type: 'order-event',
    appId: 'pika-fixture',
  });

  // Deliveries: the two messages the pika consumer took from the 'created' queue, nothing else.
  const delivers = all.filter((m) => m.event === 'deliver');
  assert.equal(delivers.length, 2);
  for (const d of delivers) {
    assert.equal(d.destKind, 'queue');
    assert.equal(d.destination, Q_CREATED);
    assert.equal(d.routingKey, KEYS.created);
    assert.equal(d.meta?.exchange, EX);
    assert.equal(d.meta?.redelivered, false);
  }
  assert.deepEqual(delivers.map((d) => d.correlationId ?? '(none)').sort(), ['(none)', `corr-${KEYS.created}`]);
  assert.ok(!all.some((m) => m.destination.startsWith('flowscope.')), 'our own queues never appear');

  // Observed topology: the edges the firehose saw.
  const observed = rec.store.latestDiscovery().find((d) => d.source === 'observed');
  assert.ok(observed?.bindings?.some((b) => b.source === EX && b.destination === Q_CREATED));
  assert.ok(observed?.exchanges?.some((e) => e.name === EX && e.type === 'topic'));
});

test('with tracing off, says how to turn it on and still records what the tap sees', async (t) => {
  await vh.trace(false);
  const rec = amqpRecording({ url: vh.url, exchanges: [EX], firehose: true, reconcileMs: 300 });
  t.after(() => rec.close());
  await rec.recorder.add(rec.connector);
  const hint = await waitFor('trace-off hint', () => rec.statuses.find((st) => /rabbitmqctl trace_on -p/.test(st.detail ?? '')));
  assert.equal(hint.status, 'recording');
  assert.match(hint.detail!, new RegExp(`tracing looks off in vhost '${vh.name}'; turn it on with: rabbitmqctl trace_on -p ${vh.name}`));

  await amqpPublishCli({ url: vh.url, exchange: EX, key: KEYS.lost, body: 'still seen' });
  const [m] = await waitFor('tap copy recorded', () => {
    const got = rec.messages({ events: ['publish'] });
    return got.length ? got : null;
  });
  assert.equal(m!.meta?.source, 'tap');
  assert.equal(m!.routingKey, KEYS.lost);
  assert.equal(Buffer.from(m!.payload).toString(), 'still seen');
  assert.equal(m!.meta?.routedQueues, undefined, 'routing is unknown without the firehose');
});
