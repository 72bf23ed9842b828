import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { generate, parser, type Packet } from 'mqtt-packet';
import { Engine } from '../../src/core/engine/engine.ts';
import type { SessionHandle } from '../../src/core/engine/session-handle.ts';
import { MQTT_URL, runPrefix } from '../helpers/mqtt-nats.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';

const run = promisify(execFile);
const HOST = new URL(MQTT_URL).hostname;
const ANALYSIS = { undelivered: { mqttWindowMs: 2000 } };

/** A session recording through a new MQTT proxy; the proxy's port read from its status. */
async function proxySession(engine: Engine, file: string): Promise<{ session: SessionHandle; port: string }> {
  const session = engine.newSession(file);
  const ep = await session.connect({ kind: 'mqtt-proxy', listenPort: 0, target: MQTT_URL });
  const detail = session.endpoints().find((e) => e.id === ep.id)?.detail ?? '';
  const port = /listening on mqtt:\/\/[^:]+:(\d+)/.exec(detail)?.[1];
  assert.ok(port, `the proxy says where it listens (${detail})`);
  return { session, port };
}

const count = (session: SessionHandle, events: string[]) => session.store.count({ events: events as never });

function pub(port: string, args: string[]): Promise<unknown> {
  return run('mosquitto_pub', ['-h', HOST, '-p', port, ...args]);
}

/** mosquitto_sub through the proxy, collecting payloads as text. */
function sub(port: string, args: string[]): { child: ChildProcess; lines: string[]; exited: Promise<number | null> } {
  const child = spawn('mosquitto_sub', ['-h', HOST, '-p', port, ...args]);
  const lines: string[] = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  return { child, lines, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

async function figures(engine: Engine, sessionId: string) {
  const summary = await engine.call('renderer:analysis:summary', { sessionId });
  const groups = await engine.call('renderer:analysis:undelivered', { sessionId });
  return {
    analysis: summary.analysis,
    pairs: [summary.pairs.matched, summary.pairs.unanswered, summary.pairs.orphans, summary.pairs.duplicates],
    byReason: summary.undelivered.byReason,
    items: summary.undelivered.items.map((i) => [i.seq, i.reason, i.destination]),
    groups: groups.groups.map((g) => [g.reason, g.destination, g.count]),
  };
}

test('MQTT proxy: publishes nobody subscribed to are undelivered "no-subscribers" (0x10 or no matching subscription), request/response pairs, the same after reopening', async (t) => {
  const p = runPrefix();
  const dir = tmpDir();
  const file = path.join(dir, 'mqtt.flowscope');
  const engine = new Engine({ dataDir: path.join(dir, 'data'), version: 'test', transport: 'bridge', analysis: ANALYSIS });
  t.after(() => engine.shutdown());
  const { session, port } = await proxySession(engine, file);

  // A responder (mqtt.js, MQTT 5) answers requests 0, 2, 3, 4, 6… on their response topic.
  const responder = await mqtt.connectAsync(`mqtt://${HOST}:${port}`, { protocolVersion: 5, clientId: `${p}-responder`, reconnectPeriod: 0 });
  t.after(() => responder.endAsync(true));
  responder.on('message', (_topic, payload, packet) => {
    const n = (JSON.parse(payload.toString()) as { n: number }).n;
    if (n % 4 === 1) return;
    const props = packet.properties!;
    void responder.publishAsync(props.responseTopic!, JSON.stringify({ r: n }), { qos: 1, properties: { correlationData: props.correlationData! } });
  });
  await responder.subscribeAsync(`${p}/svc/req`, { qos: 1 });
  const watcher = sub(port, ['-V', 'mqttv5', '-i', `${p}-watcher`, '-q', '1', '-t', `${p}/client/replies`, '-t', `${p}/watched`]);
  t.after(() => watcher.child.kill());
  await waitFor('both subscriptions recorded', () => count(session, ['subscribe']) === 3);

  for (let i = 0; i < 20; i++) {
    await pub(port, ['-V', 'mqttv5', '-i', `${p}-requester`, '-q', '1', '-t', `${p}/svc/req`, '-m', `{"n":${i}}`, '-D', 'publish', 'response-topic', `${p}/client/replies`, '-D', 'publish', 'correlation-data', `c-${i}`]);
  }
  // The truth: publishes to topics nobody subscribes to, by the way a user would send them.
  const nobody = { v5qos1: 4, v311: 3, v5qos0: 2 };
  for (let i = 0; i < nobody.v5qos1; i++) await pub(port, ['-V', 'mqttv5', '-i', `${p}-lost5`, '-q', '1', '-t', `${p}/nobody/a${i}`, '-m', `lost ${i}`]);
  for (let i = 0; i < nobody.v311; i++) await pub(port, ['-V', 'mqttv311', '-i', `${p}-lost3`, '-q', '1', '-t', `${p}/nobody/b${i}`, '-m', `lost ${i}`]);
  for (let i = 0; i < nobody.v5qos0; i++) await pub(port, ['-V', 'mqttv5', '-i', `${p}-lost0`, '-q', '0', '-t', `${p}/nobody/c${i}`, '-m', `lost ${i}`]);
  // And ones that had a subscriber, under each protocol.
  await pub(port, ['-V', 'mqttv311', '-q', '1', '-t', `${p}/watched`, '-m', 'seen 1']);
  await pub(port, ['-V', 'mqttv5', '-q', '0', '-t', `${p}/watched`, '-m', 'seen 2']);
  await pub(port, ['-V', 'mqttv5', '-q', '1', '-t', `${p}/watched`, '-m', 'seen 3']);
  await waitFor('15 replies and 3 watched messages at the watcher', () => watcher.lines.length === 18);
  await waitFor('every delivery recorded', () => {
    session.recorder?.flush();
    return count(session, ['deliver']) === 20 + 18;
  });
  watcher.child.kill();
  await responder.endAsync();
  await session.stopRecording();

  const live = await figures(engine, session.id);
  assert.deepEqual(live.pairs, [15, 5, 0, 0], 'requests and replies seen twice (publish and delivery) pair once');
  const lost = nobody.v5qos1 + nobody.v311 + nobody.v5qos0;
  assert.deepEqual(live.byReason, { 'no-subscribers': lost });
  const items = (await engine.call('renderer:analysis:summary', { sessionId: session.id })).undelivered.items;
  const lostTopics = (prefix: string) => items.filter((i) => i.destination.startsWith(`${p}/nobody/${prefix}`));
  assert.equal(lostTopics('a').length, nobody.v5qos1);
  assert.ok(lostTopics('a').every((i) => /0x10 No matching subscribers \(PUBACK\)/.test(i.explanation)), 'MQTT 5 QoS 1: the broker said so');
  assert.equal(lostTopics('b').length, nobody.v311);
  assert.ok(lostTopics('b').every((i) => /No subscription seen by the proxy matched .*MQTT 3\.1\.1/.test(i.explanation)));
  assert.equal(lostTopics('c').length, nobody.v5qos0);
  assert.ok(lostTopics('c').every((i) => /QoS 0/.test(i.explanation)));
  for (const i of items) assert.equal(session.store.get(i.seq)!.event, 'publish');

  // Reopened by another engine: the kept analysis shows the same figures at once.
  await engine.closeSession(session.id);
  const again = new Engine({ dataDir: path.join(dir, 'data2'), version: 'test', transport: 'bridge', analysis: ANALYSIS });
  t.after(() => again.shutdown());
  const reopened = again.openSession(file);
  assert.deepEqual(reopened.info().analysis, { state: 'ready' }, 'the kept analysis is used');
  assert.deepEqual(await figures(again, reopened.id), live);
});

test('MQTT proxy: a message that expired before its subscriber came back is undelivered "expired"; retained ones delivered later are marked retained', async (t) => {
  const p = runPrefix();
  const dir = tmpDir();
  const file = path.join(dir, 'expiry.flowscope');
  const engine = new Engine({ dataDir: path.join(dir, 'data'), version: 'test', transport: 'bridge', analysis: ANALYSIS });
  t.after(() => engine.shutdown());
  const { session, port } = await proxySession(engine, file);
  const late = ['-V', 'mqttv5', '-i', `${p}-late`, '-c', '-x', '60', '-q', '1', '-t', `${p}/late`];
  // The session is removed afterwards, straight on the broker (a clean start with no expiry).
  t.after(() => run('mosquitto_sub', ['-h', HOST, '-p', new URL(MQTT_URL).port, '-V', 'mqttv5', '-i', `${p}-late`, '-t', `${p}/late`, '-E']));
  t.after(() => run('mosquitto_pub', ['-h', HOST, '-p', new URL(MQTT_URL).port, '-t', `${p}/ret/long`, '-r', '-n']));

  // A persistent subscriber subscribes and leaves; the broker queues QoS 1 messages for it.
  assert.equal(await sub(port, [...late, '-E']).exited, 0);
  await pub(port, ['-V', 'mqttv5', '-q', '1', '-t', `${p}/late`, '-m', 'short-lived', '-D', 'publish', 'message-expiry-interval', '1']);
  await pub(port, ['-V', 'mqttv5', '-q', '1', '-t', `${p}/late`, '-m', 'long-lived', '-D', 'publish', 'message-expiry-interval', '120']);
  // Retained messages with nobody subscribed yet: one outlives the wait, one does not.
  await pub(port, ['-V', 'mqttv5', '-q', '1', '-r', '-t', `${p}/ret/short`, '-m', 'retained short', '-D', 'publish', 'message-expiry-interval', '1']);
  await pub(port, ['-V', 'mqttv5', '-q', '1', '-r', '-t', `${p}/ret/long`, '-m', 'retained long', '-D', 'publish', 'message-expiry-interval', '120']);
  // The broker expires by its own clock in whole seconds: the wait is the scenario itself.
  await new Promise((r) => setTimeout(r, 2500));

  const back = sub(port, [...late, '-C', '1']);
  assert.equal(await back.exited, 0);
  assert.deepEqual(back.lines, ['long-lived'], 'the broker dropped the expired message');
  const retained = sub(port, ['-V', 'mqttv5', '-q', '1', '-t', `${p}/ret/#`, '-C', '1', '-v']);
  assert.equal(await retained.exited, 0);
  assert.deepEqual(retained.lines, [`${p}/ret/long retained long`]);
  await waitFor('both deliveries recorded', () => {
    session.recorder?.flush();
    return count(session, ['deliver']) === 2;
  });
  await session.stopRecording();

  const f = await figures(engine, session.id);
  const pubs = [...session.store.iterate({ events: ['publish'] })];
  const seqOf = (payload: string) => pubs.find((m) => Buffer.from(m.payload).toString() === payload)!.seq;
  assert.deepEqual(f.byReason, { expired: 2 });
  assert.deepEqual(
    f.items.map(([seq, reason]) => [seq, reason]),
    [
      [seqOf('short-lived'), 'expired'],
      [seqOf('retained short'), 'expired'],
    ],
  );
  const items = (await engine.call('renderer:analysis:summary', { sessionId: session.id })).undelivered.items;
  assert.match(items[0]!.explanation, /Message Expiry Interval \(1 s\) passed before any client of the proxy received it/);
  const delivered = [...session.store.iterate({ events: ['deliver'] })];
  assert.deepEqual(delivered.map((m) => [Buffer.from(m.payload).toString(), m.meta?.retain]), [['long-lived', false], ['retained long', true]]);
  const detail = await engine.call('renderer:messages:get', { sessionId: session.id, seq: delivered[1]!.seq });
  assert.equal(detail?.meta?.retain, true, 'the detail says the delivery was the retained message');

  await engine.closeSession(session.id);
  const again = new Engine({ dataDir: path.join(dir, 'data2'), version: 'test', transport: 'bridge', analysis: ANALYSIS });
  t.after(() => again.shutdown());
  const reopened = again.openSession(file);
  assert.deepEqual(reopened.info().analysis, { state: 'ready' });
  assert.deepEqual(await figures(again, reopened.id), f);
});

test('MQTT proxy: a QoS 1 delivery the subscriber never acknowledged before dropping its connection is "qos-incomplete"', async (t) => {
  const p = runPrefix();
  const dir = tmpDir();
  const engine = new Engine({ dataDir: path.join(dir, 'data'), version: 'test', transport: 'bridge', analysis: ANALYSIS });
  t.after(() => engine.shutdown());
  const { session, port } = await proxySession(engine, path.join(dir, 'qos.flowscope'));

  // A subscriber written against the wire protocol (mqtt-packet) that acknowledges the first
  // delivery only, then drops its TCP connection without DISCONNECT.
  const sock = net.connect({ host: HOST, port: Number(port) });
  t.after(() => sock.destroy());
  const got: string[] = [];
  const parse = parser({ protocolVersion: 4 });
  let connacked = false;
  let subacked = false;
  parse.on('packet', (packet: Packet) => {
    if (packet.cmd === 'connack') connacked = true;
    if (packet.cmd === 'suback') subacked = true;
    if (packet.cmd === 'publish') {
      got.push(String(packet.payload));
      if (got.length === 1) sock.write(generate({ cmd: 'puback', messageId: packet.messageId! }));
    }
  });
  sock.on('data', (d: Buffer) => parse.parse(d));
  await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
  sock.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: `${p}-slow`, keepalive: 60 }));
  await waitFor('CONNACK', () => connacked);
  sock.write(generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `${p}/work`, qos: 1 }] }));
  await waitFor('SUBACK', () => subacked);

  await pub(port, ['-V', 'mqttv5', '-i', `${p}-boss`, '-q', '1', '-t', `${p}/work`, '-m', 'job 1']);
  await pub(port, ['-V', 'mqttv5', '-i', `${p}-boss`, '-q', '1', '-t', `${p}/work`, '-m', 'job 2']);
  await waitFor('both jobs delivered', () => got.length === 2);
  sock.destroy();
  await waitFor('the close recorded', () => {
    session.recorder?.flush();
    return session.store.count({ events: ['close'], connection: `${p}-slow` }) === 1;
  });
  await session.stopRecording();

  const f = await figures(engine, session.id);
  const job2 = [...session.store.iterate({ events: ['deliver'] })].find((m) => Buffer.from(m.payload).toString() === 'job 2')!;
  assert.deepEqual(f.byReason, { 'qos-incomplete': 1 });
  assert.deepEqual(f.items, [[job2.seq, 'qos-incomplete', `${p}/work`]]);
  const [item] = (await engine.call('renderer:analysis:summary', { sessionId: session.id })).undelivered.items;
  assert.match(item!.explanation, new RegExp(`Delivered at QoS 1 to client "${p}-slow", which disconnected before its PUBACK`));
  const graph = await engine.call('renderer:analysis:topology', { sessionId: session.id });
  const edge = graph.edges.find((e) => e.undelivered > 0)!;
  assert.deepEqual([graph.nodes.find((n) => n.id === edge.source)!.label, graph.nodes.find((n) => n.id === edge.target)!.label, edge.count, edge.undelivered], [`${p}/work`, `${p}-slow`, 2, 1]);
});
