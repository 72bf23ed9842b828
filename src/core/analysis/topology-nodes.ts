import type { CapturedMessage, Transport } from '../../shared/model.ts';
import type { TopologyConfig } from './config.ts';
import { FifoMap } from './fifo-map.ts';
import { DEFAULT_EXCHANGE, metaString } from './identity.ts';
import { ids, producerOf } from './topology-ids.ts';
import type { NodeKind } from './topology-ids.ts';

export interface NodeState {
  id: string;
  kind: NodeKind;
  label: string;
  transport: Transport;
  endpoint: string;
  /** The destination the node is (topic, exchange, queue, socket path), to filter other views by it. */
  destination: string | null;
  /** The connection a WebSocket client node is. */
  connection: string | null;
}

/** What a node stands for in the other views' filters. */
type Facts = Pick<NodeState, 'destination' | 'connection'>;
const NO_FACTS: Facts = { destination: null, connection: null };

const MAX_ALIASES = 50_000;

/** Resolved node ids per endpoint, so the per-message path builds no id strings. */
interface Scope {
  topics: Map<string, string>;
  exchanges: Map<string, string>;
  queues: Map<string, string>;
  servers: Map<string, string>;
  clients: FifoMap<string, string>;
  /** Producer and consumer ids as producerOf/consumerOf spell them → resolved id. */
  parties: Map<string, string>;
}

/**
 * The nodes of the topology graph. Node and per-path client counts are capped: beyond the
 * caps, new nodes merge into one "other" node per kind (aliases remember where an id went),
 * so a million short-lived connections do not make a million nodes.
 */
export class NodeRegistry {
  private readonly nodes = new Map<string, NodeState>();
  private readonly scopes = new Map<string, Scope>();
  private readonly alias = new FifoMap<string, string>();
  private readonly clientsPerPath = new Map<string, number>();

  constructor(private readonly cfg: TopologyConfig) {}

  list(): NodeState[] {
    return [...this.nodes.values()];
  }

  private scope(ep: string): Scope {
    let sc = this.scopes.get(ep);
    if (!sc) {
      sc = { topics: new Map(), exchanges: new Map(), queues: new Map(), servers: new Map(), clients: new FifoMap(), parties: new Map() };
      this.scopes.set(ep, sc);
    }
    return sc;
  }

  topic(m: CapturedMessage, name: string): string {
    const cache = this.scope(m.endpoint).topics;
    let id = cache.get(name);
    if (id === undefined) cache.set(name, (id = this.node(ids.topic(m.endpoint, name, m.transport === 'mqtt' || m.transport === 'nats' ? m.transport : 'kafka'), 'topic', name, m, false, dest(name))));
    return id;
  }

  /** A NATS requester's reply inboxes as one subject node (see TopologyBuilder.ingestNatsReply). */
  inboxes(m: CapturedMessage, pattern: string): string {
    const cache = this.scope(m.endpoint).topics;
    let id = cache.get(pattern);
    if (id === undefined) cache.set(pattern, (id = this.node(ids.topic(m.endpoint, pattern, 'nats'), 'topic', pattern, m)));
    return id;
  }

  queue(m: CapturedMessage, name: string): string {
    const cache = this.scope(m.endpoint).queues;
    let id = cache.get(name);
    if (id === undefined) cache.set(name, (id = this.node(ids.queue(m.endpoint, name), 'queue', name, m, false, dest(name))));
    return id;
  }

  exchange(m: CapturedMessage, name: string): string {
    const cache = this.scope(m.endpoint).exchanges;
    let id = cache.get(name);
    if (id === undefined) {
      const label = !name || name === DEFAULT_EXCHANGE ? '(default exchange)' : name;
      cache.set(name, (id = this.node(ids.exchange(m.endpoint, name), 'exchange', label, m, false, dest(name || DEFAULT_EXCHANGE))));
    }
    return id;
  }

  party(m: CapturedMessage, rawId: string, kind: 'producer' | 'consumer', label: string): string {
    const cache = this.scope(m.endpoint).parties;
    let id = cache.get(rawId);
    if (id === undefined) cache.set(rawId, (id = this.node(rawId, kind, label, m)));
    return id;
  }

  producer(m: CapturedMessage): string {
    const p = producerOf(m, this.cfg.producerHeaders);
    return this.party(m, p.id, 'producer', p.label);
  }

  wsServer(m: CapturedMessage): string {
    const cache = this.scope(m.endpoint).servers;
    let id = cache.get(m.destination);
    if (id === undefined) {
      cache.set(m.destination, (id = this.node(ids.wsServer(m.endpoint, m.destination), 'ws-server', m.destination, m, false, dest(m.destination))));
    }
    const target = m.event === 'open' ? metaString(m.meta, 'target') : null;
    if (target) this.nodes.get(id)!.label = target;
    return id;
  }

  wsClient(m: CapturedMessage): string {
    const conn = m.connection ?? '?';
    const cache = this.scope(m.endpoint).clients;
    const cached = cache.get(conn);
    if (cached !== undefined) return cached;
    const id = ids.wsClient(m.endpoint, conn);
    const pathKey = `${m.endpoint}\0${m.destination}`;
    const n = this.clientsPerPath.get(pathKey) ?? 0;
    const peer = metaString(m.meta, 'client');
    let resolved: string;
    if (n < this.cfg.maxClientsPerPath) {
      this.clientsPerPath.set(pathKey, n + 1);
      resolved = this.node(id, 'ws-client', peer ? `${conn} (${peer})` : conn, m, false, { destination: null, connection: conn });
    } else {
      resolved = this.node(`ws:${m.endpoint}:clients:${m.destination}`, 'ws-client', `other clients of ${m.destination}`, m, true);
      this.remember(id, resolved);
    }
    // Connections come and go: keep the cache bounded, the alias map still resolves old ones.
    if (cache.size >= MAX_ALIASES) cache.shift();
    cache.set(conn, resolved);
    return resolved;
  }

  node(id: string, kind: NodeKind, label: string, m: CapturedMessage, force = false, facts: Facts = NO_FACTS): string {
    const existing = this.resolveExisting(id);
    if (existing) return existing;
    if (!force && this.nodes.size >= this.cfg.maxNodes) {
      const merged = `${m.transport}:other:${kind}`;
      if (!this.nodes.has(merged)) {
        this.nodes.set(merged, { id: merged, kind, label: `other ${kind} nodes`, transport: m.transport, endpoint: m.endpoint, ...NO_FACTS });
      }
      this.remember(id, merged);
      return merged;
    }
    this.nodes.set(id, { id, kind, label, transport: m.transport, endpoint: m.endpoint, ...facts });
    return id;
  }

  private resolveExisting(id: string): string | null {
    if (this.nodes.has(id)) return id;
    return this.alias.get(id) ?? null;
  }

  /** Whether `id` is a node itself (not merged into another). */
  isNode(id: string): boolean {
    return this.nodes.has(id);
  }

  resolve(id: string): string {
    return this.resolveExisting(id) ?? id;
  }

  private remember(id: string, merged: string): void {
    if (this.alias.size >= MAX_ALIASES) this.alias.shift();
    this.alias.set(id, merged);
  }
}

function dest(name: string): Facts {
  return { destination: name, connection: null };
}
