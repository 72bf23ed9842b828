import { createRequire } from 'node:module';
import { getLogger } from '../../common/logger.ts';

/**
 * Header tables as they were sent, `__proto__` fields included (issue 14).
 *
 * amqplib decodes a field table by assignment (`fields[key] = val`, lib/codec.js), so a
 * field named `__proto__` never becomes a field: a table, array, bytes or void value turns
 * into the object's prototype, and a string or number value is dropped. The frame bytes
 * still hold it, so for each content header frame (the properties of a delivered,
 * returned or got message) the headers table is walked again here and every `__proto__`
 * field, at any depth, is put back as an own property in its place. Its value is decoded by
 * amqplib itself (a one-field table under a harmless name), so it reads like any other.
 *
 * amqplib keeps the frame decoding in `Connection.prototype.recvFrame` (lib/connection.js,
 * amqplib 2.x); it is wrapped once, per process. If a future amqplib moves it, the wrapper
 * is not installed and headers read as amqplib gives them (a warning says so).
 */

const log = getLogger('amqp');
const PROTO = '__proto__';
const FRAME_HEADER = 2;
const BASIC_PROPERTIES = 60;

type DecodeFields = (slice: Buffer) => Record<string, unknown>;
interface Frame {
  type: number;
  payload: Buffer;
  rest: Buffer;
}
interface ConnectionLike {
  rest: Buffer;
  maxFrameSize: number;
  stream: { read(): Buffer | null };
  recvSinceLastCheck: boolean;
  recvFrame(): unknown;
}

let installed = false;

export function installHeaderTableFix(): void {
  if (installed) return;
  installed = true;
  try {
    const req = createRequire(createRequire(import.meta.url).resolve('amqplib'));
    const { Connection } = req('./lib/connection.js') as { Connection: { prototype: ConnectionLike } };
    const { parseFrame, decodeFrame } = req('./lib/frame.js') as {
      parseFrame: (buf: Buffer, max: number) => Frame | false;
      decodeFrame: (f: Frame) => { fields?: { headers?: unknown } };
    };
    const { decodeFields } = req('./lib/codec.js') as { decodeFields: DecodeFields };
    if (typeof Connection?.prototype?.recvFrame !== 'function' || typeof parseFrame !== 'function' || typeof decodeFrame !== 'function') {
      throw new Error('amqplib has no Connection.prototype.recvFrame');
    }
    // The same steps as amqplib's own recvFrame, plus the fix on content header frames.
    Connection.prototype.recvFrame = function recvFrame(this: ConnectionLike): unknown {
      const frame = parseFrame(this.rest, this.maxFrameSize);
      if (!frame) {
        const incoming = this.stream.read();
        if (incoming === null) return false;
        this.recvSinceLastCheck = true;
        this.rest = Buffer.concat([this.rest, incoming]);
        return this.recvFrame();
      }
      this.rest = frame.rest;
      const decoded = decodeFrame(frame);
      if (frame.type === FRAME_HEADER && frame.payload.readUInt16BE(0) === BASIC_PROPERTIES) {
        const headers = decoded.fields?.headers;
        if (headers && typeof headers === 'object') {
          const raw = headersTable(frame.payload.subarray(12));
          if (raw && raw.includes(PROTO)) decoded.fields!.headers = restore(raw, headers as Record<string, unknown>, decodeFields);
        }
      }
      return decoded;
    };
  } catch (err) {
    log.warn('AMQP headers named __proto__ with a string or number value cannot be recovered with this amqplib', err);
  }
}

/** The raw headers table of a BasicProperties payload (flags, then the fields they announce). */
function headersTable(props: Buffer): Buffer | null {
  const flags = props.readUInt16BE(0);
  if (!(flags & 0x2000)) return null;
  let o = 2;
  if (flags & 0x8000) o += 1 + props[o]!; // content-type
  if (flags & 0x4000) o += 1 + props[o]!; // content-encoding
  const len = props.readUInt32BE(o);
  return props.subarray(o + 4, o + 4 + len);
}

/** Bytes a field value takes after its tag (lib/codec.js decodeFieldValue). */
function valueSize(tag: string, b: Buffer, o: number): number {
  switch (tag) {
    case 't': case 'b': case 'B': return 1;
    case 's': case 'u': return 2;
    case 'I': case 'i': case 'f': return 4;
    case 'D': return 5;
    case 'd': case 'l': case 'T': return 8;
    case 'V': return 0;
    case 'S': case 'x': case 'F': case 'A': return 4 + b.readUInt32BE(o);
    default: throw new TypeError(`Unexpected type tag "${tag}"`);
  }
}

/**
 * Rebuilds `decoded` (amqplib's reading of `table`) in the table's field order, with the
 * `__proto__` fields amqplib lost as own properties. Nested tables are rebuilt the same way.
 */
function restore(table: Buffer, decoded: Record<string, unknown>, decodeFields: DecodeFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let o = 0;
  while (o < table.length) {
    const keyLen = table[o]!;
    const key = table.toString('utf8', o + 1, o + 1 + keyLen);
    const valueAt = o + 1 + keyLen;
    const tag = String.fromCharCode(table[valueAt]!);
    const end = valueAt + 1 + valueSize(tag, table, valueAt + 1);
    let value: unknown;
    if (key === PROTO) {
      // amqplib decodes the value itself, as the only field of a table with a plain name.
      value = decodeFields(Buffer.concat([Buffer.from([1, 0x76]), table.subarray(valueAt, end)])).v;
    } else {
      value = decoded[key];
    }
    if (tag === 'F' && value && typeof value === 'object') {
      const inner = table.subarray(valueAt + 5, end);
      if (inner.includes(PROTO)) value = restore(inner, value as Record<string, unknown>, decodeFields);
    }
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    o = end;
  }
  return out;
}
