import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { exportJsonl, importJsonl } from '../../src/core/io/jsonl.ts';
import { Engine } from '../../src/core/engine/engine.ts';
import { importKcat } from '../../src/core/io/kcat.ts';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { tmpDir } from '../helpers/tmp.ts';

// Imports validate what would otherwise poison a session: nesting too deep to store or
// show, numbers no offset or partition can be, times no calendar shows. Each is refused
// with the line it is on, and no session file is left.

const dir = tmpDir();
let n = 0;

const GOOD = { transport: 'kafka', event: 'publish', destination: 'orders', timeMs: 1_700_000_000_000, payload: 'ok' };
const KCAT = { topic: 'orders', partition: 0, offset: 7, tstype: 'create', ts: 1_700_000_000_000, broker: 1, key: null, payload: 'ok' };
/** JSON text nested 100,000 levels deep. */
const DEEP = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;

/** Writes the lines (objects, or raw JSON text) to a file and imports it; returns the error message. */
async function refused(format: 'jsonl' | 'kcat', lines: (object | string)[]): Promise<string> {
  const input = path.join(dir, `${++n}.${format}`);
  fs.writeFileSync(input, `${lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')}\n`);
  const out = path.join(dir, `${n}.flowscope`);
  const run = format === 'jsonl' ? importJsonl(input, out, {}) : importKcat(input, out, {});
  const err = await run.then(
    () => assert.fail(`${format} line was accepted: ${String(lines.at(-1)).slice(0, 80)}`),
    (e: Error) => e,
  );
  assert.equal(err.name, 'ImportLineError', `a clear import error, not ${err.name}: ${err.message.slice(0, 200)}`);
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith(`${n}.flowscope`) || f.startsWith(`.${n}.flowscope`)), [], 'no session file is left');
  return err.message;
}

test('JSON nested 100,000 levels in headers, meta or the payload object is refused with its line number', async () => {
  const withDeep = (field: string) => `{"transport":"kafka","event":"publish","destination":"t","timeMs":1700000000000,"${field}":${DEEP}}`;
  assert.equal(await refused('jsonl', [GOOD, withDeep('headers')]), 'line 2: "headers" is nested deeper than 128 levels');
  assert.equal(await refused('jsonl', [GOOD, GOOD, withDeep('meta')]), 'line 3: "meta" is nested deeper than 128 levels');
  assert.equal(await refused('jsonl', [withDeep('properties')]), 'line 1: "properties" is nested deeper than 128 levels');
  assert.equal(await refused('jsonl', [GOOD, withDeep('payload')]), 'line 2: "payload" is nested deeper than 128 levels');
  const kcatDeep = `{"topic":"t","partition":0,"offset":1,"ts":1700000000000,"key":null,"payload":${DEEP}}`;
  assert.equal(await refused('kcat', [KCAT, kcatDeep]), 'line 2: "payload" is nested deeper than 128 levels');

  // 128 levels is still fine, and comes back exactly.
  const ok = path.join(dir, 'nested.jsonl');
  const nested = JSON.parse(`${'{"a":'.repeat(128)}"leaf"${'}'.repeat(128)}`) as Record<string, unknown>;
  fs.writeFileSync(ok, `${JSON.stringify({ ...GOOD, headers: nested })}\n`);
  const out = path.join(dir, 'nested.flowscope');
  assert.equal((await importJsonl(ok, out, {})).count, 1);
  const s = SessionStore.open(out, { readonly: true });
  assert.deepEqual(s.get(1)!.headers, nested);
  s.close();
});

test('offsets and partitions out of range are refused with the line number, not a BigInt error', async () => {
  assert.equal(
    await refused('kcat', [KCAT, '{"topic":"t","partition":0,"offset":1.23e29,"ts":1,"payload":"v"}']),
    'line 2: "offset" 1.23e+29 is out of range (offsets from 0 to 9007199254740991 read exactly from JSON)',
  );
  assert.equal(await refused('kcat', [{ ...KCAT, offset: 1.5 }]), 'line 1: "offset" 1.5 must be an integer');
  assert.equal(await refused('kcat', [{ ...KCAT, partition: 1e300 }]), 'line 1: "partition" must be an integer from 0 to 2147483647');
  assert.equal(
    await refused('jsonl', [GOOD, { ...GOOD, offset: '99999999999999999999' }]),
    'line 2: "offset" "99999999999999999999" is outside the 64-bit range of Kafka offsets',
  );
  assert.equal(
    await refused('jsonl', [{ ...GOOD, offset: 1e20 }]),
    'line 1: "offset" 100000000000000000000 is too large to be exact as a JSON number (write it as a decimal string)',
  );
  assert.equal(await refused('jsonl', [{ ...GOOD, offset: 1.23e29 }]), 'line 1: "offset" 1.23e+29 is too large to be exact as a JSON number (write it as a decimal string)');
  assert.equal(await refused('jsonl', [{ ...GOOD, partition: -1 }]), 'line 1: "partition" must be an integer from 0 to 2147483647');

  // The largest int64 offset, as a decimal string, is stored with every digit.
  const ok = path.join(dir, 'max-offset.jsonl');
  fs.writeFileSync(ok, `${JSON.stringify({ ...GOOD, offset: '9223372036854775807' })}\n`);
  const out = path.join(dir, 'max-offset.flowscope');
  await importJsonl(ok, out, {});
  const s = SessionStore.open(out, { readonly: true });
  assert.equal(s.get(1)!.offset, '9223372036854775807');
  s.close();
});

test('a time of 1e300, a negative time or one that is not a date is refused with the line number', async () => {
  const { timeMs: _t, ...noTime } = GOOD;
  assert.equal(await refused('jsonl', [GOOD, { ...noTime, time: 1e300 }]), 'line 2: "time" 1e+300 is after 9999-12-31');
  assert.equal(await refused('jsonl', [{ ...GOOD, timeMs: -5 }]), 'line 1: "timeMs" -5 is before 1970-01-01');
  assert.equal(await refused('jsonl', [{ ...noTime, time: '+275760-09-13T00:00:00.000Z' }]), 'line 1: "time" 8640000000000000 is after 9999-12-31');
  assert.match(await refused('jsonl', [{ ...noTime, time: 'NaN' }]), /^line 1: "time" must be an ISO 8601 date or epoch milliseconds, found "NaN"$/);
  assert.equal(await refused('jsonl', [{ ...GOOD, brokerTime: 1e300 }]), 'line 1: "brokerTime" 1e+300 is after 9999-12-31');
  assert.equal(await refused('kcat', [KCAT, KCAT, { ...KCAT, ts: 1e300 }]), 'line 3: "ts" 1e+300 is after 9999-12-31');
  assert.equal(await refused('kcat', [{ ...KCAT, ts: -7 }]), 'line 1: "ts" -7 is before 1970-01-01');

  // kcat's -1 ("no timestamp") still imports, timed at the import.
  const ok = path.join(dir, 'no-ts.kcat');
  fs.writeFileSync(ok, `${JSON.stringify({ ...KCAT, ts: -1 })}\n`);
  const out = path.join(dir, 'no-ts.flowscope');
  await importKcat(ok, out, {});
  const s = SessionStore.open(out, { readonly: true });
  assert.equal(s.get(1)!.brokerTime, null);
  s.close();
});

test('a session an older Flowscope imported with a time of 1e300 is summarised and exported, not hung', async () => {
  const file = path.join(dir, 'old-1e300.flowscope');
  const s = SessionStore.create(file);
  const base = { transport: 'kafka', endpoint: 'k', event: 'publish', destKind: 'topic', destination: 't' } as const;
  s.insertBatch([
    { ...base, time: 1_700_000_000_000, payload: Buffer.from('a') },
    { ...base, time: 1e300, payload: Buffer.from('b') },
  ]);
  s.close();
  const engine = new Engine({ dataDir: fs.mkdtempSync(path.join(dir, 'engine-')), version: 'test', transport: 'bridge' });
  try {
    const info = (await engine.handle('renderer:session:open', { path: file })) as { id: string };
    const summary = (await engine.handle('renderer:analysis:summary', { sessionId: info.id })) as { topology: { nodes: unknown[] } };
    assert.ok(summary.topology.nodes.length > 0, 'the summary comes back');
    const out = path.join(dir, 'old-1e300.jsonl');
    assert.equal(await exportJsonl(engine.session(info.id).store, out), 2);
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { time: string | null; timeMs: number });
    assert.deepEqual(lines.map((l) => [l.time, l.timeMs]), [['2023-11-14T22:13:20.000Z', 1_700_000_000_000], [null, 1e300]], 'the time no calendar shows is left to timeMs');
  } finally {
    await engine.shutdown();
  }
});

test('a binary payload of several MB in payloadBase64 imports whole (the base64 check once overflowed the regex stack)', async () => {
  const bytes = Buffer.alloc(6 * 1024 * 1024, 0xff);
  const input = path.join(dir, 'big-base64.jsonl');
  fs.writeFileSync(input, `${JSON.stringify({ ...GOOD, payload: undefined, payloadBase64: bytes.toString('base64') })}\n`);
  const out = path.join(dir, 'big-base64.flowscope');
  assert.equal((await importJsonl(input, out, {})).count, 1);
  const s = SessionStore.open(out, { readonly: true });
  assert.ok(Buffer.from(s.get(1)!.payload).equals(bytes));
  s.close();
});
