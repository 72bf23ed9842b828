import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  ApiError,
  isRequestChannel,
  parseInput,
  type EventChannel,
  type Events,
  type InspectorApi,
  type ParsedInput,
  type RequestChannel,
  type RequestInput,
  type RequestResult,
} from '../../shared/api.ts';
import { encodeEvent, type EventEnvelope } from '../../shared/envelope.ts';
import { SessionStore, SessionFileError, SESSION_EXTENSION, asSessionFileError } from '../store/session-store.ts';
import { isFileOrSidecar } from '../common/same-file.ts';
import { SessionHandle, type SessionContext } from './session-handle.ts';
import { createEnricher, type AnalysisConfigInput } from './session-analysis.ts';
import { analysisAt } from './analysis-at.ts';
import { RecentSessions } from './recent.ts';
import { exportJsonl, importJsonl } from '../io/jsonl.ts';
import { importKcat } from '../io/kcat.ts';
import { importHar } from '../io/har-import.ts';
import { exportHar } from '../io/har-export.ts';
import { exportAsyncApi } from '../io/asyncapi/export.ts';
import { ReplayRegistry } from './replays.ts';
import { getLogger } from '../common/logger.ts';
import { registrySubjects } from './registry-subjects.ts';

const log = getLogger('engine');

export interface EngineOptions {
  /** Where new recordings and the recent list live. */
  dataDir: string;
  version: string;
  transport: 'ipc' | 'bridge';
  /** Electron passes its own build of better-sqlite3. */
  nativeBinding?: string;
  /** Analysis settings (correlation header names, JSON paths, reply timeout, windows); defaults otherwise. */
  analysis?: AnalysisConfigInput;
  demo?: boolean;
}

type Handler<C extends RequestChannel> = (input: ParsedInput<C>) => Promise<RequestResult<C>> | RequestResult<C>;
type Listener = (msg: EventEnvelope) => void;

/**
 * The engine behind the InspectorApi. In-process callers (the CLI, the Electron shell, the
 * tests) use the typed `call`; both transports (Electron IPC and the WebSocket bridge) pass
 * untrusted requests to `handle` and forward the envelopes `onEvent` emits.
 */
export class Engine implements InspectorApi {
  private readonly sessions = new Map<string, SessionHandle>();
  private readonly listeners = new Set<Listener>();
  private readonly recent: RecentSessions;
  private readonly replays: ReplayRegistry;
  private readonly demos = new Map<string, () => Promise<void>>();
  private readonly handlers: { [C in RequestChannel]: Handler<C> };

  constructor(readonly opts: EngineOptions) {
    fs.mkdirSync(opts.dataDir, { recursive: true });
    this.recent = new RecentSessions(path.join(opts.dataDir, 'recent.json'));
    this.replays = new ReplayRegistry((p) => this.emit('main:replay:progress', p));
    this.handlers = this.buildHandlers();
  }

  /** Every event, as an envelope that narrows on `event`. */
  onEvent(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit<E extends EventChannel>(event: E, payload: Events[E]): void {
    const msg = encodeEvent(event, payload);
    for (const l of this.listeners) l(msg);
  }

  /** Runs one request with its contract types. Throws ApiError with a message fit for the user. */
  call<C extends RequestChannel>(channel: C, input: RequestInput<C>): Promise<RequestResult<C>> {
    return this.run(channel, input);
  }

  /**
   * The untrusted entry, for the transports: the channel must be a contract channel and the
   * input must pass its schema. Throws ApiError with a message fit for the user.
   */
  handle(channel: unknown, input: unknown): Promise<unknown> {
    if (!isRequestChannel(channel)) return Promise.reject(new ApiError('bad-request', `Unknown channel ${String(channel).slice(0, 80)}`));
    return this.run(channel, input);
  }

  private async run<C extends RequestChannel>(channel: C, input: unknown): Promise<RequestResult<C>> {
    // Typed callers are validated too: the schema applies the defaults handlers rely on.
    const parsed = parseInput(channel, input);
    const handler: Handler<C> = this.handlers[channel];
    try {
      return await handler(parsed);
    } catch (err) {
      if (err instanceof ApiError) throw err;
      if (err instanceof SessionFileError) throw new ApiError('failed', err.message);
      // Damage on a page only this query reached (or opening read, past the open check's
      // sample of a large file) reads as the open check would have said it.
      const file = this.fileOf(parsed) ?? (channel === 'renderer:session:open' ? (parsed as { path: string }).path : null);
      throw new ApiError('failed', ((file ? asSessionFileError(err, file) : err) as Error).message);
    }
  }

  /** The file of the open session a request names, if any. */
  private fileOf(input: unknown): string | null {
    const id = (input as { sessionId?: unknown } | null)?.sessionId;
    return typeof id === 'string' ? (this.sessions.get(id)?.store.path ?? null) : null;
  }

  /** Refuses to write a file over a session that is open (its connection would lose the file). */
  private assertNotOpen(target: string): void {
    for (const s of this.sessions.values()) {
      if (isFileOrSidecar(target, s.store.path)) {
        throw new ApiError('failed', `${target} is a session open in Flowscope; close it or choose another file.`);
      }
    }
  }

  session(id: string): SessionHandle {
    const s = this.sessions.get(id);
    if (!s) throw new ApiError('not-found', `No open session ${id}.`);
    return s;
  }

  private context(): SessionContext {
    return {
      version: this.opts.version,
      emitBatch: (b) => this.emit('main:traffic:batch', b),
      emitEndpoint: (sessionId, endpoint) => this.emit('main:endpoint:status', { sessionId, endpoint }),
      emitStorage: (sessionId, storage) => this.emit('main:session:storage', { sessionId, storage }),
      emitGaps: (sessionId, gapCount) => this.emit('main:session:gaps', { sessionId, gapCount }),
      emitPlayback: (s) => this.emit('main:playback:state', s),
      emitAnalysis: (sessionId, analysis) => this.emit('main:analysis:progress', { sessionId, analysis }),
      analysis: this.opts.analysis ?? {},
      enrich: (body) => createEnricher(this.opts.analysis, body),
      onError: (err) => {
        log.error('recording', err);
        this.emit('main:app:error', { message: err.message });
      },
    };
  }

  private storeOptions() {
    return this.opts.nativeBinding ? { nativeBinding: this.opts.nativeBinding } : {};
  }

  /** A new, empty recording. */
  newSession(file?: string): SessionHandle {
    const target = file ?? path.join(this.opts.dataDir, `recording-${new Date().toISOString().replace(/[:.]/g, '-')}${SESSION_EXTENSION}`);
    const store = SessionStore.create(target, { flowscope_version: this.opts.version }, this.storeOptions());
    return this.adopt(store);
  }

  /**
   * Opens a saved session; its analysis starts reading the file at once, reporting progress.
   * Opening writes nothing: a file without a usable kept analysis is analysed at every open
   * until it is recorded into, except with `keepAnalysis` (a file Flowscope just made).
   */
  openSession(file: string, opts: { keepAnalysis?: boolean; deferWalk?: boolean } = {}): SessionHandle {
    const abs = path.resolve(file);
    for (const s of this.sessions.values()) if (s.store.path === abs) return s;
    let readonly = false;
    try {
      fs.accessSync(abs, fs.constants.W_OK);
    } catch {
      readonly = true;
    }
    const store = SessionStore.open(abs, { readonly, deferWalk: opts.deferWalk ?? false, ...this.storeOptions() });
    this.recent.add(abs);
    const handle = this.adopt(store, opts.keepAnalysis ?? false);
    handle.startAnalysis();
    store.verifyDeferred().catch((err: unknown) => this.damageFound(handle, err));
    return handle;
  }

  /**
   * The page walk of a large session opened for a window found damage after the views had
   * begun to answer: the window is told in the words every command uses, and the session is
   * closed, its file left as it is (nothing more is read from it or written into it).
   */
  private damageFound(handle: SessionHandle, err: unknown): void {
    if (!(err instanceof SessionFileError)) {
      log.warn(`the damage check of ${handle.store.path} could not run`, err);
      return;
    }
    if (this.sessions.get(handle.id) !== handle) return;
    log.warn(err.message);
    this.emit('main:app:error', { message: err.message });
    void this.closeSession(handle.id).catch((e: unknown) => log.warn(`closing the damaged session ${handle.store.path}`, e));
  }

  private adopt(store: SessionStore, keepAnalysis = false): SessionHandle {
    const handle = new SessionHandle(randomUUID().slice(0, 8), store, this.context(), keepAnalysis);
    this.sessions.set(handle.id, handle);
    return handle;
  }

  async closeSession(id: string): Promise<void> {
    const s = this.session(id);
    await this.demos.get(id)?.();
    this.demos.delete(id);
    this.replays.cancelFor(id);
    await s.close();
    this.sessions.delete(id);
    this.recent.add(s.store.path);
    this.emit('main:session:closed', { sessionId: id });
  }

  /** Starts the built-in demo traffic, recorded into a new session (or the given one). */
  async startDemo(sessionId?: string, onNote?: (line: string) => void): Promise<SessionHandle> {
    const s = sessionId ? this.session(sessionId) : this.newSession();
    const endpointId = 'demo-ws';
    const recorder = s.registerEndpoint(endpointId, 'ws', 'demo: JSON-RPC, pub-sub and notifications over WebSocket');
    // The demo's servers and clients load only when a demo starts.
    const { startDemo } = await import('../demo/index.ts');
    const demo = await startDemo({
      recorder,
      endpointId,
      register: (id, transport, label, config) => s.registerEndpoint(id, transport, label, config),
      onNote: (line) => {
        log.info(line);
        onNote?.(line);
      },
    });
    this.demos.set(s.id, () => demo.stop());
    return s;
  }

  async shutdown(): Promise<void> {
    this.replays.cancelAll();
    // One session failing to close must not keep the others from being flushed and closed.
    for (const id of [...this.sessions.keys()]) {
      await this.closeSession(id).catch((err: unknown) => log.warn(`closing session ${id} on shutdown failed`, err));
    }
  }

  private buildHandlers(): { [C in RequestChannel]: Handler<C> } {
    return {
      'renderer:app:info': () => ({
        version: this.opts.version,
        transport: this.opts.transport,
        platform: process.platform,
        demo: this.opts.demo ?? false,
        enginePid: process.pid,
      }),
      'renderer:session:list': () => [...this.sessions.values()].map((s) => s.info()),
      'renderer:session:recent': () => this.recent.list(),
      'renderer:session:new': (i) => this.newSession(i.path).info(),
      // A window's open shows the session at once; a large file's page walk runs beside it.
      'renderer:session:open': (i) => this.openSession(i.path, { deferWalk: true }).info(),
      'renderer:session:info': (i) => this.session(i.sessionId).info(),
      'renderer:session:gaps': (i) => this.session(i.sessionId).store.gaps(),
      'renderer:session:save-as': async (i) => {
        const s = this.session(i.sessionId);
        await s.recorder?.settle();
        // Its own file gets the store's own refusal; another open session's file is refused here.
        if (!isFileOrSidecar(i.path, s.store.path)) this.assertNotOpen(path.resolve(i.path));
        await s.store.saveAs(path.resolve(i.path));
        this.recent.add(path.resolve(i.path));
        return s.info();
      },
      'renderer:session:close': async (i) => {
        await this.closeSession(i.sessionId);
        return { closed: true as const };
      },
      'renderer:session:set-notes': (i) => {
        const s = this.session(i.sessionId);
        if (s.store.readonly) throw new ApiError('failed', 'This session file is read-only; Save As to keep notes.');
        s.store.setMeta('notes', i.notes);
        const info = s.info();
        this.emit('main:session:changed', info);
        return info;
      },
      'renderer:session:export': async (i) => {
        const s = this.session(i.sessionId);
        await s.recorder?.settle();
        if (!isFileOrSidecar(i.path, s.store.path)) this.assertNotOpen(path.resolve(i.path));
        const filter = i.filter ?? {};
        const opts = { version: this.opts.version, filter };
        // Decoded lines are written with the Schema Registry's answers, not "pending".
        if (i.format === 'jsonl' && i.decoded) await s.fetchSchemas();
        const count =
          i.format === 'har'
            ? (await exportHar(s.store, i.path, opts)).frames
            : i.format === 'asyncapi'
              ? (await exportAsyncApi(s.store, i.path, opts)).channels
              : await exportJsonl(s.store, i.path, filter, i.decoded ? { decoders: s.decoders.registry } : {});
        return { path: i.path, count };
      },
      'renderer:session:decoders': (i) => this.session(i.sessionId).decoders.settings,
      'renderer:session:set-decoders': (i) => this.session(i.sessionId).setDecoders(i.settings, i.registryAuthorization ?? null),
      'renderer:decoders:subjects': async (i) => ({ subjects: await registrySubjects(i.url) }),
      'renderer:session:import': async (i) => {
        const out = i.out ?? path.join(this.opts.dataDir, `${path.basename(i.path).replace(/\.[^.]*$/, '')}-${Date.now()}${SESSION_EXTENSION}`);
        const meta = { flowscope_version: this.opts.version };
        if (i.format === 'kcat') await importKcat(i.path, out, meta, this.storeOptions());
        else if (i.format === 'har') await importHar(i.path, out, meta, this.storeOptions());
        else await importJsonl(i.path, out, meta, this.storeOptions());
        // The new file is Flowscope's own: the analysis it reads is kept, so the next open is at once.
        return this.openSession(out, { keepAnalysis: true }).info();
      },
      'renderer:endpoint:connect': (i) => this.session(i.sessionId).connect(i.spec),
      'renderer:endpoint:disconnect': async (i) => {
        await this.session(i.sessionId).disconnect(i.endpointId);
        return { disconnected: true as const };
      },
      'renderer:endpoint:list': (i) => this.session(i.sessionId).endpoints(),
      'renderer:demo:start': async (i) => (await this.startDemo(i.sessionId)).info(),
      'renderer:messages:query': (i) => this.session(i.sessionId).query(i),
      'renderer:messages:get': (i) => this.session(i.sessionId).detail(i.seq),
      'renderer:messages:destinations': (i) => this.session(i.sessionId).destinations(i.filter ?? {}),
      'renderer:analysis:summary': async (i) => {
        const s = this.session(i.sessionId);
        if (i.untilTime === undefined) return s.analysisReader().summary();
        await s.recorder?.settle();
        return analysisAt(s.store, this.opts.analysis ?? {}, i.untilTime, (m) => s.decoders.body(m)).summary();
      },
      'renderer:analysis:pairs': (i) =>
        this.session(i.sessionId)
          .analysisReader()
          .pairs({
            offset: i.offset,
            limit: i.limit,
            ...(i.destination !== undefined ? { destination: i.destination } : {}),
            ...(i.status !== undefined ? { status: i.status } : {}),
          }),
      'renderer:analysis:latency': (i) => this.session(i.sessionId).analysisReader().latency(i.destination),
      'renderer:analysis:undelivered': (i) => this.session(i.sessionId).analysisReader().undelivered(),
      'renderer:analysis:topology': (i) => this.session(i.sessionId).analysisReader().topology(),
      'renderer:analysis:timeline': (i) => this.session(i.sessionId).timeline(i.filter ?? {}, i.buckets),
      'renderer:playback:control': (i) => this.session(i.sessionId).playbackControl(i.action, i.time, i.speed),
      'renderer:replay:start': async (i) => {
        const s = this.session(i.sessionId);
        // Everything captured so far is in the replay's snapshot.
        await s.recorder?.settle();
        return { replayId: this.replays.start(s, i) };
      },
      'renderer:replay:plan': async (i) => {
        const s = this.session(i.sessionId);
        await s.recorder?.settle();
        return this.replays.plan(s, i);
      },
      'renderer:replay:cancel': (i) => ({ cancelled: this.replays.cancel(i.replayId) }),
    };
  }
}
