import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import amqp from 'amqplib';
import type { CapturedMessage } from '../../src/shared/model.ts';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { Replayer, type ReplayStatus } from '../../src/core/replay/index.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';
import { adminClient, createTopic, deleteTopics, kafkaBrokers, stopProcess, uniqueName } from '../helpers/kafka.ts';
import { AMQP_HOST, AMQP_PORT } from '../helpers/amqp.ts';
import { MQTT_URL, NATS_URL, RawNats, runPrefix } from '../helpers/mqtt-nats.ts';

const brokers = await kafkaBrokers();
const admin = await adminClient(brokers);
const topics: string[] = [];
after(async () => {
  await deleteTopics(admin, topics);
  await admin.disconnect();
});

/** Recorded offsets (ms) of the messages: gaps of 200, 400, 400, 100, 400, 50, 450 and 300 ms. */
const OFFSETS = [0, 200, 600, 1000, 1100, 1500, 1550, 2000, 2300];
const T0 = 1_700_000_000_000;

function session(dir: string, name: string, make: (i: number, time: number) => CapturedMessage, offsets = OFFSETS): SessionStore {
  const store = SessionStore.create(path.join(dir, `${name}.flowscope`));
  store.insertBatch(offsets.map((o, i) => make(i, T0 + o)));
  return store;
}

const wsFrame = (i: number, time: number): CapturedMessage => ({
  time, transport: 'ws', endpoint: 'proxy', event: 'frame-out', destKind: 'socket', destination: '/ticks', connection: 'c1',
  payload: Buffer.from(`tick ${i}`), meta: { opcode: 'text' },
});

/** Gaps between consecutive receive times, against the recorded gaps: the largest error and each tolerance check. */
function compareGaps(received: number[], offsets = OFFSETS) {
  const errors = offsets.slice(1).map((o, i) => {
    const recorded = o - offsets[i]!;
    const replayed = received[i + 1]! - received[i]!;
    return { recorded, replayed, error: replayed - recorded, tolerance: Math.max(0.2 * recorded, 50) };
  });
  return { errors, worst: Math.max(...errors.map((e) => Math.abs(e.error))), mean: errors.reduce((s, e) => s + Math.abs(e.error), 0) / errors.length };
}

/**
 * Every gap kept, allowing for one stall: on a loaded 2-core machine one pause of the sender
 * or of the receiving test process (GC, another process) lengthens one gap and may shorten
 * the next, so at most two gaps may miss; a replay at the wrong pace misses nearly all.
 */
function assertGaps(label: string, received: number[], offsets = OFFSETS): string {
  const { errors, worst, mean } = compareGaps(received, offsets);
  const missed = errors.filter((e) => Math.abs(e.error) > e.tolerance);
  const each = errors.map((e) => `${e.recorded} → ${e.replayed.toFixed(1)}`).join(', ');
  assert.ok(missed.length <= 2, `${label}: ${missed.length} of ${errors.length} gaps (recorded → replayed ms) missed: ${each}`);
  return `gap error mean ${mean.toFixed(1)} ms, worst ${worst.toFixed(1)} ms (errors per gap: ${errors.map((e) => e.error.toFixed(0)).join(', ')})`;
}

async function wsServer() {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  const received: number[] = [];
  let closes = 0;
  wss.on('connection', (ws) => {
    ws.on('message', () => received.push(performance.now()));
    ws.on('close', () => (closes += 1));
  });
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    received,
    closes: () => closes,
    close: () => new Promise((r) => wss.close(r)),
  };
}

test('ws: 1× keeps the recorded gaps between frames, and max is faster than 1×', async (t) => {
  const store = session(tmpDir(), 'ws', wsFrame);
  t.after(() => store.close());
  const server = await wsServer();
  t.after(() => server.close());

  const one = await new Replayer(store, { to: server.url, speed: 1 }).run();
  assert.equal(one.sent, OFFSETS.length);
  await waitFor('all frames at 1×', () => server.received.length === OFFSETS.length);
  const at1 = server.received.splice(0);
  t.diagnostic(`ws 1×: ${assertGaps('ws', at1)}`);

  const max = await new Replayer(store, { to: server.url, speed: 'max' }).run();
  assert.equal(max.sent, OFFSETS.length);
  await waitFor('all frames at max', () => server.received.length === OFFSETS.length);
  const atMax = server.received.splice(0);
  const span = (r: number[]) => r[r.length - 1]! - r[0]!;
  assert.ok(span(atMax) < span(at1), `max (${span(atMax).toFixed(1)} ms) must be faster than 1× (${span(at1).toFixed(1)} ms)`);
  assert.ok(max.durationMs < one.durationMs);
  t.diagnostic(`ws: 1× took ${span(at1).toFixed(0)} ms between first and last frame, max ${span(atMax).toFixed(1)} ms`);
});

test('ws: 4× divides every gap by four', async (t) => {
  const store = session(tmpDir(), 'ws4', wsFrame);
  t.after(() => store.close());
  const server = await wsServer();
  t.after(() => server.close());
  await new Replayer(store, { to: server.url, speed: 4 }).run();
  await waitFor('all frames at 4×', () => server.received.length === OFFSETS.length);
  const quarter = OFFSETS.map((o) => o / 4);
  t.diagnostic(`ws 4×: ${assertGaps('ws 4×', server.received, quarter)}`);
});

test('kafka: 1× keeps the recorded gaps as a librdkafka consumer sees them', async (t) => {
  const src = uniqueName('fs-timing-src');
  const dst = uniqueName('fs-timing-dst');
  topics.push(dst);
  await createTopic(admin, dst, 1);
  const store = session(tmpDir(), 'kafka', (i, time) => ({
    time, transport: 'kafka', endpoint: 'k', event: 'publish', destKind: 'topic', destination: src, partition: 0,
    offset: String(i), key: Buffer.from(`k${i}`), payload: Buffer.from(`record ${i}`),
  }));
  t.after(() => store.close());
  // kcat as the consumer, positioned at the end before the replay starts; each line is timed on arrival.
  const consumer = spawn('kcat', ['-C', '-b', brokers.join(','), '-t', dst, '-p', '0', '-o', 'end', '-u', '-f', '%k\n', '-X', 'fetch.wait.max.ms=50']);
  t.after(() => stopProcess(consumer));
  const received: number[] = [];
  let ready = false;
  consumer.stdout.on('data', (d: Buffer) => {
    for (const _ of d.toString().split('\n').filter(Boolean)) received.push(performance.now());
  });
  consumer.stderr.on('data', (d: Buffer) => (ready ||= d.toString().includes('Reached end')));
  await waitFor('kcat at the end of the topic', () => ready);

  const report = await new Replayer(store, { to: `kafka://${brokers.join(',')}`, speed: 1, map: { [src]: dst } }).run();
  assert.equal(report.state, 'done', report.error ?? '');
  await waitFor('kcat to receive every record', () => received.length === OFFSETS.length);
  t.diagnostic(`kafka 1×: ${assertGaps('kafka', received)}`);
});

test('amqp: 1× keeps the recorded gaps as a consumer sees them', async (t) => {
  const url = `amqp://guest:guest@${AMQP_HOST}:${AMQP_PORT}`;
  const x = uniqueName('fs-timing-x');
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  t.after(async () => {
    await ch.deleteExchange(x).catch(() => undefined);
    await conn.close().catch(() => undefined);
  });
  await ch.assertExchange(x, 'fanout', { durable: false });
  const { queue } = await ch.assertQueue('', { exclusive: true });
  await ch.bindQueue(queue, x, '');
  const received: number[] = [];
  await ch.consume(queue, () => received.push(performance.now()), { noAck: true });
  const store = session(tmpDir(), 'amqp', (i, time) => ({
    time, transport: 'amqp', endpoint: 'a', event: 'publish', destKind: 'exchange', destination: 'orders', routingKey: 'r',
    payload: Buffer.from(`message ${i}`), properties: { contentType: 'text/plain' },
  }));
  t.after(() => store.close());
  const report = await new Replayer(store, { to: url, speed: 1, map: { orders: x } }).run();
  assert.equal(report.state, 'done', report.error ?? '');
  await waitFor('the consumer to receive every message', () => received.length === OFFSETS.length);
  t.diagnostic(`amqp 1×: ${assertGaps('amqp', received)}`);
});

test('cancel stops promptly and the report says exactly what the server received', async (t) => {
  const offsets = Array.from({ length: 60 }, (_, i) => i * 50);
  const store = session(tmpDir(), 'cancel', wsFrame, offsets);
  t.after(() => store.close());
  const server = await wsServer();
  t.after(() => server.close());
  const progress: ReplayStatus[] = [];
  const replayer = new Replayer(store, { to: server.url, speed: 1, onProgress: (p) => progress.push(p) });
  const started = performance.now();
  const run = replayer.run();
  await waitFor('ten frames at the server', () => server.received.length >= 10);
  replayer.cancel();
  const report = await run;
  const elapsed = performance.now() - started;
  await waitFor('the replay connection to close', () => server.closes() === 1);

  assert.equal(report.state, 'cancelled');
  assert.equal(report.sent, server.received.length, 'sent = what the server received');
  assert.ok(report.sent < offsets.length, 'the rest was not sent');
  assert.equal(report.lastSeq, report.sent, 'every frame up to lastSeq went out');
  assert.deepEqual(report.byDestination, { '/ticks': { sent: report.sent, failed: 0 } });
  const last = progress[progress.length - 1]!;
  assert.equal(last.state, 'cancelled');
  assert.equal(last.sent, report.sent);
  assert.match(last.message ?? '', /^Cancelled: sent \d+ of 60/);
  assert.ok(progress.length <= Math.ceil(elapsed / 100) + 2, `${progress.length} progress events in ${elapsed.toFixed(0)} ms: at most 10 a second`);
});

test('nats: 1× keeps the recorded gaps as a raw-protocol subscriber sees them', async (t) => {
  const p = runPrefix();
  const store = session(tmpDir(), 'nats', (i, time) => ({
    time, transport: 'nats', endpoint: 'n', event: 'publish', destKind: 'topic', destination: `${p}.ticks`, payload: Buffer.from(`tick ${i}`),
  }));
  t.after(() => store.close());
  const sub = await RawNats.connect();
  t.after(() => sub.close());
  const received: number[] = [];
  await sub.sub(`${p}.ticks`, () => received.push(performance.now()));
  const report = await new Replayer(store, { to: NATS_URL, speed: 1 }).run();
  assert.equal(report.state, 'done', report.error ?? '');
  await waitFor('every message', () => received.length === OFFSETS.length);
  t.diagnostic(`nats 1×: ${assertGaps('nats', received)}`);
});

test('mqtt: 1× keeps the recorded gaps as mosquitto_sub sees them, QoS 2 included', async (t) => {
  const p = runPrefix();
  const topic = `${p}/ticks`;
  const store = session(tmpDir(), 'mqtt', (i, time) => ({
    time, transport: 'mqtt', endpoint: 'm', event: 'publish', destKind: 'topic', destination: topic, payload: Buffer.from(`tick ${i}`),
    meta: { qos: i % 3, retain: false, dup: false, protocolVersion: '5' },
  }));
  t.after(() => store.close());
  const broker = new URL(MQTT_URL);
  // -d prints the SUBACK, so the replay starts once the subscription is in place; 'msg ' marks
  // message lines (a leading @ would be a time format). stdbuf: into a pipe its output would wait in stdio's buffer.
  const consumer = spawn('stdbuf', ['-oL', 'mosquitto_sub', '-d', '-V', '5', '-h', broker.hostname, '-p', broker.port, '-t', topic, '-q', '2', '-F', 'msg %t']);
  t.after(() => stopProcess(consumer));
  const received: number[] = [];
  let ready = false;
  consumer.stdout.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n')) {
      if (line.startsWith('msg ')) received.push(performance.now());
      else if (line.includes('SUBACK')) ready = true;
    }
  });
  await waitFor('mosquitto_sub subscribed', () => ready);
  const report = await new Replayer(store, { to: MQTT_URL, speed: 1 }).run();
  assert.equal(report.state, 'done', report.error ?? '');
  await waitFor('every message', () => received.length === OFFSETS.length);
  t.diagnostic(`mqtt 1×: ${assertGaps('mqtt', received)}`);
});
