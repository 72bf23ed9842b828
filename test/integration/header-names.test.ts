import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { Replayer } from '../../src/core/replay/index.ts';
import { adminClient, createTopic, deleteTopics, kafkaBrokers, kcatProduce, uniqueName } from '../helpers/kafka.ts';
import { AmqpClient, amqpRecording, createVhost, runPython, suffix } from '../helpers/amqp.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';
import { assertExact } from '../helpers/own-names.ts';

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

test('kcat headers named __proto__, toString and constructor are recorded live, exported and replayed exactly, and correlation-id still pairs', async (t) => {
  const brokers = await kafkaBrokers();
  const admin = await adminClient(brokers);
  const topic = uniqueName('fs-protolive');
  const copy = `${topic}-copy`;
  t.after(async () => {
    await deleteTopics(admin, [topic, copy]);
    await admin.disconnect();
  });
  await createTopic(admin, topic);
  const dir = tmpDir();
  const line = path.join(dir, 'value.txt');
  fs.writeFileSync(line, 'k1:one\n');
  // What kcat -P -H sends: each -H one header, in order, repeated names repeated.
  const first: [string, string][] = [['__proto__', 'x'], ['toString', 'y'], ['constructor', 'z'], ['hasOwnProperty', 'h'], ['correlation-id', 'c-1']];
  const second: [string, string][] = [['toString', 'a'], ['toString', 'b'], ['__proto__', 'p1'], ['__proto__', 'p2'], ['valueOf', 'v']];
  await kcatProduce({ brokers, topic, file: line, keyDelimiter: ':', partition: 0, headers: first });
  await kcatProduce({ brokers, topic, file: line, keyDelimiter: ':', partition: 0, headers: second });

  const session = path.join(dir, 'live.flowscope');
  await flowscope(['record', '--kafka', brokers.join(','), '--topic', topic, '--from-beginning', '--max-messages', '2', '--out', session], dir);
  const exported = path.join(dir, 'live.jsonl');
  await flowscope(['export', session, '--out', exported], dir);
  const lines = fs.readFileSync(exported, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { headers: Record<string, unknown>; correlationId?: string });
  assert.equal(lines.length, 2);
  assertExact(lines[0]!.headers, '{"__proto__":"x","toString":"y","constructor":"z","hasOwnProperty":"h","correlation-id":"c-1"}', 'one of each');
  assertExact(lines[1]!.headers, '{"toString":["a","b"],"__proto__":["p1","p2"],"valueOf":"v"}', 'repeated names');
  assert.equal(lines[0]!.correlationId, 'c-1', 'a correlation-id header is read as before');

  // Replayed onto another topic: kcat reads the same headers there.
  await flowscope(['replay', session, '--to', `kafka://${brokers.join(',')}`, '--map', `${topic}=${copy}`, '--speed', 'max'], dir);
  const { stdout } = await run('kcat', ['-b', brokers.join(','), '-C', '-J', '-t', copy, '-o', 'beginning', '-e', '-q'], { timeout: 60_000 });
  const replayed = stdout.trim().split('\n').map((l) => (JSON.parse(l) as { headers: string[] }).headers);
  assert.deepEqual(replayed, [first.flat(), second.flat()], 'every header, in order, on the replayed records');
});

test('a RabbitMQ header table with __proto__, toString and constructor fields is recorded exactly, and replayed onto another exchange the same', async (t) => {
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
    `[{"key":"a","body":"table","props":{"headers":{"__proto__":{"inner":"table"},"constructor":"c","toString":"t","normal":"n"}}},
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
  assertExact(byKey('a').headers, '{"__proto__":{"inner":"table"},"constructor":"c","toString":"t","normal":"n"}', 'table value');
  assertExact(byKey('b').headers, '{"constructor":"c","__proto__":null,"normal":"n"}', 'void value');
  assertExact(byKey('c').headers, '{"outer":{"__proto__":[1,2],"constructor":"c"}}', 'nested table');
  assertExact(byKey('d').headers, '{"first":"f","__proto__":"p","constructor":"c"}', 'string value (amqplib alone drops it)');
  assertExact(byKey('e').headers, '{"__proto__":42,"outer":{"__proto__":"deep","x":1}}', 'number value, and a string one nested');

  // Replayed onto another exchange and recorded there: the same tables, name for name.
  const ex2 = `${ex}.copy`;
  await admin.ch.assertExchange(ex2, 'topic', { durable: false });
  const again = amqpRecording({ url: vh.url, exchanges: [ex2] });
  t.after(() => again.close());
  await again.recorder.add(again.connector);
  await waitFor('second recording', () => again.status()?.status === 'recording');
  await rec.stop();
  const report = await new Replayer(rec.store, { to: vh.url, speed: 'max', map: { [ex]: ex2 } }).run();
  assert.equal(report.state, 'done', report.error ?? '');
  assert.deepEqual([report.sent, report.failed], [5, 0]);
  const replayed = await waitFor('five replayed', () => {
    const m = again.messages();
    return m.length >= 5 ? m : null;
  });
  for (const m of replayed) assertExact(m.headers, JSON.stringify(byKey(m.routingKey!).headers), `replayed ${m.routingKey}`);
});
