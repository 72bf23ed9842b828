import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AmqpClient, amqpRecording, createVhost, rabbitmqctl, suffix } from '../helpers/amqp.ts';
import type { AmqpRecording, TestVhost } from '../helpers/amqp.ts';
import { waitFor } from '../helpers/tmp.ts';

// The broker goes away and comes back (`rabbitmqctl stop_app` / `start_app`). Other tests
// share this broker: every outage is kept short and start_app always runs.

let vh: TestVhost;
const EX = `events.${suffix()}`;
const RETRY = { initialMs: 200, maxMs: 1000 };

before(async () => {
  vh = await createVhost();
  const c = await AmqpClient.open(vh.url);
  await c.ch.assertExchange(EX, 'topic', { durable: true }); // survives the restart
  await c.close();
});

after(async () => {
  await rabbitmqctl('start_app').catch(() => {});
  await vh?.dispose();
});

/** Stops the broker app for the duration of `during`, and always starts it again. */
async function brokerOutage(during: () => Promise<void>): Promise<void> {
  await rabbitmqctl('stop_app');
  try {
    await during();
  } finally {
    await rabbitmqctl('start_app');
  }
}

async function publish(keys: string[]): Promise<void> {
  // The broker may still be finishing its start: retry the client connection.
  const c = await waitFor('publisher connection', () => AmqpClient.open(vh.url), 60_000);
  try {
    for (const k of keys) await c.publish(EX, k, `body of ${k}`);
  } finally {
    await c.close();
  }
}

const keysOf = (rec: AmqpRecording) => rec.messages({ events: ['publish'] }).map((m) => m.routingKey);

test('a tap started while the broker is down records once it is up', async (t) => {
  let rec: AmqpRecording | null = null;
  t.after(() => rec?.close());
  await brokerOutage(async () => {
    rec = amqpRecording({ url: vh.url, exchanges: [EX], retry: RETRY });
    await rec.recorder.add(rec.connector); // resolves: the broker being down is not fatal
    const st = await waitFor('reconnecting', () => rec!.statuses.find((s) => s.status === 'reconnecting'));
    assert.match(st.detail!, /^cannot connect to 127\.0\.0\.1:5672: connection refused/);
  });
  const r = rec as unknown as AmqpRecording;
  await waitFor('recording after start_app', () => r.status()?.status === 'recording', 90_000);
  await publish(['early.1', 'early.2']);
  await waitFor('both recorded', () => keysOf(r).length === 2);
  assert.deepEqual(keysOf(r), ['early.1', 'early.2']);
});

test('a broker restart mid-recording: reconnects, keeps what it had, records what follows', async (t) => {
  await vh.trace(true);
  const rec = amqpRecording({ url: vh.url, exchanges: [EX], firehose: true, retry: RETRY, reconcileMs: 500 });
  t.after(() => rec.close());
  await rec.recorder.add(rec.connector);
  assert.equal(rec.status()?.status, 'recording');
  await publish(['before.1', 'before.2', 'before.3']);
  await waitFor('3 recorded before the restart', () => keysOf(rec).length === 3);
  const firstRecording = rec.statuses.length;

  await brokerOutage(async () => {
    const lost = await waitFor('reconnecting', () => rec.statuses.slice(firstRecording).find((s) => s.status === 'reconnecting'));
    assert.match(lost.detail!, /^connection lost: RabbitMQ closed the connection \(the broker is stopping or restarting/);
  });
  await waitFor('recording again', () => rec.status()?.status === 'recording', 90_000);
  await publish(['after.1', 'after.2']);
  await waitFor('5 recorded', () => keysOf(rec).length === 5);
  assert.deepEqual(keysOf(rec), ['before.1', 'before.2', 'before.3', 'after.1', 'after.2']);
  // The firehose queue was declared again: the new publishes come with their routing facts
  // (tracing stays on across stop_app/start_app on RabbitMQ 3.10).
  for (const m of rec.messages({ events: ['publish'] })) {
    assert.equal(m.meta?.source, 'firehose');
    assert.deepEqual(m.meta?.routedQueues, []);
  }
  const log = rec.store.endpointLog('rabbit').map((e) => e.status);
  assert.deepEqual(
    log.filter((s, i) => s !== log[i - 1]),
    ['connecting', 'recording', 'reconnecting', 'recording'],
  );
});
