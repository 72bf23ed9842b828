import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Admin } from 'kafkajs';
import { adminClient, createTopic, deleteTopics, kafkaBrokers, kcatProduce, uniqueName } from '../helpers/kafka.ts';
import { AMQP_HOST, AMQP_PORT, AmqpClient, amqpPublishCli, suffix } from '../helpers/amqp.ts';
import { MQTT_URL, NATS_URL, RawNats, mosquittoPub } from '../helpers/mqtt-nats.ts';
import { startPythonServer, type PythonServer } from '../fixtures/ws_python.ts';
import { eventually, launchBrowser, openView, screenshot, startHarness, waitShown, type BrowserSession, type Harness } from '../helpers/browser.ts';

// Issue 16: one session records Kafka (kcat), RabbitMQ (amqp-publish), a WebSocket (a tap on
// the python3-websockets echo server), MQTT (mosquitto_pub) and NATS (a raw-protocol client)
// at once. The flow graph shows each transport's destination with its badge, and the
// Messages view's transport filter narrows to each one with the right count.

const tag = `fivefold-${suffix()}`;
const TOPIC = uniqueName('fivefold-orders');
const EXCHANGE = `${tag}-events`;
const QUEUE = `${tag}-billing`;
const MQTT_TOPIC = `${tag}/sensors/kitchen/temp`;
const SUBJECT = `${tag}.orders.created`;
const WS_PATH = `/${tag}/feed`;
const AMQP_URL = `amqp://guest:guest@${AMQP_HOST}:${AMQP_PORT}`;

let h: Harness;
let b: BrowserSession;
let admin: Admin;
let brokers: string[];
let amqp: AmqpClient;
let wsServer: PythonServer;

before(async () => {
  brokers = await kafkaBrokers();
  admin = await adminClient(brokers);
  await createTopic(admin, TOPIC, 1);
  amqp = await AmqpClient.open(AMQP_URL);
  await amqp.ch.assertExchange(EXCHANGE, 'topic', { durable: false, autoDelete: false });
  await amqp.ch.assertQueue(QUEUE, { durable: false, autoDelete: false });
  await amqp.ch.bindQueue(QUEUE, EXCHANGE, 'billing.#');
  wsServer = await startPythonServer('ws_echo_server.py', ['0']);
  h = await startHarness();
  b = await launchBrowser();
  b.page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  await b?.close();
  await h?.close();
  await wsServer?.stop();
  if (amqp) {
    await amqp.ch.deleteQueue(QUEUE).catch(() => undefined);
    await amqp.ch.deleteExchange(EXCHANGE).catch(() => undefined);
    await amqp.close();
  }
  if (admin) {
    await deleteTopics(admin, [TOPIC]);
    await admin.disconnect();
  }
});

/** The flow node for one destination; its badge names the transport. */
function flowNode(kind: string, label: string, match: '=' | '*=' = '=') {
  return b.page.locator(`[data-testid="flow-node"][data-kind="${kind}"][data-label${match}"${label}"]`);
}

test('A session with all five transports shows them in one flow graph', async () => {
  const { page } = b;
  await page.goto(h.bridge.url);
  await page.getByTestId('empty-state').waitFor();

  const created = await h.engine.call('renderer:session:new', {});
  const connect = (spec: Parameters<typeof h.engine.call<'renderer:endpoint:connect'>>[1]['spec']) =>
    h.engine.call('renderer:endpoint:connect', { sessionId: created.id, spec });
  await connect({ kind: 'kafka', brokers, topics: [TOPIC], fromBeginning: true });
  await connect({ kind: 'amqp', url: AMQP_URL, exchanges: [EXCHANGE], queues: [QUEUE], managementUrl: false });
  await connect({ kind: 'mqtt', url: MQTT_URL, topics: [`${tag}/#`] });
  await connect({ kind: 'nats', url: NATS_URL, subjects: [`${tag}.>`] });
  await connect({ kind: 'ws-tap', url: `ws://127.0.0.1:${wsServer.port}${WS_PATH}`, send: ['{"hello":"five"}'] });
  h.engine.emit('main:session:changed', h.engine.session(created.id).info());
  await page.getByTestId('session-tab').waitFor();
  await eventually('five endpoints recording', async () => {
    const chips = page.getByTestId('endpoint-chip');
    if ((await chips.count()) !== 5) return false;
    for (const s of await chips.evaluateAll((els) => els.map((e) => e.getAttribute('data-status')))) if (s !== 'recording') return false;
    return true;
  });

  // Kafka: 3 records; RabbitMQ: 2 publishes (each seen published and delivered to the queue
  // by the tap); MQTT: 2; NATS: 2; WebSocket: the welcome and the echo of the one frame sent,
  // plus that frame.
  const file = path.join(h.dataDir, 'kafka.txt');
  fs.writeFileSync(file, ['a', 'b', 'c'].map((k) => `${k}:{"order":"${k}"}`).join('\n') + '\n');
  await kcatProduce({ brokers, topic: TOPIC, file, keyDelimiter: ':' });
  await amqpPublishCli({ url: AMQP_URL, exchange: EXCHANGE, key: 'billing.invoice', body: '{"invoice":1}' });
  await amqpPublishCli({ url: AMQP_URL, exchange: EXCHANGE, key: 'billing.invoice', body: '{"invoice":2}' });
  await mosquittoPub(['-V', 'mqttv5', '-t', MQTT_TOPIC, '-m', '21.5', '-q', '1']);
  await mosquittoPub(['-V', 'mqttv5', '-t', MQTT_TOPIC, '-m', '21.7', '-q', '1']);
  const nats = await RawNats.connect();
  nats.pub(SUBJECT, '{"order":1}');
  nats.pub(SUBJECT, '{"order":2}');
  await nats.ping();
  nats.close();

  // Each transport's own count, through the transport filter the Messages view offers.
  const transports = page.getByRole('group', { name: 'Transports' });
  const labels = await transports.getByRole('button').allTextContents();
  assert.deepEqual(labels, ['Kafka', 'AMQP', 'WS', 'MQTT', 'NATS']);
  const counts: Record<string, number> = {};
  for (const label of labels) {
    const button = transports.getByRole('button', { name: label, exact: true });
    await button.click();
    counts[label] = await waitShown(page, (n) => n > 0, `${label} messages`);
    if (label === 'Kafka') assert.equal(await waitShown(page, (n) => n === 3, 'the three Kafka records'), 3);
    if (label === 'MQTT') assert.equal(await waitShown(page, (n) => n === 2, 'the two MQTT publishes'), 2);
    if (label === 'NATS') assert.equal(await waitShown(page, (n) => n === 2, 'the two NATS messages'), 2);
    if (label === 'WS') assert.ok(await waitShown(page, (n) => n >= 2, 'the frame sent and its echo') >= 2);
    if (label === 'AMQP') assert.ok(await waitShown(page, (n) => n >= 2, 'the two AMQP publishes') >= 2);
    if (label === 'WS') await screenshot(page, 'messages-five-transports-ws-light');
    await button.click();
  }
  await waitShown(page, (n) => n === Object.values(counts).reduce((a, c) => a + c, 0), 'every transport together');
  await screenshot(page, 'messages-five-transports-light');

  await openView(page, 'Flow');
  // The socket's node is labelled with the URL the tap opened, which ends in its path.
  const expected: [string, string, string, ('=' | '*=')?][] = [
    ['topic', TOPIC, 'kafka'],
    ['exchange', EXCHANGE, 'amqp'],
    ['queue', QUEUE, 'amqp'],
    ['topic', MQTT_TOPIC, 'mqtt'],
    ['topic', SUBJECT, 'nats'],
    ['ws-server', WS_PATH, 'ws', '*='],
  ];
  for (const [kind, label, transport, match] of expected) {
    const node = flowNode(kind, label, match);
    await node.waitFor();
    assert.equal(await node.locator('.badge').first().textContent(), transport, `${label}'s badge`);
  }
  await screenshot(page, 'flow-five-transports-light');
});
