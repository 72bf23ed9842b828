import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../src/core/engine/engine.ts';
import { tmpDir } from '../helpers/tmp.ts';

// What a user sees when a session file is damaged, or when a command is pointed at its own
// input: every command and the UI's open refuse in the same sentence, exit 1, leave the
// file byte for byte as it was and write no output file.

const BIN = path.resolve('bin/flowscope.mjs');
const MESSAGES = 170;

function flowscope(args: string[], dataDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, FLOWSCOPE_DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    // `serve` of a good file would run until stopped; a refused one exits by itself.
    const timer = setTimeout(() => child.kill('SIGTERM'), 60_000);
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      resolve({ code: code ?? (sig ? 128 : 0), stdout, stderr });
    });
  });
}

function sha(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** A session of MESSAGES Kafka messages, imported with the CLI from JSON Lines. */
async function makeSession(dir: string): Promise<string> {
  const lines = Array.from({ length: MESSAGES }, (_, i) =>
    JSON.stringify({ transport: 'kafka', event: 'publish', destination: 'orders', partition: 0, offset: i, timeMs: 1.7e12 + i * 10, payload: JSON.stringify({ id: i, text: 'x'.repeat(200) }) }),
  );
  const input = path.join(dir, 'orders.jsonl');
  fs.writeFileSync(input, `${lines.join('\n')}\n`);
  const file = path.join(dir, 'good.flowscope');
  const r = await flowscope(['import', input, '--out', file], dir);
  assert.equal(r.code, 0, r.stderr);
  return file;
}

/** Damage as a disk or a careless copy leaves it: one page in the middle overwritten with garbage. */
function damagePage(good: string, out: string): string {
  fs.copyFileSync(good, out);
  // Page size and count from the file header (a read-only connection would leave a -wal behind).
  const head = fs.readFileSync(out).subarray(0, 100);
  const pageSize = head.readUInt16BE(16);
  const pages = head.readUInt32BE(28);
  const fd = fs.openSync(out, 'r+');
  fs.writeSync(fd, Buffer.alloc(pageSize, 0xde), 0, pageSize, Math.floor(pages * 0.7) * pageSize);
  fs.closeSync(fd);
  return out;
}

/**
 * A damaged schema: the messages' table's root page points at another table's, so it reads
 * as empty. The page numbers are one-byte integers right after each table's type and names
 * in the schema record on page 1.
 */
function damageSchema(good: string, out: string): string {
  const bytes = fs.readFileSync(good);
  const pageSize = bytes.readUInt16BE(16);
  const at = (name: string): number => {
    const i = bytes.indexOf(Buffer.from(`table${name}${name}`, 'latin1'), 100);
    assert.ok(i > 0 && i < pageSize, `schema record of ${name} on page 1`);
    return i + `table${name}${name}`.length;
  };
  bytes[at('message_rows')] = bytes[at('endpoint_log')]!;
  fs.writeFileSync(out, bytes);
  return out;
}

test('a damaged page and a damaged schema are refused by every command and the UI in the same words, and nothing is written', async () => {
  const dir = tmpDir();
  const good = await makeSession(dir);
  const input = path.join(dir, 'orders.jsonl');
  for (const [kind, file] of [
    ['page', damagePage(good, path.join(dir, 'page.flowscope'))],
    ['schema', damageSchema(good, path.join(dir, 'schema.flowscope'))],
  ] as const) {
    const before = sha(file);
    const jsonl = path.join(dir, `${kind}.jsonl`);
    const runs = {
      inspect: await flowscope(['inspect', file], dir),
      serve: await flowscope(['serve', file, '--port', '0'], dir),
      export: await flowscope(['export', file, '--out', jsonl], dir),
      'replay --dry-run': await flowscope(['replay', file, '--to', 'kafka://127.0.0.1:9', '--dry-run'], dir),
      'import --out': await flowscope(['import', input, '--out', file], dir),
    };
    const sentence = runs.inspect.stderr.trim();
    assert.match(sentence, new RegExp(`^flowscope: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is damaged \\(.+\\); Flowscope does not read damaged sessions and left the file as it is\\.$`), `${kind}: ${sentence}`);
    for (const [command, r] of Object.entries(runs)) {
      assert.equal(r.code, 1, `${kind}: ${command} exits 1`);
      assert.equal(r.stderr.trim(), sentence, `${kind}: ${command} says the same as inspect`);
      assert.equal(r.stdout, '', `${kind}: ${command} prints nothing else (no URL served, no plan, no count)`);
    }
    // The UI opens files through the engine's renderer:session:open request.
    const engine = new Engine({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'flowscope-ui-')), version: 'test', transport: 'bridge' });
    await assert.rejects(engine.handle('renderer:session:open', { path: file }), (err: Error) => {
      assert.equal(`flowscope: ${err.message}`, sentence, `${kind}: the UI shows the same sentence`);
      return true;
    });
    await engine.shutdown();
    assert.equal(sha(file), before, `${kind}: the damaged file is left byte for byte as it was`);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith(kind)), [path.basename(file)], `${kind}: no output file, temp file or -wal beside it`);
  }
  // The same commands on the undamaged original still work, with the truthful count.
  const ok = await flowscope(['export', good, '--out', path.join(dir, 'good.jsonl')], dir);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, new RegExp(`exported ${MESSAGES} messages`));
});

test('no command writes over its own input, however the path is spelled', async () => {
  const dir = tmpDir();
  const good = await makeSession(dir);
  const input = path.join(dir, 'orders.jsonl');
  const link = path.join(dir, 'link.flowscope');
  fs.symlinkSync(good, link);
  fs.linkSync(input, path.join(dir, 'hardlink.jsonl'));
  const session = sha(good);
  const jsonl = sha(input);

  const exp = await flowscope(['export', good, '--out', link], dir);
  assert.equal(exp.code, 1);
  assert.equal(exp.stderr.trim(), `flowscope: ${link} is the session being exported; choose another file to export to.`);
  const expWal = await flowscope(['export', link, '--out', `${good}-wal`], dir);
  assert.equal(expWal.code, 1);
  assert.match(expWal.stderr, /is the session being exported/);

  const imp = await flowscope(['import', input, '--out', path.join(dir, '.', 'hardlink.jsonl')], dir);
  assert.equal(imp.code, 1);
  assert.equal(imp.stderr.trim(), `flowscope: ${path.join(dir, 'hardlink.jsonl')} is the file being imported; choose another name for the new session.`);

  // Save As from the UI onto the session's own file, and onto another open session's file.
  const engine = new Engine({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'flowscope-ui-')), version: 'test', transport: 'bridge' });
  try {
    const a = (await engine.handle('renderer:session:open', { path: good })) as { id: string };
    await assert.rejects(engine.handle('renderer:session:save-as', { sessionId: a.id, path: link }), /is this session's own file; choose another name/);
    await assert.rejects(engine.handle('renderer:session:export', { sessionId: a.id, path: good, format: 'jsonl' }), /is the session being exported/);
    const copy = path.join(dir, 'copy.flowscope');
    await engine.handle('renderer:session:save-as', { sessionId: a.id, path: copy });
    const b = (await engine.handle('renderer:session:open', { path: copy })) as { id: string; messageCount: number };
    assert.equal(b.messageCount, MESSAGES, 'Save As to a new name still works');
    await assert.rejects(engine.handle('renderer:session:save-as', { sessionId: a.id, path: copy }), /is a session open in Flowscope; close it or choose another file/);
  } finally {
    await engine.shutdown();
  }
  assert.equal(sha(good), session, 'the session is unchanged');
  assert.equal(sha(input), jsonl, 'the imported file is unchanged');
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('.')), [], 'no temp file is left');
});
