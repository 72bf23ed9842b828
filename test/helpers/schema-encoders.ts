import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PYTHON } from './tmp.ts';

/**
 * Protobuf and Avro bytes as real clients write them, by libraries other than the ones
 * Flowscope decodes with (protobufjs, avsc), so a test checks the decoders against other
 * implementations of the formats rather than a library against itself (issue 15):
 *   Protobuf: Google's protobuf for Python (Debian's python3-protobuf) on the classes
 *             protoc generates from the .proto text;
 *   Avro:     Apache Avro's JavaScript implementation (avro-js).
 * The Confluent frame around them is written here as the Schema Registry serializers
 * write it: magic 0, 4-byte big-endian schema id, (Protobuf) the zigzag message-index list.
 */

export const SHOP_PROTO = `syntax = "proto3";
package shop;

message Order {
  string order_id = 1;
  int64 quantity = 2;
  double price = 3;
  message Line {
    string sku = 1;
    int64 count = 2;
  }
  repeated Line lines = 4;
  Status status = 5;
}

enum Status {
  NEW = 0;
  PAID = 1;
}

message OrderReply {
  string order_id = 1;
  bool accepted = 2;
}
`;

export const ORDER_AVSC = JSON.stringify({
  type: 'record',
  name: 'Payment',
  namespace: 'shop.avro',
  fields: [
    { name: 'payment_id', type: 'string' },
    { name: 'amount_cents', type: 'long' },
    { name: 'rate', type: 'double' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
});

// ---- Protobuf, by protoc and python3-protobuf

const ENCODE_PY = fileURLToPath(new URL('./protobuf-encode.py', import.meta.url));
const compiled = new Map<string, { dir: string; module: string }>();

/** protoc's Python classes for a .proto text, generated once per process. */
function pythonClasses(protoText: string, fileName: string): { dir: string; module: string } {
  const key = `${fileName}\n${protoText}`;
  const hit = compiled.get(key);
  if (hit) return hit;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowscope-protoc-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, fileName), protoText);
  execFileSync('protoc', [`--proto_path=${dir}`, `--python_out=${dir}`, path.join(dir, fileName)], { stdio: ['ignore', 'ignore', 'inherit'] });
  const out = { dir, module: `${path.basename(fileName, '.proto')}_pb2` };
  compiled.set(key, out);
  return out;
}

/** Messages of `type` in the proto3 JSON mapping (int64 as decimal strings, enums by name), serialized. */
export function protobufEncode(type: string, values: object[], protoText = SHOP_PROTO, fileName = 'shop.proto'): Buffer[] {
  if (values.length === 0) return [];
  const { dir, module } = pythonClasses(protoText, fileName);
  const input = values.map((value) => JSON.stringify({ type, value })).join('\n') + '\n';
  const out = execFileSync(PYTHON, [ENCODE_PY, dir, module], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = out.trim().split('\n');
  if (lines.length !== values.length) throw new Error(`python3-protobuf encoded ${lines.length} of ${values.length} messages`);
  return lines.map((l) => Buffer.from(l, 'base64'));
}

export interface OrderIn {
  id: string;
  quantity: bigint;
  price: number;
  lines: { sku: string; count: number }[];
  paid: boolean;
}

/** Orders as shop.Order; `paid: false` is status NEW, proto3's default, so absent from the bytes. */
export function pbOrders(orders: OrderIn[]): Buffer[] {
  return protobufEncode(
    'shop.Order',
    orders.map((o) => ({
      order_id: o.id,
      quantity: o.quantity.toString(),
      price: o.price,
      lines: o.lines.map((l) => ({ sku: l.sku, count: String(l.count) })),
      status: o.paid ? 'PAID' : 'NEW',
    })),
  );
}

export function pbReplies(replies: { id: string; accepted: boolean }[]): Buffer[] {
  return protobufEncode('shop.OrderReply', replies.map((r) => ({ order_id: r.id, accepted: r.accepted })));
}

export const pbOrder = (o: OrderIn): Buffer => pbOrders([o])[0]!;
export const pbReply = (r: { id: string; accepted: boolean }): Buffer => pbReplies([r])[0]!;

// ---- Avro, by avro-js

interface AvroJsType {
  toBuffer(value: unknown): Buffer;
}
interface AvroJs {
  parse(schema: string, opts: { registry: Record<string, unknown> }): AvroJsType;
  types: { LongType: { using(methods: Record<string, unknown>): unknown } };
}
// avro-js ships no type declarations; this is the part of its API used here.
const avroJs = createRequire(import.meta.url)('avro-js') as AvroJs;

/**
 * avro-js holds a long in a JS number and refuses one past 2^53; its documented hook for
 * that (LongType.using) takes the 8-byte little-endian form, so bigints go through whole.
 */
const bigintLong = avroJs.types.LongType.using({
  toBuffer: (n: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(n);
    return b;
  },
  fromBuffer: (b: Buffer) => b.readBigInt64LE(),
  fromJSON: (v: number | string) => BigInt(v),
  toJSON: (n: bigint) => n.toString(),
  isValid: (n: unknown) => typeof n === 'bigint',
  compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
});
const paymentType = avroJs.parse(ORDER_AVSC, { registry: { long: bigintLong } });

export interface PaymentIn {
  id: string;
  cents: bigint;
  rate: number;
  tags: string[];
  note: string | null;
}

/** A shop.avro.Payment datum; avro-js takes a union's non-null branch wrapped by its type name. */
export function avroPayment(p: PaymentIn): Buffer {
  return paymentType.toBuffer({ payment_id: p.id, amount_cents: p.cents, rate: p.rate, tags: p.tags, note: p.note === null ? null : { string: p.note } });
}

// ---- the Confluent frame

/** A small non-negative-or-negative int as the Confluent serializers write an index: zigzag varint. */
function zigzagVarint(n: number): number[] {
  let v = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v > 0) b |= 0x80;
    out.push(b);
  } while (v > 0);
  return out;
}

/** The Confluent frame; `indexes` only for Protobuf ([0] is written as the single 0 the serializers use). */
export function confluent(schemaId: number, body: Buffer, indexes?: number[]): Buffer {
  const head = Buffer.alloc(5);
  head[0] = 0;
  head.writeUInt32BE(schemaId, 1);
  const idx = indexes === undefined ? [] : indexes.length === 1 && indexes[0] === 0 ? [0] : [indexes.length, ...indexes].flatMap(zigzagVarint);
  return Buffer.concat([head, Buffer.from(idx), body]);
}
