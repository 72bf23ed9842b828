import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import zlib from 'node:zlib';
import { decodeMessages, kafkajsDecodeMessages } from '../../src/core/connectors/kafka/record-batch.ts';
import { registerCodecs, setCodecEnabled, UNDECODABLE_HEADER } from '../../src/core/connectors/kafka/codecs.ts';
import { encodeHeaders, type KafkaRecord } from '../../src/core/connectors/kafka/record.ts';

// The tap's record-batch decoder must read every fetch response into exactly the records
// kafkajs 2.2.4's own decoder reads (same offsets, timestamps, keys, values, headers, batch
// context), whatever the batch holds: the session file stores what it reads. Each case is
// decoded by both from the same bytes and compared field for field. One difference is on
// purpose: header names Object.prototype has (`toString`, `__proto__`) read as the record's
// own headers, where kafkajs starts them from the inherited member.

const require = createRequire(import.meta.url);
const kafkajsRoot = path.dirname(require.resolve('kafkajs/package.json'));
const Decoder = require(path.join(kafkajsRoot, 'src/protocol/decoder.js')) as new (b: Buffer) => unknown;
const MessageSet = require(path.join(kafkajsRoot, 'src/protocol/messageSet/index.js')) as (o: unknown) => { buffer: Buffer };

registerCodecs();

function zigzag(v: bigint): bigint {
  return v >= 0n ? v << 1n : (-v << 1n) - 1n;
}

function varlong(v: bigint | number): Buffer {
  let z = zigzag(BigInt(v));
  const out: number[] = [];
  while (z > 0x7fn) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return Buffer.from(out);
}

const bytes = (b: Buffer | null): Buffer => (b === null ? varlong(-1) : Buffer.concat([varlong(b.length), b]));

interface Rec {
  tsDelta?: bigint | number;
  offsetDelta: number;
  key?: Buffer | null;
  value?: Buffer | null;
  headers?: [string | null, Buffer | null][];
}

function record(r: Rec): Buffer {
  const h = r.headers ?? [];
  const body = Buffer.concat([
    Buffer.from([0]),
    varlong(r.tsDelta ?? 0),
    varlong(r.offsetDelta),
    bytes(r.key === undefined ? null : r.key),
    bytes(r.value === undefined ? Buffer.from('v') : r.value),
    varlong(h.length),
    ...h.flatMap(([k, v]) => [bytes(k === null ? null : Buffer.from(k)), bytes(v)]),
  ]);
  return Buffer.concat([varlong(body.length), body]);
}

interface Batch {
  firstOffset?: bigint;
  firstTimestamp?: bigint;
  maxTimestamp?: bigint;
  /** Codec in the low 3 bits, 0x8 LogAppendTime, 0x10 transactional, 0x20 control. */
  attributes?: number;
  producerId?: bigint;
  records: Rec[];
  /** Raw record bytes instead of `records` (damaged input). */
  raw?: Buffer;
  count?: number;
}

function batch(b: Batch): Buffer {
  const codec = (b.attributes ?? 0) & 7;
  let recs = b.raw ?? Buffer.concat(b.records.map(record));
  if (codec === 1) recs = zlib.gzipSync(recs);
  if (codec === 4) recs = Buffer.from('not zstd at all');
  const head = Buffer.alloc(45);
  head.writeInt32BE(7, 0); // partition leader epoch
  head.writeInt8(2, 4);
  head.writeUInt32BE(0, 5); // crc: not checked, as kafkajs does not
  head.writeInt16BE(b.attributes ?? 0, 9);
  head.writeInt32BE(Math.max(0, b.records.length - 1), 11);
  head.writeBigInt64BE(b.firstTimestamp ?? 1_700_000_000_000n, 15);
  head.writeBigInt64BE(b.maxTimestamp ?? 1_700_000_000_999n, 23);
  head.writeBigInt64BE(b.producerId ?? -1n, 31);
  head.writeInt16BE(3, 39);
  head.writeInt32BE(11, 41);
  const count = Buffer.alloc(4);
  count.writeInt32BE(b.count ?? b.records.length);
  const body = Buffer.concat([head, count, recs]);
  const prefix = Buffer.alloc(12);
  prefix.writeBigInt64BE(b.firstOffset ?? 0n, 0);
  prefix.writeInt32BE(body.length, 8);
  return Buffer.concat([prefix, body]);
}

/** A partition's record set as a fetch response holds it: int32 size, then the bytes (plus what follows). */
function section(content: Buffer, trailing = Buffer.from([1, 2, 3])): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(content.length);
  // Offset into a larger buffer, as a response's partition sits inside the response.
  return Buffer.concat([Buffer.from([9, 9, 9]), size, content, trailing]).subarray(3);
}

/** Every field, in order, with buffers as their bytes. */
function canonical(v: unknown, seen = new Set<unknown>()): unknown {
  if (Buffer.isBuffer(v)) return { bytes: v.toString('hex') };
  if (typeof v === 'function') return `function ${v.name}`;
  if (v === Object.prototype) return 'Object.prototype';
  if (v === null || typeof v !== 'object') return v;
  if (seen.has(v)) return '(shared)';
  if (Array.isArray(v)) return v.map((x) => canonical(x, new Set(seen).add(v)));
  return Object.keys(v).map((k) => [k, canonical((v as Record<string, unknown>)[k], new Set(seen).add(v))]);
}

async function outcome(decode: (d: never) => Promise<unknown[]>, buf: Buffer): Promise<unknown> {
  const d = new Decoder(buf) as { offset: number };
  try {
    const records = await decode(d as never);
    return { records: canonical(records), offset: d.offset };
  } catch (err) {
    return { threw: (err as Error).name };
  }
}

async function same(buf: Buffer, what: string): Promise<unknown> {
  const theirs = await outcome(kafkajsDecodeMessages(), buf);
  const ours = await outcome(decodeMessages, buf);
  assert.deepEqual(ours, theirs, what);
  return ours;
}

test('plain batches: offsets, timestamps, keys, values and headers as kafkajs reads them', async () => {
  const b1 = batch({
    firstOffset: 41n,
    records: [
      { offsetDelta: 0, key: Buffer.from('k'), value: Buffer.from('{"a":1}') },
      { offsetDelta: 1, tsDelta: 5, key: null, value: null },
      { offsetDelta: 2, tsDelta: -3, key: Buffer.alloc(0), value: Buffer.alloc(0) },
      { offsetDelta: 3, headers: [['a', Buffer.from('1')], ['b', null], ['a', Buffer.from('2')], ['a', Buffer.from('3')], [null, Buffer.from('n')]] },
      { offsetDelta: 4, headers: [['tostring', Buffer.from('x')], ['proto', Buffer.from('p')], ['proto', Buffer.from('q')], ['1', Buffer.from('i')], [UNDECODABLE_HEADER, Buffer.from('?')]] },
      // Deltas a batch may hold that need more than 4 bytes (timestamps set by the producer, compacted offsets).
      { offsetDelta: 200_000_000, tsDelta: 86_400_000_000 },
      { offsetDelta: 2_000_000_000, tsDelta: -(2n ** 60n) },
    ],
  });
  const b2 = batch({ firstOffset: 2n ** 53n - 2n, firstTimestamp: 2n ** 62n, records: [{ offsetDelta: 0 }, { offsetDelta: 1 }, { offsetDelta: 7, tsDelta: 1 }] });
  const b3 = batch({ firstOffset: 9_223_372_036_854_775_000n, firstTimestamp: -1n, records: [{ offsetDelta: 0 }, { offsetDelta: 800 }] });
  const got = (await same(section(Buffer.concat([b1, b2, b3])), 'three batches')) as { records: unknown[] };
  assert.equal(got.records.length, 12);
});

async function headersOf(decode: (d: never) => Promise<unknown[]>, buf: Buffer): Promise<KafkaRecord['headers'][]> {
  const records = (await decode(new Decoder(buf) as never)) as KafkaRecord[];
  return records.map((r) => r.headers);
}

test('header names Object.prototype has are read as the record sent them, from our decoder and from kafkajs\'s', async () => {
  const names: [string, string][] = [['toString', 'x'], ['__proto__', 'p'], ['__proto__', 'q'], ['constructor', 'c'], ['1', 'i'], ['hasOwnProperty', 'h'], ['valueOf', 'v'], ['valueOf', 'w'], ['valueOf', 'u'], ['plain', 'n']];
  const buf = section(batch({ records: [{ offsetDelta: 0, headers: names.map(([k, v]) => [k, Buffer.from(v)]) }, { offsetDelta: 1, headers: [['toString', null]] }] }));
  // JSON text: in an object literal `__proto__:` would set the prototype instead of a key.
  const want = [JSON.parse('{"1":"i","toString":"x","__proto__":["p","q"],"constructor":"c","hasOwnProperty":"h","valueOf":["v","w","u"],"plain":"n"}'), { toString: null }];

  const ours = await headersOf(decodeMessages, buf);
  const text = (v: unknown): unknown => (Buffer.isBuffer(v) ? v.toString() : Array.isArray(v) ? v.map(text) : v);
  // Object.fromEntries defines each key as its own, `__proto__` too.
  assert.deepEqual(ours.map((h) => Object.fromEntries(Object.entries(h!).map(([k, v]) => [k, text(v)]))), want, 'our decoder: the own values');
  assert.equal(Object.getPrototypeOf(ours[0]), Object.prototype, 'no header changed the object\'s prototype');
  // kafkajs (the fallback for what ours does not read) starts each from the inherited member.
  const theirs = await headersOf(kafkajsDecodeMessages(), buf);
  assert.equal((theirs[0]!['toString'] as unknown as unknown[])[0], Object.prototype.toString);
  assert.equal((theirs[0]!['__proto__'] as unknown[])[0], Object.prototype);

  // What the session stores, from either: every name with its own values.
  for (const [who, decoded] of [['ours', ours], ['kafkajs', theirs]] as const) {
    const stored = decoded.map(encodeHeaders);
    assert.deepEqual(stored, want, who);
    assert.deepEqual(stored.map((h) => Object.keys(h!)), want.map((h) => Object.keys(h as object)), `${who}: every name, in order`);
    assert.equal(Object.getPrototypeOf(stored[0]), Object.prototype, `${who}: a plain object`);
  }
});

test('LogAppendTime, transactional and control batches, and a partial batch at the tail', async () => {
  const logAppend = batch({ firstOffset: 5n, attributes: 0x8, records: [{ offsetDelta: 0, tsDelta: 3 }, { offsetDelta: 1 }] });
  const tx = batch({ firstOffset: 7n, attributes: 0x10, producerId: 4242n, records: [{ offsetDelta: 0 }, { offsetDelta: 1 }] });
  const control = batch({ firstOffset: 9n, attributes: 0x30, producerId: 4242n, records: [{ offsetDelta: 0, key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }] });
  const full = Buffer.concat([logAppend, tx, control]);
  await same(section(full), 'flags');
  // maxBytes cuts a response inside a batch: the whole batches before it are read.
  const next = batch({ firstOffset: 10n, records: Array.from({ length: 20 }, (_, i) => ({ offsetDelta: i })) });
  for (const cut of [1, 30, 60, next.length - 1]) await same(section(Buffer.concat([full, next.subarray(0, cut)])), `cut at ${cut}`);
});

test('compressed batches go through the codecs, and a batch no codec reads becomes placeholders', async () => {
  const gz = batch({ firstOffset: 100n, attributes: 1, records: Array.from({ length: 50 }, (_, i) => ({ offsetDelta: i, key: Buffer.from(`k${i}`), headers: [['h', Buffer.from(String(i))]] })) });
  await same(section(gz), 'gzip');
  setCodecEnabled('gzip', false);
  try {
    const got = (await same(section(gz), 'gzip switched off')) as { records: unknown[] };
    assert.equal(got.records.length, 50);
  } finally {
    setCodecEnabled('gzip', true);
  }
  await same(section(batch({ firstOffset: 3n, attributes: 4, records: [{ offsetDelta: 0 }, { offsetDelta: 1 }] })), 'zstd that is not zstd');
  await same(section(batch({ attributes: 1, records: [], count: 0 })), 'empty compressed batch');
});

test('legacy message sets (format v0 and v1) are read by kafkajs as before', async () => {
  for (const messageVersion of [0, 1]) {
    const set = MessageSet({ messageVersion, compression: 0, entries: [{ key: 'a', value: 'one', timestamp: 1_700_000_000_000 }, { key: null, value: 'two', timestamp: 1_700_000_000_001 }] });
    const got = (await same(section(set.buffer), `v${messageVersion}`)) as { records: unknown[] };
    assert.equal(got.records.length, 2);
  }
  await same(section(Buffer.alloc(0)), 'an empty record set');
});

test('damaged records are read, or refused, exactly as kafkajs reads them', async () => {
  const good = batch({ firstOffset: 1n, records: Array.from({ length: 8 }, (_, i) => ({ offsetDelta: i, key: Buffer.from(`key-${i}`), headers: i % 2 ? [['x', Buffer.from('y')]] : [] })) });
  const recordsAt = 12 + 49;
  // A deterministic walk over single-byte damage in the records (lengths, varints, headers).
  let seed = 12345;
  const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  for (let i = 0; i < 300; i++) {
    const damaged = Buffer.from(good);
    const at = recordsAt + rand(good.length - recordsAt);
    damaged[at] = [0x00, 0x01, 0x7f, 0x80, 0xff, rand(256)][rand(6)]!;
    if (i % 3 === 0) damaged.writeInt32BE(rand(12) - 2, 12 + 45); // the record count too
    await same(section(damaged), `damage at ${at} (case ${i})`);
  }
});
