import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { CapturedMessage, StoredMessage } from '../../src/shared/model.ts';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { exportJsonl, importJsonl } from '../../src/core/io/jsonl.ts';
import { importKcat } from '../../src/core/io/kcat.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';

const BOM_TEXT = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"bom":true}')]);
const INVALID_UTF8 = Buffer.from([0xff, 0xfe, 0x00, 0x41, 0xc3]);
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

function sample(): CapturedMessage[] {
  const t0 = 1_700_000_000_000.125;
  return [
    {
      time: t0,
      brokerTime: 1_700_000_000_000,
      transport: 'kafka',
      endpoint: 'kafka-1',
      event: 'publish',
      destKind: 'topic',
      destination: 'orders',
      partition: 2,
      offset: '1234567890123', // above 2^32: must stay exact
      key: INVALID_UTF8,
      headers: { trace: 'abc', bin: { $base64: 'AP8=' }, dup: ['one', 'two'] },
      payload: ALL_BYTES,
      meta: { timestampType: 'CreateTime' },
    },
    {
      time: t0 + 0.25,
      transport: 'amqp',
      endpoint: 'amqp-1',
      event: 'publish',
      destKind: 'exchange',
      destination: 'billing',
      routingKey: 'invoice.created',
      headers: { 'x-retry': 3, nested: { a: [1, true, null] } },
      properties: { contentType: 'application/json', deliveryMode: 2, timestamp: 1_700_000_000 },
      correlationId: 'c-1',
      replyTo: 'amq.rabbitmq.reply-to',
      messageId: 'm-1',
      key: Buffer.from('ключ'),
      payload: Buffer.from('{"total":12.5,"text":"naïve ☕ \\n"}'),
    },
    {
      time: t0 + 200,
      transport: 'ws',
      endpoint: 'ws-proxy-1',
      event: 'frame-out',
      destKind: 'socket',
      destination: '/chat?room=1',
      connection: 'c1',
      payload: BOM_TEXT,
      meta: { opcode: 'text' },
    },
    {
      time: t0 + 300,
      transport: 'ws',
      endpoint: 'ws-proxy-1',
      event: 'frame-in',
      destKind: 'socket',
      destination: '/chat?room=1',
      connection: 'c1',
      payload: new Uint8Array(0),
      meta: { opcode: 'binary' },
    },
    {
      time: t0 + 400,
      transport: 'kafka',
      endpoint: 'kafka-1',
      event: 'publish',
      destKind: 'topic',
      destination: 'orders',
      partition: 0,
      offset: '0',
      key: new Uint8Array(0),
      payload: Buffer.alloc(300_000, 0x80), // large and invalid UTF-8
    },
  ];
}

function comparable(m: StoredMessage) {
  return {
    ...m,
    key: m.key ? Buffer.from(m.key).toString('hex') : null,
    payload: Buffer.from(m.payload).toString('hex'),
  };
}

test('export → import keeps every byte, header, property, partition, offset and time', async () => {
  const dir = tmpDir();
  const src = SessionStore.create(path.join(dir, 'src.flowscope'));
  src.insertBatch(sample());
  const file = path.join(dir, 'out.jsonl');
  assert.equal(await exportJsonl(src, file), 5);

  const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, 5);
  const first = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.equal(first.time, '2023-11-14T22:13:20.000Z');
  assert.equal(first.keyBase64, INVALID_UTF8.toString('base64'));
  assert.equal(first.payloadBase64, ALL_BYTES.toString('base64'));
  assert.equal(first.offset, '1234567890123');
  assert.deepEqual([first.eventTime, first.eventTimeMs, first.eventTimeSource], ['2023-11-14T22:13:20.000Z', 1_700_000_000_000, 'kafka-create']);
  const second = JSON.parse(lines[1]!) as Record<string, unknown>;
  assert.equal(second.payload, '{"total":12.5,"text":"naïve ☕ \\n"}');
  assert.equal(second.key, 'ключ');
  assert.equal(second.correlationId, 'c-1');

  const out = path.join(dir, 'back.flowscope');
  assert.deepEqual(await importJsonl(file, out, { flowscope_version: 'test' }), { count: 5 });
  const back = SessionStore.open(out, { readonly: true });
  const a = [...src.iterate()].map(comparable);
  const b = [...back.iterate()].map(comparable);
  assert.deepEqual(b, a);
  assert.equal(back.getMeta().import_format, 'jsonl');
  assert.deepEqual(back.endpoints().map((e) => e.id).sort(), ['amqp-1', 'kafka-1', 'ws-proxy-1']);
  back.close();
  src.close();
});

test('imported lines keep their event time, or get one as a recording would', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'in.jsonl');
  const base = { transport: 'kafka', event: 'publish', destination: 'orders', payload: 'x' };
  fs.writeFileSync(
    file,
    [
      { ...base, time: '2024-01-01T00:00:10.000Z', eventTime: '2024-01-01T00:00:01.000Z', eventTimeSource: 'kafka-log-append' },
      { ...base, time: '2024-01-01T00:00:10.000Z', brokerTime: 1_704_067_202_000, meta: { timestampType: 'CreateTime' } },
      { ...base, time: '2024-01-01T00:00:10.000Z' },
    ]
      .map((o) => JSON.stringify(o))
      .join('\n'),
  );
  const out = path.join(dir, 'in.flowscope');
  await importJsonl(file, out, {});
  const store = SessionStore.open(out, { readonly: true });
  assert.deepEqual(
    store.rows({}, { limit: 5 }).map((r) => [new Date(r.eventTime).toISOString(), r.eventTimeSource]),
    [
      ['2024-01-01T00:00:01.000Z', 'kafka-log-append'],
      ['2024-01-01T00:00:02.000Z', 'kafka-create'],
      ['2024-01-01T00:00:10.000Z', 'capture'],
    ],
  );
  store.close();
  fs.writeFileSync(file, JSON.stringify({ ...base, time: 1, eventTimeSource: 'sundial', eventTimeMs: 1 }));
  await assert.rejects(importJsonl(file, path.join(dir, 'bad.flowscope'), {}), /line 1.*eventTimeSource/);
});

test('export honours a filter and writes to a caller-owned stream without ending it', async () => {
  const dir = tmpDir();
  const src = SessionStore.create(path.join(dir, 'src.flowscope'));
  src.insertBatch(sample());
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  assert.equal(await exportJsonl(src, sink, { transports: ['ws'] }), 2);
  assert.equal(sink.writableEnded, false);
  const rows = Buffer.concat(chunks).toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { event: string });
  assert.deepEqual(rows.map((r) => r.event), ['frame-out', 'frame-in']);
  src.close();
});

function assertNothingWritten(dir: string, out: string): void {
  assert.equal(fs.existsSync(out), false, 'no session file');
  const leftovers = fs.readdirSync(dir).filter((f) => f.includes('.importing') || f.endsWith('.flowscope'));
  assert.deepEqual(leftovers, [], 'no temp file');
}

test('a malformed JSON Lines file is refused with its line number and nothing is written', async () => {
  const dir = tmpDir();
  const good = JSON.stringify({ time: '2024-01-01T00:00:00.000Z', transport: 'ws', event: 'frame-out', destination: '/', payload: 'hi' });
  // Enough good lines before the bad one that a chunk has already been written to the temp file.
  const lines = Array.from({ length: 12_000 }, () => good);
  lines.push('{"time": "2024-01-01T00:00:00Z", "transport": "ws", oops}');
  fs.writeFileSync(path.join(dir, 'bad.jsonl'), `${lines.join('\n')}\n${good}\n`);
  const out = path.join(dir, 'bad.flowscope');
  await assert.rejects(importJsonl(path.join(dir, 'bad.jsonl'), out, {}), (err: Error) => /^line 12001: invalid JSON \(/.test(err.message));
  assertNothingWritten(dir, out);
});

test('a line missing a required field or holding bad base64 names the line and the field', async () => {
  const dir = tmpDir();
  const cases: [string, RegExp][] = [
    ['{"time":1,"transport":"kafka","event":"publish"}', /line 3: missing "destination"/],
    ['{"time":1,"transport":"kafka","event":"publish","destination":"t","payloadBase64":"@@"}', /line 3: "payloadBase64" is not valid base64/],
    ['{"time":"yesterday","transport":"kafka","event":"publish","destination":"t"}', /line 3: "time" must be an ISO 8601 date/],
    ['{"time":1,"transport":"smtp","event":"publish","destination":"t"}', /line 3: "transport" must be one of kafka, amqp, ws, mqtt, nats/],
    ['[1,2]', /line 3: expected a JSON object, found an array/],
    ['{"topic":"t","partition":0,"offset":1,"payload":"x"}', /line 3: this looks like kcat -J output/],
  ];
  const ok = '{"time":1,"transport":"kafka","event":"publish","destination":"t","payload":"x"}';
  for (const [i, [bad, expected]] of cases.entries()) {
    const file = path.join(dir, `case${i}.jsonl`);
    fs.writeFileSync(file, `${ok}\n\n${bad}\n${ok}\n`);
    const out = path.join(dir, `case${i}.flowscope`);
    await assert.rejects(importJsonl(file, out, {}), expected);
    assertNothingWritten(dir, out);
  }
});

test('an existing output file is never overwritten', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'in.jsonl');
  fs.writeFileSync(file, '{"time":1,"transport":"kafka","event":"publish","destination":"t","payload":"x"}\n');
  const out = path.join(dir, 'taken.flowscope');
  fs.writeFileSync(out, 'precious');
  await assert.rejects(importJsonl(file, out, {}), /already exists/);
  assert.equal(fs.readFileSync(out, 'utf8'), 'precious');
});

test('kcat -J lines keep raw bytes, repeated headers, tombstones; a bad envelope is refused by line', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'kcat.jsonl');
  // What kcat 1.7 writes: non-UTF-8 payload bytes raw inside the JSON string, controls escaped.
  const raw = Buffer.concat([
    Buffer.from('% Reached end of topic t [0] at offset 2\n'),
    Buffer.from('{"topic":"t","partition":0,"offset":0,"tstype":"create","ts":1700000000123,"broker":1,"headers":["h","v1","h","v2","b","\xff"],"key":"k","payload":"', 'latin1'),
    Buffer.from([0xff, 0xfe]),
    Buffer.from('\\u0000é"}\n'),
    Buffer.from('{"topic":"t","partition":1,"offset":7,"tstype":"create","ts":1700000000124,"broker":1,"key":null,"payload":null}\n'),
  ]);
  fs.writeFileSync(file, raw);
  const out = path.join(dir, 'kcat.flowscope');
  assert.deepEqual(await importKcat(file, out, {}), { count: 2 });
  const s = SessionStore.open(out, { readonly: true });
  const [a, b] = [...s.iterate()];
  assert.deepEqual(Buffer.from(a!.payload), Buffer.concat([Buffer.from([0xff, 0xfe, 0x00]), Buffer.from('é')]));
  assert.deepEqual(a!.headers, { h: ['v1', 'v2'], b: { $base64: Buffer.from([0xff]).toString('base64') } });
  assert.equal(Buffer.from(a!.key!).toString(), 'k');
  assert.equal(a!.time, 1700000000123);
  assert.equal(b!.partition, 1);
  assert.equal(b!.offset, '7');
  assert.equal(b!.key, null);
  assert.equal(b!.meta?.tombstone, true);
  s.close();

  fs.writeFileSync(file, '{"topic":"t","partition":0,"offset":0,"payload":"x"}\n{"topic":"t","offset":1,"payload":"y"}\n');
  const out2 = path.join(dir, 'kcat2.flowscope');
  await assert.rejects(importKcat(file, out2, {}), /line 2: missing "partition"/);
  assert.equal(fs.existsSync(out2), false);
});

test('exporting a session that is still being written reads a fixed snapshot and never blocks the writer', async () => {
  const dir = tmpDir();
  const s = SessionStore.create(path.join(dir, 'live.flowscope'));
  const msg = (i: number): CapturedMessage => ({ time: i, transport: 'ws', endpoint: 'p', event: 'frame-out', destKind: 'socket', destination: '/', payload: Buffer.alloc(2000, i % 256) });
  s.insertBatch(Array.from({ length: 5000 }, (_, i) => msg(i)));
  // A slow reader: the export has to wait for it to drain, several times.
  const sink = new PassThrough({ highWaterMark: 64 * 1024 });
  let lines = 0;
  const export_ = exportJsonl(s, sink);
  let writes = 0;
  const writer = setInterval(() => {
    s.insertBatch([msg(100_000 + writes)]); // the recorder keeps flushing meanwhile: must not hit "database is busy"
    writes += 1;
  }, 1);
  sink.on('data', (c: Buffer) => {
    sink.pause();
    for (const b of c) if (b === 10) lines += 1;
    setTimeout(() => sink.resume(), 2);
  });
  const count = await export_;
  clearInterval(writer);
  await new Promise((r) => setImmediate(r));
  assert.equal(count, 5000, 'the snapshot taken when the export started');
  assert.ok(writes > 0, 'the writer ran during the export');
  await waitFor('the reader to get every line', () => lines === 5000);
  assert.equal(s.lastSeq, 5000 + writes);
  s.close();
});

test('a real kcat 1.7 -J capture (raw invalid UTF-8, escapes, repeated headers, null key and value) imports exactly', async () => {
  const dir = tmpDir();
  const out = path.join(dir, 'sample.flowscope');
  const fixture = path.resolve(import.meta.dirname, '../fixtures/kcat-sample.jsonl');
  assert.deepEqual(await importKcat(fixture, out, {}), { count: 7 });
  const s = SessionStore.open(out, { readonly: true });
  const m = [...s.iterate()];
  assert.deepEqual(m.map((x) => x.offset), ['0', '1', '2', '3', '4', '5', '6']);
  assert.deepEqual(m[0]!.headers, { h1: ['v1', 'again'], h2: 'v2' });
  assert.equal(m[2]!.key, null);
  assert.equal(m[3]!.key!.byteLength, 0, 'an empty key is not a missing key');
  assert.deepEqual(Buffer.from(m[3]!.payload), Buffer.from([0xff, 0xfe, 0x00, 0x62, 0x69, 0x6e]));
  assert.deepEqual(Buffer.from(m[5]!.payload), Buffer.from('a\tb"c\\d\u0001é'));
  assert.deepEqual(m[5]!.headers, { hb: 'x\\ty' });
  assert.equal(m[6]!.meta?.tombstone, true);
  assert.equal(m[0]!.time, 1795949151233);
  s.close();
});
