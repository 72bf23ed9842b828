import type { CapturedMessage, EndpointStatus, GroupOffset, StoredMessage } from '../../shared/model.ts';
import type { StorageStatus } from '../../shared/views.ts';
import type { CaptureSink, Connector } from '../connectors/types.ts';
import type { Discovery } from '../../shared/discovery.ts';
import type { SessionStore, StoreWriter } from '../store/session-store.ts';
import {
  FLUSH_INTERVAL_MS,
  MAX_PENDING_BYTES,
  MAX_PENDING_MESSAGES,
  MAX_PENDING_MESSAGES_THREADED,
  WRITER_BACKLOG_BYTES,
  WRITER_BACKLOG_MESSAGES,
} from '../common/constants.ts';
import { stampEventTime } from '../common/event-time.ts';
import { getLogger } from '../common/logger.ts';
import { WriteGuard } from './write-guard.ts';
import { WriterUnavailableError } from '../store/store-writer.ts';

const log = getLogger('recorder');

export interface RecorderBatch {
  firstSeq: number;
  lastSeq: number;
  /** The stored messages of this flush, in seq order. Listeners must not keep them. */
  messages: StoredMessage[];
}

export interface EndpointState {
  id: string;
  status: EndpointStatus;
  detail: string | null;
  since: number;
  /** Records the broker holds that the tap has not captured yet (Kafka); null when unknown. */
  lag: number | null;
}

export interface RecorderOptions {
  /** Longest time a captured message waits before it is written. */
  flushMs?: number;
  /** Flush early once this many messages are waiting. */
  maxPending?: number;
  /** Flush early once this many payload bytes are waiting. */
  maxPendingBytes?: number;
  /** Fills correlation facts before a message is stored. */
  enrich?: (msg: CapturedMessage) => void;
  onBatch?: (batch: RecorderBatch) => void;
  /** Kafka consumer-group offsets, after they are stored. */
  onOffsets?: (rows: GroupOffset[]) => void;
  onStatus?: (state: EndpointState) => void;
  /** Whether captures reach the file (a full disk pauses writing; see write-guard.ts). */
  onStorage?: (status: StorageStatus) => void;
  /** A gap was recorded (a connection drop; the write guard's own gaps come with onStorage). */
  onGap?: () => void;
  /** Memory budget for captures held while the file cannot be written. */
  heldBytesBudget?: number;
  onError?: (err: Error) => void;
  /**
   * Write on the store's writer thread (store.openWriter()) instead of this one: flushes
   * return at once, batches reach onBatch once committed, and `settle()` waits for them.
   */
  writerThread?: boolean;
}

/** A batch sent to the writer thread and not answered yet. */
interface Flight {
  firstSeq: number;
  lastSeq: number;
  messages: StoredMessage[];
  bytes: number;
}

/**
 * Collects what connectors capture and writes it to the session store in batches: one
 * transaction per flush, never one statement per message. Nothing is held after a flush
 * (except while the file cannot be written, within a budget: write-guard.ts),
 * so memory stays flat however long the recording runs.
 *
 * With `writerThread` the batches are written on the store's writer thread (issue 12): each
 * write gives its messages their seqs and sends them; the thread answers each batch in
 * order, and a batch it refused goes back to the write guard with everything sent after it
 * (`refused`), so the guard stays the one place that decides what a failed write means. A
 * connector that can wait is held back through its sink's `ready()` while the unwritten
 * backlog is over WRITER_BACKLOG_*.
 */
export class Recorder {
  private pending: CapturedMessage[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly connectors = new Map<string, Connector>();
  private readonly states = new Map<string, EndpointState>();
  private closed = false;
  private readonly flushMs: number;
  private readonly maxPending: number;
  private readonly maxPendingBytes: number;
  /** Messages captured since the recorder started (stored or waiting). */
  captured = 0;
  /** Decides what happens when a write fails (a full disk): hold, drop, retry, record the gap. */
  private readonly guard: WriteGuard;
  private writer: StoreWriter | null = null;
  /** Sent to the writer thread, oldest first; answered in this order. */
  private flights: Flight[] = [];
  private flightBytes = 0;
  private flightMessages = 0;
  /** Seq of the next message sent to the writer thread. */
  private nextSeq = 0;
  /** Work that must follow the messages captured before it into the store (offset polls). */
  private afterSeq: { seq: number; run: () => void }[] = [];
  private idleWaiters: (() => void)[] = [];
  private readyWaiters: (() => void)[] = [];
  private stopping = false;

  constructor(
    readonly store: SessionStore,
    private readonly opts: RecorderOptions = {},
  ) {
    this.flushMs = opts.flushMs ?? FLUSH_INTERVAL_MS;
    this.maxPending = opts.maxPending ?? (opts.writerThread ? MAX_PENDING_MESSAGES_THREADED : MAX_PENDING_MESSAGES);
    this.maxPendingBytes = opts.maxPendingBytes ?? MAX_PENDING_BYTES;
    this.guard = new WriteGuard({
      file: store.path,
      write: (batch) => this.write(batch),
      writeGaps: (gaps) => store.addGaps(gaps),
      reclaim: () => store.checkpoint(),
      captured: () => this.captured,
      sources: () => [...this.connectors.values()],
      onStatus: (status) => opts.onStorage?.(status),
      ...(opts.heldBytesBudget !== undefined ? { budgetBytes: opts.heldBytesBudget } : {}),
    });
    if (opts.writerThread) {
      this.writer = store.openWriter();
      this.nextSeq = store.lastSeq + 1;
    }
  }

  /** Messages captured and not yet handed to the store or answered by it (waiting or in flight). */
  get backlog(): { messages: number; bytes: number } {
    return { messages: this.pending.length + this.flightMessages, bytes: this.pendingBytes + this.flightBytes };
  }

  /** Whether captures reach the file, with this recording's counts. */
  storage(): StorageStatus {
    return this.guard.status();
  }

  /** A sink bound to one endpoint id; hand it to that endpoint's connector. */
  sink(endpoint: string): CaptureSink {
    return {
      message: (msg) => this.push(msg),
      offsets: (rows: GroupOffset[]) => {
        this.flush();
        // While writes are paused a poll is skipped: the next one after the pause says the same.
        if (this.guard.paused) return;
        // Stored, and analysed, after the messages captured before the poll.
        this.afterWritten(() => {
          this.store.addOffsets(rows);
          this.opts.onOffsets?.(rows);
        });
      },
      ready: () => this.ready(),
      status: (status, detail) => this.setStatus(endpoint, status, detail),
      lag: (records) => this.setLag(endpoint, records),
      gap: (gap) => {
        // After the batch before it, so the file's order reads as it happened.
        this.flush();
        try {
          this.store.addGaps([{ ...gap, endpoint }]);
        } catch (err) {
          this.opts.onError?.(err as Error);
        }
        this.opts.onGap?.();
      },
      discovery: (facts: Discovery) => {
        if (!this.guard.paused) this.store.addDiscovery(facts);
      },
    };
  }

  /** Starts a connector built with `sink(id)`. Failure to start is a status, not a throw. */
  async add(connector: Connector): Promise<void> {
    this.connectors.set(connector.id, connector);
    if (!this.states.has(connector.id)) this.setStatus(connector.id, 'connecting');
    try {
      await connector.start();
    } catch (err) {
      this.setStatus(connector.id, 'failed', (err as Error).message);
      throw err;
    }
  }

  async remove(id: string): Promise<void> {
    const c = this.connectors.get(id);
    if (!c) return;
    this.connectors.delete(id);
    await c.stop().catch((err: Error) => this.opts.onError?.(err));
    this.flush();
    this.setStatus(id, 'stopped');
  }

  endpointStates(): EndpointState[] {
    return [...this.states.values()];
  }

  connector(id: string): Connector | undefined {
    return this.connectors.get(id);
  }

  private setStatus(id: string, status: EndpointStatus, detail?: string): void {
    const prev = this.states.get(id);
    if (prev && prev.status === status && prev.detail === (detail ?? null)) return;
    const state: EndpointState = { id, status, detail: detail ?? null, since: Date.now(), lag: prev?.lag ?? null };
    this.states.set(id, state);
    log.info(`${id}: ${status}${detail ? ` (${detail})` : ''}`);
    // While writes are paused the change is announced but not logged in the file.
    if (!this.closed && !this.guard.paused) {
      try {
        this.store.logEndpoint(state.since, id, status, detail);
      } catch (err) {
        this.opts.onError?.(err as Error);
      }
    }
    this.opts.onStatus?.(state);
  }

  /**
   * The lag is announced, not written to the file's endpoint log: it changes every second of
   * a catch-up, and the records themselves say what was captured when.
   */
  private setLag(id: string, lag: number): void {
    const prev = this.states.get(id);
    if (!prev || prev.lag === lag) return;
    const state: EndpointState = { ...prev, lag };
    this.states.set(id, state);
    this.opts.onStatus?.(state);
  }

  private push(msg: CapturedMessage): void {
    if (this.closed) return;
    this.pending.push(msg);
    this.pendingBytes += msg.payload.byteLength;
    this.captured += 1;
    if (this.pending.length >= this.maxPending || this.pendingBytes >= this.maxPendingBytes) {
      this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.flushMs);
    }
  }

  /** Writes everything waiting, in one transaction. Safe to call at any time. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    if (this.opts.enrich) for (const m of batch) this.opts.enrich(m);
    // The guard writes it through `write`, or holds it while the file cannot be written.
    this.guard.submit(batch);
  }

  /**
   * Stores one batch and announces it; throws when the write fails (the guard decides then).
   * On the writer thread it sends the batch: a refusal comes back later, through `refused`.
   */
  private write(batch: CapturedMessage[]): void {
    const bytes = batch.reduce((n, m) => n + m.payload.byteLength, 0);
    if (this.writer) {
      this.send(batch, bytes, this.writer);
      return;
    }
    const firstSeq = this.store.lastSeq + 1;
    const lastSeq = this.store.insertBatch(batch);
    this.written({ firstSeq, lastSeq, messages: asStored(batch, firstSeq), bytes });
  }

  /** Flushes and resolves once everything captured so far is in the store (or held by the guard). */
  async settle(): Promise<void> {
    this.flush();
    if (this.flights.length === 0) return;
    await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  /** Stops every connector, flushes, and leaves the store open for the caller to close. */
  async stop(): Promise<void> {
    // A tap held back by the backlog must get to finish its fetch to stop.
    this.stopping = true;
    for (const r of this.readyWaiters.splice(0)) r();
    const ids = [...this.connectors.keys()];
    await Promise.all(ids.map((id) => this.remove(id)));
    await this.settle();
    // The guard's last attempt sends what it holds; on the writer thread, wait for the answer.
    this.guard.close();
    await this.settle();
    this.closed = true;
    if (this.writer) {
      await this.writer.close();
      this.writer = null;
    }
  }

  private send(batch: CapturedMessage[], bytes: number, writer: StoreWriter): void {
    for (const m of batch) stampEventTime(m);
    const flight: Flight = { firstSeq: this.nextSeq, lastSeq: this.nextSeq + batch.length - 1, messages: asStored(batch, this.nextSeq), bytes };
    this.nextSeq = flight.lastSeq + 1;
    this.flights.push(flight);
    this.flightBytes += bytes;
    this.flightMessages += batch.length;
    writer
      .write(flight.messages)
      .then(
        () => this.acknowledged(flight),
        (err: Error) => this.refused(flight, err),
      )
      // A listener that throws on a committed batch must not become an unhandled rejection.
      .catch((err: Error) => this.opts.onError?.(err));
  }

  private acknowledged(flight: Flight): void {
    // Answers come in the order batches were sent, so this one is the oldest in flight.
    if (this.flights[0] !== flight) return;
    this.flights.shift();
    this.land(flight);
    this.store.noteWritten(flight.lastSeq);
    this.written(flight);
  }

  /**
   * The writer thread did not store a batch. It refuses everything sent after it unwritten
   * (writer-worker.ts), so this batch and all later ones go back to the write guard, in
   * order, with the error: the guard pauses, holds and retries them (with the same seqs).
   */
  private refused(flight: Flight, err: Error): void {
    const at = this.flights.indexOf(flight);
    // A batch sent after one that failed: it was taken back with that one.
    if (at < 0) return;
    const back = this.flights.splice(at);
    for (const f of back) this.land(f);
    this.nextSeq = flight.firstSeq;
    if (err instanceof WriterUnavailableError && this.writer) {
      // The thread cannot run in this install (nothing was written by it): the recording goes
      // on writing on this thread, as without the option, rather than pausing for good.
      log.warn(`${err.message}; ${this.store.path} is written on the recording's own thread instead`);
      const writer = this.writer;
      this.writer = null;
      void writer.close();
      for (const f of back) this.guard.submit(f.messages as CapturedMessage[]);
    } else {
      this.guard.refused(back.map((f) => f.messages as CapturedMessage[]), err);
    }
    // Taps held back are let go: the guard pauses the sources that can wait itself.
    for (const r of this.readyWaiters.splice(0)) r();
    this.wakeIdle();
  }

  /** A batch is in the store: listeners see it, and work waiting for it runs. */
  private written(flight: Flight): void {
    this.opts.onBatch?.({ firstSeq: flight.firstSeq, lastSeq: flight.lastSeq, messages: flight.messages });
    while (this.afterSeq.length > 0 && this.afterSeq[0]!.seq <= flight.lastSeq) this.runSafely(this.afterSeq.shift()!.run);
    this.wakeIdle();
  }

  private land(flight: Flight): void {
    this.flightBytes -= flight.bytes;
    this.flightMessages -= flight.messages.length;
    if (this.readyWaiters.length > 0 && !this.overBudget(0.5)) for (const r of this.readyWaiters.splice(0)) r();
  }

  private wakeIdle(): void {
    if (this.flights.length === 0) for (const r of this.idleWaiters.splice(0)) r();
  }

  /** Runs `fn` once every message sent to the store so far is in it. */
  private afterWritten(fn: () => void): void {
    const seq = this.writer ? this.nextSeq - 1 : this.store.lastSeq;
    if (seq <= this.store.lastSeq && this.afterSeq.length === 0) this.runSafely(fn);
    else this.afterSeq.push({ seq, run: fn });
  }

  private runSafely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.opts.onError?.(err as Error);
    }
  }

  private overBudget(share: number): boolean {
    const { messages, bytes } = this.backlog;
    return bytes > WRITER_BACKLOG_BYTES * share || messages > WRITER_BACKLOG_MESSAGES * share;
  }

  /** Null when a connector may capture more now; else resolves once the writer has caught up. */
  private ready(): Promise<void> | null {
    if (!this.writer || this.stopping || !this.overBudget(1)) return null;
    return new Promise<void>((r) => this.readyWaiters.push(r));
  }
}

/** The batch's messages as stored: seq and size set in place (a copy per message costs a tenth of the capture). */
function asStored(batch: CapturedMessage[], firstSeq: number): StoredMessage[] {
  for (let i = 0; i < batch.length; i++) {
    const m = batch[i] as StoredMessage;
    m.seq = firstSeq + i;
    m.size = m.payload.byteLength;
  }
  return batch as StoredMessage[];
}
