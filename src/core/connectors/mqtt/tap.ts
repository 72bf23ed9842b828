import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import type { ISubscriptionMap, MqttClient, Packet } from 'mqtt';
import type { CaptureSink, Connector } from '../types.ts';
import { Backoff } from '../../common/backoff.ts';
import { MQTT_RECONNECT } from '../../common/constants.ts';
import { BadInputError, type FlowscopeError } from '../../common/errors.ts';
import { hideUserinfo, maskPassword, passwordOf } from '../../common/redact.ts';
import { mqttError, subscribeRefused } from './errors.ts';
import { mqttMessage } from './record.ts';
import { TapReconnect } from '../reconnect.ts';
import { endpointUrl } from '../endpoint-url.ts';

export interface MqttTapOptions {
  id: string;
  /** mqtt://, mqtts://, ws:// or wss:// (user and password in the URL are used, never shown). */
  url: string;
  /** Topic filters, `#` and `+` allowed. */
  topics: string[];
  /** 5 (default) or 4 (MQTT 3.1.1). */
  protocolVersion?: 4 | 5;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * An MQTT subscriber that records every PUBLISH the broker forwards for its filters. It
 * subscribes at QoS 2 so each message arrives with the QoS it was published with, and
 * (MQTT 5) with retain-as-published, so the retain flag is the publisher's. It sees what
 * reached the broker's topics, not which clients published or subscribed: that needs a
 * recording proxy. Reconnects itself with backoff (mqtt.js's own reconnect is off so that
 * status and delays follow the other connectors).
 */
export class MqttTapConnector implements Connector {
  readonly transport = 'mqtt' as const;
  readonly id: string;
  private client: MqttClient | null = null;
  private stopped = true;
  private readonly backoff: Backoff;
  private readonly reconnect: TapReconnect;
  private connections = 0;
  private readonly where: string;
  private readonly password: string | null;
  private readonly version: 4 | 5;

  constructor(
    private readonly opts: MqttTapOptions,
    private readonly sink: CaptureSink,
  ) {
    this.id = opts.id;
    const u = endpointUrl(opts.url, 'MQTT URL', 'mqtt://host:1883');
    if (!/^(mqtts?|wss?):$/.test(u.protocol)) throw new BadInputError(`MQTT URL "${hideUserinfo(opts.url)}" must start with mqtt://, mqtts://, ws:// or wss://`);
    if (opts.topics.length === 0) throw new BadInputError('an MQTT tap needs at least one topic filter (e.g. # for every topic)');
    this.where = maskPassword(opts.url);
    this.password = passwordOf(opts.url);
    this.version = opts.protocolVersion ?? 5;
    this.backoff = new Backoff({ initialMs: opts.minBackoffMs ?? MQTT_RECONNECT.initialMs, maxMs: opts.maxBackoffMs ?? MQTT_RECONNECT.maxMs });
    // A clean session: the broker keeps nothing for the tap while it is away.
    this.reconnect = new TapReconnect(this.backoff, sink, 'messages published to its filters');
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.backoff.reset();
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.reconnect.cancel();
    this.reconnect.recovered();
    const client = this.client;
    this.client = null;
    if (client) await client.endAsync(true).catch(() => undefined);
  }

  private connect(): void {
    if (this.stopped) return;
    const connection = `c${++this.connections}`;
    if (this.backoff.attempts === 0) this.sink.status('connecting', `connecting to ${this.where}`);
    const client = mqtt.connect(this.opts.url, {
      protocolVersion: this.version,
      clientId: `flowscope-${randomBytes(6).toString('hex')}`,
      clean: true,
      reconnectPeriod: 0,
      resubscribe: false,
      connectTimeout: 10_000,
    });
    this.client = client;
    let subscribed = false;
    let failure: FlowscopeError | null = null;

    client.on('connect', () => {
      const filters: ISubscriptionMap = {};
      for (const t of this.opts.topics) filters[t] = this.version === 5 ? { qos: 2, rap: true } : { qos: 2 };
      client.subscribe(
        filters,
        undefined,
        (err, granted) => {
          if (this.client !== client) return;
          const refused = granted?.find((g) => g.qos >= 0x80);
          if (err || refused) {
            failure = err ? mqttError(err, this.where, this.password) : subscribeRefused(refused!.topic, refused!.qos);
            this.sink.status('failed', failure.message);
            this.stopped = true;
            client.end(true);
            return;
          }
          subscribed = true;
          this.backoff.reset();
          this.reconnect.recovered();
          this.sink.status('recording', `subscribed to ${this.opts.topics.join(', ')} on ${this.where} (MQTT ${this.version === 5 ? '5' : '3.1.1'})`);
        },
      );
    });
    // Recorded when the PUBLISH arrives, in the broker's order: mqtt.js emits 'message' for
    // QoS 2 only after PUBREL, so a later QoS 0 message would overtake it. With a clean
    // session and no topic aliases asked for, every PUBLISH arrives once, with its topic.
    client.on('packetreceive', (packet: Packet) => {
      if (packet.cmd === 'publish') this.sink.message(mqttMessage(this.id, connection, packet, this.version));
    });
    client.on('error', (err) => {
      failure = mqttError(err, this.where, this.password);
    });
    client.on('close', () => {
      if (this.client !== client) return;
      this.client = null;
      client.end(true);
      if (this.stopped) return;
      if (failure && !failure.retriable && !subscribed) {
        this.stopped = true;
        this.sink.status('failed', failure.message);
        return;
      }
      const why = failure?.message ?? (subscribed ? 'the broker closed the connection' : null);
      if (subscribed) this.reconnect.lost(why ?? 'disconnected');
      this.scheduleReconnect(why);
    });
  }

  private scheduleReconnect(why: string | null): void {
    if (!this.stopped) this.reconnect.schedule(why ?? 'disconnected', () => this.connect());
  }
}
