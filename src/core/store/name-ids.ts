import type { Database as Db, Statement } from 'better-sqlite3';

/** The repeated names schema 6 stores as ids into `names` (column `NAME_id` in `message_rows`), in row order. */
export const NAME_COLUMNS = ['event_time_source', 'transport', 'endpoint', 'event', 'dest_kind', 'destination'] as const;

/** SQL for the name whose id is the expression `id` (schema 6). */
export function nameOf(id: string): string {
  return `(SELECT name FROM names WHERE id = ${id})`;
}

/** SQL for the id of the name `name` (an SQL expression; schema 6). */
export function idOf(name: string): string {
  return `(SELECT id FROM names WHERE name = ${name})`;
}

/** Where toParams puts NAME_COLUMNS (consecutive, after seq and the three times). */
const NAME_PARAMS = [4, 5, 6, 7, 8, 9] as const;
/**
 * Names kept in memory at once. A recording repeats a handful (its transports, endpoints,
 * events, destinations); MQTT topics that carry a device id can be many, and past this the
 * map starts over (each name is then read once more from the table).
 */
const CACHED_NAMES = 10_000;

/**
 * The ids of schema 6's names (`names`, see schema.ts) for one write connection: found or
 * added as rows are inserted, inside the caller's transaction, and remembered. A name added
 * in a transaction that rolls back is gone from the table, so a writer calls `forget` after
 * every failed write: an id it remembered could otherwise be given to a row, dangling.
 */
export class NameIds {
  private readonly ids = new Map<string, number>();
  private readonly find: Statement;
  private readonly insert: Statement;

  constructor(db: Db) {
    this.find = db.prepare('SELECT id FROM names WHERE name = ?').pluck(true);
    this.insert = db.prepare('INSERT INTO names (name) VALUES (?)');
  }

  /** Puts ids in place of the names in a row's parameters (toParams's order); a null stays null (NOT NULL refuses it). */
  toIds(params: unknown[]): void {
    for (const i of NAME_PARAMS) {
      const name = params[i];
      if (typeof name === 'string') params[i] = this.id(name);
    }
  }

  id(name: string): number {
    const known = this.ids.get(name);
    if (known !== undefined) return known;
    const id = (this.find.get(name) as number | undefined) ?? Number(this.insert.run(name).lastInsertRowid);
    if (this.ids.size >= CACHED_NAMES) this.ids.clear();
    this.ids.set(name, id);
    return id;
  }

  /** A write failed and rolled back: ids given since the last commit may be gone. */
  forget(): void {
    this.ids.clear();
  }
}

/** A row as rowColumns reads it in a file of schema 6: ids where the names go (rows.ts). */
type NamedRow = Record<(typeof NAME_COLUMNS)[number], unknown>;

/**
 * The names of schema 6's ids for one reading connection. A committed id never changes its
 * name (names are only ever added), so what is cached stays true; an id this connection
 * cannot see yet is read again next time.
 */
export class NameCache {
  private readonly names = new Map<number, string>();
  private readonly one: Statement;

  constructor(db: Db) {
    this.one = db.prepare('SELECT name FROM names WHERE id = ?').pluck(true);
  }

  /** Puts the names in place of the ids, in place; returns the row. */
  named<R extends NamedRow>(r: R): R {
    for (const c of NAME_COLUMNS) r[c] = this.name(r[c]) as R[typeof c];
    return r;
  }

  private name(id: unknown): unknown {
    if (typeof id !== 'number') return id;
    const known = this.names.get(id);
    if (known !== undefined) return known;
    const name = this.one.get(id) as string | undefined;
    if (name === undefined) return null;
    if (this.names.size >= CACHED_NAMES) this.names.clear();
    this.names.set(id, name);
    return name;
  }
}
