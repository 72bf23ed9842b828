import http from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { CaptureSink, Connector } from '../types.ts';
import type { CapturedMessage, JsonValue } from '../../../shared/model.ts';
import { WS_HANDSHAKE_TIMEOUT_MS, WS_MAX_PAYLOAD } from '../../common/constants.ts';
import { errorText } from '../../common/errors.ts';
import { hideUserinfo } from '../../common/redact.ts';
import { closeReason, forwardHeaders, offeredProtocols, targetFor, wsMessage } from './common.ts';
import { Link } from './link.ts';
import { listenForClients, proxyUrl } from '../proxy-listen.ts';

export interface WsProxyOptions {
  id: string;
  /** Local port to listen on; 0 picks a free one (read `port` after start). */
  listenPort: number;
  /** Defaults to 127.0.0.1: a recording proxy is not something to expose on a network. */
  listenHost?: string;
  /** The real server, `ws://…` or `wss://…`; the client's path and query are appended. */
  target: string;
  /** Largest message accepted on either leg, in bytes. */
  maxPayload?: number;
  /** How long the target may take to accept a connection before the client is told it failed. */
  connectTimeoutMs?: number;
}

/**
 * A recording WebSocket proxy: clients connect to it instead of the server, and every
 * frame in both directions is relayed unchanged and recorded.
 *
 * The target connection is opened before the client's handshake is answered, so the
 * client sees the subprotocol the server chose (and the server's HTTP refusal, such as a
 * 401, verbatim). UTF-8 validation is off on both legs: a recorder has to show what was on
 * the wire, and the receiving endpoint still validates and rejects (1007) as it would
 * without the proxy, which the client then sees through the mirrored close.
 */
export class WsProxyConnector implements Connector {
  readonly transport = 'ws' as const;
  readonly id: string;
  private server: http.Server | null = null;
  private wss: WebSocketServer | null = null;
  private readonly links = new Set<Link>();
  private readonly handshakes = new Set<WebSocket>();
  private readonly chosenProtocol = new WeakMap<IncomingMessage, string>();
  private connections = 0;
  private boundPort = 0;
  private stopping = false;
  private held = false;
  private readonly host: string;
  private readonly maxPayload: number;

  constructor(
    private readonly opts: WsProxyOptions,
    private readonly sink: CaptureSink,
  ) {
    this.id = opts.id;
    this.host = opts.listenHost ?? '127.0.0.1';
    this.maxPayload = opts.maxPayload ?? WS_MAX_PAYLOAD;
    let protocol: string;
    try {
      protocol = new URL(opts.target).protocol;
    } catch {
      throw new Error(`WebSocket target "${hideUserinfo(opts.target)}" is not a URL; expected ws://host:port/path or wss://…`);
    }
    if (protocol !== 'ws:' && protocol !== 'wss:') {
      throw new Error(`WebSocket target "${hideUserinfo(opts.target)}" must start with ws:// or wss://`);
    }
  }

  /** The bound port (meaningful after start). */
  get port(): number {
    return this.boundPort;
  }

  /** Where clients connect instead of the target. */
  get url(): string {
    return proxyUrl('ws', this.host, this.boundPort);
  }

  async start(): Promise<void> {
    this.stopping = false;
    const target = hideUserinfo(this.opts.target);
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.maxPayload,
      skipUTF8Validation: true,
      perMessageDeflate: false,
      autoPong: false,
      clientTracking: false,
      handleProtocols: (_offered, req) => this.chosenProtocol.get(req) ?? false,
    });
    const server = http.createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', upgrade: 'websocket' });
      res.end(`Flowscope WebSocket proxy to ${target}: connect with a WebSocket client.\n`);
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    this.boundPort = await listenForClients(server, this.host, this.opts.listenPort, 'WebSocket proxy', this.sink);
    this.server = server;
    this.sink.status('recording', `listening on ${this.url}, relaying to ${target}`);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const ws of this.handshakes) ws.terminate();
    this.handshakes.clear();
    await Promise.all([...this.links].map((l) => l.shutdown()));
    const server = this.server;
    this.server = null;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    this.wss?.close();
    this.wss = null;
  }

  /**
   * Stops reading every connection (and each new one) until `releaseReading`: used when what
   * the proxy captured waits to be recorded, so memory stays bounded and nothing is dropped.
   */
  holdReading(): void {
    this.held = true;
    for (const l of this.links) l.hold();
  }

  releaseReading(): void {
    this.held = false;
    for (const l of this.links) l.release();
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Until ws owns the socket, a reset from the client must not crash the process.
    socket.on('error', () => undefined);
    if (this.stopping || !this.wss) {
      socket.destroy();
      return;
    }
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket' || !req.headers['sec-websocket-key']) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const connection = `c${++this.connections}`;
    const { url, path } = targetFor(this.opts.target, req.url ?? '/');
    const fwd = forwardHeaders(req.headers, req.rawHeaders);
    const offered = offeredProtocols(req.headers['sec-websocket-protocol']);
    const client = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    const record = (m: CapturedMessage): void => this.sink.message(m);
    const fact = (event: CapturedMessage['event'], meta: Record<string, JsonValue>): void =>
      record(wsMessage(this.id, event, path, connection, null, meta));
    const target = hideUserinfo(url);

    const upstream = new WebSocket(url, offered, {
      headers: fwd.headers,
      maxPayload: this.maxPayload,
      skipUTF8Validation: true,
      perMessageDeflate: false,
      autoPong: false,
      followRedirects: false,
      handshakeTimeout: this.opts.connectTimeoutMs ?? WS_HANDSHAKE_TIMEOUT_MS,
    });
    this.handshakes.add(upstream);
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      this.handshakes.delete(upstream);
      return true;
    };
    socket.once('close', () => {
      if (settle()) upstream.terminate();
    });

    upstream.on('error', (err) => {
      if (!settle()) return;
      if (this.stopping) {
        socket.destroy();
        return;
      }
      const message = `cannot reach ${target}: ${errorText(err)}`;
      fact('error', { message, target, client });
      this.sink.status('failed', `last connection failed: ${message}`);
      this.refuse(req, socket, head, offered, `Flowscope proxy: ${message}`);
    });

    upstream.once('unexpected-response', (upReq, res) => {
      if (!settle()) return;
      const message = `${target} refused the WebSocket handshake: HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trim();
      fact('error', { message, target, client, status: res.statusCode ?? 0 });
      this.sink.status('failed', `last connection failed: ${message}`);
      relayRefusal(res, socket, () => upReq.destroy());
    });

    upstream.once('open', () => {
      if (!settle()) return;
      const wss = this.wss;
      if (!wss || socket.destroyed) {
        upstream.terminate();
        return;
      }
      if (upstream.protocol) this.chosenProtocol.set(req, upstream.protocol);
      let accepted = false;
      wss.handleUpgrade(req, socket, head, (ws) => {
        accepted = true;
        fact('open', {
          client,
          target,
          subprotocol: upstream.protocol || null,
          forwardedHeaders: fwd.names,
        });
        const link = new Link({ endpoint: this.id, connection, path }, ws, upstream, record);
        this.links.add(link);
        if (this.held) link.hold();
        void link.closed.then(() => this.links.delete(link));
        this.sink.status('recording', `listening on ${this.url}, relaying to ${hideUserinfo(this.opts.target)}`);
      });
      // ws answered the handshake with a 400 (malformed request): nothing to relay to.
      if (!accepted) upstream.terminate();
    });
  }

  /**
   * The target could not be reached: complete the client's handshake and close at once with
   * 1014 (bad gateway), so the client gets a reason instead of a bare TCP reset. The first
   * offered subprotocol is echoed because browsers fail a handshake that drops it.
   */
  private refuse(req: IncomingMessage, socket: Duplex, head: Buffer, offered: string[], reason: string): void {
    const wss = this.wss;
    if (!wss || socket.destroyed) {
      socket.destroy();
      return;
    }
    if (offered[0]) this.chosenProtocol.set(req, offered[0]);
    wss.handleUpgrade(req, socket, head, (ws) => {
      // The refusal is already recorded; a client that resets meanwhile changes nothing.
      ws.on('error', () => undefined);
      ws.close(1014, closeReason(reason));
      setTimeout(() => ws.terminate(), 2000).unref();
    });
  }
}

/** Passes the target's HTTP refusal (status, type, body up to 64 KiB) to the client unchanged. */
function relayRefusal(res: IncomingMessage, socket: Duplex, done: () => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (c: Buffer) => {
    if (size < 65_536) chunks.push(c);
    size += c.length;
  });
  // Without a listener, a target that drops its refusal half-way would crash the process.
  res.on('error', () => undefined);
  res.once('end', () => {
    const body = Buffer.concat(chunks).subarray(0, 65_536);
    const keep = ['content-type', 'www-authenticate', 'retry-after', 'location'];
    const headers = keep.flatMap((h) => {
      const v = res.headers[h];
      return v === undefined ? [] : [`${h}: ${Array.isArray(v) ? v.join(', ') : v}`];
    });
    socket.end(
      Buffer.concat([
        Buffer.from(
          [`HTTP/1.1 ${res.statusCode ?? 502} ${res.statusMessage ?? ''}`, ...headers, `content-length: ${body.length}`, 'connection: close', '', ''].join('\r\n'),
        ),
        body,
      ]),
    );
    done();
  });
}
