import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { startWorker } from '../common/worker-thread.ts';
import { getLogger } from '../common/logger.ts';
import type { PackedPage } from './analysis-page-format.ts';
import type { StoreOptions } from './open.ts';
import type { EventColumns } from './rows.ts';

const log = getLogger('store');

/** Longest the process waits for a stopped reading thread to finish its page. */
const READ_STOP_WAIT_MS = 5_000;

/** What the reading thread sends: it is up, a page went on the pages port, or what stopped it. */
export type ReadAheadReply = { type: 'ready' } | { type: 'sent' } | { type: 'failed'; message: string; code: string | null };
/** What it is told: where to start and the port its pages go on, and that a page it sent was taken. */
export type ReadAheadRequest =
  | { type: 'start'; afterSeq: number; limit: number; lanes: number; lane: number; pages: MessagePort }
  | { type: 'taken' }
  | { type: 'stop' };

export interface ReadAheadData {
  path: string;
  options: StoreOptions;
  eventCols: EventColumns;
  /** Pages sent and not yet taken, at most. */
  ahead: number;
  /** Plain records' body texts that match none of this (a regular expression's source) are left out (dropBodies); null: none is. */
  bodyKeys: string | null;
}

/**
 * The analysis thread's side of the reading thread (analysis-read-worker.ts), which reads
 * a session's pages with its own read-only connection while this thread analyses the
 * pages before (issue 12: reading was three quarters of a recompute). It reads from where
 * it is started, at most `ahead` pages beyond those taken, until a page comes short. The
 * thread does not keep the process alive while it reads; `close` tells it to stop after the
 * page it is reading, and the process then waits for that (see `close`).
 *
 * Pages come on a port of their own and are taken from it (receiveMessageOnPort) only when
 * the analysis wants the next one: a page read ahead waits as bytes outside the heap,
 * instead of as thousands of objects that every young-generation collection of the
 * analysis thread copies while they wait (issue 12: those copies were a quarter of its time).
 */
export class AnalysisReadAhead {
  private readonly worker: Worker;
  private readonly pages: MessagePort;
  private readonly toThread: MessagePort;
  private waiting: ((p: PackedPage | null) => void) | null = null;
  private state: 'starting' | 'ready' | 'reading' | 'failed' | 'closed' = 'starting';
  private readonly up: Promise<boolean>;
  private settleUp: (up: boolean) => void = () => {};
  readonly eventCols: EventColumns;

  constructor(data: ReadAheadData) {
    this.eventCols = data.eventCols;
    this.worker = startWorker('analysis-read-worker', import.meta.url, data);
    this.worker.unref();
    ({ port1: this.pages, port2: this.toThread } = new MessageChannel());
    this.pages.unref();
    this.up = new Promise((resolve) => (this.settleUp = resolve));
    this.worker.on('message', (r: ReadAheadReply) => {
      if (r.type === 'ready') {
        if (this.state === 'starting') this.state = 'ready';
        this.settleUp(this.state === 'ready');
      } else if (r.type === 'sent') {
        if (this.waiting) {
          const p = this.receive();
          if (p !== null) this.hand(p);
        }
      } else {
        this.fail(Object.assign(new Error(r.message), r.code === null ? {} : { code: r.code }));
      }
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`the analysis reading thread stopped (exit code ${code})`)));
  }

  /** Resolves once the thread is up (true) or will not be (false). */
  whenUp(): Promise<boolean> {
    return this.up;
  }

  /** Up and not yet started. */
  get ready(): boolean {
    return this.state === 'ready';
  }

  get started(): boolean {
    return this.state === 'reading';
  }

  /** It stopped before its last page: the caller reads on by itself from the last page it took. */
  get failed(): boolean {
    return this.state === 'failed';
  }

  /** Reads the pages after `afterSeq`: every one, or, as lane `lane` of `lanes` threads, every `lanes`-th (nextLaneStart). */
  start(afterSeq: number, limit: number, lanes = 1, lane = 0): void {
    if (this.state !== 'ready') throw new Error(`the analysis reading thread cannot start (${this.state})`);
    this.state = 'reading';
    this.worker.postMessage({ type: 'start', afterSeq, limit, lanes, lane, pages: this.toThread } satisfies ReadAheadRequest, [this.toThread]);
  }

  /** The next page in order; null once the thread has failed (pages sent before come first). */
  next(): PackedPage | null | Promise<PackedPage | null> {
    const p = this.state === 'closed' ? null : this.receive();
    if (p !== null) {
      this.post({ type: 'taken' });
      return p;
    }
    if (this.state !== 'reading') return null;
    if (this.waiting) throw new Error('analysis reader: a page was asked for while one was awaited');
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /**
   * Stops the thread: it ends by itself once the page it may be reading is read, and the
   * process waits for that (one page). Not `terminate`: a thread ended inside an SQLite call
   * makes better-sqlite3 throw into a dying isolate, which aborts the whole process
   * ("FATAL ERROR: v8::ToLocalChecked Empty MaybeLocal", seen in CI when a recompute ended
   * while the second lane was reading past the last page).
   */
  close(): void {
    if (this.state === 'closed') return;
    const wasFailed = this.state === 'failed';
    this.state = 'closed';
    this.settleUp(false);
    this.release(null);
    this.pages.close();
    if (wasFailed) return;
    this.worker.ref();
    this.post({ type: 'stop' });
    // A thread that does not end (a read that never returns) must not hold the process.
    setTimeout(() => this.worker.unref(), READ_STOP_WAIT_MS).unref();
  }

  /** The next page sent, if one is there. */
  private receive(): PackedPage | null {
    const m = receiveMessageOnPort(this.pages) as { message: PackedPage } | undefined;
    return m === undefined ? null : m.message;
  }

  private hand(p: PackedPage): void {
    this.post({ type: 'taken' });
    this.release(p);
  }

  private release(p: PackedPage | null): void {
    const w = this.waiting;
    this.waiting = null;
    w?.(p);
  }

  private fail(err: Error): void {
    if (this.state === 'closed' || this.state === 'failed') return;
    // Damage is met again, and named, by the reading that goes on on the analysis thread.
    log.debug(`analysis reading thread: ${err.message}`);
    this.state = 'failed';
    this.settleUp(false);
    // Pages sent before it stopped are still taken (the next one is read here otherwise).
    const p = this.waiting ? this.receive() : null;
    if (p !== null) this.hand(p);
    else this.release(null);
    void this.worker.terminate();
  }

  private post(m: ReadAheadRequest): void {
    this.worker.postMessage(m);
  }
}
