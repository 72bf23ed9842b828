import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { Recorder } from '../../src/core/engine/recorder.ts';
import type { EndpointState } from '../../src/core/engine/recorder.ts';
import { WsProxyConnector } from '../../src/core/connectors/ws/proxy.ts';
import { WsProxyThread } from '../../src/core/connectors/ws/proxy-thread.ts';
import type { StoredMessage } from '../../src/shared/model.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';
import { freePort, runPythonClient, startPythonServer } from '../fixtures/ws_python.ts';

interface Line {
  conn: string;
  dir?: 'sent' | 'recv';
  type?: 'text' | 'binary';
  sha256?: string;
  close?: number;
  reason?: string;
}

function recording(dir: string) {
  const file = path.join(dir, `proxy-${crypto.randomUUID().slice(0, 8)}.flowscope`);
  const store = SessionStore.create(file);
  const states: EndpointState[] = [];
  const recorder = new Recorder(store, { onStatus: (s) => states.push(s) });
  return { file, store, recorder, states };
}

const sha = (b: Uint8Array): string => crypto.createHash('sha256').update(b).digest('hex');

function byPath(msgs: StoredMessage[], dest: string) {
  const on = msgs.filter((m) => m.destination === dest);
  const frames = (event: string) =>
    on.filter((m) => m.event === event).map((m) => ({ type: m.meta?.opcode, sha256: sha(m.payload) }));
  return {
    on,
    out: frames('frame-out'),
    in: frames('frame-in'),
    open: on.find((m) => m.event === 'open'),
    close: on.filter((m) => m.event === 'close'),
  };
}

// The engine runs the proxy on its own thread (WsProxyThread); the relay itself is
// WsProxyConnector. Both must be invisible to the client and record the same facts.
const VARIANTS = [
  ['in the recording thread', WsProxyConnector],
  ['on its own thread', WsProxyThread],
] as const;

for (const [variant, Proxy] of VARIANTS) {
  test(`${variant}: a client sees through the proxy exactly what it sees directly, and the session holds every frame byte for byte`, async () => {
    const server = await startPythonServer('ws_echo_server.py', ['0']);
    const { file, store, recorder } = recording(tmpDir());
    try {
      const direct = (await runPythonClient('ws_client.py', [`ws://127.0.0.1:${server.port}`])).map((l) => JSON.parse(l) as Line);

      const proxy = new Proxy(
        { id: 'proxy', listenPort: 0, target: `ws://127.0.0.1:${server.port}` },
        recorder.sink('proxy'),
      );
      await recorder.add(proxy);
      const proxied = (await runPythonClient('ws_client.py', [`ws://127.0.0.1:${proxy.port}`])).map((l) => JSON.parse(l) as Line);
      assert.deepEqual(proxied, direct, 'the client must not notice the proxy');
      await recorder.stop();

      const msgs = [...store.iterate()];
      const lines = (conn: string, dir: 'sent' | 'recv') =>
        proxied.filter((l) => l.conn === conn && l.dir === dir).map((l) => ({ type: l.type, sha256: l.sha256 }));

      const echo = byPath(msgs, '/echo');
      assert.deepEqual(echo.out, lines('echo', 'sent'), 'client→server frames, in order, byte-identical');
      assert.deepEqual(echo.in, lines('echo', 'recv'), 'server→client frames, in order, byte-identical');
      assert.ok(echo.in.length >= 8 && echo.out.some((f) => f.type === 'binary'));
      assert.equal(Math.max(...echo.on.map((m) => m.size)), 5 * 1024 * 1024, 'the 5 MB frame is stored whole');
      assert.equal(echo.open?.meta?.subprotocol, 'flowscope.v1');
      assert.deepEqual(echo.close.map((m) => m.meta), [{ code: 4000, reason: 'done', by: 'client' }]);
      const forwarded = echo.open?.meta?.forwardedHeaders as string[];
      assert.ok(forwarded.includes('authorization') && forwarded.includes('cookie'), 'credentials are forwarded');
      assert.equal(new Set(echo.on.map((m) => m.connection)).size, 1);

      const strict = byPath(msgs, '/strict');
      assert.deepEqual(strict.out, lines('strict', 'sent'), 'an invalid UTF-8 text frame is relayed, not rejected');
      assert.equal(strict.out[0]?.type, 'text');
      assert.deepEqual(strict.close.map((m) => m.meta), [{ code: 1007, reason: '', by: 'server' }]);

      const bye = byPath(msgs, '/bye');
      assert.deepEqual(bye.close.map((m) => m.meta), [{ code: 4001, reason: 'server says bye', by: 'server' }]);

      const conns = new Set(msgs.map((m) => m.connection));
      assert.equal(conns.size, 3, 'each connection has its own id');
      store.close();
      const bytes = fs.readFileSync(file);
      assert.equal(bytes.indexOf('s3cret-token-value'), -1, 'the Authorization value is never stored');
      assert.equal(bytes.indexOf('cookie-secret-value'), -1, 'the Cookie value is never stored');
    } finally {
      store.close();
      await server.stop();
    }
  });
}

for (const [variant, Proxy] of VARIANTS) {
  test(`${variant}: handshake headers named __proto__, toString and constructor cross the proxy and are listed like any other`, async () => {
    // The target: a ws server that answers with the handshake headers it received, as sent.
    const target = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    target.on('connection', (ws, req) => ws.on('message', () => ws.send(JSON.stringify(req.rawHeaders))));
    await new Promise((resolve) => target.once('listening', resolve));
    const { store, recorder } = recording(tmpDir());
    try {
      const proxy = new Proxy({ id: 'proxy', listenPort: 0, target: `ws://127.0.0.1:${(target.address() as AddressInfo).port}` }, recorder.sink('proxy'));
      await recorder.add(proxy);
      const sent = [['__proto__', 'p'], ['toString', 't'], ['constructor', 'c'], ['X-Plain', 'n']];
      const [reply] = await runPythonClient('ws_headers_client.py', [`ws://127.0.0.1:${proxy.port}/names`, JSON.stringify(sent)]);
      const raw = JSON.parse(reply!) as string[];
      const got = new Map<string, string>();
      for (let i = 0; i < raw.length; i += 2) got.set(raw[i]!.toLowerCase(), raw[i + 1]!);
      for (const [name, value] of sent) assert.equal(got.get(name!.toLowerCase()), value, `the target received ${name}`);
      await recorder.stop();
      const open = [...store.iterate()].find((m) => m.event === 'open');
      const forwarded = open?.meta?.forwardedHeaders as string[];
      for (const name of ['__proto__', 'tostring', 'constructor', 'x-plain']) assert.ok(forwarded.includes(name), `${name} listed among the forwarded headers: ${forwarded.join(', ')}`);
    } finally {
      store.close();
      await new Promise((resolve) => target.close(resolve));
    }
  });
}

/** Connects a Node ws client and collects what it sees until the connection closes. */
function connect(url: string) {
  const ws = new WebSocket(url);
  const received: string[] = [];
  ws.on('message', (d) => received.push(String(d)));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('error', () => undefined);
  return { ws, received, closed };
}

test('an unreachable target closes the client with 1014 and a reason, is recorded, and the proxy keeps listening', async () => {
  const { store, recorder, states } = recording(tmpDir());
  const port = await freePort();
  const proxy = new WsProxyConnector({ id: 'p', listenPort: 0, target: `ws://127.0.0.1:${port}` }, recorder.sink('p'));
  await recorder.add(proxy);
  let server: Awaited<ReturnType<typeof startPythonServer>> | null = null;
  try {
    const first = connect(`ws://127.0.0.1:${proxy.port}/rpc`);
    const closed = await first.closed;
    assert.equal(closed.code, 1014);
    assert.match(closed.reason, /cannot reach ws:\/\/127\.0\.0\.1:\d+\/rpc/);
    await waitFor('a failed status', () => states.find((s) => s.status === 'failed' && /cannot reach/.test(s.detail ?? '')));

    server = await startPythonServer('ws_echo_server.py', [String(port)]);
    const second = connect(`ws://127.0.0.1:${proxy.port}/rpc`);
    const welcome = await waitFor('the welcome through the proxy', () => second.received[0]);
    assert.equal(JSON.parse(welcome).path, '/rpc');
    await waitFor('recording again', () => states.at(-1)?.status === 'recording');
    second.ws.close(1000, 'bye');
    await second.closed;
    await recorder.stop();

    const errors = [...store.iterate({ events: ['error'] })];
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]?.meta?.message), /ECONNREFUSED/);
    assert.equal(errors[0]?.destination, '/rpc');
    assert.equal(store.count({ events: ['open'] }), 1);
  } finally {
    await recorder.stop();
    store.close();
    await server?.stop();
  }
});

for (const [variant, Proxy] of VARIANTS) {
  test(`${variant}: stopping the proxy closes live connections with 1001 and records who closed them`, async () => {
    const server = await startPythonServer('ws_echo_server.py', ['0']);
    const { store, recorder } = recording(tmpDir());
    try {
      const proxy = new Proxy({ id: 'p', listenPort: 0, target: `ws://127.0.0.1:${server.port}` }, recorder.sink('p'));
      await recorder.add(proxy);
      const client = connect(`ws://127.0.0.1:${proxy.port}/live`);
      await waitFor('the welcome', () => client.received.length > 0);
      await recorder.stop();
      assert.equal((await client.closed).code, 1001);
      const close = [...store.iterate({ events: ['close'] })];
      assert.deepEqual(close.map((m) => [m.meta?.code, m.meta?.by]), [[1001, 'proxy']]);
    } finally {
      store.close();
      await server.stop();
    }
  });
}

test('a frame sent to a server that is already closing is recorded as dropped and not delivered', async () => {
  // A busy server: it sends "bye", starts closing, and reads nothing more for a while, so
  // the closing handshake stays open long enough for the client's answer to meet it.
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const serverGot: string[] = [];
  let busy: WebSocket | null = null;
  server.on('connection', (ws) => {
    ws.on('message', (d) => {
      serverGot.push(String(d));
      if (String(d) !== 'bye-race') return;
      ws.send('bye');
      ws.close(4002, 'closing now');
      ws.pause();
      busy = ws;
    });
  });
  const { store, recorder } = recording(tmpDir());
  try {
    const { port } = server.address() as AddressInfo;
    const proxy = new WsProxyConnector({ id: 'p', listenPort: 0, target: `ws://127.0.0.1:${port}` }, recorder.sink('p'));
    await recorder.add(proxy);
    const client = connect(`ws://127.0.0.1:${proxy.port}/race`);
    client.ws.on('open', () => client.ws.send('bye-race'));
    client.ws.on('message', (d) => {
      if (String(d) === 'bye') client.ws.send('too late');
    });
    const late = await waitFor('the late frame recorded', () => {
      recorder.flush();
      return store.rows({ text: 'too late' }, { limit: 1 })[0];
    });
    busy!.resume();
    assert.deepEqual(await client.closed, { code: 4002, reason: 'closing now' });
    await recorder.stop();
    const stored = store.get(late.seq);
    assert.equal(stored?.event, 'frame-out');
    assert.equal(stored?.meta?.dropped, true);
    assert.deepEqual(serverGot, ['bye-race'], 'the server never receives the dropped frame');
    const close = [...store.iterate({ events: ['close'] })];
    assert.deepEqual(close.map((m) => m.meta), [{ code: 4002, reason: 'closing now', by: 'server' }]);
  } finally {
    await recorder.stop();
    store.close();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('pings and pongs travel end to end and are not recorded as frames', async () => {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const pings: string[] = [];
  server.on('connection', (ws) => ws.on('ping', (d) => pings.push(String(d))));
  const { store, recorder } = recording(tmpDir());
  try {
    const { port } = server.address() as AddressInfo;
    const proxy = new WsProxyConnector({ id: 'p', listenPort: 0, target: `ws://127.0.0.1:${port}` }, recorder.sink('p'));
    await recorder.add(proxy);
    const client = connect(`ws://127.0.0.1:${proxy.port}/live`);
    const pongs: string[] = [];
    client.ws.on('pong', (d) => pongs.push(String(d)));
    await new Promise((resolve) => client.ws.once('open', resolve));
    client.ws.ping('hb-1');
    await waitFor('the pong from the server', () => pongs.includes('hb-1'));
    assert.deepEqual(pings, ['hb-1'], 'the server itself answered the ping');
    await recorder.stop();
    assert.equal(store.count({ events: ['frame-in', 'frame-out'] }), 0);
  } finally {
    await recorder.stop();
    store.close();
    for (const c of server.clients) c.terminate();
    await new Promise((resolve) => server.close(resolve));
  }
});
