import type { CapturedMessage, GroupOffset, JsonValue } from '../../shared/model.ts';
import type { EndpointSpec } from '../../shared/specs.ts';
import type { EndpointView, StorageStatus } from '../../shared/views.ts';
import { ApiError } from '../../shared/api.ts';
import type { SessionStore } from '../store/session-store.ts';
import { Recorder, type EndpointState, type RecorderBatch } from './recorder.ts';
import { createConnector } from './connector-factory.ts';
import { endpointLabel, storableConfig } from '../common/endpoint-label.ts';

export interface RecordingHooks {
  enrich: (m: CapturedMessage) => void;
  /** A recorder is about to start on the session. */
  onStart: () => void;
  onBatch: (b: RecorderBatch) => void;
  onOffsets: (rows: GroupOffset[]) => void;
  onEndpoint: (e: EndpointView) => void;
  onStorage: (s: StorageStatus) => void;
  onGap: () => void;
  onError: (err: Error) => void;
}

/** A session's endpoints, as they were recorded and as they record now, and its recorder. */
export class SessionRecording {
  recorder: Recorder | null = null;
  private readonly views = new Map<string, EndpointView>();
  private nextEndpoint = 1;

  constructor(
    private readonly store: SessionStore,
    private readonly hooks: RecordingHooks,
  ) {
    for (const e of store.endpoints()) {
      const log = store.endpointLog(e.id);
      const last = log[log.length - 1];
      this.views.set(e.id, {
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

  /** How the last recording ended for storage (its counts), once stopped. */
  lastStorage: StorageStatus | null = null;

  /** Whether captures reach the file now; null when not recording. */
  storage(): StorageStatus | null {
    return this.recorder?.storage() ?? null;
  }

  get live(): boolean {
    return this.recorder !== null;
  }

  endpoints(): EndpointView[] {
    return [...this.views.values()];
  }

  /** Attaches an endpoint and starts recording it. Connection trouble shows as its status. */
  async connect(spec: EndpointSpec): Promise<EndpointView> {
    const recorder = this.ensureRecorder();
    const id = `${spec.kind}-${this.nextEndpoint++}`;
    const transport = spec.kind === 'ws-proxy' || spec.kind === 'ws-tap' ? 'ws' : spec.kind === 'mqtt-proxy' ? 'mqtt' : spec.kind === 'nats-proxy' ? 'nats' : spec.kind;
    const view: EndpointView = { id, transport, label: endpointLabel(spec), status: 'connecting', detail: null, since: Date.now() };
    this.views.set(id, view);
    this.store.upsertEndpoint({ id, transport, label: view.label, config: storableConfig(spec), createdAt: Date.now() });
    const connector = await createConnector(id, spec, recorder.sink(id));
    if (this.recorder !== recorder) {
      // Stopped while the connector's module loaded (its first use only): nothing to attach to.
      throw new ApiError('failed', 'The recording stopped before the endpoint was attached.');
    }
    try {
      await recorder.add(connector);
    } catch (err) {
      // The status already says why; the endpoint stays listed as failed.
      throw new ApiError('failed', (err as Error).message);
    }
    return this.views.get(id) ?? view;
  }

  /** Registers an endpoint whose connector the caller builds (the demo). */
  register(id: string, transport: EndpointView['transport'], label: string, config: Record<string, JsonValue> = {}): Recorder {
    const recorder = this.ensureRecorder();
    this.views.set(id, { id, transport, label, status: 'connecting', detail: null, since: Date.now() });
    this.store.upsertEndpoint({ id, transport, label, config, createdAt: Date.now() });
    return recorder;
  }

  async disconnect(endpointId: string): Promise<void> {
    if (!this.recorder?.connector(endpointId)) throw new ApiError('not-found', `No recording endpoint ${endpointId}.`);
    await this.recorder.remove(endpointId);
  }

  async stop(): Promise<void> {
    if (!this.recorder) return;
    await this.recorder.stop();
    this.lastStorage = this.recorder.storage();
    this.recorder = null;
    try {
      this.store.checkpoint();
    } catch {
      // A full disk: what is committed stays in the -wal file, which SQLite replays on open
      // (the store says so when it closes); the storage status already told the user.
    }
  }

  private ensureRecorder(): Recorder {
    if (this.store.readonly) throw new ApiError('failed', 'This session is open read-only; start a new recording instead.');
    if (this.recorder) return this.recorder;
    this.hooks.onStart();
    this.recorder = new Recorder(this.store, {
      enrich: this.hooks.enrich,
      onBatch: this.hooks.onBatch,
      onOffsets: this.hooks.onOffsets,
      onStatus: (s) => this.updateEndpoint(s),
      onStorage: this.hooks.onStorage,
      onGap: this.hooks.onGap,
      onError: this.hooks.onError,
      // SQLite on its own thread: decoding and analysis keep this one (issue 12).
      writerThread: true,
    });
    return this.recorder;
  }

  private updateEndpoint(s: EndpointState): void {
    const view = this.views.get(s.id);
    if (!view) return;
    const next: EndpointView = { ...view, status: s.status, detail: s.detail, since: s.since, ...(s.lag !== null ? { lag: s.lag } : {}) };
    this.views.set(s.id, next);
    this.hooks.onEndpoint(next);
  }
}
