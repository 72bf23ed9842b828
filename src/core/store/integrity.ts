import fs from 'node:fs';
import type { Database as Db } from 'better-sqlite3';
import { QUICK_CHECK_MAX_BYTES } from '../common/constants.ts';
import { SessionFileError, damagedError } from './errors.ts';

/** Damage checks run when a session is opened, before any command reads it. */


interface SchemaObject {
  type: string;
  name: string;
  tbl_name: string;
  rootpage: number | null;
  sql: string | null;
}

/**
 * Refuses a session whose pages or schema are damaged, before any command reads it.
 *
 * Small files get `PRAGMA quick_check`. It is O(size) at about 5 ms per MiB, so a
 * 1M-message session (450 MB) would take over 2 s; larger files instead walk every page of
 * every table b-tree and of every full index (`count(*)` reads each page and checks its
 * header and cell sizes, but decodes no record: about 1 ms per MiB) and require each index
 * to list as many rows as its table. That catches a page overwritten with anything, and a
 * schema whose root page points at another table (which reads as an empty session). A
 * damaged overflow page or partial index of a large file is found when a query reaches it,
 * and reported in the same words (see `asSessionFileError`).
 */
export function checkIntegrity(db: Db, path: string, opts: { quickCheckMaxBytes?: number; deferWalk?: boolean } = {}): { walkDeferred: boolean } {
  return asDamage(path, () => {
    db.pragma('cell_size_check = ON');
    const objects = schemaObjects(db);
    checkRootPages(objects, db.pragma('page_count', { simple: true }) as number, path);
    if (fileBytes(path) <= (opts.quickCheckMaxBytes ?? QUICK_CHECK_MAX_BYTES)) quickCheck(db, path);
    else if (opts.deferWalk) return { walkDeferred: true };
    else walkBtrees(db, objects, path);
    return { walkDeferred: false };
  });
}

/**
 * The large-file walk alone, as `checkIntegrity` would run it: what a session opened with
 * `deferWalk` runs on its own thread (integrity-worker.ts), so opening a big session costs
 * what it shows rather than a read of every page first (issue 12).
 */
export function walkSession(db: Db, path: string): void {
  asDamage(path, () => {
    db.pragma('cell_size_check = ON');
    walkBtrees(db, schemaObjects(db), path);
  });
}

/** Runs a check; whatever SQLite throws while checking is the file's damage, in the common words. */
function asDamage<T>(path: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof SessionFileError) throw err;
    throw damagedError(path, (err as Error).message);
  }
}

function schemaObjects(db: Db): SchemaObject[] {
  return db.prepare('SELECT type, name, tbl_name, rootpage, sql FROM sqlite_master').all() as SchemaObject[];
}

function fileBytes(path: string): number {
  const wal = `${path}-wal`;
  return fs.statSync(path).size + (fs.existsSync(wal) ? fs.statSync(wal).size : 0);
}

/** Every table and index has a root page of its own inside the file. */
function checkRootPages(objects: readonly SchemaObject[], pageCount: number, path: string): void {
  const owner = new Map<number, string>();
  for (const o of objects) {
    if (o.type !== 'table' && o.type !== 'index') continue;
    // Virtual tables and views have no pages; every stored table and index has one.
    if (o.rootpage === 0 && o.sql !== null && /^\s*CREATE\s+VIRTUAL\b/i.test(o.sql)) continue;
    const root = o.rootpage ?? 0;
    if (!Number.isInteger(root) || root < 2 || root > pageCount) {
      throw damagedError(path, `the schema puts ${o.name} on page ${root}, outside the file's ${pageCount} pages`);
    }
    const other = owner.get(root);
    if (other !== undefined) throw damagedError(path, `the schema puts both ${other} and ${o.name} on page ${root}`);
    owner.set(root, o.name);
  }
}

function quickCheck(db: Db, path: string): void {
  const rows = db.pragma('quick_check(5)') as { quick_check: string }[];
  // One row may hold several problems, one per line, under a "*** in database main ***" heading.
  const problems = rows.flatMap((r) => r.quick_check.split('\n')).filter((l) => l !== 'ok' && !l.startsWith('*** in database'));
  if (problems.length > 0) throw damagedError(path, `integrity check: ${problems[0]!}`);
}

function walkBtrees(db: Db, objects: readonly SchemaObject[], path: string): void {
  const q = (name: string): string => `"${name.replace(/"/g, '""')}"`;
  const rows = new Map<string, number>();
  for (const t of objects) {
    if (t.type !== 'table' || !t.rootpage) continue;
    rows.set(t.name, (db.prepare(`SELECT count(*) AS n FROM ${q(t.name)} NOT INDEXED`).get() as { n: number }).n);
  }
  for (const i of objects) {
    // Partial indexes (WHERE …) list only some rows; their pages are read when a query needs them.
    if (i.type !== 'index' || !i.rootpage || (i.sql !== null && /\bWHERE\b/i.test(i.sql))) continue;
    const n = (db.prepare(`SELECT count(*) AS n FROM ${q(i.tbl_name)} INDEXED BY ${q(i.name)}`).get() as { n: number }).n;
    const expected = rows.get(i.tbl_name);
    if (expected !== undefined && n !== expected) {
      throw damagedError(path, `table ${i.tbl_name} holds ${expected} rows but its index ${i.name} lists ${n}`);
    }
  }
}
