import type { MessageFilter } from '../../shared/filter.ts';

/** Escapes LIKE wildcards so user text matches literally. */
function likeLiteral(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Turns a filter into a WHERE clause with named parameters. Every branch is served by an
 * index (time, destination, correlation id, key) or is a bounded scan the user asked for
 * (payload text, header).
 */
export function filterToSql(
  f: MessageFilter,
  extra: { afterSeq?: number } = {},
): { where: string; params: Record<string, unknown> } {
  const clauses: string[] = [];
  const params: Record<string, unknown> = {};
  const list = (name: string, column: string, values: readonly (string | number)[]): void => {
    const names = values.map((v, i) => {
      params[`${name}${i}`] = v;
      return `@${name}${i}`;
    });
    clauses.push(names.length ? `${column} IN (${names.join(', ')})` : '0');
  };
  if (f.transports) list('tr', 'transport', f.transports);
  if (f.events) list('ev', 'event', f.events);
  if (f.destinations) list('de', 'destination', f.destinations);
  if (f.seqs) list('sq', 'seq', f.seqs);
  if (f.endpoint !== undefined) {
    clauses.push('endpoint = @endpoint');
    params.endpoint = f.endpoint;
  }
  if (f.connection !== undefined) {
    clauses.push('connection = @connection');
    params.connection = f.connection;
  }
  if (f.fromTime !== undefined) {
    clauses.push('time >= @fromTime');
    params.fromTime = f.fromTime;
  }
  if (f.toTime !== undefined) {
    clauses.push('time <= @toTime');
    params.toTime = f.toTime;
  }
  if (f.correlationId !== undefined) {
    clauses.push('correlation_id = @correlationId');
    params.correlationId = f.correlationId;
  }
  if (f.key !== undefined) {
    clauses.push('key = @key');
    params.key = Buffer.from(f.key, 'utf8');
  }
  if (f.text !== undefined && f.text !== '') {
    clauses.push(`CAST(payload AS TEXT) LIKE @text ESCAPE '\\'`);
    params.text = `%${likeLiteral(f.text)}%`;
  }
  if (f.header) {
    params.headerName = f.header.name;
    const valueClause = f.header.value !== undefined ? ' AND CAST(j.value AS TEXT) = @headerValue' : '';
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
