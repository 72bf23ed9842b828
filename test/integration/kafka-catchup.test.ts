import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Admin } from 'kafkajs';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { adminClient, createTopic, deleteTopics, kafkaBrokers, kcatProduce, uniqueName, writeKeyedLines } from '../helpers/kafka.ts';
import { tmpDir } from '../helpers/tmp.ts';

// A large catch-up recorded by the CLI holds every record exactly once, with its bytes, and
// one stopped with SIGTERM halfway holds what it stored once and opens (issue 12). The
// recording goes through the store's writer thread and the tap's backpressure; no timing
// is asserted.

const BIN = path.resolve('bin/flowscope.mjs');
const N = 200_000;
let brokers: string[];
let admin: Admin;
let topic: string;

/** The 200-byte value of record i: its number first, so a payload names its record. */
function value(i: number): string {
  return `${String(i).padStart(8, '0')}-${'abcdefghij'.repeat(20)}`.slice(0, 200);
}

before(async () => {
  brokers = await kafkaBrokers();
  admin = await adminClient(brokers);
  topic = uniqueName('catchup');
  await createTopic(admin, topic, 3);
  const file = path.join(tmpDir(), 'records.txt');
  writeKeyedLines(file, N, (i) => [`k-${i}`, value(i)]);
  await kcatProduce({ brokers, topic, file, keyDelimiter: ':' });
});

after(async () => {
  await deleteTopics(admin, [topic]);
  await admin.disconnect();
});

interface Run {
  code: number | null;
  stderr: string;
}

/** `flowscope record --from-beginning` into `out`; `onStderr` sees its stderr as it comes. */
function record(out: string, extra: string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'record', '--kafka', brokers.join(','), '--topic', topic, '--from-beginning', '--out', out, ...extra], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      onStderr?.(stderr, child);
    });
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

/** Records the recording has committed to `file` so far (0 before its first batch). */
function storedSoFar(file: string): number {
  if (!fs.existsSync(file)) return 0;
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT MAX(seq) AS n FROM messages').get() as { n: number | null }).n ?? 0;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not a database yet, or its schema is still being created
  }
}

interface PartitionFacts {
  partition: number;
  count: number;
  uniq: number;
  first: number;
  last: number;
}

function partitionFacts(db: Database.Database): PartitionFacts[] {
  return db
    .prepare(
      `SELECT partition, COUNT(*) AS count, COUNT(DISTINCT offset) AS uniq, MIN(offset) AS first, MAX(offset) AS last
       FROM messages GROUP BY partition ORDER BY partition`,
    )
    .all() as PartitionFacts[];
}

test(`a catch-up of ${N.toLocaleString('en-US')} records holds every record exactly once, with its exact bytes`, async () => {
  const out = path.join(tmpDir(), 'all.flowscope');
  const r = await record(out, ['--max-messages', String(N)]);
  assert.equal(r.code, 0, r.stderr);
  const stopped = /stopped \(reached (\d+) messages\): ([\d,]+) messages in/.exec(r.stderr);
  assert.ok(stopped, r.stderr);
  assert.deepEqual([Number(stopped[1]), Number(stopped[2]!.replace(/,/g, ''))], [N, N]);

  // The file opens as a session (integrity check included).
  SessionStore.open(out, { readonly: true }).close();
  const db = new Database(out, { readonly: true });
  try {
    const parts = partitionFacts(db);
    assert.equal(parts.length, 3, 'all three partitions recorded');
    assert.equal(parts.reduce((n, p) => n + p.count, 0), N);
    for (const p of parts) {
      // Every offset once, none missing: 0 … count-1.
      assert.deepEqual([p.uniq, p.first, p.last], [p.count, 0, p.count - 1], `partition ${p.partition}`);
    }
    // Every record once: its number (the payload's first 8 bytes) is in the file once.
    const numbers = db.prepare('SELECT COUNT(DISTINCT substr(payload, 1, 8)) AS n FROM messages').get() as { n: number };
    assert.equal(numbers.n, N);
    const seqs = db.prepare('SELECT COUNT(*) AS n, MIN(seq) AS first, MAX(seq) AS last FROM messages').get() as { n: number; first: number; last: number };
    assert.deepEqual(seqs, { n: N, first: 1, last: N }, 'seqs are 1 … N without a gap');
    // Samples from across the topic: key and payload bytes exact.
    const get = db.prepare('SELECT key, payload, size FROM messages WHERE substr(payload, 1, 8) = ?');
    for (let i = 0; i < N; i += 9973) {
      const row = get.get(Buffer.from(String(i).padStart(8, '0'))) as { key: Buffer; payload: Buffer; size: number };
      assert.ok(row, `record ${i} is in the file`);
      assert.ok(row.payload.equals(Buffer.from(value(i))), `payload of record ${i}`);
      assert.equal(row.key.toString(), `k-${i}`);
      assert.equal(row.size, 200);
    }
  } finally {
    db.close();
  }
});

test('a catch-up stopped with SIGTERM holds what it stored exactly once, and the file opens', async () => {
  const out = path.join(tmpDir(), 'stopped.flowscope');
  let signalled = false;
  let polling: NodeJS.Timeout | undefined;
  // SIGTERM as soon as the file holds a record: read from the file itself, so neither the
  // progress line's pace nor the catch-up's speed decides whether the signal comes at all.
  const r = await record(out, [], (_stderr, child) => {
    if (polling) return;
    polling = setInterval(() => {
      if (signalled || storedSoFar(out) === 0) return;
      signalled = true;
      clearInterval(polling);
      child.kill('SIGTERM');
    }, 20);
  });
  clearInterval(polling);
  assert.ok(signalled, r.stderr);
  assert.equal(r.code, 0, r.stderr);
  const stopped = /stopped \(SIGTERM\): ([\d,]+) messages in/.exec(r.stderr);
  assert.ok(stopped, r.stderr);
  const reported = Number(stopped[1]!.replace(/,/g, ''));

  SessionStore.open(out, { readonly: true }).close();
  const db = new Database(out, { readonly: true });
  try {
    const parts = partitionFacts(db);
    const total = parts.reduce((n, p) => n + p.count, 0);
    assert.equal(total, reported, 'the file holds what the command said it stored');
    assert.ok(total > 0 && total < N, `stopped mid-catch-up (${total} of ${N})`);
    for (const p of parts) {
      // What was stored of a partition is its beginning, each offset once.
      assert.deepEqual([p.uniq, p.first, p.last], [p.count, 0, p.count - 1], `partition ${p.partition}`);
    }
    const numbers = db.prepare('SELECT COUNT(DISTINCT substr(payload, 1, 8)) AS n FROM messages').get() as { n: number };
    assert.equal(numbers.n, total);
  } finally {
    db.close();
  }
});
