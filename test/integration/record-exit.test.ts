import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Engine } from '../../src/core/engine/engine.ts';
import { AMQP_HOST, AMQP_PORT } from '../helpers/amqp.ts';
import { tmpDir } from '../helpers/tmp.ts';

// `record`'s exit status tells the truth, and a URL too broken to parse is still shown
// without its password: on stderr, in the UI's error and in the session file.

const BIN = path.resolve('bin/flowscope.mjs');
const GOOD_URL = `amqp://guest:guest@${AMQP_HOST}:${AMQP_PORT}/`;
const BAD_URL = `amqp://guest:wrong-s3cr3t@${AMQP_HOST}:${AMQP_PORT}/`;

function flowscope(args: string[], dataDir: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, FLOWSCOPE_DATA_DIR: dataDir }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code, sig) => resolve({ code: code ?? (sig ? 128 : 0), stderr }));
  });
}

test('record exits 1 with the reason when every endpoint failed to start, and 0 when one records', async () => {
  const dir = tmpDir();
  const none = path.join(dir, 'none.flowscope');
  // --duration is long: the command must not wait for it when nothing could start.
  const failed = await flowscope(['record', '--amqp', BAD_URL, '--exchange', 'amq.topic', '--out', none, '--duration', '600'], dir);
  assert.equal(failed.code, 1, failed.stderr);
  assert.match(failed.stderr, /could not start amqp: RabbitMQ refused the login for user 'guest' \(wrong user name or password\)/);
  assert.match(failed.stderr, /flowscope: no endpoint could be started, so nothing was recorded \(.*none\.flowscope was not kept\)\./);
  assert.equal(fs.existsSync(none), false, 'no empty session is left behind');
  assert.ok(!failed.stderr.includes('wrong-s3cr3t'), 'the password is not shown');

  const one = path.join(dir, 'one.flowscope');
  const mixed = await flowscope(['record', '--amqp', BAD_URL, '--exchange', 'amq.topic', '--amqp', GOOD_URL, '--exchange', 'amq.topic', '--out', one, '--duration', '2'], dir);
  assert.equal(mixed.code, 0, mixed.stderr);
  assert.match(mixed.stderr, /could not start amqp: RabbitMQ refused the login/);
  assert.match(mixed.stderr, /stopped \(2s elapsed\): 0 messages in .*one\.flowscope/);
  assert.ok(fs.existsSync(one), 'the session of the endpoint that recorded is kept');
});

test('a malformed URL is echoed without its credentials on stderr, in the UI and in the session', async () => {
  const dir = tmpDir();
  for (const args of [
    ['--ws', 'ws://user:s3cr3t@[bad/x'],
    ['--ws-proxy', '45123=ws://user:s3cr3t@[bad/x'],
  ]) {
    const r = await flowscope(['record', ...args, '--out', path.join(dir, 'x.flowscope'), '--duration', '1'], dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /"ws:\/\/\[bad\/x" is not a URL/);
    assert.ok(!r.stderr.includes('s3cr3t') && !r.stderr.includes('user:'), `no credentials in: ${r.stderr}`);
  }
  const usage = await flowscope(['record', '--ws-proxy', 'ws://user:s3cr3t@[bad/x', '--out', path.join(dir, 'y.flowscope')], dir);
  assert.equal(usage.code, 2);
  assert.ok(!usage.stderr.includes('s3cr3t'), usage.stderr);

  // The UI's connect dialog goes through the engine: its error and the session file stay clean.
  const engine = new Engine({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'flowscope-ui-')), version: 'test', transport: 'bridge' });
  const file = path.join(dir, 'ui.flowscope');
  try {
    const s = engine.newSession(file);
    await assert.rejects(
      engine.handle('renderer:endpoint:connect', { sessionId: s.id, spec: { kind: 'ws-tap', url: 'ws://user:s3cr3t@[bad/x' } }),
      (err: Error) => err.message.includes('ws://[bad/x') && !err.message.includes('s3cr3t'),
    );
  } finally {
    await engine.shutdown();
  }
  const db = new Database(file);
  const text = JSON.stringify([db.prepare('SELECT * FROM endpoints').all(), db.prepare('SELECT * FROM endpoint_log').all()]);
  db.close();
  assert.ok(!text.includes('s3cr3t'), `no credentials in the session: ${text}`);
});
