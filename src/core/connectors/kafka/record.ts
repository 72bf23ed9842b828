import { isUtf8 } from 'node:buffer';
import type { CapturedMessage, JsonValue } from '../../../shared/model.ts';
import { UNDECODABLE_HEADER } from './codecs.ts';
import { kafkaStampSource, plausibleStamp } from '../../common/event-time.ts';
import { setOwn } from '../../common/own-key.ts';

/** The parts of a kafkajs record (RecordBatchEntry) the tap reads. */
export interface KafkaRecord {
  offset: string;
  timestamp: string;
  key?: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | null | undefined>;
  batchContext?: { timestampType?: number; inTransaction?: boolean };
}

const EMPTY = new Uint8Array(0);

/**
 * kafkajs/src/protocol/timestampTypes.js: the record batch decoder reads bit 3 of the batch
 * attributes into `batchContext.timestampType`. Legacy message sets (format v0/v1) have no
 * batch context: their type stays unknown.
 */
const TIMESTAMP_TYPES: Record<number, string | undefined> = { 0: 'CreateTime', 1: 'LogAppendTime' };

/**
 * The meta of a record with a readable body depends only on its batch's timestamp type and
 * transaction flag and on whether it is a tombstone: one frozen object per combination,
 * shared by every record that has it, instead of one per record (issue 12: the store's batch
 * codec also writes a meta it saw just before by reference, not as JSON again). Frozen,
 * because a shared object must never be changed for one message.
 */
const SHARED_META = new Map<string, Readonly<Record<string, JsonValue>>>();

function sharedMeta(timestampType: string | undefined, transactional: boolean, tombstone: boolean): Record<string, JsonValue> {
  const k = `${timestampType ?? ''}|${transactional ? 't' : ''}|${tombstone ? 't' : ''}`;
  let meta = SHARED_META.get(k);
  if (!meta) {
    // The keys in the order the stored JSON has always had them.
    const m: Record<string, JsonValue> = {};
    if (timestampType !== undefined) m.timestampType = timestampType;
    if (transactional) m.transactional = true;
    if (tombstone) m.tombstone = true;
    meta = Object.freeze(m);
    SHARED_META.set(k, meta);
  }
  return meta as Record<string, JsonValue>;
}

/** Meta objects by batch context: the records of one batch share it (kafkajs hands each the same object). */
const metaByContext = new WeakMap<object, { value: Record<string, JsonValue>; tombstone: Record<string, JsonValue> }>();
const NO_CONTEXT = { value: sharedMeta(undefined, false, false), tombstone: sharedMeta(undefined, false, true) };

function metasOf(ctx: KafkaRecord['batchContext']): { value: Record<string, JsonValue>; tombstone: Record<string, JsonValue> } {
  if (!ctx) return NO_CONTEXT;
  let metas = metaByContext.get(ctx);
  if (!metas) {
    const type = ctx.timestampType !== undefined ? TIMESTAMP_TYPES[ctx.timestampType] : undefined;
    const tx = Boolean(ctx.inTransaction);
    metas = { value: sharedMeta(type, tx, false), tombstone: sharedMeta(type, tx, true) };
    metaByContext.set(ctx, metas);
  }
  return metas;
}

/**
 * Turns one record seen in a partition into a captured `publish` fact, event time included
 * (the object is built whole: fields added later cost a copy of its property store).
 */
export function toCaptured(
  endpoint: string,
  topic: string,
  partition: number,
  rec: KafkaRecord,
  now: number,
): CapturedMessage {
  const metas = metasOf(rec.batchContext);
  const undecodable = rec.headers?.[UNDECODABLE_HEADER];
  let meta: Record<string, JsonValue>;
  if (undecodable !== undefined) {
    // A placeholder for a batch no decoder could read (see codecs.ts): the record exists at
    // this offset, but its key, value and headers are unknown.
    meta = { ...metas.value, undecodable: headerValue(undecodable as Buffer) };
  } else {
    meta = rec.value === null ? metas.tombstone : metas.value;
  }

  const ts = Number(rec.timestamp);
  const brokerTime = Number.isFinite(ts) && ts >= 0 ? ts : null;
  const stamped = plausibleStamp(brokerTime);
  return {
    time: now,
    brokerTime,
    eventTime: stamped ? brokerTime : now,
    eventTimeSource: stamped ? kafkaStampSource(meta.timestampType) : 'capture',
    transport: 'kafka',
    endpoint,
    event: 'publish',
    destKind: 'topic',
    destination: topic,
    partition,
    offset: rec.offset,
    key: rec.key ?? null,
    headers: undecodable === undefined ? encodeHeaders(rec.headers) : null,
    payload: rec.value ?? EMPTY,
    meta,
  };
}

/** What reading a name on a fresh plain object gives: Object.prototype's members, `__proto__` included. */
const PLAIN: Record<string, unknown> = {};

/**
 * Kafka header values are bytes. They are stored as text when they are valid UTF-8, else as
 * `{ $base64 }`; a key repeated in one record becomes an array, in record order. Every name
 * is stored as it came, `__proto__` and `toString` too (see setOwn).
 */
export function encodeHeaders(headers: KafkaRecord['headers']): Record<string, JsonValue> | null {
  if (!headers) return null;
  let out: Record<string, JsonValue> | null = null;
  for (const name of Object.keys(headers)) {
    let v = headers[name];
    if (v === undefined) continue;
    // kafkajs's own record decoder (the fallback for batches ours does not read) folds a
    // record's headers by reading `obj[name]` on a plain object: a name Object.prototype
    // has (`toString`, `constructor`, `__proto__`) starts from the inherited member, so a
    // header sent once reads `[member, value]`. The member is never a header's bytes.
    if (Array.isArray(v) && v[0] === PLAIN[name] && name in PLAIN) v = v.length === 2 ? v[1]! : v.slice(1);
    out ??= {};
    setOwn(out, name, Array.isArray(v) ? v.map(headerValue) : headerValue(v));
  }
  return out;
}

function headerValue(v: Buffer | string | null): JsonValue {
  if (v === null) return null;
  if (typeof v === 'string') return v;
  return isUtf8(v) ? v.toString('utf8') : { $base64: v.toString('base64') };
}
