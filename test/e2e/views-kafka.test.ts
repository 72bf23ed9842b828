import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Admin } from 'kafkajs';
import { DEFAULT_ANALYSIS_CONFIG } from '../../src/core/analysis/config.ts';
import { adminClient, createTopic, deleteTopics, kafkaBrokers, kcatGroupConsumer, kcatProduce, stopProcess, uniqueName } from '../helpers/kafka.ts';
import {
  eventually,
  launchBrowser,
  openView,
  screenshot,
  startHarness,
  waitForNum,
  waitShown,
  type BrowserSession,
  type Harness,
} from '../helpers/browser.ts';

// Kafka through the UI: kcat produces 300 keyed JSON records with headers to a 3-partition
// topic (in two batches), while a kcat consumer group reads it, and 20 records to an audit
// topic nobody consumes. Flowscope taps both topics from the beginning.

const ORDERS = uniqueName('orders');
const AUDIT = uniqueName('audit');
const GROUP = uniqueName('billing');
const FIRST = 200;
const SECOND = 100;
const AUDITS = 20;

let h: Harness;
let b: BrowserSession;
let admin: Admin;
let brokers: string[];
let consumer: ChildProcess | null = null;

before(async () => {
  brokers = await kafkaBrokers();
  admin = await adminClient(brokers);
  await createTopic(admin, ORDERS, 3);
  await createTopic(admin, AUDIT, 1);
  h = await startHarness({ undelivered: { ...DEFAULT_ANALYSIS_CONFIG.undelivered, kafkaWindowMs: 4000 } });
  b = await launchBrowser();
  b.page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  if (consumer) await stopProcess(consumer);
  await b?.close();
  await h?.close();
  await deleteTopics(admin, [ORDERS, AUDIT]);
  await admin?.disconnect();
});

function lines(dir: string, name: string, from: number, n: number, make: (i: number) => string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `${Array.from({ length: n }, (_, k) => make(from + k)).join('\n')}\n`);
  return file;
}

const order = (i: number) => `k${i % 10}:${JSON.stringify({ n: i, kind: i % 2 ? 'odd' : 'even' })}`;

test('Kafka traffic: partitions and offsets, filters, consumer groups in the flow, unconsumed records', async () => {
  const { page } = b;
  await page.goto(h.bridge.url);
  await page.getByTestId('empty-state').waitFor();

  // Recording started elsewhere (the CLI, the Electron menu) shows up as a new tab.
  const created = await h.engine.call('renderer:session:new', {});
  await h.engine.call('renderer:endpoint:connect', {
    sessionId: created.id,
    spec: { kind: 'kafka', brokers, topics: [ORDERS, AUDIT], fromBeginning: true },
  });
  h.engine.emit('main:session:changed', h.engine.session(created.id).info());
  await page.getByTestId('session-tab').waitFor();
  await eventually('endpoint recording', async () => (await page.getByTestId('endpoint-chip').getAttribute('data-status')) === 'recording');
  const session = h.engine.session(created.id);

  await kcatProduce({ brokers, topic: ORDERS, file: lines(h.dataDir, 'a.txt', 0, FIRST, order), keyDelimiter: ':', headers: [['batch', 'a'], ['producer', 'shop']] });
  await waitShown(page, (n) => n === FIRST, 'the first batch');
  await kcatProduce({ brokers, topic: ORDERS, file: lines(h.dataDir, 'b.txt', FIRST, SECOND, order), keyDelimiter: ':', headers: [['batch', 'b'], ['producer', 'shop']] });
  await kcatProduce({ brokers, topic: AUDIT, file: lines(h.dataDir, 'c.txt', 0, AUDITS, (i) => `audit entry ${i}`) });
  const total = FIRST + SECOND + AUDITS;
  await waitShown(page, (n) => n === total, 'every record');
  // Every record captured: the endpoint chip says the tap has no lag (issue 12).
  await eventually('the chip to show lag 0', async () => (await page.getByTestId('endpoint-lag').textContent()) === 'lag 0');
  await screenshot(page, 'endpoint-lag-light');
  await page.getByTestId('message-grid').getByText(/^p[0-2] @\d+$/).first().waitFor();

  // Filters, all answered by the store.
  await page.getByLabel('Key', { exact: true }).fill('k3');
  await waitShown(page, (n) => n === (FIRST + SECOND) / 10, 'key k3');
  await page.getByLabel('Header', { exact: true }).fill('batch=b');
  await waitShown(page, (n) => n === SECOND / 10, 'key k3 in batch b');
  await page.getByLabel('Key', { exact: true }).fill('');
  await waitShown(page, (n) => n === SECOND, 'batch b');
  await page.getByLabel('Payload text', { exact: true }).fill('odd');
  await waitShown(page, (n) => n === SECOND / 2, 'odd records of batch b');
  await page.getByTestId('message-row').first().click();
  await page.getByTestId('detail-pane').getByText('Partition / offset').waitFor();
  await screenshot(page, 'messages-kafka-light');
  await page.getByTestId('filter-chips').getByRole('button', { name: 'Clear all' }).click();
  await waitShown(page, (n) => n === total, 'everything again');

  // A consumer group reads the orders; its commits put it in the flow.
  consumer = kcatGroupConsumer(brokers, GROUP, ORDERS);
  await openView(page, 'Flow');
  await page.locator(`[data-testid="flow-node"][data-kind="topic"][data-label="${ORDERS}"]`).waitFor();
  await page.locator(`[data-testid="flow-node"][data-kind="topic"][data-label="${AUDIT}"]`).waitFor();
  await page.locator(`[data-testid="flow-node"][data-kind="group"][data-label="${GROUP}"]`).waitFor({ timeout: 60_000 });
  await waitForNum(page.getByTestId('flow-summary'), 'data-edges', (n) => n >= 3, 'producer→topic and topic→group edges');

  // Undelivered: nobody reads the audit topic.
  await openView(page, 'Undelivered');
  const unread = page.locator(`[data-testid="undelivered-group"][data-destination="${AUDIT}"]`);
  await waitForNum(unread, 'data-count', (n) => n === AUDITS, 'the unconsumed audit records');
  assert.match((await unread.getAttribute('data-reason')) ?? '', /no-consumer-group|not-consumed/);
  await screenshot(page, 'undelivered-kafka-light');

  await openView(page, 'Flow');
  await page.getByTestId('undelivered-badge').first().waitFor();
  await screenshot(page, 'flow-kafka-light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, 'flow-kafka-dark');
  await page.emulateMedia({ colorScheme: 'light' });

  // Clicking the audit topic filters every view to it.
  await page.locator(`[data-testid="flow-node"][data-kind="topic"][data-label="${AUDIT}"]`).click();
  await page.getByTestId('filter-chips').getByText(`destination: ${AUDIT}`).waitFor();
  await openView(page, 'Messages');
  await waitShown(page, (n) => n === AUDITS, 'the audit records only');
  await openView(page, 'Undelivered');
  assert.equal(await page.getByTestId('undelivered-group').count(), 1, 'undelivered narrowed to the audit topic');
  await page.getByTestId('filter-chips').getByRole('button', { name: 'Clear all' }).click();

  // The timeline brush: from the chart's left edge to halfway between the first batch's last
  // record and the second's first (the second was produced only once the first was shown).
  await openView(page, 'Timeline');
  const surface = page.getByTestId('timeline-surface');
  await surface.waitFor();
  const firstBatch = session.store.eventTimeRange({ destinations: [ORDERS], header: { name: 'batch', value: 'a' } });
  const secondBatch = session.store.eventTimeRange({ destinations: [ORDERS], header: { name: 'batch', value: 'b' } });
  assert.ok(firstBatch.last! < secondBatch.first!, 'the batches do not overlap in time');
  const box = (await surface.boundingBox())!;
  const start = Number(await surface.getAttribute('data-start'));
  const end = Number(await surface.getAttribute('data-end'));
  const cut = (firstBatch.last! + secondBatch.first!) / 2;
  await page.mouse.move(box.x + 1, box.y + 20);
  await page.mouse.down();
  await page.mouse.move(box.x + (box.width * (cut - start)) / (end - start), box.y + 40, { steps: 4 });
  await page.mouse.up();
  await page.getByTestId('range-label').waitFor();
  const params = new URL(page.url()).searchParams;
  const range = { fromTime: Number(params.get('from')), toTime: Number(params.get('to')) };
  const inRange = session.store.count(range);
  await screenshot(page, 'timeline-kafka-light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, 'timeline-kafka-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await openView(page, 'Messages');
  await waitShown(page, (n) => n === inRange, `the ${inRange} records in the brushed range`);
  assert.equal(inRange, FIRST, 'the range holds the first batch and nothing else');
});
