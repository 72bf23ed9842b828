import type { CapturedMessage, GroupOffset, StoredMessage } from '../../shared/model.ts';
import type {
  Analysed,
  AnalysisStatus,
  AnalysisSummary,
  DestinationStats,
  LatencyHistogram,
  PairsPage,
  PairStatus,
  TimelineSeries,
  TopologyGraph,
  UndeliveredGroup,
} from '../../shared/views.ts';
import { asSessionFileError, type SessionStore } from '../store/session-store.ts';
import { AnalysisState } from '../analysis/analysis-state.ts';
import { resolveAnalysisConfig, type AnalysisConfigInput } from '../analysis/config.ts';
import { createEnricher as correlationEnricher, type BodyReader } from '../analysis/correlation.ts';
import { ANALYSIS_CHECKPOINT_MIN, ANALYSIS_CHECKPOINT_MS, ANALYSIS_PROGRESS_MS } from '../common/constants.ts';
import { feedSession } from './feed-session.ts';
import { loadCheckpoint, saveCheckpoint, saveResults, type AnalysedUpTo } from './analysis-checkpoint.ts';

/**
 * The engine's one way into the analysis: a session's `AnalysisState`, fed live from the
 * Recorder's batches and, for what is already in the file, by `feedSession`; and the
 * readers that answer the analysis channels with how complete the answer is.
 */
export { AnalysisState };
export type { AnalysisConfigInput };

/** Fills correlation facts before a message is stored, per the session's analysis settings. */
export function createEnricher(config: AnalysisConfigInput = {}, body?: BodyReader): (m: CapturedMessage) => void {
  return correlationEnricher(resolveAnalysisConfig(config).correlation, body);
}

export { feedSession, type FeedProgress } from './feed-session.ts';

/**
 * Reads a saved session and keeps its analysis in the file, as an import's is kept, so the
 * next open shows it at once. Resolves with how the reading ended.
 */
export async function keepAnalysis(store: SessionStore, config: AnalysisConfigInput = {}, version = ''): Promise<AnalysisStatus> {
  const analysis = new SessionAnalysis(store, config, { version, keepAfterReading: true });
  try {
    return await analysis.whenRead();
  } finally {
    analysis.dispose();
  }
}

export interface PairsQuery {
  offset: number;
  limit: number;
  destination?: string;
  status?: PairStatus;
}

/** The analysis channels' answers from one state, each saying how complete it is. */
export interface AnalysisReader {
  summary(): Analysed<AnalysisSummary>;
  pairs(q: PairsQuery): Analysed<PairsPage>;
  latency(destination: string | undefined): Analysed<LatencyHistogram>;
  undelivered(): Analysed<{ groups: UndeliveredGroup[] }>;
  topology(): Analysed<TopologyGraph>;
}

/**
 * Reads `state` as of `now` (live: the wall clock; playback: the playhead). Without `now`
 * the state's clock is left where its messages put it: a saved session still being read
 * must not be timed out by the wall clock.
 */
export function readAnalysis(state: AnalysisState, analysis: AnalysisStatus, now?: number): AnalysisReader {
  if (now !== undefined) state.tick(now);
  return {
    summary: () => ({ ...state.snapshot(), analysis }),
    pairs: (q) => ({ ...state.pairsPage(q), analysis }),
    latency: (destination) => ({ ...state.latencyHistogram(destination), analysis }),
    undelivered: () => ({ groups: state.undeliveredGroups(), analysis }),
    topology: () => ({ ...state.topologyGraph(), analysis }),
  };
}

export interface SessionAnalysisHooks {
  /** The Flowscope version, written beside the analysis it keeps in the file. */
  version?: string;
  /**
   * Keep the analysis in the file once the file has been read (a file Flowscope just made,
   * such as an import). Otherwise reading a saved session writes nothing to it: the analysis
   * is kept when the session is recorded into.
   */
  keepAfterReading?: boolean;
  /** Reading the file advanced (at most every 100 ms), and once when it is ready or failed. */
  onProgress?: (status: AnalysisStatus) => void;
  onError?: (err: Error) => void;
  /** Decoded bodies for correlation paths (the session's decoders), read at each message. */
  body?: BodyReader;
  /**
   * What else the analysis depends on beyond its config (the session's decoder settings):
   * a kept analysis computed under another one is not taken. '' for none.
   */
  salt?: () => string;
}

/**
 * The analysis of one open session. What is in the file is read by `feedSession` once the
 * session is opened (or a view first asks); live batches go straight in once
 * the file has been read, and are left to the feeder while it still reads (they are in
 * the file by then). A saved session's analysis is finished at the recording's end, so
 * what was still open is decided as `inspect` decides it.
 *
 * The analysis is kept in the file (analysis-checkpoint.ts), undecided, with what it
 * covers: at the end of a recording, every ANALYSIS_CHECKPOINT_MS while recording, and
 * after reading a file that had none. Opening loads it and reads only the messages after
 * it, so a reopen costs what the tail and the views cost, not the session's size.
 */
export class SessionAnalysis {
  private state: AnalysisState;
  private analysedSeq = 0;
  /** Consumer-group poll rows of the file the state has been given. */
  private offsetsFed = 0;
  /** What the file keeps (-1: not looked at yet), and when it was last written. */
  private keptSeq = -1;
  private keptAt = 0;
  /** How long the last checkpoint took, ms. */
  private keptCost = 0;
  /** The file keeps this analysis's results as decided now. */
  private resultsKept = false;
  /** This analysis wrote what the file keeps (it recorded, or was asked to keep). */
  private wroteKept = false;
  private finished = false;
  private live = false;
  /** Set while the feeder reads the file. */
  private progress: { done: number; total: number } | null = null;
  private failure: string | null = null;
  private feeding: Promise<void> | null = null;
  private abort: AbortController | null = null;
  private lastReport = 0;

  constructor(
    private readonly store: SessionStore,
    private readonly config: AnalysisConfigInput = {},
    private readonly hooks: SessionAnalysisHooks = {},
  ) {
    this.state = this.fresh();
  }

  private fresh(): AnalysisState {
    return new AnalysisState(this.config).readBodiesWith(this.hooks.body);
  }

  /** Settings the analysis depends on changed (the decoders): it reads the file again from its first message. */
  restart(): void {
    this.reset();
    this.keptSeq = -1;
    this.start();
    this.report(true);
  }

  /** The state itself, as the views read it (tests compare it with a live one). */
  get current(): AnalysisState {
    return this.state;
  }

  status(): AnalysisStatus {
    if (this.failure !== null) return { state: 'failed', message: this.failure };
    if (this.progress) return { state: 'running', ...this.progress };
    if (this.analysedSeq < this.store.lastSeq) return { state: 'running', done: 0, total: this.store.lastSeq - this.analysedSeq };
    return { state: 'ready' };
  }

  /**
   * Starts reading what the file holds beyond what was analysed. The first page is read
   * before this returns, so a small session is ready at once.
   */
  start(): void {
    if (this.progress || this.failure !== null) return;
    if (this.analysedSeq >= this.store.lastSeq) {
      this.settle();
      return;
    }
    // Only a fresh state is fed from the file (the feeder starts where the kept analysis ends).
    if (this.analysedSeq > 0) this.reset();
    const from = this.resume();
    if (this.analysedSeq >= this.store.lastSeq) {
      this.settle();
      return;
    }
    const abort = (this.abort = new AbortController());
    this.progress = { done: 0, total: this.store.lastSeq - from.seq };
    const feeding = feedSession(this.store, this.state, {
      signal: abort.signal,
      from,
      onProgress: (p) => {
        this.analysedSeq = p.seq;
        if (p.last) {
          this.progress = null;
          // Every poll stored so far has been handed over (the last page reads them all).
          this.offsetsFed = this.store.snapshots.offsetRows();
          // Kept before it is decided (when the file is being written anyway, or may be): the
          // next open, or a recording into it, goes on from here.
          if (this.live || this.hooks.keepAfterReading) this.checkpoint();
          this.settle();
        } else {
          this.progress = { done: p.done, total: p.total };
        }
        this.report(p.last);
      },
    })
      .catch((err: unknown) => {
        if (abort.signal.aborted) return;
        this.progress = null;
        // Damage on a page the open check does not read is named as the open check names it.
        const named = asSessionFileError(err, this.store.path) as Error;
        this.failure = named.message;
        this.hooks.onError?.(named);
        this.report(true);
      })
      .finally(() => {
        if (this.feeding === feeding) this.feeding = null;
      });
    this.feeding = feeding;
  }

  /** Resolves once the file has been read (at once when it has); the status says whether it failed. */
  async whenRead(): Promise<AnalysisStatus> {
    this.start();
    await this.feeding;
    return this.status();
  }

  /** What the views read now: live at the wall clock, a saved session as of its end. */
  reader(): AnalysisReader {
    this.start();
    const status = this.status();
    return readAnalysis(this.state, status, this.live && status.state === 'ready' ? Date.now() : undefined);
  }

  /**
   * Messages and bytes per destination of the whole session, from the analysis once it has
   * read the file (as the store would count them, without a scan); null until then.
   */
  destinations(): DestinationStats[] | null {
    if (!this.coversFile()) return null;
    return this.state.destinationList();
  }

  /** The analysis is ready and has read every message the file holds: its tallies answer for the whole session. */
  private coversFile(): boolean {
    return this.status().state === 'ready' && this.analysedSeq === this.store.lastSeq;
  }

  /** The whole session's timeline from the analysis's tally (no scan of every row); null until it has read the file. */
  timeline(buckets: number): TimelineSeries | null {
    if (!this.coversFile()) return null;
    return this.state.timelineSeries(buckets);
  }

  /** How many messages the session holds, as the analysis counted them reading it; null until it has. */
  messageCount(): number | null {
    if (!this.coversFile()) return null;
    return this.state.messages;
  }

  /** A recorder starts on the session: a finished analysis starts over from the file. */
  recordingStarted(): void {
    this.live = true;
    if (this.finished) this.reset();
    this.start();
  }

  recordingStopped(): void {
    this.live = false;
    if (!this.progress) {
      this.checkpoint();
      this.settle();
    }
  }

  /** A batch the Recorder just stored. */
  ingest(b: { firstSeq: number; lastSeq: number; messages: readonly StoredMessage[] }): void {
    if (this.progress || this.failure !== null) return;
    if (b.firstSeq !== this.analysedSeq + 1) {
      this.start();
      return;
    }
    this.state.ingest(b.messages);
    this.analysedSeq = b.lastSeq;
    // A big state takes a while to save: it is saved less often, so saving costs at most ~3% of the time.
    const every = Math.max(ANALYSIS_CHECKPOINT_MS, 30 * this.keptCost);
    if (Date.now() - this.keptAt >= every && this.analysedSeq - this.keptSeq >= ANALYSIS_CHECKPOINT_MIN) this.checkpoint();
  }

  /** Offset polls the Recorder just stored. */
  addOffsets(rows: readonly GroupOffset[]): void {
    if (this.progress || this.failure !== null) return;
    this.state.addOffsets(rows);
    this.offsetsFed += rows.length;
  }

  /**
   * Keeps the state, undecided, in the file, unless it is what the file keeps already
   * (or is decided, failed or still reading: then it is not the state to go on from).
   */
  checkpoint(): boolean {
    if (this.finished || this.progress || this.failure !== null || this.store.readonly) return false;
    if (this.analysedSeq === this.keptSeq) return false;
    this.keptAt = Date.now();
    const t0 = performance.now();
    const saved = saveCheckpoint(this.store, this.state, { seq: this.analysedSeq, offsets: this.offsetsFed }, this.hooks.version ?? '', this.hooks.salt?.() ?? '');
    this.keptCost = performance.now() - t0;
    if (!saved) return false;
    this.keptSeq = this.analysedSeq;
    this.resultsKept = false;
    this.wroteKept = true;
    return true;
  }

  /**
   * A fresh state takes the analysis the file keeps, if it can; where to read on from. A
   * session not being recorded into takes the kept results when they are current.
   */
  private resume(): AnalysedUpTo {
    const kept = this.analysedSeq === 0 ? loadCheckpoint(this.store, this.config, !this.live, this.hooks.salt?.() ?? '') : null;
    this.keptSeq = kept?.seq ?? 0;
    this.keptAt = Date.now();
    if (!kept) return { seq: 0, offsets: 0 };
    this.state = kept.state.readBodiesWith(this.hooks.body);
    this.analysedSeq = kept.seq;
    this.offsetsFed = kept.offsets;
    this.finished = kept.finished;
    this.resultsKept = kept.finished;
    return kept;
  }

  dispose(): void {
    this.abort?.abort();
  }

  private reset(): void {
    this.abort?.abort();
    this.state = this.fresh();
    this.analysedSeq = 0;
    this.offsetsFed = 0;
    this.finished = false;
    this.resultsKept = false;
    this.progress = null;
  }

  /** A saved session read to its end is decided as of the recording's end. */
  private settle(): void {
    if (this.live || this.finished || this.analysedSeq < this.store.lastSeq) return;
    const end = this.store.recordingEnd();
    this.state.finish(end);
    this.finished = true;
    // The file keeps this state undecided (kept by this analysis: a plain open writes nothing): its results, decided, go beside it.
    if (end !== undefined && this.keptSeq === this.analysedSeq && !this.resultsKept && (this.wroteKept || this.hooks.keepAfterReading)) {
      saveResults(this.store, this.state, this.analysedSeq, end);
      this.resultsKept = true;
    }
  }

  private report(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastReport < ANALYSIS_PROGRESS_MS) return;
    this.lastReport = now;
    this.hooks.onProgress?.(this.status());
  }
}
