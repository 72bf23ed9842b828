import type { Database as Db, Statement } from 'better-sqlite3';
import type { EventTimeSource, JsonValue, StoredMessage } from '../../shared/model.ts';
import type { PayloadText } from '../common/payload-text.ts';
import type { EventColumns } from './rows.ts';

/**
 * A Kafka record with no headers, ids, routing key or connection: the analysis reads its
 * payload as JSON only (correlation paths, JSON-RPC), so it comes as text, or not at all
 * when its first byte says it is no JSON object, and the columns it leaves empty are not
 * read. Any other row comes with its bytes (identity hashes, MQTT and NATS bodies, AMQP
 * routing all read them) and every column.
 */
const PLAIN = `transport = 'kafka' AND routing_key IS NULL AND connection IS NULL AND headers IS NULL AND properties IS NULL
  AND correlation_id IS NULL AND message_id IS NULL AND reply_to IS NULL`;
/** The bytes a JSON object may start with: a brace, a JSON blank, a byte of a byte-order mark (parseJsonObject's own test). */
const MAY_BE_JSON = `substr(payload, 1, 1) IN (X'7B', X'20', X'09', X'0A', X'0D', X'EF', X'BB', X'BF')`;
/** Text for a plain row that may be JSON, 0 for one that cannot be; `other` for the rest. */
const body = (other: string): string => `iif(${PLAIN}, iif(${MAY_BE_JSON}, CAST(payload AS TEXT), 0), ${other}) AS body`;
/**
 * The names a row repeats (transport, event, destination kind, event-time source, endpoint,
 * destination; for a plain row also its partition and meta) as one text, each but the last
 * prefixed with its length (or `-` for null), so one text stands for one set of names: a
 * column read costs about as much whatever it holds, and a page mostly repeats a few sets,
 * each read once (`names`).
 */
const names = (e: EventColumns): string => {
  const part = (c: string): string => `ifnull(length(${c}) || '.' || ${c}, '-')`;
  const common = ['transport', 'event', 'dest_kind', e.source, 'endpoint'].map(part).join(' || ');
  return `iif(${PLAIN}, 'p' || ${common} || ${part('partition')} || ${part('meta')}, 'o' || ${common}) || destination AS names`;
};
/** The columns every row starts with, in this order (see `page`). */
const times = (e: EventColumns): string => `seq, time, broker_time, ${e.time} AS event_time, CAST(offset AS TEXT) AS offset, size`;
/** A full page's names, column by column (names that rarely repeat would miss `names`'s cache). */
const fullNames = (e: EventColumns): string => `transport, event, dest_kind, ${e.source} AS event_time_source, endpoint, destination`;
/** What a row other than a plain one needs besides, in this order (`build`). */
const REST = 'partition, meta, routing_key, connection, headers, properties, correlation_id, message_id, reply_to';

/** Bytes fetched one row at a time in a page before the rest of the page's are fetched at once. */
const SINGLE_FETCHES = 16;
/** Short meta texts parsed once and shared (a Kafka record's is `{"timestampType":"CreateTime"}`). */
const SHARED_META_CHARS = 256;
const SHARED_CACHE_MAX = 4096;
/** Pages read in full after a page whose names missed the cache for more than one row in eight. */
const FULL_PAGES_AFTER_MISSES = 50;

interface Names {
  transport: StoredMessage['transport'];
  event: StoredMessage['event'];
  destKind: StoredMessage['destKind'];
  eventTimeSource: EventTimeSource;
  endpoint: string;
  destination: string;
  /** A plain row's (the names of other rows leave them to REST). */
  partition: number | null;
  meta: Record<string, JsonValue> | null;
}

/**
 * Pages of full messages in seq order for the analysis reading a whole session (issue 12:
 * reading rows is most of a recompute), with the fields `toStored` gives except `key`,
 * left undefined: the analysis never reads record keys. Rows come as arrays (about twice as
 * fast as better-sqlite3's row objects), and each column read costs ~0.1 µs whatever it
 * holds, so a page reads as few as it can:
 *
 * - A slim page reads the columns every row has, its names as one text (`names`, each set
 *   read once), and the other columns of the rows that are not plain Kafka records (PLAIN)
 *   in a second query over the same seq range. After a page of mostly other rows, or of
 *   names that missed the cache too often (each miss is a query), pages read every column
 *   at once, names included, for a while.
 * - A plain record's payload, the dearest column as a Buffer (a native allocation per row,
 *   ~1.5 µs against ~0.3 µs as a string), comes as text (PayloadText) and makes its bytes only
 *   if something reads `payload`: from the text when it is exact UTF-8, else from the file.
 * - Short meta texts are parsed once per distinct text and shared, frozen: the analysis
 *   only reads them.
 */
export class AnalysisPageReader {
  private readonly slim: Statement;
  private readonly full: Statement;
  private readonly rest: Statement;
  private readonly namesOf: Statement;
  private readonly oneBlob: Statement;
  private readonly rangeBlobs: Statement;
  private readonly nameCache = new Map<string, Names>();
  private readonly metaCache = new Map<string, Record<string, JsonValue>>();
  private useFull = false;
  /** Pages left to read in full after names missed too often, and the misses of this page. */
  private fullPages = 0;
  private misses = 0;
  /** The last page's text rows, and how many of them had to fetch their bytes. */
  private textRows: TextRow[] = [];
  private fetches = 0;

  constructor(
    db: Db,
    /** Where this file keeps event time (rows.ts). */
    readonly eventCols: EventColumns,
  ) {
    const e = eventCols;
    this.slim = db.prepare(`SELECT ${times(e)}, ${names(e)}, ${body('NULL')} FROM messages WHERE seq > ? ORDER BY seq LIMIT ?`).raw(true);
    this.full = db.prepare(`SELECT ${times(e)}, ${fullNames(e)}, ${body('payload')}, ${REST} FROM messages WHERE seq > ? ORDER BY seq LIMIT ?`).raw(true);
    this.rest = db.prepare(`SELECT seq, payload, ${REST} FROM messages WHERE seq >= ? AND seq <= ? AND NOT (${PLAIN}) ORDER BY seq`).raw(true);
    this.namesOf = db.prepare(`SELECT transport, event, dest_kind, ${e.source}, endpoint, destination, partition, meta FROM messages WHERE seq = ?`).raw(true);
    this.oneBlob = db.prepare('SELECT payload FROM messages WHERE seq = ?').pluck(true);
    this.rangeBlobs = db.prepare('SELECT seq, payload FROM messages WHERE seq >= ? AND seq <= ? ORDER BY seq').raw(true);
  }

  page(afterSeq: number, limit: number): StoredMessage[] {
    const full = this.useFull;
    const rows = (full ? this.full : this.slim).all(afterSeq, limit) as unknown[][];
    const out = new Array<StoredMessage>(rows.length);
    const text: TextRow[] = [];
    let others: unknown[][] | null = null;
    let o = 0;
    const scratch = {} as Names;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      if (full) {
        // Column by column; the names are copied out of `scratch` by what is built from it.
        scratch.transport = r[6] as Names['transport'];
        scratch.event = r[7] as Names['event'];
        scratch.destKind = r[8] as Names['destKind'];
        scratch.eventTimeSource = r[9] as EventTimeSource;
        scratch.endpoint = r[10] as string;
        scratch.destination = r[11] as string;
        const b = r[12] as Buffer | string | number | null;
        if (typeof b === 'string' || typeof b === 'number') {
          const row = new TextRow(this, r, scratch, typeof b === 'string' ? b : null, r[13] as number | null, this.meta(r[14]));
          text.push(row);
          out[i] = row;
        } else {
          out[i] = this.build(r, scratch, r, 12);
        }
        continue;
      }
      const b = r[7] as Buffer | string | number | null;
      const n = this.names(r[6] as string, r[0] as number);
      if (typeof b === 'string' || typeof b === 'number') {
        const row = new TextRow(this, r, n, typeof b === 'string' ? b : null, n.partition, n.meta);
        text.push(row);
        out[i] = row;
      } else {
        // This row's other columns come from one query for the page's rows that are not plain.
        others ??= this.rest.all(r[0], rows[rows.length - 1]![0]) as unknown[][];
        while (o < others.length && (others[o]![0] as number) < (r[0] as number)) o++;
        const x = others[o];
        if (x === undefined || x[0] !== r[0]) throw new Error(`analysis reader: message ${String(r[0])} changed while it was read`);
        out[i] = this.build(r, n, x, 1);
      }
    }
    // Mostly other rows: all columns at once. Plain rows whose names or meta rarely repeat
    // (each new set is one more query): all columns for a while.
    if (this.fullPages > 0) this.fullPages--;
    else if (rows.length > 0) this.useFull = text.length * 2 < rows.length;
    if (!full && this.misses * 8 > rows.length) {
      this.useFull = true;
      this.fullPages = FULL_PAGES_AFTER_MISSES;
    }
    this.misses = 0;
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

  private names(key: string, seq: number): Names {
    let n = this.nameCache.get(key);
    if (n === undefined) {
      this.misses++;
      const [transport, event, destKind, eventTimeSource, endpoint, destination, partition, meta] = this.namesOf.get(seq) as unknown[];
      const plain = key.startsWith('p');
      n = {
        transport,
        event,
        destKind,
        eventTimeSource,
        endpoint,
        destination,
        partition: plain ? partition : null,
        // Shared by every row with these names: frozen, as the analysis only reads it.
        meta: plain && meta ? deepFreeze(JSON.parse(meta as string) as Record<string, JsonValue>) : null,
      } as Names;
      if (this.nameCache.size >= SHARED_CACHE_MAX) this.nameCache.clear();
      this.nameCache.set(key, n);
    }
    return n;
  }

  /** A row other than a plain one: `r` its head columns, `x` from `at` on its payload and REST. */
  private build(r: unknown[], n: Names, x: unknown[], at: number): StoredMessage {
    const off = r[4] as string | number | null;
    return {
      seq: r[0] as number,
      time: r[1] as number,
      brokerTime: r[2] as number | null,
      eventTime: r[3] as number,
      eventTimeSource: n.eventTimeSource,
      transport: n.transport,
      endpoint: n.endpoint,
      event: n.event,
      destKind: n.destKind,
      destination: n.destination,
      partition: x[at + 1] as number | null,
      offset: off === null ? null : String(off),
      routingKey: x[at + 3] as string | null,
      connection: x[at + 4] as string | null,
      headers: json(x[at + 5]),
      properties: json(x[at + 6]),
      payload: (x[at] as Buffer | null) ?? Buffer.alloc(0),
      size: r[5] as number,
      correlationId: x[at + 7] as string | null,
      messageId: x[at + 8] as string | null,
      replyTo: x[at + 9] as string | null,
      meta: this.meta(x[at + 2]),
    };
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
    private readonly source: AnalysisPageReader,
    r: unknown[],
    n: Names,
    readonly payloadText: string | null,
    readonly partition: number | null,
    readonly meta: Record<string, JsonValue> | null,
  ) {
    const off = r[4] as string | number | null;
    this.seq = r[0] as number;
    this.time = r[1] as number;
    this.brokerTime = r[2] as number | null;
    this.eventTime = r[3] as number;
    this.eventTimeSource = n.eventTimeSource;
    this.transport = n.transport;
    this.endpoint = n.endpoint;
    this.event = n.event;
    this.destKind = n.destKind;
    this.destination = n.destination;
    this.offset = off === null ? null : String(off);
    this.size = r[5] as number;
  }

  get payload(): Buffer {
    return (this.fetched ??= this.source.bytesOf(this));
  }
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
