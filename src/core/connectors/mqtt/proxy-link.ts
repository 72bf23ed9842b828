import net from 'node:net';
import tls from 'node:tls';
import { generate, parser } from 'mqtt-packet';
import type { IConnectPacket, IDisconnectPacket, ISubscription, Packet, Parser } from 'mqtt-packet';
import type { CapturedMessage, JsonValue } from '../../../shared/model.ts';
import { errorText } from '../../common/errors.ts';
import { mqttError } from './errors.ts';
import { PacketFramer } from './frames.ts';
import { proxyFact, proxyPublish, reasonName, type LinkIdentity } from './proxy-record.ts';

export interface LinkOptions {
  endpoint: string;
  /** The proxy's number for this TCP connection. */
  link: string;
  host: string;
  port: number;
  secure: boolean;
  /** host:port as shown. */
  broker: string;
  maxPacket: number;
  connectTimeoutMs: number;
  record: (m: CapturedMessage) => void;
  /** The broker could not be reached for this connection (the proxy reports it as its status). */
  unreachable: (message: string) => void;
  /** The broker accepted this connection. */
  connected: () => void;
}

type Side = 'client' | 'broker';

const CLOSE_GRACE_MS = 3000;
const CONNECT_WAIT_MS = 10_000;

/**
 * One client's connection through the proxy, and the proxy's own connection to the broker
 * for it. Every packet is framed and parsed (mqtt-packet) before its exact bytes are
 * relayed, so what is recorded is what crossed, and a malformed packet is refused whole:
 * that client alone is disconnected, with the reason. PUBLISH packets are recorded both
 * ways (client → broker `publish`, broker → subscriber `deliver`); CONNECT/close, SUBACK'd
 * subscriptions and every acknowledgement with its reason code are recorded as facts.
 */
export class MqttLink {
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;
  private readonly upstream: net.Socket;
  private upstreamOpen = false;
  private queued: Buffer[] = [];
  private readonly clientFramer: PacketFramer;
  private readonly brokerFramer: PacketFramer;
  private readonly clientParser: Parser;
  private brokerParser: Parser | null = null;
  private parsed: Packet | null = null;
  private parseError: string | null = null;
  private connect: IConnectPacket | null = null;
  private readonly id: LinkIdentity;
  private readonly aliases = { client: new Map<number, string>(), broker: new Map<number, string>() };
  /** Topic of each QoS 1/2 publish in flight: `client:<id>` from the client, `broker:<id>` to it. */
  private readonly inflight = new Map<string, string>();
  private readonly subscribing = new Map<number, { subs: ISubscription[]; subscriptionIdentifier?: number }>();
  private readonly unsubscribing = new Map<number, string[]>();
  private disconnect: { from: Side; packet: IDisconnectPacket } | null = null;
  private unreachableMessage: string | null = null;
  private closeBy: Side | 'proxy' | null = null;
  private closeReason = '';
  private closeRecorded = false;
  private recordedAny = false;
  private legsClosed = 0;
  private graceTimer: NodeJS.Timeout | null = null;
  /** Reading held by the recorder falling behind (see `hold`), apart from each leg's own backpressure. */
  private held = false;
  /** Legs whose reading waits for the other leg's socket to drain. */
  private readonly draining = new Set<net.Socket>();

  constructor(
    private readonly opts: LinkOptions,
    private readonly client: net.Socket,
  ) {
    this.closed = new Promise((r) => (this.resolveClosed = r));
    this.id = { endpoint: opts.endpoint, link: opts.link, clientId: opts.link, broker: opts.broker, version: 4 };
    this.clientFramer = new PacketFramer(opts.maxPacket);
    this.brokerFramer = new PacketFramer(opts.maxPacket);
    this.clientParser = this.listen(parser());
    client.setNoDelay(true);
    this.upstream = opts.secure
      ? tls.connect({ host: opts.host, port: opts.port, servername: net.isIP(opts.host) ? undefined : opts.host })
      : net.connect({ host: opts.host, port: opts.port });
    this.upstream.setNoDelay(true);
    const timer = setTimeout(() => this.upstream.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })), opts.connectTimeoutMs);
    this.upstream.once(opts.secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      this.upstreamOpen = true;
      for (const b of this.queued) this.upstream.write(b);
      this.queued = [];
    });
    this.upstream.on('error', (err) => {
      clearTimeout(timer);
      if (!this.upstreamOpen) this.onUnreachable(err);
      else this.closeReason ||= `the broker connection failed: ${errorText(err)}`;
    });
    this.upstream.on('data', (d: Buffer) => this.fromBroker(d));
    this.upstream.on('close', () => this.legClosed('broker'));
    client.on('data', (d: Buffer) => this.fromClient(d));
    client.on('error', (err) => {
      this.closeReason ||= `the client connection failed: ${errorText(err)}`;
    });
    client.on('close', () => this.legClosed('client'));
  }

  /**
   * Stops reading both legs until `release`: the recorder is behind, so packets wait in the
   * peers' TCP buffers rather than in the proxy's memory.
   */
  hold(): void {
    this.held = true;
    this.client.pause();
    this.upstream.pause();
  }

  release(): void {
    this.held = false;
    for (const s of [this.client, this.upstream]) if (!this.draining.has(s)) s.resume();
  }

  /** Ends both legs as the proxy stopping. */
  shutdown(reason = 'Flowscope proxy stopped'): Promise<void> {
    // Reading resumes so each leg sees its close.
    this.release();
    this.end('proxy', reason);
    return this.closed;
  }

  private listen(p: Parser): Parser {
    p.on('packet', (packet: Packet) => (this.parsed = packet));
    p.on('error', (err: Error) => (this.parseError = err.message));
    return p;
  }

  /** Parses one framed packet; the packet, or why it is malformed. */
  private parse(p: Parser, frame: Buffer): Packet | string {
    this.parsed = null;
    this.parseError = null;
    p.parse(frame);
    if (this.parseError !== null) return this.parseError;
    return this.parsed ?? 'the packet is shorter than its Remaining Length says';
  }

  private fromClient(data: Buffer): void {
    const { packets, error } = this.clientFramer.push(data);
    for (const frame of packets) {
      if (this.closeBy) return;
      const p = this.parse(this.clientParser, frame);
      if (typeof p === 'string') return this.malformed('client', p);
      if (!this.connect && p.cmd !== 'connect') return this.malformed('client', `the first packet must be CONNECT, not ${p.cmd.toUpperCase()}`);
      if (this.connect && p.cmd === 'connect') return this.malformed('client', 'a second CONNECT on one connection');
      this.onClientPacket(p);
      if (this.unreachableMessage !== null) return;
      this.relay(frame, this.upstream, this.client);
    }
    if (error && !this.closeBy) this.malformed('client', error);
  }

  private fromBroker(data: Buffer): void {
    const { packets, error } = this.brokerFramer.push(data);
    for (const frame of packets) {
      if (this.closeBy) return;
      this.brokerParser ??= this.listen(parser({ protocolVersion: this.id.version }));
      const p = this.parse(this.brokerParser, frame);
      if (typeof p === 'string') return this.malformed('broker', p);
      this.onBrokerPacket(p);
      this.relay(frame, this.client, this.upstream);
    }
    if (error && !this.closeBy) this.malformed('broker', error);
  }

  /** Writes the exact bytes on; past the socket's buffer the source stops being read until it drains. */
  private relay(frame: Buffer, to: net.Socket, from: net.Socket): void {
    if (to === this.upstream && !this.upstreamOpen) {
      this.queued.push(frame);
      return;
    }
    if (!to.write(frame) && !this.draining.has(from)) {
      this.draining.add(from);
      from.pause();
      const resume = (): void => {
        to.off('drain', resume);
        to.off('close', resume);
        this.draining.delete(from);
        if (!this.held) from.resume();
      };
      to.on('drain', resume);
      to.on('close', resume);
    }
  }

  private record(m: CapturedMessage): void {
    this.recordedAny = true;
    this.opts.record(m);
  }

  private fact(event: CapturedMessage['event'], destination: string | null, meta: Record<string, JsonValue>): void {
    this.record(proxyFact(this.id, event, destination, meta));
  }

  private onClientPacket(p: Packet): void {
    switch (p.cmd) {
      case 'connect': {
        this.connect = p;
        this.id.version = p.protocolVersion === 5 ? 5 : 4;
        if (p.clientId) this.id.clientId = p.clientId;
        const meta: Record<string, JsonValue> = {
          clientId: p.clientId,
          client: `${this.client.remoteAddress ?? '?'}:${this.client.remotePort ?? '?'}`,
          target: this.opts.broker,
          clean: p.clean !== false,
          keepalive: p.keepalive ?? 0,
        };
        if (p.properties?.sessionExpiryInterval !== undefined) meta.sessionExpiryInterval = p.properties.sessionExpiryInterval;
        if (p.username !== undefined) meta.username = p.username;
        if (p.will) meta.will = p.will.topic;
        this.fact('open', null, meta);
        if (this.unreachableMessage !== null) this.refuse();
        break;
      }
      case 'publish': {
        const topic = this.resolveAlias('client', p.topic, p.properties?.topicAlias);
        this.record(proxyPublish(this.id, 'publish', p, topic));
        if (p.qos > 0 && p.messageId !== undefined) this.inflight.set(`client:${p.messageId}`, topic);
        break;
      }
      case 'puback':
      case 'pubrec':
      case 'pubrel':
      case 'pubcomp':
        this.ack('client', p.cmd, p.messageId, p.reasonCode, p.properties?.reasonString);
        break;
      case 'subscribe':
        if (p.messageId !== undefined) {
          this.subscribing.set(p.messageId, {
            subs: p.subscriptions,
            ...(p.properties?.subscriptionIdentifier !== undefined ? { subscriptionIdentifier: p.properties.subscriptionIdentifier } : {}),
          });
        }
        break;
      case 'unsubscribe':
        if (p.messageId !== undefined) this.unsubscribing.set(p.messageId, p.unsubscriptions);
        break;
      case 'disconnect':
        this.disconnect = { from: 'client', packet: p };
        break;
      default:
        break;
    }
  }

  private onBrokerPacket(p: Packet): void {
    switch (p.cmd) {
      case 'connack': {
        const code = (this.id.version === 5 ? p.reasonCode : p.returnCode) ?? 0;
        const assigned = p.properties?.assignedClientIdentifier;
        if (assigned && !this.connect?.clientId) this.id.clientId = assigned;
        const meta: Record<string, JsonValue> = { packet: 'connack', from: 'broker', reasonCode: code, sessionPresent: p.sessionPresent };
        if (assigned) meta.assignedClientIdentifier = assigned;
        if (p.properties?.reasonString) meta.reasonString = p.properties.reasonString;
        this.fact('ack', null, meta);
        if (code === 0) this.opts.connected();
        break;
      }
      case 'publish': {
        const topic = this.resolveAlias('broker', p.topic, p.properties?.topicAlias);
        this.record(proxyPublish(this.id, 'deliver', p, topic));
        if (p.qos > 0 && p.messageId !== undefined) this.inflight.set(`broker:${p.messageId}`, topic);
        break;
      }
      case 'puback':
      case 'pubrec':
      case 'pubrel':
      case 'pubcomp':
        this.ack('broker', p.cmd, p.messageId, p.reasonCode, p.properties?.reasonString);
        break;
      case 'suback': {
        const asked = p.messageId !== undefined ? this.subscribing.get(p.messageId) : undefined;
        if (!asked) break;
        this.subscribing.delete(p.messageId!);
        asked.subs.forEach((s, i) => {
          const g = p.granted[i];
          const granted = typeof g === 'number' ? g : ((g as { qos?: number } | undefined)?.qos ?? 0x80);
          const meta: Record<string, JsonValue> = { packet: 'suback', from: 'broker', packetId: p.messageId!, qos: s.qos, reasonCode: granted, granted: granted < 0x80 };
          if (this.id.version === 5) Object.assign(meta, { nl: s.nl ?? false, rap: s.rap ?? false, rh: s.rh ?? 0 });
          if (asked.subscriptionIdentifier !== undefined) meta.subscriptionIdentifier = asked.subscriptionIdentifier;
          if (granted >= 0x80) meta.reason = reasonName(granted);
          this.fact('subscribe', s.topic, meta);
        });
        break;
      }
      case 'unsuback': {
        const asked = p.messageId !== undefined ? this.unsubscribing.get(p.messageId) : undefined;
        if (!asked) break;
        this.unsubscribing.delete(p.messageId!);
        asked.forEach((filter, i) => {
          const meta: Record<string, JsonValue> = { packet: 'unsuback', from: 'broker', packetId: p.messageId! };
          const code = Array.isArray(p.granted) ? p.granted[i] : undefined;
          if (typeof code === 'number') meta.reasonCode = code;
          this.fact('unsubscribe', filter, meta);
        });
        break;
      }
      case 'disconnect':
        this.disconnect = { from: 'broker', packet: p };
        break;
      default:
        break;
    }
  }

  /**
   * One step of a QoS handshake. `from` sent it; it acknowledges a publish of the client
   * (PUBACK/PUBREC/PUBCOMP from the broker, PUBREL from the client) or a delivery to it.
   */
  private ack(from: Side, packet: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp', packetId: number | undefined, reasonCode: number | undefined, reasonString: string | undefined): void {
    if (packetId === undefined) return;
    const publisher: Side = packet === 'pubrel' ? from : from === 'broker' ? 'client' : 'broker';
    const key = `${publisher}:${packetId}`;
    const topic = this.inflight.get(key) ?? null;
    const meta: Record<string, JsonValue> = { packet, from, packetId, ackFor: publisher === 'client' ? 'publish' : 'deliver' };
    // MQTT 3.1.1 acknowledgements carry no reason code; an MQTT 5 one without it means 0x00.
    if (this.id.version === 5) meta.reasonCode = reasonCode ?? 0;
    if (this.id.version === 5) meta.reason = reasonName(reasonCode ?? 0);
    if (reasonString) meta.reasonString = reasonString;
    this.fact('ack', topic, meta);
    if (packet === 'puback' || packet === 'pubcomp' || (packet === 'pubrec' && (reasonCode ?? 0) >= 0x80)) this.inflight.delete(key);
  }

  /** MQTT 5 topic aliases (§3.3.2.3.4): each direction has its own alias table. */
  private resolveAlias(side: Side, topic: string, alias: number | undefined): string {
    if (alias === undefined) return topic;
    const table = this.aliases[side];
    if (topic) {
      table.set(alias, topic);
      return topic;
    }
    return table.get(alias) ?? '';
  }

  private malformed(side: Side, why: string): void {
    const message = `malformed packet from the ${side}: ${why}`;
    this.fact('error', null, { message, side });
    if (this.connect && this.id.version === 5) {
      // The client hears why (MQTT 5 DISCONNECT with a reason string); 3.1.1 has no way to say.
      const reasonCode = side === 'client' ? 0x81 : 0x80;
      this.client.write(generate({ cmd: 'disconnect', reasonCode, properties: { reasonString: `Flowscope proxy: ${message}`.slice(0, 512) } }, { protocolVersion: 5 }));
    }
    this.end('proxy', message);
  }

  private onUnreachable(err: Error): void {
    const message = mqttError(err, this.opts.broker, null).message;
    this.unreachableMessage = message;
    this.queued = [];
    this.fact('error', null, { message, side: 'broker', target: this.opts.broker });
    this.opts.unreachable(message);
    if (this.connect) this.refuse();
    else setTimeout(() => this.end('proxy', message), CONNECT_WAIT_MS).unref();
  }

  /**
   * The broker is unreachable: answer the client's CONNECT with a refusal it can show
   * (MQTT 5: 0x88 Server unavailable with the reason; 3.1.1: return code 3), then close.
   */
  private refuse(): void {
    const message = this.unreachableMessage!;
    const packet =
      this.id.version === 5
        ? { cmd: 'connack' as const, reasonCode: 0x88, sessionPresent: false, properties: { reasonString: `Flowscope proxy: ${message}`.slice(0, 512) } }
        : { cmd: 'connack' as const, returnCode: 3, sessionPresent: false };
    this.client.write(generate(packet, { protocolVersion: this.id.version }));
    this.end('proxy', message);
  }

  /** Closes both legs (the other leg's close completes the link). */
  private end(by: Side | 'proxy', reason: string): void {
    this.closeBy ??= by;
    this.closeReason ||= reason;
    this.client.end();
    if (by === 'proxy' && !this.disconnect) this.upstream.destroy();
    else this.upstream.end();
    this.armGrace();
  }

  private legClosed(side: Side): void {
    this.legsClosed += 1;
    // The broker was never reached: the client stays until its CONNECT can be refused with
    // the reason (cutting it here was a bare "connection lost" when the refusal came first).
    const refusing = side === 'broker' && this.unreachableMessage !== null && !this.closeBy;
    if (refusing) return;
    if (!this.closeBy) {
      const d = this.disconnect;
      // After a DISCONNECT the receiver closes the socket: the sender ended the connection.
      this.closeBy = d ? d.from : side;
      if (!this.closeReason) this.closeReason = d ? `${d.from} sent DISCONNECT` : `the ${side} closed the connection without DISCONNECT`;
      // The other leg ends as this one did: gracefully after a DISCONNECT, else cut, so the
      // broker publishes the client's will as it would without the proxy.
      const other = side === 'client' ? this.upstream : this.client;
      if (d) other.end();
      else other.destroy();
    }
    this.recordClose();
    if (this.legsClosed === 2) {
      if (this.graceTimer) clearTimeout(this.graceTimer);
      this.resolveClosed();
    } else {
      this.armGrace();
    }
  }

  private recordClose(): void {
    if (this.closeRecorded || !this.recordedAny) return;
    this.closeRecorded = true;
    const d = this.disconnect;
    const meta: Record<string, JsonValue> = { by: this.closeBy ?? 'proxy', reason: this.closeReason, disconnect: d !== null };
    if (d && this.id.version === 5) {
      meta.disconnectFrom = d.from;
      meta.reasonCode = d.packet.reasonCode ?? 0;
      if (d.packet.properties?.reasonString) meta.reasonString = d.packet.properties.reasonString;
    }
    // Whether the broker keeps the session (and its subscriptions) after this connection.
    const c = this.connect;
    if (c) {
      const expiry = this.id.version === 5 ? (d?.packet.properties?.sessionExpiryInterval ?? c.properties?.sessionExpiryInterval ?? 0) : c.clean !== false ? 0 : 1;
      meta.sessionEnds = expiry === 0;
    }
    this.fact('close', null, meta);
  }

  private armGrace(): void {
    if (this.graceTimer) return;
    this.graceTimer = setTimeout(() => {
      this.client.destroy();
      this.upstream.destroy();
    }, CLOSE_GRACE_MS);
    this.graceTimer.unref();
  }
}
