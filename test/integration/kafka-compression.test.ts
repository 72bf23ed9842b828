import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { codecStats, KafkaConnector, setCodecEnabled, type CodecName } from '../../src/core/connectors/kafka/index.ts';
import { Recorder, type EndpointState } from '../../src/core/engine/recorder.ts';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { adminClient, createTopic, deleteTopics, kafkaBrokers, kcatProduce, uniqueName, writeKeyedLines } from '../helpers/kafka.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';

const brokers = await kafkaBrokers();
const admin = await adminClient(brokers);
const prefix = uniqueName('fs-codec');
const codecs: CodecName[] = ['gzip', 'snappy', 'lz4', 'zstd'];
const topics = [...codecs, 'zstd-off', 'plain'].map((c) => `${prefix}-${c}`);
after(async () => {
  await deleteTopics(admin, topics);
  await admin.disconnect();
});

const dir = tmpDir();
const store = SessionStore.create(path.join(dir, 'codecs.flowscope'));
const states: EndpointState[] = [];
const recorder = new Recorder(store, { onStatus: (s) => states.push(s) });
after(async () => {
  await recorder.stop();
  store.close();
});

/** Compressible records (librdkafka sends a batch uncompressed when compression would not shrink it). */
function produce(topic: string, compression: CodecName | 'none', n = 300): Promise<Map<string, string>> {
  const file = path.join(dir, `${topic}.txt`);
  const expected = writeKeyedLines(file, n, (i) => [
    `k${i}`,
    JSON.stringify({ i, status: 'shipped', items: Array.from({ length: 8 }, (_, j) => ({ sku: `SKU-${j}`, qty: j })) }),
  ]);
  return kcatProduce({ brokers, topic, file, keyDelimiter: ':', compression, props: { 'linger.ms': '50' } }).then(
    () => expected,
  );
}

function assertRecorded(topic: string, expected: Map<string, string>): void {
  const rows = [...store.iterate({ destinations: [topic] })];
  assert.equal(rows.length, expected.size, `${topic}: every record once`);
  for (const m of rows) {
    const key = Buffer.from(m.key!).toString();
    assert.equal(Buffer.from(m.payload).toString(), expected.get(key), `${topic}: bytes of ${key}`);
  }
}

test('setup: a tap on all the codec topics', async () => {
  for (const t of topics) await createTopic(admin, t, 1);
  const connector = new KafkaConnector({ id: 'kafka', brokers, topics: [`/${prefix}-.*/`] }, recorder.sink('kafka'));
  await recorder.add(connector);
  await waitFor('the tap to record', () => recorder.endpointStates()[0]?.status === 'recording');
});

for (const codec of codecs) {
  test(`${codec}-compressed batches are recorded with their exact bytes`, async () => {
    const before = codecStats()[codec].batches;
    const topic = `${prefix}-${codec}`;
    const expected = await produce(topic, codec);
    await waitFor(`${topic} recorded`, () => store.count({ destinations: [topic] }) >= expected.size);
    assertRecorded(topic, expected);
    assert.ok(codecStats()[codec].batches > before, `the records really came in ${codec} batches`);
    assert.equal(codecStats()[codec].failed, 0);
  });
}

test('a codec Flowscope cannot decode is reported by topic, and everything else keeps recording', async () => {
  setCodecEnabled('zstd', false);
  try {
    const undecodable = `${prefix}-zstd-off`;
    const plain = `${prefix}-plain`;
    await produce(undecodable, 'zstd', 200);
    const expectedPlain = await produce(plain, 'none', 50);
    await waitFor('both topics recorded', () =>
      store.count({ destinations: [undecodable] }) >= 200 && store.count({ destinations: [plain] }) >= 50,
    );
    assertRecorded(plain, expectedPlain);

    const warning = states.find((s) => s.detail?.includes(`Topic ${undecodable} uses zstd compression`));
    assert.ok(warning, `a status names the topic and codec: ${JSON.stringify(states.map((s) => s.detail))}`);
    assert.match(warning.detail!, /cannot decode yet/);
    assert.equal(recorder.endpointStates()[0]?.status, 'recording');

    // Each record is still there, at its offset, flagged instead of silently missing.
    const rows = [...store.iterate({ destinations: [undecodable] })];
    assert.deepEqual(
      rows.map((m) => m.offset),
      Array.from({ length: 200 }, (_, i) => String(i)),
    );
    for (const m of rows) {
      assert.match(String(m.meta?.undecodable), /^zstd: /);
      assert.equal(m.payload.byteLength, 0);
      assert.equal(m.key, null);
    }
  } finally {
    setCodecEnabled('zstd', true);
  }
});
