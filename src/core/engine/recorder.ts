import type { CapturedMessage, EndpointStatus, GroupOffset, StoredMessage } from '../../shared/model.ts';
import type { StorageStatus } from '../../shared/views.ts';
import type { CaptureSink, Connector } from '../connectors/types.ts';
import type { Discovery } from '../../shared/discovery.ts';
import type { SessionStore } from '../store/session-store.ts';
import { FLUSH_INTERVAL_MS, MAX_PENDING_BYTES, MAX_PENDING_MESSAGES } from '../common/constants.ts';
import { getLogger } from '../common/logger.ts';
import { WriteGuard } from './write-guard.ts';

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
}

/**
 * Collects what connectors capture and writes it to the session store in batches: one
 * transaction per flush, never one statement per message. Nothing is held after a flush
 * (except while the file cannot be written, within a budget: write-guard.ts),
 * so memory stays flat however long the recording runs.
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

  constructor(
    readonly store: SessionStore,
    private readonly opts: RecorderOptions = {},
  ) {
    this.flushMs = opts.flushMs ?? FLUSH_INTERVAL_MS;
    this.maxPending = opts.maxPending ?? MAX_PENDING_MESSAGES;
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
        this.store.addOffsets(rows);
        this.opts.onOffsets?.(rows);
      },
      status: (status, detail) => this.setStatus(endpoint, status, detail),
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
    const state: EndpointState = { id, status, detail: detail ?? null, since: Date.now() };
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

  /** Stores one batch and announces it; throws when the write fails (the guard decides then). */
  private write(batch: CapturedMessage[]): void {
    const firstSeq = this.store.lastSeq + 1;
    const lastSeq = this.store.insertBatch(batch);
    if (this.opts.onBatch) {
      const messages: StoredMessage[] = batch.map((m, i) => ({ ...m, seq: firstSeq + i, size: m.payload.byteLength }));
      this.opts.onBatch({ firstSeq, lastSeq, messages });
    }
  }

  /** Stops every connector, flushes, and leaves the store open for the caller to close. */
  async stop(): Promise<void> {
    const ids = [...this.connectors.keys()];
    await Promise.all(ids.map((id) => this.remove(id)));
    this.flush();
    this.guard.close();
    this.closed = true;
  }
}
