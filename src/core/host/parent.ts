/**
 * The parent's side of the host: starts the engine process, relays the contract's requests
 * to it and its events back, and tells the window when that process dies unexpectedly.
 * It holds no engine state of its own beyond the files of the open sessions, which a crash
 * report names so the user can reopen them.
 *
 * The same class serves both shells: `flowscope serve` spawns a Node child (node-process.ts),
 * the desktop app an Electron utilityProcess (src/main/engine-process.ts).
 */
import {
  ApiError,
  isRequestChannel,
  type EventChannel,
  type Events,
  type InspectorApi,
  type RequestChannel,
  type RequestInput,
  type RequestResult,
} from '../../shared/api.ts';
import { decodeServerMessage, encodeEvent, encodeRequest, type EventEnvelope } from '../../shared/envelope.ts';
import type { EngineOptions } from '../engine/engine.ts';
import { getLogger } from '../common/logger.ts';
import { isControl, type HostPort, type ToEngine } from './protocol.ts';
import { ENGINE_RESTARTS_PER_MINUTE, ENGINE_START_TIMEOUT_MS, ENGINE_STOP_TIMEOUT_MS } from '../common/constants.ts';

const log = getLogger('engine-host');

/** A started engine process, as the parent sees it. */
export interface EngineProcess extends HostPort {
  readonly pid: number | undefined;
  /** Called once, when the process has gone: its exit code, or the signal that ended it. */
  onExit(fn: (code: number | null, signal: string | null) => void): void;
  kill(): void;
}

export interface EngineHostOptions {
  /** Starts one engine process (again after a crash). */
  spawn: () => EngineProcess;
  engine: EngineOptions;
  /** The engine process logs here instead of stderr (the desktop app's log folder). */
  logFile?: string;
}

type Listener = (msg: EventEnvelope) => void;
interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/**
 * Runs an Engine in its own process behind the same surface the in-process Engine offers
 * the transports: `handle` for untrusted requests, `call` for typed ones, `onEvent`.
 */
export class EngineHost implements InspectorApi {
  private proc: EngineProcess | null = null;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<Listener>();
  private nextId = 1;
  private files: string[] = [];
  private crashes: number[] = [];
  private stopping = false;
  private ready: Promise<void> = Promise.resolve();

  private constructor(private readonly opts: EngineHostOptions) {}

  /** Starts the engine process and resolves once it is ready for requests. */
  static async start(opts: EngineHostOptions): Promise<EngineHost> {
    const host = EngineHost.launch(opts);
    await host.whenReady();
    return host;
  }

  /** Starts the engine process without waiting: requests wait for it to be ready. */
  static launch(opts: EngineHostOptions): EngineHost {
    const host = new EngineHost(opts);
    host.launch();
    return host;
  }

  /** Resolves when the current engine process is ready; rejects when it could not start. */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /** The engine process's pid (it changes after a crash and restart). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  onEvent(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  call<C extends RequestChannel>(channel: C, input: RequestInput<C>): Promise<RequestResult<C>> {
    return this.handle(channel, input) as Promise<RequestResult<C>>;
  }

  /** Relays one request; the engine process validates its input. Rejects with an ApiError. */
  async handle(channel: unknown, input: unknown): Promise<unknown> {
    if (!isRequestChannel(channel)) throw new ApiError('bad-request', `Unknown channel ${String(channel).slice(0, 80)}`);
    await this.ready;
    const proc = this.proc;
    if (!proc || this.stopping) throw new ApiError('failed', 'The Flowscope engine is not running.');
    const id = this.nextId++;
    const reply = new Promise<unknown>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    proc.post(encodeRequest(id, channel, input as RequestInput<typeof channel>) satisfies ToEngine);
    return reply;
  }

  /** Asks the engine to flush and close every session, and waits for its process to end. */
  async shutdown(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const proc = this.proc;
    if (!proc) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        log.warn(`engine process ${proc.pid} did not stop within ${ENGINE_STOP_TIMEOUT_MS} ms; ending it`);
        proc.kill();
      }, ENGINE_STOP_TIMEOUT_MS);
      proc.onExit(() => {
        clearTimeout(timer);
        resolve();
      });
      proc.post({ control: 'shutdown' } satisfies ToEngine);
    });
  }

  private emit<E extends EventChannel>(event: E, payload: Events[E]): void {
    const msg = encodeEvent(event, payload);
    for (const l of this.listeners) l(msg);
  }

  private launch(): void {
    const proc = this.opts.spawn();
    this.proc = proc;
    let started = false;
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ApiError('failed', 'The Flowscope engine process did not start.')), ENGINE_START_TIMEOUT_MS);
      proc.onMessage((raw) => {
        if (isControl(raw)) {
          if (raw.control === 'ready') {
            started = true;
            clearTimeout(timer);
            resolve();
          } else if (raw.control === 'failed') {
            clearTimeout(timer);
            reject(new ApiError('failed', `The Flowscope engine could not start: ${String(raw.message)}`));
          } else if (raw.control === 'sessions' && Array.isArray(raw.files)) {
            this.files = raw.files.filter((f): f is string => typeof f === 'string');
          }
          return;
        }
        this.receive(raw);
      });
      proc.onExit((code, signal) => {
        clearTimeout(timer);
        if (!started) reject(new ApiError('failed', `The Flowscope engine process ended as it started (${how(code, signal)}).`));
        this.exited(proc, code, signal, started);
      });
    });
    // A failed start is reported to whoever awaits `ready`; it must not surface as unhandled.
    this.ready.catch(() => undefined);
    proc.post({ control: 'init', options: this.opts.engine, ...(this.opts.logFile ? { logFile: this.opts.logFile } : {}) } satisfies ToEngine);
  }

  private receive(raw: unknown): void {
    const msg = decodeServerMessage(raw);
    if (!msg) return;
    if ('event' in msg) {
      for (const l of this.listeners) l(msg);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new ApiError(msg.error.code, msg.error.message));
  }

  private exited(proc: EngineProcess, code: number | null, signal: string | null, started: boolean): void {
    if (this.proc !== proc) return;
    this.proc = null;
    const lost = new ApiError('failed', `The Flowscope engine process stopped (${how(code, signal)}) before it answered.`);
    for (const p of this.pending.values()) p.reject(lost);
    this.pending.clear();
    // A process that never became ready failed to start: `ready` carries the reason, and
    // starting it again would fail the same way.
    if (this.stopping || !started) return;

    // Unexpected: say so in the window, with the files to reopen, and start a fresh engine
    // unless it keeps dying (then a restart of the app is the honest advice).
    const now = Date.now();
    this.crashes = [...this.crashes.filter((t) => now - t < 60_000), now];
    const restart = this.crashes.length <= ENGINE_RESTARTS_PER_MINUTE;
    const files = this.files;
    this.files = [];
    log.error(`engine process ${proc.pid} stopped unexpectedly (${how(code, signal)}); ${restart ? 'starting a new one' : 'not restarting it'}`);
    if (restart) this.launch();
    this.emit('main:engine:crashed', {
      message:
        `The Flowscope engine process stopped unexpectedly (${how(code, signal)}). ` +
        (files.length ? 'The session files keep everything recorded up to its last save (at most a tenth of a second before). ' : '') +
        (restart ? (files.length ? 'A new engine is running: reopen the sessions to go on.' : 'A new engine is running.') : 'It stopped repeatedly; restart Flowscope, and see its log file for the reason.'),
      files,
      restarted: restart,
    });
  }
}

function how(code: number | null, signal: string | null): string {
  return signal ? `ended by ${signal}` : `exit code ${code ?? 'unknown'}`;
}
