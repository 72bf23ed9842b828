import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaConnector } from '../../src/core/connectors/kafka/index.ts';
import { Recorder } from '../../src/core/engine/recorder.ts';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { createEnricher } from '../../src/core/analysis/correlation.ts';
import { AnalysisState } from '../../src/core/engine/session-analysis.ts';
import { analyzeSaved } from '../helpers/analysis.ts';
import {
  adminClient,
  committed,
  createTopic,
  deleteTopics,
  kafkaBrokers,
  kcatGroupConsumer,
  kcatProduce,
  stopProcess,
  uniqueName,
} from '../helpers/kafka.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';

const brokers = await kafkaBrokers();
const admin = await adminClient(brokers);
const created: string[] = [];
after(async () => {
  await deleteTopics(admin, created);
  await admin.disconnect();
});

const N = 40;

test('kcat records on a topic no group consumes are undelivered; those a group consumed are not', async (t) => {
  const dir = tmpDir();
  const prefix = uniqueName('fs-analysis');
  const [orphan, consumed, requests, replies] = ['audit', 'orders', 'calc-req', 'calc-rep'].map((n) => `${prefix}-${n}`) as [string, string, string, string];
  created.push(orphan, consumed, requests, replies);
  for (const topic of [orphan, consumed, requests, replies]) await createTopic(admin, topic, topic === consumed ? 2 : 1);

  const store = SessionStore.create(path.join(dir, 'kafka.flowscope'));
  t.after(() => store.close());
  const live = new AnalysisState();
  const recorder = new Recorder(store, {
    flushMs: 50,
    enrich: createEnricher(),
    onBatch: (b) => live.ingest(b.messages),
    onOffsets: (rows) => live.addOffsets(rows),
  });
  const connector = new KafkaConnector({ id: 'kafka', brokers, topics: `${prefix}-.*`, groupsPollMs: 300, topicRefreshMs: 500 }, recorder.sink('kafka'));
  await recorder.add(connector);
  await waitFor('the tap to record', () => recorder.endpointStates()[0]?.status === 'recording', 60_000);

  const group = uniqueName('fs-billing');
  const app = kcatGroupConsumer(brokers, group, consumed);
  t.after(() => stopProcess(app));

  const file = path.join(dir, 'lines.txt');
  fs.writeFileSync(file, `${Array.from({ length: N }, (_, i) => JSON.stringify({ n: i })).join('\n')}\n`);
  await kcatProduce({ brokers, topic: orphan, file });
  await kcatProduce({ brokers, topic: consumed, file, headers: [['producer', 'checkout']] });

  // A request/reply exchange over two topics, correlated by header.
  const producer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  t.after(() => producer.disconnect());
  for (let i = 0; i < 3; i++) {
    await producer.send({ topic: requests, messages: [{ value: `q${i}`, headers: { 'correlation-id': `c${i}`, 'reply-to': replies } }] });
  }
  for (let i = 0; i < 2; i++) await producer.send({ topic: replies, messages: [{ value: `r${i}`, headers: { 'correlation-id': `c${i}` } }] });

  await waitFor('every record in the session', () => store.count({}) === 2 * N + 5, 60_000);
  await waitFor('the group to commit everything', async () => Object.values(await committed(admin, group, consumed)).reduce((s, o) => s + Math.max(0, Number(o)), 0) === N, 60_000);
  await waitFor('its commits in the session', () => {
    const latest = new Map<number, number>();
    for (const r of store.offsets(consumed)) if (r.groupId === group) latest.set(r.partition, Number(r.offset));
    return [...latest.values()].reduce((s, o) => s + Math.max(0, o), 0) === N;
  });
  await recorder.stop();

  const r = (await analyzeSaved(store)).finish();
  assert.deepEqual(r.undelivered.byReason, { 'no-consumer-group': N + 5 }, JSON.stringify(r.undelivered.byReason));
  const byTopic = new Map<string, number>();
  for (const i of r.undelivered.items) byTopic.set(i.destination, (byTopic.get(i.destination) ?? 0) + 1);
  assert.equal(byTopic.get(orphan), N);
  assert.equal(byTopic.get(consumed), undefined, 'nothing the group read is reported');
  assert.match(r.undelivered.items.find((i) => i.destination === orphan)!.explanation, /No consumer group committed offsets/);

  assert.equal(r.pairs.matched, 2);
  assert.equal(r.pairs.unanswered, 1);
  const state = await analyzeSaved(store);
  assert.deepEqual(state.pairsPage({ limit: 10, status: 'matched' }).rows.map((p) => [p.correlationId, p.destination, p.replyDestination]), [
    ['c0', requests, replies],
    ['c1', requests, replies],
  ]);

  const label = new Map(r.topology.nodes.map((n) => [n.id, n.label]));
  const edges = r.topology.edges.map((e) => `${label.get(e.source)} → ${label.get(e.target)}: ${e.count}`);
  assert.ok(edges.includes(`checkout → ${consumed}: ${N}`), edges.join('\n'));
  assert.ok(edges.includes(`${consumed} → ${group}: ${N}`), edges.join('\n'));

  const liveResult = live.finish(store.recordingEnd());
  assert.deepEqual(liveResult.undelivered.byReason, r.undelivered.byReason);
  assert.deepEqual([liveResult.pairs.matched, liveResult.pairs.unanswered], [2, 1]);
});
