import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SessionFileError, SessionStore } from '../../src/core/store/session-store.ts';
import { exportJsonl } from '../../src/core/io/jsonl.ts';
import { Engine } from '../../src/core/engine/engine.ts';
import type { CapturedMessage } from '../../src/shared/model.ts';
import { tmpDir } from '../helpers/tmp.ts';

// The damage checks a large session gets at open (a walk of every b-tree page instead of
// the full quick_check), and damage only a query reaches: reported in the same words, and
// a failed export leaves no file behind.

const dir = tmpDir();
let n = 0;
const fresh = (name: string): string => path.join(dir, `${++n}-${name}`);
/** Forces the large-file check on a small test file. */
const LARGE = { quickCheckMaxBytes: 0 };

function msg(i: number, payload: Buffer = Buffer.from(JSON.stringify({ i }))): CapturedMessage {
  return { time: 1.7e12 + i, transport: 'kafka', endpoint: 'k', event: 'publish', destKind: 'topic', destination: 'orders', offset: String(i), payload };
}

function session(count: number, big = false): string {
  const file = fresh('s.flowscope');
  const s = SessionStore.create(file);
  s.insertBatch(Array.from({ length: count }, (_, i) => msg(i, big && i === count - 1 ? crypto.randomBytes(40_000) : undefined)));
  s.close();
  return file;
}

function header(file: string): { pageSize: number; pages: number } {
  const head = fs.readFileSync(file).subarray(0, 100);
  return { pageSize: head.readUInt16BE(16), pages: head.readUInt32BE(28) };
}

function overwrite(file: string, page: number, bytes: Buffer): void {
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, bytes, 0, bytes.length, (page - 1) * header(file).pageSize);
  fs.closeSync(fd);
}

/** Pages of one kind, read through a read-write connection (a read-only one would leave a -wal). */
function pagesOf(file: string, type: 'leaf' | 'overflow', table = 'message_rows'): number[] {
  const db = new Database(file);
  try {
    return (db.prepare('SELECT pageno FROM dbstat WHERE name = ? AND pagetype = ? ORDER BY pageno').all(table, type) as { pageno: number }[]).map((r) => r.pageno);
  } finally {
    db.close();
  }
}

function refusal(fn: () => unknown): SessionFileError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SessionFileError, String(err));
    return err;
  }
  assert.fail('expected the file to be refused');
}

test('the large-file check refuses a garbage page and an index that disagrees with its table, and opens a sound file', () => {
  const sound = session(3000);
  SessionStore.open(sound, { readonly: true, ...LARGE }).close();

  const leaf = session(3000);
  const leaves = pagesOf(leaf, 'leaf');
  overwrite(leaf, leaves[Math.floor(leaves.length / 2)]!, Buffer.alloc(header(leaf).pageSize, 0xab));
  const e1 = refusal(() => SessionStore.open(leaf, { readonly: true, ...LARGE }));
  assert.equal(e1.code, 'corrupt');
  assert.equal(e1.message, `${leaf} is damaged (database disk image is malformed); Flowscope does not read damaged sessions and left the file as it is.`);

  // A leaf page whose header is intact but claims no rows: the table reads short of its index.
  const short = session(3000);
  const page = pagesOf(short, 'leaf')[3]!;
  const bytes = fs.readFileSync(short).subarray((page - 1) * header(short).pageSize, page * header(short).pageSize);
  const emptied = Buffer.from(bytes);
  emptied.writeUInt16BE(0, 3); // cell count
  overwrite(short, page, emptied);
  const e2 = refusal(() => SessionStore.open(short, { readonly: true, ...LARGE }));
  assert.match(e2.message, /is damaged \(.*(table messages holds \d+ rows but its index messages_\w+ lists 3000|malformed).*\)/);
});

test('damage only a query reaches is reported in the same words, and the failed export leaves no file', async () => {
  const file = session(50, true);
  const chain = pagesOf(file, 'overflow');
  assert.ok(chain.length >= 3, 'the big payload spans overflow pages');
  // Point the first overflow page at a page past the end of the file.
  overwrite(file, chain[0]!, Buffer.from([0x7f, 0xff, 0xff, 0xff]));
  const before = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

  // The walk reads no overflow page, so the file opens; reading that payload then fails.
  const store = SessionStore.open(file, { readonly: true, ...LARGE });
  const out = fresh('export.jsonl');
  fs.writeFileSync(out, 'an earlier export\n');
  await assert.rejects(exportJsonl(store, out), (err: Error) => {
    assert.equal(err.message, `${file} is damaged (database disk image is malformed); Flowscope does not read damaged sessions and left the file as it is.`);
    return true;
  });
  store.close();
  assert.equal(fs.readFileSync(out, 'utf8'), 'an earlier export\n', 'the earlier file is left as it was');
  const fresh2 = fresh('never.jsonl');
  const again = SessionStore.open(file, { readonly: true, ...LARGE });
  await assert.rejects(exportJsonl(again, fresh2), /is damaged/);
  again.close();
  assert.equal(fs.existsSync(fresh2), false, 'a failed export creates no file');
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes('.exporting')), [], 'no temp file is left');

  // Opened with the small-file check (the full quick_check), the broken chain is refused at once.
  const e = refusal(() => SessionStore.open(file, { readonly: true }));
  assert.match(e.message, /is damaged \(integrity check: .+\); Flowscope does not read damaged sessions/);
  assert.equal(crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex'), before, 'the damaged file is unchanged');
});

test('a page damaged while the UI has the session open is reported in the same words', async () => {
  const file = session(50, true);
  const chain = pagesOf(file, 'overflow');
  const engine = new Engine({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'flowscope-ui-')), version: 'test', transport: 'bridge' });
  try {
    const info = (await engine.handle('renderer:session:open', { path: file })) as { id: string; messageCount: number };
    assert.equal(info.messageCount, 50);
    overwrite(file, chain[0]!, Buffer.from([0x7f, 0xff, 0xff, 0xff]));
    await assert.rejects(engine.handle('renderer:messages:get', { sessionId: info.id, seq: 50 }), (err: Error) => {
      assert.equal(err.message, `${file} is damaged (database disk image is malformed); Flowscope does not read damaged sessions and left the file as it is.`);
      return true;
    });
  } finally {
    await engine.shutdown();
  }
});

test('a large session opened in a window shows at once; damage its page walk then finds is told in the same words and closes it', { timeout: 180_000 }, async () => {
  // Past the quick_check size (64 MiB): 3,000 small records, then 1 MiB payloads on overflow pages.
  const large = (): string => {
    const file = session(3000);
    const s = SessionStore.open(file);
    for (let i = 0; i < 7; i++) s.insertBatch(Array.from({ length: 10 }, (_, j) => msg(3000 + i * 10 + j, crypto.randomBytes(1 << 20))));
    s.close();
    assert.ok(fs.statSync(file).size > 64 * 1024 * 1024, 'the file is past the quick_check size');
    return file;
  };
  const sound = large();
  const damaged = large();
  const leaves = pagesOf(damaged, 'leaf');
  // A page of the early small records (leaves come in seq order), which opening does not read:
  // the newest ones, past the last full time block, are read for the session's time span.
  overwrite(damaged, leaves[Math.floor(leaves.length / 4)]!, Buffer.alloc(header(damaged).pageSize, 0xab));
  const before = crypto.createHash('sha256').update(fs.readFileSync(damaged)).digest('hex');

  const engine = new Engine({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'flowscope-ui-')), version: 'test', transport: 'bridge' });
  const errors: string[] = [];
  const closed: string[] = [];
  engine.onEvent((e) => {
    if (e.event === 'main:app:error') errors.push(e.payload.message);
    if (e.event === 'main:session:closed') closed.push(e.payload.sessionId);
  });
  try {
    const ok = (await engine.handle('renderer:session:open', { path: sound })) as { id: string; messageCount: number };
    await engine.session(ok.id).store.verifyDeferred();
    const bad = (await engine.handle('renderer:session:open', { path: damaged })) as { id: string };
    // The walk runs on its own thread; the window hears of the damage when it ends.
    while (!closed.includes(bad.id)) await new Promise((r) => setTimeout(r, 20));
    // The analysis reading the file may reach the damaged page first: it says so in the same words.
    assert.ok(errors.length > 0);
    for (const e of errors) assert.equal(e, `${damaged} is damaged (database disk image is malformed); Flowscope does not read damaged sessions and left the file as it is.`);
    await assert.rejects(engine.handle('renderer:session:info', { sessionId: bad.id }), /No open session/);
    assert.equal(crypto.createHash('sha256').update(fs.readFileSync(damaged)).digest('hex'), before, 'the damaged file is unchanged');
    // The sound one stays open, every message there.
    assert.equal(((await engine.handle('renderer:session:info', { sessionId: ok.id })) as { messageCount: number }).messageCount, 3070);
    assert.ok(!closed.includes(ok.id));
  } finally {
    await engine.shutdown();
  }
  // Opened by a command (not a window), the same file is refused before anything is read.
  assert.equal(refusal(() => SessionStore.open(damaged, { readonly: true })).code, 'corrupt');
});
