import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MqttTapConnector } from '../../src/core/connectors/mqtt/tap.ts';
import { analyzeSaved } from '../helpers/analysis.ts';
import { MQTT_URL, mosquittoPub, runPrefix, tapRecording } from '../helpers/mqtt-nats.ts';
import { waitFor } from '../helpers/tmp.ts';
import { assertExact } from '../helpers/own-names.ts';

const INVALID_UTF8 = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x41, 0xc3, 0x28, 0x0a]);

test('MQTT 5 tap: topics, payload bytes, QoS, retain and properties from mosquitto_pub, in order', async (t) => {
  const p = runPrefix();
  // A retained message is there before the tap subscribes: it arrives marked retained.
  await mosquittoPub(['-V', 'mqttv5', '-t', `${p}/status/boiler`, '-m', 'on', '-r', '-q', '1']);
  t.after(() => mosquittoPub(['-V', 'mqttv5', '-t', `${p}/status/boiler`, '-n', '-r']));
  const rec = await tapRecording((sink) => new MqttTapConnector({ id: 'tap', url: MQTT_URL, topics: [`${p}/#`] }, sink));
  t.after(() => rec.close());
  await waitFor('the retained message', () => rec.stored() === 1);

  await mosquittoPub(['-V', 'mqttv5', '-t', `${p}/sensors/kitchen/temp`, '-m', '21.5', '-q', '0']);
  await mosquittoPub(['-V', 'mqttv5', '-t', `${p}/sensors/hall/temp`, '-s', '-q', '1'], INVALID_UTF8);
  await mosquittoPub([
    '-V', 'mqttv5', '-t', `${p}/rpc/get`, '-m', '{"q":1}', '-q', '2',
    '-D', 'publish', 'user-property', 'trace', 'abc',
    '-D', 'publish', 'user-property', 'tenant', 'é-42',
    '-D', 'publish', 'content-type', 'application/json',
    '-D', 'publish', 'response-topic', `${p}/rpc/reply/7`,
    '-D', 'publish', 'correlation-data', 'req-7',
    '-D', 'publish', 'message-expiry-interval', '120',
  ]);
  await mosquittoPub(['-V', 'mqttv5', '-t', `${p}/empty`, '-n']);
  await waitFor('five messages', () => rec.stored() === 5);

  const all = [...rec.store.iterate({})];
  assert.deepEqual(
    all.map((m) => [m.transport, m.event, m.destKind, m.destination]),
    [
      ['mqtt', 'publish', 'topic', `${p}/status/boiler`],
      ['mqtt', 'publish', 'topic', `${p}/sensors/kitchen/temp`],
      ['mqtt', 'publish', 'topic', `${p}/sensors/hall/temp`],
      ['mqtt', 'publish', 'topic', `${p}/rpc/get`],
      ['mqtt', 'publish', 'topic', `${p}/empty`],
    ],
  );
  const [retained, kitchen, hall, rpc, empty] = all as [(typeof all)[0], (typeof all)[0], (typeof all)[0], (typeof all)[0], (typeof all)[0]];
  assert.deepEqual(retained.meta, { qos: 1, retain: true, dup: false, protocolVersion: '5' });
  assert.equal(Buffer.from(retained.payload).toString(), 'on');
  assert.deepEqual(kitchen.meta, { qos: 0, retain: false, dup: false, protocolVersion: '5' });
  assert.equal(Buffer.from(kitchen.payload).toString(), '21.5');
  assert.deepEqual(Buffer.from(hall.payload), INVALID_UTF8, 'invalid UTF-8 bytes are kept exactly');
  assert.equal(hall.meta?.qos, 1);
  assert.equal(rpc.meta?.qos, 2);
  assert.deepEqual(rpc.headers, { trace: 'abc', tenant: 'é-42' });
  assert.equal(rpc.properties?.contentType, 'application/json');
  assert.equal(rpc.properties?.responseTopic, `${p}/rpc/reply/7`);
  assert.deepEqual(rpc.properties?.correlationData, { $base64: Buffer.from('req-7').toString('base64') });
  const expiry = rpc.properties?.messageExpiryInterval as number;
  assert.ok(expiry <= 120 && expiry >= 100, `message expiry kept (${expiry} s left)`);
  assert.equal(rpc.replyTo, `${p}/rpc/reply/7`);
  assert.equal(rpc.correlationId, 'req-7');
  assert.equal(empty.payload.byteLength, 0);
});

test('MQTT 3.1.1 tap: a + filter selects the matching topics only, binary payloads exact', async (t) => {
  const p = runPrefix();
  const rec = await tapRecording((sink) => new MqttTapConnector({ id: 'tap', url: MQTT_URL, topics: [`${p}/sensors/+/temp`], protocolVersion: 4 }, sink));
  t.after(() => rec.close());
  await mosquittoPub(['-V', 'mqttv311', '-t', `${p}/sensors/a/temp`, '-m', '1']);
  await mosquittoPub(['-V', 'mqttv311', '-t', `${p}/sensors/a/humidity`, '-m', 'nope']);
  await mosquittoPub(['-V', 'mqttv311', '-t', `${p}/sensors/a/b/temp`, '-m', 'nope']);
  await mosquittoPub(['-V', 'mqttv311', '-t', `${p}/sensors/b/temp`, '-s', '-q', '2'], INVALID_UTF8);
  await mosquittoPub(['-V', 'mqttv311', '-t', `${p}/sensors/c/temp`, '-m', '3', '-q', '1']);
  await waitFor('three temps', () => rec.stored() === 3);
  // Whatever did not match would have arrived by the time the last one did (one broker, in order).
  const all = [...rec.store.iterate({})];
  assert.deepEqual(all.map((m) => m.destination), [`${p}/sensors/a/temp`, `${p}/sensors/b/temp`, `${p}/sensors/c/temp`]);
  assert.deepEqual(all.map((m) => m.meta?.qos), [0, 2, 1]);
  assert.deepEqual(Buffer.from(all[1]!.payload), INVALID_UTF8);
  assert.ok(all.every((m) => m.meta?.protocolVersion === '3.1.1' && m.properties === null && m.headers === null));
});

test('MQTT 5 request/response: 20 requests, 15 answered on their response topic → 15 matched, 5 unanswered', async (t) => {
  const p = runPrefix();
  const rec = await tapRecording((sink) => new MqttTapConnector({ id: 'tap', url: MQTT_URL, topics: [`${p}/#`] }, sink));
  t.after(() => rec.close());
  // Non-ASCII correlation data too: its bytes are the id's UTF-8.
  const corr = (i: number): string => (i === 3 ? '\u00ff\u00fe03' : `c-${i}`);
  for (let i = 0; i < 20; i++) {
    await mosquittoPub(['-V', 'mqttv5', '-t', `${p}/svc/req`, '-m', `{"n":${i}}`, '-D', 'publish', 'response-topic', `${p}/client/replies`, '-D', 'publish', 'correlation-data', corr(i)]);
  }
  for (let i = 0; i < 20; i++) {
    if (i % 4 === 1) continue; // 1, 5, 9, 13, 17 never answered
    await mosquittoPub(['-V', 'mqttv5', '-t', `${p}/client/replies`, '-m', `{"r":${i}}`, '-D', 'publish', 'correlation-data', corr(i)]);
  }
  await waitFor('35 messages', () => rec.stored() === 35);
  await rec.recorder.stop();
  const r = (await analyzeSaved(rec.store)).finish();
  assert.equal(r.pairs.matched, 15);
  assert.equal(r.pairs.unanswered, 5);
  assert.equal(r.pairs.orphans + r.pairs.duplicates, 0);
  const state = await analyzeSaved(rec.store);
  const unanswered = state.pairsPage({ limit: 20, status: 'unanswered' }).rows.map((row) => JSON.parse(Buffer.from(rec.store.get(row.requestSeq!)!.payload).toString()).n as number);
  assert.deepEqual(unanswered.sort((a, b) => a - b), [1, 5, 9, 13, 17]);
  for (const pair of state.pairsPage({ limit: 20, status: 'matched' }).rows) {
    const req = rec.store.get(pair.requestSeq!)!;
    const rep = rec.store.get(pair.replySeq!)!;
    assert.equal(JSON.parse(Buffer.from(req.payload).toString()).n, JSON.parse(Buffer.from(rep.payload).toString()).r);
    assert.equal(rep.destination, req.replyTo);
  }
});

test('MQTT 5 user properties named __proto__, toString and constructor are recorded like any other name', async (t) => {
  const p = runPrefix();
  const rec = await tapRecording((sink) => new MqttTapConnector({ id: 'tap', url: MQTT_URL, topics: [`${p}/#`] }, sink));
  t.after(() => rec.close());
  const prop = (name: string, value: string): string[] => ['-D', 'publish', 'user-property', name, value];
  await mosquittoPub(['-V', 'mqttv5', '-t', `${p}/names`, '-m', 'x', ...prop('__proto__', 'p'), ...prop('toString', 't'), ...prop('constructor', 'c'), ...prop('toString', 't2'), ...prop('plain', 'n')]);
  await waitFor('the message', () => rec.stored() === 1);
  const [m] = [...rec.store.iterate({})];
  assertExact(m!.headers, '{"__proto__":"p","toString":["t","t2"],"constructor":"c","plain":"n"}', 'user properties');
});
