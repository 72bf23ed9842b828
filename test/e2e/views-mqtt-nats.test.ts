import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually, launchBrowser, openView, screenshot, startHarness, waitShown, type BrowserSession, type Harness } from '../helpers/browser.ts';
import { MQTT_URL, mosquittoPub, runPrefix } from '../helpers/mqtt-nats.ts';

// MQTT through the UI: the user connects from the MQTT tab, mosquitto_pub publishes on two
// topics, and the flow graph shows them as MQTT topics. The NATS tab refuses a malformed
// subject with the schema's sentence before anything is sent to the engine.

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

test('MQTT and NATS tabs: a bad subject is explained; an MQTT tap records mosquitto_pub and the flow shows its topics', async () => {
  const { page } = b;
  const p = runPrefix();
  await page.goto(h.bridge.url);
  await page.getByRole('button', { name: /Record from an endpoint/ }).click();
  const dialog = page.getByTestId('connect-dialog');

  await dialog.getByRole('tab', { name: 'NATS', exact: true }).click();
  await dialog.getByLabel('Subjects').fill('orders..created');
  await dialog.getByRole('button', { name: 'Connect and record' }).click();
  await dialog.getByText(/dot-separated tokens/).waitFor();
  await screenshot(page, 'connect-dialog-nats-light');

  await dialog.getByRole('tab', { name: 'MQTT', exact: true }).click();
  await dialog.getByLabel('URL', { exact: true }).fill(MQTT_URL);
  await dialog.getByLabel('Topic filters').fill(`${p}/sensors/+/temp, ${p}/alarms/#`);
  await screenshot(page, 'connect-dialog-mqtt-light');
  await dialog.getByRole('button', { name: 'Connect and record' }).click();
  await dialog.waitFor({ state: 'detached' });
  await eventually('endpoint recording', async () => (await page.getByTestId('endpoint-chip').getAttribute('data-status')) === 'recording');

  await mosquittoPub(['-V', 'mqttv5', '-t', `${p}/sensors/kitchen/temp`, '-m', '21.5', '-q', '1']);
  await mosquittoPub(['-V', 'mqttv5', '-t', `${p}/sensors/hall/temp`, '-m', '19.0']);
  await mosquittoPub(['-V', 'mqttv5', '-t', `${p}/alarms/smoke/hall`, '-m', '{"level":3}', '-D', 'publish', 'user-property', 'site', 'home']);
  await mosquittoPub(['-V', 'mqttv5', '-t', `${p}/other`, '-m', 'not selected']);
  await waitShown(page, (n) => n === 3, 'three MQTT messages');

  await openView(page, 'Flow');
  for (const topic of [`${p}/sensors/kitchen/temp`, `${p}/sensors/hall/temp`, `${p}/alarms/smoke/hall`]) {
    const node = page.locator(`[data-testid="flow-node"][data-kind="topic"][data-label="${topic}"]`);
    await node.waitFor();
    assert.equal(await node.locator('.badge').textContent(), 'mqtt');
  }
  assert.equal(await page.locator(`[data-testid="flow-node"][data-label="${p}/other"]`).count(), 0);
  await screenshot(page, 'flow-mqtt-light');
});
