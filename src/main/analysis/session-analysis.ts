import type { GroupOffset, StoredMessage } from '../../shared/model.ts';
import type { SessionStore } from '../store/session-store.ts';
import { resolveAnalysisConfig } from './config.ts';
import type { AnalysisConfig, AnalysisConfigInput } from './config.ts';
import { classifyMessage } from './correlation.ts';
import type { Correlation } from './correlation.ts';
import type { HistogramBuckets } from './histogram.ts';
import { PairTracker } from './pairing.ts';
import type { PairsSummary } from './pairing.ts';
import type { PairQuery, PairView } from './pair-store.ts';
import { TopologyBuilder } from './topology.ts';
import type { Topology } from './topology.ts';
import { UndeliveredTracker, isAbnormalClose } from './undelivered.ts';
import type { UndeliveredGroup, UndeliveredItem, UndeliveredReason, UndeliveredSummary } from './undelivered.ts';

/** What `flowscope inspect --json` prints under `analysis`, and what the UI's flow views show. */
export interface AnalysisResult {
  /** Messages analysed and the capture-time range they span. */
  messages: number;
  firstTime: number | null;
  lastTime: number | null;
  /** True once `finish` ran: nothing is pending any more. */
  finished: boolean;
  pairs: PairsSummary;
  undelivered: UndeliveredSummary;
  topology: Topology;
}

/**
 * A live clock may run ahead of what the recorder has stored (it flushes every ~100 ms);
 * timeouts driven by `tick` lag this much so a reply still in the recorder's buffer is not
 * declared missing.
 */
export const LIVE_GRACE_MS = 2000;

const NO_CORRELATION: Correlation = { correlationId: null, messageId: null, replyTo: null, role: null, source: null, method: null };

/**
 * The analysis of one session, fed incrementally: batches of stored messages in seq order
 * (`ingest`) and consumer-group offset polls (`addOffsets`). The same state runs live,
 * from the Recorder's batches, and over a saved session (`analyzeStore`), with the same
 * result for the same traffic. Memory is bounded: messages are dropped once decided, and
 * every list is capped while its count stays exact.
 */
export class AnalysisState {
  readonly config: AnalysisConfig;
  private readonly pairs: PairTracker;
  private readonly undelivered: UndeliveredTracker;
  private readonly topology: TopologyBuilder;
  private count = 0;
  private firstTime: number | null = null;
  private lastTime: number | null = null;
  private lastOffsetTime = -Infinity;
  /** Offset polls newer than the messages analysed so far, applied as message time passes them. */
  private queuedOffsets: GroupOffset[] = [];
  private queuedSorted = true;
  private finished = false;

  constructor(config: AnalysisConfigInput | AnalysisConfig = {}) {
    this.config = resolveAnalysisConfig(config as AnalysisConfigInput);
    this.pairs = new PairTracker(this.config.pairing);
    this.undelivered = new UndeliveredTracker(this.config.undelivered);
    this.topology = new TopologyBuilder(this.config.topology, this.config.undelivered.ownPrefixes);
    this.pairs.onConnectionUnanswered = (req, abnormal) => this.undelivered.requestLeftOpen(req, abnormal);
    this.undelivered.sink.onItem = (_item, edges) => this.topology.noteUndelivered(edges);
  }

  /** Messages in seq order (a Recorder batch, or a page of a saved session). */
  ingest(messages: readonly StoredMessage[]): void {
    if (this.finished) throw new Error('This analysis is finished; start a new one to add messages.');
    const cc = this.config.correlation;
    for (const m of messages) {
      if (this.queuedOffsets.length > 0) this.applyOffsetsUpTo(m.time);
      this.count += 1;
      if (this.firstTime === null || m.time < this.firstTime) this.firstTime = m.time;
      if (this.lastTime === null || m.time > this.lastTime) this.lastTime = m.time;
      const fact = m.event === 'open' || m.event === 'close' || m.event === 'error';
      const c = fact ? NO_CORRELATION : classifyMessage(m, cc);
      const producer = this.topology.ingest(m);
      this.pairs.ingest(m, c);
      this.undelivered.ingest(m, c, producer);
      if (m.transport === 'ws' && m.event === 'close') this.pairs.closeConnection(m, isAbnormalClose(m));
      this.undelivered.advance(m.time);
    }
  }

  /**
   * Consumer-group commits polled during the recording. Each poll takes effect at its own
   * time: polls newer than the last message wait until message time (or `tick`) reaches
   * them, so offsets handed over all at once (a saved session) and offsets arriving as
   * they are polled (live) give the same result.
   */
  addOffsets(rows: readonly GroupOffset[]): void {
    if (this.finished || rows.length === 0) return;
    const now = this.lastTime ?? -Infinity;
    const due: GroupOffset[] = [];
    for (const r of rows) {
      if (r.time <= now) {
        due.push(r);
      } else {
        const q = this.queuedOffsets;
        if (q.length > 0 && q[q.length - 1]!.time > r.time) this.queuedSorted = false;
        q.push(r);
      }
    }
    if (due.length > 0) this.applyOffsets(due.sort((a, b) => a.time - b.time));
  }

  private applyOffsetsUpTo(time: number): void {
    if (!this.queuedSorted) {
      this.queuedOffsets.sort((a, b) => a.time - b.time);
      this.queuedSorted = true;
    }
    const q = this.queuedOffsets;
    let n = 0;
    while (n < q.length && q[n]!.time <= time) n++;
    if (n > 0) this.applyOffsets(q.splice(0, n));
  }

  private applyOffsets(rows: GroupOffset[]): void {
    for (const r of rows) if (r.time > this.lastOffsetTime) this.lastOffsetTime = r.time;
    this.topology.addOffsets(rows);
    this.undelivered.addOffsets(rows);
  }

  /** Live clock: timeouts and windows pass even when no message arrives. */
  tick(now: number): void {
    if (this.finished) return;
    const t = now - LIVE_GRACE_MS;
    if (this.queuedOffsets.length > 0) this.applyOffsetsUpTo(t);
    this.pairs.advance(t);
    this.undelivered.advance(t);
  }

  /** The result so far; requests and messages still inside their window count as pending. */
  snapshot(now?: number): AnalysisResult {
    if (now !== undefined) this.tick(now);
    return this.result();
  }

  /**
   * The recording ended at `end` (default: the last message or offset poll): everything
   * still open is decided, as unanswered / undelivered "by the end of the recording".
   */
  finish(end?: number): AnalysisResult {
    if (!this.finished) {
      if (this.queuedOffsets.length > 0) this.applyOffsetsUpTo(Infinity);
      const last = end ?? Math.max(this.lastTime ?? -Infinity, this.lastOffsetTime);
      const t = Number.isFinite(last) ? last : 0;
      this.pairs.finish(t);
      this.undelivered.finish(t);
      this.finished = true;
    }
    return this.result();
  }

  private result(): AnalysisResult {
    return {
      messages: this.count,
      firstTime: this.firstTime,
      lastTime: this.lastTime,
      finished: this.finished,
      pairs: this.pairs.summary(),
      undelivered: this.undelivered.summary(),
      topology: this.topology.snapshot(),
    };
  }

  /** A page of request/reply pairs; `total` is exact even where the kept list is capped. */
  pairsPage(q: PairQuery): { rows: PairView[]; total: number; listed: number } {
    return this.pairs.page(q);
  }

  /** Latency histogram (all pairs, or one request destination). */
  latencyHistogram(destination?: string): HistogramBuckets & { count: number } {
    const h = this.pairs.histogram(destination);
    return { ...h.display(), count: h.count };
  }

  /** Undelivered messages grouped by reason and destination, with up to 5 example seqs each. */
  undeliveredGroups(): UndeliveredGroup[] {
    return this.undelivered.groups();
  }

  undeliveredPage(q: { offset?: number; limit: number; reason?: UndeliveredReason }): { rows: UndeliveredItem[]; total: number } {
    return this.undelivered.sink.page(q.offset ?? 0, q.limit, q.reason);
  }
}

/** Streams a saved session through a fresh state and finishes it; the state keeps the pages for the UI. */
export function analyzeStoreState(store: SessionStore, config: AnalysisConfigInput | AnalysisConfig = {}, end?: number): AnalysisState {
  const state = new AnalysisState(config);
  // Offset polls are few (one row per group and partition per poll): read them first, so
  // a single statement iterates the messages.
  state.addOffsets(readOffsets(store, 0));
  let batch: StoredMessage[] = [];
  for (const m of store.iterate()) {
    batch.push(m);
    if (batch.length >= 1000) {
      state.ingest(batch);
      batch = [];
    }
  }
  state.ingest(batch);
  state.finish(end);
  return state;
}

/** The analysis of a saved session: the same result the live analysis reached while recording it. */
export function analyzeStore(store: SessionStore, config: AnalysisConfigInput | AnalysisConfig = {}, end?: number): AnalysisResult {
  return analyzeStoreState(store, config, end).finish();
}

/**
 * Like `analyzeStoreState`, yielding to the event loop between chunks so the main process
 * stays responsive over a million-message session. `onProgress` gets messages done so far.
 */
export async function analyzeStoreAsync(
  store: SessionStore,
  config: AnalysisConfigInput | AnalysisConfig = {},
  opts: { end?: number; signal?: AbortSignal; onProgress?: (done: number) => void; chunk?: number } = {},
): Promise<AnalysisState> {
  const state = new AnalysisState(config);
  state.addOffsets(readOffsets(store, 0));
  const chunk = opts.chunk ?? 20_000;
  let afterSeq = 0;
  let done = 0;
  for (;;) {
    opts.signal?.throwIfAborted();
    const batch: StoredMessage[] = [];
    // A fresh statement per chunk: an open iterator must not span an await.
    for (const m of store.iterate({}, { afterSeq })) {
      batch.push(m);
      if (batch.length >= chunk) break;
    }
    state.ingest(batch);
    done += batch.length;
    opts.onProgress?.(done);
    if (batch.length < chunk) break;
    afterSeq = batch[batch.length - 1]!.seq;
    await new Promise((r) => setImmediate(r));
  }
  state.finish(opts.end);
  return state;
}

interface OffsetRow {
  rowid: number;
  time: number;
  endpoint: string;
  group_id: string;
  topic: string;
  partition: number;
  offset: number;
}

/** Offset polls stored after `afterRowid`, with their rowids. */
function readOffsetRows(store: SessionStore, afterRowid: number): OffsetRow[] {
  return store.select<OffsetRow>(
    'SELECT rowid, time, endpoint, group_id, topic, partition, offset FROM group_offsets WHERE rowid > ? ORDER BY time, rowid',
    [afterRowid],
  );
}

function readOffsets(store: SessionStore, afterRowid: number): GroupOffset[] {
  return readOffsetRows(store, afterRowid).map(toGroupOffset);
}

function toGroupOffset(r: OffsetRow): GroupOffset {
  return { time: r.time, endpoint: r.endpoint, groupId: r.group_id, topic: r.topic, partition: r.partition, offset: String(r.offset) };
}

/**
 * Live analysis beside a Recorder that has no offsets hook: pass `onBatch` as the
 * Recorder's `onBatch` option and call `tick` from a timer; offset polls are read from the
 * store by rowid as they land. (With the Recorder's `onOffsets`, call `state.addOffsets`
 * directly instead.)
 */
export function createLiveAnalysis(
  store: SessionStore,
  config: AnalysisConfigInput | AnalysisConfig = {},
): { state: AnalysisState; onBatch: (batch: { messages: StoredMessage[] }) => void; tick: (now: number) => void } {
  const state = new AnalysisState(config);
  let lastRowid = 0;
  const pull = (): void => {
    const rows = readOffsetRows(store, lastRowid);
    for (const r of rows) if (r.rowid > lastRowid) lastRowid = r.rowid;
    state.addOffsets(rows.map(toGroupOffset));
  };
  return {
    state,
    onBatch: (batch) => {
      pull();
      state.ingest(batch.messages);
    },
    tick: (now) => {
      pull();
      state.tick(now);
    },
  };
}
