import avro from 'avsc';
import type { SchemaFile } from '../../shared/decoders.ts';
import { put } from './to-json.ts';

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

interface Tap {
  buf: Buffer;
  pos: number;
  readLong(): number;
  skipLong(): void;
  readString(): string;
}
interface Readable {
  _read(tap: Tap): unknown;
}

/**
 * avsc reads an array or map block of N items by looping N times and allocates the array
 * up front, even past the end of the bytes: a 10-byte hostile payload declaring 2^50 items
 * took the engine's whole heap (the fuzz case in test/unit/decoders.test.ts). avsc freezes
 * its type objects, so the two readers are replaced on the prototypes, once, for every
 * schema in this process (Flowscope is avsc's only user here): a block may not claim more
 * items than bytes are left (every item but a null takes at least one), and reading stops
 * as soon as the bytes run out. Writing and skipping are untouched.
 */
function boundBlocks(): void {
  const types = avro.types as unknown as { ArrayType: { prototype: Readable & { itemsType: Readable } }; MapType: { prototype: Readable & { valuesType: Readable } } };
  types.ArrayType.prototype._read = function (this: { itemsType: Readable }, tap: Tap): unknown {
    const out: unknown[] = [];
    readBlocks(tap, 'array', () => out.push(this.itemsType._read(tap)));
    return out;
  };
  types.MapType.prototype._read = function (this: { valuesType: Readable }, tap: Tap): unknown {
    const out: Record<string, unknown> = {};
    readBlocks(tap, 'map', () => put(out, tap.readString(), this.valuesType._read(tap)));
    return out;
  };
}
boundBlocks();

function readBlocks(tap: Tap, kind: string, readItem: () => void): void {
  for (;;) {
    let n = tap.readLong();
    if (tap.pos > tap.buf.length) throw new Error(`the payload ends inside an Avro ${kind}`);
    if (n === 0) return;
    if (n < 0) {
      n = -n;
      tap.skipLong();
    }
    if (n > tap.buf.length - tap.pos) throw new Error(`an Avro ${kind} block claims ${n} items, more than the ${tap.buf.length - tap.pos} bytes left`);
    for (let i = 0; i < n; i++) {
      readItem();
      if (tap.pos > tap.buf.length) throw new Error(`the payload ends inside an Avro ${kind}`);
    }
  }
}

/** Decodes a whole buffer as one datum; trailing bytes are an error (the wrong schema, most often). */
export function decodeAvro(schema: AvroSchema, bytes: Uint8Array): unknown {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let decoded: { value: unknown; offset: number };
  try {
    decoded = schema.type.decode(buf, 0);
  } catch (err) {
    // A block reader noticed first that the bytes ran out: say it as a short payload.
    if ((err as Error).message.startsWith('the payload ends')) decoded = { value: undefined, offset: -1 };
    else throw err;
  }
  const { value, offset } = decoded;
  if (offset < 0) throw new Error(`the payload ends before the ${schema.typeName ?? 'Avro'} datum does (${buf.byteLength} bytes)`);
  if (offset !== buf.byteLength) throw new Error(`${buf.byteLength - offset} bytes left after the ${schema.typeName ?? 'Avro'} datum (another schema?)`);
  return value;
}
