import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { eventually, launchBrowser, openView, screenshot, startHarness, waitForNum, waitShown, type BrowserSession, type Harness } from '../helpers/browser.ts';
import { asyncApiErrors } from '../helpers/asyncapi.ts';

// Issue 15 in the window: the Flow view's AsyncAPI button opens the export dialog set to
// AsyncAPI, and exporting writes (through the same export request as every other format,
// so the browser build and the desktop app behave alike) a valid AsyncAPI 3.0 document of
// the demo's traffic beside the session.

let h: Harness;
let b: BrowserSession;

before(async () => {
  h = await startHarness();
  b = await launchBrowser({ width: 1280, height: 800 });
  b.page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  await b?.close();
  await h?.close();
});

test("the Flow view's AsyncAPI button writes a valid AsyncAPI 3.0 document of the observed traffic", async () => {
  const { page } = b;
  const file = path.join(h.dataDir, 'flow.flowscope');
  const session = h.engine.newSession(file);
  await h.engine.startDemo(session.id);
  await page.goto(`${h.bridge.url}&session=${session.id}`);
  await waitShown(page, (n) => n > 20, 'demo traffic in the list');

  await openView(page, 'Flow');
  await waitForNum(page.getByTestId('flow-summary'), 'data-nodes', (n) => n > 2, 'the flow graph');
  const button = page.getByTestId('flow-asyncapi');
  await button.waitFor();
  assert.equal(await button.locator('svg').count(), 1, 'the button has its SVG icon');
  await screenshot(page, 'flow-asyncapi-button');
  await button.click();

  const dialog = page.getByTestId('path-dialog');
  await dialog.waitFor();
  assert.match(await dialog.innerText(), /Export an AsyncAPI document/);
  assert.equal(await dialog.getByLabel('Export format').inputValue(), 'asyncapi');
  const target = path.join(h.dataDir, 'flow.asyncapi.yaml');
  assert.equal(await dialog.getByLabel('File path').inputValue(), target, 'the document is proposed beside the session');
  await screenshot(page, 'flow-asyncapi-dialog');
  await dialog.getByRole('button', { name: 'Export', exact: true }).click();

  await page.getByText(/Exported an AsyncAPI document \(\d+ channels\) to /).waitFor({ timeout: 30_000 });
  await dialog.waitFor({ state: 'detached' });
  const doc = await eventually('the document on disk', () => (fs.existsSync(target) ? (parseYaml(fs.readFileSync(target, 'utf8')) as Record<string, unknown>) : null));

  assert.deepEqual(await asyncApiErrors(doc), [], 'the official AsyncAPI parser finds no error');
  const channels = doc.channels as Record<string, { address: string | null }>;
  const addresses = Object.values(channels).map((c) => c.address);
  for (const p of ['/rpc', '/events', '/notify']) assert.ok(addresses.includes(p), `the demo's ${p} socket is a channel: ${addresses.join(', ')}`);
  const ops = Object.values(doc.operations as Record<string, { action: string; reply?: unknown }>);
  assert.ok(ops.some((o) => o.action === 'send' && o.reply), 'the JSON-RPC requests have their reply');
});
