import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { connect, headers as natsHeaders } from 'nats';
import { NatsTapConnector } from '../../src/core/connectors/nats/tap.ts';
import { MqttTapConnector } from '../../src/core/connectors/mqtt/tap.ts';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { Recorder } from '../../src/core/engine/recorder.ts';
import type { EndpointState } from '../../src/core/engine/recorder.ts';
import { analyzeSaved } from '../helpers/analysis.ts';
import { NATS_URL, RawNats, runPrefix, tapRecording } from '../helpers/mqtt-nats.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';
import { assertExact } from '../helpers/own-names.ts';

const INVALID_UTF8 = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x41, 0xc3, 0x28, 0x0d, 0x0a]);

test('NATS tap: subjects with * and >, headers, reply subjects and exact payloads from a raw-protocol client, in order', async (t) => {
  const p = runPrefix();
  const rec = await tapRecording((sink) => new NatsTapConnector({ id: 'tap', url: NATS_URL, subjects: [`${p}.sensors.*.temp`, `${p}.orders.>`] }, sink));
  t.after(() => rec.close());
  const c = await RawNats.connect();
  t.after(() => c.close());
  c.pub(`${p}.sensors.kitchen.temp`, '21.5');
  c.pub(`${p}.sensors.kitchen.humidity`, 'not selected');
  c.pub(`${p}.sensors.a.b.temp`, 'not selected');
  c.pub(`${p}.orders.eu.created`, INVALID_UTF8, { headers: [['Trace', 'abc'], ['Tag', 'x'], ['Tag', 'y']] });
  c.pub(`${p}.orders.us`, '{"id":1}', { reply: `${p}.inbox.1` });
  c.pub(`${p}.orders.empty`, Buffer.alloc(0));
  await c.ping();
  await waitFor('four messages', () => rec.stored() === 4);
  // Sent before the last one over one connection: anything not filtered would be here by now.
  const all = [...rec.store.iterate({})];
  assert.deepEqual(
    all.map((m) => [m.transport, m.event, m.destKind, m.destination]),
    [
      ['nats', 'publish', 'topic', `${p}.sensors.kitchen.temp`],
      ['nats', 'publish', 'topic', `${p}.orders.eu.created`],
      ['nats', 'publish', 'topic', `${p}.orders.us`],
      ['nats', 'publish', 'topic', `${p}.orders.empty`],
    ],
  );
  const [temp, created, us, empty] = all as [(typeof all)[0], (typeof all)[0], (typeof all)[0], (typeof all)[0]];
  assert.equal(Buffer.from(temp.payload).toString(), '21.5');
  assert.equal(temp.headers, null);
  assert.deepEqual(Buffer.from(created.payload), INVALID_UTF8, 'invalid UTF-8 and CR LF inside the payload kept exactly');
  assert.deepEqual(created.headers, { Trace: 'abc', Tag: ['x', 'y'] });
  assert.equal(us.replyTo, `${p}.inbox.1`);
  assert.equal(us.correlationId, `${p}.inbox.1`, 'a request is identified by its reply subject');
  assert.equal(empty.payload.byteLength, 0);
});

test('NATS request/reply: 20 requests with their own inboxes, 15 answered → 15 matched, 5 unanswered', async (t) => {
  const p = runPrefix();
  const inbox = (i: number): string => `_INBOX.${p}.${i}`;
  const rec = await tapRecording((sink) => new NatsTapConnector({ id: 'tap', url: NATS_URL, subjects: [`${p}.>`, `_INBOX.${p}.>`] }, sink));
  t.after(() => rec.close());
  const requester = await RawNats.connect();
  const responder = await RawNats.connect();
  t.after(() => {
    requester.close();
    responder.close();
  });
  for (let i = 0; i < 20; i++) requester.pub(`${p}.svc.price`, `{"n":${i}}`, { reply: inbox(i) });
  await requester.ping();
  for (let i = 0; i < 20; i++) {
    if (i % 4 === 1) continue; // 1, 5, 9, 13, 17 never answered
    responder.pub(inbox(i), `{"r":${i}}`, { headers: [['Responder', 'raw']] });
  }
  await responder.ping();
  await waitFor('35 messages', () => rec.stored() === 35);
  await rec.recorder.stop();

  const r = (await analyzeSaved(rec.store)).finish();
  assert.equal(r.pairs.matched, 15);
  assert.equal(r.pairs.unanswered, 5);
  assert.equal(r.pairs.orphans + r.pairs.duplicates, 0);
  const state = await analyzeSaved(rec.store);
  const body = (seq: number): Record<string, number> => JSON.parse(Buffer.from(rec.store.get(seq)!.payload).toString()) as Record<string, number>;
  const unanswered = state.pairsPage({ limit: 20, status: 'unanswered' }).rows.map((row) => body(row.requestSeq!).n!);
  assert.deepEqual(unanswered.sort((a, b) => a - b), [1, 5, 9, 13, 17]);
  const matched = state.pairsPage({ limit: 20, status: 'matched' }).rows;
  assert.equal(matched.length, 15);
  for (const pair of matched) {
    assert.equal(body(pair.requestSeq!).n, body(pair.replySeq!).r);
    assert.equal(rec.store.get(pair.replySeq!)!.destination, rec.store.get(pair.requestSeq!)!.replyTo);
  }
});

test('NATS and MQTT taps: a broker that is not there is reported as reconnecting with the reason, the password never shown', async (t) => {
  const store = SessionStore.create(path.join(tmpDir(), 'down.flowscope'));
  const states: EndpointState[] = [];
  const recorder = new Recorder(store, { onStatus: (s) => states.push(s) });
  t.after(async () => {
    await recorder.stop();
    store.close();
  });
  await recorder.add(new NatsTapConnector({ id: 'nats', url: 'nats://me:s3cret@127.0.0.1:1', subjects: ['>'], minBackoffMs: 50, maxBackoffMs: 100 }, recorder.sink('nats')));
  await recorder.add(new MqttTapConnector({ id: 'mqtt', url: 'mqtt://me:s3cret@127.0.0.1:1', topics: ['#'], minBackoffMs: 50, maxBackoffMs: 100 }, recorder.sink('mqtt')));
  for (const id of ['nats', 'mqtt']) {
    const s = await waitFor(`${id} reconnecting`, () => states.find((x) => x.id === id && x.status === 'reconnecting'));
    assert.match(s.detail!, /connection refused/);
  }
  assert.ok(states.every((s) => !(s.detail ?? '').includes('s3cret')), 'no password in any status');
});

test('NATS headers named __proto__, toString and constructor from nats.js are recorded like any other name', async (t) => {
  const p = runPrefix();
  const rec = await tapRecording((sink) => new NatsTapConnector({ id: 'tap', url: NATS_URL, subjects: [`${p}.>`] }, sink));
  t.after(() => rec.close());
  const nc = await connect({ servers: NATS_URL });
  t.after(() => nc.close());
  const h = natsHeaders();
  for (const [k, v] of [['__proto__', 'p'], ['toString', 't'], ['constructor', 'c'], ['toString', 't2'], ['plain', 'n']] as const) h.append(k, v);
  nc.publish(`${p}.names`, 'x', { headers: h });
  await nc.flush();
  await waitFor('the message', () => rec.stored() === 1);
  const [m] = [...rec.store.iterate({})];
  assertExact(m!.headers, '{"__proto__":"p","toString":["t","t2"],"constructor":"c","plain":"n"}', 'headers');
});
