import type { JsonValue, StoredMessage } from '../../shared/model.ts';

/**
 * A batch of messages packed into one ArrayBuffer, so it crosses to the store's writer
 * thread as a transfer (no copy, no structured clone of thousands of objects):
 *
 *   u32 length of the header ‖ header (UTF-8 JSON: one array of fields per message) ‖ key
 *   and payload bytes of every message, in message order.
 */
export interface PackedBatch {
  firstSeq: number;
  lastSeq: number;
  count: number;
  buffer: ArrayBuffer;
}

/** The fields of one message in the header, in this order (see packBatch). */
type PackedFields = [
  seq: number,
  time: number,
  brokerTime: number | null,
  eventTime: number,
  eventTimeSource: string,
  transport: string,
  endpoint: string,
  event: string,
  destKind: string,
  destination: string,
  partition: number | null,
  offset: string | null,
  routingKey: string | null,
  connection: string | null,
  keyLength: number,
  headers: JsonValue,
  properties: JsonValue,
  payloadLength: number,
  correlationId: string | null,
  messageId: string | null,
  replyTo: string | null,
  meta: JsonValue,
];

/** Packs stored-to-be messages (seq and event time assigned) for the writer thread. */
export function packBatch(msgs: readonly StoredMessage[]): PackedBatch {
  const fields: PackedFields[] = new Array(msgs.length);
  let blobBytes = 0;
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i]!;
    const keyLength = m.key ? m.key.byteLength : -1;
    blobBytes += m.payload.byteLength + (keyLength > 0 ? keyLength : 0);
    fields[i] = [
      m.seq,
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
      m.offset === null || m.offset === undefined ? null : String(m.offset),
      m.routingKey ?? null,
      m.connection ?? null,
      keyLength,
      m.headers ?? null,
      m.properties ?? null,
      m.payload.byteLength,
      m.correlationId ?? null,
      m.messageId ?? null,
      m.replyTo ?? null,
      m.meta ?? null,
    ];
  }
  const header = JSON.stringify(fields);
  const headerBytes = Buffer.byteLength(header);
  const buffer = new ArrayBuffer(4 + headerBytes + blobBytes);
  const out = Buffer.from(buffer);
  out.writeUInt32LE(headerBytes, 0);
  out.write(header, 4, 'utf8');
  let at = 4 + headerBytes;
  for (const m of msgs) {
    if (m.key && m.key.byteLength > 0) {
      out.set(m.key, at);
      at += m.key.byteLength;
    }
    out.set(m.payload, at);
    at += m.payload.byteLength;
  }
  return { firstSeq: msgs[0]?.seq ?? 0, lastSeq: msgs[msgs.length - 1]?.seq ?? 0, count: msgs.length, buffer };
}

function json(v: JsonValue): string | null {
  return v === null || v === undefined ? null : JSON.stringify(v);
}

/**
 * Unpacks a batch into INSERT parameters in rows.ts's INSERT_SQL order, one array per
 * message; key and payload are views into the batch's buffer (SQLite copies them on bind).
 */
export function* unpackParams(buffer: ArrayBuffer): Generator<unknown[]> {
  const bytes = Buffer.from(buffer);
  const headerBytes = bytes.readUInt32LE(0);
  const fields = JSON.parse(bytes.toString('utf8', 4, 4 + headerBytes)) as PackedFields[];
  let at = 4 + headerBytes;
  for (const f of fields) {
    const keyLength = f[14];
    let key: Buffer | null = null;
    if (keyLength >= 0) {
      key = bytes.subarray(at, at + keyLength);
      at += keyLength;
    }
    const payload = bytes.subarray(at, at + f[17]);
    at += f[17];
    yield [
      f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10],
      f[11] === null ? null : BigInt(f[11]),
      f[12], f[13], key, json(f[15]), json(f[16]), payload, f[17], f[18], f[19], f[20], json(f[21]),
    ];
  }
}
