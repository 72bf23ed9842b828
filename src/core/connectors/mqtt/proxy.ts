import net from 'node:net';
import type { CaptureSink, Connector } from '../types.ts';
import { BadInputError } from '../../common/errors.ts';
import { hideUserinfo } from '../../common/redact.ts';
import { mqttError } from './errors.ts';
import { MqttLink } from './proxy-link.ts';
import { listenForClients, proxyUrl } from '../proxy-listen.ts';
import { endpointUrl } from '../endpoint-url.ts';

/** Mosquitto's own default limit is 256 MiB; a recorder holds each packet whole, so less. */
const MAX_PACKET = 64 * 1024 * 1024;

export interface MqttProxyOptions {
  id: string;
  /** Local port to listen on; 0 picks a free one (read `port` after start). */
  listenPort: number;
  /** Defaults to 127.0.0.1: a recording proxy is not something to expose on a network. */
  listenHost?: string;
  /** The real broker, mqtt://host:port or mqtts://host:port. Clients bring their own credentials. */
  target: string;
  maxPacket?: number;
  connectTimeoutMs?: number;
}

/**
 * A recording MQTT proxy: clients connect to it instead of the broker (MQTT 3.1.1 or 5 over
 * TCP), and every packet in both directions is relayed unchanged. Unlike a tap, it sees who
 * publishes (the client id of each connection), who subscribes to what, the broker's
 * acknowledgements with their reason codes (MQTT 5 "No matching subscribers") and each
 * QoS 1/2 handshake. Each client connection gets its own broker connection, opened as the
 * client connects, so the broker sees the client's CONNECT, credentials and will as sent.
 */
export class MqttProxyConnector implements Connector {
  readonly transport = 'mqtt' as const;
  readonly id: string;
  private server: net.Server | null = null;
  private readonly links = new Set<MqttLink>();
  private readonly sockets = new Set<net.Socket>();
  private connections = 0;
  private boundPort = 0;
  private readonly host: string;
  private readonly brokerHost: string;
  private readonly brokerPort: number;
  private readonly secure: boolean;
  private readonly broker: string;
  /** The last status said a connection failed: the next accepted one says recording again. */
  private failing = false;
  private held = false;

  constructor(
    private readonly opts: MqttProxyOptions,
    private readonly sink: CaptureSink,
  ) {
    this.id = opts.id;
    this.host = opts.listenHost ?? '127.0.0.1';
    const u = endpointUrl(opts.target, 'MQTT broker', 'mqtt://host:1883');
    if (u.protocol !== 'mqtt:' && u.protocol !== 'mqtts:') throw new BadInputError(`MQTT broker "${hideUserinfo(opts.target)}" must start with mqtt:// or mqtts://`);
    this.secure = u.protocol === 'mqtts:';
    this.brokerHost = u.hostname.replace(/^\[|\]$/g, '');
    this.brokerPort = Number(u.port || (this.secure ? 8883 : 1883));
    this.broker = `${u.hostname}:${this.brokerPort}`;
  }

  get port(): number {
    return this.boundPort;
  }

  /** Where clients connect instead of the broker. */
  get url(): string {
    return proxyUrl('mqtt', this.host, this.boundPort);
  }

  private get listening(): string {
    return `listening on ${this.url}, relaying to ${this.broker}`;
  }

  async start(): Promise<void> {
    const server = net.createServer((socket) => this.onClient(socket));
    this.boundPort = await listenForClients(server, this.host, this.opts.listenPort, 'MQTT proxy', this.sink);
    this.server = server;
    // Told at once when the broker does not answer, rather than at the first client's CONNACK.
    const probe = await this.probe();
    this.failing = probe !== null;
    if (probe) this.sink.status('failed', `${this.listening}, but ${probe}`);
    else this.sink.status('recording', this.listening);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    await Promise.all([...this.links].map((l) => l.shutdown()));
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
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

  /** Null when the broker accepts a TCP connection, else why not. */
  private probe(): Promise<string | null> {
    return new Promise((resolve) => {
      const s = net.connect({ host: this.brokerHost, port: this.brokerPort });
      const done = (why: string | null): void => {
        s.destroy();
        resolve(why);
      };
      s.setTimeout(this.opts.connectTimeoutMs ?? 5000, () => done(`no answer from ${this.broker} (timed out)`));
      s.once('connect', () => done(null));
      s.once('error', (err) => done(mqttError(err, this.broker, null).message));
    });
  }

  private onClient(socket: net.Socket): void {
    if (!this.server) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    const link = new MqttLink(
      {
        endpoint: this.id,
        link: `c${++this.connections}`,
        host: this.brokerHost,
        port: this.brokerPort,
        secure: this.secure,
        broker: this.broker,
        maxPacket: this.opts.maxPacket ?? MAX_PACKET,
        connectTimeoutMs: this.opts.connectTimeoutMs ?? 10_000,
        record: (m) => this.sink.message(m),
        unreachable: (message) => {
          this.failing = true;
          this.sink.status('failed', `${this.listening}; the last connection failed: ${message}`);
        },
        connected: () => {
          if (!this.failing) return;
          this.failing = false;
          this.sink.status('recording', this.listening);
        },
      },
      socket,
    );
    this.links.add(link);
    if (this.held) link.hold();
    void link.closed.then(() => this.links.delete(link));
  }
}
