/**
 * The large-file damage check of a session opened with a deferred walk (integrity.ts
 * `walkSession`), on its own thread and its own read-only connection, so the session's
 * views answer while every page is read. Posts `{ ok: true }` or the damage in the words
 * every command uses. Built as its own entry (out/cli, out/main); started by
 * integrity-background.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDb, type StoreOptions } from './open.ts';
import { walkSession } from './integrity.ts';

const { path, options } = workerData as { path: string; options: StoreOptions };
let reply: { ok: true } | { ok: false; message: string };
try {
  const db = openDb(path, true, options);
  try {
    walkSession(db, path);
  } finally {
    db.close();
  }
  reply = { ok: true };
} catch (err) {
  reply = { ok: false, message: (err as Error).message };
}
parentPort?.postMessage(reply);
