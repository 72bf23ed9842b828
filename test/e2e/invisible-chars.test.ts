import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import type { Admin } from 'kafkajs';
import type { SessionInfo } from '../../src/shared/views.ts';
import { adminClient, createTopic, deleteTopics, kafkaBrokers, kcatProduce, uniqueName } from '../helpers/kafka.ts';
import { eventually, launchBrowser, openView, screenshot, startHarness, type BrowserSession, type Harness } from '../helpers/browser.ts';

// A name built to mislead: `invoice_<U+202E>gnp.exe` renders as "invoice_exe.png" wherever
// the right-to-left override is applied. Imported as a user would (a real kcat capture, and
// a JSON Lines file), it must show its override as a visible marker in the list, the
// detail pane, the flow graph and the terminal.

const run = promisify(execFile);
const RLO = '\u202E';
const NAME = `invoice_${RLO}gnp.exe`;
const SHOWN = 'invoice_⟨U+202E⟩gnp.exe';
const HEADER = `x-${RLO}evil`;

let h: Harness;
let b: BrowserSession;
let admin: Admin;
let brokers: string[];
const topic = uniqueName('fs-bidi');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowscope-bidi-'));

before(async () => {
  brokers = await kafkaBrokers();
  admin = await adminClient(brokers);
  await createTopic(admin, topic);
  h = await startHarness();
  b = await launchBrowser();
  b.page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  await b?.close();
  await h?.close();
  await deleteTopics(admin, [topic]);
  await admin?.disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Imports a file through the UI's Open dialog, as a user does. */
async function importThroughUi(file: string, format: 'kcat -J output' | 'JSON Lines (flowscope export)'): Promise<void> {
  const { page } = b;
  const dialog = page.getByTestId('path-dialog');
  await dialog.getByLabel('Format').selectOption({ label: format });
  await dialog.getByLabel('File path').fill(file);
  await dialog.getByRole('button', { name: 'Import' }).click();
  await dialog.waitFor({ state: 'detached' });
}

test('a key, header name and payload with a right-to-left override show the marker in the list and the detail pane', async () => {
  const values = path.join(dir, 'values.txt');
  fs.writeFileSync(values, `${NAME}|${JSON.stringify({ file: NAME, note: 'open me' })}\n`);
  await kcatProduce({ brokers, topic, file: values, keyDelimiter: '|', partition: 0, headers: [[HEADER, NAME]] });
  const { stdout } = await run('kcat', ['-b', brokers.join(','), '-C', '-J', '-t', topic, '-o', 'beginning', '-e', '-q'], { timeout: 60_000 });
  const capture = path.join(dir, 'capture.kcat');
  fs.writeFileSync(capture, stdout);

  const { page } = b;
  // The key column is not shown by default; the view state in the URL adds it.
  await page.goto(`${h.bridge.url}&cols=seq,time,destination,key,preview`);
  await page.getByTestId('empty-state').waitFor();
  await page.getByRole('button', { name: /Open a session file/ }).click();
  await importThroughUi(capture, 'kcat -J output');

  const row = page.getByTestId('message-row').first();
  await row.waitFor();
  const rowText = await row.innerText();
  assert.ok(rowText.includes(SHOWN), `the key and payload preview show the marker: ${rowText}`);
  assert.ok(!rowText.includes(RLO), 'the override itself is not in the rendered row');
  assert.ok((await row.getByTestId('invisible-char').count()) >= 2, 'key and preview each mark it');
  assert.match((await row.getByTestId('invisible-char').first().getAttribute('title')) ?? '', /U\+202E right-to-left override/);

  await row.click();
  const pane = page.getByTestId('detail-pane');
  await pane.getByText('Partition / offset').waitFor();
  const facts = await pane.locator('dl.facts').innerText();
  assert.ok(facts.includes(SHOWN), `the Key fact shows the marker: ${facts}`);
  const headers = await pane.getByRole('table', { name: 'Headers' }).innerText();
  assert.ok(headers.includes('x-⟨U+202E⟩evil') && headers.includes(SHOWN), `header name and value show it: ${headers}`);
  const payload = await pane.getByTestId('payload').innerText();
  assert.ok(payload.includes(`"${SHOWN}"`), `the JSON payload shows it: ${payload}`);
  assert.ok(!(await pane.innerText()).includes(RLO), 'nowhere in the detail pane is the override applied');
  await screenshot(page, 'invisible-chars-detail');
});

test('an exchange named with an override shows the marker on its flow graph node and in inspect', async () => {
  const jsonl = path.join(dir, 'exchange.jsonl');
  const line = { transport: 'amqp', event: 'publish', destination: NAME, routingKey: 'billing', timeMs: Date.now(), payload: 'pay' };
  fs.writeFileSync(jsonl, `${JSON.stringify(line)}\n`);
  const { page } = b;
  await page.getByRole('button', { name: 'Open…' }).click();
  await importThroughUi(jsonl, 'JSON Lines (flowscope export)');

  await openView(page, 'Flow');
  const node = page.locator('[data-testid="flow-node"][data-kind="exchange"]');
  await node.waitFor();
  assert.equal(await node.getAttribute('data-label'), NAME, 'the node is the exchange with that exact name');
  const label = await node.locator('.flow-node-label').innerText();
  assert.equal(label, SHOWN);
  assert.match((await node.getAttribute('title')) ?? '', /invoice_⟨U\+202E⟩gnp\.exe/);
  await screenshot(page, 'invisible-chars-flow');

  const sessions = (await h.engine.handle('renderer:session:list', {})) as SessionInfo[];
  const file = await eventually('the imported session', () => sessions.find((s) => s.messageCount === 1 && s.path.includes('exchange'))?.path);
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [path.resolve('bin/flowscope.mjs'), 'inspect', file], { env: { ...process.env, FLOWSCOPE_DATA_DIR: dir } });
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`inspect exited ${code}`))));
  });
  assert.match(out, /amqp\/exchange {2}invoice_⟨U\+202E⟩gnp\.exe/, out);
  assert.ok(!out.includes(RLO), 'the terminal never receives the override');
});
