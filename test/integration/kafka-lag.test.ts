import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Admin } from 'kafkajs';
import { adminClient, createTopic, deleteTopics, kafkaBrokers, kcatProduce, uniqueName, writeKeyedLines } from '../helpers/kafka.ts';
import { tmpDir } from '../helpers/tmp.ts';

// `flowscope record` shows the tap's consumer lag while it catches up with a topic that
// already holds records, and says `lag 0` once every record is captured (issue 12). No
// timing is asserted: only what the live line says and the count in the file.

const BIN = path.resolve('bin/flowscope.mjs');
const N = 50_000;
let brokers: string[];
let admin: Admin;
let topic: string;

before(async () => {
  brokers = await kafkaBrokers();
  admin = await adminClient(brokers);
  topic = uniqueName('lag');
  await createTopic(admin, topic, 3);
  const file = path.join(tmpDir(), 'records.txt');
  writeKeyedLines(file, N, (i) => [`k-${i}`, `${String(i).padStart(8, '0')}-${'x'.repeat(191)}`]);
  await kcatProduce({ brokers, topic, file, keyDelimiter: ':' });
});

after(async () => {
  await deleteTopics(admin, [topic]);
  await admin.disconnect();
});

test(`a catch-up of ${N.toLocaleString('en-US')} records shows its lag, then lag 0 once all are captured`, async () => {
  const out = path.join(tmpDir(), 'lag.flowscope');
  const child = spawn(process.execPath, [BIN, 'record', '--kafka', brokers.join(','), '--topic', topic, '--from-beginning', '--out', out], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let signalled = false;
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    // Stop once the tap says it has caught up: every record the broker holds is captured.
    if (!signalled && /kafka-1: caught up, lag 0/.test(stderr)) {
      signalled = true;
      child.kill('SIGTERM');
    }
  });
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  assert.ok(signalled, `never caught up:\n${stderr}`);
  assert.equal(code, 0, stderr);

  const behind = [...stderr.matchAll(/kafka-1: lag ([\d,]+) records?/g)].map((m) => Number(m[1]!.replace(/,/g, '')));
  assert.ok(behind.length > 0, `the live line showed a lag while catching up:\n${stderr}`);
  for (const lag of behind) assert.ok(lag > 0 && lag <= N, `a lag between 1 and ${N}: ${lag}`);
  // Caught up means everything: the file holds every record.
  const stopped = /stopped \(SIGTERM\): ([\d,]+) messages in/.exec(stderr);
  assert.ok(stopped, stderr);
  assert.equal(Number(stopped[1]!.replace(/,/g, '')), N, 'lag 0 was said only once all records were captured');
  // The analysis is kept beside the writer thread's inserts (it once lost that race with
  // SQLITE_BUSY, so the next open had to read everything again).
  assert.doesNotMatch(stderr, /could not be kept|SQLITE_BUSY/, stderr);
});
