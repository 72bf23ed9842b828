import type { CapturedMessage } from '../../shared/model.ts';
import type { UndeliveredItem, UndeliveredReason } from '../../shared/views.ts';
import { eventTimeOf } from '../common/event-time.ts';
import type { UndeliveredConfig } from './config.ts';
import { formatDuration, metaNumber, metaString, payloadHash } from './identity.ts';
import { filterMatches } from './mqtt-filter.ts';
import { ids } from './topology-ids.ts';
import type { EdgeHint, UndeliveredSink } from './undelivered-sink.ts';

/** A publish or delivery the analysis still has something to decide about. */
interface Flow {
  seq: number;
  time: number;
  endpoint: string;
  topic: string;
  clientId: string;
  link: string;
  packetId: number | null;
  qos: number;
  /** '5' or '3.1.1'. */
  version: string;
  /** A retained publish: the broker keeps it for later subscribers, so no subscriber now is no loss. */
  retain: boolean;
  /** 'publish': client → broker; 'deliver': broker → the client. */
  kind: 'publish' | 'deliver';
  /** The edge it counts against. */
  edge: EdgeHint;
  /** QoS 1/2 handshake: PUBREC seen (QoS 2), and finished. */
  received: boolean;
  complete: boolean;
  /** Publishes: an MQTT 5 PUBACK 0x00 said the broker had matching subscribers. */
  matchKnown: boolean;
  /** Publishes: a subscription the proxy saw matched its topic when it was published. */
  matched: boolean;
  delivered: boolean;
  expiresAt: number | null;
  expiry: number;
  contentKey: string | null;
  decided: boolean;
}

/** A deadline: the window of `flow` passes at `due`. */
interface Check {
  due: number;
  flow: Flow;
}

/** Publishes with a Message Expiry Interval watched at most; past this, new ones are not. */
const MAX_EXPIRING = 100_000;
/** Expiry is in whole seconds on the broker's clock: a delivery captured this late still counts. */
const EXPIRY_GRACE_MS = 1000;
/** Topics whose match is remembered at most between subscription changes. */
const MAX_CACHED_TOPICS = 10_000;
/** Clients whose subscriptions are remembered at most. */
const MAX_CLIENTS = 50_000;

/**
 * MQTT, from what the recording proxy saw (a tap sees neither acknowledgements nor who
 * received what, so its messages are not judged here):
 * - `no-subscribers`: the broker acknowledged a publish with 0x10 "No matching subscribers"
 *   (MQTT 5 PUBACK/PUBREC); or, where no reason code says (MQTT 3.1.1, QoS 0, a PUBREC 0x00
 *   that Mosquitto sends whatever matched), no subscription seen by the proxy matched its
 *   topic and no client of the proxy received it within the window;
 * - `rejected`: the broker refused it (reason code ≥ 0x80);
 * - `qos-incomplete`: a QoS 1/2 publish or delivery whose handshake did not finish within
 *   the window, or whose connection closed first with the session ending;
 * - `expired`: a publish with a Message Expiry Interval that no client of the proxy had
 *   received when it expired (say, queued for a subscriber that came back too late).
 * Each message is decided once, for the first reason found.
 */
export class MqttUndelivered {
  /** endpoint\0link\0publish|deliver\0packet id → the flow waiting for its handshake. */
  private readonly inflight = new Map<string, Flow>();
  /** Window checks in the order they fall due (the window is one length for all). */
  private checks: Check[] = [];
  private checksHead = 0;
  /** Publishes with an expiry, until it passes. */
  private expiring: Flow[] = [];
  private nextExpiry = Infinity;
  /** endpoint\0topic\0payload hash → publishes that a delivery of the same bytes would prove delivered. */
  private readonly byContent = new Map<string, Flow[]>();
  /** endpoint\0client id → granted topic filters. */
  private readonly subs = new Map<string, Set<string>>();
  /**
   * endpoint\0topic → whether a subscription matched it, until subscriptions change: a
   * publish would otherwise test every filter of every client.
   */
  private readonly matchCache = new Map<string, boolean>();

  constructor(
    private readonly cfg: UndeliveredConfig,
    private readonly sink: UndeliveredSink,
  ) {}

  get waiting(): number {
    return this.checks.length - this.checksHead + this.expiring.length;
  }

  ingest(m: CapturedMessage & { seq: number }, producer: string | null): void {
    if (m.meta?.via !== 'proxy') return;
    const client = m.connection ?? '';
    const ckey = `${m.endpoint}\0${client}`;
    switch (m.event) {
      case 'open':
        // A clean start discards the session the broker kept, subscriptions included.
        if (m.meta.clean === true && this.subs.delete(ckey)) this.matchCache.clear();
        return;
      case 'subscribe':
        if (m.meta.granted !== true) return;
        if (!this.subs.has(ckey) && this.subs.size >= MAX_CLIENTS) return;
        (this.subs.get(ckey) ?? this.subs.set(ckey, new Set()).get(ckey)!).add(m.destination);
        this.matchCache.clear();
        return;
      case 'unsubscribe':
        if (this.subs.get(ckey)?.delete(m.destination)) this.matchCache.clear();
        return;
      case 'close':
        this.closed(m, ckey);
        return;
      case 'publish':
        this.published(m, producer, client);
        return;
      case 'deliver':
        this.delivered(m, client);
        return;
      case 'ack':
        this.acked(m);
        return;
      default:
        return;
    }
  }

  private flow(m: CapturedMessage & { seq: number }, kind: Flow['kind'], client: string, edge: EdgeHint): Flow {
    return {
      seq: m.seq,
      time: eventTimeOf(m),
      endpoint: m.endpoint,
      topic: m.destination,
      clientId: client,
      link: metaString(m.meta, 'link') ?? '',
      packetId: metaNumber(m.meta, 'packetId'),
      qos: metaNumber(m.meta, 'qos') ?? 0,
      version: metaString(m.meta, 'protocolVersion') ?? '5',
      retain: m.meta?.retain === true,
      kind,
      edge,
      received: false,
      complete: false,
      matchKnown: false,
      matched: false,
      delivered: false,
      expiresAt: null,
      expiry: 0,
      contentKey: null,
      decided: false,
    };
  }

  private published(m: CapturedMessage & { seq: number }, producer: string | null, client: string): void {
    const topicNode = ids.topic(m.endpoint, m.destination, 'mqtt');
    const f = this.flow(m, 'publish', client, [producer ?? ids.mqttClient(m.endpoint, client), topicNode]);
    const packetId = f.packetId;
    if (f.qos > 0 && packetId !== null) this.watchHandshake(f, packetId);
    f.matched = f.retain || this.anyMatch(m.endpoint, m.destination);
    const expiry = typeof m.properties?.messageExpiryInterval === 'number' ? m.properties.messageExpiryInterval : null;
    const watchContent = !f.matched || expiry !== null;
    if (expiry !== null && this.expiring.length < MAX_EXPIRING) {
      f.expiry = expiry;
      f.expiresAt = f.time + expiry * 1000 + EXPIRY_GRACE_MS;
      this.expiring.push(f);
      if (f.expiresAt < this.nextExpiry) this.nextExpiry = f.expiresAt;
    }
    if (watchContent) {
      f.contentKey = `${m.endpoint}\0${m.destination}\0${payloadHash(m.payload)}:${m.payload.byteLength}`;
      const list = this.byContent.get(f.contentKey);
      if (list) list.push(f);
      else this.byContent.set(f.contentKey, [f]);
    }
    if (!f.matched && !(f.qos > 0 && packetId !== null)) this.checks.push({ due: f.time + this.cfg.mqttWindowMs, flow: f });
  }

  private delivered(m: CapturedMessage & { seq: number }, client: string): void {
    const key = `${m.endpoint}\0${m.destination}\0${payloadHash(m.payload)}:${m.payload.byteLength}`;
    const list = this.byContent.get(key);
    if (list) {
      for (const f of list) f.delivered = true;
      this.byContent.delete(key);
    }
    const packetId = metaNumber(m.meta, 'packetId');
    const qos = metaNumber(m.meta, 'qos') ?? 0;
    if (qos > 0 && packetId !== null) {
      const edge: EdgeHint = [ids.topic(m.endpoint, m.destination, 'mqtt'), ids.mqttSubscriber(m.endpoint, client)];
      this.watchHandshake(this.flow(m, 'deliver', client, edge), packetId);
    }
  }

  private watchHandshake(f: Flow, packetId: number): void {
    this.inflight.set(`${f.endpoint}\0${f.link}\0${f.kind}\0${packetId}`, f);
    this.checks.push({ due: f.time + this.cfg.mqttWindowMs, flow: f });
  }

  private acked(m: CapturedMessage & { seq: number }): void {
    const packet = metaString(m.meta, 'packet');
    const ackFor = metaString(m.meta, 'ackFor');
    const packetId = metaNumber(m.meta, 'packetId');
    if (!ackFor || packetId === null) return;
    const key = `${m.endpoint}\0${metaString(m.meta, 'link') ?? ''}\0${ackFor}\0${packetId}`;
    const f = this.inflight.get(key);
    if (!f) return;
    const code = metaNumber(m.meta, 'reasonCode');
    const finished = packet === 'puback' || packet === 'pubcomp' || (packet === 'pubrec' && code !== null && code >= 0x80);
    if (packet === 'pubrec') f.received = true;
    if (finished) {
      f.complete = true;
      this.inflight.delete(key);
    }
    if (f.kind !== 'publish' || metaString(m.meta, 'from') !== 'broker' || code === null) return;
    if (code === 0x10 && f.retain) {
      f.matchKnown = true;
    } else if (code === 0x10) {
      this.decide(f, 'no-subscribers', `The broker acknowledged it with ${metaString(m.meta, 'reason') ?? '0x10'} (${packet!.toUpperCase()}): no client subscribed to "${f.topic}".`, false);
    } else if (code >= 0x80) {
      this.decide(f, 'rejected', `The broker refused it: ${packet!.toUpperCase()} ${metaString(m.meta, 'reason') ?? `reason ${code}`}${m.meta?.reasonString ? ` (${String(m.meta.reasonString)})` : ''}.`, false);
    } else if (packet === 'puback') {
      // 0x10 is a MAY (§3.4.2.1), but a broker that uses it for QoS 1, as Mosquitto does, says 0x00 only when someone matched.
      f.matchKnown = true;
    }
  }

  private closed(m: CapturedMessage & { seq: number }, ckey: string): void {
    const ends = m.meta?.sessionEnds === true;
    if (ends && this.subs.delete(ckey)) this.matchCache.clear();
    const link = metaString(m.meta, 'link') ?? '';
    const prefix = `${m.endpoint}\0${link}\0`;
    for (const [key, f] of this.inflight) {
      if (!key.startsWith(prefix)) continue;
      this.inflight.delete(key);
      // A kept session resumes the handshake on the client's next connection (§4.4).
      if (!ends) continue;
      f.complete = true;
      const step = f.qos === 2 ? (f.received ? 'PUBCOMP' : 'PUBREC') : 'PUBACK';
      const what =
        f.kind === 'publish'
          ? `Client "${f.clientId}" published it at QoS ${f.qos}; its connection closed before the broker's ${step}, so the broker may not have it.`
          : `Delivered at QoS ${f.qos} to client "${f.clientId}", which disconnected before its ${step}; its session ended with it.`;
      this.decide(f, 'qos-incomplete', what, false);
    }
  }

  private anyMatch(endpoint: string, topic: string): boolean {
    const cached = this.matchCache.get(`${endpoint}\0${topic}`);
    if (cached !== undefined) return cached;
    const prefix = `${endpoint}\0`;
    let found = false;
    for (const [key, filters] of this.subs) {
      if (!key.startsWith(prefix)) continue;
      for (const filter of filters) {
        if (filterMatches(filter, topic)) {
          found = true;
          break;
        }
      }
      if (found) break;
    }
    if (this.matchCache.size >= MAX_CACHED_TOPICS) this.matchCache.clear();
    this.matchCache.set(`${endpoint}\0${topic}`, found);
    return found;
  }

  advance(time: number): void {
    const q = this.checks;
    while (this.checksHead < q.length && q[this.checksHead]!.due <= time) this.judge(q[this.checksHead++]!.flow, false, time);
    if (this.checksHead > 4096 && this.checksHead * 2 > q.length) {
      this.checks = q.slice(this.checksHead);
      this.checksHead = 0;
    }
    if (time >= this.nextExpiry) this.expire(time);
  }

  finish(end: number): void {
    this.advance(end);
    for (let i = this.checksHead; i < this.checks.length; i++) this.judge(this.checks[i]!.flow, true, end);
    this.checks = [];
    this.checksHead = 0;
    // Publishes whose expiry had not come are not undelivered: a subscriber may still get them.
    this.expiring = [];
    this.nextExpiry = Infinity;
  }

  /** The window of `f` passed (or the recording ended, `atEnd`). */
  private judge(f: Flow, atEnd: boolean, now: number): void {
    if (f.decided) return;
    const within = atEnd ? `by the end of the recording (${formatDuration(Math.max(0, now - f.time))} later)` : `within ${formatDuration(this.cfg.mqttWindowMs)}`;
    if (f.qos > 0 && !f.complete) {
      const step = f.qos === 2 ? (f.received ? 'PUBCOMP' : 'PUBREC') : 'PUBACK';
      const what = f.kind === 'publish' ? `Published at QoS ${f.qos} by client "${f.clientId}"` : `Delivered at QoS ${f.qos} to client "${f.clientId}"`;
      const key = `${f.endpoint}\0${f.link}\0${f.kind}\0${f.packetId}`;
      if (this.inflight.get(key) === f) this.inflight.delete(key);
      this.decide(f, 'qos-incomplete', `${what}: no ${step} ${within}, the handshake never completed.`, atEnd);
      return;
    }
    if (f.kind !== 'publish' || f.matched || f.matchKnown || f.delivered) {
      if (f.expiresAt === null) this.forget(f);
      return;
    }
    this.decide(
      f,
      'no-subscribers',
      `No subscription seen by the proxy matched "${f.topic}" and no client of the proxy received it ${within} (${unconfirmed(f)}).`,
      atEnd,
    );
  }

  private expire(time: number): void {
    let next = Infinity;
    const keep: Flow[] = [];
    for (const f of this.expiring) {
      if (f.expiresAt! > time) {
        keep.push(f);
        if (f.expiresAt! < next) next = f.expiresAt!;
        continue;
      }
      if (!f.delivered && !f.decided) {
        this.decide(f, 'expired', `Its Message Expiry Interval (${f.expiry} s) passed before any client of the proxy received it: the broker discarded it.`, false);
      }
      this.forget(f);
    }
    this.expiring = keep;
    this.nextExpiry = next;
  }

  private forget(f: Flow): void {
    if (f.contentKey === null) return;
    const list = this.byContent.get(f.contentKey);
    if (!list) return;
    const i = list.indexOf(f);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byContent.delete(f.contentKey);
  }

  private decide(f: Flow, reason: UndeliveredReason, explanation: string, atEnd: boolean): void {
    if (f.decided) return;
    f.decided = true;
    if (f.expiresAt === null) this.forget(f);
    const item: UndeliveredItem = { seq: f.seq, time: f.time, transport: 'mqtt', endpoint: f.endpoint, destination: f.topic, reason, explanation, atEnd };
    this.sink.add(item, [f.edge]);
  }
}

/** Why the broker's own answer could not settle it. */
function unconfirmed(f: Flow): string {
  if (f.qos === 0) return 'QoS 0: the broker does not acknowledge';
  if (f.version !== '5') return 'MQTT 3.1.1 acknowledgements carry no reason code';
  // A broker MAY answer 0x00 with no matching subscribers (MQTT 5 §3.5.2.1); Mosquitto does for QoS 2.
  return 'its PUBREC said 0x00, which does not tell whether anyone had subscribed';
}
