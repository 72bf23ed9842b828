import type { Database as Db, Statement } from 'better-sqlite3';
import type { EventColumns } from './rows.ts';
import { idOf } from './name-ids.ts';
import { NONE, NUMS, ROW_OTHER, ROW_OTHER_FULL, ROW_TEXT, ROW_TEXT_FULL, type NamesDef, type OddValue, type PackedPage } from './analysis-page-format.ts';

/**
 * A Kafka record with no headers, ids, routing key or connection: the analysis reads its
 * payload as JSON only (correlation paths, JSON-RPC), so it comes as text, or not at all
 * when its first byte says it is no JSON object, and the columns it leaves empty are not
 * read. Any other row comes with its bytes (identity hashes, MQTT and NATS bodies, AMQP
 * routing all read them) and every column. One coalesce, not seven IS NULL tests.
 */
const plain = (e: EventColumns): string => `${isKafka(e)} AND coalesce(routing_key, connection, headers, properties, correlation_id, message_id, reply_to) IS NULL`;
/**
 * A Kafka record: in schema 6 by its transport's id (the name is a lookup a row, the id's
 * query runs once). Never NULL, so NOT(plain) holds for every row plain does not, also in a
 * file that names no Kafka at all (ids start at 1).
 */
const isKafka = (e: EventColumns): string => (e.nameIds ? `transport_id = coalesce(${idOf("'kafka'")}, 0)` : "transport = 'kafka'");
/**
 * The bytes a JSON object may start with: a brace, a JSON blank, a byte of a byte-order
 * mark (parseJsonObject's own test). A first byte from '!' to 'z' is none of them, and most
 * payloads that are no JSON start with one: two blob comparisons settle those, where the
 * IN list alone (a lookup in a table SQLite builds for it) cost a third of the page query.
 */
const MAY_BE_JSON = `NOT (payload >= X'21' AND payload < X'7B') AND substr(payload, 1, 1) IN (X'7B', X'20', X'09', X'0A', X'0D', X'EF', X'BB', X'BF')`;
/** Text for a plain row that may be JSON, 0 for one that cannot be; `other` for the rest (`plain` is read here only). */
const body = (e: EventColumns, other: string): string => `iif(${plain(e)}, iif(${MAY_BE_JSON}, CAST(payload AS TEXT), 0), ${other}) AS body`;
/** Between the names of a row's set in `names` (a unit separator: a set holding one is not cached, see `namesId`). */
const SEP = '\x1f';
/**
 * The names a row repeats (transport, event, destination kind, event-time source, endpoint;
 * for a Kafka record also its partition and meta; then its destination) as one text, so
 * one text stands for one set: a column read costs about as much whatever it holds, and a
 * page mostly repeats a few sets, each read once. Joined by SEP alone: a length before each
 * name (the decimal text of an integer, SQLite's dearest step here) cost twice the rest of
 * the text. A set none of whose names holds SEP has a text no other set has (any other
 * would hold more separators), so only such sets are cached; a null name (a record with
 * no partition) makes the text null, and its row reads its names itself. Kafka records
 * are told apart by transport alone (`plain` is evaluated once a row, in `body`): a record
 * with headers shares its set with the plain ones beside it, and reads its partition and
 * meta from its own columns.
 */
const names = (e: EventColumns): string => {
  const join = (cols: string[]): string => cols.join(` || '${SEP}' || `);
  // Schema 6: the names' ids stand for them (an id's text holds no SEP): reading the names
  // through the view cost a lookup each a row, more than the ids' decimal text.
  const id = (c: string): string => (e.nameIds ? `${c}_id` : c);
  const common = ['transport', 'event', 'dest_kind', e.nameIds ? 'event_time_source' : e.source, 'endpoint'].map(id);
  return `iif(${isKafka(e)}, 'k' || ${join([...common, 'partition', "ifnull(meta, '')"])}, 'o' || ${join(common)}) || '${SEP}' || ${id('destination')} AS names`;
};
/**
 * The columns every row starts with, in this order. The offset comes as a number (an int64
 * past 2^53 is read again as text, see `numbers`): CAST to text cost SQLite more than the
 * other five columns together.
 */
const times = (e: EventColumns): string => `seq, time, broker_time, ${e.time} AS event_time, offset, size`;
/** A full page's names, column by column (names that rarely repeat would miss `names`'s cache). */
const fullNames = (e: EventColumns): string => `transport, event, dest_kind, ${e.source} AS event_time_source, endpoint, destination`;
/** What a row other than a plain one needs besides, in this order. */
const REST = 'partition, meta, routing_key, connection, headers, properties, correlation_id, message_id, reply_to';

/** Name sets cached at once (ids start over past it). */
const NAME_SETS_MAX = 4096;
/** Pages read in full after a page whose names missed the cache for more than one row in eight. */
const FULL_PAGES_AFTER_MISSES = 50;

/**
 * Reads pages of a session for its analysis (issue 12: reading rows is most of a
 * recompute) as PackedPages, on the reading thread (analysis-read-worker.ts) or inline
 * (analysis-reader.ts). Rows come as arrays (about twice as fast as better-sqlite3's row
 * objects), and each column read costs ~0.1 µs whatever it holds, so a page reads as few
 * as it can:
 *
 * - A slim page reads the columns every row has, its names as one text (`names`, each set
 *   read once), and the other columns of the rows that are not plain Kafka records (`plain`)
 *   in a second query over the same seq range. After a page of mostly other rows, or of
 *   names that missed the cache too often (each miss is a query), pages read every column
 *   at once, names included, for a while.
 * - A plain record's payload, the dearest column as a Buffer (a native allocation per row,
 *   ~1.5 µs against ~0.3 µs as a string), comes as text; its bytes are made only if
 *   something reads them (analysis-page-decode.ts).
 */
export class AnalysisPageQuery {
  private readonly slim: Statement;
  private readonly full: Statement;
  private readonly rest: Statement;
  private readonly namesOf: Statement;
  private readonly offsetText: Statement;
  private readonly nameIds = new Map<string, number>();
  private nextNameId = 0;
  private lastKey: string | null = null;
  private lastId = 0;
  private useFull = false;
  /** Pages left to read in full after names missed too often, and the misses of this page. */
  private fullPages = 0;
  private misses = 0;

  constructor(db: Db, eventCols: EventColumns) {
    const e = eventCols;
    this.slim = db.prepare(`SELECT ${times(e)}, ${names(e)}, ${body(e, 'NULL')} FROM messages WHERE seq > ? ORDER BY seq LIMIT ?`).raw(true);
    this.full = db.prepare(`SELECT ${times(e)}, ${fullNames(e)}, ${body(e, 'payload')}, ${REST} FROM messages WHERE seq > ? ORDER BY seq LIMIT ?`).raw(true);
    this.rest = db.prepare(`SELECT seq, payload, ${REST} FROM messages WHERE seq >= ? AND seq <= ? AND NOT (${plain(e)}) ORDER BY seq`).raw(true);
    this.namesOf = db.prepare(`SELECT transport, event, dest_kind, ${e.source}, endpoint, destination, partition, meta FROM messages WHERE seq = ?`).raw(true);
    this.offsetText = db.prepare('SELECT CAST(offset AS TEXT) FROM messages WHERE seq = ?').pluck(true);
  }

  read(afterSeq: number, limit: number): PackedPage {
    const full = this.useFull;
    const rows = (full ? this.full : this.slim).all(afterSeq, limit) as unknown[][];
    const b = new PageBuilder(afterSeq, rows.length, full);
    if (this.nextNameId >= NAME_SETS_MAX) {
      this.nameIds.clear();
      this.nextNameId = 0;
      this.lastKey = null;
    }
    b.firstNameId = this.nextNameId;
    let others: unknown[][] | null = null;
    let o = 0;
    let text = 0;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const offsetRef = this.numbers(b, i, r);
      if (full) {
        const v = r[12];
        if (typeof v === 'string' || typeof v === 'number') {
          text++;
          b.row(ROW_TEXT_FULL);
          for (let c = 6; c < 12; c++) b.ref(b.value(r[c]));
          b.ref(b.value(r[13]));
          b.ref(b.value(r[14]));
          b.ref(typeof v === 'string' ? b.text(v) : NONE);
          b.ref(offsetRef);
        } else {
          b.row(ROW_OTHER_FULL);
          for (let c = 6; c < 12; c++) b.ref(b.value(r[c]));
          this.other(b, i, r, 12, offsetRef);
        }
        continue;
      }
      const v = r[7];
      const plain = typeof v === 'string' || typeof v === 'number';
      const id = this.namesId(b, r[6], r[0] as number, plain);
      if (plain) {
        text++;
        b.row(ROW_TEXT);
        b.ref(id);
        b.ref(typeof v === 'string' ? b.text(v) : NONE);
        b.ref(offsetRef);
      } else {
        // This row's other columns come from one query for the page's rows that are not plain.
        others ??= this.rest.all(r[0], rows[rows.length - 1]![0]) as unknown[][];
        while (o < others.length && (others[o]![0] as number) < (r[0] as number)) o++;
        const x = others[o];
        if (x === undefined || x[0] !== r[0]) throw new Error(`analysis reader: message ${String(r[0])} changed while it was read`);
        b.row(ROW_OTHER);
        b.ref(id);
        this.other(b, i, x, 1, offsetRef);
      }
    }
    // Mostly other rows: all columns at once. Plain rows whose names or meta rarely repeat
    // (each new set is one more query): all columns for a while.
    if (this.fullPages > 0) this.fullPages--;
    else if (rows.length > 0) this.useFull = text * 2 < rows.length;
    if (!full && this.misses * 8 > rows.length) {
      this.useFull = true;
      this.fullPages = FULL_PAGES_AFTER_MISSES;
    }
    this.misses = 0;
    return b.done();
  }

  /** Row `i`'s head columns into `nums`; returns its offset-text ref. */
  private numbers(b: PageBuilder, i: number, r: unknown[]): number {
    const at = i * NUMS;
    const n = b.nums;
    n[at] = r[0] as number;
    b.number(i, at + 1, 'time', r[1], false);
    b.number(i, at + 2, 'brokerTime', r[2], true);
    b.number(i, at + 3, 'eventTime', r[3], false);
    b.number(i, at + 5, 'size', r[5], false);
    const off = r[4];
    if (off === null) {
      n[at + 4] = NaN;
      return NONE;
    }
    // Offsets are int64 in an INTEGER column (every schema): a safe integer was stored as
    // one and String() spells it as SQLite would; anything else is read again as text.
    if (typeof off === 'number' && Number.isSafeInteger(off)) {
      n[at + 4] = off;
      return NONE;
    }
    n[at + 4] = NaN;
    return b.value(this.offsetText.get(r[0]));
  }

  /** An other row's payload and REST from `x[at]` on, then its offset text. */
  private other(b: PageBuilder, i: number, x: unknown[], at: number, offsetRef: number): void {
    b.payload(i, x[at]);
    for (let c = at + 1; c <= at + 9; c++) b.ref(b.value(x[c]));
    b.ref(offsetRef);
  }

  /**
   * The id of row `seq`'s name set, defining it in this page when it is new. A Kafka
   * record's set holds its partition and meta (a plain one takes them from there); an
   * unnamed one (null text) holds them when it is plain.
   */
  private namesId(b: PageBuilder, key: unknown, seq: number, plain: boolean): number {
    // Runs of one set are the common case: comparing with the last text costs less than hashing it.
    if (key === this.lastKey && key !== null) return this.lastId;
    let id = typeof key === 'string' ? this.nameIds.get(key) : undefined;
    if (id !== undefined) {
      this.lastKey = key as string;
      this.lastId = id;
      return id;
    }
    this.misses++;
    const [transport, event, destKind, eventTimeSource, endpoint, destination, partition, meta] = this.namesOf.get(seq) as unknown[];
    const common = [transport, event, destKind, eventTimeSource, endpoint, destination];
    const kafka = typeof key === 'string' ? key.startsWith('k') : plain;
    id = this.nextNameId++;
    b.names.push(kafka ? [1, ...common, partition, meta] : [0, ...common, null, null]);
    const clean = (v: unknown): boolean => typeof v === 'string' && !v.includes(SEP);
    const cacheable =
      typeof key === 'string' && common.every(clean) && (!kafka || ((typeof partition === 'number' || clean(partition)) && (meta === null || clean(meta))));
    if (cacheable) {
      this.nameIds.set(key, id);
      this.lastKey = key;
      this.lastId = id;
    }
    return id;
  }
}

/** One page as it is packed (see analysis-page-format.ts). */
class PageBuilder {
  readonly nums: Float64Array;
  private refsArr: Int32Array;
  private n = 0;
  private readonly values: unknown[] = [];
  private readonly index = new Map<string, number>();
  private readonly blobs: Buffer[] = [];
  private blobBytes = 0;
  firstNameId = 0;
  readonly names: NamesDef[] = [];
  private odd: OddValue[] | null = null;

  constructor(
    private readonly afterSeq: number,
    private readonly count: number,
    full: boolean,
  ) {
    this.nums = new Float64Array(count * NUMS);
    this.refsArr = new Int32Array(Math.max(32, count * (full ? 12 : 4)));
  }

  /** Makes room for a row's refs (ROW_OTHER_FULL, the longest, has 20). */
  row(kind: number): void {
    if (this.n + 20 > this.refsArr.length) {
      const grown = new Int32Array(this.refsArr.length * 2);
      grown.set(this.refsArr);
      this.refsArr = grown;
    }
    this.refsArr[this.n++] = kind;
  }

  ref(x: number): void {
    this.refsArr[this.n++] = x;
  }

  /** A column's value (texts interned: names, ids and meta repeat within a page). */
  value(v: unknown): number {
    if (v === null) return NONE;
    if (typeof v === 'string') {
      let i = this.index.get(v);
      if (i === undefined) {
        i = this.values.length;
        this.values.push(v);
        this.index.set(v, i);
      }
      return i;
    }
    this.values.push(v);
    return this.values.length - 1;
  }

  /** A body text, not interned (bodies rarely repeat). */
  text(v: string): number {
    this.values.push(v);
    return this.values.length - 1;
  }

  /** A numeric head column of row `i`: a value of another type travels as odd. */
  number(i: number, at: number, field: string, v: unknown, nullable: boolean): void {
    if (typeof v === 'number') this.nums[at] = v;
    else {
      this.nums[at] = NaN;
      if (v !== null || !nullable) (this.odd ??= []).push([i, field, v]);
    }
  }

  /** An other row's payload: its bytes in `blobs` (anything but bytes travels as odd). */
  payload(i: number, v: unknown): void {
    if (Buffer.isBuffer(v)) {
      this.ref(this.blobBytes);
      this.ref(v.byteLength);
      this.blobs.push(v);
      this.blobBytes += v.byteLength;
      return;
    }
    this.ref(0);
    this.ref(-1);
    if (v !== null) (this.odd ??= []).push([i, 'payload', v]);
  }

  done(): PackedPage {
    const blobs = new Uint8Array(this.blobBytes);
    let at = 0;
    for (const x of this.blobs) {
      blobs.set(x, at);
      at += x.byteLength;
    }
    return {
      afterSeq: this.afterSeq,
      count: this.count,
      nums: this.nums,
      refs: this.refsArr,
      refsLength: this.n,
      values: this.values,
      blobs,
      firstNameId: this.firstNameId,
      names: this.names,
      odd: this.odd,
    };
  }
}
