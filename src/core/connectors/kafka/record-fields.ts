import type { KafkaRecord } from './record.ts';

/**
 * The fields of one record of a record batch (format v2), read as kafkajs 2.2.4's record
 * decoder reads them (protocol/recordBatch/record/v0/decoder.js), for record-batch.ts: the
 * varints with kafkajs's arithmetic, keys and values as views of the same bytes, headers
 * folded as kafkajs folds them, offset and timestamp as the decimal strings kafkajs prints,
 * summed as numbers while they stay exact. A record holding anything a broker does not write
 * (a length past the record's end, an over-long varint) is left to kafkajs's own decoder.
 */

/** A record as kafkajs's record decoder returns it (the tap reads the KafkaRecord fields). */
export interface DecodedRecord extends KafkaRecord {
  magicByte: number;
  attributes: number;
  headers: NonNullable<KafkaRecord['headers']>;
  isControlRecord: boolean;
}

/** What kafkajs hands every record of a batch as `batchContext`. */
export interface BatchContext {
  firstOffset: string;
  firstTimestamp: string;
  partitionLeaderEpoch: number;
  inTransaction: boolean;
  isControlBatch: boolean;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  maxTimestamp: string;
  timestampType: number;
  magicByte: number;
}

/** A batch's sums in numbers when they stay exact, else null (BigInt then). */
export interface Bases {
  offset: number | null;
  offsetBig: bigint;
  timestamp: number | null;
  timestampBig: bigint;
}

const LOG_APPEND_TIME = 1;

/** A varint or record the fast path does not read as a broker writes it. */
const ODD = -0x80000000;

/** The sums of a batch whose first offset and timestamp are these. */
export function basesOf(offset: bigint, timestamp: bigint): Bases {
  return { offset: safe(offset), offsetBig: offset, timestamp: safe(timestamp), timestampBig: timestamp };
}

/**
 * Reads the record whose length varint starts at `at` into `out` and returns where the next
 * one starts, or -1 (nothing read) when kafkajs's decoder must read it.
 */
export function readRecord(buf: Buffer, at: number, ctx: BatchContext, bases: Bases, out: DecodedRecord[]): number {
  const len = varint(buf, at, buf.length);
  if (len === ODD || len < 0 || cursor + len > buf.length) return -1;
  const end = cursor + len;
  const r = fast(buf, cursor, end, ctx, bases);
  if (!r) return -1;
  out.push(r);
  return end;
}

/** Set by varint and varlong: the position after what they read. */
let cursor = 0;

/**
 * A record's body (after its length) read as kafkajs's record decoder reads it, or null when
 * it holds anything a broker does not write (kafkajs's decoder reads it then).
 */
function fast(buf: Buffer, start: number, end: number, ctx: BatchContext, bases: Bases): DecodedRecord | null {
  if (start >= end) return null;
  const attributes = buf.readInt8(start);
  const tsDelta = varlong(buf, start + 1, end);
  if (tsDelta === ODD) return null;
  const offsetDelta = varint(buf, cursor, end);
  if (offsetDelta === ODD) return null;
  const key = bytes(buf, cursor, end);
  if (key === undefined) return null;
  const value = bytes(buf, cursor, end);
  if (value === undefined) return null;
  const headerCount = varint(buf, cursor, end);
  if (headerCount === ODD || headerCount < -1) return null;
  let headers: DecodedRecord['headers'] = {};
  if (headerCount > 0) {
    const read = readHeaders(buf, cursor, end, headerCount);
    if (read === null) return null;
    headers = read;
  }
  const timestamp =
    ctx.timestampType === LOG_APPEND_TIME && ctx.maxTimestamp ? ctx.maxTimestamp : sum(bases.timestamp, bases.timestampBig, tsDelta);
  return {
    magicByte: ctx.magicByte,
    attributes,
    timestamp,
    offset: sum(bases.offset, bases.offsetBig, offsetDelta),
    key,
    value,
    headers,
    isControlRecord: ctx.isControlBatch,
    batchContext: ctx,
  };
}

/** Length-prefixed bytes at `p` (a view, as kafkajs's slice), null for length -1, undefined when odd. */
function bytes(buf: Buffer, p: number, end: number): Buffer | null | undefined {
  const n = varint(buf, p, end);
  if (n === ODD || n < -1) return undefined;
  if (n === -1) return null;
  const from = cursor;
  if (from + n > end) return undefined;
  cursor = from + n;
  return buf.subarray(from, from + n);
}

/**
 * Header keys and values, folded into an object as kafkajs folds them: a key seen again
 * becomes an array, in record order. Unlike kafkajs, only the record's own headers count: a
 * name Object.prototype has (`toString`, `__proto__`) reads its own value, where kafkajs's
 * reduce starts from the inherited member (`[Object.prototype.toString, value]`).
 */
function readHeaders(buf: Buffer, start: number, end: number, count: number): DecodedRecord['headers'] | null {
  const obj: Record<string, unknown> = {};
  cursor = start;
  for (let i = 0; i < count; i++) {
    const keyBytes = bytes(buf, cursor, end);
    if (keyBytes === undefined) return null;
    const key = String(keyBytes === null ? null : keyBytes.toString('utf8'));
    const value = bytes(buf, cursor, end);
    if (value === undefined) return null;
    const prev = Object.hasOwn(obj, key) ? obj[key] : undefined;
    const v = prev === undefined ? value : Array.isArray(prev) ? prev.concat([value]) : [prev, value];
    // kafkajs spreads into a new object with a computed key: an own property, __proto__ too.
    if (key === '__proto__') Object.defineProperty(obj, key, { value: v, writable: true, enumerable: true, configurable: true });
    else obj[key] = v;
  }
  return obj as DecodedRecord['headers'];
}

/**
 * kafkajs's readVarInt (zigzag, 32-bit arithmetic) for a varint of at most 5 bytes that ends
 * before `end`, else ODD. Sets `cursor`.
 */
function varint(buf: Buffer, p: number, end: number): number {
  let result = 0;
  for (let shift = 0; shift <= 28; shift += 7) {
    if (p >= end) return ODD;
    const byte = buf[p++]!;
    result += (byte & 0x7f) << shift;
    if (byte < 0x80) {
      cursor = p;
      return (result >>> 1) ^ -(result & 1);
    }
  }
  return ODD;
}

/** kafkajs's readVarLong (zigzag, 64-bit) for a varlong of at most 7 bytes (exact in a double), else ODD. Sets `cursor`. */
function varlong(buf: Buffer, p: number, end: number): number {
  let result = 0;
  let scale = 1;
  for (let i = 0; i < 7; i++) {
    if (p >= end) return ODD;
    const byte = buf[p++]!;
    result += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      cursor = p;
      return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
    }
    scale *= 128;
  }
  return ODD;
}

function safe(v: bigint): number | null {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

/** base + delta as kafkajs prints it (String of a BigInt sum): the same digits from a safe number sum. */
function sum(base: number | null, baseBig: bigint, delta: number): string {
  if (base !== null) {
    const s = base + delta;
    if (Number.isSafeInteger(s)) return String(s);
  }
  return String(baseBig + BigInt(delta));
}
