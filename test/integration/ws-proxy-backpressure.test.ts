import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { Recorder } from '../../src/core/engine/recorder.ts';
import { WsProxyConnector } from '../../src/core/connectors/ws/proxy.ts';
import { WsProxyThread } from '../../src/core/connectors/ws/proxy-thread.ts';
import { WS_HIGH_WATER } from '../../src/core/common/constants.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';

const FRAME = 256 * 1024;
const FRAMES = 256; // 64 MiB in all: several times what the proxy may hold

/** Frame i: its index in the first 4 bytes, then bytes that differ per frame. */
function frame(i: number): Buffer {
  const b = crypto.randomBytes(FRAME);
  b.writeUInt32BE(i, 0);
  return b;
}

// The relay itself, and the engine's proxy on its own thread (whose captures wait for the
// recording thread's acknowledgement, a second bound).
for (const [variant, Proxy] of [
  ['in the recording thread', WsProxyConnector],
  ['on its own thread', WsProxyThread],
] as const) {
  test(`${variant}: a fast sender through the proxy to a slow reader: the proxy stops reading at its buffer limit, then delivers every frame in order`, async () => {
    const dir = tmpDir();
    const store = SessionStore.create(path.join(dir, 'backpressure.flowscope'));
    const recorder = new Recorder(store);

    // The reader: a server that does not read at all until told to, then reads with pauses.
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 2 * FRAME });
    await new Promise((r) => wss.once('listening', r));
    const received: Buffer[] = [];
    let reader: WebSocket | null = null;
    wss.on('connection', (ws) => {
      reader = ws;
      ws.pause();
      ws.on('message', (data) => {
        received.push(data as Buffer);
        // Slow: after every 8 frames, stop reading until the next turn of the event loop.
        if (received.length % 8 === 0) {
          ws.pause();
          setImmediate(() => ws.resume());
        }
      });
    });

    const proxy = new Proxy(
      { id: 'proxy', listenPort: 0, target: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}` },
      recorder.sink('proxy'),
    );
    await recorder.add(proxy);
    const sender = new WebSocket(`ws://127.0.0.1:${proxy.port}`, { perMessageDeflate: false });
    await new Promise((r, j) => (sender.once('open', r), sender.once('error', j)));
    await waitFor('the server to accept the proxied connection', () => reader);

    const sent = Array.from({ length: FRAMES }, (_, i) => frame(i));
    for (const f of sent) sender.send(f, { binary: true });

    // While nothing is read downstream, count the frames the proxy has taken from the sender
    // (each frame it reads is captured; the one other capture is the connection's open) until
    // that count stops growing.
    const readByProxy = (): number => recorder.captured - 1;
    let last = -1;
    let steady = 0;
    await waitFor('the proxy to stop reading from the sender', () => {
      const n = readByProxy();
      steady = n === last ? steady + 1 : 0;
      last = n;
      return steady >= 10;
    });
    const heldBytes = last * FRAME;
    // What the proxy read = its own buffer towards the reader (the high-water mark plus the
    // frame that crossed it) + what sits in the kernel's loopback buffers between it and the
    // reader. Loopback buffers grow to a few MiB each way, so allow 24 MiB above the mark.
    assert.ok(last < FRAMES, `the proxy read all ${FRAMES} frames while the reader read none`);
    assert.ok(
      heldBytes <= WS_HIGH_WATER + FRAME + 24 * 1024 * 1024,
      `the proxy read ${heldBytes / 1024 / 1024} MiB from the sender while nothing was read downstream`,
    );
    assert.ok(sender.bufferedAmount > 0, 'the sender is held back: its own data waits in its buffer');

    reader!.resume();
    await waitFor('every frame at the reader', () => received.length === FRAMES, 120_000);
    assert.deepEqual(
      received.map((b) => b.readUInt32BE(0)),
      sent.map((_, i) => i),
      'frames arrive in the order they were sent',
    );
    assert.ok(received.every((b, i) => b.equals(sent[i]!)), 'every frame arrives byte for byte');

    sender.close(1000, 'done');
    await recorder.stop();
    const recorded = [...store.iterate()].filter((m) => m.event === 'frame-out');
    assert.equal(recorded.length, FRAMES, 'the session holds every frame once');
    assert.ok(recorded.every((m, i) => Buffer.from(m.payload).equals(sent[i]!)), 'the session holds every frame in order, byte for byte');
    store.close();
    await new Promise((r) => wss.close(r));
  });
}
