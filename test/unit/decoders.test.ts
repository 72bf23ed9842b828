import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { encode as msgpackEncode } from '@msgpack/msgpack';
import { encode as cborEncode } from 'cborg';
import { DecoderRegistry } from '../../src/core/decode/registry.ts';
import { decoderSettingsFromSpecs, SpecError } from '../../src/core/decode/spec.ts';
import { destinationMatcher } from '../../src/core/decode/glob.ts';
import { classifyMessage } from '../../src/core/analysis/correlation.ts';
import { DEFAULT_ANALYSIS_CONFIG } from '../../src/core/analysis/config.ts';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { SessionDecoders } from '../../src/core/engine/session-decoders.ts';
import type { DecoderSettings } from '../../src/shared/decoders.ts';
import type { CapturedMessage } from '../../src/shared/model.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { ORDER_AVSC, SHOP_PROTO, avroPayment, confluent, pbOrder, pbReply } from '../helpers/schema-encoders.ts';

const settings: DecoderSettings = {
  rules: [
    { match: 'orders.*', format: 'protobuf', schema: 'shop.proto', type: 'shop.Order' },
    { match: 'payments', format: 'avro', schema: 'payment.avsc' },
    { match: 'framed', format: 'protobuf' },
  ],
  schemas: [
    { name: 'shop.proto', kind: 'proto', text: SHOP_PROTO, ids: [21] },
    { name: 'payment.avsc', kind: 'avsc', text: ORDER_AVSC, ids: [7] },
  ],
};

const order = { id: 'A-17', quantity: 9007199254740993n, price: 12.5, lines: [{ sku: 'sku-1', count: 2 }], paid: true };
const expectedOrder = { order_id: 'A-17', quantity: '9007199254740993', price: 12.5, lines: [{ sku: 'sku-1', count: '2' }], status: 'PAID' };
// The largest int64: every digit must come through from avro-js's bytes to the decoded value.
const payment = { id: 'p-1', cents: 9223372036854775807n, rate: 0.25, tags: ['eu', 'card'], note: 'first' };
const expectedPayment = { payment_id: 'p-1', amount_cents: '9223372036854775807', rate: 0.25, tags: ['eu', 'card'], note: 'first' };

test('destination patterns: exact names, and globs over dots and slashes', () => {
  assert.ok(destinationMatcher('orders')('orders'));
  assert.ok(!destinationMatcher('orders')('orders.eu'));
  assert.ok(destinationMatcher('orders.*')('orders.eu.v2'));
  assert.ok(!destinationMatcher('orders.*')('ordersXeu'), 'a dot in a pattern is a dot');
  assert.ok(destinationMatcher('/ws/?')('/ws/a'));
  assert.ok(destinationMatcher('*.v?')('a.b.v2'));
  assert.ok(!destinationMatcher('*.v?')('a.b.v22'));
  // From a shared file: no exponential backtracking on a hostile pattern.
  assert.ok(!destinationMatcher('*a*a*a*a*a*a*a*a*a*b')('a'.repeat(5000)));
});

test('Protobuf by rule, plain and Confluent-framed, with int64 kept exact and enums by name', () => {
  const reg = new DecoderRegistry(settings);
  const plain = reg.decode({ destination: 'orders.eu', payload: pbOrder(order) });
  assert.equal(plain?.error, null);
  assert.deepEqual(plain?.value, expectedOrder);
  assert.equal(plain?.typeName, 'shop.Order');

  // Index [1] names the file's second top-level message: OrderReply, whatever the rule says.
  const framed = reg.decode({ destination: 'orders.eu', payload: confluent(21, pbReply({ id: 'A-17', accepted: true }), [1]) });
  assert.equal(framed?.error, null);
  assert.deepEqual(framed?.value, { order_id: 'A-17', accepted: true });
  assert.equal(framed?.schemaId, 21);
  assert.equal(framed?.typeName, 'shop.OrderReply');

  // A nested message by its index path, from a rule that names no schema at all.
  const nested = reg.decode({ destination: 'framed', payload: confluent(21, pbOrder(order).subarray(0, 0), [0, 0]) });
  assert.equal(nested?.typeName, 'shop.Order.Line');
  assert.equal(reg.decode({ destination: 'framed', payload: confluent(21, pbOrder(order), [0]) })?.typeName, 'shop.Order');
});

test('Avro by rule, plain and Confluent-framed; a Confluent frame with a known id decodes with no rule', () => {
  const reg = new DecoderRegistry(settings);
  assert.deepEqual(reg.decode({ destination: 'payments', payload: avroPayment(payment) })?.value, expectedPayment);
  const framed = reg.decode({ destination: 'payments', payload: confluent(7, avroPayment(payment)) });
  assert.deepEqual(framed?.value, expectedPayment);
  assert.equal(framed?.schemaId, 7);
  const detected = reg.decode({ destination: 'anything', payload: confluent(7, avroPayment({ ...payment, note: null })) });
  assert.deepEqual(detected?.value, { ...expectedPayment, note: null });
  assert.deepEqual(detected?.via, ['Confluent schema id 7', 'Avro shop.avro.Payment']);
});

test('a payload that does not decode says why; the raw bytes are not touched', () => {
  const reg = new DecoderRegistry(settings);
  const bad = Buffer.from([0x0a, 0x10, 0x41]);
  const copy = Buffer.from(bad);
  const view = reg.decode({ destination: 'orders.x', payload: bad });
  assert.equal(view?.value, null);
  assert.match(view?.error ?? '', /^Protobuf: .+/);
  assert.deepEqual(bad, copy);
  const extra = reg.decode({ destination: 'payments', payload: Buffer.concat([avroPayment(payment), Buffer.from([1, 2])]) });
  assert.match(extra?.error ?? '', /2 bytes left after the shop\.avro\.Payment datum/);
  const unknownId = reg.decode({ destination: 'framed', payload: confluent(99, pbReply({ id: 'x', accepted: false }), [0]) });
  assert.match(unknownId?.error ?? '', /Confluent schema id 99 is not among this session's schema files/);
});

test('MessagePack and CBOR are recognised by content; text and JSON are left to the plain view', () => {
  const reg = new DecoderRegistry({ rules: [], schemas: [] });
  const value = { id: 'm-1', n: 3, list: [1, 'two'], nested: { ok: true } };
  const mp = reg.decode({ destination: 't', payload: msgpackEncode(value) });
  assert.equal(mp?.format, 'msgpack');
  assert.deepEqual(mp?.value, value);
  const cb = reg.decode({ destination: 't', payload: cborEncode(value) });
  assert.equal(cb?.format, 'cbor');
  assert.deepEqual(cb?.value, value);
  assert.equal(reg.decode({ destination: 't', payload: Buffer.from('{"a":1}') }), null);
  assert.equal(reg.decode({ destination: 't', payload: Buffer.from([0xff, 0x00, 0x13, 0x37]) }), null, 'random binary is not forced into a format');
});

test('gzip and zstd are undone where a content-encoding header says so, and only then', () => {
  const reg = new DecoderRegistry({ rules: [], schemas: [] });
  const json = Buffer.from('{"order":"z-1","n":2}');
  const gz = zlib.gzipSync(json);
  const view = reg.decode({ destination: 't', payload: gz, headers: { 'Content-Encoding': 'gzip' } });
  assert.deepEqual(view?.value, { order: 'z-1', n: 2 });
  assert.deepEqual(view?.via, ['gzip', 'JSON']);
  assert.equal(reg.decode({ destination: 't', payload: gz })?.format ?? null, null, 'no header, no guess');
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, 'p.json'), json);
  execFileSync('zstd', ['-q', path.join(dir, 'p.json'), '-o', path.join(dir, 'p.zst')]);
  const zst = fs.readFileSync(path.join(dir, 'p.zst'));
  assert.deepEqual(reg.decode({ destination: 't', payload: zst, properties: { contentEncoding: 'zstd' } })?.value, { order: 'z-1', n: 2 });
  const broken = reg.decode({ destination: 't', payload: Buffer.from('not gzip'), headers: { 'content-encoding': 'gzip' } });
  assert.match(broken?.error ?? '', /^gzip decompression failed: /);
});

test('correlation JSON paths read decoded Protobuf fields', () => {
  const reg = new DecoderRegistry(settings);
  const msg: CapturedMessage = {
    time: 1, transport: 'kafka', endpoint: 'k', event: 'publish', destKind: 'topic', destination: 'orders.eu', payload: pbOrder(order),
  };
  const config = { ...DEFAULT_ANALYSIS_CONFIG.correlation, jsonPaths: ['order_id'] };
  assert.equal(classifyMessage(msg, config).correlationId, null, 'undecoded, the bytes hold no JSON');
  assert.equal(classifyMessage(msg, config, (m) => reg.structured(m)).correlationId, 'A-17');
});

test('--decode and --schema-id embed the files; a wrong type or a missing file is refused up front', () => {
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, 'shop.proto'), SHOP_PROTO);
  fs.writeFileSync(path.join(dir, 'payment.avsc'), ORDER_AVSC);
  const s = decoderSettingsFromSpecs(['orders.*=protobuf:shop.proto#shop.Order', 'payments=avro:payment.avsc'], ['7=payment.avsc'], dir);
  assert.deepEqual(s.rules, [
    { match: 'orders.*', format: 'protobuf', schema: 'shop.proto', type: 'shop.Order' },
    { match: 'payments', format: 'avro', schema: 'payment.avsc' },
  ]);
  assert.equal(s.schemas.find((f) => f.name === 'payment.avsc')?.text, ORDER_AVSC);
  assert.deepEqual(s.schemas.find((f) => f.name === 'payment.avsc')?.ids, [7]);
  assert.throws(() => decoderSettingsFromSpecs(['o=protobuf:shop.proto#shop.Nope'], [], dir), (e) => e instanceof SpecError && /no message type shop\.Nope/.test(e.message));
  assert.throws(() => decoderSettingsFromSpecs(['o=avro:missing.avsc'], [], dir), (e) => e instanceof SpecError && /cannot read schema file missing\.avsc/.test(e.message));
});

test('settings are kept in the session file; field and text filters read decoded fields in SQL', () => {
  const dir = tmpDir();
  const file = path.join(dir, 's.flowscope');
  const store = SessionStore.create(file);
  const base = { time: 1, transport: 'kafka', endpoint: 'k', event: 'publish', destKind: 'topic' } as const;
  store.insertBatch([
    { ...base, destination: 'orders.eu', payload: pbOrder(order) },
    { ...base, destination: 'orders.eu', payload: pbOrder({ ...order, id: 'B-2', paid: false }) },
    { ...base, destination: 'payments', payload: confluent(7, avroPayment(payment)) },
    { ...base, destination: 'json', payload: Buffer.from('{"order_id":"A-17"}') },
  ]);
  new SessionDecoders(store).set(settings);
  store.close();

  const again = SessionStore.open(file, { readonly: true });
  try {
    const seqs = (f: Parameters<SessionStore['rows']>[0]) => again.rows(f, { limit: 10 }).map((r) => r.seq);
    assert.deepEqual(seqs({ field: { path: 'order_id', value: 'A-17' } }), [4], 'before the settings are read, only JSON has fields');
    const decoders = new SessionDecoders(again);
    assert.deepEqual(decoders.settings, settings);
    assert.deepEqual(seqs({ field: { path: 'order_id', value: 'A-17' } }), [1, 4]);
    assert.deepEqual(seqs({ field: { path: 'lines[0].sku', value: 'sku-1' } }), [1, 2]);
    assert.deepEqual(seqs({ field: { path: 'amount_cents', value: '9223372036854775807' } }), [3]);
    assert.deepEqual(seqs({ field: { path: 'status' } }), [1, 2]);
    assert.deepEqual(seqs({ text: 'b-2' }), [2], 'the text filter finds a decoded string');
    assert.deepEqual(seqs({ text: 'card' }), [3]);
  } finally {
    again.close();
  }
});

test('a descriptor set (protoc --descriptor_set_out) decodes like its .proto', () => {
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, 'shop.proto'), SHOP_PROTO);
  execFileSync('protoc', [`--proto_path=${dir}`, `--descriptor_set_out=${path.join(dir, 'shop.desc')}`, path.join(dir, 'shop.proto')]);
  const bytes = fs.readFileSync(path.join(dir, 'shop.desc'));
  const reg = new DecoderRegistry({
    rules: [{ match: 'orders', format: 'protobuf', schema: 'shop.desc', type: 'shop.Order' }],
    schemas: [{ name: 'shop.desc', kind: 'descriptor-set', text: Buffer.from(bytes).toString('base64') }],
  });
  const view = reg.decode({ destination: 'orders', payload: pbOrder(order) });
  assert.equal(view?.error, null);
  assert.deepEqual(view?.value, expectedOrder);
});

test('a map key named __proto__ stays a field of the decoded value', () => {
  const reg = new DecoderRegistry({ rules: [], schemas: [] });
  const view = reg.decode({ destination: 't', payload: cborEncode(new Map<string, unknown>([['__proto__', { polluted: true }], ['ok', 1]])) });
  const value = view?.value as Record<string, unknown>;
  assert.deepEqual(Object.keys(value).sort(), ['__proto__', 'ok']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(JSON.parse(JSON.stringify(value)).__proto__.polluted, true);
});

test('hostile bytes never throw out of a decoder: each gives a value or a reason', () => {
  const reg = new DecoderRegistry({ ...settings, rules: [...settings.rules, { match: 'mp', format: 'msgpack' }, { match: 'cb', format: 'cbor' }, { match: 'z', format: 'json', compression: 'zstd' }] });
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const destinations = ['orders.a', 'payments', 'framed', 'mp', 'cb', 'z', 'none'];
  for (let i = 0; i < 3000; i++) {
    const len = Math.floor(rand() * 64);
    const bytes = Buffer.from(Array.from({ length: len }, () => Math.floor(rand() * 256)));
    // Half of them look like Confluent frames with a known id, the likeliest to reach a schema.
    if (i % 2 === 0 && len >= 6) {
      bytes[0] = 0;
      bytes.writeUInt32BE(i % 4 === 0 ? 21 : 7, 1);
    }
    const destination = destinations[i % destinations.length]!;
    const view = reg.decode({ destination, payload: bytes, headers: i % 5 === 0 ? { 'content-encoding': 'gzip' } : null });
    if (view) assert.ok(view.error !== null ? view.value === null && view.error.length > 0 : view.value !== undefined, `${destination}: ${bytes.toString('hex')}`);
  }
});
