import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MqttTapConnector } from '../../src/core/connectors/mqtt/tap.ts';
import { NatsTapConnector } from '../../src/core/connectors/nats/tap.ts';
import { Replayer } from '../../src/core/replay/index.ts';
import type { StoredMessage } from '../../src/shared/model.ts';
import { MQTT_URL, NATS_URL, RawNats, mosquittoPub, runPrefix, type RawNatsMsg } from '../helpers/mqtt-nats.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';
import { assertExact } from '../helpers/own-names.ts';
import { hex, startRecording } from './replay-support.ts';

const INVALID_UTF8 = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x41, 0xc3, 0x28, 0x0d, 0x0a]);

/** What an MQTT replay must carry over, with the topic after mapping. */
function mqttFacts(m: StoredMessage, topic = m.destination) {
  return { topic, payload: hex(m.payload), qos: m.meta?.qos, retain: m.meta?.retain, headers: m.headers ?? null, properties: m.properties ?? null };
}

test('mqtt: messages mosquitto_pub published, replayed onto other topics, reach a subscriber with the same bytes, QoS, retain, user properties and MQTT 5 properties, in order', async (t) => {
  const p = runPrefix();
  const dir = tmpDir();
  const topic = (side: string, name: string): string => `${p}/${side}/${name}`;
  t.after(async () => {
    // Retained messages outlive the test on a shared broker: clear them.
    for (const side of ['src', 'dst']) await mosquittoPub(['-t', topic(side, 'c'), '-r', '-n']);
  });
  const a = await startRecording(dir, 'mqtt-a', (id, sink) => new MqttTapConnector({ id, url: MQTT_URL, topics: [`${p}/src/#`] }, sink));
  t.after(() => a.stop());
  const v5 = ['-V', '5'];
  await mosquittoPub([...v5, '-t', topic('src', 'a'), '-q', '1', '-m', '{"n":1}', '-D', 'publish', 'user-property', 'trace', 'abc', '-D', 'publish', 'user-property', 'tag', 'x', '-D', 'publish', 'user-property', 'tag', 'y', '-D', 'publish', 'content-type', 'application/json']);
  await mosquittoPub([...v5, '-t', topic('src', 'b'), '-q', '2', '-m', 'request', '-D', 'publish', 'response-topic', topic('src', 'replies'), '-D', 'publish', 'correlation-data', 'c-1', '-D', 'publish', 'payload-format-indicator', '1']);
  await mosquittoPub([...v5, '-t', topic('src', 'a'), '-q', '0', '-s'], INVALID_UTF8);
  await mosquittoPub([...v5, '-t', topic('src', 'c'), '-q', '1', '-r', '-m', 'retained state']);
  await waitFor('4 messages recorded', () => a.store.count() === 4, 15_000);
  await a.stop();

  const b = await startRecording(dir, 'mqtt-b', (id, sink) => new MqttTapConnector({ id, url: MQTT_URL, topics: [`${p}/dst/#`] }, sink));
  t.after(() => b.stop());
  const map = Object.fromEntries(['a', 'b', 'c'].map((n) => [topic('src', n), topic('dst', n)]));
  const report = await new Replayer(a.store, { to: MQTT_URL, speed: 'max', map }).run();
  assert.equal(report.state, 'done', report.error ?? '');
  assert.deepEqual([report.sent, report.failed], [4, 0]);
  assert.deepEqual(report.byDestination, { [topic('dst', 'a')]: { sent: 2, failed: 0 }, [topic('dst', 'b')]: { sent: 1, failed: 0 }, [topic('dst', 'c')]: { sent: 1, failed: 0 } });
  await waitFor('4 replayed messages received', () => b.store.count() === 4, 15_000);
  await b.stop();

  const before = [...a.store.iterate()].map((m) => mqttFacts(m, map[m.destination]));
  const after = [...b.store.iterate()].map((m) => mqttFacts(m));
  assert.deepEqual(after, before);
  // The recording said what was sent; check it is what mosquitto_pub sent, so the comparison means something.
  assert.deepEqual(before.map((f) => [f.qos, f.retain]), [[1, false], [2, false], [0, false], [1, true]]);
  assert.deepEqual(before[0]!.headers, { trace: 'abc', tag: ['x', 'y'] });
  assert.equal(before[2]!.payload, INVALID_UTF8.toString('hex'));
  assert.equal(before[1]!.properties?.responseTopic, topic('src', 'replies'));
});

/** A header block as [name, value] pairs in order. */
function headerPairs(block: string | null): [string, string][] {
  if (!block) return [];
  return block
    .split('\r\n')
    .slice(1)
    .filter(Boolean)
    .map((l) => [l.slice(0, l.indexOf(':')).trim(), l.slice(l.indexOf(':') + 1).trim()]);
}

test('nats: messages a raw-protocol client published, replayed onto other subjects, reach a raw subscriber with the same bytes, headers and reply subjects, in order', async (t) => {
  const p = runPrefix();
  const dir = tmpDir();
  const a = await startRecording(dir, 'nats-a', (id, sink) => new NatsTapConnector({ id, url: NATS_URL, subjects: [`${p}.src.>`] }, sink));
  t.after(() => a.stop());
  const pub = await RawNats.connect();
  t.after(() => pub.close());
  pub.pub(`${p}.src.a`, 'first');
  pub.pub(`${p}.src.b`, INVALID_UTF8, { headers: [['Trace', 'abc'], ['Tag', 'x'], ['Tag', 'y']] });
  pub.pub(`${p}.src.a`, '{"q":1}', { reply: `${p}.inbox.1` });
  pub.pub(`${p}.src.c.deep`, Buffer.alloc(0));
  await pub.ping();
  await waitFor('4 messages recorded', () => a.store.count() === 4, 15_000);
  await a.stop();

  const received: RawNatsMsg[] = [];
  const sub = await RawNats.connect();
  t.after(() => sub.close());
  await sub.sub(`${p}.dst.>`, (m) => received.push(m));
  const map = { [`${p}.src.a`]: `${p}.dst.a`, [`${p}.src.b`]: `${p}.dst.b`, [`${p}.src.c.deep`]: `${p}.dst.c.deep` };
  const report = await new Replayer(a.store, { to: NATS_URL, speed: 'max', map }).run();
  assert.equal(report.state, 'done', report.error ?? '');
  assert.deepEqual([report.sent, report.failed], [4, 0]);
  await waitFor('4 replayed messages received', () => received.length === 4, 15_000);

  const recorded = [...a.store.iterate()];
  const expand = (h: StoredMessage['headers']): [string, string][] =>
    Object.entries(h ?? {}).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => [k, String(x)] as [string, string]));
  assert.deepEqual(
    received.map((m) => ({ subject: m.subject, reply: m.reply, headers: headerPairs(m.headers), payload: m.payload.toString('hex') })),
    recorded.map((m) => ({ subject: map[m.destination], reply: m.replyTo ?? null, headers: expand(m.headers), payload: hex(m.payload) })),
  );
  assert.deepEqual(headerPairs(received[1]!.headers), [['Trace', 'abc'], ['Tag', 'x'], ['Tag', 'y']], 'repeated header names kept, in order');
  assert.deepEqual(received[1]!.payload, INVALID_UTF8);
  assert.equal(received[2]!.reply, `${p}.inbox.1`);
  assert.equal(received[3]!.payload.byteLength, 0);
});

test('mqtt and nats: headers named __proto__, toString and constructor are replayed like any other name', async (t) => {
  const p = runPrefix();
  const dir = tmpDir();
  const want = '{"__proto__":"p","toString":["t","t2"],"constructor":"c","plain":"n"}';
  const pairs: [string, string][] = [['__proto__', 'p'], ['toString', 't'], ['constructor', 'c'], ['toString', 't2'], ['plain', 'n']];

  const mq = await startRecording(dir, 'mqtt-names', (id, sink) => new MqttTapConnector({ id, url: MQTT_URL, topics: [`${p}/src`] }, sink));
  t.after(() => mq.stop());
  await mosquittoPub(['-V', '5', '-t', `${p}/src`, '-m', 'x', ...pairs.flatMap(([k, v]) => ['-D', 'publish', 'user-property', k, v])]);
  await waitFor('the mqtt message recorded', () => mq.store.count() === 1, 15_000);
  await mq.stop();
  const mqDst = await startRecording(dir, 'mqtt-names-dst', (id, sink) => new MqttTapConnector({ id, url: MQTT_URL, topics: [`${p}/dst`] }, sink));
  t.after(() => mqDst.stop());
  const mqReport = await new Replayer(mq.store, { to: MQTT_URL, speed: 'max', map: { [`${p}/src`]: `${p}/dst` } }).run();
  assert.equal(mqReport.state, 'done', mqReport.error ?? '');
  await waitFor('the replayed mqtt message', () => mqDst.store.count() === 1, 15_000);
  await mqDst.stop();
  assertExact([...mq.store.iterate()][0]!.headers, want, 'mqtt recorded');
  assertExact([...mqDst.store.iterate()][0]!.headers, want, 'mqtt replayed');

  const nc = await RawNats.connect();
  t.after(() => nc.close());
  const na = await startRecording(dir, 'nats-names', (id, sink) => new NatsTapConnector({ id, url: NATS_URL, subjects: [`${p}.src`] }, sink));
  t.after(() => na.stop());
  nc.pub(`${p}.src`, 'x', { headers: pairs });
  await nc.ping();
  await waitFor('the nats message recorded', () => na.store.count() === 1, 15_000);
  await na.stop();
  assertExact([...na.store.iterate()][0]!.headers, want, 'nats recorded');
  const received: RawNatsMsg[] = [];
  await nc.sub(`${p}.dst`, (m) => received.push(m));
  const naReport = await new Replayer(na.store, { to: NATS_URL, speed: 'max', map: { [`${p}.src`]: `${p}.dst` } }).run();
  assert.equal(naReport.state, 'done', naReport.error ?? '');
  await waitFor('the replayed nats message', () => received.length === 1, 15_000);
  // Repeated names are sent together, in the order each name first came.
  assert.deepEqual(headerPairs(received[0]!.headers), [['__proto__', 'p'], ['toString', 't'], ['toString', 't2'], ['constructor', 'c'], ['plain', 'n']]);
});
