import type { CapturedMessage, MessageDetail, StoredMessage } from '../../shared/model.ts';
import type { EndpointSpec } from '../../shared/specs.ts';
import type { EndpointView, PlaybackState, SessionInfo, TrafficBatch } from '../../shared/views.ts';
import type { MessageFilter } from '../../shared/filter.ts';
import { ApiError } from '../../shared/api.ts';
import type { SessionStore } from '../store/session-store.ts';
import { Recorder, type EndpointState } from './recorder.ts';
import { TrafficBatcher, toRow } from './traffic-batcher.ts';
import { createConnector } from './connector-factory.ts';
import { endpointLabel, storableConfig } from '../common/endpoint-label.ts';
import type { SessionAnalysis } from './analysis-port.ts';
import { recordingEnd } from './session-analysis.ts';
import { Playback, type Speed } from './playback.ts';
import { decodePayload, hexDump } from '../decode/payload.ts';
import { timelineSeries } from '../store/timeline.ts';

/** Largest payload sent whole to the detail pane; bigger ones show a bounded text and hex head. */
const DETAIL_LIMIT = 2 * 1024 * 1024;
const CATCH_UP_CHUNK = 5000;

export interface SessionContext {
  version: string;
  emitBatch: (b: TrafficBatch) => void;
  emitEndpoint: (sessionId: string, e: EndpointView) => void;
  emitPlayback: (s: PlaybackState) => void;
  newAnalysis: () => SessionAnalysis;
  enrich: (m: CapturedMessage) => void;
  onError: (err: Error) => void;
}

/**
 * One open session: its store, the recorder when it is live, the incremental analysis,
 * and the playback when the user replays it in the UI.
 */
export class SessionHandle {
  recorder: Recorder | null = null;
  private analysis: SessionAnalysis;
  private analysedSeq = 0;
  private analysisFinished = false;
  private catchingUp: Promise<void> | null = null;
  private readonly batcher: TrafficBatcher;
  private readonly endpointViews = new Map<string, EndpointView>();
  private playback: Playback | null = null;
  private playbackAnalysis: SessionAnalysis | null = null;
  private nextEndpoint = 1;

  constructor(
    readonly id: string,
    readonly store: SessionStore,
    private readonly ctx: SessionContext,
  ) {
    this.analysis = ctx.newAnalysis();
    this.batcher = new TrafficBatcher(id, ctx.emitBatch);
    for (const e of store.endpoints()) {
      const log = store.endpointLog(e.id);
      const last = log[log.length - 1];
      this.endpointViews.set(e.id, {
        id: e.id,
        transport: e.transport as EndpointView['transport'],
        label: e.label,
        status: 'stopped',
        detail: last?.detail ?? null,
        since: last?.time ?? e.createdAt,
      });
      this.nextEndpoint += 1;
    }
  }

  get live(): boolean {
    return this.recorder !== null;
  }

  info(): SessionInfo {
    const meta = this.store.getMeta();
    const range = this.store.timeRange();
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
      endpoints: [...this.endpointViews.values()],
    };
  }

  endpoints(): EndpointView[] {
    return [...this.endpointViews.values()];
  }

  private ensureRecorder(): Recorder {
    if (this.store.readonly) throw new ApiError('failed', 'This session is open read-only; start a new recording instead.');
    if (this.recorder) return this.recorder;
    if (this.analysisFinished) {
      // Recording again into a session whose analysis was closed: start over from the file.
      this.analysis = this.ctx.newAnalysis();
      this.analysisFinished = false;
      this.analysedSeq = 0;
    }
    this.recorder = new Recorder(this.store, {
      enrich: this.ctx.enrich,
      onBatch: (b) => {
        if (this.analysedSeq < b.firstSeq - 1) this.catchUpNow(b.firstSeq - 1);
        this.analysis.ingest(b.messages);
        this.analysedSeq = b.lastSeq;
        this.batcher.push(b.messages, b.lastSeq);
      },
      onOffsets: (rows) => this.analysis.addOffsets(rows),
      onStatus: (s) => this.updateEndpoint(s),
      onError: this.ctx.onError,
    });
    return this.recorder;
  }

  private updateEndpoint(s: EndpointState): void {
    const view = this.endpointViews.get(s.id);
    if (!view) return;
    const next = { ...view, status: s.status, detail: s.detail, since: s.since };
    this.endpointViews.set(s.id, next);
    this.ctx.emitEndpoint(this.id, next);
  }

  /** Attaches an endpoint and starts recording it. Connection trouble shows as its status. */
  async connect(spec: EndpointSpec): Promise<EndpointView> {
    const recorder = this.ensureRecorder();
    const id = `${spec.kind}-${this.nextEndpoint++}`;
    const transport = spec.kind === 'kafka' ? 'kafka' : spec.kind === 'amqp' ? 'amqp' : 'ws';
    const view: EndpointView = { id, transport, label: endpointLabel(spec), status: 'connecting', detail: null, since: Date.now() };
    this.endpointViews.set(id, view);
    this.store.upsertEndpoint({ id, transport, label: view.label, config: storableConfig(spec), createdAt: Date.now() });
    const connector = createConnector(id, spec, recorder.sink(id));
    try {
      await recorder.add(connector);
    } catch (err) {
      // The status already says why; the endpoint stays listed as failed.
      throw new ApiError('failed', (err as Error).message);
    }
    return this.endpointViews.get(id) ?? view;
  }

  /** Registers an endpoint whose connector the caller builds (the demo). */
  registerEndpoint(id: string, transport: EndpointView['transport'], label: string, config: Record<string, never> = {}): Recorder {
    const recorder = this.ensureRecorder();
    this.endpointViews.set(id, { id, transport, label, status: 'connecting', detail: null, since: Date.now() });
    this.store.upsertEndpoint({ id, transport, label, config, createdAt: Date.now() });
    return recorder;
  }

  async disconnect(endpointId: string): Promise<void> {
    if (!this.recorder?.connector(endpointId)) throw new ApiError('not-found', `No recording endpoint ${endpointId}.`);
    await this.recorder.remove(endpointId);
  }

  /** The filter every query gets during playback: nothing after the playhead. */
  private scoped(filter: MessageFilter): MessageFilter {
    const head = this.playback?.state().playhead;
    if (head === undefined || head === null) return filter;
    return { ...filter, untilCapture: Math.min(filter.untilCapture ?? Number.POSITIVE_INFINITY, head) };
  }

  query(q: { filter: MessageFilter; offset?: number; afterSeq?: number; limit: number; order?: 'asc' | 'desc'; withTotal?: boolean }) {
    const filter = this.scoped(q.filter);
    const rows = this.store.rows(filter, {
      limit: q.limit,
      ...(q.offset !== undefined ? { offset: q.offset } : {}),
      ...(q.afterSeq !== undefined ? { afterSeq: q.afterSeq } : {}),
      ...(q.order ? { order: q.order } : {}),
    });
    return { rows, total: q.withTotal ? this.store.count(filter) : null };
  }

  destinations(filter: MessageFilter = {}) {
    return this.store.destinations(this.scoped(filter));
  }

  timeline(filter: MessageFilter = {}, buckets: number) {
    return timelineSeries(this.store, this.scoped(filter), buckets);
  }

  detail(seq: number): MessageDetail | null {
    const m = this.store.get(seq);
    if (!m) return null;
    return toDetail(m, m.correlationId ? this.store.related(m.correlationId, 50).filter((r) => r.seq !== seq) : []);
  }

  /**
   * The analysis the views should show, and the clock it is read at: the playback's at the
   * playhead while playing back; the live one at the wall clock while recording; a saved
   * session's finished one (everything still open counts as decided at the recording's end).
   */
  async currentAnalysis(): Promise<{ analysis: SessionAnalysis; now: number }> {
    if (this.playbackAnalysis && this.playback) {
      return { analysis: this.playbackAnalysis, now: this.playback.state().playhead ?? 0 };
    }
    await this.catchUp();
    if (!this.live && !this.analysisFinished && this.analysedSeq >= this.store.lastSeq) {
      // Decided at the recording's end (last message, offset poll or stop), as `inspect` does.
      this.analysis.finish(recordingEnd(this.store));
      this.analysisFinished = true;
    }
    return { analysis: this.analysis, now: Date.now() };
  }

  /** Brings the analysis of a saved session up to date in chunks, yielding between them. */
  private catchUp(): Promise<void> {
    if (this.analysedSeq >= this.store.lastSeq) return Promise.resolve();
    this.catchingUp ??= (async () => {
      if (this.analysedSeq === 0) this.analysis.addOffsets(this.store.offsets());
      while (this.analysedSeq < this.store.lastSeq && !this.recorder) {
        const chunk = this.store.page(this.analysedSeq, CATCH_UP_CHUNK);
        if (chunk.length === 0) break;
        this.analysis.ingest(chunk);
        this.analysedSeq = chunk[chunk.length - 1]!.seq;
        await new Promise((r) => setImmediate(r));
      }
    })().finally(() => {
      this.catchingUp = null;
    });
    return this.catchingUp;
  }

  /** Synchronous catch-up to `seq` (before live batches continue an older session). */
  private catchUpNow(seq: number): void {
    if (this.analysedSeq === 0) this.analysis.addOffsets(this.store.offsets());
    while (this.analysedSeq < seq) {
      const chunk = this.store.page(this.analysedSeq, CATCH_UP_CHUNK);
      const upTo = chunk.filter((m) => m.seq <= seq);
      if (upTo.length === 0) break;
      this.analysis.ingest(upTo);
      this.analysedSeq = upTo[upTo.length - 1]!.seq;
    }
  }

  playbackControl(action: 'play' | 'pause' | 'seek' | 'speed' | 'stop', time?: number, speed?: Speed): PlaybackState {
    if (this.live) throw new ApiError('failed', 'Stop the recording before playing the session back.');
    if (action === 'stop') {
      this.playback?.dispose();
      this.playback = null;
      this.playbackAnalysis = null;
      const s: PlaybackState = { sessionId: this.id, playing: false, speed: 1, playhead: null, from: null, to: null };
      this.ctx.emitPlayback(s);
      return s;
    }
    if (!this.playback) {
      this.playbackAnalysis = this.ctx.newAnalysis();
      this.playbackAnalysis.addOffsets(this.store.offsets());
      this.playback = new Playback(this.id, this.store, {
        onReset: () => {
          this.playbackAnalysis = this.ctx.newAnalysis();
          this.playbackAnalysis.addOffsets(this.store.offsets());
        },
        onMessages: (msgs) => {
          this.playbackAnalysis?.ingest(msgs);
          this.batcher.push(msgs, msgs[msgs.length - 1]!.seq);
        },
        onState: (s) => this.ctx.emitPlayback(s),
      });
    }
    const p = this.playback;
    if (action === 'play') p.play();
    else if (action === 'pause') p.pause();
    else if (action === 'seek' && time !== undefined) p.seek(time);
    else if (action === 'speed' && speed !== undefined) p.setSpeed(speed);
    return p.state();
  }

  async stopRecording(): Promise<void> {
    if (!this.recorder) return;
    await this.recorder.stop();
    this.recorder = null;
    this.store.checkpoint();
  }

  async close(): Promise<void> {
    this.playback?.dispose();
    await this.stopRecording();
    this.batcher.dispose();
    this.store.close();
  }
}

/** Backs a cut off to the start of a UTF-8 character, so a cut text still decodes as text. */
function utf8Boundary(bytes: Uint8Array, cut: number): number {
  let i = cut;
  while (i > 0 && cut - i < 4 && (bytes[i]! & 0xc0) === 0x80) i--;
  return i;
}

function toDetail(m: StoredMessage, related: MessageDetail['related']): MessageDetail {
  const tooBig = m.payload.byteLength > DETAIL_LIMIT;
  const head = tooBig ? m.payload.subarray(0, utf8Boundary(m.payload, DETAIL_LIMIT)) : m.payload;
  const decoded = decodePayload(head);
  return {
    ...toRow(m),
    brokerTime: m.brokerTime ?? null,
    headers: m.headers ?? null,
    properties: m.properties ?? null,
    meta: m.meta ?? null,
    encoding: decoded.encoding,
    text: decoded.text,
    hex: hexDump(m.payload, 4096),
    payloadBase64: tooBig ? null : Buffer.from(m.payload).toString('base64'),
    truncated: tooBig,
    related,
  };
}
