/**
 * The reading thread of a recompute (analysis-read-ahead.ts): reads a session's pages for
 * its analysis with its own read-only connection and sends each as a PackedPage, its
 * buffers transferred, at most `ahead` pages beyond those the analysis thread has taken.
 * One of `lanes` such threads, it reads every `lanes`-th page (see nextLaneStart).
 * Built as its own entry (out/cli, out/main).
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { Database as Db } from 'better-sqlite3';
import { openQuietly } from './open.ts';
import { AnalysisPageQuery } from './analysis-page-query.ts';
import { dropBodies, lastSeqOf, nextLaneStart, transferList } from './analysis-page-format.ts';
import type { ReadAheadData, ReadAheadReply, ReadAheadRequest } from './analysis-read-ahead.ts';

const { path, options, eventCols, ahead, bodyKeys } = workerData as ReadAheadData;
const keys = bodyKeys === null ? null : new RegExp(bodyKeys);
/** A body text the analysis may read: one it could not is left out here rather than copied to it (see bodyTextKeys). */
const mayBeRead = (text: string): boolean => text.includes('\\') || text.includes('\uFFFD') || keys!.test(text);
const port = parentPort!;
const send = (r: ReadAheadReply, transfer: ArrayBuffer[] = []): void => port.postMessage(r, transfer);
let db: Db | null = null;
let inFlight = 0;
let wake: (() => void) | null = null;
/** Told to stop (the analysis is done): no page is read after the one being read. */
let stopping = false;
let pagesPort: MessagePort | null = null;

/** Closes the connection and the ports, so the thread ends by itself. */
function end(): void {
  db?.close();
  db = null;
  pagesPort?.close();
  port.close();
}

function fail(err: unknown): void {
  const code = (err as { code?: unknown }).code;
  send({ type: 'failed', message: (err as Error).message, code: typeof code === 'string' ? code : null });
  db?.close();
  db = null;
}

async function read(from: Db, pages: MessagePort, afterSeq: number, limit: number, lanes: number, lane: number): Promise<void> {
  const query = new AnalysisPageQuery(from, eventCols);
  let seq = afterSeq + lane * limit;
  for (;;) {
    // Messages (pages taken) are heard only while this waits: it reads on until `ahead` are out.
    while (inFlight >= ahead && !stopping) await new Promise<void>((r) => (wake = r));
    if (stopping) return;
    const page = query.read(seq, limit);
    if (keys !== null) dropBodies(page, mayBeRead);
    const { count } = page;
    // Read before sending: the transfer leaves this thread's views of the page empty.
    const last = lastSeqOf(page);
    inFlight++;
    pages.postMessage(page, transferList(page));
    send({ type: 'sent' });
    if (count < limit) return;
    seq = lanes === 1 ? last : nextLaneStart(seq, last, limit, lanes);
  }
}

let reading = false;

port.on('message', (m: ReadAheadRequest) => {
  if (m.type === 'taken' || m.type === 'stop') {
    if (m.type === 'taken') inFlight--;
    else stopping = true;
    const w = wake;
    wake = null;
    w?.();
    // Not reading (not started, or past the last page): nothing to wait for.
    if (stopping && !reading) end();
    return;
  }
  if (db === null) return;
  pagesPort = m.pages;
  reading = true;
  read(db, m.pages, m.afterSeq, m.limit, m.lanes, m.lane)
    .catch(fail)
    .finally(() => {
      // The last page is sent, or the thread was told to stop: nothing more is read.
      reading = false;
      db?.close();
      db = null;
      if (stopping) end();
    });
});

try {
  db = openQuietly(path, options);
  send({ type: 'ready' });
} catch (err) {
  fail(err);
}
