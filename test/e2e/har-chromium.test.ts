import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { launchBrowser, type BrowserSession } from '../helpers/browser.ts';
import { CdpWebSocketRecorder } from '../helpers/cdp-har.ts';
import { startPythonServer, type PythonServer } from '../fixtures/ws_python.ts';
import { importHar } from '../../src/core/io/har-import.ts';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';

// Issue 15: a HAR of what Chromium itself saw (through the DevTools protocol, written as
// DevTools writes it) of a page talking to a python3-websockets server imports with every
// frame: direction, kind, exact bytes and time.

let b: BrowserSession;
let server: PythonServer;
/** The page's own origin on 127.0.0.1: Chromium refuses a WebSocket to a local address from about:blank. */
let web: http.Server;

before(async () => {
  server = await startPythonServer('ws_echo_server.py', ['0']);
  web = http.createServer((_req, res) => res.end('<!doctype html><title>chat</title>'));
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', () => resolve()));
  b = await launchBrowser();
});

after(async () => {
  await b?.close();
  await server?.stop();
  await new Promise((resolve) => web?.close(resolve));
});

test('a HAR captured from Chromium imports with every frame the page sent and received', async () => {
  const { page, context } = b;
  const recorder = await CdpWebSocketRecorder.attach(await context.newCDPSession(page));
  await page.goto(`http://127.0.0.1:${(web.address() as AddressInfo).port}/`);
  // What the page itself sent and received, in order, as base64 of the bytes.
  // A string, not a function: the test runner's transpiler adds helpers the page does not have.
  const seen = (await page.evaluate(`(async () => {
    const log = [];
    const b64 = (u8) => btoa(String.fromCharCode(...u8));
    const ws = new WebSocket('ws://127.0.0.1:${server.port}/chat', 'flowscope.v1');
    ws.binaryType = 'arraybuffer';
    // A refused or dropped socket fails the test at once instead of leaving it waiting.
    const broken = new Promise((_, reject) => { ws.onerror = () => reject(new Error('the WebSocket failed')); });
    const next = () => new Promise((resolve) => {
      ws.onmessage = (e) => {
        const bytes = typeof e.data === 'string' ? new TextEncoder().encode(e.data) : new Uint8Array(e.data);
        log.push({ dir: 'receive', binary: typeof e.data !== 'string', b64: b64(bytes) });
        resolve();
      };
    });
    const welcome = next();
    await Promise.race([new Promise((r) => (ws.onopen = r)), broken]);
    await Promise.race([welcome, broken]);
    const out = ['hello', 'h\u00e9llo \u2713 \u{1F642}', new Uint8Array([0, 1, 2, 255, 128]), '', JSON.stringify({ id: 1, method: 'add', params: [2, 3] })];
    for (const m of out) {
      const echoed = next();
      ws.send(m);
      log.push({ dir: 'send', binary: typeof m !== 'string', b64: b64(typeof m === 'string' ? new TextEncoder().encode(m) : m) });
      await Promise.race([echoed, broken]);
    }
    ws.close(1000, 'done');
    return log;
  })()`)) as { dir: 'send' | 'receive'; binary: boolean; b64: string }[];
  assert.equal(seen.length, 11, 'the welcome, five messages and their echoes');
  await waitFor('Chromium to report every frame', () => recorder.frameCount() === seen.length);

  const dir = tmpDir();
  const har = path.join(dir, 'chromium.har');
  fs.writeFileSync(har, JSON.stringify(recorder.har(), null, 2));
  const out = path.join(dir, 'chromium.flowscope');
  const r = await importHar(har, out, {});
  assert.equal(r.connections, 1);
  const s = SessionStore.open(out, { readonly: true });
  const msgs = [...s.iterate()];
  s.close();
  const frames = msgs.filter((m) => m.event === 'frame-in' || m.event === 'frame-out');
  assert.deepEqual(
    frames.map((m) => ({ dir: m.event === 'frame-out' ? 'send' : 'receive', binary: m.meta?.opcode === 'binary', b64: Buffer.from(m.payload).toString('base64') })),
    seen,
    'every frame, in order, with its direction, kind and bytes',
  );
  assert.equal(msgs[0]!.event, 'open');
  assert.equal(msgs[0]!.destination, '/chat');
  assert.equal(msgs[0]!.meta?.subprotocol, 'flowscope.v1');
  const harFrames = (JSON.parse(fs.readFileSync(har, 'utf8')) as { log: { entries: { _webSocketMessages: { time: number }[] }[] } }).log.entries[0]!._webSocketMessages;
  frames.forEach((m, i) => assert.ok(Math.abs(m.time - harFrames[i]!.time * 1000) < 0.001, `frame ${i} keeps its time`));
  // Pseudo wall time: within a minute of now, as Chromium stamped it.
  assert.ok(Math.abs(frames[0]!.time - Date.now()) < 60_000);
});
