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
import { tmpDir, waitFor } from '../helpers/tmp.ts';

const sha = (b: Uint8Array): string => crypto.createHash('sha256').update(b).digest('hex');

async function echoServer(): Promise<{ url: string; got: Buffer[]; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 512 * 1024 * 1024 });
  const got: Buffer[] = [];
  wss.on('connection', (ws) =>
    ws.on('message', (data, isBinary) => {
      got.push(data as Buffer);
      ws.send(data as Buffer, { binary: isBinary });
    }),
  );
  await new Promise((r) => wss.once('listening', r));
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, got, close: () => new Promise((r) => wss.close(() => r())) };
}

for (const [variant, Proxy] of [
  ['in the recording thread', WsProxyConnector],
  ['on its own thread', WsProxyThread],
] as const) {
  test(`${variant}: a 50 MB frame crosses both ways whole, and a frame over the limit closes with 1009 and is not relayed`, async () => {
    const server = await echoServer();
    const store = SessionStore.create(path.join(tmpDir(), 'limits.flowscope'));
    const recorder = new Recorder(store);
    const big = crypto.randomBytes(50 * 1024 * 1024);
    try {
      const proxy = new Proxy({ id: 'p', listenPort: 0, target: server.url, maxPayload: 64 * 1024 * 1024 }, recorder.sink('p'));
      await recorder.add(proxy);

      const client = new WebSocket(`ws://127.0.0.1:${proxy.port}/big`, { perMessageDeflate: false, maxPayload: 512 * 1024 * 1024 });
      await new Promise((r, j) => (client.once('open', r), client.once('error', j)));
      const echoed = new Promise<Buffer>((r) => client.once('message', (d) => r(d as Buffer)));
      client.send(big, { binary: true });
      assert.equal(sha(await echoed), sha(big), 'the 50 MB frame comes back byte for byte');

      // Over the proxy's limit (64 MiB here): ws refuses it with 1009 (message too big).
      const closed = new Promise<number>((r) => client.once('close', (code) => r(code)));
      client.on('error', () => undefined);
      client.send(Buffer.alloc(65 * 1024 * 1024, 1), { binary: true });
      assert.equal(await closed, 1009, 'the client is told its frame was too big');
      assert.equal(server.got.length, 1, 'the oversized frame never reaches the server');

      // The proxy records the close once its leg's closing handshake is done.
      await waitFor('the close recorded', () => {
        recorder.flush();
        return store.count({ events: ['close'] }) > 0;
      });
      await recorder.stop();
      const msgs = [...store.iterate({ destinations: ['/big'] })];
      const frames = msgs.filter((m) => m.event === 'frame-out' || m.event === 'frame-in');
      assert.deepEqual(frames.map((m) => [m.event, m.size]), [['frame-out', big.length], ['frame-in', big.length]]);
      assert.equal(sha(frames[0]!.payload), sha(big), 'the session holds the 50 MB frame exactly');
      const error = msgs.find((m) => m.event === 'error');
      assert.match(String(error?.meta?.message), /max payload size exceeded/i, 'the session says why the connection ended');
      assert.equal(msgs.filter((m) => m.event === 'close').length, 1, 'and records its close once');
    } finally {
      store.close();
      await server.close();
    }
  });
}
