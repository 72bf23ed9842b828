import net from 'node:net';
import type { Socket } from 'node:net';
import type { CaptureSink, Connector } from '../types.ts';
import { NATS_MAX_PENDING_INBOXES } from '../../common/constants.ts';
import { BadInputError, errorText } from '../../common/errors.ts';
import { hideUserinfo } from '../../common/redact.ts';
import { InboxBook, natsRecord } from './record.ts';
import { NatsWireReader, parseNatsHeaders, type WireMessage } from './wire.ts';
import { listenForClients, proxyUrl } from '../proxy-listen.ts';
import { endpointUrl } from '../endpoint-url.ts';

export interface NatsProxyOptions {
  id: string;
  /** Local port to listen on; 0 picks a free one (read `port` after start). */
  listenPort: number;
  /** Defaults to 127.0.0.1: a recording proxy is not something to expose on a network. */
  listenHost?: string;
  /** The real server, nats://host:4222. */
  target: string;
}

/**
 * A recording NATS proxy: clients connect to it instead of the server, every byte is
 * relayed unchanged both ways, and what the bytes say is recorded: each PUB/HPUB a client
 * sends (event publish) and each MSG/HMSG the server hands a client (event deliver).
 *
 * A tap cannot see everything: the server sends a request's 503 "no responders" status
 * only to the requester's own connection, and a tap subscribed to the request's subject is
 * itself a responder, so the server never sends one. Through the proxy both are visible
 * (issue 16). TLS between client and server is not readable and so not supported here.
 */
export class NatsProxyConnector implements Connector {
  readonly transport = 'nats' as const;
  readonly id: string;
  private server: net.Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly inboxes = new InboxBook(NATS_MAX_PENDING_INBOXES);
  private connections = 0;
  private boundPort = 0;
  private readonly host: string;
  private readonly targetHost: string;
  private readonly targetPort: number;
  private readonly where: string;

  constructor(
    private readonly opts: NatsProxyOptions,
    private readonly sink: CaptureSink,
  ) {
    this.id = opts.id;
    this.host = opts.listenHost ?? '127.0.0.1';
    const u = endpointUrl(opts.target, 'NATS target', 'nats://host:4222');
    if (u.protocol !== 'nats:') throw new BadInputError(`NATS proxy target "${hideUserinfo(opts.target)}" must start with nats:// (a TLS session cannot be recorded)`);
    this.targetHost = u.hostname.replace(/^\[(.*)\]$/, '$1');
    this.targetPort = Number(u.port || 4222);
    this.where = `nats://${u.host}`;
  }

  get port(): number {
    return this.boundPort;
  }

  /** Where clients connect instead of the server. */
  get url(): string {
    return proxyUrl('nats', this.host, this.boundPort);
  }

  async start(): Promise<void> {
    const server = net.createServer((client) => this.onClient(client));
    this.boundPort = await listenForClients(server, this.host, this.opts.listenPort, 'NATS proxy', this.sink);
    this.server = server;
    this.sink.status('recording', `listening on ${this.url}, relaying to ${this.where}`);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private onClient(client: Socket): void {
    const connection = `p${++this.connections}`;
    const upstream = net.createConnection({ host: this.targetHost, port: this.targetPort });
    this.sockets.add(client);
    this.sockets.add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const record = (event: 'publish' | 'deliver') => (w: WireMessage) => this.record(connection, w, event);
    const fromClient = new NatsWireReader(record('publish'));
    const fromServer = new NatsWireReader(record('deliver'));
    // Relay first, read after: the recording never holds a byte back.
    client.on('data', (d: Buffer) => {
      if (!upstream.write(d)) client.pause();
      fromClient.push(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (!client.write(d)) upstream.pause();
      fromServer.push(d);
    });
    upstream.on('drain', () => client.resume());
    client.on('drain', () => upstream.resume());
    const end = (): void => {
      this.sockets.delete(client);
      this.sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', () => undefined);
    upstream.on('error', (err) => {
      if (!client.destroyed) this.sink.status('recording', `a client could not be relayed to ${this.where}: ${errorText(err)}`);
    });
  }

  private record(connection: string, w: WireMessage, event: 'publish' | 'deliver'): void {
    const h = w.headers ? parseNatsHeaders(w.headers) : null;
    this.sink.message(
      natsRecord(
        this.id,
        connection,
        { subject: w.subject, reply: w.reply, headers: h && h.values.size ? h.values : null, code: h?.code ?? null, description: h?.description ?? null, data: w.payload },
        this.inboxes,
        event,
      ),
    );
  }
}
