import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { importKcat } from '../../src/core/io/kcat.ts';
import { Replayer } from '../../src/core/replay/index.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { adminClient, createTopic, deleteTopics, kafkaBrokers, kcatProduce, uniqueName } from '../helpers/kafka.ts';
import { kafkaByPartition } from './replay-support.ts';

const brokers = await kafkaBrokers();
const admin = await adminClient(brokers);
const topics: string[] = [];
after(async () => {
  await deleteTopics(admin, topics);
  await admin.disconnect();
});

function kcat(args: string[], input?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile('kcat', ['-b', brokers.join(','), ...args], { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024, timeout: 60_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`kcat ${args.join(' ')}: ${err.message}\n${stderr.toString()}`)) : resolve(stdout),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** What a user gets from `kcat -C -J -e`: one envelope per record, stdout only. */
async function kcatJson(topic: string, file: string): Promise<void> {
  fs.writeFileSync(file, await kcat(['-C', '-J', '-t', topic, '-o', 'beginning', '-e', '-q']));
}

test('kcat -J output imports with its keys, headers, partitions, raw bytes and tombstones, and replays back the same records', async (t) => {
  const dir = tmpDir();
  const topic = uniqueName('fs-kcat');
  const copy = uniqueName('fs-kcat-copy');
  topics.push(topic, copy);
  await createTopic(admin, topic, 2);

  // Partition 0: keyed text lines with a repeated header.
  const lines = path.join(dir, 'lines.txt');
  fs.writeFileSync(lines, Array.from({ length: 200 }, (_, i) => `key-${i}:{"n":${i},"msg":"héllo / \\"quoted\\" \\\\ ${i}"}`).join('\n') + '\n');
  await kcatProduce({ brokers, topic, file: lines, keyDelimiter: ':', partition: 0, headers: [['h1', 'v1'], ['trace', 't-9'], ['h1', 'v2']] });
  // Partition 1: whole files as single records (every byte value, control bytes and invalid UTF-8), then a tombstone.
  const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const binFile = path.join(dir, 'all-bytes.bin');
  fs.writeFileSync(binFile, Buffer.concat([allBytes, Buffer.from(allBytes).reverse()]));
  await kcat(['-P', '-t', topic, '-p', '1', '-k', 'bin-key', '-H', 'kind=binary', binFile]);
  await kcat(['-P', '-t', topic, '-p', '1', '-K', ':', '-Z'], 'gone:\n');

  const jsonFile = path.join(dir, 'capture.jsonl');
  await kcatJson(topic, jsonFile);
  const out = path.join(dir, 'imported.flowscope');
  const { count } = await importKcat(jsonFile, out, { flowscope_version: 'test' });
  assert.equal(count, 202);

  const store = SessionStore.open(out, { readonly: true });
  t.after(() => store.close());
  assert.deepEqual(store.destinations().map((d) => [d.destination, d.count]), [[topic, 202]]);
  const p0 = [...store.iterate({ transports: ['kafka'] })].filter((m) => m.partition === 0);
  assert.equal(p0.length, 200);
  p0.forEach((m, i) => {
    assert.equal(m.offset, String(i), 'offsets in order');
    assert.equal(Buffer.from(m.key!).toString(), `key-${i}`);
    assert.equal(Buffer.from(m.payload).toString(), `{"n":${i},"msg":"héllo / \\"quoted\\" \\\\ ${i}"}`);
    assert.deepEqual(m.headers, { h1: ['v1', 'v2'], trace: 't-9' });
    assert.equal(m.meta?.timestampType, 'CreateTime');
    assert.ok(typeof m.brokerTime === 'number' && m.brokerTime > 0);
  });
  const [bin, gone] = [...store.iterate()].filter((m) => m.partition === 1);
  assert.deepEqual(Buffer.from(bin!.payload), fs.readFileSync(binFile), 'binary record byte for byte');
  assert.equal(Buffer.from(bin!.key!).toString(), 'bin-key');
  assert.deepEqual(bin!.headers, { kind: 'binary' });
  assert.equal(Buffer.from(gone!.key!).toString(), 'gone');
  assert.equal(gone!.meta?.tombstone, true);
  assert.equal(gone!.payload.byteLength, 0);
  // What the message list shows for them.
  const rows = store.rows({ destinations: [topic] }, { limit: 300 });
  assert.equal(rows[0]!.key, 'key-0');
  assert.match(rows[0]!.preview, /^\{"n":0,"msg":"héllo/);
  assert.match(rows.find((r) => r.key === 'bin-key')!.preview, /^0x000102/);

  // Replayed into a fresh topic and captured with kcat again: the same records, per partition.
  const report = await new Replayer(store, { to: `kafka://${brokers.join(',')}`, speed: 'max', map: { [topic]: copy } }).run();
  assert.equal(report.state, 'done', report.error ?? '');
  assert.equal(report.sent, 202);
  assert.ok(report.notes.some((n) => n.includes(`Created topic ${copy} with 2 partitions`)));
  const copyFile = path.join(dir, 'copy.jsonl');
  await kcatJson(copy, copyFile);
  const copyOut = path.join(dir, 'copy.flowscope');
  await importKcat(copyFile, copyOut, {});
  const again = SessionStore.open(copyOut, { readonly: true });
  t.after(() => again.close());
  assert.deepEqual(kafkaByPartition([...again.iterate()]), kafkaByPartition([...store.iterate()]));
});
