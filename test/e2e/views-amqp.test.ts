import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ConsumeMessage } from 'amqplib';
import { DEFAULT_ANALYSIS_CONFIG } from '../../src/core/analysis/config.ts';
import { AmqpClient, amqpPublishCli, createVhost, suffix, type TestVhost } from '../helpers/amqp.ts';
import {
  eventually,
  launchBrowser,
  openView,
  screenshot,
  sessionFromUrl,
  startHarness,
  waitForNum,
  waitShown,
  type BrowserSession,
  type Harness,
} from '../helpers/browser.ts';

// RabbitMQ through the UI: the user connects with the firehose on; amqp-publish (amqp-tools)
// publishes orders to a topic exchange with two bound queues and one key nobody is bound
// for; an amqplib client makes 5 RPC calls with correlationId/replyTo, and the responder
// answers only the first 3.

const s = suffix();
const EX = `orders.${s}`;
const Q = { billing: `billing.${s}`, mail: `mail.${s}`, rpc: `rpc.${s}`, replies: `replies.${s}` };
const RPC_CALLS = 5;
const ANSWERED = 3;

let h: Harness;
let b: BrowserSession;
let vh: TestVhost;
const clients: AmqpClient[] = [];

before(async () => {
  h = await startHarness({
    pairing: { ...DEFAULT_ANALYSIS_CONFIG.pairing, timeoutMs: 1500 },
    undelivered: { ...DEFAULT_ANALYSIS_CONFIG.undelivered, amqpWindowMs: 1500 },
  });
  vh = await createVhost();
  await vh.trace(true);
  const admin = await AmqpClient.open(vh.url);
  clients.push(admin);
  await admin.ch.assertExchange(EX, 'topic', { durable: false });
  for (const q of Object.values(Q)) await admin.ch.assertQueue(q, { durable: false });
  await admin.ch.bindQueue(Q.billing, EX, 'order.created');
  await admin.ch.bindQueue(Q.mail, EX, 'order.shipped');
  await admin.ch.bindQueue(Q.rpc, EX, 'rpc.quote');
  b = await launchBrowser();
  b.page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  await b?.close();
  await h?.close();
  for (const c of clients) await c.close();
  await vh?.dispose();
});

/** A consumer that acks everything, as an application would; the RPC one answers the first calls. */
async function consume(queue: string, onMessage?: (c: AmqpClient, m: ConsumeMessage) => void): Promise<void> {
  const c = await AmqpClient.open(vh.url);
  clients.push(c);
  await c.ch.consume(queue, (m) => {
    if (!m) return;
    onMessage?.(c, m);
    c.ch.ack(m);
  });
}

test('RabbitMQ traffic: flow, conversations, undelivered and filters', async () => {
  const { page } = b;
  await page.goto(h.bridge.url);
  await page.getByRole('button', { name: /Record from an endpoint/ }).click();
  const dialog = page.getByTestId('connect-dialog');
  await dialog.getByRole('tab', { name: 'RabbitMQ' }).click();
  await dialog.getByLabel('URL', { exact: true }).fill(vh.url);
  await dialog.getByLabel('Exchanges to tap').fill(EX);
  assert.equal(await dialog.getByLabel(/firehose tracer/).isChecked(), true, 'the firehose is on by default');
  await screenshot(page, 'connect-dialog-amqp-light');
  await dialog.getByRole('button', { name: 'Connect and record' }).click();
  await dialog.waitFor({ state: 'detached' });
  await eventually('endpoint recording', async () => (await page.getByTestId('endpoint-chip').getAttribute('data-status')) === 'recording');
  const session = h.engine.session(sessionFromUrl(page)!);

  let calls = 0;
  await consume(Q.billing);
  await consume(Q.mail);
  await consume(Q.replies);
  await consume(Q.rpc, (c, m) => {
    calls += 1;
    if (calls > ANSWERED) return;
    c.ch.publish('', m.properties.replyTo as string, Buffer.from(JSON.stringify({ quote: calls })), {
      correlationId: m.properties.correlationId as string,
      contentType: 'application/json',
    });
  });

  for (const key of ['order.created', 'order.created', 'order.shipped', 'order.lost']) {
    await amqpPublishCli({ url: vh.url, exchange: EX, key, body: JSON.stringify({ key }), contentType: 'application/json', headers: { 'x-client': 'amqp-tools' } });
  }
  const requester = await AmqpClient.open(vh.url);
  clients.push(requester);
  for (let i = 1; i <= RPC_CALLS; i++) {
    await requester.publish(EX, 'rpc.quote', JSON.stringify({ symbol: `S${i}` }), { correlationId: `quote-${i}-${s}`, replyTo: Q.replies, contentType: 'application/json' });
  }

  // Conversations: 3 calls answered, 2 never.
  await openView(page, 'Conversations');
  await waitForNum(page.getByTestId('pairs-matched'), 'data-value', (n) => n === ANSWERED, 'answered calls');
  await waitForNum(page.getByTestId('pairs-unanswered'), 'data-value', (n) => n === RPC_CALLS - ANSWERED, 'unanswered calls');
  await page.getByRole('group', { name: 'Pair status' }).getByRole('button', { name: /Matched/ }).click();
  await page.getByTestId('pair-row').first().click();
  await page.getByTestId('sequence-diagram').getByText(/reply #/).waitFor();
  await screenshot(page, 'conversations-amqp-light');

  // Undelivered: the key nobody is bound for was routed to no queue.
  await openView(page, 'Undelivered');
  const unroutable = page.locator(`[data-testid="undelivered-group"][data-reason="unroutable"][data-destination="${EX} → order.lost"]`);
  await waitForNum(unroutable, 'data-count', (n) => n === 1, 'one unroutable publish');
  await page.getByTestId('undelivered-reason').filter({ hasText: /No binding/ }).first().waitFor();
  await screenshot(page, 'undelivered-amqp-light');

  // Flow: the exchange feeding the three bound queues, each with its consumer, and a red badge for the lost one.
  await openView(page, 'Flow');
  const exchange = page.locator(`[data-testid="flow-node"][data-kind="exchange"][data-label="${EX}"]`);
  await exchange.waitFor();
  for (const q of [Q.billing, Q.mail, Q.rpc]) await page.locator(`[data-testid="flow-node"][data-kind="queue"][data-label="${q}"]`).waitFor();
  await eventually('consumer nodes', async () => (await page.locator('[data-testid="flow-node"][data-kind="consumer"]').count()) >= 3);
  // The lost publish shows as a red badge (on its producer) and a red edge into the exchange.
  await page.getByTestId('undelivered-badge').first().waitFor();
  await page.locator('.react-flow__edge.lost').first().waitFor();
  await screenshot(page, 'flow-amqp-light');

  // A node click filters every view to it.
  await page.locator(`[data-testid="flow-node"][data-kind="queue"][data-label="${Q.mail}"]`).click();
  await page.getByTestId('filter-chips').getByText(`destination: ${Q.mail}`).waitFor();
  await openView(page, 'Messages');
  const mailCount = session.store.count({ destinations: [Q.mail] });
  assert.ok(mailCount > 0 && mailCount < session.store.count({}));
  await waitShown(page, (n) => n === mailCount, `the ${mailCount} messages of ${Q.mail}`);
  await page.getByTestId('filter-chips').getByRole('button', { name: 'Clear all' }).click();

  // Header filter: what amqp-publish sent.
  await page.getByLabel('Header', { exact: true }).fill('x-client=amqp-tools');
  const byHeader = session.store.count({ header: { name: 'x-client', value: 'amqp-tools' } });
  assert.ok(byHeader >= 4);
  await waitShown(page, (n) => n === byHeader, 'the amqp-publish messages');
  await page.getByLabel('Payload text', { exact: true }).fill('order.lost');
  await waitShown(page, (n) => n === session.store.count({ header: { name: 'x-client', value: 'amqp-tools' }, text: 'order.lost' }), 'the lost order');
  await page.getByTestId('message-row').first().click();
  await page.getByTestId('detail-pane').getByText('Routing key').waitFor();
  await screenshot(page, 'messages-amqp-light');
  await page.getByTestId('filter-chips').getByRole('button', { name: 'Clear all' }).click();

  await openView(page, 'Timeline');
  await page.getByTestId('timeline-chart').waitFor();
  await screenshot(page, 'timeline-amqp-light');

  await page.emulateMedia({ colorScheme: 'dark' });
  for (const view of ['Flow', 'Conversations', 'Undelivered', 'Messages']) {
    await openView(page, view);
    if (view === 'Flow') await exchange.waitFor();
    await screenshot(page, `${view.toLowerCase()}-amqp-dark`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
});
