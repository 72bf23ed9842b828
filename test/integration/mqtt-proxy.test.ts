import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { generate, parser, type IConnackPacket, type Packet } from 'mqtt-packet';
import type { CapturedMessage } from '../../src/shared/model.ts';
import { MqttProxyConnector } from '../../src/core/connectors/mqtt/proxy.ts';
import { MqttProxyThread } from '../../src/core/connectors/mqtt/proxy-thread.ts';
import { analyzeSaved } from '../helpers/analysis.ts';
import { MQTT_URL, mosquittoPub, runPrefix, tapRecording, type TapRecording } from '../helpers/mqtt-nats.ts';
import { waitFor } from '../helpers/tmp.ts';

const INVALID_UTF8 = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x41, 0xc3, 0x28, 0x0a]);

type ProxyClass = typeof MqttProxyConnector | typeof MqttProxyThread;

async function proxyRecording(Proxy: ProxyClass = MqttProxyConnector): Promise<{ rec: TapRecording; port: string }> {
  let proxy!: { port: number };
  const rec = await tapRecording((sink) => (proxy = new Proxy({ id: 'tap', listenPort: 0, target: MQTT_URL }, sink)));
  return { rec, port: String(proxy.port) };
}

/** mosquitto_pub through the proxy. */
function pub(port: string, args: string[], input?: Buffer): Promise<void> {
  return mosquittoPub(['-p', port, ...args], input);
}

/** mosquitto_sub through the proxy, printing `topic hexpayload` per message; resolves once it has subscribed. */
async function sub(rec: TapRecording, port: string, args: string[]): Promise<{ child: ChildProcess; lines: string[]; exited: Promise<number | null> }> {
  const before = rec.stored({ events: ['subscribe'] });
  const filters = args.filter((_a, i) => args[i - 1] === '-t').length;
  const host = new URL(MQTT_URL).hostname;
  const child = spawn('mosquitto_sub', ['-h', host, '-p', port, '-F', '%t %x', ...args]);
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
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitFor('the subscription recorded', () => rec.stored({ events: ['subscribe'] }) >= before + filters, 15_000);
  return { child, lines, exited };
}

// The engine runs the proxy on the relay thread (MqttProxyThread); the relay itself is the
// same code, so the recording test runs both ways.
for (const [where, Proxy] of [
  ['in the recording thread', MqttProxyConnector],
  ['on its own thread', MqttProxyThread],
] as const) test(`MQTT proxy ${where} records publishes with client ids, deliveries, subscriptions and acks from mosquitto clients, bytes unchanged`, async (t) => {
  const p = runPrefix();
  const { rec, port } = await proxyRecording(Proxy);
  t.after(() => rec.close());
  const s = await sub(rec, port, ['-V', 'mqttv5', '-i', `${p}-sub`, '-t', `${p}/sensors/#`, '-q', '2']);
  t.after(() => s.child.kill());

  await pub(port, ['-V', 'mqttv5', '-i', `${p}-kitchen`, '-t', `${p}/sensors/kitchen/temp`, '-m', '21.5', '-q', '0']);
  await pub(port, ['-V', 'mqttv5', '-i', `${p}-hall`, '-t', `${p}/sensors/hall/temp`, '-s', '-q', '1'], INVALID_UTF8);
  await pub(port, [
    '-V', 'mqttv5', '-i', `${p}-rpc`, '-t', `${p}/sensors/rpc`, '-m', '{"q":1}', '-q', '2',
    '-D', 'publish', 'user-property', 'trace', 'abc',
    '-D', 'publish', 'content-type', 'application/json',
    '-D', 'publish', 'response-topic', `${p}/reply`,
    '-D', 'publish', 'correlation-data', 'req-7',
    '-D', 'publish', 'message-expiry-interval', '120',
  ]);
  await pub(port, ['-V', 'mqttv311', '-i', `${p}-old`, '-t', `${p}/sensors/old`, '-m', 'v3', '-q', '1']);
  await waitFor('four deliveries to the subscriber', () => s.lines.length === 4);
  await waitFor('four deliveries recorded', () => rec.stored({ events: ['deliver'] }) === 4);
  await waitFor("the publishers' four closes recorded", () => rec.stored({ events: ['close'] }) === 4);

  // The subscriber got exactly the bytes that were published.
  assert.deepEqual(s.lines, [
    `${p}/sensors/kitchen/temp ${Buffer.from('21.5').toString('hex')}`,
    `${p}/sensors/hall/temp ${INVALID_UTF8.toString('hex')}`,
    `${p}/sensors/rpc ${Buffer.from('{"q":1}').toString('hex')}`,
    `${p}/sensors/old ${Buffer.from('v3').toString('hex')}`,
  ]);

  const all = [...rec.store.iterate({})];
  const subs = all.filter((m) => m.event === 'subscribe');
  assert.deepEqual(subs.map((m) => [m.connection, m.destination, m.meta?.qos, m.meta?.reasonCode, m.meta?.granted]), [[`${p}-sub`, `${p}/sensors/#`, 2, 2, true]]);

  const pubs = all.filter((m) => m.event === 'publish');
  assert.deepEqual(
    pubs.map((m) => [m.connection, m.destination, m.meta?.qos, m.meta?.retain, m.meta?.dup, m.meta?.protocolVersion]),
    [
      [`${p}-kitchen`, `${p}/sensors/kitchen/temp`, 0, false, false, '5'],
      [`${p}-hall`, `${p}/sensors/hall/temp`, 1, false, false, '5'],
      [`${p}-rpc`, `${p}/sensors/rpc`, 2, false, false, '5'],
      [`${p}-old`, `${p}/sensors/old`, 1, false, false, '3.1.1'],
    ],
  );
  assert.deepEqual(Buffer.from(pubs[1]!.payload), INVALID_UTF8, 'invalid UTF-8 kept exactly');
  const rpc = pubs[2]!;
  assert.deepEqual(rpc.headers, { trace: 'abc' });
  assert.equal(rpc.properties?.contentType, 'application/json');
  assert.equal(rpc.properties?.messageExpiryInterval, 120, 'the publisher sent 120 s');
  assert.deepEqual(rpc.properties?.correlationData, { $base64: Buffer.from('req-7').toString('base64') });
  assert.equal(rpc.replyTo, `${p}/reply`);
  assert.equal(rpc.correlationId, 'req-7');

  const delivers = all.filter((m) => m.event === 'deliver');
  assert.ok(delivers.every((m) => m.connection === `${p}-sub`));
  assert.deepEqual(delivers.map((m) => Buffer.from(m.payload).toString('hex')), pubs.map((m) => Buffer.from(m.payload).toString('hex')));
  assert.deepEqual(delivers.map((m) => m.meta?.qos), [0, 1, 2, 1], 'granted QoS 2: each arrives at the QoS it was published with');

  // The QoS handshakes: the publisher's and the subscriber's.
  const acks = (client: string) => all.filter((m) => m.event === 'ack' && m.connection === client && m.meta?.packet !== 'connack').map((m) => `${String(m.meta?.from)}:${String(m.meta?.packet)}`);
  assert.deepEqual(acks(`${p}-hall`), ['broker:puback']);
  assert.deepEqual(acks(`${p}-rpc`), ['broker:pubrec', 'client:pubrel', 'broker:pubcomp']);
  assert.deepEqual(acks(`${p}-old`), ['broker:puback']);
  assert.deepEqual(acks(`${p}-sub`), ['client:puback', 'client:pubrec', 'broker:pubrel', 'client:pubcomp', 'client:puback']);
  const hallAck = all.find((m) => m.event === 'ack' && m.connection === `${p}-hall` && m.meta?.packet === 'puback')!;
  assert.equal(hallAck.destination, `${p}/sensors/hall/temp`);
  assert.equal(hallAck.meta?.reasonCode, 0);
  assert.equal(all.find((m) => m.connection === `${p}-old` && m.meta?.packet === 'puback')!.meta?.reasonCode, undefined, '3.1.1 acks carry no reason code');
  for (const c of ['kitchen', 'hall', 'rpc', 'old']) {
    const facts = all.filter((m) => m.connection === `${p}-${c}` && (m.event === 'open' || m.event === 'close'));
    assert.deepEqual(facts.map((m) => [m.event, m.meta?.by ?? null]), [['open', null], ['close', 'client']], `${c}: one open, one close by the client`);
  }

  // The flow graph: publisher clients → topics → the subscriber client.
  await rec.recorder.stop();
  const graph = (await analyzeSaved(rec.store)).topologyGraph();
  const label = (id: string) => graph.nodes.find((n) => n.id === id)!;
  const edges = graph.edges.map((e) => `${label(e.source).kind}:${label(e.source).label} -> ${label(e.target).kind}:${label(e.target).label} (${e.count})`).sort();
  assert.deepEqual(
    edges,
    [
      `producer:${p}-hall -> topic:${p}/sensors/hall/temp (1)`,
      `producer:${p}-kitchen -> topic:${p}/sensors/kitchen/temp (1)`,
      `producer:${p}-old -> topic:${p}/sensors/old (1)`,
      `producer:${p}-rpc -> topic:${p}/sensors/rpc (1)`,
      `topic:${p}/sensors/hall/temp -> consumer:${p}-sub (1)`,
      `topic:${p}/sensors/kitchen/temp -> consumer:${p}-sub (1)`,
      `topic:${p}/sensors/old -> consumer:${p}-sub (1)`,
      `topic:${p}/sensors/rpc -> consumer:${p}-sub (1)`,
    ].sort(),
  );
});

test('MQTT proxy: a malformed packet closes that client alone, with the reason; an unreachable broker is said so', async (t) => {
  const p = runPrefix();
  const { rec, port } = await proxyRecording();
  t.after(() => rec.close());
  const s = await sub(rec, port, ['-V', 'mqttv5', '-i', `${p}-sub`, '-t', `${p}/x`]);
  t.after(() => s.child.kill());

  // A client whose CONNECT is followed by a PUBLISH with a Remaining Length of five bytes.
  const bad = net.connect({ host: '127.0.0.1', port: Number(port) });
  await new Promise<void>((resolve) => bad.once('connect', () => resolve()));
  const heard: Buffer[] = [];
  bad.on('data', (d: Buffer) => heard.push(d));
  const connect = Buffer.from([0x10, 0x10, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x04, 0x62, 0x61, 0x64, 0x31]);
  bad.write(connect);
  await waitFor('the CONNACK', () => rec.stored({ events: ['ack'] }) >= 2);
  bad.write(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]));
  await new Promise<void>((resolve) => bad.once('close', () => resolve()));
  assert.deepEqual(Buffer.concat(heard), Buffer.from([0x20, 0x02, 0x00, 0x00]), "the broker's CONNACK reached the client, and nothing of the malformed packet went on");
  await waitFor('the error and the close recorded', () => rec.stored({ events: ['close'] }) === 1);
  const err = [...rec.store.iterate({ events: ['error'] })];
  assert.equal(err.length, 1);
  assert.equal(err[0]!.connection, 'bad1');
  assert.match(String(err[0]!.meta?.message), /malformed packet from the client: the Remaining Length takes more than four bytes/);
  const close = [...rec.store.iterate({ events: ['close'] })][0]!;
  assert.deepEqual([close.connection, close.meta?.by], ['bad1', 'proxy']);

  // The subscriber's connection is untouched: it still gets what is published.
  await pub(port, ['-V', 'mqttv5', '-t', `${p}/x`, '-m', 'still here']);
  await waitFor('the subscriber still served', () => s.lines.length === 1);

  // A proxy in front of a port nothing listens on.
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
  const deadPort = (closed.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const statuses: string[] = [];
  const facts: CapturedMessage[] = [];
  const dead = new MqttProxyConnector({ id: 'dead', listenPort: 0, target: `mqtt://127.0.0.1:${deadPort}` }, { message: (m) => facts.push(m), status: (st, d) => statuses.push(`${st}: ${d}`) });
  await dead.start();
  t.after(() => dead.stop());
  assert.match(statuses[0]!, new RegExp(`^failed: listening on mqtt://127.0.0.1:\\d+, relaying to 127.0.0.1:${deadPort}, but cannot connect to 127.0.0.1:${deadPort}: connection refused \\(is the MQTT broker running on this port\\?\\)`));
  const refused = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const c = spawn('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(dead.port), '-V', 'mqttv5', '-t', 'x', '-m', 'y']);
    let out = '';
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    c.once('exit', (code) => resolve({ code, out }));
  });
  assert.notEqual(refused.code, 0);
  assert.match(refused.out, /Server unavailable/i, 'mosquitto_pub shows the CONNACK refusal');

  // A client whose CONNECT comes after the proxy has already failed to reach the broker.
  const errors = () => facts.filter((m) => m.event === 'error').length;
  const before = errors();
  const slow = net.connect({ host: '127.0.0.1', port: dead.port });
  const answer: Buffer[] = [];
  slow.on('data', (d: Buffer) => answer.push(d));
  const slowClosed = new Promise<void>((resolve) => slow.once('close', () => resolve()));
  await waitFor('the broker found unreachable', () => errors() === before + 1);
  slow.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, clientId: 'late', keepalive: 30 }));
  await slowClosed;
  const connack = parser({ protocolVersion: 5 });
  const got: Packet[] = [];
  connack.on('packet', (pk: Packet) => got.push(pk));
  connack.parse(Buffer.concat(answer));
  assert.equal(got.length, 1);
  const ack = got[0] as IConnackPacket;
  assert.deepEqual([ack.cmd, ack.reasonCode], ['connack', 0x88]);
  assert.match(ack.properties?.reasonString ?? '', /^Flowscope proxy: cannot connect to 127\.0\.0\.1:\d+: connection refused/);
});

test('MQTT proxy relays and records a 3 MiB binary payload exactly', async (t) => {
  const p = runPrefix();
  const { rec, port } = await proxyRecording();
  t.after(() => rec.close());
  const s = await sub(rec, port, ['-V', 'mqttv311', '-i', `${p}-sub`, '-t', `${p}/blob`, '-q', '1']);
  t.after(() => s.child.kill());
  const blob = Buffer.alloc(3 * 1024 * 1024);
  for (let i = 0; i < blob.length; i++) blob[i] = (i * 2654435761) >>> 24;
  await pub(port, ['-V', 'mqttv311', '-i', `${p}-pub`, '-t', `${p}/blob`, '-s', '-q', '1'], blob);
  await waitFor('the blob at the subscriber', () => s.lines.length === 1, 30_000);
  assert.ok(s.lines[0] === `${p}/blob ${blob.toString('hex')}`, 'the subscriber got the exact bytes');
  await waitFor('publish and delivery recorded', () => rec.stored({ events: ['publish', 'deliver'] }) === 2);
  for (const m of rec.store.iterate({ events: ['publish', 'deliver'] })) assert.ok(Buffer.from(m.payload).equals(blob), `${m.event} recorded exactly`);
});
