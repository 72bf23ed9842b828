import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { Recorder } from '../../src/core/engine/recorder.ts';
import type { EndpointState } from '../../src/core/engine/recorder.ts';
import { WsTapConnector } from '../../src/core/connectors/ws/tap.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';
import { freePort, startPythonServer } from '../fixtures/ws_python.ts';
import type { PythonServer } from '../fixtures/ws_python.ts';

test('the tap records a feed, reports reconnecting when the server goes away, and resumes when it returns', async () => {
  const port = await freePort();
  let server: PythonServer | null = await startPythonServer('ws_ticker_server.py', [String(port)]);
  const store = SessionStore.create(path.join(tmpDir(), 'tap.flowscope'));
  const states: EndpointState[] = [];
  const recorder = new Recorder(store, { onStatus: (s) => states.push(s) });
  const tap = new WsTapConnector(
    { id: 'tap', url: `ws://127.0.0.1:${port}/ticks`, send: ['subscribe:prices'], minBackoffMs: 100, maxBackoffMs: 400 },
    recorder.sink('tap'),
  );
  const stored = (filter: Parameters<SessionStore['count']>[0]) => {
    recorder.flush();
    return store.count(filter);
  };
  try {
    await recorder.add(tap);
    await waitFor('ticks', () => stored({ events: ['frame-in'], text: 'tick' }) >= 10);
    await waitFor('the subscription answer', () => stored({ events: ['frame-in'], text: 'subscribed:prices' }) === 1);
    assert.equal(stored({ events: ['frame-out'], text: 'subscribe:prices' }), 1, 'the subscribe message is recorded as sent');
    const first = store.rows({ events: ['open'] }, { limit: 10 });
    assert.equal(first.length, 1);
    assert.equal(first[0]?.destination, '/ticks');

    await server.stop();
    server = null;
    await waitFor('reconnecting status', () => states.some((s) => s.status === 'reconnecting'));
    await waitFor('the close of the lost connection', () => stored({ events: ['close'] }) === 1);
    const before = stored({ events: ['frame-in'] });

    server = await startPythonServer('ws_ticker_server.py', [String(port)]);
    await waitFor('recording again', () => states.at(-1)?.status === 'recording');
    await waitFor('ticks after the reconnect', () => stored({ events: ['frame-in'] }) > before + 5);
    await waitFor('the subscription repeated', () => stored({ events: ['frame-in'], text: 'subscribed:prices' }) === 2);

    await recorder.stop();
    const closedAt = [...store.iterate({ events: ['close'] })][0]!.time;
    const reopenedAt = [...store.iterate({ events: ['open'] })][1]!.time;
    const gaps = store.gaps();
    assert.equal(gaps.length, 1, 'the time the tap was away is one gap in the recording');
    assert.equal(gaps[0]?.endpoint, 'tap');
    assert.equal(gaps[0]?.reason, 'disconnected');
    assert.equal(gaps[0]?.lost, null, 'nobody can know how many frames were missed');
    assert.ok(gaps[0]!.start >= closedAt - 5 && gaps[0]!.start <= reopenedAt, 'the gap starts when the connection was lost');
    assert.ok(gaps[0]!.end >= gaps[0]!.start && gaps[0]!.end <= reopenedAt + 5, 'and ends at the reconnect');
    const opens = [...store.iterate({ events: ['open'] })];
    assert.equal(opens.length, 2);
    assert.notEqual(opens[0]?.connection, opens[1]?.connection, 'each connection has its own id');
    const closes = [...store.iterate({ events: ['close'] })];
    assert.equal(closes[0]?.meta?.by, 'server');
    assert.deepEqual(closes[1]?.meta, { code: 1000, reason: 'Flowscope tap stopped', by: 'client' });
    const binary = [...store.iterate({ events: ['frame-in'] })].filter((m) => m.meta?.opcode === 'binary');
    assert.ok(binary.length >= 2);
    assert.ok(binary.every((m) => m.payload.byteLength === 4), 'binary frames are stored as sent');
  } finally {
    await recorder.stop();
    store.close();
    await server?.stop();
  }
});
