import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { exportJsonl, importJsonl } from '../../src/core/io/jsonl.ts';
import type { CapturedMessage, Gap } from '../../src/shared/model.ts';
import { tmpDir } from '../helpers/tmp.ts';

// Gaps as one concept (issue 14): stored, read from files written before the table existed,
// exported as JSON Lines gap lines and imported back, and listed by `inspect`.

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const msg = (i: number): CapturedMessage => ({
  time: T0 + i * 1000,
  transport: 'amqp',
  endpoint: 'amqp-1',
  event: 'deliver',
  destKind: 'queue',
  destination: 'orders',
  payload: Buffer.from(`m${i}`),
});
const GAPS: Gap[] = [
  { endpoint: 'amqp-1', start: T0 + 2000, end: T0 + 4500, lost: null, reason: 'disconnected', detail: 'the broker closed the connection (CONNECTION_FORCED)' },
  { endpoint: 'amqp-1', start: T0 + 6000, end: T0 + 7000, lost: 12, reason: 'disk-full', detail: 'disk full; 3 held in memory and stored after' },
];

function session(dir: string, name = 's.flowscope'): string {
  const file = path.join(dir, name);
  const s = SessionStore.create(file);
  s.insertBatch([0, 1, 5, 8].map(msg));
  s.addGaps(GAPS);
  s.close();
  return file;
}

test('gaps are stored, and survive export to JSON Lines and import back', async () => {
  const dir = tmpDir();
  const file = session(dir);
  const s = SessionStore.open(file, { readonly: true });
  assert.deepEqual(s.gaps(), GAPS);
  const out = path.join(dir, 'out.jsonl');
  assert.equal(await exportJsonl(s, out), 4, 'the count is of messages');
  s.close();
  const lines = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines.slice(4), [
    { type: 'gap', endpoint: 'amqp-1', start: '2026-03-01T10:00:02.000Z', startMs: T0 + 2000, end: '2026-03-01T10:00:04.500Z', endMs: T0 + 4500, lost: null, reason: 'disconnected', detail: GAPS[0]!.detail },
    { type: 'gap', endpoint: 'amqp-1', start: '2026-03-01T10:00:06.000Z', startMs: T0 + 6000, end: '2026-03-01T10:00:07.000Z', endMs: T0 + 7000, lost: 12, reason: 'disk-full', detail: GAPS[1]!.detail },
  ]);
  const back = path.join(dir, 'back.flowscope');
  assert.deepEqual(await importJsonl(out, back, {}), { count: 4 });
  const b = SessionStore.open(back, { readonly: true });
  assert.deepEqual(b.gaps(), GAPS);
  b.close();
});

test('a bad gap line is refused with its line number', async () => {
  const dir = tmpDir();
  const input = path.join(dir, 'bad.jsonl');
  fs.writeFileSync(input, `${JSON.stringify({ type: 'gap', startMs: T0, endMs: T0 - 1, lost: 1, reason: 'disk-full' })}\n`);
  await assert.rejects(importJsonl(input, path.join(dir, 'x.flowscope'), {}), /line 1: gap: "end" is before "start"/);
  fs.writeFileSync(input, `\n${JSON.stringify({ type: 'gap', startMs: T0, endMs: T0, lost: -3, reason: 'disk-full' })}\n`);
  await assert.rejects(importJsonl(input, path.join(dir, 'y.flowscope'), {}), /line 2: gap: "lost" must be a count/);
  assert.equal(fs.existsSync(path.join(dir, 'y.flowscope')), false);
});

test('a file written before the gaps table reads as gap-free and gets the table when a gap is written', () => {
  const dir = tmpDir();
  const file = path.join(dir, 'old.flowscope');
  SessionStore.create(file).close();
  const raw = new Database(file);
  raw.exec('DROP TABLE gaps');
  raw.close();
  const ro = SessionStore.open(file, { readonly: true });
  assert.deepEqual(ro.gaps(), []);
  ro.close();
  const rw = SessionStore.open(file);
  rw.addGaps([GAPS[1]!]);
  rw.addGaps([GAPS[0]!]);
  assert.deepEqual(rw.gaps(), GAPS, 'in time order');
  rw.close();
});

test('inspect lists the gaps, in text and in --json', () => {
  const dir = tmpDir();
  const file = session(dir);
  const run = (args: string[]) =>
    spawnSync(process.execPath, [path.resolve('bin/flowscope.mjs'), 'inspect', file, ...args], { encoding: 'utf8', env: { ...process.env, FLOWSCOPE_DATA_DIR: dir } });
  const text = run([]);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /gaps: \n {4}2026-03-01T10:00:02\.000Z → 2026-03-01T10:00:04\.500Z \(2\.5 s\) {2}amqp-1 {2}disconnected: messages published meanwhile not recorded \(count unknown\) \(the broker closed the connection \(CONNECTION_FORCED\)\)/);
  assert.match(text.stdout, /2026-03-01T10:00:06\.000Z → 2026-03-01T10:00:07\.000Z \(1\.0 s\) {2}amqp-1 {2}disk full: 12 messages not stored/);
  const json = run(['--json']);
  assert.equal(json.status, 0, json.stderr);
  const report = JSON.parse(json.stdout) as { gaps: { startMs: number; endMs: number; lost: number | null; reason: string }[] };
  assert.deepEqual(report.gaps.map((g) => [g.startMs, g.endMs, g.lost, g.reason]), [
    [T0 + 2000, T0 + 4500, null, 'disconnected'],
    [T0 + 6000, T0 + 7000, 12, 'disk-full'],
  ]);
});
