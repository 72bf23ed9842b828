import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEFAULT_ANALYSIS_CONFIG } from '../../src/core/analysis/config.ts';
import { AmqpClient, createVhost, runPython, spawnPython, suffix, type PythonProc, type TestVhost } from '../helpers/amqp.ts';
import { eventually, launchBrowser, openView, screenshot, sessionFromUrl, startHarness, type BrowserSession, type Harness } from '../helpers/browser.ts';

// Dead letters through the UI: payments expire in a queue with a TTL, an invoice is
// rejected by a pika consumer; RabbitMQ dead-letters both to a fanout exchange feeding a
// parking queue. The user sees each chain original → queue → dead-letter exchange/queue,
// previews sending the rejected invoice back to its origin, dry-runs it, then sends it,
// and a consumer gets it on the original exchange and routing key.

const s = suffix();
const EX = `billing.${s}`;
const DLX = `billing-dlx.${s}`;
const Q = { payments: `payments.${s}`, invoices: `invoices.${s}`, parked: `parked.${s}` };

let h: Harness;
let b: BrowserSession;
let vh: TestVhost;
let admin: AmqpClient;
let rejecter: PythonProc | null = null;

before(async () => {
  h = await startHarness({ undelivered: { ...DEFAULT_ANALYSIS_CONFIG.undelivered, amqpWindowMs: 1500 } });
  vh = await createVhost();
  await vh.trace(true);
  admin = await AmqpClient.open(vh.url);
  await admin.ch.assertExchange(EX, 'direct', { durable: false });
  await admin.ch.assertExchange(DLX, 'fanout', { durable: false });
  await admin.ch.assertQueue(Q.payments, { durable: false, arguments: { 'x-dead-letter-exchange': DLX, 'x-message-ttl': 200 } });
  await admin.ch.assertQueue(Q.invoices, { durable: false, arguments: { 'x-dead-letter-exchange': DLX } });
  await admin.ch.assertQueue(Q.parked, { durable: false });
  await admin.ch.bindQueue(Q.payments, EX, 'pay');
  await admin.ch.bindQueue(Q.invoices, EX, 'inv');
  await admin.ch.bindQueue(Q.parked, DLX, '');
  b = await launchBrowser({ width: 1360, height: 860 });
  b.page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  rejecter?.stop();
  await b?.close();
  await h?.close();
  await admin?.close();
  await vh?.dispose();
});

test('Undelivered shows each dead-letter chain and sends a rejected message back to its origin', async () => {
  const { page } = b;
  await page.goto(h.bridge.url);
  await page.getByRole('button', { name: /Record from an endpoint/ }).click();
  const dialog = page.getByTestId('connect-dialog');
  await dialog.getByRole('tab', { name: 'RabbitMQ' }).click();
  await dialog.getByLabel('URL', { exact: true }).fill(vh.url);
  await dialog.getByRole('button', { name: 'Connect and record' }).click();
  await dialog.waitFor({ state: 'detached' });
  await eventually('endpoint recording', async () => (await page.getByTestId('endpoint-chip').getAttribute('data-status')) === 'recording');
  const session = h.engine.session(sessionFromUrl(page)!);
  await eventually('the dead-letter exchange tapped', () => session.endpoints()[0]?.detail?.includes(`dead letters: tapping '${DLX}'`));

  rejecter = spawnPython('pika_reject.py', [vh.url, Q.invoices]);
  await eventually('the rejecting consumer', () => rejecter!.lines.includes('ready'));
  await runPython('pika_publish.py', [
    vh.url,
    EX,
    JSON.stringify([
      { key: 'pay', body: JSON.stringify({ payment: 1, amount: 120 }), props: { message_id: `pay-1-${s}`, content_type: 'application/json' } },
      { key: 'pay', body: JSON.stringify({ payment: 2, amount: 75 }), props: { message_id: `pay-2-${s}`, content_type: 'application/json' } },
      { key: 'inv', body: JSON.stringify({ invoice: 7 }), props: { message_id: `inv-7-${s}`, content_type: 'application/json' } },
    ]),
  ]);
  await eventually('the invoice rejected', () => rejecter!.lines.some((l) => l.startsWith('rejected')));

  await openView(page, 'Undelivered');
  const chains = page.getByTestId('dead-letter-chain');
  await eventually('three dead-letter chains', async () => (await chains.count()) === 3);
  await page.locator('[data-testid="undelivered-reason"][data-reason="expired"]').getByText(/Expired in queue/).waitFor();
  const rejected = page.locator(`[data-testid="dead-letter-chain"][data-reason="rejected"][data-queue="${Q.invoices}"]`);
  await rejected.getByText(DLX).waitFor();
  await rejected.getByText(Q.parked).waitFor();
  await screenshot(page, 'undelivered-dead-letters-light');

  // Send back: first what would go where, then a dry run, then for real.
  rejecter.stop();
  await rejecter.exited;
  const back: { exchange: string; key: string; body: string }[] = [];
  const consumer = await AmqpClient.open(vh.url);
  await consumer.ch.consume(Q.invoices, (m) => {
    if (!m) return;
    back.push({ exchange: m.fields.exchange, key: m.fields.routingKey, body: m.content.toString() });
    consumer.ch.ack(m);
  });
  await rejected.getByRole('button', { name: 'Send back to origin…' }).click();
  const send = page.getByTestId('send-back-dialog');
  await send.getByLabel('Broker').fill(vh.url);
  const row = send.getByTestId('send-back-row');
  await eventually('the preview', async () => (await row.count()) === 1 && (await row.getAttribute('data-to')) === EX);
  assert.equal(await row.getAttribute('data-detail'), 'routing key inv');
  await send.getByRole('button', { name: 'Dry run' }).click();
  const progress = send.getByTestId('send-back-progress');
  await eventually('the dry run', async () => (await progress.getAttribute('data-state')) === 'done');
  await progress.getByText(/1 of 1 checked \(dry run, nothing sent\)/).waitFor();
  await screenshot(page, 'undelivered-send-back-light');
  await send.getByRole('button', { name: /^Send back 1/ }).click();
  await progress.getByText(/Done: 1 of 1 sent to/).waitFor();
  await eventually('the invoice consumed again', () => back.length === 1);
  assert.deepEqual(back, [{ exchange: EX, key: 'inv', body: JSON.stringify({ invoice: 7 }) }]);
  await consumer.close();
});
