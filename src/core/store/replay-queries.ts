import type { EventColumns } from './rows.ts';
import type { Database as Db } from 'better-sqlite3';
import type { DestinationKind } from '../../shared/model.ts';
import type { MessageFilter } from '../../shared/filter.ts';
import { filterToSql } from './filter-sql.ts';
import { idOf, nameOf } from './name-ids.ts';

/**
 * The queries a replay plans with, over the snapshot `seq <= upToSeq` it was started on
 * (messages recorded after the start are not replayed).
 */

export interface ReplayRange {
  total: number;
  firstTime: number | null;
  lastTime: number | null;
}

/** One destination a replay sends to; `rk` is the routing key of default-exchange publishes. */
export interface ReplayDestinationRow {
  destination: string;
  destKind: DestinationKind;
  rk: string | null;
  maxPartition: number | null;
  n: number;
}

/** A recorded WebSocket `open` event, meta as stored (JSON text). */
export interface WsOpenRow {
  endpoint: string;
  connection: string | null;
  meta: string | null;
}

/** `cols`: the file's columns for the filter (see filterToSql). */
function upTo(filter: MessageFilter, cols: EventColumns): { where: string; params: Record<string, unknown> } {
  const { where, params } = filterToSql(filter, {}, cols);
  return { where: `${where ? `${where} AND` : 'WHERE'} seq <= @upToSeq`, params };
}

export function replayRange(db: Db, filter: MessageFilter, upToSeq: number, cols: EventColumns): ReplayRange {
  const { where, params } = upTo(filter, cols);
  const r = db.prepare(`SELECT COUNT(*) AS n, MIN(time) AS first, MAX(time) AS last FROM messages ${where}`).get({ ...params, upToSeq }) as {
    n: number;
    first: number | null;
    last: number | null;
  };
  return { total: r.n, firstTime: r.first, lastTime: r.last };
}

export function replayDestinations(db: Db, filter: MessageFilter, upToSeq: number, cols: EventColumns): ReplayDestinationRow[] {
  const { where, params } = upTo(filter, cols);
  // Publishes to the default exchange are addressed by routing key (= queue name): group by it.
  const sql = cols.nameIds
    ? // Schema 6: grouped by the names' ids, each group's names read once.
      `SELECT ${nameOf('d')} AS destination, ${nameOf('k')} AS destKind, rk, maxPartition, n FROM (
      SELECT destination_id AS d, dest_kind_id AS k,
        CASE WHEN transport_id = ${idOf("'amqp'")} AND destination_id IN (SELECT id FROM names WHERE name IN ('', 'amq.default')) THEN routing_key END AS rk,
        MAX(partition) AS maxPartition, COUNT(*) AS n
      FROM messages ${where} GROUP BY d, k, rk)`
    : `SELECT destination, dest_kind AS destKind,
      CASE WHEN transport = 'amqp' AND destination IN ('', 'amq.default') THEN routing_key END AS rk,
      MAX(partition) AS maxPartition, COUNT(*) AS n
    FROM messages ${where} GROUP BY destination, dest_kind, rk`;
  return db.prepare(sql).all({ ...params, upToSeq }) as ReplayDestinationRow[];
}

export function wsOpens(db: Db, upToSeq: number, cols: EventColumns): IterableIterator<WsOpenRow> {
  const opens = cols.nameIds ? `transport_id = ${idOf("'ws'")} AND event_id = ${idOf("'open'")}` : "transport = 'ws' AND event = 'open'";
  return db
    .prepare(`SELECT endpoint, connection, meta FROM messages WHERE ${opens} AND seq <= @upToSeq`)
    .iterate({ upToSeq }) as IterableIterator<WsOpenRow>;
}
