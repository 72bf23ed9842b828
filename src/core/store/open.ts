import fs from 'node:fs';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { SQLITE_CACHE_KIB, SQLITE_WAL_AUTOCHECKPOINT_PAGES } from '../common/constants.ts';
import { APPLICATION_ID, FORMAT_NAME, SCHEMA_VERSION } from './schema.ts';
import { SessionFileError, damagedError } from './errors.ts';

export { SessionFileError } from './errors.ts';

export interface StoreOptions {
  /** Path of an Electron-ABI build of better-sqlite3 (the desktop app passes one). */
  nativeBinding?: string;
}

/**
 * WAL with synchronous=NORMAL keeps every committed batch across a crash of the process; a
 * larger page cache and rarer checkpoints roughly double the insert rate with four indexes.
 */
export function tuneForWriting(db: Db): void {
  db.pragma('synchronous = NORMAL');
  db.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
  db.pragma(`wal_autocheckpoint = ${SQLITE_WAL_AUTOCHECKPOINT_PAGES}`);
  db.pragma('temp_store = MEMORY');
}

export function openDb(path: string, readonly: boolean, options: StoreOptions, mustExist = readonly): Db {
  const db = new Database(path, {
    readonly,
    fileMustExist: mustExist,
    ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
  });
  return db;
}

/**
 * Opens an existing file for reading without leaving anything behind. A read-only
 * connection to a WAL database creates `-wal` and `-shm` files it can never remove, so
 * when no `-wal` exists yet the file is opened read-write with `query_only`: that
 * connection writes nothing (an empty WAL needs no checkpoint, so the main file keeps its
 * bytes and mtime) and SQLite deletes both sidecars when it closes. With a `-wal` or a hot
 * `-journal` already present (another writer, or a crash) only a read-only connection is
 * safe, and the sidecars were there anyway.
 */
export function openQuietly(path: string, options: StoreOptions): Db {
  if (!fs.existsSync(`${path}-wal`) && !fs.existsSync(`${path}-journal`)) {
    try {
      const db = openDb(path, false, options, true);
      db.pragma('query_only = ON');
      return db;
    } catch {
      // Not writable (read-only media, permissions): fall back to a read-only connection.
    }
  }
  return openDb(path, true, options);
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/** Refuses anything that is not an SQLite database before SQLite even touches it. */
export function checkHeader(path: string): void {
  if (fs.statSync(path).isDirectory()) {
    throw new SessionFileError(`${path} is a folder, not a Flowscope session.`, 'not-a-session');
  }
  const fd = fs.openSync(path, 'r');
  try {
    const head = Buffer.alloc(100);
    const n = fs.readSync(fd, head, 0, 100, 0);
    if (n < 100 || !head.subarray(0, 16).equals(SQLITE_MAGIC)) {
      throw new SessionFileError(
        `${path} is not a Flowscope session (it is not an SQLite database${n < 100 ? ', or it is truncated' : ''}).`,
        'not-a-session',
      );
    }
    const appId = head.readUInt32BE(68);
    // With a -wal beside it the newest header may live in the WAL; the meta table decides then.
    const walDecides = appId === 0 && fs.existsSync(`${path}-wal`);
    if (appId !== APPLICATION_ID && !walDecides) {
      throw new SessionFileError(
        `${path} is an SQLite database but not a Flowscope session (application id 0x${appId.toString(16)}).`,
        'not-a-session',
      );
    }
    // A file cut short (partial copy, full disk) is refused up front: SQLite would open it and
    // fail later on whichever page is missing. The header's page count is only authoritative
    // when its version-valid-for matches the change counter and no WAL holds newer pages.
    const pageSize = head.readUInt16BE(16) === 1 ? 65_536 : head.readUInt16BE(16);
    const pages = head.readUInt32BE(28);
    const size = fs.fstatSync(fd).size;
    if (pages > 0 && head.readUInt32BE(24) === head.readUInt32BE(92) && !fs.existsSync(`${path}-wal`) && size < pages * pageSize) {
      throw damagedError(path, `it should hold ${pages * pageSize} bytes but has ${size}`, 'truncated or damaged');
    }
  } finally {
    fs.closeSync(fd);
  }
}

export function verifySession(db: Db, path: string): void {
  let meta: Record<string, string>;
  try {
    const rows = db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[];
    meta = Object.fromEntries(rows.map((r) => [r.key, r.value]));
    db.prepare('SELECT seq FROM messages LIMIT 1').all();
  } catch (err) {
    throw damagedError(path, (err as Error).message);
  }
  if (meta.format !== FORMAT_NAME) {
    throw new SessionFileError(`${path} is not a Flowscope session (format "${meta.format ?? 'missing'}").`, 'not-a-session');
  }
  const version = Number(meta.schema_version);
  if (!Number.isInteger(version)) {
    throw damagedError(path, 'it has no valid schema version');
  }
  if (version > SCHEMA_VERSION) {
    throw new SessionFileError(
      `${path} was written by a newer Flowscope (schema ${version}; this version reads up to ${SCHEMA_VERSION}). Update Flowscope to open it.`,
      'newer-schema',
    );
  }
}
