import fs from 'node:fs';
import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import type { CapturedMessage, Gap, GroupOffset, JsonValue, MessageRow, StoredMessage } from '../../shared/model.ts';
import type { MessageFilter } from '../../shared/filter.ts';
import type { DestinationStats } from '../../shared/views.ts';
import { APPLICATION_ID, FORMAT_NAME, MIGRATE_V1_SQL, PAGE_SIZE, SCHEMA_AFTER_META_SQL, SCHEMA_SQL, SCHEMA_VERSION } from './schema.ts';
import { TimeBlocks, captureTo, seqRangeClause, spanSql } from './time-blocks.ts';
import { KeyRefs } from './key-refs.ts';
import { NameCache, NameIds, nameOf } from './name-ids.ts';
import { addGaps, readGaps } from './gaps.ts';
import { filterToSql } from './filter-sql.ts';
import type { Discovery } from '../../shared/discovery.ts';
import { SessionFileError, checkHeader, openDb, openQuietly, tuneForWriting, verifySession, type StoreOptions } from './open.ts';
import { EVENT_COLUMNS, HASHED_COLUMNS, KEY_REFS_COLUMNS, NAME_IDS_COLUMNS, TIME_BLOCKS_COLUMNS, INSERT_SQL, INSERT_SQL_HASHED, INSERT_SQL_IDS, V1_EVENT_COLUMNS, rowColumns, toListRow, toParams, toOffsets, toStored, type EventColumns, type OffsetRow, type Row } from './rows.ts';
import { stampEventTime } from '../common/event-time.ts';
import { replayDestinations, replayRange, wsOpens, type ReplayDestinationRow, type ReplayRange, type WsOpenRow } from './replay-queries.ts';
import { ANALYSIS_READ_AHEAD, ANALYSIS_READ_THREADS, ANALYSIS_THREAD_MIN, PREVIEW_BYTES } from '../common/constants.ts';
import { getLogger } from '../common/logger.ts';
import { checkIntegrity } from './integrity.ts';
import { verifyInBackground } from './integrity-background.ts';
import { isFileOrSidecar, siblingTemp } from '../common/same-file.ts';
import { StoreWriter } from './store-writer.ts';
import { textHash } from './ref-hash.ts';
import { AnalysisSnapshots } from './analysis-snapshot.ts';
import { AnalysisPageReader, AnalysisPages } from './analysis-reader.ts';
import { AnalysisPageDecoder } from './analysis-page-decode.ts';
import { AnalysisReadAhead } from './analysis-read-ahead.ts';
import { DECODED_SQL, registerDecodedFunction, type DecodedFunction } from './decoded-sql.ts';

export { SESSION_EXTENSION } from './schema.ts';
export { SessionFileError, type StoreOptions } from './open.ts';
export { StoreWriter, WriteError } from './store-writer.ts';
export { asSessionFileError, damagedError, isCorruption } from './errors.ts';

const log = getLogger('store');

export interface EndpointRecord {
  id: string;
  transport: string;
  label: string;
  /** Endpoint settings with credentials already removed. */
  config: Record<string, JsonValue>;
  createdAt: number;
}

/**
 * One session file. Writes happen in batches inside one transaction each; reads are
 * paged and filtered in SQL so no caller ever needs the whole session in memory.
 */
export class SessionStore {
  readonly readonly: boolean;
  private insertMany: ((msgs: readonly CapturedMessage[]) => number) | null = null;
  private lastSeqCache = 0;
  /** Where event time is read from: its columns, or capture time in a version-1 file. */
  private eventCols: EventColumns;
  private rowCols: string;
  /** Schema 6: rowCols reads the names' ids, and this puts the names in (name-ids.ts). */
  private nameCache: NameCache | null = null;
  private snapshotTable: AnalysisSnapshots | null = null;
  private analysisReader: AnalysisPageReader | null = null;
  private readonly decoded: DecodedFunction;
  /** The large-file page walk was left for `verifyDeferred`. */
  private walkDeferred = false;
  private deferredWalk: Promise<void> | null = null;

  private constructor(
    readonly path: string,
    private readonly db: Db,
    readonly: boolean,
    private readonly options: StoreOptions = {},
  ) {
    this.readonly = readonly;
    this.db.defaultSafeIntegers(false);
    this.lastSeqCache = (db.prepare('SELECT COALESCE(MAX(seq), 0) AS s FROM messages').get() as { s: number }).s;
    const version = Number((db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined)?.value);
    this.eventCols = version >= 6 ? NAME_IDS_COLUMNS : version >= 5 ? TIME_BLOCKS_COLUMNS : version >= 4 ? KEY_REFS_COLUMNS : version >= 3 ? HASHED_COLUMNS : version >= 2 ? EVENT_COLUMNS : V1_EVENT_COLUMNS;
    this.rowCols = rowColumns(this.eventCols);
    this.nameCache = this.eventCols.nameIds ? new NameCache(db) : null;
    this.decoded = registerDecodedFunction(db);
  }

  /**
   * The decoders the SQL filters read decoded fields through (`field`, and `text` when the
   * session has decoder rules); the file is not changed.
   */
  setDecoder(registry: Parameters<DecodedFunction['set']>[0]): void {
    this.decoded.set(registry);
  }

  /** A row read with rowCols, with its names (schema 6 reads ids). */
  private named(r: Row): Row {
    return this.nameCache ? this.nameCache.named(r) : r;
  }

  /** Filter columns and whether decoded text is searched. */
  private get cols() {
    return { ...this.eventCols, decodedText: this.decoded.searchesText() };
  }

  /** A version-1 file gets its event-time columns before its first new message. */
  private migrateForWriting(): void {
    if (this.eventCols !== V1_EVENT_COLUMNS) return;
    this.db.transaction(() => this.db.exec(MIGRATE_V1_SQL))();
    this.eventCols = EVENT_COLUMNS;
    this.rowCols = rowColumns(this.eventCols);
  }

  /** The batch insert, prepared on first use. */
  private inserter(): (msgs: readonly CapturedMessage[]) => number {
    if (this.insertMany) return this.insertMany;
    this.migrateForWriting();
    const hashed = this.eventCols.hashedRefs;
    const names = this.eventCols.nameIds ? new NameIds(this.db) : null;
    const stmt: Statement = this.db.prepare(names ? INSERT_SQL_IDS : hashed ? INSERT_SQL_HASHED : INSERT_SQL);
    const refs = this.eventCols.keyRefs ? new KeyRefs(this.db) : null;
    const blocks = this.eventCols.timeBlocks ? new TimeBlocks(this.db) : null;
    const insert = this.db.transaction((msgs: readonly CapturedMessage[]) => {
      let seq = this.lastSeqCache;
      for (const m of msgs) {
        seq += 1;
        stampEventTime(m);
        const params = toParams(seq, m, hashed);
        names?.toIds(params);
        // Positional parameters: about twice as fast as named ones on the hot path.
        stmt.run(...params);
      }
      this.lastSeqCache = seq;
      // Inserted here, batches are small and rare (imports, tests, a recording without the
      // writer thread): each adds its refs, so none wait.
      refs?.add(seq, true);
      blocks?.add(seq);
      return seq;
    });
    this.insertMany = (msgs) => {
      try {
        return insert(msgs);
      } catch (err) {
        // Rolled back: the names it added are gone (name-ids.ts).
        names?.forget();
        throw err;
      }
    };
    return this.insertMany;
  }

  /** Creates a new, empty session file. Refuses to overwrite an existing file. */
  static create(path: string, meta: Record<string, string> = {}, options: StoreOptions = {}): SessionStore {
    if (fs.existsSync(path)) {
      throw new SessionFileError(`${path} already exists; choose another file name.`, 'exists');
    }
    const db = openDb(path, false, options);
    // Before anything is written: a page size is fixed once the file has content.
    db.pragma(`page_size = ${PAGE_SIZE}`);
    // The application id goes into the main file before WAL mode: once in WAL, page 1 changes
    // live in the -wal file until a checkpoint, and a recording killed before its first
    // checkpoint would leave a main file whose header does not say what it is.
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.pragma('journal_mode = WAL');
    tuneForWriting(db);
    db.exec(SCHEMA_SQL);
    const insert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    const base: Record<string, string> = {
      format: FORMAT_NAME,
      schema_version: String(SCHEMA_VERSION),
      created_at: new Date().toISOString(),
      ...meta,
    };
    db.transaction(() => {
      for (const [k, v] of Object.entries(base)) insert.run(k, v);
      db.exec(SCHEMA_AFTER_META_SQL);
    })();
    return new SessionStore(path, db, false, options);
  }

  /**
   * Opens an existing session. The file is first inspected read-only, so a foreign, newer
   * or damaged file is refused without a single byte of it changing.
   */
  static open(path: string, opts: { readonly?: boolean; quickCheckMaxBytes?: number; deferWalk?: boolean } & StoreOptions = {}): SessionStore {
    if (!fs.existsSync(path)) throw new SessionFileError(`${path} does not exist.`, 'not-found');
    checkHeader(path);
    const probe = openQuietly(path, opts);
    let walkDeferred: boolean;
    try {
      verifySession(probe, path);
      ({ walkDeferred } = checkIntegrity(probe, path, {
        ...(opts.quickCheckMaxBytes !== undefined ? { quickCheckMaxBytes: opts.quickCheckMaxBytes } : {}),
        deferWalk: opts.deferWalk ?? false,
      }));
    } finally {
      probe.close();
    }
    const readonly = opts.readonly ?? false;
    const db = readonly ? openQuietly(path, opts) : openDb(path, false, opts);
    if (!readonly) {
      db.pragma('journal_mode = WAL');
      tuneForWriting(db);
    }
    const store = new SessionStore(path, db, readonly, opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {});
    store.walkDeferred = walkDeferred;
    return store;
  }

  /**
   * Opened with `deferWalk`, a large file's page walk did not run before opening: this runs
   * it on its own thread (integrity-background.ts) and rejects with the damaged-session
   * error if it finds damage. Resolves at once when there is nothing left to check.
   */
  verifyDeferred(): Promise<void> {
    if (!this.walkDeferred) return Promise.resolve();
    // One walk however many wait for it (the engine, and a command that must not print first).
    return (this.deferredWalk ??= verifyInBackground(this.path, this.options).then(() => {
      this.walkDeferred = false;
    }));
  }

  /** The analysis kept in the file (see analysis-snapshot.ts). */
  get snapshots(): AnalysisSnapshots {
    return (this.snapshotTable ??= new AnalysisSnapshots(this.db, this.readonly));
  }

  get lastSeq(): number {
    return this.lastSeqCache;
  }

  /**
   * A writer thread for this file's messages (store-writer.ts): batches are inserted off the
   * caller's thread, with the seqs the caller gave them. The caller reports each committed
   * batch with `noteWritten`, and must not call insertBatch while the writer is open.
   */
  openWriter(): StoreWriter {
    if (this.readonly) throw new Error('This session is open read-only.');
    this.migrateForWriting();
    return new StoreWriter(this.path, this.options, this.eventCols);
  }

  /** The writer thread committed messages up to `lastSeq`. */
  noteWritten(lastSeq: number): void {
    if (lastSeq > this.lastSeqCache) this.lastSeqCache = lastSeq;
  }

  /**
   * Inserts a batch in one transaction and returns the seq of its last message. Messages
   * without an event time get it stamped in place (core/common/event-time.ts), so whoever
   * handles them next sees the event time the file holds.
   */
  insertBatch(msgs: readonly CapturedMessage[]): number {
    if (this.readonly) throw new Error('This session is open read-only.');
    if (msgs.length === 0) return this.lastSeqCache;
    return this.inserter()(msgs);
  }

  addOffsets(rows: readonly GroupOffset[]): void {
    if (rows.length === 0) return;
    const stmt = this.db.prepare(
      'INSERT INTO group_offsets (time, endpoint, group_id, topic, partition, offset) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      for (const r of rows) stmt.run(r.time, r.endpoint, r.groupId, r.topic, r.partition, BigInt(r.offset));
    })();
  }

  addDiscovery(d: Discovery): void {
    this.db
      .prepare('INSERT INTO discovery (time, endpoint, source, facts) VALUES (?, ?, ?, ?)')
      .run(d.time, d.endpoint, d.source, JSON.stringify(d));
  }

  latestDiscovery(): Discovery[] {
    const rows = this.db
      .prepare(
        `SELECT facts FROM discovery d WHERE time = (SELECT MAX(time) FROM discovery d2
         WHERE d2.endpoint = d.endpoint AND d2.source = d.source)`,
      )
      .all() as { facts: string }[];
    return rows.map((r) => JSON.parse(r.facts) as Discovery);
  }

  /** Records gaps (creating the table in a file written before it existed). */
  addGaps(gaps: readonly Gap[]): void {
    if (this.readonly) throw new Error('This session is open read-only.');
    addGaps(this.db, gaps);
  }

  /** The session's gaps in time order; none for a file without the table. */
  gaps(): Gap[] {
    return readGaps(this.db);
  }

  logEndpoint(time: number, endpoint: string, status: string, detail?: string): void {
    this.db
      .prepare('INSERT INTO endpoint_log (time, endpoint, status, detail) VALUES (?, ?, ?, ?)')
      .run(time, endpoint, status, detail ?? null);
  }

  endpointLog(endpoint?: string): { time: number; endpoint: string; status: string; detail: string | null }[] {
    const sql = endpoint
      ? 'SELECT * FROM endpoint_log WHERE endpoint = ? ORDER BY time'
      : 'SELECT * FROM endpoint_log ORDER BY time';
    return (endpoint ? this.db.prepare(sql).all(endpoint) : this.db.prepare(sql).all()) as never;
  }

  upsertEndpoint(e: EndpointRecord): void {
    this.db
      .prepare(
        `INSERT INTO endpoints (id, transport, label, config, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET label = excluded.label, config = excluded.config`,
      )
      .run(e.id, e.transport, e.label, JSON.stringify(e.config), e.createdAt);
  }

  endpoints(): EndpointRecord[] {
    const rows = this.db.prepare('SELECT * FROM endpoints ORDER BY created_at').all() as {
      id: string;
      transport: string;
      label: string;
      config: string;
      created_at: number;
    }[];
    return rows.map((r) => ({
      id: r.id,
      transport: r.transport,
      label: r.label,
      config: JSON.parse(r.config) as Record<string, JsonValue>,
      createdAt: r.created_at,
    }));
  }

  getMeta(): Record<string, string> {
    const rows = this.db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[];
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** Committed offsets in time order, optionally only for one topic. */
  offsets(topic?: string): GroupOffset[] {
    const sql = `SELECT time, endpoint, group_id, topic, partition, CAST(offset AS TEXT) AS offset FROM group_offsets
      ${topic ? 'WHERE topic = ?' : ''} ORDER BY time`;
    const stmt = this.db.prepare(sql);
    return toOffsets((topic ? stmt.all(topic) : stmt.all()) as OffsetRow[]);
  }

  /** Offset polls with `after < time <= upTo`, in the order they were polled. */
  offsetsBetween(after: number, upTo: number): GroupOffset[] {
    const rows = this.db
      .prepare(
        `SELECT time, endpoint, group_id, topic, partition, CAST(offset AS TEXT) AS offset FROM group_offsets
         WHERE time > ? AND time <= ? ORDER BY time, rowid`,
      )
      .all(after, upTo) as OffsetRow[];
    return toOffsets(rows);
  }

  count(filter: MessageFilter = {}): number {
    const { where, params } = filterToSql(filter, {}, this.cols);
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM messages ${where}`).get(params) as { n: number }).n;
  }

  /**
   * One page of list rows. `offset` positions the page inside the filtered set (what a
   * virtualised list needs); `afterSeq` continues after a known row (what tailing needs).
   */
  rows(
    filter: MessageFilter,
    page: { offset?: number; afterSeq?: number; limit: number; order?: 'asc' | 'desc' },
  ): MessageRow[] {
    const { where, params } = filterToSql(filter, page.afterSeq !== undefined ? { afterSeq: page.afterSeq } : {}, this.cols);
    const order = page.order === 'desc' ? 'DESC' : 'ASC';
    // In a session with decoder rules a list cell shows the decoded payload (one page: ≤ 1000 decodes).
    const decoded = this.decoded.searchesText() ? `, ${DECODED_SQL} AS decoded` : '';
    const sql = `SELECT ${this.rowCols}, substr(payload, 1, ${PREVIEW_BYTES}) AS head${decoded} FROM messages ${where}
      ORDER BY seq ${order} LIMIT @limit OFFSET @offset`;
    const rows = this.db
      .prepare(sql)
      .all({ ...params, limit: page.limit, offset: page.offset ?? 0 }) as Row[];
    return rows.map((r) => toListRow(this.named(r)));
  }

  get(seq: number): StoredMessage | null {
    const row = this.db.prepare(`SELECT ${this.rowCols}, payload FROM messages WHERE seq = ?`).get(seq) as
      | Row
      | undefined;
    return row ? toStored(this.named(row)) : null;
  }

  /** Rows sharing a correlation id, in order. */
  related(correlationId: string, limit = 50): MessageRow[] {
    const rows = this.db
      .prepare(
        `SELECT ${this.rowCols}, substr(payload, 1, ${PREVIEW_BYTES}) AS head FROM messages
         WHERE ${this.eventCols.hashedRefs ? 'correlation_hash = @hash AND ' : ''}correlation_id = @id ORDER BY seq LIMIT @limit`,
      )
      .all({ id: correlationId, limit, ...(this.eventCols.hashedRefs ? { hash: textHash(correlationId) } : {}) }) as Row[];
    return rows.map((r) => toListRow(this.named(r)));
  }

  /**
   * Streams full messages in seq order without materialising them all: analysis over a
   * million-message session runs through this.
   */
  *iterate(filter: MessageFilter = {}, opts: { afterSeq?: number; withPayload?: boolean } = {}): Generator<StoredMessage> {
    const { where, params } = filterToSql(filter, opts.afterSeq !== undefined ? { afterSeq: opts.afterSeq } : {}, this.cols);
    const payloadCol = opts.withPayload === false ? `substr(payload, 1, 4096) AS payload` : 'payload';
    const stmt = this.db.prepare(`SELECT ${this.rowCols}, ${payloadCol} FROM messages ${where} ORDER BY seq`);
    for (const row of stmt.iterate(params) as IterableIterator<Row>) yield toStored(this.named(row));
  }

  /** Up to `limit` full messages after `afterSeq`, in seq order (chunked catch-up without an open cursor). */
  page(afterSeq: number, limit: number, toTime?: number): StoredMessage[] {
    // Without a time index (schema 5), the seq range the blocks give stops the read at the last match.
    const until = toTime === undefined ? '' : this.eventCols.timeBlocks ? `AND time <= @toTime AND ${seqRangeClause([captureTo('@toTime')])}` : 'AND time <= @toTime';
    const rows = this.db
      .prepare(`SELECT ${this.rowCols}, payload FROM messages WHERE seq > @afterSeq ${until} ORDER BY seq LIMIT @limit`)
      .all({ afterSeq, limit, ...(toTime !== undefined ? { toTime } : {}) }) as Row[];
    return rows.map((r) => toStored(this.named(r)));
  }

  /** The same as `page` without record keys, faster: what the analysis reads a whole session with. */
  pageForAnalysis(afterSeq: number, limit: number): StoredMessage[] {
    if (this.analysisReader?.eventCols !== this.eventCols) this.analysisReader = new AnalysisPageReader(this.db, this.eventCols);
    return this.analysisReader.page(afterSeq, limit);
  }

  /**
   * The pages the analysis reads the session with after `afterSeq` (`first` messages, then
   * `page` each; see AnalysisPages): read on a thread of their own when more than
   * ANALYSIS_THREAD_MIN messages are left, or as `thread` says (ANALYSIS_READ_THREADS of them).
   * With `bodyKeys` (AnalysisState.bodyTextKeys), those threads leave out the body texts of
   * plain records that cannot match it, as if they were no JSON.
   */
  analysisPages(afterSeq: number, first: number, page: number, thread?: boolean, bodyKeys: string | null = null): AnalysisPages {
    const lanes: AnalysisReadAhead[] = [];
    if (thread ?? this.lastSeqCache - afterSeq > ANALYSIS_THREAD_MIN) {
      try {
        for (let i = 0; i < ANALYSIS_READ_THREADS; i++) lanes.push(new AnalysisReadAhead({ path: this.path, options: this.options, eventCols: this.eventCols, ahead: ANALYSIS_READ_AHEAD, bodyKeys }));
      } catch (err) {
        // As many as started read (none: this thread reads).
        log.debug(`the analysis reads on ${lanes.length || 'this'} thread(s): ${(err as Error).message}`);
      }
    }
    const source = { inline: (s: number, n: number) => this.pageForAnalysis(s, n), eventCols: () => this.eventCols, decoder: () => new AnalysisPageDecoder(this.db) };
    return new AnalysisPages(source, afterSeq, first, page, lanes);
  }

  /** Per-destination counts and bytes. */
  destinations(filter: MessageFilter = {}): DestinationStats[] {
    const { where, params } = filterToSql(filter, {}, this.cols);
    const sql = this.eventCols.nameIds
      ? // Schema 6: grouped by the names' ids, each group's names read once (not once a row).
        `SELECT ${nameOf('t')} AS transport, ${nameOf('k')} AS destKind, ${nameOf('d')} AS destination, count, bytes, firstTime, lastTime
         FROM (SELECT transport_id AS t, dest_kind_id AS k, destination_id AS d, COUNT(*) AS count, SUM(size) AS bytes,
           MIN(time) AS firstTime, MAX(time) AS lastTime FROM messages ${where} GROUP BY t, k, d)
         ORDER BY count DESC, transport, destKind, destination`
      : `SELECT transport, dest_kind AS destKind, destination, COUNT(*) AS count, SUM(size) AS bytes,
         MIN(time) AS firstTime, MAX(time) AS lastTime FROM messages ${where}
         GROUP BY transport, dest_kind, destination ORDER BY count DESC`;
    return this.db.prepare(sql).all(params) as never;
  }

  /** Message counts per event-time bucket and destination, for the timeline. */
  timeline(
    filter: MessageFilter,
    bucketMs: number,
  ): { bucket: number; destination: string; count: number }[] {
    const { where, params } = filterToSql(filter, {}, this.cols);
    const t = this.eventCols.time;
    const sql = this.eventCols.nameIds
      ? `SELECT bucket, ${nameOf('d')} AS destination, count FROM (SELECT CAST(${t} / @bucketMs AS INTEGER) * @bucketMs AS bucket,
         destination_id AS d, COUNT(*) AS count FROM messages ${where} GROUP BY bucket, d) ORDER BY bucket, destination`
      : `SELECT CAST(${t} / @bucketMs AS INTEGER) * @bucketMs AS bucket, destination, COUNT(*) AS count
         FROM messages ${where} GROUP BY bucket, destination ORDER BY bucket`;
    return this.db.prepare(sql).all({ ...params, bucketMs }) as never;
  }

  /** First and last capture time of the filtered messages (what the recording spans). */
  timeRange(filter: MessageFilter = {}): { first: number | null; last: number | null; count: number } {
    const { where, params } = filterToSql(filter, {}, this.cols);
    if (where === '') {
      // Alone, MIN and MAX read one end of the time index each (or the time blocks, see span);
      // with COUNT(*) beside them SQLite scans it all.
      return this.db.prepare(`SELECT ${this.span('time', 'MIN')} AS first, ${this.span('time', 'MAX')} AS last, (SELECT COUNT(*) FROM messages) AS count`).get() as never;
    }
    return this.db
      .prepare(`SELECT MIN(time) AS first, MAX(time) AS last, COUNT(*) AS count FROM messages ${where}`)
      .get(params) as never;
  }

  /** First and last capture time of the whole session, from the ends of the time index (or the time blocks). */
  captureSpan(): { first: number | null; last: number | null } {
    return this.db.prepare(`SELECT ${this.span('time', 'MIN')} AS first, ${this.span('time', 'MAX')} AS last`).get() as never;
  }

  /**
   * The lowest or highest capture or event time of every message: one end of its index, or
   * in a file of schema 5 the blocks' and the tail's (time-blocks.ts).
   */
  private span(column: 'time' | 'event_time', fn: 'MIN' | 'MAX'): string {
    if (this.eventCols.timeBlocks) return spanSql(column, fn);
    return `(SELECT ${fn}(${column === 'time' ? 'time' : this.eventCols.time}) FROM messages)`;
  }

  /** First and last event time of the filtered messages (what the traffic spans; the timeline's axis). */
  eventTimeRange(filter: MessageFilter = {}): { first: number | null; last: number | null } {
    const { where, params } = filterToSql(filter, {}, this.cols);
    const t = this.eventCols.time;
    // Unfiltered, MIN and MAX each read one end of the event-time index (or the time blocks) instead of every row.
    const sql =
      where === ''
        ? `SELECT ${this.span('event_time', 'MIN')} AS first, ${this.span('event_time', 'MAX')} AS last`
        : `SELECT MIN(${t}) AS first, MAX(${t}) AS last FROM messages ${where}`;
    return this.db.prepare(sql).get(params) as never;
  }

  /**
   * When the recording ended: its last message, offset poll or endpoint status change (the
   * Recorder logs "stopped" when it stops); undefined for an empty session.
   */
  recordingEnd(): number | undefined {
    const row = this.db
      .prepare(
        `SELECT MAX(t) AS t FROM (SELECT ${this.span('time', 'MAX')} AS t UNION ALL SELECT MAX(time) FROM group_offsets
         UNION ALL SELECT MAX(time) FROM endpoint_log)`,
      )
      .get() as { t: number | null };
    return row.t ?? undefined;
  }

  /** Count and time range of what `filter` selects among seq ≤ upToSeq. */
  rangeUpTo(filter: MessageFilter, upToSeq: number): ReplayRange {
    return replayRange(this.db, filter, upToSeq, this.eventCols);
  }

  /** The destinations `filter` selects among seq ≤ upToSeq, with their message counts. */
  destinationsUpTo(filter: MessageFilter, upToSeq: number): ReplayDestinationRow[] {
    return replayDestinations(this.db, filter, upToSeq, this.eventCols);
  }

  /** The WebSocket `open` events among seq ≤ upToSeq, streamed. */
  wsOpensUpTo(upToSeq: number): IterableIterator<WsOpenRow> {
    return wsOpens(this.db, upToSeq, this.eventCols);
  }

  /**
   * Writes a consistent copy of the session to another file (Save As). The copy is made
   * beside the target and renamed over it only when complete, so a failed Save As leaves
   * no half-written file and an existing target intact. Saving onto the session's own file
   * is refused: replacing it would pull the file from under this connection.
   */
  async saveAs(path: string): Promise<void> {
    if (isFileOrSidecar(path, this.path)) {
      throw new SessionFileError(`${path} is this session's own file; choose another name to save a copy.`, 'own-input');
    }
    const tmp = siblingTemp(path, 'saving');
    try {
      await this.db.backup(tmp);
      const copy = new Database(tmp);
      try {
        copy.pragma('journal_mode = DELETE');
      } finally {
        copy.close();
      }
      fs.renameSync(tmp, path);
    } finally {
      for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`, `${tmp}-journal`]) fs.rmSync(f, { force: true });
    }
  }

  /** Makes everything written so far durable in the main file. */
  checkpoint(): void {
    if (!this.readonly) this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  close(): void {
    if (!this.db.open) return;
    if (!this.readonly) {
      try {
        this.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch (err) {
        // A failed checkpoint leaves the WAL beside the file; SQLite replays it on next open.
        log.warn(`checkpoint of ${this.path} failed; its -wal file stays until the next open`, err);
      }
    }
    this.db.close();
  }
}

