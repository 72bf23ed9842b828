import type { DiscoveredBinding, Discovery } from '../../../shared/discovery.ts';

/** Routing keys kept per observed exchange → queue edge; enough to show, bounded for memory. */
const MAX_KEYS_PER_EDGE = 20;
/** Routing keys remembered per exchange for direct-exchange taps. */
const MAX_ROUTED_KEYS = 1000;

/**
 * Topology learned from traffic when the management API is not available: exchanges
 * published to, queues delivered from, and exchange → queue edges from the firehose's
 * `routed_queues`. An observed binding's `routingKey` is a routing key that was seen to
 * travel that edge, not the binding pattern (which AMQP does not reveal to a client).
 */
export class ObservedTopology {
  private readonly exchanges = new Map<string, string>();
  private readonly queues = new Set<string>();
  private readonly edges = new Map<string, { source: string; destination: string; keys: Set<string> }>();
  private readonly routedKeys = new Map<string, Set<string>>();
  private changed = false;

  exchange(name: string, type = 'unknown'): void {
    const prev = this.exchanges.get(name);
    if (prev === type || (prev && type === 'unknown')) return;
    this.exchanges.set(name, type);
    this.changed = true;
  }

  queue(name: string): void {
    if (this.queues.has(name)) return;
    this.queues.add(name);
    this.changed = true;
  }

  routed(exchange: string, queues: readonly string[], routingKey: string): void {
    this.exchange(exchange);
    if (queues.length) {
      let keys = this.routedKeys.get(exchange);
      if (!keys) this.routedKeys.set(exchange, (keys = new Set()));
      if (keys.size < MAX_ROUTED_KEYS) keys.add(routingKey);
    }
    for (const q of queues) {
      this.queue(q);
      const id = `${exchange}\u0000${q}`;
      let edge = this.edges.get(id);
      if (!edge) {
        edge = { source: exchange, destination: q, keys: new Set() };
        this.edges.set(id, edge);
        this.changed = true;
      }
      if (!edge.keys.has(routingKey) && edge.keys.size < MAX_KEYS_PER_EDGE) {
        edge.keys.add(routingKey);
        this.changed = true;
      }
    }
  }

  /**
   * Routing keys that were routed to at least one application queue. Binding a
   * direct-exchange tap to these never makes an unroutable message routable.
   */
  keysOf(exchange: string): string[] {
    return [...(this.routedKeys.get(exchange) ?? [])];
  }

  /** A snapshot when something changed since the last one (or always with `force`). */
  take(endpoint: string, force = false): Discovery | null {
    if (!this.changed && !force) return null;
    this.changed = false;
    const bindings: DiscoveredBinding[] = [];
    for (const e of this.edges.values()) {
      for (const k of e.keys) {
        bindings.push({ source: e.source, destination: e.destination, destinationType: 'queue', routingKey: k });
      }
    }
    return {
      endpoint,
      time: Date.now(),
      source: 'observed',
      exchanges: [...this.exchanges].map(([name, type]) => ({ name, type })),
      queues: [...this.queues].map((name) => ({ name })),
      bindings,
    };
  }
}
