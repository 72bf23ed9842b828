import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { SessionStore } from '../../src/core/store/session-store.ts';
import type { StoredMessage } from '../../src/shared/model.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';
import { freePort, runPythonClient, startPythonServer } from '../fixtures/ws_python.ts';

// Issue 15: a WebSocket session recorded from real traffic (python3-websockets through the
// recording proxy: text, invalid UTF-8 text, binary, empty and 5 MB frames on three
// connections) goes out as HAR with `flowscope export` and comes back identical with
// `flowscope import`.

const BIN = path.resolve('bin/flowscope.mjs');
const run = promisify(execFile);

function read(file: string): StoredMessage[] {
  const s = SessionStore.open(file, { readonly: true });
  try {
    return [...s.iterate()];
  } finally {
    s.close();
  }
}

/** Each connection's frames as the user reads them: path, direction, kind, exact bytes, time to the ms. */
function framesByConnection(msgs: StoredMessage[]): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  for (const m of msgs) {
    if (m.event !== 'frame-in' && m.event !== 'frame-out') continue;
    const list = out.get(m.connection!) ?? [];
    list.push({ destination: m.destination, event: m.event, opcode: m.meta?.opcode, bytes: Buffer.from(m.payload).toString('base64'), ms: Math.round(m.time) });
    out.set(m.connection!, list);
  }
  return out;
}

test('a recorded WebSocket session exported as HAR imports back with every frame identical', async () => {
  const dir = tmpDir();
  const env = { ...process.env, FLOWSCOPE_DATA_DIR: dir };
  const server = await startPythonServer('ws_echo_server.py');
  const file = path.join(dir, 'recorded.flowscope');
  try {
    const port = await freePort();
    const rec = spawn(process.execPath, [BIN, 'record', '--ws-proxy', `${port}=ws://127.0.0.1:${server.port}`, '--out', file], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    rec.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exit = new Promise<number | null>((resolve) => rec.on('exit', (code) => resolve(code)));
    await waitFor('the proxy to record', () => /: recording/.test(stderr), 30_000);
    const lines = await runPythonClient('ws_client.py', [`ws://127.0.0.1:${port}`]);
    assert.ok(lines.length > 10, 'the python client exchanged frames through the proxy');
    // SIGTERM flushes everything captured; the count only says the recorder has seen traffic.
    await waitFor('the live count', () => /recording: \d+ messages/.test(stderr));
    rec.kill('SIGTERM');
    assert.equal(await exit, 0, stderr);
  } finally {
    await server.stop();
  }

  const har = path.join(dir, 'ws.har');
  const exp = await run(process.execPath, [BIN, 'export', file, '--format', 'har', '--out', har], { env });
  assert.match(exp.stderr, /exported 3 WebSocket connections \(\d+ frames\)/);
  const doc = JSON.parse(fs.readFileSync(har, 'utf8')) as { log: { entries: { request: { url: string }; _webSocketMessages: unknown[] }[] } };
  assert.deepEqual(doc.log.entries.map((e) => new URL(e.request.url).pathname).sort(), ['/bye', '/echo', '/strict']);

  // No --format, no --out: the name says HAR, and the session lands beside it.
  const imp = await run(process.execPath, [BIN, 'import', har], { env });
  assert.match(imp.stderr, /imported \d+ messages into .*ws\.flowscope \(3 WebSocket connections\)/);
  const back = path.join(dir, 'ws.flowscope');
  const before = framesByConnection(read(file));
  const after = framesByConnection(read(back));
  assert.equal(before.size, 3);
  assert.deepEqual(after, before, 'every frame of every connection: bytes, direction, kind and time');
  const big = [...after.values()].flat().some((f) => Buffer.from((f as { bytes: string }).bytes, 'base64').length === 5 * 1024 * 1024);
  assert.ok(big, 'the 5 MB binary frame came back whole');
  // The HAR entries carry the frames in the order they were sent and received.
  assert.equal(doc.log.entries.reduce((n, e) => n + e._webSocketMessages.length, 0), [...before.values()].flat().length);
});
