import avro from 'avsc';
import type { SchemaFile } from '../../shared/decoders.ts';

/** An Avro schema from an embedded `.avsc` text (avsc). */
export interface AvroSchema {
  kind: 'avro';
  name: string;
  type: avro.Type;
  /** The record's full name, when the schema is a named type. */
  typeName: string | null;
}

/**
 * 64-bit Avro longs as bigint: avsc's default refuses (throws on) values past 2^53, and a
 * Kafka id or a nanosecond timestamp is often one. toJsonValue writes them as strings.
 */
const longType = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (v: number | string) => BigInt(v),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint',
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

export function compileAvro(file: SchemaFile): AvroSchema {
  let json: unknown;
  try {
    json = JSON.parse(file.text);
  } catch (err) {
    throw new Error(`${file.name} is not JSON: ${(err as Error).message}`);
  }
  const type = avro.Type.forSchema(json as avro.Schema, { registry: { long: longType }, wrapUnions: 'auto' } as never);
  const typeName = (type as unknown as { name?: string }).name ?? null;
  return { kind: 'avro', name: file.name, type, typeName };
}

/** Decodes a whole buffer as one datum; trailing bytes are an error (the wrong schema, most often). */
export function decodeAvro(schema: AvroSchema, bytes: Uint8Array): unknown {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { value, offset } = schema.type.decode(buf, 0);
  if (offset < 0) throw new Error(`the payload ends before the ${schema.typeName ?? 'Avro'} datum does (${buf.byteLength} bytes)`);
  if (offset !== buf.byteLength) throw new Error(`${buf.byteLength - offset} bytes left after the ${schema.typeName ?? 'Avro'} datum (another schema?)`);
  return value;
}
