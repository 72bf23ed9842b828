import type { Database as Db, Statement } from 'better-sqlite3';

/** SQL for the name whose id is the expression `id` (schema 6). */
export function nameOf(id: string): string {
  return `(SELECT name FROM names WHERE id = ${id})`;
}

/** SQL for the id of the name `name` (an SQL expression; schema 6). */
export function idOf(name: string): string {
  return `(SELECT id FROM names WHERE name = ${name})`;
}

/** Where toParams puts the names schema 6 stores as ids (schema.ts NAME_COLUMNS, in that order). */
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
