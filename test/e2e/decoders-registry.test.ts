import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { adminClient, createTopic, deleteTopics, kafkaBrokers, uniqueName } from '../helpers/kafka.ts';
import { launchBrowser, screenshot, startHarness, waitShown, type BrowserSession, type Harness } from '../helpers/browser.ts';
import { registerSchema, schemaRegistry } from '../helpers/registry.ts';
import { SHOP_PROTO, confluent, pbOrders } from '../helpers/schema-encoders.ts';

/**
 * Issue 15 in the window, with a real Schema Registry (Apicurio's Confluent API): the user
 * types the registry's URL in the Decoders dialog, lists its subjects (and, for a registry
 * that is down, reads why not), saves, and the detail pane of a Confluent-framed Protobuf
 * record, whose schema only the registry holds, shows its decoded fields once the schema
 * arrives, without being reopened.
 */

const TOPIC = uniqueName('fs-e2e-reg-orders');
const SUBJECT = `${TOPIC}-value`;

let h: Harness;
let b: BrowserSession;
let admin: Admin;
let brokers: string[];
let registry: { url: string; stop: () => Promise<void> };

before(async () => {
  registry = await schemaRegistry();
  brokers = await kafkaBrokers();
  admin = await adminClient(brokers);
  await createTopic(admin, TOPIC, 1);
  h = await startHarness();
  b = await launchBrowser();
  b.page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  await b?.close();
  await h?.close();
  await deleteTopics(admin, [TOPIC]);
  await admin?.disconnect();
  await registry?.stop();
});

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const orders = Array.from({ length: 3 }, (_, i) => ({ id: `reg-ord-${i}`, quantity: 2n ** 60n + BigInt(i), price: 1.5 * (i + 1), lines: [{ sku: `sku-${i}`, count: i + 1 }], paid: i === 1 }));

test('a Schema Registry URL typed in the Decoders dialog lists its subjects and decodes the pending record in the open detail pane', async () => {
  const schemaId = await registerSchema(registry.url, SUBJECT, SHOP_PROTO, 'PROTOBUF');
  const producer = new Kafka({ brokers, clientId: 'decoders-registry-e2e', logLevel: logLevel.NOTHING }).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic: TOPIC, messages: pbOrders(orders).map((value, i) => ({ key: orders[i]!.id, value: confluent(schemaId, value, [0]) })) });
  } finally {
    await producer.disconnect();
  }

  const { page } = b;
  await page.goto(h.bridge.url);
  await page.getByTestId('empty-state').waitFor();
  const created = await h.engine.call('renderer:session:new', {});
  await h.engine.call('renderer:endpoint:connect', { sessionId: created.id, spec: { kind: 'kafka', brokers, topics: [TOPIC], fromBeginning: true } });
  h.engine.emit('main:session:changed', h.engine.session(created.id).info());
  await page.getByTestId('session-tab').waitFor();
  await waitShown(page, (n) => n === orders.length, 'every record');

  // A registry that is down: the dialog says why in words.
  await page.getByRole('button', { name: 'Decoders…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Decoders' });
  const down = `http://127.0.0.1:${await closedPort()}`;
  await dialog.getByLabel('Schema Registry URL').fill(down);
  await dialog.getByRole('button', { name: 'List subjects' }).click();
  assert.match(await dialog.getByTestId('registry-error').innerText(), new RegExp(`Could not list the subjects: the Schema Registry at ${down.replace(/\./g, '\\.')} could not be reached`));

  // The real one: its subjects, then saved with the session (the password typed in it is not).
  const typed = new URL(registry.url);
  typed.username = 'e2e-user';
  typed.password = 'e2e-secret-pw';
  await dialog.getByLabel('Schema Registry URL').fill(typed.toString());
  await dialog.getByRole('button', { name: 'List subjects' }).click();
  await dialog.getByTestId('registry-subjects').getByText(SUBJECT, { exact: true }).waitFor();
  await dialog.getByRole('button', { name: 'Save decoders' }).click();
  await dialog.waitFor({ state: 'detached' });
  const kept = await h.engine.call('renderer:session:decoders', { sessionId: created.id });
  assert.equal(kept.registryUrl, registry.url.replace(/\/+$/, ''), 'the URL is kept without its user info');

  // The record's schema is fetched on first sight: the open pane decodes it when it arrives.
  await page.getByLabel('Key', { exact: true }).fill('reg-ord-1');
  await waitShown(page, (n) => n === 1, 'the record keyed reg-ord-1');
  await page.getByTestId('message-row').first().click();
  const pane = page.getByTestId('detail-pane');
  const leaf = (p: string) => pane.locator(`[data-testid="decoded-tree"] .t-leaf[data-path="${p}"] [data-testid="decoded-value"]`);
  await leaf('order_id').waitFor();
  assert.equal(await pane.getByTestId('decoded').getAttribute('data-format'), 'protobuf');
  assert.equal(await pane.getByTestId('decoded-via').innerText(), `Confluent schema id ${schemaId}, message index 0 → Protobuf shop.Order`);
  const o = orders[1]!;
  assert.equal(await leaf('order_id').innerText(), JSON.stringify(o.id));
  assert.equal(await leaf('quantity').innerText(), JSON.stringify(o.quantity.toString()));
  assert.equal(await leaf('lines[0].sku').innerText(), JSON.stringify(o.lines[0]!.sku));
  assert.equal(await leaf('status').innerText(), JSON.stringify('PAID'));
  await screenshot(page, 'decoders-registry-detail');
});
