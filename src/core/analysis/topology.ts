import type { CapturedMessage, GroupOffset } from '../../shared/model.ts';
import type { TopologyEdge, TopologyGraph, TopologyNode } from '../../shared/views.ts';
import { DEFAULT_ANALYSIS_CONFIG } from './config.ts';
import type { TopologyConfig } from './config.ts';
import { isOwnName, routedQueues } from './identity.ts';
import { deathOf } from '../decode/x-death.ts';
import { RateMeter } from './rate.ts';
import { consumerOf, ids } from './topology-ids.ts';
import { NodeRegistry } from './topology-nodes.ts';
import type { NodeState } from './topology-nodes.ts';
import type { EdgeHint } from './undelivered-sink.ts';

interface EdgeState {
  source: string;
  target: string;
  via: TopologyEdge['via'];
  count: number;
  bytes: number;
  undelivered: number;
  first: number | null;
  last: number | null;
  rate: RateMeter;
  /** Exchange → queue edges: counted from the firehose's routing rather than from deliveries. */
  routed: boolean;
}

interface GroupProgress {
  edge: string;
  firstTime: number;
  first: number;
  last: number;
  partitionKey: string;
}

/**
 * The wiring of what was recorded: producers → exchanges/topics → queues/consumer groups →
 * consumers, and WebSocket clients ⇄ server paths, with counts, bytes and rates per edge.
 * Node and client counts are capped; beyond the caps nodes merge into one "other" node
 * per kind, so a million short-lived connections do not make a million nodes.
 */
export class TopologyBuilder {
  private readonly reg: NodeRegistry;
  private readonly edges = new Map<string, EdgeState>();
  /** source → target → edge: the per-message lookup, without building the edge id. */
  private readonly adjacency = new Map<string, Map<string, EdgeState>>();
  private readonly progress = new Map<string, GroupProgress>();
  private readonly firstRecord = new Map<string, { offset: number; time: number }>();
  private watermark = -Infinity;
  /**
   * The last plain Kafka publish's producer and edge, and the last partition whose first
   * record is known (see ingestKafka). Absent from snapshots of an older build: read as null.
   */
  private lastKafka: { endpoint: string; destination: string; producer: string; edge: EdgeState } | null = null;
  private firstSeen: { endpoint: string; destination: string; partition: number } | null = null;
  /** The last hints noteUndelivered resolved, and their edges (in a restored state it matches no new hints). */
  private lastHints: { hints: readonly EdgeHint[]; edges: EdgeState[] } | null = null;

  constructor(
    private readonly cfg: TopologyConfig = DEFAULT_ANALYSIS_CONFIG.topology,
    /** Queue and group name prefixes of Flowscope's own taps, left out of the graph. */
    private readonly ownPrefixes: readonly string[] = DEFAULT_ANALYSIS_CONFIG.undelivered.ownPrefixes,
  ) {
    this.reg = new NodeRegistry(cfg);
  }

  /** Adds a message; returns its producer's node id for publishes, else null. */
  ingest(m: CapturedMessage): string | null {
    if (m.time > this.watermark) this.watermark = m.time;
    // A stored message's size is its payload's length, known without its bytes (store/analysis-reader.ts).
    const size = (m as { size?: number }).size ?? m.payload.byteLength;
    const ep = m.endpoint;
    if (m.transport === 'kafka') {
      if (m.event !== 'publish' || m.destKind !== 'topic') return null;
      const producer = this.ingestKafka(m, size);
      if (m.offset !== null && m.offset !== undefined) {
        const partition = m.partition ?? 0;
        const seen = this.firstSeen;
        if (!seen || seen.partition !== partition || seen.destination !== m.destination || seen.endpoint !== ep) {
          const key = `${ep}\0${m.destination}\0${partition}`;
          if (!this.firstRecord.has(key)) this.firstRecord.set(key, { offset: Number(m.offset), time: m.time });
          this.firstSeen = { endpoint: ep, destination: m.destination, partition };
        }
      }
      return producer;
    }
    if (m.transport === 'amqp') return this.ingestAmqp(m, size);
    if (m.transport === 'mqtt' && m.meta?.via === 'proxy') return this.ingestMqttProxy(m, size);
    if (m.transport === 'nats' && (m.meta?.js !== undefined || m.destination.startsWith('$JS.'))) return this.ingestJetStream(m, size);
    if (m.transport === 'mqtt' || m.transport === 'nats') {
      // A tap sees what was published on a topic or subject, not who subscribes to it.
      if (m.event !== 'publish' || m.destKind !== 'topic') return null;
      if (m.transport === 'nats' && m.meta?.reply === true) return this.ingestNatsReply(m, size);
      const producer = this.reg.producer(m);
      this.link(producer, this.reg.topic(m, m.destination), 'publish', m.time, size);
      return producer;
    }
    this.ingestWs(m, size);
    return null;
  }

  /**
   * A Kafka publish: producer → topic. A record with no headers or properties names no
   * producer of its own, so the producer and edge of the last such record on the same topic
   * are its own (a catch-up reads a partition's records one after another): no id strings
   * built, no lookups (issue 12).
   */
  private ingestKafka(m: CapturedMessage, size: number): string {
    const plain = !m.headers && !m.properties;
    const last = this.lastKafka;
    if (plain && last && last.destination === m.destination && last.endpoint === m.endpoint) {
      count(last.edge, m.time, size, 1);
      return last.producer;
    }
    const producer = this.reg.producer(m);
    const edge = this.link(producer, this.reg.topic(m, m.destination), 'publish', m.time, size);
    if (plain) this.lastKafka = edge ? { endpoint: m.endpoint, destination: m.destination, producer, edge } : null;
    return producer;
  }

  /**
   * A NATS reply goes to the requester's inbox, which nats.js and the NATS CLI make a new
   * subject for on every request (`_INBOX.<id>.<n>`): one node per inbox would grow the graph
   * by a node per request, so the replies to one requester's inboxes (the subject less its
   * last token) are one node. It stands for no single subject, so a click filters by none.
   */
  private ingestNatsReply(m: CapturedMessage, size: number): string {
    const cut = m.destination.lastIndexOf('.');
    const inboxes = cut > 0 ? `${m.destination.slice(0, cut)}.*` : m.destination;
    const grouped: CapturedMessage = { ...m, destination: inboxes };
    const producer = this.reg.party(grouped, ids.natsRepliers(m.endpoint, inboxes), 'producer', `replies → ${inboxes}`);
    this.link(producer, this.reg.inboxes(grouped, inboxes), 'publish', m.time, size);
    return producer;
  }

  /**
   * What the recording MQTT proxy saw: each client by its client id, publishing into topics
   * (client → topic) and receiving from them (topic → subscriber). One client that does
   * both is two nodes, its publishing side and its subscribing side, so the graph reads left
   * to right as producers → topics → consumers.
   */
  private ingestMqttProxy(m: CapturedMessage, size: number): string | null {
    const client = m.connection ?? '?';
    const facts = { destination: null, connection: client };
    if (m.event === 'publish') {
      const producer = this.reg.node(ids.mqttClient(m.endpoint, client), 'producer', client, m, false, facts);
      this.link(producer, this.reg.topic(m, m.destination), 'publish', m.time, size);
      return producer;
    }
    if (m.event === 'deliver') {
      const subscriber = this.reg.node(ids.mqttSubscriber(m.endpoint, client), 'consumer', client, m, false, facts);
      this.link(this.reg.topic(m, m.destination), subscriber, 'delivery', m.time, size);
    } else if (m.event === 'subscribe' && m.meta?.granted === true && !/[+#]/.test(m.destination) && !m.destination.startsWith('$share/')) {
      // A subscription to one topic shows before anything is delivered on it (an edge of 0);
      // a wildcard filter names no topic node, its deliveries draw its edges.
      const subscriber = this.reg.node(ids.mqttSubscriber(m.endpoint, client), 'consumer', client, m, false, facts);
      this.link(this.reg.topic(m, m.destination), subscriber, 'delivery', m.time, 0, 0);
    }
    return null;
  }

  /**
   * JetStream, from what its subjects say (connectors/nats/jetstream.ts): a PubAck draws
   * subject → stream (stored), a delivery stream → consumer (redeliveries counted too).
   * Acks, advisories and the JetStream API are JetStream talking about those messages, not
   * flows of their own: no nodes (the advisories become undelivered items).
   */
  private ingestJetStream(m: CapturedMessage, size: number): null {
    const js = m.meta?.js;
    const stream = typeof m.meta?.stream === 'string' ? m.meta.stream : null;
    if (stream === null) return null;
    const node = this.reg.node(ids.jsStream(m.endpoint, stream), 'stream', stream, m);
    if (js === 'stored' && typeof m.meta?.subject === 'string') {
      const subject = m.meta.subject;
      this.link(this.reg.topic({ ...m, destination: subject }, subject), node, 'routing', m.time, 0);
    } else if (js === 'delivery' && typeof m.meta?.consumer === 'string') {
      const consumer = this.reg.party(m, ids.jsConsumer(m.endpoint, stream, m.meta.consumer), 'consumer', `${stream} › ${m.meta.consumer}`);
      this.link(node, consumer, 'delivery', m.time, size);
    }
    return null;
  }

  private ingestAmqp(m: CapturedMessage, size: number): string | null {
    if (m.event === 'publish' && m.destKind === 'exchange') {
      const death = routedQueues(m) === null ? deathOf(m.headers) : null;
      if (death) {
        // A dead-lettered copy from the tap: the broker moved it out of the queue it died in.
        const exchange = this.reg.exchange(m, m.destination);
        this.link(this.reg.queue(m, death.queue), exchange, 'dead-letter', m.time, size);
        const into = m.meta?.deadLetterQueues;
        for (const q of Array.isArray(into) ? into : []) {
          if (typeof q === 'string' && !isOwnName(q, this.ownPrefixes)) this.link(exchange, this.reg.queue(m, q), 'routing', m.time, size);
        }
        return null;
      }
      const producer = this.reg.producer(m);
      const exchange = this.reg.exchange(m, m.destination);
      this.link(producer, exchange, 'publish', m.time, size);
      for (const q of routedQueues(m) ?? []) {
        if (isOwnName(q, this.ownPrefixes)) continue;
        const e = this.link(exchange, this.reg.queue(m, q), 'routing', m.time, size);
        if (e) e.routed = true;
      }
      return producer;
    }
    if (m.event === 'deliver' && m.destKind === 'queue') {
      if (isOwnName(m.destination, this.ownPrefixes)) return null;
      const queue = this.reg.queue(m, m.destination);
      const c = consumerOf(m);
      this.link(queue, this.reg.party(m, c.id, 'consumer', c.label), 'delivery', m.time, size);
      const ex = typeof m.meta?.exchange === 'string' ? m.meta.exchange : null;
      if (ex !== null) {
        const exchange = this.reg.exchange(m, ex);
        const existing = this.adjacency.get(exchange)?.get(queue);
        // Without the firehose's routing facts, deliveries are the best count of exchange → queue.
        if (!existing?.routed) this.link(exchange, queue, 'delivery', m.time, size);
      }
    }
    return null;
  }

  private ingestWs(m: CapturedMessage, size: number): void {
    const server = this.reg.wsServer(m);
    const client = this.reg.wsClient(m);
    if (m.event === 'frame-out') this.link(client, server, 'frames', m.time, size);
    else if (m.event === 'frame-in') this.link(server, client, 'frames', m.time, size);
  }

  addOffsets(rows: readonly GroupOffset[]): void {
    for (const r of rows) {
      if (r.time > this.watermark) this.watermark = r.time;
      if (isOwnName(r.groupId, this.ownPrefixes)) continue;
      const fake = { transport: 'kafka', endpoint: r.endpoint } as CapturedMessage;
      const topic = this.reg.topic(fake, r.topic);
      const group = this.reg.node(ids.group(r.endpoint, r.groupId), 'group', r.groupId, fake);
      const e = this.link(topic, group, 'commits', r.time, 0, 0);
      const offset = Number(r.offset);
      if (!e || offset < 0) continue;
      const key = `${r.endpoint}\0${r.groupId}\0${r.topic}\0${r.partition}`;
      const p = this.progress.get(key);
      if (!p) {
        this.progress.set(key, { edge: edgeId(topic, group), firstTime: r.time, first: offset, last: offset, partitionKey: `${r.endpoint}\0${r.topic}\0${r.partition}` });
      } else if (offset > p.last) {
        e.rate.add(r.time, offset - p.last);
        p.last = offset;
      }
    }
  }

  noteUndelivered(hints: readonly EdgeHint[]): void {
    // The judge of a partition hands the same hints for its records in turn (undelivered-kafka.ts).
    const last = this.lastHints;
    if (last && last.hints === hints) {
      for (const e of last.edges) e.undelivered += 1;
      return;
    }
    const edges: EdgeState[] = [];
    let stable = true;
    for (const [from, to] of hints) {
      const e = this.edges.get(edgeId(this.reg.resolve(from), this.reg.resolve(to)));
      if (e) e.undelivered += 1;
      if (e) edges.push(e);
      // Nodes are never removed, while an alias may be forgotten: only edges between nodes are kept.
      stable &&= e !== undefined && this.reg.isNode(from) && this.reg.isNode(to);
    }
    this.lastHints = stable ? { hints, edges } : null;
  }

  snapshot(now = this.watermark): TopologyGraph {
    const commits = new Map<string, number>();
    for (const p of this.progress.values()) {
      const rec = this.firstRecord.get(p.partitionKey);
      // Records captured before the group's first commit was seen may have been consumed during the recording.
      const base = rec && rec.time < p.firstTime ? Math.min(p.first, rec.offset) : p.first;
      commits.set(p.edge, (commits.get(p.edge) ?? 0) + Math.max(0, p.last - base));
    }
    const counts = new Map<string, { in: number; out: number; undelivered: number }>();
    const countsOf = (id: string) => {
      let c = counts.get(id);
      if (!c) counts.set(id, (c = { in: 0, out: 0, undelivered: 0 }));
      return c;
    };
    const edges: TopologyEdge[] = [];
    for (const [id, e] of this.edges) {
      const count = e.via === 'commits' ? (commits.get(id) ?? 0) : e.count;
      const span = e.first !== null && e.last !== null ? Math.max(1, (e.last - e.first) / 1000) : 1;
      edges.push({
        id,
        source: e.source,
        target: e.target,
        count,
        bytes: e.bytes,
        ratePerSec: Number.isFinite(now) ? e.rate.rate(now) : 0,
        avgRatePerSec: Math.round((count / span) * 1000) / 1000,
        undelivered: e.undelivered,
        firstTime: e.first,
        lastTime: e.last,
        via: e.via,
      });
      countsOf(e.source).out += count;
      countsOf(e.target).in += count;
      countsOf(e.source).undelivered += e.undelivered;
    }
    const filters = standsFor(this.reg.list(), edges);
    const nodes: TopologyNode[] = this.reg.list().map(({ destination: _d, connection, ...n }) => ({
      ...n,
      counts: countsOf(n.id),
      destinations: [...filters.get(n.id)!],
      connection,
    }));
    return { nodes, edges };
  }

  private link(source: string, target: string, via: EdgeState['via'], time: number, bytes: number, n = 1): EdgeState | null {
    let out = this.adjacency.get(source);
    if (!out) this.adjacency.set(source, (out = new Map()));
    let e = out.get(target);
    if (!e) {
      if (this.edges.size >= this.cfg.maxNodes * 4) return null;
      e = { source, target, via, count: 0, bytes: 0, undelivered: 0, first: null, last: null, rate: new RateMeter(this.cfg.rateWindowSec), routed: false };
      out.set(target, e);
      this.edges.set(edgeId(source, target), e);
    }
    count(e, time, bytes, n);
    return e;
  }
}

function count(e: EdgeState, time: number, bytes: number, n: number): void {
  if (n > 0) {
    e.count += n;
    e.bytes += bytes;
    e.rate.add(time, n);
  }
  if (e.first === null || time < e.first) e.first = time;
  if (e.last === null || time > e.last) e.last = time;
}

function edgeId(source: string, target: string): string {
  return `${source}->${target}`;
}

/**
 * The destinations each node stands for when clicked: its own (a topic, exchange, queue or
 * socket path), else, for producers, groups, consumers and merged nodes, those of the
 * nodes it is wired to.
 */
function standsFor(nodes: readonly NodeState[], edges: readonly TopologyEdge[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const borrows = new Set<string>();
  for (const n of nodes) {
    out.set(n.id, new Set(n.destination !== null ? [n.destination] : []));
    if (n.destination === null && n.connection === null) borrows.add(n.id);
  }
  for (const e of edges) {
    const s = out.get(e.source);
    const d = out.get(e.target);
    if (!s || !d) continue;
    if (borrows.has(e.source)) for (const x of d) s.add(x);
    if (borrows.has(e.target)) for (const x of s) d.add(x);
  }
  return out;
}
