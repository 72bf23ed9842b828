import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { adminClient, createTopic, deleteTopics, kafkaBrokers, kcatProduce, uniqueName } from '../helpers/kafka.ts';
import { AmqpClient, amqpRecording, createVhost, runPython, suffix } from '../helpers/amqp.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';

// Header and property names are data: `__proto__` and `constructor` are stored exactly
// like any other name, survive export and import, and change no object's prototype.

const run = promisify(execFile);
const BIN = path.resolve('bin/flowscope.mjs');

async function flowscope(args: string[], dataDir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, FLOWSCOPE_DATA_DIR: dataDir } });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(err) : reject(new Error(`flowscope ${args.join(' ')} exited ${code}: ${err}`))));
  });
}

/** What JSON.parse gives: `__proto__` as an own key (an object literal would set the prototype instead). */
const expected = (json: string): Record<string, unknown> => JSON.parse(json) as Record<string, unknown>;

function assertExact(headers: Record<string, unknown> | null | undefined, json: string, what: string): void {
  assert.ok(headers, `${what}: headers stored`);
  assert.deepEqual(Object.keys(headers), Object.keys(expected(json)), `${what}: every name, in order`);
  assert.deepEqual(headers, expected(json), `${what}: names and values exact`);
  assert.equal(Object.getPrototypeOf(headers), Object.prototype, `${what}: no name changed the object's prototype`);
}

test('kcat headers named __proto__ and constructor import, export and re-import exactly', async (t) => {
  const brokers = await kafkaBrokers();
  const admin = await adminClient(brokers);
  const topic = uniqueName('fs-proto');
  t.after(async () => {
    await deleteTopics(admin, [topic]);
    await admin.disconnect();
  });
  await createTopic(admin, topic);
  const dir = tmpDir();
  const values = path.join(dir, 'values.txt');
  fs.writeFileSync(values, 'k1:one\n');
  await kcatProduce({ brokers, topic, file: values, keyDelimiter: ':', partition: 0, headers: [['__proto__', 'p'], ['constructor', 'c'], ['normal', 'n']] });
  const { stdout } = await run('kcat', ['-b', brokers.join(','), '-C', '-J', '-t', topic, '-o', 'beginning', '-e', '-q'], { timeout: 60_000 });
  const capture = path.join(dir, 'capture.kcat');
  fs.writeFileSync(capture, stdout);
  assert.match(stdout, /"headers":\["__proto__","p","constructor","c","normal","n"\]/, 'kcat itself saw all three headers');

  const session = path.join(dir, 'imported.flowscope');
  await flowscope(['import', capture, '--format', 'kcat', '--out', session], dir);
  const want = '{"__proto__":"p","constructor":"c","normal":"n"}';
  let s = SessionStore.open(session, { readonly: true });
  assertExact(s.get(1)!.headers, want, 'imported session');
  s.close();

  const exported = path.join(dir, 'exported.jsonl');
  await flowscope(['export', session, '--out', exported], dir);
  const line = JSON.parse(fs.readFileSync(exported, 'utf8').trim()) as { headers: Record<string, unknown> };
  assertExact(line.headers, want, 'JSON Lines export');

  const again = path.join(dir, 'reimported.flowscope');
  await flowscope(['import', exported, '--out', again], dir);
  s = SessionStore.open(again, { readonly: true });
  assertExact(s.get(1)!.headers, want, 're-imported session');
  s.close();
});

test('a RabbitMQ header table with __proto__ and constructor fields is recorded exactly', async (t) => {
  const vh = await createVhost();
  t.after(() => vh.dispose());
  const admin = await AmqpClient.open(vh.url);
  t.after(() => admin.close());
  const ex = `proto.${suffix()}`;
  await admin.ch.assertExchange(ex, 'topic', { durable: false });
  const rec = amqpRecording({ url: vh.url, exchanges: [ex] });
  t.after(() => rec.close());
  await rec.recorder.add(rec.connector);
  await waitFor('recording', () => rec.status()?.status === 'recording');

  // pika (an ordinary Python client) sends the tables; amqplib decodes them in the tap.
  await runPython('pika_publish.py', [
    vh.url,
    ex,
    // JSON text, not object literals: in a literal, `__proto__:` sets the prototype instead of a key.
    `[{"key":"a","body":"table","props":{"headers":{"__proto__":{"inner":"table"},"constructor":"c","normal":"n"}}},
      {"key":"b","body":"void","props":{"headers":{"constructor":"c","__proto__":null,"normal":"n"}}},
      {"key":"c","body":"nested","props":{"headers":{"outer":{"__proto__":[1,2],"constructor":"c"}}}},
      {"key":"d","body":"string","props":{"headers":{"first":"f","__proto__":"p","constructor":"c"}}},
      {"key":"e","body":"number","props":{"headers":{"__proto__":42,"outer":{"__proto__":"deep","x":1}}}}]`,
  ]);
  const got = await waitFor('five publishes recorded', () => {
    const m = rec.messages();
    return m.length >= 5 ? m : null;
  });
  const byKey = (k: string) => got.find((m) => m.routingKey === k)!;
  // amqplib's decoder drops such a field or makes it the table's prototype; the tap reads
  // it back from the frame, in its place (raw-headers.ts).
  assertExact(byKey('a').headers, '{"__proto__":{"inner":"table"},"constructor":"c","normal":"n"}', 'table value');
  assertExact(byKey('b').headers, '{"constructor":"c","__proto__":null,"normal":"n"}', 'void value');
  assertExact(byKey('c').headers, '{"outer":{"__proto__":[1,2],"constructor":"c"}}', 'nested table');
  assertExact(byKey('d').headers, '{"first":"f","__proto__":"p","constructor":"c"}', 'string value (amqplib alone drops it)');
  assertExact(byKey('e').headers, '{"__proto__":42,"outer":{"__proto__":"deep","x":1}}', 'number value, and a string one nested');
});
