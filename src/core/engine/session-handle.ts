import type { CapturedMessage, JsonValue, MessageDetail } from '../../shared/model.ts';
import type { EndpointSpec } from '../../shared/specs.ts';
import type { AnalysisStatus, EndpointView, PlaybackState, SessionInfo, StorageStatus, TimelineSeries, TrafficBatch } from '../../shared/views.ts';
import type { MessageFilter } from '../../shared/filter.ts';
import { ApiError } from '../../shared/api.ts';
import type { SessionStore } from '../store/session-store.ts';
import type { Recorder } from './recorder.ts';
import { TrafficBatcher } from './traffic-batcher.ts';
import { SessionAnalysis, type AnalysisConfigInput, type AnalysisReader } from './session-analysis.ts';
import { SessionRecording } from './session-recording.ts';
import { SessionPlayback, type PlaybackAction } from './session-playback.ts';
import { timelineOf } from './session-timeline.ts';
import { messageDetail } from './message-detail.ts';
import type { Speed } from './playback.ts';
import type { BodyReader } from '../analysis/correlation.ts';
import { SCHEMA_REANALYSIS_DELAY_MS } from '../common/constants.ts';
import { SessionDecoders } from './session-decoders.ts';
import type { DecoderSettings } from '../../shared/decoders.ts';

export interface SessionContext {
  version: string;
  analysis: AnalysisConfigInput;
  emitBatch: (b: TrafficBatch) => void;
  emitEndpoint: (sessionId: string, e: EndpointView) => void;
  emitStorage: (sessionId: string, s: StorageStatus) => void;
  emitGaps: (sessionId: string, gapCount: number) => void;
  emitPlayback: (s: PlaybackState) => void;
  emitAnalysis: (sessionId: string, status: AnalysisStatus) => void;
  /** The correlation enricher of a recording, reading decoded bodies through `body`. */
  enrich: (body: BodyReader) => (m: CapturedMessage) => void;
  onError: (err: Error) => void;
}

/**
 * One open session: its store, its recording when it is live, its analysis, and the
 * playback when the user replays it in the UI. Each of those is its own module; this one
 * ties them to the session's lifetime.
 */
export class SessionHandle {
  private readonly batcher: TrafficBatcher;
  private readonly recording: SessionRecording;
  private readonly analysis: SessionAnalysis;
  private readonly playback: SessionPlayback;
  /** The session's decoder settings (kept in its file) and the registry built from them. */
  readonly decoders: SessionDecoders;

  constructor(
    readonly id: string,
    readonly store: SessionStore,
    private readonly ctx: SessionContext,
    /** Keep the analysis of what the file holds once it has been read (see SessionAnalysisHooks). */
    keepAnalysis = false,
  ) {
    this.batcher = new TrafficBatcher(id, ctx.emitBatch);
    this.decoders = new SessionDecoders(store);
    this.batcher.previewWith((m) => this.decoders.preview(m));
    // Messages recorded before their schema arrived read as undecoded to the correlation
    // paths: once it is in, the analysis reads the file again and pairs them.
    this.decoders.onSchemaArrived(() => this.reanalyseSoon());
    this.analysis = new SessionAnalysis(store, ctx.analysis, {
      version: ctx.version,
      body: (m) => this.decoders.body(m),
      salt: () => this.decoders.digest,
      keepAfterReading: keepAnalysis,
      onProgress: (status) => ctx.emitAnalysis(id, status),
      onError: ctx.onError,
    });
    this.recording = new SessionRecording(store, {
      enrich: ctx.enrich((m) => this.decoders.body(m)),
      onStart: () => this.analysis.recordingStarted(),
      onBatch: (b) => {
        this.analysis.ingest(b);
        this.batcher.push(b.messages, b.lastSeq);
      },
      onOffsets: (rows) => this.analysis.addOffsets(rows),
      onEndpoint: (e) => ctx.emitEndpoint(id, e),
      onStorage: (s) => {
        ctx.emitStorage(id, s);
        // Writes resumed (or the recording stopped): the pause is in the file as gaps now.
        if (s.state === 'ok' && (s.resumed > 0 || s.dropped > 0)) ctx.emitGaps(id, store.gaps().length);
      },
      onGap: () => ctx.emitGaps(id, store.gaps().length),
      onError: ctx.onError,
    });
    this.playback = new SessionPlayback(id, store, ctx.analysis, {
      onMessages: (msgs) => this.batcher.push(msgs, msgs[msgs.length - 1]!.seq),
      onState: ctx.emitPlayback,
      body: (m) => this.decoders.body(m),
    });
  }

  get live(): boolean {
    return this.recording.live;
  }

  get recorder(): Recorder | null {
    return this.recording.recorder;
  }

  info(): SessionInfo {
    const meta = this.store.getMeta();
    const range = this.span();
    return {
      id: this.id,
      path: this.store.path,
      live: this.live,
      readonly: this.store.readonly,
      createdAt: meta.created_at ?? '',
      flowscopeVersion: meta.flowscope_version ?? '',
      notes: meta.notes ?? '',
      messageCount: range.count,
      firstTime: range.first,
      lastTime: range.last,
      endpoints: this.recording.endpoints(),
      analysis: this.analysis.status(),
      storage: this.recording.storage(),
      gapCount: this.store.gaps().length,
    };
  }

  /** First and last capture time and the message count; the count from the analysis once it has read the file (no scan). */
  private span(): { first: number | null; last: number | null; count: number } {
    const counted = this.analysis.messageCount();
    if (counted === null) return this.store.timeRange();
    return { ...this.store.captureSpan(), count: counted };
  }

  /** Whether captures reach the file now; after a recording stopped, how it ended. */
  storage(): StorageStatus | null {
    return this.recording.storage() ?? this.recording.lastStorage;
  }

  endpoints(): EndpointView[] {
    return this.recording.endpoints();
  }

  /** Attaches an endpoint and starts recording it. Connection trouble shows as its status. */
  connect(spec: EndpointSpec): Promise<EndpointView> {
    return this.recording.connect(spec);
  }

  /** Registers an endpoint whose connector the caller builds (the demo). */
  registerEndpoint(id: string, transport: EndpointView['transport'], label: string, config: Record<string, JsonValue> = {}): Recorder {
    return this.recording.register(id, transport, label, config);
  }

  disconnect(endpointId: string): Promise<void> {
    return this.recording.disconnect(endpointId);
  }

  query(q: { filter: MessageFilter; offset?: number; afterSeq?: number; limit: number; order?: 'asc' | 'desc'; withTotal?: boolean }) {
    const filter = this.playback.scoped(q.filter);
    const rows = this.store.rows(filter, {
      limit: q.limit,
      ...(q.offset !== undefined ? { offset: q.offset } : {}),
      ...(q.afterSeq !== undefined ? { afterSeq: q.afterSeq } : {}),
      ...(q.order ? { order: q.order } : {}),
    });
    const whole = q.withTotal && isWhole(filter) ? this.analysis.messageCount() : null;
    return { rows, total: q.withTotal ? (whole ?? this.store.count(filter)) : null };
  }

  destinations(filter: MessageFilter = {}) {
    const scoped = this.playback.scoped(filter);
    // The whole session's list is the analysis's own tally: no scan of every row.
    const whole = isWhole(scoped) ? this.analysis.destinations() : null;
    return whole ?? this.store.destinations(scoped);
  }

  timeline(filter: MessageFilter = {}, buckets: number): TimelineSeries {
    const scoped = this.playback.scoped(filter);
    // The whole session's timeline is the analysis's own tally: no scan of every row.
    const whole = isWhole(scoped) ? this.analysis.timeline(buckets) : null;
    return whole ?? timelineOf(this.store, scoped, buckets);
  }

  detail(seq: number): MessageDetail | null {
    return messageDetail(this.store, seq, this.decoders.registry);
  }

  /** Replaces the session's decoder settings and keeps them in its file. */
  setDecoders(settings: DecoderSettings, registryAuthorization: string | null = null): DecoderSettings {
    const before = this.decoders.digest;
    const kept = this.decoders.set(settings, registryAuthorization);
    // Correlation paths may read decoded fields: pairs are found again under the new decoders.
    if (this.decoders.digest !== before) this.analysis.restart();
    return kept;
  }

  /**
   * Fetches the Schema Registry's schemas for every id the session's payloads name (see
   * SessionDecoders.fetchSchemas); correlation paths may read those fields, so the analysis
   * reads the file again when any arrived.
   */
  async fetchSchemas(registry?: { url: string; authorization: string | null }): Promise<{ ids: number; unreachable: string | null }> {
    if (registry) this.decoders.useRegistry(registry);
    const r = await this.decoders.fetchSchemas();
    // One re-read with every answer in, now, rather than the one the answers scheduled: a
    // caller awaiting the analysis must not see it restarted under it.
    this.cancelReanalysis();
    if (r.ids > 0 && this.decoders.digest !== '') this.analysis.restart();
    return r;
  }

  private reanalysis: NodeJS.Timeout | null = null;

  private reanalyseSoon(): void {
    if (this.reanalysis || this.decoders.digest === '') return;
    this.reanalysis = setTimeout(() => {
      this.reanalysis = null;
      this.analysis.restart();
    }, SCHEMA_REANALYSIS_DELAY_MS);
    this.reanalysis.unref();
  }

  private cancelReanalysis(): void {
    if (this.reanalysis) clearTimeout(this.reanalysis);
    this.reanalysis = null;
  }

  /** Starts reading the saved session into its analysis (the UI opened it), reporting progress. */
  startAnalysis(): void {
    this.analysis.start();
  }

  /** Resolves once the analysis has read the whole file, with how it ended. */
  analysisRead(): Promise<AnalysisStatus> {
    return this.analysis.whenRead();
  }

  /**
   * The analysis the views read: the playback's at the playhead while playing back; else
   * the session's (live at the wall clock, a saved session as of its end), which starts
   * reading the file if it has not yet.
   */
  analysisReader(): AnalysisReader {
    return this.playback.reader() ?? this.analysis.reader();
  }

  playbackControl(action: PlaybackAction, time?: number, speed?: Speed): PlaybackState {
    if (this.live) throw new ApiError('failed', 'Stop the recording before playing the session back.');
    return this.playback.control(action, time, speed);
  }

  async stopRecording(): Promise<void> {
    await this.recording.stop();
    this.analysis.recordingStopped();
  }

  async close(): Promise<void> {
    this.cancelReanalysis();
    this.playback.dispose();
    await this.stopRecording();
    this.analysis.dispose();
    this.batcher.dispose();
    this.store.close();
  }
}

/** A filter that selects every message. */
function isWhole(filter: MessageFilter): boolean {
  return Object.values(filter).every((v) => v === undefined);
}
