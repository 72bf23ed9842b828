/**
 * The store's writer thread: owns the session's SQLite write connection for messages, so
 * inserting and index upkeep run on their own core while the engine's thread decodes and
 * analyses (issue 12). It answers every batch, in order, with its outcome; what to do about
 * a failure is the Recorder's decision (src/core/engine/recorder.ts), not this thread's.
 *
 * Batches that are already waiting when one arrives are written in the same transaction
 * (up to WRITER_GROUP_MESSAGES): a commit writes every index page the transaction dirtied,
 * and with a random key index that is most of the index, so one commit per 10,000-message
 * batch cost ~30% of this thread in a catch-up (issue 12). When the thread keeps up, each
 * batch still commits on its own, as soon as it arrives.
 *
 * Built as its own entry (out/cli/writer-worker.js, out/main/writer-worker.js); started by
 * store-writer.ts.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { Transaction } from 'better-sqlite3';
import { WRITER_GROUP_MESSAGES } from '../common/constants.ts';
import { openDb, tuneForWriting } from './open.ts';
import { INSERT_SQL, INSERT_SQL_HASHED, INSERT_SQL_IDS } from './rows.ts';
import { eachParams } from './batch-codec.ts';
import { RowInserter } from './row-inserter.ts';
import { KeyRefs } from './key-refs.ts';
import { TimeBlocks } from './time-blocks.ts';
import { NameIds } from './name-ids.ts';
import type { WriterData, WriterReply, WriterRequest } from './writer-protocol.ts';

type BatchRequest = Extract<WriterRequest, { kind: 'batch' }>;

const port = parentPort;
if (!port) throw new Error('writer-worker.ts runs as a worker thread only');
const { path, options, hashedRefs, keyRefs, timeBlocks, nameIds } = workerData as WriterData;

/**
 * Writes the batches in one transaction; returns how many are in, and the error that stopped
 * the next. Run as BEGIN IMMEDIATE: a transaction whose first statement reads (the time
 * blocks reloading the file's tail after a failed batch) and that only then writes cannot
 * take the write lock if the engine's own connection wrote in between (a gap, the kept
 * analysis): SQLite answers "database is locked" at once instead of waiting, and a disk-full
 * pause was followed by a second, spurious one. Taking the lock first waits for it instead.
 */
let insert: Transaction<(batches: BatchRequest[]) => { written: number; err: unknown }> | null = null;
let lastSeq = 0;
let openError: Error | null = null;
let db: ReturnType<typeof openDb> | null = null;
/** The messages' multi-row inserts (row-inserter.ts). */
let inserter: RowInserter | null = null;
/** Schema 4: the key refs, added in bulk (key-refs.ts). */
let refs: KeyRefs | null = null;
/** Schema 5: the time blocks, added as each fills (time-blocks.ts). */
let blocks: TimeBlocks | null = null;
/** Schema 6: the names' ids (name-ids.ts). */
let names: NameIds | null = null;
/** What a failed write leaves behind: rows not inserted, key refs and time blocks not committed, ids rolled back. */
function forgetUncommitted(): void {
  inserter?.discard();
  refs?.forget();
  blocks?.invalidate();
  names?.forget();
}
try {
  db = openDb(path, false, options, true);
  tuneForWriting(db);
  const conn = db;
  lastSeq = (conn.prepare('SELECT COALESCE(MAX(seq), 0) AS s FROM messages').get() as { s: number }).s;
  const rows = new RowInserter(conn, nameIds ? INSERT_SQL_IDS : hashedRefs ? INSERT_SQL_HASHED : INSERT_SQL);
  inserter = rows;
  refs = keyRefs ? new KeyRefs(conn) : null;
  blocks = timeBlocks ? new TimeBlocks(conn) : null;
  names = nameIds ? new NameIds(conn) : null;
  const shown = blocks;
  const keyed = refs;
  const named = names;
  // Each row's times go to the time blocks and its key hash to the key refs as it is written
  // (params: seq, time, …, event time, …, payload size at 18, …, key hash at 23).
  const row = (params: unknown[]): void => {
    named?.toIds(params);
    rows.add(params, params[18] as number);
    shown?.see(params[0] as number, params[1] as number, params[3] as number);
    keyed?.see(params[0] as number, params[23] as number | null);
  };
  // Nested, so a batch that fails rolls back to its savepoint and the ones before it stay in.
  const one = conn.transaction((b: BatchRequest) => {
    shown?.begin();
    eachParams(b.buffer, hashedRefs, row);
    // Within the batch's savepoint, so a row that fails fails its own batch only.
    rows.flush();
  });
  insert = conn.transaction((batches: BatchRequest[]) => {
    let written = 0;
    let err: unknown = null;
    for (; written < batches.length; written++) {
      try {
        one(batches[written]!);
      } catch (e) {
        err = e;
        forgetUncommitted();
        break;
      }
    }
    if (written > 0) {
      refs?.add(batches[written - 1]!.lastSeq);
      blocks?.add(batches[written - 1]!.lastSeq);
    }
    return { written, err };
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

function close(id: number): void {
  try {
    // The last messages' key refs, so a finished file has them all; a failure here loses
    // nothing (lookups read the messages past the mark, and the next recording adds them).
    try {
      if (db && refs) db.transaction(() => refs!.add(lastSeq, true)).immediate();
    } catch {
      // See above.
    }
    db?.close();
    port!.postMessage({ id, ok: true, lastSeq } satisfies WriterReply);
  } catch (err) {
    port!.postMessage(failure(id, err));
  }
  port!.close();
}

/** Writes batches in one transaction and answers each, in order. */
function writeGroup(batches: BatchRequest[]): void {
  if (batches.length === 0) return;
  if (openError || !insert) {
    for (const b of batches) port!.postMessage(failure(b.id, openError ?? new Error('the store writer is not open')));
    return;
  }
  // A batch that does not continue the file is one sent after a batch that failed: it and
  // everything after it are refused unwritten, and the Recorder sends them again after the
  // failed one.
  let expected = lastSeq + 1;
  let take = 0;
  while (take < batches.length && batches[take]!.firstSeq === expected) expected = batches[take++]!.lastSeq + 1;
  const group = batches.slice(0, take);
  if (group.length > 0) {
    let written = 0;
    let error: unknown = null;
    try {
      ({ written, err: error } = insert.immediate(group));
    } catch (err) {
      // The commit failed: the transaction is rolled back whole, so every batch goes back.
      written = 0;
      forgetUncommitted();
      error = err;
    }
    // Each buffer goes back: garbage here, it would wait for this thread's rare GC (tens of MB of RSS).
    for (const b of group.slice(0, written)) port!.postMessage({ id: b.id, ok: true, lastSeq: b.lastSeq, buffer: b.buffer } satisfies WriterReply, [b.buffer]);
    if (written > 0) lastSeq = group[written - 1]!.lastSeq;
    // The first batch not written fails; the ones after it go back with it, unwritten.
    group.slice(written).forEach((b, i) => port!.postMessage(failure(b.id, error, i > 0)));
  }
  for (const b of batches.slice(take)) {
    port!.postMessage(failure(b.id, new Error(`batch #${b.firstSeq} does not follow #${lastSeq}`), true));
  }
}

port.on('message', (first: WriterRequest) => {
  const batches: BatchRequest[] = [];
  let closeId: number | null = null;
  let rows = 0;
  for (let req: WriterRequest | undefined = first; req; ) {
    if (req.kind === 'close') {
      closeId = req.id;
      break;
    }
    batches.push(req);
    rows += req.lastSeq - req.firstSeq + 1;
    if (rows >= WRITER_GROUP_MESSAGES) break;
    // Taken off the port's queue now, in order, instead of one event-loop turn each.
    req = (receiveMessageOnPort(port) as { message: WriterRequest } | undefined)?.message;
  }
  writeGroup(batches);
  if (closeId !== null) close(closeId);
});
