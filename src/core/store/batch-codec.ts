import type { JsonValue, StoredMessage } from '../../shared/model.ts';
import { refHash, textHash } from './ref-hash.ts';

/**
 * A batch of messages packed into one ArrayBuffer, so it crosses to the store's writer
 * thread as a transfer (no copy, no structured clone of thousands of objects). Columnar,
 * because JSON of every field was the largest cost of the capture path (issue 12):
 *
 *   u32 count ‖ u32 header bytes ‖ header (UTF-8 JSON: { strings, extras }) ‖ pad to 8 ‖
 *   f64 × NUMS per message ‖ u32 × STRS per message (indexes into `strings`; NONE for a
 *   null meta or connection) ‖ i32 per message (-1: no extras, else an index into `extras`) ‖ key and
 *   payload bytes of every message, in message order.
 *
 * A message's meta travels as its JSON text, interned like the other strings: a Kafka
 * record's is nearly always `{"timestampType":"CreateTime"}`, and as an extra it cost a JSON
 * array per message in the header, parsed and stringified again on the writer thread.
 */
export interface PackedBatch {
  firstSeq: number;
  lastSeq: number;
  count: number;
  buffer: ArrayBuffer;
}

/** seq, time, brokerTime, eventTime, partition, offset, key length, payload length; NaN is null. */
const NUMS = 8;
/**
 * eventTimeSource, transport, endpoint, event, destKind, destination, meta (JSON), connection.
 * A proxy's frames all name their connection: as an extra, it cost a JSON array per frame in
 * the header, made on the engine's thread and parsed on the writer's (issue 12).
 */
const STRS = 8;
const NO_EXTRAS = -1;
/** The string index of a null meta or connection. */
const NONE = 0xffffffff;

/** The rarer fields of one message: offset when it is not a safe integer, then the optional ones. */
type Extras = [
  offset: string | null,
  routingKey: string | null,
  headers: JsonValue,
  properties: JsonValue,
  correlationId: string | null,
  messageId: string | null,
  replyTo: string | null,
];

interface Header {
  strings: string[];
  extras: Extras[];
}

/**
 * Packs stored-to-be messages (seq and event time assigned) for the writer thread, into
 * `reuse` when it is large enough (a buffer the writer thread sent back, see store-writer.ts).
 */
export function packBatch(msgs: readonly StoredMessage[], reuse?: ArrayBuffer): PackedBatch {
  const n = msgs.length;
  const nums = new Float64Array(n * NUMS);
  const strs = new Uint32Array(n * STRS);
  const kinds = new Int32Array(n);
  const strings: string[] = [];
  const index = new Map<string, number>();
  const intern = (s: string): number => {
    let i = index.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      index.set(s, i);
    }
    return i;
  };
  const extras: Extras[] = [];
  let blobBytes = 0;
  // The string fields of a run of messages are mostly the same strings (one endpoint, one
  // topic): each is interned only when it differs from the message before's. So is meta,
  // compared by reference: a Kafka record's is an object shared by its batch (record.ts),
  // and its JSON was a string made and hashed per message (issue 12).
  const last: (string | undefined)[] = [undefined, undefined, undefined, undefined, undefined, undefined, undefined];
  const lastIndex = [0, 0, 0, 0, 0, 0, 0];
  const cached = (slot: number, v: string): number => {
    if (v === last[slot]) return lastIndex[slot]!;
    last[slot] = v;
    return (lastIndex[slot] = intern(v));
  };
  let lastMeta: Record<string, JsonValue> | null | undefined;
  let lastMetaIndex = NONE;
  for (let i = 0; i < n; i++) {
    const m = msgs[i]!;
    const keyLength = m.key ? m.key.byteLength : -1;
    blobBytes += m.payload.byteLength + (keyLength > 0 ? keyLength : 0);
    const o = i * NUMS;
    nums[o] = m.seq;
    nums[o + 1] = m.time;
    nums[o + 2] = m.brokerTime ?? NaN;
    nums[o + 3] = m.eventTime ?? m.time;
    nums[o + 4] = m.partition ?? NaN;
    const offset = m.offset === null || m.offset === undefined ? null : String(m.offset);
    const offsetNum = offset === null ? NaN : plainInteger(offset);
    // Offsets are int64: one past 2^53 (or not a plain integer) travels as text in the extras.
    const offsetAsText = offset !== null && Number.isNaN(offsetNum);
    nums[o + 5] = offsetAsText ? NaN : offsetNum;
    nums[o + 6] = keyLength;
    nums[o + 7] = m.payload.byteLength;
    const s = i * STRS;
    strs[s] = cached(0, m.eventTimeSource ?? 'capture');
    strs[s + 1] = cached(1, m.transport);
    strs[s + 2] = cached(2, m.endpoint);
    strs[s + 3] = cached(3, m.event);
    strs[s + 4] = cached(4, m.destKind);
    strs[s + 5] = cached(5, m.destination);
    const meta = m.meta ?? null;
    if (meta !== lastMeta) {
      lastMeta = meta;
      lastMetaIndex = meta === null ? NONE : intern(JSON.stringify(meta));
    }
    strs[s + 6] = lastMetaIndex;
    const connection = m.connection ?? null;
    strs[s + 7] = connection === null ? NONE : cached(6, connection);
    const plain =
      !offsetAsText &&
      (m.routingKey ?? null) === null &&
      (m.headers ?? null) === null &&
      (m.properties ?? null) === null &&
      (m.correlationId ?? null) === null &&
      (m.messageId ?? null) === null &&
      (m.replyTo ?? null) === null;
    if (plain) kinds[i] = NO_EXTRAS;
    else {
      kinds[i] = extras.length;
      extras.push([
        offsetAsText ? offset : null,
        m.routingKey ?? null,
        m.headers ?? null,
        m.properties ?? null,
        m.correlationId ?? null,
        m.messageId ?? null,
        m.replyTo ?? null,
      ]);
    }
  }
  const header = JSON.stringify({ strings, extras } satisfies Header);
  const headerBytes = Buffer.byteLength(header);
  const numsAt = align8(8 + headerBytes);
  const strsAt = numsAt + nums.byteLength;
  const kindsAt = strsAt + strs.byteLength;
  const blobAt = kindsAt + kinds.byteLength;
  const size = blobAt + blobBytes;
  // Trailing bytes past the last payload are never read: sizes come from the batch itself.
  const buffer = reuse && reuse.byteLength >= size ? reuse : new ArrayBuffer(size + (size >> 3));
  const out = Buffer.from(buffer);
  out.writeUInt32LE(n, 0);
  out.writeUInt32LE(headerBytes, 4);
  out.write(header, 8, 'utf8');
  new Float64Array(buffer, numsAt, nums.length).set(nums);
  new Uint32Array(buffer, strsAt, strs.length).set(strs);
  new Int32Array(buffer, kindsAt, kinds.length).set(kinds);
  let at = blobAt;
  for (const m of msgs) {
    if (m.key && m.key.byteLength > 0) {
      out.set(m.key, at);
      at += m.key.byteLength;
    }
    out.set(m.payload, at);
    at += m.payload.byteLength;
  }
  return { firstSeq: msgs[0]?.seq ?? 0, lastSeq: msgs[n - 1]?.seq ?? 0, count: n, buffer };
}

/**
 * The number a decimal text spells when it is the canonical form of a safe integer ("0",
 * "42", not "007", "-0" or "1e3"), else NaN. Checked by its characters: String(Number(x))
 * === x cost a string per message.
 */
function plainInteger(text: string): number {
  const n = text.length;
  if (n === 0 || n > 16 || (n > 1 && text.charCodeAt(0) === 48)) return NaN;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return NaN;
  }
  const v = Number(text);
  return Number.isSafeInteger(v) ? v : NaN;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

function json(v: JsonValue): string | null {
  return v === null || v === undefined ? null : JSON.stringify(v);
}

const orNull = (v: number): number | null => (Number.isNaN(v) ? null : v);

/**
 * Calls `row` with the INSERT parameters of each message of a batch, in rows.ts's INSERT_SQL
 * order (INSERT_SQL_HASHED when `hashed`). The array is the same one every call, refilled:
 * the writer binds it at once, and a fresh array per row was garbage at the capture rate.
 * Key and payload are views into the batch's buffer (SQLite copies them on bind).
 */
export function eachParams(buffer: ArrayBuffer, hashed: boolean, row: (params: unknown[]) => void): void {
  const bytes = Buffer.from(buffer);
  const n = bytes.readUInt32LE(0);
  const headerBytes = bytes.readUInt32LE(4);
  const { strings, extras } = JSON.parse(bytes.toString('utf8', 8, 8 + headerBytes)) as Header;
  const numsAt = align8(8 + headerBytes);
  const nums = new Float64Array(buffer, numsAt, n * NUMS);
  const strs = new Uint32Array(buffer, numsAt + nums.byteLength, n * STRS);
  const kinds = new Int32Array(buffer, numsAt + nums.byteLength + strs.byteLength, n);
  let at = numsAt + nums.byteLength + strs.byteLength + kinds.byteLength;
  const params: unknown[] = new Array(hashed ? 25 : 23);
  for (let i = 0; i < n; i++) {
    const o = i * NUMS;
    const s = i * STRS;
    const keyLength = nums[o + 6]!;
    let key: Buffer | null = null;
    if (keyLength >= 0) {
      key = bytes.subarray(at, at + keyLength);
      at += keyLength;
    }
    const payloadLength = nums[o + 7]!;
    const payload = bytes.subarray(at, at + payloadLength);
    at += payloadLength;
    const kind = kinds[i]!;
    const x = kind >= 0 ? extras[kind]! : null;
    const offsetNum = nums[o + 5]!;
    const offset = x?.[0] != null ? BigInt(x[0]) : Number.isNaN(offsetNum) ? null : BigInt(offsetNum);
    const correlationId = x ? x[4] : null;
    const meta = strs[s + 6]!;
    const connection = strs[s + 7]!;
    params[0] = nums[o];
    params[1] = nums[o + 1];
    params[2] = orNull(nums[o + 2]!);
    params[3] = nums[o + 3];
    params[4] = strings[strs[s]!];
    params[5] = strings[strs[s + 1]!];
    params[6] = strings[strs[s + 2]!];
    params[7] = strings[strs[s + 3]!];
    params[8] = strings[strs[s + 4]!];
    params[9] = strings[strs[s + 5]!];
    params[10] = orNull(nums[o + 4]!);
    params[11] = offset;
    params[12] = x ? x[1] : null;
    params[13] = connection === NONE ? null : strings[connection];
    params[14] = key;
    params[15] = x ? json(x[2]) : null;
    params[16] = x ? json(x[3]) : null;
    params[17] = payload;
    params[18] = payloadLength;
    params[19] = correlationId;
    params[20] = x ? x[5] : null;
    params[21] = x ? x[6] : null;
    params[22] = meta === NONE ? null : strings[meta];
    // The hashes are made here, on the writer thread, not on the capture path.
    if (hashed) {
      params[23] = key ? refHash(key) : null;
      params[24] = correlationId === null ? null : textHash(correlationId);
    }
    row(params);
  }
}

/** eachParams as a list of fresh arrays, one per message. */
export function unpackParams(buffer: ArrayBuffer, hashed = false): unknown[][] {
  const out: unknown[][] = [];
  eachParams(buffer, hashed, (p) => out.push([...p]));
  return out;
}
