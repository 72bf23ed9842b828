import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { WebSocketServer } from 'ws';
import { DEFAULT_ANALYSIS_CONFIG } from '../../src/core/analysis/config.ts';
import {
  eventually,
  launchBrowser,
  openView,
  screenshot,
  sessionFromUrl,
  shownCount,
  startHarness,
  waitForNum,
  waitShown,
  type BrowserSession,
  type Harness,
} from '../helpers/browser.ts';
import { PYTHON } from '../helpers/tmp.ts';

// The inspector UI end to end, on WebSocket traffic: a python3-websockets client speaks
// JSON-RPC to a ws server through a recording proxy the user sets up in the connect
// dialog. 10 requests (ids 4 and 8 never answered), 3 notifications.

const run = promisify(execFile);
const REQUESTS = 10;
const UNANSWERED = [4, 8];
const NOTIFICATIONS = 3;

const CLIENT = `
import asyncio, json, sys, websockets
async def main(url):
    async with websockets.connect(url, ping_interval=None) as ws:
        for i in range(1, ${REQUESTS + 1}):
            ignored = i in (${UNANSWERED.join(', ')})
            await ws.send(json.dumps({"jsonrpc": "2.0", "id": i, "method": "ignore" if ignored else "add", "params": [i, i]}))
            if not ignored:
                await ws.recv()
        for k in range(${NOTIFICATIONS}):
            await ws.send(json.dumps({"jsonrpc": "2.0", "method": "log", "params": {"k": k}}))
        await ws.close(1000, "done")
asyncio.run(main(sys.argv[1]))
`;

let h: Harness;
let b: BrowserSession;
let server: WebSocketServer;
let serverPort: number;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

before(async () => {
  h = await startHarness({
    // Short windows so unanswered requests are decided while the test watches.
    pairing: { ...DEFAULT_ANALYSIS_CONFIG.pairing, timeoutMs: 1500 },
  });
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => server.once('listening', () => r()));
  serverPort = (server.address() as net.AddressInfo).port;
  server.on('connection', (ws) =>
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { id?: number; method: string; params: number[] };
      if (m.method === 'add' && m.id !== undefined) ws.send(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: m.params[0]! + m.params[1]! }));
    }),
  );
  b = await launchBrowser();
  b.page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  await b?.close();
  await h?.close();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
});

test('an empty window says what to do next', async () => {
  const { page } = b;
  await page.goto(h.bridge.url);
  await page.getByTestId('empty-state').waitFor();
  await page.getByRole('button', { name: /Start demo/ }).waitFor();
  await screenshot(page, 'empty-state-light');
});

test('WebSocket JSON-RPC recorded through a proxy set up in the connect dialog', async () => {
  const { page } = b;
  await page.getByRole('button', { name: /Record from an endpoint/ }).click();
  const dialog = page.getByTestId('connect-dialog');
  await dialog.getByRole('tab', { name: 'WebSocket proxy' }).click();
  // Client-side validation uses the engine's own schema and says what is wrong, in place.
  await dialog.getByLabel('Listen port').fill('abc');
  await dialog.getByLabel('Target URL').fill('http://not-a-websocket');
  await dialog.getByRole('button', { name: 'Connect and record' }).click();
  await dialog.getByText('Target must be a ws:// or wss:// URL').waitFor();
  await dialog.getByText(/port is a whole number/).waitFor();
  await screenshot(page, 'connect-dialog-errors-light');

  const proxyPort = await freePort();
  await dialog.getByLabel('Listen port').fill(String(proxyPort));
  await dialog.getByLabel('Target URL').fill(`ws://127.0.0.1:${serverPort}`);
  await dialog.getByRole('button', { name: 'Connect and record' }).click();
  await dialog.waitFor({ state: 'detached' });
  const chip = page.getByTestId('endpoint-chip');
  await chip.first().waitFor();
  await eventually('endpoint recording', async () => (await chip.getAttribute('data-status')) === 'recording');
  assert.ok(sessionFromUrl(page), 'the active session is in the URL');

  await run(PYTHON, ['-c', CLIENT, `ws://127.0.0.1:${proxyPort}/rpc`], { timeout: 30_000 });
  const session = h.engine.session(sessionFromUrl(page)!);
  const framesOut = REQUESTS + NOTIFICATIONS;
  const framesIn = REQUESTS - UNANSWERED.length;
  await eventually('every frame stored', () => session.store.count({ events: ['frame-out', 'frame-in'] }) === framesOut + framesIn);
  const total = session.store.count({});
  await waitShown(page, (n) => n === total, `the list to show all ${total} messages`);

  // Filters run in the store; the list says how many match.
  await page.getByLabel('Event', { exact: true }).selectOption('frame-out');
  await waitShown(page, (n) => n === framesOut, 'client→server frames only');
  await page.getByLabel('Event', { exact: true }).selectOption('');
  await page.getByLabel('Payload text', { exact: true }).fill('ignore');
  await waitShown(page, (n) => n === UNANSWERED.length, 'the two ignored requests');
  await page.getByTestId('filter-chips').getByRole('button', { name: 'Clear all' }).click();
  await waitShown(page, (n) => n === total, 'everything again');

  // Detail: a request and, one click away, its reply (same correlation id).
  await page.getByLabel('Correlation ID', { exact: true }).fill('3');
  await waitShown(page, (n) => n === 2, 'request 3 and its reply');
  await page.getByTestId('message-row').first().click();
  const detail = page.getByTestId('detail-pane');
  await detail.getByTestId('payload').getByText('"add"').waitFor();
  await detail.getByTestId('related-link').first().click();
  await detail.getByTestId('payload').getByText('"result"').waitFor();
  await screenshot(page, 'messages-detail-ws-light');

  // Keyboard: ↑ moves the selection (the open detail follows), Esc closes, / focuses the search.
  const before = await detail.getAttribute('aria-label');
  await page.getByTestId('message-grid').focus();
  await page.keyboard.press('ArrowUp');
  await eventually('detail follows the selection', async () => (await detail.getAttribute('aria-label')) !== before);
  await page.keyboard.press('Escape');
  await detail.waitFor({ state: 'detached' });
  await page.getByTestId('filter-chips').getByRole('button', { name: 'Clear all' }).click();
  await page.getByTestId('message-grid').focus();
  await page.keyboard.press('/');
  await eventually('search focused', async () => (await page.evaluate("document.activeElement?.getAttribute('aria-label')")) === 'Payload text');

  // Flow: the client and the server path, frames both ways.
  await openView(page, 'Flow');
  await page.locator('[data-testid="flow-node"][data-kind="ws-server"]').first().waitFor();
  assert.equal(await page.locator('[data-testid="flow-node"][data-kind="ws-server"]').count(), 1);
  assert.ok((await page.locator('[data-testid="flow-node"][data-kind="ws-client"]').count()) >= 1);
  await waitForNum(page.getByTestId('flow-summary'), 'data-edges', (n) => n === 2, 'client→server and server→client edges');
  await screenshot(page, 'flow-ws-light');

  // Conversations: 8 answered, 2 left unanswered.
  await openView(page, 'Conversations');
  await waitForNum(page.getByTestId('pairs-matched'), 'data-value', (n) => n === REQUESTS - UNANSWERED.length, 'matched pairs');
  await waitForNum(page.getByTestId('pairs-unanswered'), 'data-value', (n) => n === UNANSWERED.length, 'unanswered requests');
  await page.getByRole('group', { name: 'Pair status' }).getByRole('button', { name: /Unanswered/ }).click();
  await eventually('two unanswered rows', async () => (await page.locator('[data-testid="pair-row"][data-status="unanswered"]').count()) === 2);
  await page.getByTestId('pair-row').first().click();
  await page.getByTestId('sequence-diagram').getByText(/no reply/).waitFor();
  await page.getByRole('group', { name: 'Pair status' }).getByRole('button', { name: /Matched/ }).click();
  await eventually('matched rows', async () => (await page.locator('[data-testid="pair-row"][data-status="matched"]').count()) === REQUESTS - UNANSWERED.length);
  await page.getByTestId('pair-row').first().click();
  await page.getByTestId('sequence-diagram').getByText(/reply #/).waitFor();
  await page.getByTestId('latency-histogram').waitFor();
  await screenshot(page, 'conversations-ws-light');

  // Undelivered: both ignored requests were left open when the client closed the socket.
  await openView(page, 'Undelivered');
  const group = page.locator('[data-testid="undelivered-group"][data-reason="unanswered-before-close"]');
  await waitForNum(group, 'data-count', (n) => n === UNANSWERED.length, 'requests left unanswered at close');
  await screenshot(page, 'undelivered-ws-light');
  await group.getByRole('button').first().click();
  await page.getByTestId('detail-pane').getByTestId('payload').getByText('"ignore"').waitFor();
  await page.getByRole('button', { name: 'Close detail' }).click();

  // Timeline: brushing a range filters every view; the count matches the store's for that range.
  await openView(page, 'Timeline');
  const surface = page.getByTestId('timeline-surface');
  await surface.waitFor();
  const box = (await surface.boundingBox())!;
  await page.mouse.move(box.x + 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.45, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await page.getByTestId('range-label').waitFor();
  const params = new URL(page.url()).searchParams;
  const fromTime = Number(params.get('from'));
  const toTime = Number(params.get('to'));
  assert.ok(fromTime > 0 && toTime > fromTime, 'the brushed range is in the URL');
  await screenshot(page, 'timeline-ws-light');
  const inRange = session.store.count({ fromTime, toTime });
  await openView(page, 'Messages');
  await waitShown(page, (n) => n === inRange, `the ${inRange} messages in the brushed range`);
  assert.ok(inRange < total, 'the range narrows the list');

  // The view state lives in the URL: a reload restores view, filter and range.
  await openView(page, 'Conversations');
  await page.reload();
  await eventually('view restored', async () => (await page.getByRole('tab', { name: 'Conversations', exact: true }).getAttribute('aria-selected')) === 'true');
  await page.getByTestId('filter-chips').getByText(/^time:/).waitFor();
  await openView(page, 'Messages');
  await waitShown(page, (n) => n === inRange, 'the same range after a reload');
  await page.getByTestId('filter-chips').getByRole('button', { name: 'Clear all' }).click();
  assert.equal(await shownCount(page).then((n) => n <= total), true);
});

test('a saved session reopens from a typed path and plays back on the timeline', async () => {
  const { page } = b;
  const id = sessionFromUrl(page)!;
  const total = h.engine.session(id).store.count({});
  const file = path.join(h.dataDir, 'saved-copy.flowscope');
  await page.getByRole('button', { name: 'Save As…' }).click();
  await page.getByTestId('path-dialog').getByLabel('File path').fill(file);
  await page.getByTestId('path-dialog').getByRole('button', { name: 'Save' }).click();
  await page.getByTestId('path-dialog').waitFor({ state: 'detached' });

  await page.getByRole('button', { name: 'Open…' }).click();
  await page.getByTestId('path-dialog').getByLabel('File path').fill(file);
  await page.getByTestId('path-dialog').getByRole('button', { name: 'Open' }).click();
  await eventually('a second session tab', async () => (await page.getByTestId('session-tab').count()) === 2);
  await eventually('the saved copy is active', () => sessionFromUrl(page) !== id);
  await page.getByTestId('session-state').getByText('Saved').waitFor();

  await openView(page, 'Timeline');
  await page.getByRole('group', { name: 'Playback speed' }).getByRole('button', { name: 'max' }).click();
  await page.getByTestId('playback-toggle').click();
  await page.getByTestId('playhead').waitFor();
  await eventually('playback reaches the end', async () => (await page.getByTestId('playback-toggle').textContent())?.includes('Play'));
  await openView(page, 'Messages');
  await waitShown(page, (n) => n === total, 'every message played back');
  await openView(page, 'Timeline');
  await screenshot(page, 'timeline-playback-light');
  await page.getByRole('button', { name: 'Leave playback and show everything' }).click();
  await page.getByTestId('playhead').waitFor({ state: 'detached' });

  // Closing the tab goes back to the recording.
  await page.getByRole('button', { name: /^Close session saved-copy/ }).click();
  await eventually('one session tab left', async () => (await page.getByTestId('session-tab').count()) === 1);
  assert.equal(sessionFromUrl(page), id);
});

test('every view in the dark theme', async () => {
  const { page } = b;
  await page.emulateMedia({ colorScheme: 'dark' });
  for (const view of ['Messages', 'Flow', 'Conversations', 'Undelivered', 'Timeline']) {
    await openView(page, view);
    if (view === 'Messages') {
      await page.getByTestId('message-row').first().waitFor();
      await page.getByTestId('message-row').nth(2).click();
      await page.getByTestId('detail-pane').getByTestId('payload').waitFor();
    }
    // The nodes must show while counts keep refreshing (React Flow once lost their sizes).
    if (view === 'Flow') await page.getByTestId('flow-node').first().waitFor();
    if (view === 'Conversations') {
      await page.getByTestId('pair-row').first().click();
      await page.getByTestId('sequence-diagram').waitFor();
    }
    if (view === 'Timeline') await page.getByTestId('timeline-chart').waitFor();
    await screenshot(page, `${view.toLowerCase()}-ws-dark`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
});

test('an endpoint that cannot connect says why, in plain words, and can be stopped', async () => {
  const { page } = b;
  const port = await freePort(); // nobody listens there
  await page.getByRole('button', { name: 'Record', exact: true }).click();
  const dialog = page.getByTestId('connect-dialog');
  await dialog.getByRole('tab', { name: 'WebSocket tap' }).click();
  await dialog.getByLabel('URL', { exact: true }).fill(`ws://127.0.0.1:${port}/feed`);
  await dialog.getByRole('button', { name: 'Connect and record' }).click();
  await dialog.waitFor({ state: 'detached' });
  const problem = page.getByTestId('endpoint-error');
  await problem.getByText(/ECONNREFUSED|refused/i).waitFor();
  assert.match((await page.getByTestId('endpoint-chip').getAttribute('data-status')) ?? '', /reconnecting|failed/);
  await screenshot(page, 'endpoint-failing-light');
  await page.getByRole('button', { name: /^Stop recording ws / }).click();
  await eventually('endpoint stopped', async () => (await page.getByTestId('endpoint-chip').getAttribute('data-status')) === 'stopped');
});
