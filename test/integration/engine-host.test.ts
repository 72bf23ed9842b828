import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import WebSocket from 'ws';
import { EngineHost } from '../../src/core/host/parent.ts';
import { forkEngine } from '../../src/core/host/node-process.ts';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { ApiError, type Events } from '../../src/shared/api.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';

// The engine in its own process, through the same host code `flowscope serve` and the
// desktop app use: requests cross to it, its events come back, and its death is reported
// without losing what it had recorded.

const CHILD = { file: path.resolve('src/core/host/node-child.ts'), execArgv: ['--import', 'tsx'] };

function startHost(dataDir: string): Promise<EngineHost> {
  return EngineHost.start({ spawn: () => forkEngine(CHILD), engine: { dataDir, version: 'test', transport: 'bridge' } });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('engine host: a request reaches the engine process, is validated there, and its events come back', async () => {
  const host = await startHost(tmpDir());
  try {
    const info = await host.call('renderer:app:info', {});
    assert.equal(info.enginePid, host.pid, 'answered by the engine process');
    assert.notEqual(info.enginePid, process.pid);

    // Untrusted input is refused by the engine's schema, and the refusal crosses back typed.
    await assert.rejects(host.handle('renderer:session:info', { sessionId: 7 }), (e: unknown) => e instanceof ApiError && e.code === 'bad-request' && /sessionId/.test(e.message));
    await assert.rejects(host.handle('renderer:nope', {}), /Unknown channel/);

    const batches: Events['main:traffic:batch'][] = [];
    host.onEvent((msg) => {
      if (msg.event === 'main:traffic:batch') batches.push(msg.payload);
    });
    const session = await host.call('renderer:demo:start', {});
    await waitFor('live batches from the engine process', () => batches.some((b) => b.sessionId === session.id && b.total >= 20));
    const page = await host.call('renderer:messages:query', { sessionId: session.id, filter: {}, limit: 5 });
    assert.equal(page.rows.length, 5);
  } finally {
    await host.shutdown();
  }
});

test('engine host: killing the engine process is reported, a new one starts, and the session reopens with what was recorded', async () => {
  const dir = tmpDir();
  const host = await startHost(dir);
  try {
    const crashes: Events['main:engine:crashed'][] = [];
    let flushed = 0;
    host.onEvent((msg) => {
      if (msg.event === 'main:engine:crashed') crashes.push(msg.payload);
      // A batch is announced after its transaction commits: this many are on disk.
      if (msg.event === 'main:traffic:batch') flushed = Math.max(flushed, msg.payload.total);
    });
    const session = await host.call('renderer:demo:start', {});
    await waitFor('some recorded traffic', () => flushed >= 50);
    const first = host.pid!;
    process.kill(first, 'SIGKILL');

    const crash = await waitFor('the crash to be reported', () => crashes[0]);
    assert.match(crash.message, /stopped unexpectedly \(ended by SIGKILL\)/);
    assert.match(crash.message, /reopen/);
    assert.deepEqual(crash.files, [session.path]);
    assert.equal(crash.restarted, true);
    await waitFor('the old engine process to be gone', () => !alive(first));

    // The new engine has none of the old sessions; the file reopens intact (WAL) with every
    // batch that was reported.
    const info = await host.call('renderer:app:info', {});
    assert.notEqual(info.enginePid, first);
    await assert.rejects(host.call('renderer:session:info', { sessionId: session.id }), /No open session/);
    const reopened = await host.call('renderer:session:open', { path: session.path });
    assert.ok(reopened.messageCount >= flushed, `${reopened.messageCount} messages in the file, ${flushed} reported flushed`);
    const rows = await host.call('renderer:messages:query', { sessionId: reopened.id, filter: {}, limit: 1000, order: 'asc' });
    assert.deepEqual(
      rows.rows.map((r) => r.seq),
      rows.rows.map((_r, i) => i + 1),
      'sequence numbers run on without a gap',
    );
  } finally {
    await host.shutdown();
  }
  // After a clean stop the file passes the open check outside any engine too.
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.flowscope'))!;
  const store = SessionStore.open(path.join(dir, file), { readonly: true });
  try {
    assert.ok(store.count() > 0);
  } finally {
    store.close();
  }
});

/** `flowscope serve --demo` as a user starts it, with a socket client where the window would be. */
async function serve(dataDir: string) {
  const child = spawn(process.execPath, [path.resolve('bin/flowscope.mjs'), 'serve', '--demo'], {
    env: { ...process.env, FLOWSCOPE_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!.trim());
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
  const u = new URL(url);
  const ws = new WebSocket(`ws://${u.host}/bridge?token=${u.searchParams.get('token')}`);
  await new Promise((r, j) => ws.once('open', r).once('error', j));
  const events: { event: string; payload: Record<string, unknown> }[] = [];
  const replies = new Map<number, (v: { ok: boolean; result?: unknown }) => void>();
  ws.on('message', (d) => {
    const msg = JSON.parse(d.toString()) as { id?: number; event?: string; payload?: Record<string, unknown>; ok: boolean; result?: unknown };
    if (msg.event) events.push({ event: msg.event, payload: msg.payload! });
    else replies.get(msg.id!)?.(msg);
  });
  let id = 1;
  const call = (channel: string, input: unknown = {}) =>
    new Promise<{ ok: boolean; result?: unknown }>((r) => {
      const n = id++;
      replies.set(n, r);
      ws.send(JSON.stringify({ id: n, channel, input }));
    });
  return { child, exited, ws, events, call, stderr: () => err };
}

test('flowscope serve: its engine process is reported when killed, and does not outlive a killed serve', async () => {
  const dir = tmpDir();
  const s = await serve(dir);
  try {
    const info = (await s.call('renderer:app:info')).result as { enginePid: number };
    assert.notEqual(info.enginePid, s.child.pid, 'the engine runs in a process of its own');
    await waitFor('demo traffic over the bridge', () => s.events.some((e) => e.event === 'main:traffic:batch' && (e.payload.total as number) >= 20));

    process.kill(info.enginePid, 'SIGKILL');
    const crash = await waitFor('the crash event in the browser', () => s.events.find((e) => e.event === 'main:engine:crashed'));
    assert.match(crash.payload.message as string, /SIGKILL/);
    const [file] = crash.payload.files as string[];
    assert.ok(file && fs.existsSync(file));

    // The new engine answers; SIGKILL on serve itself leaves no engine process behind, and the
    // session it was recording reopens.
    const again = (await s.call('renderer:session:open', { path: file })) as { ok: boolean; result: { messageCount: number } };
    assert.ok(again.ok && again.result.messageCount >= 20);
    const second = ((await s.call('renderer:app:info')).result as { enginePid: number }).enginePid;
    assert.notEqual(second, info.enginePid);
    await s.call('renderer:demo:start', {});
    s.child.kill('SIGKILL');
    await s.exited;
    await waitFor('the orphaned engine process to exit', () => !alive(second), 15_000);
    const store = SessionStore.open(file, { readonly: true });
    try {
      assert.ok(store.count() >= 20);
    } finally {
      store.close();
    }
  } finally {
    s.ws.terminate();
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  }
});

test('flowscope serve: SIGTERM flushes the engine process\'s session and stops both processes', async () => {
  const dir = tmpDir();
  const s = await serve(dir);
  const info = (await s.call('renderer:app:info')).result as { enginePid: number };
  await waitFor('demo traffic', () => s.events.some((e) => e.event === 'main:traffic:batch' && (e.payload.total as number) >= 20));
  const list = (await s.call('renderer:session:list')).result as { path: string }[];
  s.child.kill('SIGTERM');
  assert.equal(await s.exited, 0, s.stderr());
  assert.ok(!alive(info.enginePid), 'the engine process has ended');
  assert.ok(!s.events.some((e) => e.event === 'main:engine:crashed'), 'a requested stop is not a crash');
  const store = SessionStore.open(list[0]!.path, { readonly: true });
  try {
    const last = s.events.filter((e) => e.event === 'main:traffic:batch').at(-1)!.payload.total as number;
    assert.ok(store.count() >= last, `${store.count()} stored, ${last} announced`);
  } finally {
    store.close();
  }
  s.ws.terminate();
});

test('flowscope serve: an engine that cannot start says why and serve exits 1', () => {
  const dir = tmpDir();
  const notADir = path.join(dir, 'file');
  fs.writeFileSync(notADir, 'x');
  const r = spawnSync(process.execPath, [path.resolve('bin/flowscope.mjs'), 'serve'], {
    env: { ...process.env, FLOWSCOPE_DATA_DIR: path.join(notADir, 'sessions') },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /flowscope: The Flowscope engine could not start: .*(ENOTDIR|not a directory)/);
  assert.equal(r.stdout, '', 'no URL is printed for a server that is not there');
});
