/**
 * Protobuf and Avro bytes written by hand from the specifications, not by the libraries
 * Flowscope decodes with (protobufjs, avsc), so a test checks the decoders against the
 * formats themselves rather than a library against itself, and Confluent framing as the
 * Schema Registry serializers write it.
 *   Protobuf: https://protobuf.dev/programming-guides/encoding/
 *   Avro:     https://avro.apache.org/docs/1.11.1/specification/#binary-encoding
 *   Confluent: magic 0, 4-byte big-endian schema id, (Protobuf) zigzag message-index list.
 */

function varint(n: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}

function zigzag(n: bigint): bigint {
  return n >= 0n ? n * 2n : -n * 2n - 1n;
}

/** One Protobuf field: a string, a nested message (bytes), a varint or a double. */
export type PbField = [number, 'string', string] | [number, 'bytes', Uint8Array] | [number, 'varint', bigint | number] | [number, 'double', number];

export function protobuf(fields: PbField[]): Buffer {
  const out: number[] = [];
  for (const [no, kind, v] of fields) {
    if (kind === 'varint') out.push(...varint(BigInt(no << 3)), ...varint(BigInt(v)));
    else if (kind === 'double') {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(v);
      out.push(...varint(BigInt((no << 3) | 1)), ...b);
    } else {
      const b = kind === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v);
      out.push(...varint(BigInt((no << 3) | 2)), ...varint(BigInt(b.byteLength)), ...b);
    }
  }
  return Buffer.from(out);
}

export const avro = {
  long: (n: bigint | number): Buffer => Buffer.from(varint(zigzag(BigInt(n)))),
  string: (s: string): Buffer => {
    const b = Buffer.from(s, 'utf8');
    return Buffer.concat([avro.long(b.byteLength), b]);
  },
  double: (n: number): Buffer => {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(n);
    return b;
  },
  /** An array in one block, then the 0 that ends it. */
  array: (items: Buffer[]): Buffer => Buffer.concat(items.length ? [avro.long(items.length), ...items, avro.long(0)] : [avro.long(0)]),
  /** A union value: its branch index, then the value. */
  union: (branch: number, value: Buffer = Buffer.alloc(0)): Buffer => Buffer.concat([avro.long(branch), value]),
};

/** The Confluent frame; `indexes` only for Protobuf ([0] is written as the single 0 the serializers use). */
export function confluent(schemaId: number, body: Buffer, indexes?: number[]): Buffer {
  const head = Buffer.alloc(5);
  head[0] = 0;
  head.writeUInt32BE(schemaId, 1);
  const idx = indexes === undefined ? [] : indexes.length === 1 && indexes[0] === 0 ? [0] : [...varint(zigzag(BigInt(indexes.length))), ...indexes.flatMap((i) => varint(zigzag(BigInt(i))))];
  return Buffer.concat([head, Buffer.from(idx), body]);
}

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

/** A Payment datum as ORDER_AVSC lays it out. */
export function avroPayment(p: { id: string; cents: bigint; rate: number; tags: string[]; note: string | null }): Buffer {
  return Buffer.concat([
    avro.string(p.id),
    avro.long(p.cents),
    avro.double(p.rate),
    avro.array(p.tags.map((t) => avro.string(t))),
    p.note === null ? avro.union(0) : avro.union(1, avro.string(p.note)),
  ]);
}

/** An Order as SHOP_PROTO lays it out (status 1 = PAID). */
export function pbOrder(o: { id: string; quantity: bigint; price: number; lines: { sku: string; count: number }[]; paid: boolean }): Buffer {
  return protobuf([
    [1, 'string', o.id],
    [2, 'varint', o.quantity],
    [3, 'double', o.price],
    ...o.lines.map((l): PbField => [4, 'bytes', protobuf([[1, 'string', l.sku], [2, 'varint', l.count]])]),
    ...(o.paid ? [[5, 'varint', 1] as PbField] : []),
  ]);
}

export function pbReply(r: { id: string; accepted: boolean }): Buffer {
  return protobuf([[1, 'string', r.id], [2, 'varint', r.accepted ? 1 : 0]]);
}
