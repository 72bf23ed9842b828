import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { eventually, launchBrowser, openView, screenshot, startHarness, waitShown, type BrowserSession, type Harness } from '../helpers/browser.ts';
import { MQTT_URL, mosquittoPub, runPrefix } from '../helpers/mqtt-nats.ts';

// The MQTT proxy through the UI: the user connects from the MQTT proxy tab, mosquitto
// clients go through it, and the flow graph shows the publishing clients, the topics and the
// subscribing client; the retained message's delivery is marked retained in the detail.

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

test('MQTT proxy tab: clients through the proxy appear by client id in the flow graph; a retained delivery is marked', async (t) => {
  const { page } = b;
  const p = runPrefix();
  t.after(() => mosquittoPub(['-t', `${p}/status`, '-r', '-n']));
  await page.goto(h.bridge.url);
  await page.getByRole('button', { name: /Record from an endpoint/ }).click();
  const dialog = page.getByTestId('connect-dialog');
  await dialog.getByRole('tab', { name: 'MQTT proxy' }).click();
  await dialog.getByLabel('Listen port').fill('0');
  await dialog.getByLabel('Broker URL').fill(MQTT_URL);
  await screenshot(page, 'connect-dialog-mqtt-proxy-light');
  await dialog.getByRole('button', { name: 'Connect and record' }).click();
  await dialog.waitFor({ state: 'detached' });
  await eventually('endpoint recording', async () => (await page.getByTestId('endpoint-chip').getAttribute('data-status')) === 'recording');
  const detail = h.engine
    .call('renderer:session:list', {})
    .then((list) => list.flatMap((s) => s.endpoints).find((e) => e.transport === 'mqtt')?.detail ?? '');
  const port = /listening on mqtt:\/\/[^:]+:(\d+)/.exec(await detail)?.[1];
  assert.ok(port, 'the endpoint says where the proxy listens');

  // A retained status first, then a subscriber that gets it on subscribing, then live readings.
  await mosquittoPub(['-p', port, '-V', 'mqttv5', '-i', `${p}-boiler`, '-q', '1', '-r', '-t', `${p}/status`, '-m', 'on']);
  const sub = spawn('mosquitto_sub', ['-h', new URL(MQTT_URL).hostname, '-p', port, '-V', 'mqttv5', '-i', `${p}-panel`, '-q', '1', '-t', `${p}/#`]);
  t.after(() => sub.kill());
  let got = 0;
  sub.stdout.on('data', (d: Buffer) => (got += d.toString().split('\n').length - 1));
  await eventually('the retained status at the panel', () => got === 1);
  await mosquittoPub(['-p', port, '-V', 'mqttv5', '-i', `${p}-thermo`, '-q', '1', '-t', `${p}/temp`, '-m', '21.5']);
  await eventually('the reading at the panel', () => got === 2);
  // And one reading on a topic nobody subscribes to: the broker answers PUBACK 0x10.
  await mosquittoPub(['-p', port, '-V', 'mqttv5', '-i', `${p}-thermo`, '-q', '1', '-t', `${p}-unheard/temp`, '-m', '19.0']);
  // Three publishes and two deliveries, among the connection facts and acks.
  await waitShown(page, (n) => n >= 5, 'the recorded traffic');

  await openView(page, 'Flow');
  const node = (kind: string, label: string) => page.locator(`[data-testid="flow-node"][data-kind="${kind}"][data-label="${label}"]`);
  for (const [kind, label] of [
    ['producer', `${p}-boiler`],
    ['producer', `${p}-thermo`],
    ['topic', `${p}/status`],
    ['topic', `${p}/temp`],
    ['consumer', `${p}-panel`],
  ] as const) {
    await node(kind, label).waitFor();
  }
  await screenshot(page, 'flow-mqtt-proxy-light');

  await openView(page, 'Undelivered');
  const lost = page.locator(`[data-testid="undelivered-group"][data-reason="no-subscribers"][data-destination="${p}-unheard/temp"]`);
  await lost.waitFor();
  assert.equal(await lost.getAttribute('data-count'), '1');
  assert.equal(await page.locator('[data-testid="undelivered-group"]').count(), 1, 'the retained status and the delivered reading are not undelivered');
  await page.getByTestId('undelivered-reason').filter({ hasText: /No matching subscribers/ }).waitFor();
  await screenshot(page, 'undelivered-mqtt-proxy-light');

  await openView(page, 'Messages');
  await page.getByLabel('Event').selectOption('deliver');
  await waitShown(page, (n) => n === 2, 'the two deliveries');
  const row = page.locator('[data-testid="message-row"]', { hasText: `${p}/status` });
  await row.first().waitFor();
  await row.first().click();
  const pane = page.getByTestId('detail-pane');
  await pane.getByTestId('retained-badge').waitFor();
  assert.match(await pane.locator('dl.facts').innerText(), /Retained\s+yes: the broker’s retained copy, sent as the client subscribed/);
  assert.match(await pane.locator('dl.facts').innerText(), new RegExp(`Client ID\\s+${p}-panel`));
  await screenshot(page, 'detail-mqtt-retained-light');
});
