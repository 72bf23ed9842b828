import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { WebSocket, WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { Recorder } from '../../src/core/engine/recorder.ts';
import { WsProxyConnector } from '../../src/core/connectors/ws/proxy.ts';
import type { StorageStatus } from '../../src/shared/views.ts';
import { mountSmallDisk } from '../helpers/tmpfs.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';
import { freePort } from '../fixtures/ws_python.ts';

// Issue 14: a full disk. The session file lives on a real tmpfs that the test fills and
// frees; the traffic is numbered frames through the WebSocket recording proxy, so every
// frame the client sent is either in the session or counted as not stored.

async function echoServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', (ws) => ws.on('message', (d, binary) => ws.send(d, { binary })));
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    close: () => new Promise((r) => wss.close(() => r(undefined))),
  };
}

/** A client that sends frame `n` and waits for its echo, so `sent` is exactly what was relayed. */
async function client(url: string, payloadBytes = 0) {
  const ws = new WebSocket(url);
  await new Promise((r, j) => ws.once('open', r).once('error', j));
  let next = 0;
  const pad = 'x'.repeat(payloadBytes);
  return {
    get sent() {
      return next;
    },
    async send(count: number) {
      for (let i = 0; i < count; i++) {
        const text = `frame ${String(next).padStart(6, '0')} ${pad}`;
        const echoed = new Promise((r) => ws.once('message', r));
        ws.send(text);
        await echoed;
        next += 1;
      }
    },
    close: () => new Promise((r) => (ws.once('close', r), ws.close())),
  };
}

function recording(dir: string, budget?: number) {
  const store = SessionStore.create(path.join(dir, 'disk.flowscope'));
  const statuses: StorageStatus[] = [];
  const recorder = new Recorder(store, {
    onStorage: (s) => statuses.push(s),
    ...(budget !== undefined ? { heldBytesBudget: budget } : {}),
  });
  const last = () => statuses[statuses.length - 1];
  return { store, recorder, statuses, last };
}

test('a full disk pauses writing at the first failed write, says so, holds the frames, and resumes by itself with every frame stored and the gap recorded', async () => {
  const disk = mountSmallDisk('16m');
  const server = await echoServer();
  const { store, recorder, last } = recording(disk.dir);
  try {
    const proxy = new WsProxyConnector({ id: 'proxy', listenPort: 0, target: server.url }, recorder.sink('proxy'));
    await recorder.add(proxy);
    const c = await client(`ws://127.0.0.1:${proxy.port}/numbers`);
    await c.send(100);
    await waitFor('the first frames stored', () => store.count({ events: ['frame-out'] }) >= 100);

    disk.fill();
    const before = store.count();
    const fullAt = Date.now();
    await c.send(200);
    const paused = await waitFor('the storage status to say paused', () => (last()?.state === 'paused' ? last() : null));
    assert.equal(paused.reason, 'disk-full');
    assert.match(paused.message ?? '', /The disk holding .*disk\.flowscope is full \(database or disk is full\): recording is paused/);
    await waitFor('the held frames counted', () => (last()?.held ?? 0) > 0);
    assert.equal(last()?.dropped, 0, 'within the budget nothing is dropped');
    assert.ok(store.count() - before < 400, 'not everything sent while full was written');

    disk.free();
    const resumed = await waitFor('the recording to resume', () => (last()?.state === 'ok' && last()!.resumed === 1 ? last() : null), 20_000);
    assert.equal(resumed.dropped, 0);
    await c.send(100);
    await c.close();
    await recorder.stop();

    const frames = [...store.iterate({ events: ['frame-out'] })].map((m) => Buffer.from(m.payload).toString().slice(0, 12));
    const expected = Array.from({ length: c.sent }, (_, i) => `frame ${String(i).padStart(6, '0')}`);
    assert.deepEqual(frames, expected, 'every frame the client sent is stored, in order');
    assert.equal(store.count({ events: ['frame-in'] }), c.sent, 'and every echo');
    const final = recorder.storage();
    assert.equal(final.stored + final.dropped, final.captured, 'the counts add up');
    assert.equal(final.stored, store.count());

    const gaps = store.gaps();
    assert.equal(gaps.length, 1, JSON.stringify(gaps));
    const gap = gaps[0]!;
    assert.equal(gap.endpoint, 'proxy');
    assert.equal(gap.reason, 'disk-full');
    assert.equal(gap.lost, 0);
    assert.ok(gap.start >= fullAt - 1 && gap.end > gap.start, 'the span is the pause');
    assert.match(gap.detail ?? '', /disk full; [\d,]+ held in memory and stored after/);
  } finally {
    store.close();
    await server.close();
    disk.dispose();
  }
});

test('past its memory budget a paused recording drops frames and counts them exactly, per endpoint, in the gap', async () => {
  const disk = mountSmallDisk('16m');
  const server = await echoServer();
  const budget = 64 * 1024;
  const { store, recorder, last } = recording(disk.dir, budget);
  try {
    const proxy = new WsProxyConnector({ id: 'proxy', listenPort: 0, target: server.url }, recorder.sink('proxy'));
    await recorder.add(proxy);
    const c = await client(`ws://127.0.0.1:${proxy.port}/big`, 2000);
    await c.send(20);
    await waitFor('the first frames stored', () => store.count() >= 40);
    disk.fill();
    await c.send(300);
    await waitFor('frames dropped', () => (last()?.dropped ?? 0) > 0);
    assert.ok((last()?.heldBytes ?? Infinity) <= budget, 'what is held stays within the budget');
    disk.free();
    await waitFor('the recording to resume', () => last()?.state === 'ok' && last()!.resumed === 1, 20_000);
    await c.send(20);
    await c.close();
    await recorder.stop();

    const final = recorder.storage();
    const relayed = 2 * c.sent + 2; // each frame and its echo, plus the open and close events
    assert.equal(final.captured, relayed);
    assert.equal(store.count(), relayed - final.dropped, 'stored = captured − dropped');
    const gap = store.gaps()[0]!;
    assert.equal(gap.lost, final.dropped, 'the gap names exactly what was not stored');
    assert.match(gap.detail ?? '', new RegExp(`${final.dropped} dropped from .* \\(memory budget 0\\.06 MiB full\\)`));
    const numbers = [...store.iterate({ events: ['frame-out'] })].map((m) => Number(Buffer.from(m.payload).toString().slice(6, 12)));
    assert.deepEqual(numbers.slice(-20), Array.from({ length: 20 }, (_, i) => c.sent - 20 + i), 'recording carries on after the gap');
  } finally {
    store.close();
    await server.close();
    disk.dispose();
  }
});

const BIN = path.resolve('bin/flowscope.mjs');

function runDemo(file: string, dataDir: string) {
  const child = spawn(process.execPath, [BIN, 'demo', '--out', file, '--duration', '120'], {
    env: { ...process.env, FLOWSCOPE_DATA_DIR: dataDir },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number>((r) => child.on('exit', (code, sig) => r(code ?? (sig ? 128 : 0))));
  return { child, get stderr() { return stderr; }, exited };
}

test('demo on a disk that stays full exits 1 and says how many messages were captured and how many stored', async () => {
  const disk = mountSmallDisk('16m');
  const file = path.join(disk.dir, 'demo.flowscope');
  try {
    const demo = runDemo(file, tmpDir());
    await waitFor('the demo recording', () => /demo: [1-9]\d* messages/.test(demo.stderr));
    disk.fill();
    await waitFor('the pause on stderr', () => demo.stderr.includes('is full (database or disk is full): recording is paused'));
    await waitFor('the paused live line', () => /demo PAUSED \(DISK FULL\): [\d,]+ captured, [\d,]+ stored, [\d,]+ held in memory/.test(demo.stderr));
    demo.child.kill('SIGTERM');
    const code = await demo.exited;
    assert.equal(code, 1, demo.stderr);
    const m = /demo stopped: captured ([\d,]+) messages, stored ([\d,]+) in .*demo\.flowscope: ([\d,]+) NOT STORED \(the disk was full\)/.exec(demo.stderr);
    assert.ok(m, demo.stderr);
    const [captured, stored, lost] = m.slice(1).map((s) => Number(s.replace(/,/g, '')));
    assert.equal(captured! - stored!, lost);
    assert.ok(lost! > 0);
    disk.free();
    const s = SessionStore.open(file, { readonly: true });
    try {
      assert.equal(s.count(), stored, 'the stored count is what the file holds');
    } finally {
      s.close();
    }
  } finally {
    disk.dispose();
  }
});

test('demo whose disk fills and is freed again resumes, exits 0 and says no message was lost', async () => {
  const disk = mountSmallDisk('16m');
  const file = path.join(disk.dir, 'demo.flowscope');
  try {
    const demo = runDemo(file, tmpDir());
    await waitFor('the demo recording', () => /demo: [1-9]\d* messages/.test(demo.stderr));
    disk.fill();
    await waitFor('the pause on stderr', () => demo.stderr.includes('recording is paused'));
    disk.free();
    await waitFor('the resume on stderr', () => /writing resumed after [\d.]+ s; the gap is recorded in the session \(no message lost/.test(demo.stderr), 20_000);
    const resumedAt = demo.stderr.length;
    await waitFor('new messages after the resume', () => /demo: [\d,]+ messages/.test(demo.stderr.slice(resumedAt)));
    demo.child.kill('SIGTERM');
    assert.equal(await demo.exited, 0, demo.stderr);
    assert.match(demo.stderr, /demo stopped: [\d,]+ messages in .*demo\.flowscope; writing paused 1 time\(s\) \(disk full\), no message lost/);
    const s = SessionStore.open(file, { readonly: true });
    try {
      // At most one gap per endpoint the demo recorded (WebSocket, and MQTT and NATS where
      // they run), all from the one pause, none with a message lost.
      const gaps = s.gaps();
      const endpoints = new Set(s.endpoints().map((e) => e.id));
      const gapped = gaps.map((g) => g.endpoint);
      assert.ok(gapped.includes('demo-ws'), JSON.stringify(gaps));
      assert.equal(new Set(gapped).size, gaps.length, 'one gap per endpoint');
      assert.ok(gapped.every((e) => e !== null && endpoints.has(e)));
      assert.ok(gaps.every((g) => g.lost === 0 && g.reason === 'disk-full'), JSON.stringify(gaps));
      assert.ok(s.count({}) > 0 && (s.timeRange().last ?? 0) > gaps[0]!.end, 'messages were stored after the gap');
    } finally {
      s.close();
    }
  } finally {
    disk.dispose();
  }
});

test('record through the WebSocket proxy onto a disk that fills says so on its live line, and exits 1 with captured vs stored', async () => {
  const disk = mountSmallDisk('16m');
  const server = await echoServer();
  const file = path.join(disk.dir, 'rec.flowscope');
  try {
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, 'record', '--ws-proxy', `${port}=${server.url}`, '--out', file, '--duration', '120'], {
      env: { ...process.env, FLOWSCOPE_DATA_DIR: tmpDir() },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number>((r) => child.on('exit', (code, sig) => r(code ?? (sig ? 128 : 0))));
    await waitFor('record listening', () => /recording to .*rec\.flowscope/.test(stderr) && /recording/.test(stderr.split('\n').slice(1).join('\n')));
    // Frames of 4 KiB, sent until the pause shows: SQLite first reuses the free pages of
    // its file and WAL, so how much fits after the fill varies (1,000 short frames sometimes
    // did, and the pause never came).
    const c = await waitFor('the proxy accepting', async () => client(`ws://127.0.0.1:${port}/rec`, 4096).catch(() => null));
    await c.send(20);
    disk.fill();
    for (let i = 0; i < 2000 && !stderr.includes('recording PAUSED (DISK FULL)'); i++) await c.send(10);
    await waitFor('the paused live line', () => /recording PAUSED \(DISK FULL\): [\d,]+ captured, [\d,]+ stored, [\d,]+ held in memory/.test(stderr));
    assert.match(stderr, /flowscope: The disk holding .*rec\.flowscope is full/);
    await c.close();
    child.kill('SIGTERM');
    assert.equal(await exited, 1, stderr);
    const m = /stopped \(SIGTERM\): captured ([\d,]+) messages, stored ([\d,]+) in .*rec\.flowscope: ([\d,]+) NOT STORED \(the disk was full\)/.exec(stderr);
    assert.ok(m, stderr);
    const [captured, stored, lost] = m.slice(1).map((x) => Number(x.replace(/,/g, '')));
    assert.equal(captured, 2 * c.sent + 2, 'every frame, its echo, the open and the close were captured');
    assert.equal(captured! - stored!, lost);
    disk.free();
    const s = SessionStore.open(file, { readonly: true });
    try {
      assert.equal(s.count(), stored);
    } finally {
      s.close();
    }
  } finally {
    await server.close();
    disk.dispose();
  }
});
