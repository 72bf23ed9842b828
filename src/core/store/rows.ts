import type { CapturedMessage, EventTimeSource, GroupOffset, JsonValue, MessageRow, StoredMessage } from '../../shared/model.ts';
import { previewPayload } from '../decode/payload.ts';
import { KEY_PREVIEW_BYTES, PREVIEW_BYTES } from '../common/constants.ts';
import { refHash, textHash } from './ref-hash.ts';
import { NAME_COLUMNS } from './name-ids.ts';

export interface Row {
  seq: number;
  time: number;
  broker_time: number | null;
  event_time: number;
  event_time_source: string;
  transport: string;
  endpoint: string;
  event: string;
  dest_kind: string;
  destination: string;
  partition: number | null;
  offset: string | null;
  routing_key: string | null;
  connection: string | null;
  key: Buffer | null;
  headers: string | null;
  properties: string | null;
  payload?: Buffer;
  head?: Buffer;
  /** The decoded payload as JSON text, in a session with decoder rules (decoded-sql.ts). */
  decoded?: string | null;
  size: number;
  correlation_id: string | null;
  message_id: string | null;
  reply_to: string | null;
  meta: string | null;
}

/**
 * What a file's schema version changes for its queries: where event time is read (its own
 * columns, or capture time in a file of schema version 1), and whether keys and correlation
 * ids are indexed by hash (schema 3, see ref-hash.ts).
 */
export interface EventColumns {
  time: string;
  source: string;
  hashedRefs: boolean;
  /** Schema 4: keys are found through the `key_refs` side table (key-refs.ts). */
  keyRefs: boolean;
  /** Schema 5: capture and event time are found through the `time_blocks` table (time-blocks.ts). */
  timeBlocks: boolean;
  /** Schema 6: names are stored as ids into `names`, in `message_rows` (name-ids.ts). */
  nameIds: boolean;
}
export const NAME_IDS_COLUMNS: EventColumns = { time: 'event_time', source: 'event_time_source', hashedRefs: true, keyRefs: true, timeBlocks: true, nameIds: true };
export const TIME_BLOCKS_COLUMNS: EventColumns = { ...NAME_IDS_COLUMNS, nameIds: false };
export const KEY_REFS_COLUMNS: EventColumns = { ...TIME_BLOCKS_COLUMNS, timeBlocks: false };
export const HASHED_COLUMNS: EventColumns = { ...KEY_REFS_COLUMNS, keyRefs: false };
export const EVENT_COLUMNS: EventColumns = { ...HASHED_COLUMNS, hashedRefs: false };
export const V1_EVENT_COLUMNS: EventColumns = { ...EVENT_COLUMNS, time: 'time', source: "'capture'" };

/** The columns every row read selects. */
export function rowColumns(e: EventColumns): string {
  return selectList(e, 'key, ');
}

/**
 * The columns the analysis reads a whole session with: every row column but the record key,
 * which no part of the analysis reads (issue 12: a Buffer per row cost ~25% of the read).
 */
export function analysisColumns(e: EventColumns): string {
  return selectList(e, '');
}

function selectList(e: EventColumns, key: string): string {
  // Schema 6: the names' ids, under the names' own column names; the reader puts the names
  // in (NameCache), which costs less than the view's lookup of each name a row.
  const n = (c: string): string => (e.nameIds ? `${c}_id AS ${c}` : c);
  // offset is read as text: it is an int64 and a JS number would round it past 2^53.
  return `seq, time, broker_time, ${e.time} AS event_time, ${e.nameIds ? n('event_time_source') : `${e.source} AS event_time_source`}, ${n('transport')}, ${n('endpoint')}, ${n('event')},
  ${n('dest_kind')}, ${n('destination')}, partition, CAST(offset AS TEXT) AS offset, routing_key, connection, ${key}headers, properties, size,
  correlation_id, message_id, reply_to, meta`;
}

function json(v: unknown): string | null {
  return v === null || v === undefined ? null : JSON.stringify(v);
}

/** The INSERT statement toParams fills. */
export const INSERT_SQL = `INSERT INTO messages (seq, time, broker_time, event_time, event_time_source, transport, endpoint,
  event, dest_kind, destination, partition, offset, routing_key, connection, key, headers, properties, payload, size,
  correlation_id, message_id, reply_to, meta)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** INSERT_SQL for a file of schema 3: the hashes of key and correlation id follow (refHashes). */
export const INSERT_SQL_HASHED = INSERT_SQL.replace('reply_to, meta)', 'reply_to, meta, key_hash, correlation_hash)').replace(/\?\)$/, '?, ?, ?)');

/**
 * INSERT_SQL_HASHED for a file of schema 6: the same parameters, into `message_rows`, with
 * ids for the names (NameIds.toIds turns toParams's names into them).
 */
export const INSERT_SQL_IDS = INSERT_SQL_HASHED.replace('INSERT INTO messages', 'INSERT INTO message_rows').replace(
  new RegExp(`\\b(${NAME_COLUMNS.join('|')})\\b(?=,)`, 'g'),
  '$1_id',
);

/** The two hash parameters of INSERT_SQL_HASHED, after toParams's. */
export function refHashes(key: Uint8Array | null | undefined, correlationId: string | null | undefined): [number | null, number | null] {
  return [key ? refHash(key) : null, correlationId === null || correlationId === undefined ? null : textHash(correlationId)];
}

/**
 * Insert parameters in column order (see INSERT_SQL, and INSERT_SQL_HASHED when `hashed`);
 * the message's event time is already stamped.
 */
export function toParams(seq: number, m: CapturedMessage, hashed = false): unknown[] {
  const params = base(seq, m);
  if (hashed) params.push(...refHashes(m.key, m.correlationId));
  return params;
}

function base(seq: number, m: CapturedMessage): unknown[] {
  return [
    seq,
    m.time,
    m.brokerTime ?? null,
    m.eventTime ?? m.time,
    m.eventTimeSource ?? 'capture',
    m.transport,
    m.endpoint,
    m.event,
    m.destKind,
    m.destination,
    m.partition ?? null,
    m.offset === null || m.offset === undefined ? null : BigInt(m.offset),
    m.routingKey ?? null,
    m.connection ?? null,
    m.key ? Buffer.from(m.key.buffer, m.key.byteOffset, m.key.byteLength) : null,
    json(m.headers),
    json(m.properties),
    Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength),
    m.payload.byteLength,
    m.correlationId ?? null,
    m.messageId ?? null,
    m.replyTo ?? null,
    json(m.meta),
  ];
}

function keyText(key: Buffer | null): string | null {
  if (!key) return null;
  return previewPayload(key, KEY_PREVIEW_BYTES);
}

export function toListRow(r: Row): MessageRow {
  return {
    seq: r.seq,
    time: r.time,
    eventTime: r.event_time,
    eventTimeSource: r.event_time_source as EventTimeSource,
    transport: r.transport as MessageRow['transport'],
    endpoint: r.endpoint,
    event: r.event as MessageRow['event'],
    destKind: r.dest_kind as MessageRow['destKind'],
    destination: r.destination,
    partition: r.partition,
    offset: r.offset === null ? null : String(r.offset),
    routingKey: r.routing_key,
    connection: r.connection,
    key: keyText(r.key),
    size: r.size,
    correlationId: r.correlation_id,
    messageId: r.message_id,
    replyTo: r.reply_to,
    preview: r.decoded ? decodedPreview(r.decoded) : r.head ? previewPayload(r.head, PREVIEW_BYTES, r.size > PREVIEW_BYTES) : '',
  };
}

/** A list cell for a decoded payload: its compact JSON, cut to the preview's length. */
export function decodedPreview(json: string): string {
  return json.length > PREVIEW_BYTES ? `${json.slice(0, PREVIEW_BYTES)}…` : json;
}

export function toStored(r: Row): StoredMessage {
  const payload = r.payload ?? Buffer.alloc(0);
  return {
    seq: r.seq,
    time: r.time,
    brokerTime: r.broker_time,
    eventTime: r.event_time,
    eventTimeSource: r.event_time_source as EventTimeSource,
    transport: r.transport as StoredMessage['transport'],
    endpoint: r.endpoint,
    event: r.event as StoredMessage['event'],
    destKind: r.dest_kind as StoredMessage['destKind'],
    destination: r.destination,
    partition: r.partition,
    offset: r.offset === null ? null : String(r.offset),
    routingKey: r.routing_key,
    connection: r.connection,
    key: r.key,
    headers: r.headers ? (JSON.parse(r.headers) as Record<string, JsonValue>) : null,
    properties: r.properties ? (JSON.parse(r.properties) as Record<string, JsonValue>) : null,
    payload,
    size: r.size,
    correlationId: r.correlation_id,
    messageId: r.message_id,
    replyTo: r.reply_to,
    meta: r.meta ? (JSON.parse(r.meta) as Record<string, JsonValue>) : null,
  };
}

/** A group_offsets row as SQLite returns it (offset cast to text: it can pass 2^53). */
export interface OffsetRow {
  time: number;
  endpoint: string;
  group_id: string;
  topic: string;
  partition: number;
  offset: string;
}

export function toOffsets(rows: readonly OffsetRow[]): GroupOffset[] {
  return rows.map((r) => ({ time: r.time, endpoint: r.endpoint, groupId: r.group_id, topic: r.topic, partition: r.partition, offset: r.offset }));
}
