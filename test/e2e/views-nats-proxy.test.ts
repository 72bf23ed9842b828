import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect } from 'nats';
import { eventually, launchBrowser, openView, screenshot, startHarness, waitForNum, type BrowserSession, type Harness } from '../helpers/browser.ts';
import { NATS_URL, RawNats, runPrefix } from '../helpers/mqtt-nats.ts';

// The NATS proxy from the connect dialog: a requester (nats.js) goes through it, a raw
// client answers one subject and nobody the other. The server's 503s reach only the
// requester, so only the proxy sees them; the UI shows them as undelivered "no responders"
// and the answered ones as conversations. nats.js's own errors are the truth.

let h: Harness;
let b: BrowserSession;

before(async () => {
  h = await startHarness();
  b = await launchBrowser();
  b.page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  await b?.close();
  await h?.close();
});

test('NATS proxy tab: requests nobody serves show as undelivered "no responders", answered ones as matched pairs', async (t) => {
  const { page } = b;
  const p = runPrefix();
  await page.goto(h.bridge.url);
  await page.getByRole('button', { name: /Record from an endpoint/ }).click();
  const dialog = page.getByTestId('connect-dialog');
  await dialog.getByRole('tab', { name: 'NATS proxy', exact: true }).click();
  await dialog.getByLabel('Listen port').fill('0');
  await dialog.getByLabel('Server URL').fill(NATS_URL);
  await screenshot(page, 'connect-dialog-nats-proxy-light');
  await dialog.getByRole('button', { name: 'Connect and record' }).click();
  await dialog.waitFor({ state: 'detached' });
  const chip = page.getByTestId('endpoint-chip');
  const detail = await eventually('the proxy listening', async () => ((await chip.getAttribute('data-status')) === 'recording' ? await chip.getAttribute('title') : null));
  const port = Number(/nats:\/\/127\.0\.0\.1:(\d+)/.exec(detail)?.[1]);
  assert.ok(port > 0, detail);

  const responder = await RawNats.connect();
  t.after(() => responder.close());
  await responder.sub(`${p}.quote`, (m) => responder.pub(m.reply!, 'price 42'));
  const nc = await connect({ servers: `127.0.0.1:${port}` });
  t.after(() => nc.close());
  const subjects = [`${p}.quote`, `${p}.nobody`, `${p}.quote`, `${p}.nobody`, `${p}.nobody`];
  const outcomes = await Promise.all(subjects.map((s) => nc.request(s, 'q', { timeout: 10_000 }).then(() => 'answered', (e: { code?: string }) => (e.code === '503' ? '503' : `error ${e.code}`))));
  const count = (o: string): number => outcomes.filter((x) => x === o).length;
  assert.equal(count('answered') + count('503'), subjects.length, outcomes.join(','));

  await openView(page, 'Undelivered');
  const group = page.locator(`[data-testid="undelivered-group"][data-reason="no-responders"][data-destination="${p}.nobody"]`);
  await waitForNum(group, 'data-count', (n) => n === count('503'), 'the requests answered by 503');
  await page.locator('[data-testid="undelivered-reason"][data-reason="no-responders"]').waitFor();
  await screenshot(page, 'undelivered-nats-no-responders-light');

  await openView(page, 'Conversations');
  await waitForNum(page.getByTestId('pairs-matched'), 'data-value', (n) => n === count('answered'), 'answered requests');
  await waitForNum(page.getByTestId('pairs-unanswered'), 'data-value', (n) => n === count('503'), 'requests nobody could answer');
});
