import { isUtf8 } from 'node:buffer';
import type { CapturedMessage, JsonValue } from '../../../shared/model.ts';
import { UNDECODABLE_HEADER } from './codecs.ts';
import { resolveEventTime } from '../../common/event-time.ts';

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
const TIMESTAMP_TYPES: Record<number, string> = { 0: 'CreateTime', 1: 'LogAppendTime' };

/** Turns one record seen in a partition into a captured `publish` fact. */
export function toCaptured(
  endpoint: string,
  topic: string,
  partition: number,
  rec: KafkaRecord,
  now: number,
): CapturedMessage {
  const meta: Record<string, JsonValue> = {};
  const tsType = rec.batchContext?.timestampType;
  if (tsType !== undefined && TIMESTAMP_TYPES[tsType]) meta.timestampType = TIMESTAMP_TYPES[tsType];
  if (rec.batchContext?.inTransaction) meta.transactional = true;

  const undecodable = rec.headers?.[UNDECODABLE_HEADER];
  if (undecodable !== undefined) {
    // A placeholder for a batch no decoder could read (see codecs.ts): the record exists at
    // this offset, but its key, value and headers are unknown.
    meta.undecodable = headerValue(undecodable as Buffer);
  } else if (rec.value === null) {
    meta.tombstone = true;
  }

  const ts = Number(rec.timestamp);
  const msg: CapturedMessage = {
    time: now,
    brokerTime: Number.isFinite(ts) && ts >= 0 ? ts : null,
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
  const event = resolveEventTime(msg);
  msg.eventTime = event.eventTime;
  msg.eventTimeSource = event.eventTimeSource;
  return msg;
}

/**
 * Kafka header values are bytes. They are stored as text when they are valid UTF-8, else as
 * `{ $base64 }`; a key repeated in one record becomes an array, in record order.
 */
export function encodeHeaders(headers: KafkaRecord['headers']): Record<string, JsonValue> | null {
  if (!headers) return null;
  let out: Record<string, JsonValue> | null = null;
  for (const name of Object.keys(headers)) {
    const v = headers[name];
    if (v === undefined) continue;
    out ??= {};
    out[name] = Array.isArray(v) ? v.map(headerValue) : headerValue(v);
  }
  return out;
}

function headerValue(v: Buffer | string | null): JsonValue {
  if (v === null) return null;
  if (typeof v === 'string') return v;
  return isUtf8(v) ? v.toString('utf8') : { $base64: v.toString('base64') };
}
