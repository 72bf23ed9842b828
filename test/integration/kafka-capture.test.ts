import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaConnector } from '../../src/core/connectors/kafka/index.ts';
import { Recorder, type EndpointState } from '../../src/core/engine/recorder.ts';
import { SessionStore } from '../../src/core/store/session-store.ts';
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
  writeKeyedLines,
} from '../helpers/kafka.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';

const brokers = await kafkaBrokers();
const admin = await adminClient(brokers);
const created: string[] = [];
after(async () => {
  await deleteTopics(admin, created);
  await admin.disconnect();
});

/** Set FLOWSCOPE_KAFKA_CAPTURE_N=100000 for the larger measured run. */
const N = Number(process.env.FLOWSCOPE_KAFKA_CAPTURE_N ?? 10_000);
const prefix = uniqueName('fs-capture');
const topic = `${prefix}-orders`;
const lateTopic = `${prefix}-late`;

test(`records ${N} keyed records from 3 partitions exactly once and never touches the application's group`, async (t) => {
  const dir = tmpDir();
  created.push(topic, lateTopic);
  await createTopic(admin, topic, 3);

  const store = SessionStore.create(path.join(dir, 'capture.flowscope'));
  t.after(() => store.close());
  const states: EndpointState[] = [];
  const recorder = new Recorder(store, { onStatus: (s) => states.push(s) });
  // A pattern, so a topic created during the recording is picked up too.
  const connector = new KafkaConnector(
    { id: 'kafka', brokers, topics: `${prefix}-.*`, groupsPollMs: 300, topicRefreshMs: 500 },
    recorder.sink('kafka'),
  );
  await recorder.add(connector);
  await waitFor('the tap to record', () => recorder.endpointStates()[0]?.status === 'recording');
  assert.deepEqual(connector.tappedTopics, [topic]);

  // The application: a librdkafka consumer group that reads and commits.
  const appGroup = uniqueName('fs-app-group');
  const app = kcatGroupConsumer(brokers, appGroup, topic);
  t.after(() => stopProcess(app));

  const file = path.join(dir, 'messages.txt');
  const expected = writeKeyedLines(file, N, (i) => [`key-${i}`, JSON.stringify({ order: i, note: 'x'.repeat(i % 64) })]);
  const rss0 = process.memoryUsage().rss;
  const t0 = Date.now();
  await kcatProduce({
    brokers,
    topic,
    file,
    keyDelimiter: ':',
    headers: [
      ['h1', 'v1'],
      ['trace-id', 'abc-123'],
      ['h1', 'v2'],
    ],
  });
  await waitFor(`${N} records stored`, () => store.count({ destinations: [topic] }) >= N, 120_000);
  const stored = Date.now() - t0;
  const rss1 = process.memoryUsage().rss;

  // A topic created mid-recording, written by a Node client with binary header, binary value and a tombstone.
  await createTopic(admin, lateTopic, 1);
  const producer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  await producer.send({
    topic: lateTopic,
    messages: [
      { key: 'bin', value: Buffer.from([0, 0xff, 0xfe, 1]), headers: { raw: Buffer.from([0xff, 0x00, 0xc3]), text: 'héllo' } },
      { key: 'gone', value: null },
    ],
  });
  await producer.disconnect();
  await waitFor('the late topic recorded', () => store.count({ destinations: [lateTopic] }) === 2, 30_000);

  // The application group finished reading and committed everything.
  await waitFor(
    'the application group to commit all offsets',
    async () => Object.values(await committed(admin, appGroup, topic)).reduce((s, o) => s + Number(o), 0) === N,
    60_000,
  );
  const described = (await admin.describeGroups([appGroup])).groups[0];
  assert.ok(described && described.members.length > 0, 'kcat is a member of the application group');
  for (const m of described.members) assert.equal(m.clientId, 'rdkafka', 'only the application joined its group');
  await stopProcess(app);
  const appOffsets = await committed(admin, appGroup, topic);

  // The poller recorded the group's committed offsets into the session.
  await waitFor('group offsets in the session', () => {
    const latest = new Map<number, string>();
    for (const r of store.offsets(topic)) if (r.groupId === appGroup) latest.set(r.partition, r.offset);
    return [0, 1, 2].every((p) => latest.get(p) === appOffsets[p]);
  });
  assert.ok(
    store.offsets().every((r) => !r.groupId.startsWith('flowscope-')),
    "Flowscope's own groups are not recorded",
  );
  const facts = await connector.discover();
  const appFacts = facts.groups?.find((g) => g.groupId === appGroup);
  assert.equal(appFacts?.offsets.filter((o) => o.topic === topic).length, 3, 'discover() lists the group with its offsets');
  assert.ok(facts.groups?.every((g) => !g.groupId.startsWith('flowscope-')), 'discover() leaves out tap groups');
  const groupsWhileRecording = (await admin.listGroups()).groups.map((g) => g.groupId);
  assert.ok(groupsWhileRecording.includes(connector.groupId!), 'the tap reads through its own throwaway group');

  await recorder.stop();

  // Exactly the produced records: same keys, values and headers; offsets increase per partition.
  const rows = [...store.iterate({ destinations: [topic] })];
  assert.equal(rows.length, N);
  const lastOffset = new Map<number, bigint>();
  const seenKeys = new Set<string>();
  for (const m of rows) {
    assert.equal(m.event, 'publish');
    assert.equal(m.destKind, 'topic');
    const key = Buffer.from(m.key!).toString();
    assert.equal(Buffer.from(m.payload).toString(), expected.get(key), `value of ${key}`);
    assert.deepEqual(m.headers, { h1: ['v1', 'v2'], 'trace-id': 'abc-123' });
    assert.equal(m.meta?.timestampType, 'CreateTime');
    assert.ok(typeof m.brokerTime === 'number' && m.brokerTime >= t0 - 60_000);
    const off = BigInt(m.offset!);
    const prev = lastOffset.get(m.partition!);
    assert.ok(prev === undefined || off > prev, `offsets increase in partition ${m.partition}`);
    lastOffset.set(m.partition!, off);
    seenKeys.add(key);
  }
  assert.equal(seenKeys.size, N);
  assert.equal(lastOffset.size, 3, 'keys spread over all 3 partitions');
  for (const [p, off] of lastOffset) assert.equal(appOffsets[p], String(off + 1n), `app committed to the end of ${p}`);

  const late = [...store.iterate({ destinations: [lateTopic] })];
  assert.deepEqual(Buffer.from(late[0]!.payload), Buffer.from([0, 0xff, 0xfe, 1]));
  assert.deepEqual(late[0]!.headers, { raw: { $base64: Buffer.from([0xff, 0x00, 0xc3]).toString('base64') }, text: 'héllo' });
  assert.equal(late[1]!.payload.byteLength, 0);
  assert.equal(late[1]!.meta?.tombstone, true);

  // The tap never committed into the application's group, and its own group is gone.
  assert.deepEqual(await committed(admin, appGroup, topic), appOffsets);
  const groupsAfter = (await admin.listGroups()).groups.map((g) => g.groupId);
  for (const g of connector.groupIds) assert.ok(!groupsAfter.includes(g), `the tap's group ${g} is deleted on stop`);
  for (const g of groupsAfter.filter((id) => id !== appGroup)) {
    const offs = await committed(admin, g, topic).catch(() => ({}));
    assert.ok(Object.values(offs).every((o) => o === '-1'), `group ${g} has no offsets on the tapped topic`);
  }

  const topicFacts = store.latestDiscovery().flatMap((d) => d.topics ?? []).find((x) => x.name === topic);
  assert.equal(topicFacts?.partitions.length, 3, 'discovery lists the topic and its partitions');
  assert.ok(states.some((s) => s.status === 'recording'));

  const { first, last } = store.timeRange({ destinations: [topic] });
  const captureMs = (last ?? 0) - (first ?? 0);
  t.diagnostic(
    `${N} records: stored ${stored} ms after kcat started producing; capture span ${captureMs} ms ` +
      `(${Math.round((N / Math.max(captureMs, 1)) * 1000)} records/s); rss +${((rss1 - rss0) / 1048576).toFixed(1)} MiB`,
  );
});

test('fromBeginning records what was already in the topic', async (t) => {
  const store = SessionStore.create(path.join(tmpDir(), 'history.flowscope'));
  t.after(() => store.close());
  const recorder = new Recorder(store);
  await recorder.add(new KafkaConnector({ id: 'kafka', brokers, topics: [lateTopic], fromBeginning: true }, recorder.sink('kafka')));
  await waitFor('the 2 earlier records', () => store.count({ destinations: [lateTopic] }) === 2, 30_000);
  await recorder.stop();
  const keys = [...store.iterate({ destinations: [lateTopic] })].map((m) => Buffer.from(m.key!).toString());
  assert.deepEqual(keys, ['bin', 'gone']);
});
