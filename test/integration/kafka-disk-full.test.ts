import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { KafkaConnector } from '../../src/core/connectors/kafka/index.ts';
import { Recorder, type EndpointState } from '../../src/core/engine/recorder.ts';
import { SessionStore } from '../../src/core/store/session-store.ts';
import type { StorageStatus } from '../../src/shared/views.ts';
import { adminClient, createTopic, deleteTopics, kafkaBrokers, kcatProduce, uniqueName, writeKeyedLines } from '../helpers/kafka.ts';
import { mountSmallDisk } from '../helpers/tmpfs.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';

// Issue 14: where the broker keeps the data, a full disk loses nothing. The Kafka tap's
// consumer pauses while the session file cannot be written and reads on from its offset
// afterwards, so a memory budget far smaller than what is produced meanwhile drops nothing.

test('Kafka: a full disk pauses the consumer; after space returns every record kcat produced is stored, none dropped', async () => {
  const brokers = await kafkaBrokers();
  const admin = await adminClient(brokers);
  const topic = uniqueName('resilience-disk');
  await createTopic(admin, topic);
  const disk = mountSmallDisk('24m');
  const store = SessionStore.create(path.join(disk.dir, 'kafka.flowscope'));
  const statuses: StorageStatus[] = [];
  const states: EndpointState[] = [];
  const budget = 128 * 1024;
  const recorder = new Recorder(store, { onStorage: (s) => statuses.push(s), onStatus: (s) => states.push(s), heldBytesBudget: budget });
  const last = () => statuses[statuses.length - 1];
  const lines = tmpDir();
  let n = 0;
  const produce = async (count: number, bytes = 20) => {
    const file = path.join(lines, `batch-${n}.txt`);
    writeKeyedLines(file, count, (i) => [`k${n + i}`, `${n + i} ${'v'.repeat(bytes)}`]);
    n += count;
    await kcatProduce({ brokers, topic, file, keyDelimiter: ':' });
  };
  try {
    const connector = new KafkaConnector({ id: 'kafka', brokers, topics: [topic], fromBeginning: true }, recorder.sink('kafka'));
    await recorder.add(connector);
    await produce(10);
    await waitFor('the first records stored', () => store.count() === 10, 60_000);

    disk.fill();
    await produce(10);
    await waitFor('writes paused', () => last()?.state === 'paused', 30_000);
    // 1.5 MB produced while paused, twelve times the memory budget.
    await produce(3000, 500);
    disk.free();
    await waitFor('writes resumed', () => last()?.state === 'ok', 30_000);
    await waitFor('every record stored', () => store.count() >= n, 60_000);
    await recorder.stop();

    const values = [...store.iterate()].map((m) => Number(Buffer.from(m.payload).toString().split(' ')[0]));
    assert.deepEqual(values, Array.from({ length: n }, (_, i) => i), 'every record, once, in order');
    const final = recorder.storage();
    assert.equal(final.dropped, 0, 'nothing dropped: the broker kept what was not read');
    const gap = store.gaps().find((g) => g.endpoint === 'kafka');
    assert.ok(gap, 'the pause is recorded');
    assert.equal(gap.lost, 0);
    assert.match(gap.detail ?? '', /reading paused; the broker kept the rest/);
  } finally {
    await recorder.stop().catch(() => undefined);
    store.close();
    disk.dispose();
    await deleteTopics(admin, [topic]).catch(() => undefined);
    await admin.disconnect();
  }
});
