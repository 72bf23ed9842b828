/**
 * The store's writer thread: owns the session's SQLite write connection for messages, so
 * inserting and index upkeep run on their own core while the engine's thread decodes and
 * analyses (issue 12). It answers every batch, in order, with its outcome; what to do about
 * a failure is the Recorder's decision (src/core/engine/recorder.ts), not this thread's.
 *
 * Built as its own entry (out/cli/writer-worker.js, out/main/writer-worker.js); started by
 * store-writer.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Statement } from 'better-sqlite3';
import { openDb, tuneForWriting, type StoreOptions } from './open.ts';
import { INSERT_SQL, INSERT_SQL_HASHED } from './rows.ts';
import { unpackParams } from './batch-codec.ts';
import type { WriterReply, WriterRequest } from './writer-protocol.ts';

const port = parentPort;
if (!port) throw new Error('writer-worker.ts runs as a worker thread only');
const { path, options, hashedRefs } = workerData as { path: string; options: StoreOptions; hashedRefs: boolean };

let insert: ((buffer: ArrayBuffer) => number) | null = null;
let lastSeq = 0;
let openError: Error | null = null;
let db: ReturnType<typeof openDb> | null = null;
try {
  db = openDb(path, false, options, true);
  tuneForWriting(db);
  const conn = db;
  lastSeq = (conn.prepare('SELECT COALESCE(MAX(seq), 0) AS s FROM messages').get() as { s: number }).s;
  const stmt: Statement = conn.prepare(hashedRefs ? INSERT_SQL_HASHED : INSERT_SQL);
  insert = conn.transaction((buffer: ArrayBuffer) => {
    let n = 0;
    for (const params of unpackParams(buffer, hashedRefs)) {
      stmt.run(...params);
      n += 1;
    }
    return n;
  });
} catch (err) {
  openError = err as Error;
}

function failure(id: number, err: unknown, skipped = false): WriterReply {
  const e = err as { message?: string; code?: unknown; name?: string };
  return {
    id,
    ok: false,
    skipped,
    error: { message: e.message ?? String(err), name: e.name ?? 'Error', ...(typeof e.code === 'string' ? { code: e.code } : {}) },
  };
}

port.on('message', (req: WriterRequest) => {
  if (req.kind === 'close') {
    try {
      db?.close();
      port.postMessage({ id: req.id, ok: true, lastSeq } satisfies WriterReply);
    } catch (err) {
      port.postMessage(failure(req.id, err));
    }
    port.close();
    return;
  }
  if (openError || !insert) {
    port.postMessage(failure(req.id, openError ?? new Error('the store writer is not open')));
    return;
  }
  // A batch that does not continue the file is one sent after a batch that failed: it is
  // refused unwritten, and the Recorder sends it again after the failed one.
  if (req.firstSeq !== lastSeq + 1) {
    port.postMessage(failure(req.id, new Error(`batch #${req.firstSeq} does not follow #${lastSeq}`), true));
    return;
  }
  try {
    insert(req.buffer);
    lastSeq = req.lastSeq;
    port.postMessage({ id: req.id, ok: true, lastSeq } satisfies WriterReply);
  } catch (err) {
    port.postMessage(failure(req.id, err));
  }
});
