import type { Database as Db, Statement } from 'better-sqlite3';
import type { EventTimeSource, JsonValue, StoredMessage } from '../../shared/model.ts';
import type { PayloadText } from '../common/payload-text.ts';
import { NONE, NUMS, ROW_OTHER, ROW_OTHER_FULL, ROW_TEXT, ROW_TEXT_FULL, type NamesDef, type PackedPage } from './analysis-page-format.ts';

/** Bytes fetched one row at a time in a page before the rest of the page's are fetched at once. */
const SINGLE_FETCHES = 16;
/** Short meta texts parsed once and shared (a Kafka record's is `{"timestampType":"CreateTime"}`). */
const SHARED_META_CHARS = 256;
const SHARED_CACHE_MAX = 4096;

interface Names {
  transport: StoredMessage['transport'];
  event: StoredMessage['event'];
  destKind: StoredMessage['destKind'];
  eventTimeSource: EventTimeSource;
  endpoint: string;
  destination: string;
  /** A Kafka record's, read by a plain one (other rows read their own columns). */
  partition: number | null;
  meta: Record<string, JsonValue> | null;
}

/**
 * Makes the messages of PackedPages (analysis-page-format.ts) read by one
 * AnalysisPageQuery, in the order it read them, with the fields `toStored` gives except
 * `key`, left undefined: the analysis never reads record keys.
 *
 * - A plain record whose payload came as text is a TextRow (PayloadText) that makes its
 *   bytes only if something reads `payload`: from the text when it is exact UTF-8, else
 *   from the file, through `db` (the analysis thread's own connection).
 * - Short meta texts are parsed once per distinct text and shared, frozen: the analysis
 *   only reads them.
 */
export class AnalysisPageDecoder {
  private readonly oneBlob: Statement;
  private readonly rangeBlobs: Statement;
  private readonly names: Names[] = [];
  private readonly metaCache = new Map<string, Record<string, JsonValue>>();
  /** The last page's text rows, and how many of them had to fetch their bytes. */
  private textRows: TextRow[] = [];
  private fetches = 0;

  constructor(db: Db) {
    this.oneBlob = db.prepare('SELECT payload FROM messages WHERE seq = ?').pluck(true);
    this.rangeBlobs = db.prepare('SELECT seq, payload FROM messages WHERE seq >= ? AND seq <= ? ORDER BY seq').raw(true);
  }

  decode(p: PackedPage): StoredMessage[] {
    // Name sets are defined once, in reading order: a page missing in between shows here.
    if (p.firstNameId === 0) this.names.length = 0;
    else if (p.firstNameId !== this.names.length) throw new Error(`analysis reader: the page after message ${p.afterSeq} defines name sets from ${p.firstNameId}, ${this.names.length} were expected`);
    for (const d of p.names) this.names.push(this.namesOf(d));
    const { nums, refs } = p;
    const values = p.values.map(revive);
    const v = (i: number): unknown => (i === NONE ? null : values[i]);
    const out = new Array<StoredMessage>(p.count);
    const text: TextRow[] = [];
    const odd = p.odd;
    let k = 0;
    let c = 0;
    const scratch = {} as Names;
    for (let i = 0; i < p.count; i++) {
      const at = i * NUMS;
      const kind = refs[c++]!;
      let n: Names;
      if (kind === ROW_TEXT || kind === ROW_OTHER) n = this.names[refs[c++]!]!;
      else {
        // Column by column; the names are copied out of `scratch` by what is built from it.
        scratch.transport = v(refs[c++]!) as Names['transport'];
        scratch.event = v(refs[c++]!) as Names['event'];
        scratch.destKind = v(refs[c++]!) as Names['destKind'];
        scratch.eventTimeSource = v(refs[c++]!) as EventTimeSource;
        scratch.endpoint = v(refs[c++]!) as string;
        scratch.destination = v(refs[c++]!) as string;
        n = scratch;
      }
      let m: StoredMessage;
      if (kind === ROW_TEXT || kind === ROW_TEXT_FULL) {
        const full = kind === ROW_TEXT_FULL;
        const partition = full ? (v(refs[c++]!) as number | null) : n.partition;
        const meta = full ? this.meta(v(refs[c++]!)) : n.meta;
        const body = v(refs[c++]!) as string | null;
        const row = new TextRow(this, nums, at, n, offset(nums, at, v(refs[c++]!)), body, partition, meta);
        text.push(row);
        m = row;
      } else if (kind === ROW_OTHER || kind === ROW_OTHER_FULL) {
        const blobAt = refs[c++]!;
        const blobLength = refs[c++]!;
        m = {
          seq: num(nums[at]!),
          time: num(nums[at + 1]!),
          brokerTime: orNull(nums[at + 2]!),
          eventTime: num(nums[at + 3]!),
          eventTimeSource: n.eventTimeSource,
          transport: n.transport,
          endpoint: n.endpoint,
          event: n.event,
          destKind: n.destKind,
          destination: n.destination,
          partition: v(refs[c++]!) as number | null,
          offset: null,
          routingKey: null,
          connection: null,
          headers: null,
          properties: null,
          payload: blobLength < 0 ? Buffer.alloc(0) : Buffer.from(p.blobs.subarray(blobAt, blobAt + blobLength)),
          size: num(nums[at + 5]!),
          correlationId: null,
          messageId: null,
          replyTo: null,
          meta: null,
        };
        m.meta = this.meta(v(refs[c++]!));
        m.routingKey = v(refs[c++]!) as string | null;
        m.connection = v(refs[c++]!) as string | null;
        m.headers = json(v(refs[c++]!));
        m.properties = json(v(refs[c++]!));
        m.correlationId = v(refs[c++]!) as string | null;
        m.messageId = v(refs[c++]!) as string | null;
        m.replyTo = v(refs[c++]!) as string | null;
        m.offset = offset(nums, at, v(refs[c++]!));
      } else throw new Error(`analysis reader: row ${i} of the page after message ${p.afterSeq} is of no known kind (${kind})`);
      // A value of another type than its column's, as the file holds it.
      while (odd !== null && k < odd.length && odd[k]![0] === i) {
        const [, field, value] = odd[k++]!;
        (m as unknown as Record<string, unknown>)[field] = revive(value);
      }
      out[i] = m;
    }
    if (c !== p.refsLength) throw new Error(`analysis reader: the page after message ${p.afterSeq} did not decode to its end`);
    this.textRows = text;
    this.fetches = 0;
    return out;
  }

  /** The bytes of a text row: from its text when that is exact UTF-8, else from the file. */
  bytesOf(row: TextRow): Buffer {
    const t = row.payloadText;
    // Every invalid byte decodes to U+FFFD: without one the text encodes back to the same bytes.
    if (t !== null && !t.includes('\uFFFD')) return Buffer.from(t, 'utf8');
    if (++this.fetches > SINGLE_FETCHES && this.textRows.includes(row)) {
      this.fetchPage();
      if (row.fetched) return row.fetched;
    }
    return (this.oneBlob.get(row.seq) as Buffer | undefined) ?? Buffer.alloc(0);
  }

  /** A decoder reads every payload of the page: its rows' bytes at once, not one query each. */
  private fetchPage(): void {
    const rows = this.textRows;
    this.textRows = [];
    if (rows.length === 0) return;
    let i = 0;
    for (const [seq, payload] of this.rangeBlobs.iterate(rows[0]!.seq, rows[rows.length - 1]!.seq) as Iterable<[number, Buffer]>) {
      while (i < rows.length && rows[i]!.seq < seq) i++;
      if (i === rows.length) break;
      if (rows[i]!.seq === seq) rows[i]!.fetched ??= payload;
    }
  }

  private namesOf(d: NamesDef): Names {
    const [kafka, transport, event, destKind, eventTimeSource, endpoint, destination, partition, meta] = d.map(revive);
    return {
      transport,
      event,
      destKind,
      eventTimeSource,
      endpoint,
      destination,
      partition: kafka ? partition : null,
      // Shared by every row with these names: frozen, as the analysis only reads it.
      meta: kafka && meta ? deepFreeze(JSON.parse(meta as string) as Record<string, JsonValue>) : null,
    } as Names;
  }

  private meta(v: unknown): Record<string, JsonValue> | null {
    if (!v) return null;
    const s = v as string;
    if (s.length > SHARED_META_CHARS) return JSON.parse(s) as Record<string, JsonValue>;
    let o = this.metaCache.get(s);
    if (o === undefined) {
      if (this.metaCache.size >= SHARED_CACHE_MAX) this.metaCache.clear();
      o = deepFreeze(JSON.parse(s) as Record<string, JsonValue>);
      this.metaCache.set(s, o);
    }
    return o;
  }
}

/** A plain Kafka record whose payload came as text (or not at all); `payload` is made when read. */
class TextRow implements StoredMessage, PayloadText {
  readonly seq: number;
  readonly time: number;
  readonly brokerTime: number | null;
  readonly eventTime: number;
  readonly eventTimeSource: EventTimeSource;
  readonly transport: StoredMessage['transport'];
  readonly endpoint: string;
  readonly event: StoredMessage['event'];
  readonly destKind: StoredMessage['destKind'];
  readonly destination: string;
  readonly offset: string | null;
  readonly routingKey = null;
  readonly connection = null;
  readonly headers = null;
  readonly properties = null;
  readonly size: number;
  readonly correlationId = null;
  readonly messageId = null;
  readonly replyTo = null;
  /** Bytes made or fetched by `payload`. */
  fetched: Buffer | null = null;

  constructor(
    private readonly source: AnalysisPageDecoder,
    nums: Float64Array,
    at: number,
    n: Names,
    offset: string | null,
    readonly payloadText: string | null,
    readonly partition: number | null,
    readonly meta: Record<string, JsonValue> | null,
  ) {
    this.seq = num(nums[at]!);
    this.time = num(nums[at + 1]!);
    this.brokerTime = orNull(nums[at + 2]!);
    this.eventTime = num(nums[at + 3]!);
    this.eventTimeSource = n.eventTimeSource;
    this.transport = n.transport;
    this.endpoint = n.endpoint;
    this.event = n.event;
    this.destKind = n.destKind;
    this.destination = n.destination;
    this.offset = offset;
    this.size = num(nums[at + 5]!);
  }

  get payload(): Buffer {
    return (this.fetched ??= this.source.bytesOf(this));
  }
}

/**
 * A number as SQLite's reader makes it: a small integer (a Smi) when it is one. Read from a
 * Float64Array it stays a heap number, and sums of it stay heap numbers, which the analysis
 * snapshot (v8.serialize) writes otherwise than the same sums of SQLite's numbers.
 */
function num(x: number): number {
  return x === (x | 0) && (x !== 0 || 1 / x > 0) ? x | 0 : x;
}

function orNull(x: number): number | null {
  return x === x ? num(x) : null;
}

/** A row's offset: its text when it came as one, else its number (NaN: none). */
function offset(nums: Float64Array, at: number, text: unknown): string | null {
  if (text !== null) return text as string;
  const x = nums[at + 4]!;
  return x === x ? String(x) : null;
}

/** Bytes come out of a structured clone as a plain Uint8Array; the file's reader gives Buffers. */
function revive(v: unknown): unknown {
  return v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v;
}

function json(v: unknown): Record<string, JsonValue> | null {
  return v ? (JSON.parse(v as string) as Record<string, JsonValue>) : null;
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}
