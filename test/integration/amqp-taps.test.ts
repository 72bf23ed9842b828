import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AmqpClient, amqpPublishCli, amqpRecording, createVhost, suffix } from '../helpers/amqp.ts';
import type { TestVhost } from '../helpers/amqp.ts';
import { waitFor } from '../helpers/tmp.ts';

// Taps without the firehose and without the management API: the exchange type is learned
// from the broker and each type gets the binding that sees all its messages; a direct
// exchange cannot be tapped without knowing its keys, and the status says so. Queue
// consumer mode takes and acks messages.

let vh: TestVhost;
let client: AmqpClient;
const s = suffix();
const FANOUT = `fan.${s}`;
const HEADERS = `hdr.${s}`;
const DIRECT = `rpc.${s}`;
const WORK = `work.${s}`;

before(async () => {
  vh = await createVhost();
  client = await AmqpClient.open(vh.url);
  await client.ch.assertExchange(FANOUT, 'fanout', { durable: true });
  await client.ch.assertExchange(HEADERS, 'headers', { durable: false });
  await client.ch.assertExchange(DIRECT, 'direct', { durable: false });
  await client.ch.assertQueue(WORK, { durable: false });
  await client.ch.bindQueue(WORK, DIRECT, 'work');
});

after(async () => {
  await client?.close();
  await vh?.dispose();
});

test('learns each exchange type and taps fanout and headers exchanges completely', async (t) => {
  // The management API would name the direct exchange's keys: this test is about doing without.
  const rec = amqpRecording({ url: vh.url, exchanges: [FANOUT, HEADERS, DIRECT], managementUrl: false });
  t.after(() => rec.close());
  await rec.recorder.add(rec.connector);
  const detail = rec.status()!.detail!;
  assert.equal(rec.status()!.status, 'recording');
  assert.match(detail, new RegExp(`fanout exchange '${FANOUT}'`));
  assert.match(detail, new RegExp(`headers exchange '${HEADERS}' \\(all messages\\)`));
  assert.match(detail, new RegExp(`direct exchange '${DIRECT}' \\(no routing keys known yet; its messages are only seen with the firehose\\)`));

  await amqpPublishCli({ url: vh.url, exchange: FANOUT, key: 'ignored', body: 'to everyone' });
  await amqpPublishCli({ url: vh.url, exchange: HEADERS, key: '', body: 'no headers at all' });
  await client.publish(HEADERS, '', 'with headers', { headers: { region: 'eu', blob: Buffer.from([0, 255]) }, timestamp: 1_700_000_000_123 });
  const got = await waitFor('3 tapped publishes', () => {
    const m = rec.messages({ events: ['publish'] });
    return m.length === 3 ? m : null;
  });
  const text = (i: number) => Buffer.from(got[i]!.payload).toString();
  assert.deepEqual(got.map((m) => m.destination), [FANOUT, HEADERS, HEADERS]);
  assert.deepEqual([0, 1, 2].map(text), ['to everyone', 'no headers at all', 'with headers']);
  assert.equal(got[0]!.routingKey, 'ignored');
  assert.equal(got[0]!.meta?.source, 'tap');
  // Binary header values stay JSON-safe; a millisecond timestamp is taken as milliseconds.
  assert.deepEqual(got[2]!.headers, { region: 'eu', blob: { $base64: 'AP8=' } });
  assert.equal(got[2]!.brokerTime, 1_700_000_000_123);
});

test('with the management API (found on its default port) a direct exchange is tapped for its bound keys', async (t) => {
  const rec = amqpRecording({ url: vh.url, exchanges: [DIRECT] });
  t.after(() => rec.close());
  await rec.recorder.add(rec.connector);
  assert.match(rec.status()!.detail!, new RegExp(`direct exchange '${DIRECT}' \\(keys work; other keys are only seen with the firehose\\)`));
  await client.publish(DIRECT, 'work', 'tapped by its key');
  const [m] = await waitFor('the tapped publish', () => {
    const got = rec.messages({ events: ['publish'] });
    return got.length ? got : null;
  });
  assert.deepEqual([m!.destination, m!.routingKey, Buffer.from(m!.payload).toString()], [DIRECT, 'work', 'tapped by its key']);
  await rec.stop();
  await client.ch.purgeQueue(WORK);
});

test('consumes an application queue when asked, and acks what it records', async (t) => {
  const rec = amqpRecording({ url: vh.url, exchanges: [], queues: [WORK] });
  t.after(() => rec.close());
  await rec.recorder.add(rec.connector);
  assert.match(rec.status()!.detail!, new RegExp(`consuming queue '${WORK}' \\(competes with its other consumers\\)`));
  await client.publish(DIRECT, 'work', '{"job":1}', { correlationId: 'job-1', replyTo: 'replies', contentType: 'application/json' });
  const [m] = await waitFor('delivery recorded', () => {
    const d = rec.messages({ events: ['deliver'] });
    return d.length ? d : null;
  });
  assert.equal(m!.destKind, 'queue');
  assert.equal(m!.destination, WORK);
  assert.equal(m!.routingKey, 'work');
  assert.equal(m!.correlationId, 'job-1');
  assert.equal(m!.meta?.exchange, DIRECT);
  assert.equal(m!.meta?.redelivered, false);
  assert.match(String(m!.connection), /^amq\.ctag-/);
  await rec.stop();
  const q = await client.ch.checkQueue(WORK);
  assert.equal(q.messageCount, 0, 'the message was acked, not left for redelivery');
});

test('missing queue in consumer mode: says which queue is missing', async (t) => {
  const rec = amqpRecording({ url: vh.url, exchanges: [], queues: ['nope'] });
  t.after(() => rec.close());
  await assert.rejects(rec.recorder.add(rec.connector), { message: `queue 'nope' does not exist in vhost '${vh.name}'` });
});
