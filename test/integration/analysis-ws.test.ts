import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { WsProxyConnector } from '../../src/core/connectors/ws/proxy.ts';
import { Recorder } from '../../src/core/engine/recorder.ts';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { createEnricher } from '../../src/core/analysis/correlation.ts';
import { AnalysisState } from '../../src/core/engine/session-analysis.ts';
import { analyzeSaved } from '../helpers/analysis.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';

interface Rpc {
  jsonrpc: '2.0';
  id?: number;
  method?: string;
  params?: number[];
  result?: unknown;
}

/**
 * A JSON-RPC server: `add` answers after a delay that grows with the id (so replies on two
 * connections interleave), `slow` never answers, `shutdown` answers and then closes the
 * connection while reading nothing more for a moment, so a frame the client sends right
 * after meets a closing server.
 */
async function rpcServer(): Promise<{ port: number; busy: () => WebSocket[]; close: () => Promise<void> }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const closing: WebSocket[] = [];
  server.on('connection', (ws) => {
    ws.on('message', (data) => {
      const req = JSON.parse(String(data)) as Rpc;
      if (req.method === 'add') {
        setTimeout(() => ws.send(JSON.stringify({ jsonrpc: '2.0', id: req.id, result: req.params!.reduce((a, b) => a + b, 0) })), 5 * req.id!);
      } else if (req.method === 'shutdown') {
        ws.send(JSON.stringify({ jsonrpc: '2.0', id: req.id, result: 'bye' }));
        ws.close(1000, 'shutting down');
        ws.pause();
        closing.push(ws);
      }
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    busy: () => closing,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function client(url: string): { ws: WebSocket; replies: Rpc[]; opened: Promise<void>; closed: Promise<number> } {
  const ws = new WebSocket(url);
  const replies: Rpc[] = [];
  ws.on('message', (d) => replies.push(JSON.parse(String(d)) as Rpc));
  return {
    ws,
    replies,
    opened: new Promise((resolve) => ws.once('open', () => resolve())),
    closed: new Promise((resolve) => ws.once('close', (code) => resolve(code))),
  };
}

const call = (id: number, method: string, params: number[] = []): string => JSON.stringify({ jsonrpc: '2.0', id, method, params });

test('WebSocket JSON-RPC through the proxy: pairs by id per connection, a notification after the server closed is undelivered', async (t) => {
  const server = await rpcServer();
  t.after(() => server.close());
  const store = SessionStore.create(path.join(tmpDir(), 'ws.flowscope'));
  t.after(() => store.close());
  const live = new AnalysisState();
  const recorder = new Recorder(store, { flushMs: 50, enrich: createEnricher(), onBatch: (b) => live.ingest(b.messages) });
  const proxy = new WsProxyConnector({ id: 'proxy', listenPort: 0, target: `ws://127.0.0.1:${server.port}` }, recorder.sink('proxy'));
  await recorder.add(proxy);

  // Two connections using the same ids at the same time.
  const a = client(`${proxy.url}/rpc`);
  const b = client(`${proxy.url}/rpc`);
  await Promise.all([a.opened, b.opened]);
  for (const id of [1, 2, 3]) {
    a.ws.send(call(id, 'add', [id, 10]));
    b.ws.send(call(id, 'add', [id, 20]));
  }
  await waitFor('all six answers', () => a.replies.length === 3 && b.replies.length === 3);
  assert.deepEqual(a.replies.map((r) => r.result).sort(), [11, 12, 13]);
  b.ws.close(1000, 'done');
  await b.closed;

  // On a: a request the server never answers, then shutdown; right after its reply the
  // client sends a notification, which meets the closing server.
  a.ws.on('message', (d) => {
    if ((JSON.parse(String(d)) as Rpc).result === 'bye') a.ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'log', params: [1] }));
  });
  a.ws.send(call(4, 'slow'));
  a.ws.send(call(5, 'shutdown'));
  const dropped = await waitFor('the late notification recorded', () => {
    recorder.flush();
    return store.rows({ text: '"method":"log"' }, { limit: 1 })[0];
  });
  for (const ws of server.busy()) ws.resume();
  assert.equal(await a.closed, 1000);
  await waitFor('both closes recorded', () => {
    recorder.flush();
    return store.count({ events: ['close'] }) === 2;
  });
  await recorder.stop();

  const r = (await analyzeSaved(store)).finish();
  assert.equal(r.pairs.matched, 7, 'three adds on each connection, and shutdown');
  assert.equal(r.pairs.orphans + r.pairs.duplicates, 0, 'ids repeated across connections never cross');
  assert.equal(r.pairs.unanswered, 1);
  assert.deepEqual(r.pairs.unansweredByReason, { 'connection-closed': 1 });
  const state = await analyzeSaved(store);
  const pairs = state.pairsPage({ limit: 20, status: 'matched' }).rows;
  for (const p of pairs) {
    const req = store.get(p.requestSeq!)!;
    const rep = store.get(p.replySeq!)!;
    assert.equal(req.connection, rep.connection, 'a reply comes back on its own connection');
    assert.equal(req.event, 'frame-out');
    assert.equal(rep.event, 'frame-in');
    const sent = JSON.parse(Buffer.from(req.payload).toString()) as Rpc;
    const got = JSON.parse(Buffer.from(rep.payload).toString()) as Rpc;
    assert.equal(got.id, sent.id);
    if (sent.method === 'add') assert.equal(got.result, sent.params!.reduce((x, y) => x + y, 0));
    assert.ok(p.latencyMs! >= 0);
  }
  assert.equal(pairs.filter((p) => p.method === 'add').length, 6);

  const items = r.undelivered.items.map((i) => [i.seq, i.reason]);
  const slow = store.rows({ text: '"method":"slow"' }, { limit: 1 })[0]!;
  assert.deepEqual(items, [
    [dropped.seq, 'sent-after-close'],
    [slow.seq, 'unanswered-before-close'],
  ]);
  assert.match(r.undelivered.items[0]!.explanation, /Sent by the client while the server was closing/);
  assert.match(r.undelivered.items[1]!.explanation, /Request "slow" \(id 4\) got no reply before the connection closed \(1000\)/);

  const live2 = live.finish(store.recordingEnd());
  assert.deepEqual([live2.pairs.matched, live2.pairs.unanswered, live2.undelivered.byReason], [7, 1, r.undelivered.byReason]);
});
