import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import type { Admin } from 'kafkajs';
import { KafkaConnector } from '../../src/core/connectors/kafka/index.ts';
import { Recorder, type EndpointState } from '../../src/core/engine/recorder.ts';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { kafkaStatus, killKafka, startKafka, stopKafka } from '../../scripts/kafka/index.ts';
import { adminClient, createTopic, kcatProduce, uniqueName, writeKeyedLines } from '../helpers/kafka.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';

// This file runs its own broker, so killing it cannot disturb anybody else's tests.
const PORT = Number(process.env.FLOWSCOPE_KAFKA_RESTART_PORT ?? 29092);
const brokers = [`127.0.0.1:${PORT}`];
// A broker left on this port by an earlier, interrupted run of this file.
if ((await kafkaStatus({ port: PORT })).running) await stopKafka({ port: PORT });
let ourBroker = false;
after(async () => {
  if (ourBroker) await stopKafka({ port: PORT }); // by the pid scripts/kafka recorded for it
});

const dir = tmpDir();
const store = SessionStore.create(path.join(dir, 'restart.flowscope'));
const states: EndpointState[] = [];
const recorder = new Recorder(store, { onStatus: (s) => states.push(s) });
after(async () => {
  await recorder.stop();
  store.close();
});
const topic = uniqueName('fs-restart');
const produced = new Map<string, string>();
let admin: Admin | null = null;
after(() => admin?.disconnect());

async function produce(label: string, n: number): Promise<void> {
  const file = path.join(dir, `${label}.txt`);
  const batch = writeKeyedLines(file, n, (i) => [`${label}-${i}`, `value ${label} ${i}`]);
  await kcatProduce({ brokers, topic, file, keyDelimiter: ':' });
  for (const [k, v] of batch) produced.set(k, v);
}

function statuses(): string[] {
  return states.map((s) => s.status);
}

test('a tap started before the broker is reachable says so, then records once it comes up', async () => {
  const connector = new KafkaConnector(
    { id: 'kafka', brokers, topics: [topic], topicRefreshMs: 500, groupsPollMs: 500 },
    recorder.sink('kafka'),
  );
  await recorder.add(connector);
  const waiting = await waitFor('a status explaining the broker is unreachable', () =>
    states.find((s) => (s.status === 'connecting' || s.status === 'reconnecting') && /Cannot reach Kafka/.test(s.detail ?? '')),
  );
  assert.match(waiting.detail!, new RegExp(`127\\.0\\.0\\.1:${PORT}.*(ECONNREFUSED|connect)`, 'i'));
  assert.match(waiting.detail!, /retrying in/);

  await startKafka({ port: PORT });
  ourBroker = true;
  admin = await adminClient(brokers);
  await createTopic(admin, topic, 2);
  await produce('before', 300);
  await waitFor('records produced after the broker came up', () => store.count() >= 300, 60_000);
  assert.equal(recorder.endpointStates()[0]?.status, 'recording');
});

test('a broker killed mid-recording: reconnecting, then recording again, every record exactly once', async (t) => {
  await admin?.disconnect();
  admin = null;
  await killKafka({ port: PORT });
  const recordingAt = statuses().lastIndexOf('recording');
  await waitFor('reconnecting', () => statuses().indexOf('reconnecting', recordingAt) > recordingAt, 60_000);
  const lost = states.find((s, i) => i > recordingAt && s.status === 'reconnecting');
  assert.match(lost?.detail ?? '', /Kafka at 127\.0\.0\.1/);

  await startKafka({ port: PORT, keepData: true });
  await produce('after', 300);
  // One last record per partition: a record fetched twice after the restart would arrive before it.
  const sentinels = path.join(dir, 'sentinel.txt');
  writeKeyedLines(sentinels, 1, () => ['sentinel', 'end']);
  for (const partition of [0, 1]) await kcatProduce({ brokers, topic, file: sentinels, keyDelimiter: ':', partition });
  await waitFor('everything produced after the restart', () => store.count() >= 602, 90_000);
  await waitFor('recording again', () => recorder.endpointStates()[0]?.status === 'recording', 30_000);
  const reconnectAt = statuses().indexOf('reconnecting', recordingAt);
  assert.ok(statuses().indexOf('recording', reconnectAt) > reconnectAt, `status went back to recording: ${statuses().join(' → ')}`);

  const connector = recorder.connector('kafka') as KafkaConnector;
  const stopStart = Date.now();
  await recorder.stop();
  t.diagnostic(`status: ${statuses().join(' → ')}; stop took ${Date.now() - stopStart} ms`);
  // Every throwaway group the tap used, including one orphaned by the crash, is gone.
  admin = await adminClient(brokers);
  const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
  assert.ok(connector.groupIds.length >= 2, 'a fresh group after the crash');
  for (const g of connector.groupIds) assert.ok(!groups.includes(g), `${g} deleted`);
  const rows = [...store.iterate({ destinations: [topic] })];
  const seen = new Set<string>();
  const byKey = new Map<string, number>();
  for (const m of rows) {
    const at = `${m.partition}/${m.offset}`;
    assert.ok(!seen.has(at), `record ${at} stored once`);
    seen.add(at);
    const key = Buffer.from(m.key!).toString();
    byKey.set(key, (byKey.get(key) ?? 0) + 1);
    if (key !== 'sentinel') assert.equal(Buffer.from(m.payload).toString(), produced.get(key));
  }
  assert.equal(rows.length, 602);
  for (const k of produced.keys()) assert.equal(byKey.get(k), 1, `${k} recorded exactly once`);
});
