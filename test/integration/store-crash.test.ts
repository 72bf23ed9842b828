import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';
import { payloadFor } from '../fixtures/record_crash.ts';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'record_crash.ts');

test('a recording killed with SIGKILL reopens with every message of every batch it reported flushed', async (t) => {
  const file = path.join(tmpDir(), 'crash.flowscope');
  const child = spawn(process.execPath, ['--import', 'tsx', script, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let flushedBatches = 0;
  let lastFlushed = 0;
  let stderr = '';
  let out = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    const lines = out.split('\n');
    out = lines.pop() ?? '';
    for (const line of lines) {
      const m = /^FLUSHED (\d+)$/.exec(line);
      if (m) {
        flushedBatches += 1;
        lastFlushed = Number(m[1]);
      }
    }
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  try {
    await waitFor(`20 flushed batches (stderr: ${stderr})`, () => flushedBatches >= 20 || child.exitCode !== null);
    assert.equal(child.exitCode, null, `the recorder died on its own: ${stderr}`);
  } finally {
    child.kill('SIGKILL');
  }
  assert.equal(await exited, 'SIGKILL');
  const reported = lastFlushed;

  const store = SessionStore.open(file);
  try {
    const count = store.count();
    t.diagnostic(`reported flushed: ${reported}, found after reopening: ${count}`);
    assert.ok(count >= reported, `the session holds ${count} messages, the recorder reported ${reported} flushed`);
    assert.equal(store.lastSeq, count, 'sequence numbers are contiguous from 1');
    let expected = 1;
    for (const m of store.iterate()) {
      assert.equal(m.seq, expected);
      assert.ok(payloadFor(m.seq).equals(Buffer.from(m.payload)), `payload of #${m.seq} is intact`);
      assert.equal(m.meta?.n, m.seq);
      expected += 1;
    }
    // The reopened session keeps recording where the crashed one stopped.
    const next = store.insertBatch([
      { time: Date.now(), transport: 'ws', endpoint: 'after', event: 'open', destKind: 'socket', destination: '/x', payload: new Uint8Array(0) },
    ]);
    assert.equal(next, count + 1);
  } finally {
    store.close();
  }
});
