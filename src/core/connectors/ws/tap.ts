import { WebSocket } from 'ws';
import type { RawData } from 'ws';
import type { CaptureSink, Connector } from '../types.ts';
import type { CapturedMessage, JsonValue } from '../../../shared/model.ts';
import { Backoff } from '../../common/backoff.ts';
import { WS_CLOSE_GRACE_MS, WS_HANDSHAKE_TIMEOUT_MS, WS_MAX_PAYLOAD, WS_RECONNECT } from '../../common/constants.ts';
import { errorText } from '../../common/errors.ts';
import { hideUserinfo } from '../../common/redact.ts';
import { closeReason, wsMessage } from './common.ts';
import { TapReconnect } from '../reconnect.ts';

/** A message the tap sends after each (re)connect, e.g. a subscription request. */
export type TapMessage = string | { data: string; binary?: boolean } | { base64: string };

export interface WsTapOptions {
  id: string;
  url: string;
  /** Handshake headers (Authorization, Cookie…). Sent, never recorded. */
  headers?: Record<string, string>;
  protocols?: string[];
  /** Sent after every open, in order, and recorded as frame-out. */
  send?: TapMessage[];
  /** First reconnect delay; doubles per failed attempt up to maxBackoffMs. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  maxPayload?: number;
  handshakeTimeoutMs?: number;
}

/**
 * A plain client tap: connects to a WebSocket URL, records what the server sends plus
 * open/close/error, and reconnects with exponential backoff until stopped. It sees the
 * stream as one more subscriber would, so it records nothing other clients send.
 */
export class WsTapConnector implements Connector {
  readonly transport = 'ws' as const;
  readonly id: string;
  private ws: WebSocket | null = null;
  private stopped = true;
  private readonly backoff: Backoff;
  private connections = 0;
  private readonly reconnect: TapReconnect;
  private readonly path: string;
  private readonly target: string;
  private readonly initial: { bytes: Buffer; binary: boolean }[];

  constructor(
    private readonly opts: WsTapOptions,
    private readonly sink: CaptureSink,
  ) {
    this.id = opts.id;
    let u: URL;
    try {
      u = new URL(opts.url);
    } catch {
      throw new Error(`WebSocket URL "${hideUserinfo(opts.url)}" is not a URL; expected ws://host:port/path or wss://…`);
    }
    if (u.protocol !== 'ws:' && u.protocol !== 'wss:') {
      throw new Error(`WebSocket URL "${hideUserinfo(opts.url)}" must start with ws:// or wss://`);
    }
    this.path = u.pathname;
    this.target = hideUserinfo(opts.url);
    this.initial = (opts.send ?? []).map(toFrame);
    this.backoff = new Backoff({
      initialMs: opts.minBackoffMs ?? WS_RECONNECT.initialMs,
      maxMs: opts.maxBackoffMs ?? WS_RECONNECT.maxMs,
    });
    this.reconnect = new TapReconnect(this.backoff, sink, 'frames the server sent');
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.backoff.reset();
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.reconnect.cancel();
    // Stopped while still away: the gap runs until now.
    this.reconnect.recovered();
    const ws = this.ws;
    this.ws = null;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    else ws.close(1000, 'Flowscope tap stopped');
    const cut = setTimeout(() => ws.terminate(), WS_CLOSE_GRACE_MS);
    await closed;
    clearTimeout(cut);
  }

  private connect(): void {
    if (this.stopped) return;
    const connection = `c${++this.connections}`;
    const fact = (event: CapturedMessage['event'], payload: Uint8Array | null, meta: Record<string, JsonValue>): void =>
      this.sink.message(wsMessage(this.id, event, this.path, connection, payload, meta));
    // Retries keep the 'reconnecting' status set by scheduleReconnect.
    if (this.backoff.attempts === 0) this.sink.status('connecting', `connecting to ${this.target}`);

    const ws = new WebSocket(this.opts.url, this.opts.protocols ?? [], {
      headers: this.opts.headers ?? {},
      maxPayload: this.opts.maxPayload ?? WS_MAX_PAYLOAD,
      // Record the bytes as sent: a server emitting invalid UTF-8 is exactly what to show.
      skipUTF8Validation: true,
      handshakeTimeout: this.opts.handshakeTimeoutMs ?? WS_HANDSHAKE_TIMEOUT_MS,
    });
    this.ws = ws;
    let opened = false;
    let lastError: string | null = null;

    ws.on('unexpected-response', (req, res) => {
      lastError = `server refused the WebSocket handshake: HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trim();
      res.resume();
      req.destroy();
    });
    ws.on('open', () => {
      opened = true;
      this.backoff.reset();
      fact('open', null, { target: this.target, subprotocol: ws.protocol || null });
      this.reconnect.recovered();
      this.sink.status('recording', `connected to ${this.target}`);
      for (const m of this.initial) {
        fact('frame-out', m.bytes, { opcode: m.binary ? 'binary' : 'text' });
        ws.send(m.bytes, { binary: m.binary });
      }
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      fact('frame-in', data as Buffer, { opcode: isBinary ? 'binary' : 'text' });
    });
    ws.on('error', (err) => {
      lastError ??= errorText(err);
      if (opened) fact('error', null, { message: errorText(err) });
    });
    ws.on('close', (code: number, reason: Buffer) => {
      if (this.ws === ws) this.ws = null;
      if (opened) {
        const by = this.stopped ? 'client' : 'server';
        fact('close', null, { code, reason: closeReason(reason.toString('utf8')), by });
        if (!this.stopped) this.reconnect.lost(`connection closed (${code})`);
      } else if (!this.stopped) {
        fact('error', null, { message: `cannot connect to ${this.target}: ${lastError ?? `closed with ${code}`}` });
      }
      this.scheduleReconnect(opened ? `connection closed (${code}${reason.length ? ` ${reason.toString('utf8')}` : ''})` : lastError);
    });
  }

  private scheduleReconnect(why: string | null): void {
    if (!this.stopped) this.reconnect.schedule(why ?? 'disconnected', () => this.connect());
  }
}

function toFrame(m: TapMessage): { bytes: Buffer; binary: boolean } {
  if (typeof m === 'string') return { bytes: Buffer.from(m, 'utf8'), binary: false };
  if ('base64' in m) return { bytes: Buffer.from(m.base64, 'base64'), binary: true };
  return { bytes: Buffer.from(m.data, 'utf8'), binary: m.binary ?? false };
}
