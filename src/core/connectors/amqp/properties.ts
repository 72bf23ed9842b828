import { types } from 'node:util';
import type { JsonValue } from '../../../shared/model.ts';
import { setOwn } from '../../common/own-key.ts';

/**
 * AMQP basic properties → CapturedMessage fields. The same mapping serves consumed
 * messages (amqplib's camelCase `properties`) and firehose trace messages, whose
 * `properties` header is the original property table in AMQP's snake_case names.
 */

export interface MappedProperties {
  properties: Record<string, JsonValue> | null;
  headers: Record<string, JsonValue> | null;
  correlationId: string | null;
  messageId: string | null;
  replyTo: string | null;
  brokerTime: number | null;
}

const SNAKE_TO_CAMEL: Record<string, string> = {
  content_type: 'contentType',
  content_encoding: 'contentEncoding',
  delivery_mode: 'deliveryMode',
  priority: 'priority',
  correlation_id: 'correlationId',
  reply_to: 'replyTo',
  expiration: 'expiration',
  message_id: 'messageId',
  timestamp: 'timestamp',
  type: 'type',
  user_id: 'userId',
  app_id: 'appId',
  cluster_id: 'clusterId',
};

/** Maps amqplib's `message.properties` (camelCase, undefined when absent). */
export function mapProperties(props: Record<string, unknown> | undefined): MappedProperties {
  const out: Record<string, JsonValue> = {};
  let headers: Record<string, JsonValue> | null = null;
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null) continue;
      if (k === 'headers') {
        headers = toJsonObject(v);
        continue;
      }
      out[k] = toJson(v);
    }
  }
  return finish(out, headers);
}

/** Maps the `properties` table a firehose trace message carries in its headers. */
export function mapTraceProperties(table: unknown): MappedProperties {
  const out: Record<string, JsonValue> = {};
  let headers: Record<string, JsonValue> | null = null;
  if (table && typeof table === 'object') {
    for (const [k, v] of Object.entries(table as Record<string, unknown>)) {
      if (v === undefined || v === null) continue;
      if (k === 'headers') {
        headers = toJsonObject(v);
        continue;
      }
      out[SNAKE_TO_CAMEL[k] ?? k] = toJson(v);
    }
  }
  return finish(out, headers);
}

function finish(props: Record<string, JsonValue>, headers: Record<string, JsonValue> | null): MappedProperties {
  const str = (v: JsonValue | undefined): string | null => (v === undefined || v === null ? null : String(v));
  return {
    properties: Object.keys(props).length ? props : null,
    // An empty table is what most clients send when they set no headers: keep null for "none".
    headers: headers && Object.keys(headers).length ? headers : null,
    correlationId: str(props.correlationId),
    messageId: str(props.messageId),
    replyTo: str(props.replyTo),
    brokerTime: brokerStampMs(headers) ?? timestampMs(props.timestamp),
  };
}

/**
 * RabbitMQ's message timestamp interceptor (`message_interceptors.incoming.set_header_timestamp`,
 * formerly the rabbitmq_message_timestamp plugin) stamps `timestamp_in_ms` on arrival: the
 * broker's clock in milliseconds, finer than the whole-second `timestamp` property.
 */
function brokerStampMs(headers: Record<string, JsonValue> | null): number | null {
  const v = headers?.timestamp_in_ms;
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null;
}

/**
 * The AMQP timestamp property is POSIX seconds by the spec, but some clients put
 * milliseconds in it. Values past year 5138 in seconds (1e11) are taken as milliseconds.
 */
export function timestampMs(v: JsonValue | undefined): number | null {
  let n: number | null = null;
  if (typeof v === 'number') n = v;
  else if (v && typeof v === 'object' && !Array.isArray(v) && typeof v.value === 'number') n = v.value;
  if (n === null || !Number.isFinite(n) || n <= 0) return null;
  return n < 1e11 ? n * 1000 : n;
}

function toJsonObject(v: unknown): Record<string, JsonValue> | null {
  const j = toJson(v);
  return j && typeof j === 'object' && !Array.isArray(j) ? j : null;
}

/**
 * JSON-safe copy of an AMQP field value: binary → `{ $base64 }`, bigint → string, NaN → string.
 * Every field name of a table is stored exactly, and none (`__proto__`, `constructor`) can
 * change the object it lands in (see setOwn).
 */
export function toJson(v: unknown): JsonValue {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) ? v : String(v);
    case 'bigint':
      return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    case 'object':
      break;
    default:
      return String(v);
  }
  // Not `instanceof`: a table whose prototype a `__proto__` field replaced (below) would pass it.
  if (types.isUint8Array(v)) return { $base64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  if (types.isDate(v)) return v.getTime();
  if (Array.isArray(v)) return v.map(toJson);
  const out: Record<string, JsonValue> = {};
  for (const k of Object.keys(v)) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) setOwn(out, k, toJson(x));
  }
  // amqplib decodes a table by assignment (`fields[key] = val`), so a `__proto__` field whose
  // value is a table, an array, bytes or void became the table's prototype instead of a
  // field. Message headers get it back in place from the frame (raw-headers.ts); any other
  // table (a nested one in an array) still has it recovered from the prototype here.
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && !Object.hasOwn(out, '__proto__')) setOwn(out, '__proto__', toJson(proto));
  return out;
}
