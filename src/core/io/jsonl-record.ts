import type {
  CapturedMessage,
  DestinationKind,
  EventTimeSource,
  JsonValue,
  MessageEventKind,
  StoredMessage,
  Transport,
} from '../../shared/model.ts';
import { EVENT_TIME_SOURCES, MESSAGE_EVENTS } from '../../shared/model.ts';
import { isUtf8 } from 'node:buffer';
import { ImportLineError, decodeBase64 } from './lines.ts';
import { MAX_JSON_DEPTH, exactIntegerProblem, int64Problem, nestedDeeperThan, partitionProblem, timeProblem } from './validate.ts';

/**
 * One line of Flowscope's JSON Lines format (the CLI's `export`/`import` and the UI's).
 *
 * Bytes: `payload`/`key` hold text when the bytes are valid UTF-8, else `payloadBase64`/
 * `keyBase64` hold them base64-encoded, so every byte survives a round trip.
 * Time: `time` is ISO 8601 with milliseconds for people and tools; `timeMs` is the exact
 * epoch time (capture times have sub-millisecond precision), and wins on import. Event time
 * likewise: `eventTime` (ISO 8601), `eventTimeMs`, and `eventTimeSource`; a line without it
 * gets one from `brokerTime` and `meta.timestampType` as a recording would.
 * `headers`, `properties` and `meta` are the JSON stored in the session (binary values as
 * `{ "$base64": … }`). Offsets are decimal strings (int64).
 */
export function toJsonlRecord(m: StoredMessage): Record<string, unknown> {
  const r: Record<string, unknown> = {
    seq: m.seq,
    // A time no calendar shows (in a session from an older, unvalidated import) is left to timeMs.
    time: timeProblem(m.time) ? null : new Date(m.time).toISOString(),
    timeMs: m.time,
    eventTime: timeProblem(m.eventTime ?? m.time) ? null : new Date(m.eventTime ?? m.time).toISOString(),
    eventTimeMs: m.eventTime ?? m.time,
    eventTimeSource: m.eventTimeSource ?? 'capture',
    transport: m.transport,
    endpoint: m.endpoint,
    event: m.event,
    destKind: m.destKind,
    destination: m.destination,
  };
  if (m.partition !== null && m.partition !== undefined) r.partition = m.partition;
  if (m.offset !== null && m.offset !== undefined) r.offset = m.offset;
  if (m.routingKey !== null && m.routingKey !== undefined) r.routingKey = m.routingKey;
  if (m.connection !== null && m.connection !== undefined) r.connection = m.connection;
  if (m.key) putBytes(r, 'key', m.key);
  if (m.headers) r.headers = m.headers;
  if (m.properties) r.properties = m.properties;
  if (m.correlationId !== null && m.correlationId !== undefined) r.correlationId = m.correlationId;
  if (m.replyTo !== null && m.replyTo !== undefined) r.replyTo = m.replyTo;
  if (m.messageId !== null && m.messageId !== undefined) r.messageId = m.messageId;
  if (m.brokerTime !== null && m.brokerTime !== undefined) r.brokerTime = m.brokerTime;
  if (m.meta) r.meta = m.meta;
  r.size = m.payload.byteLength;
  putBytes(r, 'payload', m.payload);
  return r;
}

function putBytes(r: Record<string, unknown>, field: 'key' | 'payload', bytes: Uint8Array): void {
  // Not TextDecoder: it drops a leading byte-order mark, and a BOM is a byte to keep.
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isUtf8(buf)) r[field] = buf.toString('utf8');
  else r[`${field}Base64`] = buf.toString('base64');
}

const TRANSPORTS: readonly Transport[] = ['kafka', 'amqp', 'ws', 'mqtt', 'nats'];
const DEST_KINDS: readonly DestinationKind[] = ['topic', 'exchange', 'queue', 'socket'];

/** Validates one parsed line and turns it into a message; every problem names the line and the field. */
export function fromJsonlRecord(o: Record<string, unknown>, line: number): CapturedMessage {
  const fail = (problem: string): never => {
    throw new ImportLineError(line, problem);
  };
  const required = (name: string): unknown => {
    if (o[name] === undefined || o[name] === null) fail(`missing "${name}"`);
    return o[name];
  };
  const str = (name: string): string | null => {
    const v = o[name];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string') fail(`"${name}" must be a string`);
    return v as string;
  };
  const obj = (name: string): Record<string, JsonValue> | null => {
    const v = o[name];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'object' || Array.isArray(v)) fail(`"${name}" must be a JSON object`);
    if (nestedDeeperThan(v)) fail(`"${name}" is nested deeper than ${MAX_JSON_DEPTH} levels`);
    return v as Record<string, JsonValue>;
  };

  const transport = required('transport');
  if (!TRANSPORTS.includes(transport as Transport)) fail(`"transport" must be one of ${TRANSPORTS.join(', ')}`);
  const event = required('event');
  if (!MESSAGE_EVENTS.includes(event as MessageEventKind)) fail(`"event" must be one of ${MESSAGE_EVENTS.join(', ')}`);
  const destination = required('destination');
  if (typeof destination !== 'string') fail('"destination" must be a string');
  const destKind = o.destKind ?? defaultDestKind(transport as Transport, event as MessageEventKind);
  if (!DEST_KINDS.includes(destKind as DestinationKind)) fail(`"destKind" must be one of ${DEST_KINDS.join(', ')}`);

  const partition = o.partition ?? null;
  const partitionBad = partition === null ? null : partitionProblem(partition);
  if (partitionBad) fail(`"partition" ${partitionBad}`);
  const offset = offsetOf(o.offset, fail);

  const msg: CapturedMessage = {
    time: timeOf(o, fail),
    brokerTime: brokerTimeOf(o.brokerTime, fail),
    transport: transport as Transport,
    endpoint: str('endpoint') ?? 'import',
    event: event as MessageEventKind,
    destKind: destKind as DestinationKind,
    destination: destination as string,
    partition: partition as number | null,
    offset,
    routingKey: str('routingKey'),
    connection: str('connection'),
    key: bytesOf(o, 'key', line, fail),
    headers: obj('headers'),
    properties: obj('properties'),
    payload: bytesOf(o, 'payload', line, fail) ?? new Uint8Array(0),
    correlationId: str('correlationId'),
    messageId: str('messageId'),
    replyTo: str('replyTo'),
    meta: obj('meta'),
  };
  const eventTime = eventTimeOf(o, fail);
  if (eventTime !== null) {
    msg.eventTime = eventTime;
    msg.eventTimeSource = eventSourceOf(o.eventTimeSource, fail);
  }
  return msg;
}

function offsetOf(v: unknown, fail: (p: string) => never): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') {
    const bad = exactIntegerProblem(v);
    if (bad) fail(`"offset" ${shown(v)} ${bad}`);
  } else if (typeof v !== 'string') {
    fail('"offset" must be an integer (a decimal string or a number)');
  }
  const text = String(v);
  const bad = int64Problem(text);
  return bad ? fail(`"offset" ${shown(v)} ${bad}`) : text;
}

/** A value as quoted in an error message, cut short. */
function shown(v: unknown): string {
  return (JSON.stringify(v) ?? String(v)).slice(0, 60);
}

/** A time, refused unless a calendar can show it. */
function validTime(ms: number, field: string, fail: (p: string) => never): number {
  const bad = timeProblem(ms);
  return bad ? fail(`"${field}" ${shown(ms)} ${bad}`) : ms;
}

function defaultDestKind(transport: Transport, event: MessageEventKind): DestinationKind {
  if (transport === 'kafka' || transport === 'mqtt' || transport === 'nats') return 'topic';
  if (transport === 'ws') return 'socket';
  return event === 'deliver' ? 'queue' : 'exchange';
}

function timeOf(o: Record<string, unknown>, fail: (p: string) => never): number {
  if (typeof o.timeMs === 'number') return validTime(o.timeMs, 'timeMs', fail);
  if (o.timeMs !== undefined) fail('"timeMs" must be a number (epoch milliseconds)');
  const t = o.time;
  if (t === undefined || t === null) return fail('missing "time"');
  if (typeof t === 'number') return validTime(t, 'time', fail);
  if (typeof t === 'string') {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return validTime(ms, 'time', fail);
  }
  return fail(`"time" must be an ISO 8601 date or epoch milliseconds, found ${shown(t)}`);
}

function eventTimeOf(o: Record<string, unknown>, fail: (p: string) => never): number | null {
  if (typeof o.eventTimeMs === 'number') return validTime(o.eventTimeMs, 'eventTimeMs', fail);
  if (o.eventTimeMs !== undefined && o.eventTimeMs !== null) fail('"eventTimeMs" must be a number (epoch milliseconds)');
  const t = o.eventTime;
  if (t === undefined || t === null) return null;
  if (typeof t === 'number') return validTime(t, 'eventTime', fail);
  if (typeof t === 'string' && Number.isFinite(Date.parse(t))) return validTime(Date.parse(t), 'eventTime', fail);
  return fail(`"eventTime" must be an ISO 8601 date or epoch milliseconds, found ${shown(t)}`);
}

function eventSourceOf(v: unknown, fail: (p: string) => never): EventTimeSource {
  if (v === undefined || v === null) return 'capture';
  if (EVENT_TIME_SOURCES.includes(v as EventTimeSource)) return v as EventTimeSource;
  return fail(`"eventTimeSource" must be one of ${EVENT_TIME_SOURCES.join(', ')}`);
}

function brokerTimeOf(v: unknown, fail: (p: string) => never): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return validTime(v, 'brokerTime', fail);
  if (typeof v === 'string' && Number.isFinite(Date.parse(v))) return validTime(Date.parse(v), 'brokerTime', fail);
  return fail('"brokerTime" must be epoch milliseconds or an ISO 8601 date');
}

function bytesOf(
  o: Record<string, unknown>,
  field: 'key' | 'payload',
  line: number,
  fail: (p: string) => never,
): Uint8Array | null {
  const text = o[field];
  const b64 = o[`${field}Base64`];
  if (text !== undefined && text !== null && b64 !== undefined && b64 !== null) {
    fail(`both "${field}" and "${field}Base64" are set; keep one`);
  }
  if (b64 !== undefined && b64 !== null) {
    if (typeof b64 !== 'string') fail(`"${field}Base64" must be a string`);
    return decodeBase64(b64 as string, `${field}Base64`, line);
  }
  if (text === undefined || text === null) return null;
  if (typeof text === 'string') return Buffer.from(text, 'utf8');
  // A hand-written file may hold a JSON payload as an object: keep its JSON text.
  if (field === 'payload' && typeof text === 'object') {
    if (nestedDeeperThan(text)) fail(`"payload" is nested deeper than ${MAX_JSON_DEPTH} levels`);
    return Buffer.from(JSON.stringify(text), 'utf8');
  }
  return fail(`"${field}" must be a string`);
}
