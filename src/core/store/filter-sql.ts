import { sqliteJsonPath, type MessageFilter } from '../../shared/filter.ts';
import { DECODED_SQL } from './decoded-sql.ts';
import { refHash, textHash } from './ref-hash.ts';
import { captureTo, eventFrom, eventTo, seqRangeClause, type TimeBound } from './time-blocks.ts';
import { KEY_REFS_CLAUSE } from './key-refs.ts';
import { idOf } from './name-ids.ts';

/** Escapes LIKE wildcards so user text matches literally. */
function likeLiteral(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Turns a filter into a WHERE clause with named parameters. Every branch is served by an
 * index (event time, destination, correlation id, key) or is a bounded scan the user asked
 * for (payload text, header). The time range is on event time, the clock the timeline
 * draws: `cols.time` names it (plain `time` in a file of schema version 1). In a file of
 * schema 3 (`cols.hashedRefs`) key and correlation id are found through their hash's index,
 * then compared exactly; in a file of schema 4 (`cols.keyRefs`) keys are found through the
 * key_refs side table and the messages it does not cover yet (key-refs.ts); in a file of
 * schema 5 (`cols.timeBlocks`) a time bound is also a seq range read off `time_blocks`
 * (time-blocks.ts), which stands in for the time indexes; in a file of schema 6
 * (`cols.nameIds`) names are matched by their id.
 */
export function filterToSql(
  f: MessageFilter,
  extra: { afterSeq?: number } = {},
  cols: { time: string; hashedRefs: boolean; keyRefs?: boolean; timeBlocks?: boolean; nameIds?: boolean; decodedText?: boolean } = {
    time: 'event_time',
    hashedRefs: true,
    keyRefs: true,
    timeBlocks: true,
    nameIds: true,
  },
): { where: string; params: Record<string, unknown> } {
  const eventTimeColumn = cols.time;
  const clauses: string[] = [];
  /** Schema 5: the time bounds, also as a seq range read off `time_blocks` (no time index). */
  const timeBounds: TimeBound[] = [];
  const params: Record<string, unknown> = {};
  const list = (name: string, column: string, values: readonly (string | number)[]): void => {
    const names = values.map((v, i) => {
      params[`${name}${i}`] = v;
      return `@${name}${i}`;
    });
    if (names.length === 0) clauses.push('0');
    // Schema 6: the name's id, so the destination index serves it (the view's name is a lookup a
    // row); one name as `=`, so the index gives its rows in seq order with no sort after.
    else if (cols.nameIds && column !== 'seq') clauses.push(names.length === 1 ? `${column}_id = ${idOf(names[0]!)}` : `${column}_id IN (SELECT id FROM names WHERE name IN (${names.join(', ')}))`);
    else clauses.push(`${column} IN (${names.join(', ')})`);
  };
  if (f.transports) list('tr', 'transport', f.transports);
  if (f.events) list('ev', 'event', f.events);
  if (f.destinations) list('de', 'destination', f.destinations);
  if (f.seqs) list('sq', 'seq', f.seqs);
  if (f.endpoint !== undefined) {
    clauses.push(cols.nameIds ? `endpoint_id = ${idOf('@endpoint')}` : 'endpoint = @endpoint');
    params.endpoint = f.endpoint;
  }
  if (f.connection !== undefined) {
    clauses.push('connection = @connection');
    params.connection = f.connection;
  }
  if (f.fromTime !== undefined) {
    clauses.push(`${eventTimeColumn} >= @fromTime`);
    params.fromTime = f.fromTime;
    timeBounds.push(eventFrom('@fromTime'));
  }
  if (f.toTime !== undefined) {
    clauses.push(`${eventTimeColumn} <= @toTime`);
    params.toTime = f.toTime;
    timeBounds.push(eventTo('@toTime'));
  }
  if (f.untilCapture !== undefined) {
    clauses.push('time <= @untilCapture');
    params.untilCapture = f.untilCapture;
    timeBounds.push(captureTo('@untilCapture'));
  }
  if (cols.timeBlocks && timeBounds.length > 0) clauses.push(seqRangeClause(timeBounds));
  if (f.correlationId !== undefined) {
    clauses.push(cols.hashedRefs ? 'correlation_hash = @correlationHash AND correlation_id = @correlationId' : 'correlation_id = @correlationId');
    params.correlationId = f.correlationId;
    if (cols.hashedRefs) params.correlationHash = textHash(f.correlationId);
  }
  if (f.key !== undefined) {
    clauses.push(cols.keyRefs ? `${KEY_REFS_CLAUSE} AND key_hash = @keyHash AND key = @key` : cols.hashedRefs ? 'key_hash = @keyHash AND key = @key' : 'key = @key');
    const key = Buffer.from(f.key, 'utf8');
    params.key = key;
    if (cols.hashedRefs) params.keyHash = refHash(key);
  }
  if (f.text !== undefined && f.text !== '') {
    // LIKE stops at the first NUL byte, so it never finds text after one in a binary payload
    // (protobuf, msgpack…). instr() and lower() see the whole value but cost a copy per row,
    // so they only run where LIKE may have stopped short: rows whose character count up to
    // the first NUL falls short of their byte size (a NUL, or non-ASCII text). Both fold
    // ASCII case only.
    // In a session with decoder rules the decoded form is searched too (a Protobuf field's
    // name and its numbers are not in the bytes as text).
    const decoded = cols.decodedText ? `\n      OR instr(lower(COALESCE(${DECODED_SQL}, '')), lower(@textRaw)) > 0` : '';
    clauses.push(`(CAST(payload AS TEXT) LIKE @text ESCAPE '\\'
      OR (length(CAST(payload AS TEXT)) < size AND instr(lower(CAST(payload AS TEXT)), lower(@textRaw)) > 0)${decoded})`);
    params.text = `%${likeLiteral(f.text)}%`;
    params.textRaw = f.text;
  }
  if (f.field) {
    // The decoded form when a decoder reads the payload, else the payload itself when it is JSON.
    const doc = `COALESCE(${DECODED_SQL}, CASE WHEN json_valid(CAST(payload AS TEXT)) THEN CAST(payload AS TEXT) END)`;
    params.fieldPath = sqliteJsonPath(f.field.path);
    if (f.field.value !== undefined) {
      // json_extract gives true/false as 1/0: compare those by their JSON spelling, like headers.
      clauses.push(`(SELECT CASE WHEN t IN ('true', 'false', 'null') THEN t ELSE CAST(v AS TEXT) END
        FROM (SELECT json_type(d, @fieldPath) AS t, json_extract(d, @fieldPath) AS v FROM (SELECT ${doc} AS d))) = @fieldValue`);
      params.fieldValue = f.field.value;
    } else {
      clauses.push(`json_type(${doc}, @fieldPath) IS NOT NULL`);
    }
  }
  if (f.header) {
    params.headerName = f.header.name;
    // json_each gives true/false/null as 1/0/NULL: compare them by their JSON spelling.
    const valueClause =
      f.header.value !== undefined
        ? ` AND (CASE WHEN j.type IN ('true', 'false', 'null') THEN j.type ELSE CAST(j.value AS TEXT) END) = @headerValue`
        : '';
    if (f.header.value !== undefined) params.headerValue = f.header.value;
    clauses.push(`(EXISTS (SELECT 1 FROM json_each(messages.headers) j WHERE j.key = @headerName${valueClause})
      OR EXISTS (SELECT 1 FROM json_each(messages.properties) j WHERE j.key = @headerName${valueClause}))`);
  }
  if (extra.afterSeq !== undefined) {
    clauses.push('seq > @afterSeq');
    params.afterSeq = extra.afterSeq;
  }
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}
