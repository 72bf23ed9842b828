import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { adminClient, createTopic, deleteTopics, kafkaBrokers, uniqueName } from '../helpers/kafka.ts';
import { eventually, launchBrowser, screenshot, startHarness, waitShown, type BrowserSession, type Harness } from '../helpers/browser.ts';
import { ORDER_AVSC, SHOP_PROTO, avroPayment, confluent, pbOrder } from '../helpers/schema-wire.ts';

/**
 * Issue 15 in the window: Kafka records framed the Confluent way (Protobuf and Avro written
 * from the specifications, produced by kafkajs) show as hex until the user sets decoders in
 * the Decoders dialog (rules typed, schema files picked); then the detail pane shows the
 * decoded tree, Raw goes back to the bytes, a record that does not decode says why, and a
 * decoded value filters the list.
 */

const TOPIC_PB = uniqueName('fs-e2e-orders');
const TOPIC_AVRO = uniqueName('fs-e2e-payments');
const SHOP_ID = 41;
const PAY_ID = 42;

let h: Harness;
let b: BrowserSession;
let admin: Admin;
let brokers: string[];

before(async () => {
  brokers = await kafkaBrokers();
  admin = await adminClient(brokers);
  await createTopic(admin, TOPIC_PB, 1);
  await createTopic(admin, TOPIC_AVRO, 1);
  h = await startHarness();
  b = await launchBrowser();
  b.page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  await b?.close();
  await h?.close();
  await deleteTopics(admin, [TOPIC_PB, TOPIC_AVRO]);
  await admin?.disconnect();
});

const orders = Array.from({ length: 6 }, (_, i) => ({
  id: `ord-${i}`,
  quantity: 2n ** 60n + BigInt(i),
  price: 3.25 * (i + 1),
  lines: [{ sku: `sku-${i}`, count: i + 1 }],
  paid: i % 2 === 1,
}));
const payment = { id: 'pay-1', cents: 4200n, rate: 0.5, tags: ['eu'], note: 'from the browser test' };

test('the detail pane shows decoded Protobuf and Avro fields once the Decoders dialog names their schemas', async () => {
  const producer = new Kafka({ brokers, clientId: 'decoders-e2e', logLevel: logLevel.NOTHING }).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic: TOPIC_PB, messages: orders.map((o) => ({ key: o.id, value: confluent(SHOP_ID, pbOrder(o), [0]) })) });
    await producer.send({ topic: TOPIC_AVRO, messages: [{ value: confluent(PAY_ID, avroPayment(payment)) }, { value: confluent(PAY_ID, Buffer.from([0x08, 0x61])) }] });
  } finally {
    await producer.disconnect();
  }
  const total = orders.length + 2;

  const { page } = b;
  await page.goto(h.bridge.url);
  await page.getByTestId('empty-state').waitFor();
  const created = await h.engine.call('renderer:session:new', {});
  await h.engine.call('renderer:endpoint:connect', { sessionId: created.id, spec: { kind: 'kafka', brokers, topics: [TOPIC_PB, TOPIC_AVRO], fromBeginning: true } });
  h.engine.emit('main:session:changed', h.engine.session(created.id).info());
  await page.getByTestId('session-tab').waitFor();
  await waitShown(page, (n) => n === total, 'every record');

  // Before any decoder: the Protobuf bytes are binary, shown as hex.
  await page.getByLabel('Key', { exact: true }).fill('ord-3');
  await waitShown(page, (n) => n === 1, 'the record keyed ord-3');
  await page.getByTestId('message-row').first().click();
  const pane = page.getByTestId('detail-pane');
  await pane.getByTestId('payload').waitFor();
  assert.equal(await pane.getByTestId('decoded').count(), 0);

  // The user types the rules and picks the two schema files.
  const dir = fs.mkdtempSync(path.join(h.dataDir, 'schemas-'));
  fs.writeFileSync(path.join(dir, 'shop.proto'), SHOP_PROTO);
  fs.writeFileSync(path.join(dir, 'payment.avsc'), ORDER_AVSC);
  await page.getByRole('button', { name: 'Decoders…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Decoders' });
  await dialog.getByLabel('Decoder rules').fill(`${TOPIC_PB}=protobuf:shop.proto\nfs-e2e-payments-*=avro:payment.avsc`);
  await dialog.getByLabel('Add schema files').setInputFiles([path.join(dir, 'shop.proto'), path.join(dir, 'payment.avsc')]);
  await dialog.getByLabel('Confluent schema ids of shop.proto').fill(String(SHOP_ID));
  await dialog.getByLabel('Confluent schema ids of payment.avsc').fill(String(PAY_ID));
  await dialog.getByRole('button', { name: 'Save decoders' }).click();
  await dialog.waitFor({ state: 'detached' });
  const kept = await h.engine.call('renderer:session:decoders', { sessionId: created.id });
  assert.deepEqual(kept.schemas.map((s) => [s.name, s.ids]), [['shop.proto', [SHOP_ID]], ['payment.avsc', [PAY_ID]]]);

  // The list's cell shows the decoded fields now.
  await eventually('the row to show the decoded order', async () => (await page.getByTestId('message-row').first().innerText()).includes(`"order_id":"ord-3"`));

  // Reopen the message: the decoded tree, field by field.
  await page.getByTestId('message-row').first().click();
  await page.getByRole('button', { name: 'Close detail' }).click();
  await page.getByTestId('message-row').first().click();
  const decoded = pane.getByTestId('decoded');
  await decoded.waitFor();
  assert.equal(await decoded.getAttribute('data-format'), 'protobuf');
  assert.equal(await pane.getByTestId('decoded-via').innerText(), `Confluent schema id ${SHOP_ID}, message index 0 → Protobuf shop.Order`);
  const o = orders[3]!;
  const leaf = (p: string) => pane.locator(`[data-testid="decoded-tree"] .t-leaf[data-path="${p}"] [data-testid="decoded-value"]`);
  assert.equal(await leaf('order_id').innerText(), JSON.stringify(o.id));
  assert.equal(await leaf('quantity').innerText(), JSON.stringify(o.quantity.toString()), 'an int64 past 2^53 keeps every digit');
  assert.equal(await leaf('price').innerText(), String(o.price));
  assert.equal(await leaf('lines[0].sku').innerText(), JSON.stringify(o.lines[0]!.sku));
  assert.equal(await leaf('status').innerText(), JSON.stringify('PAID'));
  await screenshot(page, 'decoders-detail-protobuf');

  // Raw: the bytes as stored, one click away.
  await pane.getByTestId('raw-toggle').click();
  await pane.getByTestId('payload').waitFor();
  assert.match(await pane.getByTestId('payload').innerText(), /^00000000 {2}00 00 00 00 29 00 0a 05/);
  assert.equal(await pane.getByTestId('decoded-tree').count(), 0);
  await pane.getByTestId('raw-toggle').click();
  await pane.getByTestId('decoded-tree').waitFor();

  // A decoded value filters the list: the field filter runs on decoded Protobuf fields.
  await page.getByTestId('filter-chips').getByRole('button', { name: 'Clear all' }).click();
  await waitShown(page, (n) => n === total, 'everything again');
  await leaf('status').click();
  await waitShown(page, (n) => n === orders.filter((x) => x.paid).length, 'the paid orders');
  assert.equal(await page.getByLabel('Payload field', { exact: true }).inputValue(), 'status=PAID');
  await page.getByTestId('filter-chips').getByRole('button', { name: 'Clear all' }).click();

  // Avro, and the record that does not decode: its reason, and its bytes below it.
  await page.getByLabel('Add destination filter').fill(TOPIC_AVRO);
  await page.getByLabel('Add destination filter').press('Enter');
  await waitShown(page, (n) => n === 2, 'the payments topic');
  await page.getByTestId('message-row').first().click();
  await eventually('the Avro record decoded', async () => (await pane.getByTestId('decoded').getAttribute('data-format')) === 'avro');
  assert.equal(await leaf('note').innerText(), JSON.stringify(payment.note));
  assert.equal(await leaf('amount_cents').innerText(), JSON.stringify(payment.cents.toString()));
  await page.getByTestId('message-row').nth(1).click();
  const reason = pane.getByTestId('decode-error');
  await reason.waitFor();
  assert.match(await reason.innerText(), /^Could not decode: Avro: the payload ends before the shop\.avro\.Payment datum does/);
  assert.equal(await pane.getByTestId('decoded-via').innerText(), `Confluent schema id ${PAY_ID}`, 'the failure names the schema it was read with');
  assert.match(await pane.getByTestId('payload').innerText(), /^00000000 {2}00 00 00 00 2a 08 61/, 'and its bytes are shown as stored');
  await screenshot(page, 'decoders-detail-failure');

  // Export with the decoded form beside the bytes, from the UI's export dialog.
  const out = path.join(h.dataDir, 'decoded.jsonl');
  await page.getByRole('button', { name: 'Export…', exact: true }).click();
  const exp = page.getByTestId('path-dialog');
  await exp.getByLabel('File path').fill(out);
  await exp.getByLabel(/With each payload decoded/).check();
  await exp.getByRole('button', { name: 'Export', exact: true }).click();
  await exp.waitFor({ state: 'detached' });
  const lines = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { key?: string; decoded?: { value: { order_id?: string } } });
  assert.equal(lines.length, total);
  assert.equal(lines.find((l) => l.key === o.id)?.decoded?.value.order_id, o.id);
});
