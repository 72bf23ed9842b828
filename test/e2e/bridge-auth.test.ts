import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { launchBrowser, startHarness, type Harness } from '../helpers/browser.ts';

// The bridge serves the engine to a browser: it listens on 127.0.0.1 only and refuses any
// socket that does not present the random token printed with the URL.

let h: Harness;

before(async () => {
  h = await startHarness();
});

after(async () => {
  await h?.close();
});

/** Opens a socket; resolves with the HTTP status of a refused upgrade, or the open socket. */
function connect(url: string, headers: Record<string, string> = {}): Promise<{ status: number } | { ws: WebSocket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.once('error', (err) => reject(err));
  });
}

test('a socket without the token, or with a wrong one, is refused with 401', async () => {
  const base = `ws://127.0.0.1:${h.bridge.port}/bridge`;
  assert.deepEqual(await connect(base), { status: 401 });
  assert.deepEqual(await connect(`${base}?token=`), { status: 401 });
  assert.deepEqual(await connect(`${base}?token=${h.bridge.token.slice(0, -1)}x`), { status: 401 });
  // The right token from a foreign page (another origin) is refused too.
  assert.deepEqual(await connect(`${base}?token=${h.bridge.token}`, { Origin: 'http://evil.example' }), { status: 401 });
});

test('with the token the socket answers requests', async () => {
  const r = await connect(`ws://127.0.0.1:${h.bridge.port}/bridge?token=${encodeURIComponent(h.bridge.token)}`);
  assert.ok('ws' in r, 'the socket opens');
  const answer = await new Promise<{ id: number; ok: boolean; result: { transport: string; version: string } }>((resolve) => {
    r.ws.once('message', (data) => resolve(JSON.parse(data.toString())));
    r.ws.send(JSON.stringify({ id: 7, channel: 'renderer:app:info', input: {} }));
  });
  assert.equal(answer.id, 7);
  assert.equal(answer.ok, true);
  assert.equal(answer.result.transport, 'bridge');
  r.ws.close();
});

test('a malformed request gets an error reply, and the socket keeps answering', async () => {
  const r = await connect(`ws://127.0.0.1:${h.bridge.port}/bridge?token=${encodeURIComponent(h.bridge.token)}`);
  assert.ok('ws' in r, 'the socket opens');
  const malformed = ['null', 'true', '"renderer:app:info"', '5', '{}', '{"id":4,"channel":"renderer:nope","input":{}}'];
  const replies = new Promise<{ id: number; ok: boolean; error?: { code: string; message: string }; result?: { transport: string } }[]>((resolve) => {
    const got: { id: number; ok: boolean }[] = [];
    r.ws.on('message', (data) => {
      got.push(JSON.parse(data.toString()));
      if (got.length === malformed.length + 1) resolve(got);
    });
  });
  for (const text of malformed) r.ws.send(text);
  r.ws.send(JSON.stringify({ id: 8, channel: 'renderer:app:info', input: {} }));
  const all = await replies;
  const refused = all.filter((m) => !m.ok);
  assert.equal(refused.length, malformed.length);
  assert.ok(refused.every((m) => m.error?.code === 'bad-request'));
  assert.ok(refused.some((m) => m.id === 4 && /Unknown channel renderer:nope/.test(m.error?.message ?? '')));
  const answered = all.find((m) => m.ok);
  assert.equal(answered?.id, 8);
  assert.equal(answered?.result?.transport, 'bridge');
  r.ws.close();
});

test('the page opened without the token says how to get in', async () => {
  const b = await launchBrowser();
  try {
    await b.page.goto(`http://127.0.0.1:${h.bridge.port}/`);
    await b.page.getByRole('alert').getByText(/No access token/).waitFor();
  } finally {
    await b.close();
  }
});

test('a crafted path (NUL byte, traversal) is refused and the server keeps serving', async () => {
  const base = `http://127.0.0.1:${h.bridge.port}`;
  assert.equal((await fetch(`${base}/%00`)).status, 400);
  assert.equal((await fetch(`${base}/index.html%00.js`)).status, 400);
  assert.notEqual((await fetch(`${base}/%2e%2e/%2e%2e/etc/passwd`)).status, 200, 'nothing outside the renderer is served');
  const page = await fetch(`${base}/`);
  assert.equal(page.status, 200, 'the UI is still served after the crafted requests');
});
