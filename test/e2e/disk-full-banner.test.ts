import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { eventually, launchBrowser, openView, screenshot, startHarness, waitShown, type BrowserSession, type Harness } from '../helpers/browser.ts';
import { mountSmallDisk, type SmallDisk } from '../helpers/tmpfs.ts';

// Issue 14 in the window: the demo records onto a small real tmpfs; the test fills it and
// frees it again. The user must see at once that recording paused, then that it resumed,
// and the pause as a gap in the Messages view and on the timeline.

let h: Harness;
let b: BrowserSession;
let disk: SmallDisk;

before(async () => {
  disk = mountSmallDisk('16m');
  h = await startHarness();
  b = await launchBrowser({ width: 1280, height: 800 });
  b.page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  await b?.close();
  await h?.close();
  disk?.dispose();
});

test('a full disk shows a banner at once with the held count; freeing space removes it and the gap shows in Messages and on the timeline', async () => {
  const { page } = b;
  const session = h.engine.newSession(path.join(disk.dir, 'ui.flowscope'));
  await h.engine.startDemo(session.id);
  await page.goto(`${h.bridge.url}&session=${session.id}`);
  await waitShown(page, (n) => n > 20, 'demo traffic in the list');

  disk.fill();
  const banner = page.getByTestId('storage-banner');
  await banner.waitFor({ timeout: 20_000 });
  assert.match(await banner.innerText(), /Recording paused: the disk is full/);
  await eventually('held messages counted in the banner', async () => Number(await banner.getAttribute('data-held')) > 0);
  assert.match(await banner.innerText(), /[\d,]+ captured, [\d,]+ stored, [\d,]+ held in memory \([\d.]+ (KB|B|MB) of 64\.0 MB\), 0 dropped\./);
  assert.match(await banner.innerText(), /recording resumes by itself/);
  await screenshot(page, 'disk-full-banner');

  disk.free();
  await banner.waitFor({ state: 'detached', timeout: 20_000 });
  const gaps = page.getByTestId('gaps-banner');
  await gaps.waitFor({ timeout: 20_000 });
  // A gap per endpoint that held messages during the pause (the demo adds MQTT and NATS
  // where they run), the WebSocket one among them, none with a message lost.
  const rows = await page.getByTestId('gap-row').allInnerTexts();
  assert.match(await gaps.innerText(), new RegExp(`^${rows.length} gaps? in this recording`));
  assert.ok(rows.some((r) => r.includes('demo-ws · ')), rows.join(' | '));
  for (const r of rows) assert.match(r, /demo-\w+ · disk full: no message lost — disk full; [\d,]+ held in memory and stored after/);
  const before = Number(await page.getByTestId('message-count').getAttribute('data-total'));
  await waitShown(page, (n) => n > before, 'recording carries on after the gap');
  await screenshot(page, 'disk-full-gap-messages');

  await openView(page, 'Timeline');
  const band = page.getByTestId('timeline-gap');
  await band.first().waitFor();
  assert.equal(await band.first().getAttribute('data-reason'), 'disk-full');
  await screenshot(page, 'disk-full-gap-timeline');
  await h.engine.closeSession(session.id);
});
