import type { GroupOffset, StoredMessage } from '../../shared/model.ts';
import type {
  AnalysisSummary,
  DestinationStats,
  LatencyHistogram,
  LatencyStats,
  PairsPage,
  TimelineSeries,
  TopologyGraph,
  UndeliveredGroup,
  UndeliveredItem,
  UndeliveredReason,
} from '../../shared/views.ts';
import { resolveAnalysisConfig } from './config.ts';
import type { AnalysisConfig, AnalysisConfigInput } from './config.ts';
import { bodyTextKeys, classifyMessage, type BodyReader } from './correlation.ts';
import type { Correlation } from './correlation.ts';
import { PairTracker } from './pairing.ts';
import type { PairQuery } from './pair-store.ts';
import { TopologyBuilder } from './topology.ts';
import { UndeliveredTracker, isAbnormalClose } from './undelivered.ts';
import { decodeGraph, encodeGraph, revive, reviveResults } from './analysis-snapshot.ts';
import { DestinationTally } from './destination-tally.ts';
import { TimelineTally } from './timeline-tally.ts';

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
 * from the Recorder's batches, and over a saved session (engine/session-analysis.ts feeds
 * it from the file), with the same result for the same traffic; every result is in the
 * contract's own shapes (shared/views.ts). Memory is bounded: messages are dropped once decided, and
 * every list is capped while its count stays exact.
 */
export class AnalysisState {
  readonly config: AnalysisConfig;
  private readonly pairs: PairTracker;
  private readonly undelivered: UndeliveredTracker;
  private readonly topology: TopologyBuilder;
  private readonly destinations = new DestinationTally();
  private readonly timeline = new TimelineTally();
  private count = 0;
  private firstTime: number | null = null;
  private lastTime: number | null = null;
  private lastOffsetTime = -Infinity;
  /** Offset polls newer than the messages analysed so far, applied as message time passes them. */
  private queuedOffsets: GroupOffset[] = [];
  private queuedHead = 0;
  private queuedSorted = true;
  private finished = false;
  /** Reads decoded bodies for correlation paths (the session's decoders); not part of a snapshot. */
  private bodyReader: BodyReader | undefined;

  constructor(config: AnalysisConfigInput | AnalysisConfig = {}) {
    this.config = resolveAnalysisConfig(config as AnalysisConfigInput);
    this.pairs = new PairTracker(this.config.pairing);
    this.undelivered = new UndeliveredTracker(this.config.undelivered);
    this.topology = new TopologyBuilder(this.config.topology, this.config.undelivered.ownPrefixes);
    this.wire();
  }

  /** Correlation paths read decoded Protobuf, Avro, MessagePack and CBOR bodies through `body` (issue 15). */
  readBodiesWith(body: BodyReader | undefined): this {
    this.bodyReader = body;
    return this;
  }

  /**
   * What a plain Kafka record's body text must match to be read at all (correlation.ts
   * bodyTextKeys); null when every body is read (decoders read them through `readBodiesWith`).
   */
  get bodyTextKeys(): string | null {
    return this.bodyReader ? null : bodyTextKeys(this.config.correlation);
  }

  /** The parts tell each other what they decided (callbacks: wired again after a snapshot is loaded). */
  private wire(): void {
    this.pairs.onConnectionUnanswered = (req, abnormal) => this.undelivered.requestLeftOpen(req, abnormal);
    this.undelivered.sink.onItem = (_item, edges) => this.topology.noteUndelivered(edges);
  }

  /**
   * The whole state as bytes (see analysis-snapshot.ts); `AnalysisState.restore` gives back
   * a state that goes on exactly as this one would. The config is not in it: the caller
   * keeps its digest beside the bytes.
   */
  save(): Buffer {
    this.pairs.onConnectionUnanswered = null;
    this.undelivered.sink.onItem = null;
    try {
      const { config: _config, bodyReader: _body, ...fields } = this as unknown as Record<string, unknown>;
      return encodeGraph(fields);
    } finally {
      this.wire();
    }
  }

  /** A state saved by `save` with this same config; throws on damaged or foreign bytes. */
  static restore(bytes: Uint8Array, config: AnalysisConfigInput | AnalysisConfig = {}): AnalysisState {
    const fields = decodeGraph(bytes) as Record<string, unknown>;
    if (fields === null || typeof fields !== 'object' || typeof fields.count !== 'number') throw new Error('analysis snapshot: not a saved analysis');
    revive(fields);
    const state = new AnalysisState(config);
    Object.assign(state, fields);
    state.wire();
    return state;
  }

  /**
   * A finished state's results alone: what the views read (pair outcomes, undelivered,
   * topology, destinations, counts), without what it kept to go on deciding (waiting
   * entries, decided conversations remembered for duplicates, delivery bookkeeping). A
   * fraction of `save`'s size: what reopening a session that is not recorded into loads.
   */
  saveResults(): Buffer {
    if (!this.finished) throw new Error('Only a finished analysis has results to keep.');
    const sink = this.undelivered.sink;
    const onItem = sink.onItem;
    sink.onItem = null;
    try {
      return encodeGraph({
        results: true,
        count: this.count,
        firstTime: this.firstTime,
        lastTime: this.lastTime,
        lastOffsetTime: this.lastOffsetTime,
        outcomes: this.pairs.outcomes,
        sink,
        topology: this.topology,
        destinations: this.destinations,
        timeline: this.timeline,
      });
    } finally {
      sink.onItem = onItem;
    }
  }

  /** A finished state from `saveResults` bytes: it answers every view and takes no more messages. */
  static restoreResults(bytes: Uint8Array, config: AnalysisConfigInput | AnalysisConfig = {}): AnalysisState {
    const g = decodeGraph(bytes) as Record<string, unknown>;
    if (g === null || typeof g !== 'object' || g.results !== true || typeof g.count !== 'number') throw new Error('analysis results: not saved results');
    reviveResults(g);
    const state = new AnalysisState(config);
    state.pairs.outcomes = g.outcomes as AnalysisState['pairs']['outcomes'];
    state.undelivered.sink = g.sink as UndeliveredTracker['sink'];
    Object.assign(state, {
      count: g.count,
      firstTime: g.firstTime,
      lastTime: g.lastTime,
      lastOffsetTime: g.lastOffsetTime,
      topology: g.topology,
      destinations: g.destinations,
      timeline: g.timeline,
      finished: true,
    });
    return state;
  }

  /** Messages analysed so far. */
  get messages(): number {
    return this.count;
  }

  /** Messages in seq order (a Recorder batch, or a page of a saved session). */
  ingest(messages: readonly StoredMessage[]): void {
    if (this.finished) throw new Error('This analysis is finished; start a new one to add messages.');
    const cc = this.config.correlation;
    for (const m of messages) {
      if (this.queuedOffsets.length > this.queuedHead) this.applyOffsetsUpTo(m.time);
      this.count += 1;
      if (this.firstTime === null || m.time < this.firstTime) this.firstTime = m.time;
      if (this.lastTime === null || m.time > this.lastTime) this.lastTime = m.time;
      const fact = m.event === 'open' || m.event === 'close' || m.event === 'error';
      const c = fact ? NO_CORRELATION : classifyMessage(m, cc, this.bodyReader);
      this.destinations.add(m);
      this.timeline.add(m);
      const producer = this.topology.ingest(m);
      this.pairs.ingest(m, c);
      this.undelivered.ingest(m, c, producer);
      if (m.transport === 'ws' && m.event === 'close') this.pairs.closeConnection(m, isAbnormalClose(m));
      this.undelivered.advance(m.time);
      this.undelivered.messageTime(m.time);
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
    const q = this.queuedOffsets;
    for (const r of rows) {
      if (r.time <= now) {
        due.push(r);
      } else {
        if (q.length > this.queuedHead && q[q.length - 1]!.time > r.time) this.queuedSorted = false;
        q.push(r);
      }
    }
    if (due.length > 0) this.applyOffsets(due.sort((a, b) => a.time - b.time));
  }

  private applyOffsetsUpTo(time: number): void {
    let q = this.queuedOffsets;
    if (!this.queuedSorted) {
      q = this.queuedOffsets = q.slice(this.queuedHead).sort((a, b) => a.time - b.time);
      this.queuedHead = 0;
      this.queuedSorted = true;
    }
    const from = this.queuedHead;
    let to = from;
    while (to < q.length && q[to]!.time <= time) to++;
    if (to === from) return;
    this.queuedHead = to;
    this.applyOffsets(q.slice(from, to));
    if (to === q.length) {
      this.queuedOffsets = [];
      this.queuedHead = 0;
    } else if (to > 4096 && to * 2 > q.length) {
      this.queuedOffsets = q.slice(to);
      this.queuedHead = 0;
    }
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
    if (this.queuedOffsets.length > this.queuedHead) this.applyOffsetsUpTo(t);
    this.pairs.advance(t);
    this.undelivered.advance(t);
  }

  /** The result so far; requests and messages still inside their window count as pending. */
  snapshot(now?: number): AnalysisSummary {
    if (now !== undefined) this.tick(now);
    return this.result();
  }

  /**
   * The recording ended at `end` (default: the last message or offset poll): everything
   * still open is decided, as unanswered / undelivered "by the end of the recording".
   */
  finish(end?: number): AnalysisSummary {
    if (!this.finished) {
      if (this.queuedOffsets.length > this.queuedHead) this.applyOffsetsUpTo(Infinity);
      const last = end ?? Math.max(this.lastTime ?? -Infinity, this.lastOffsetTime);
      const t = Number.isFinite(last) ? last : 0;
      this.pairs.finish(t);
      this.undelivered.finish(t);
      this.finished = true;
    }
    return this.result();
  }

  private result(): AnalysisSummary {
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

  /** Messages and bytes per destination, busiest first (null: too many destinations to count). */
  destinationList(): DestinationStats[] | null {
    return this.destinations.list();
  }

  /** Messages per destination over event time, in about `buckets` buckets (as the store's timeline query draws them). */
  timelineSeries(buckets: number): TimelineSeries {
    return this.timeline.series(buckets);
  }

  /** The topology graph alone (cheaper than a whole snapshot). */
  topologyGraph(): TopologyGraph {
    return this.topology.snapshot();
  }

  /** A page of request/reply pairs; `total` is exact even where the kept list is capped. */
  pairsPage(q: PairQuery): PairsPage {
    return this.pairs.page(q);
  }

  /** Latency histogram and percentiles (all pairs, or one request destination). */
  latencyHistogram(destination?: string): LatencyHistogram {
    const h = this.pairs.histogram(destination).display();
    const summary = this.pairs.summary();
    const s = destination ? summary.byDestination.find((d) => d.destination === destination) : summary.latencyMs;
    const stats: LatencyStats = s
      ? { count: s.count, p50: s.p50, p95: s.p95, p99: s.p99, max: s.max }
      : { count: 0, p50: null, p95: null, p99: null, max: null };
    // The display ladder starts at its lower edge; the contract names upper edges only.
    return { destination: destination ?? null, edges: h.edges.slice(1), counts: h.counts, stats };
  }

  /** Undelivered messages grouped by reason and destination, with up to 5 example seqs each. */
  undeliveredGroups(): UndeliveredGroup[] {
    return this.undelivered.groups();
  }

  undeliveredPage(q: { offset?: number; limit: number; reason?: UndeliveredReason }): { rows: UndeliveredItem[]; total: number } {
    return this.undelivered.sink.page(q.offset ?? 0, q.limit, q.reason);
  }
}
