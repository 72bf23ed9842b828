import type { Worker } from 'node:worker_threads';
import { startWorker } from '../common/worker-thread.ts';
import type { StoredMessage } from '../../shared/model.ts';
import type { StoreOptions } from './open.ts';
import { packBatch } from './batch-codec.ts';
import type { WriterData, WriterReply, WriterRequest } from './writer-protocol.ts';
import { NAME_IDS_COLUMNS, type EventColumns } from './rows.ts';

/** A batch the writer thread did not write: SQLite's error, with its code (SQLITE_FULL …). */
export class WriteError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    /** Refused unwritten because an earlier batch failed; it goes again after that one. */
    readonly skipped: boolean,
  ) {
    super(message);
    this.name = 'WriteError';
  }
}

/**
 * The writer thread cannot run in this install: its file is missing beside the build, or it
 * died before it answered anything (it did not load). Nothing was written by it; the
 * recording writes on its own thread instead (engine/recorder.ts).
 */
export class WriterUnavailableError extends WriteError {
  constructor(message: string) {
    super(message, undefined, false);
    this.name = 'WriterUnavailableError';
  }
}

/** What the file's schema asks of its writer (rows.ts EventColumns). */
export type WriterLayout = Pick<EventColumns, 'hashedRefs' | 'keyRefs' | 'timeBlocks' | 'nameIds'>;

function spawnWorker(path: string, options: StoreOptions, layout: WriterLayout): Worker {
  const { hashedRefs, keyRefs, timeBlocks, nameIds } = layout;
  return startWorker('writer-worker', import.meta.url, { path, options, hashedRefs, keyRefs, timeBlocks, nameIds } satisfies WriterData);
}

/** Batch buffers kept for reuse: one being packed while the thread writes the others. */
const SPARE_BUFFERS = 2;

/** A writer thread that died is not started again sooner than this: no restart storm at message rate. */
const RESTART_MS = 1000;

interface Waiting {
  resolve: (lastSeq: number) => void;
  reject: (err: Error) => void;
}

/**
 * The engine's side of the store's writer thread: sends packed batches (transferred, not
 * copied) and resolves each with the thread's outcome, in the order they were sent. A
 * thread that died is started again on the next write; the batches it had not answered are
 * rejected, so their owner keeps them.
 */
export class StoreWriter {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  /** Why the thread last died, and when: it is not started again sooner than RESTART_MS after. */
  private died: { at: number; err: Error } | null = null;
  private closing = false;
  /** Set once the thread proved it cannot run here: every write is refused with it. */
  private unavailable: WriterUnavailableError | null = null;
  /** Buffers of written batches, sent back by the thread, packed into again (few: each is a batch). */
  private readonly spare: ArrayBuffer[] = [];

  constructor(
    private readonly path: string,
    private readonly options: StoreOptions = {},
    /**
     * Schema 3: rows carry the hashes of key and correlation id; 4: the writer adds key refs
     * in bulk (key-refs.ts); 5: and time blocks (time-blocks.ts).
     */
    private readonly layout: WriterLayout = NAME_IDS_COLUMNS,
  ) {}

  /** Writes messages whose seqs continue the file; resolves with the last seq once committed. */
  write(msgs: readonly StoredMessage[]): Promise<number> {
    const packed = packBatch(msgs, this.spare.pop());
    return this.send({ kind: 'batch', id: this.nextId++, firstSeq: packed.firstSeq, lastSeq: packed.lastSeq, buffer: packed.buffer }, [packed.buffer]);
  }

  /** Closes the thread's connection once every batch sent before has been answered. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    // Held alive until the thread is gone: the caller checkpoints the file next.
    this.closing = true;
    worker.ref();
    const exited = new Promise<void>((r) => worker.once('exit', () => r()));
    await this.send({ kind: 'close', id: this.nextId++ }, []).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 2000)))]);
    clearTimeout(timer);
    if (this.worker === worker) this.worker = null;
  }

  private send(req: WriterRequest, transfer: ArrayBuffer[]): Promise<number> {
    if (this.unavailable) return Promise.reject(this.unavailable);
    if (!this.worker && this.died && Date.now() - this.died.at < RESTART_MS) {
      return Promise.reject(new WriteError(`the store writer stopped: ${this.died.err.message}`, undefined, false));
    }
    let worker: Worker;
    try {
      worker = this.worker ?? this.start();
    } catch (err) {
      this.unavailable = new WriterUnavailableError(`the store writer thread cannot start: ${(err as Error).message}`);
      return Promise.reject(this.unavailable);
    }
    return new Promise<number>((resolve, reject) => {
      this.waiting.set(req.id, { resolve, reject });
      // Unanswered batches keep the process alive: an exit now would lose them.
      if (this.waiting.size === 1) worker.ref();
      worker.postMessage(req, transfer);
    });
  }

  private start(): Worker {
    const worker = spawnWorker(this.path, this.options, this.layout);
    let answered = false;
    worker.on('message', (reply: WriterReply) => {
      answered = true;
      const w = this.waiting.get(reply.id);
      if (!w) return;
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0 && !this.closing) worker.unref();
      if (reply.ok && reply.buffer && this.spare.length < SPARE_BUFFERS) this.spare.push(reply.buffer);
      if (reply.ok) w.resolve(reply.lastSeq);
      else w.reject(new WriteError(reply.error.message, reply.error.code, reply.skipped));
    });
    const died = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.died = { at: Date.now(), err };
      // A thread that never answered did not load (a broken build): starting it again cannot help.
      if (!answered && !this.closing) this.unavailable = new WriterUnavailableError(`the store writer thread could not run: ${err.message}`);
      const pending = [...this.waiting.values()];
      this.waiting.clear();
      for (const w of pending) w.reject(this.unavailable ?? new WriteError(`the store writer stopped: ${err.message}`, undefined, false));
    };
    worker.on('error', died);
    worker.on('exit', (code) => died(new Error(`exit code ${code}`)));
    // An idle thread never keeps the process alive on its own: its owner closes it.
    worker.unref();
    this.worker = worker;
    return worker;
  }
}
