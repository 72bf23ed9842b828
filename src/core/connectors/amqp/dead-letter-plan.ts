import type { DiscoveredQueue } from '../../../shared/discovery.ts';
import type { ManagementSnapshot } from './management.ts';
import { describeLimits, dropsMessages } from './queue-limits.ts';

/**
 * Which dead-letter exchanges to tap, and what stays out of sight.
 *
 * RabbitMQ moves a message that expires (TTL), is rejected without requeue, overflows a
 * length limit or passes a delivery limit to the queue's dead-letter exchange, with an
 * `x-death` header saying why (https://www.rabbitmq.com/docs/dlx). The firehose does not
 * trace that move, so the only way to see it is a queue of our own bound to the
 * dead-letter exchange. Such an exchange may also carry ordinary traffic (a retry loop
 * dead-letters back into the main exchange), so the tap binds only the routing keys the
 * dead letters travel with where it can: the dead-letter routing key, else the keys the
 * dying queue is bound with and its own name (for publishes through the default exchange).
 * The connector keeps only copies that carry `x-death`.
 */

export interface DeadLetterTap {
  exchange: string;
  type: string;
  bindings: { pattern: string; args?: Record<string, unknown> }[];
  /** Queues that dead-letter into this exchange. */
  queues: string[];
}

export interface DeadLetterPlan {
  taps: DeadLetterTap[];
  /** Lines for the status: what is tapped and what cannot be seen. */
  notes: string[];
}

export function planDeadLetterTaps(m: ManagementSnapshot): DeadLetterPlan {
  const types = new Map(m.exchanges.map((e) => [e.name === 'amq.default' ? '' : e.name, e.type]));
  const byExchange = new Map<string, { type: string; keys: Set<string>; wildcard: boolean; queues: string[] }>();
  const toDefault: string[] = [];
  const missing: string[] = [];
  const silent: string[] = [];
  for (const q of m.queues) {
    const l = q.limits ?? {};
    const dlx = l.deadLetterExchange;
    if (dlx === undefined) {
      if (dropsMessages(l)) silent.push(`'${q.name}' (${describeLimits(l)})`);
      continue;
    }
    if (dlx === '') {
      toDefault.push(`'${q.name}' → queue '${l.deadLetterRoutingKey ?? '(its own routing key)'}'`);
      continue;
    }
    const type = types.get(dlx);
    if (type === undefined) {
      missing.push(`'${q.name}' → '${dlx}'`);
      continue;
    }
    let tap = byExchange.get(dlx);
    if (!tap) byExchange.set(dlx, (tap = { type, keys: new Set(), wildcard: false, queues: [] }));
    tap.queues.push(q.name);
    const keys = keysOf(q, m, types);
    if (keys === null) tap.wildcard = true;
    else for (const k of keys) tap.keys.add(k);
  }

  const taps: DeadLetterTap[] = [];
  for (const [exchange, t] of byExchange) {
    taps.push({ exchange, type: t.type, bindings: bindingsFor(t.type, t.keys, t.wildcard), queues: t.queues });
  }
  const notes: string[] = [];
  if (taps.length) {
    notes.push(`dead letters: tapping ${list(taps.map((t) => `'${t.exchange}' (from ${list(t.queues.map((q) => `'${q}'`))})`))}`);
  }
  if (toDefault.length) notes.push(`dead letters to the default exchange are seen only when their queue is consumed: ${list(toDefault)}`);
  if (missing.length) notes.push(`dead-letter exchange missing, RabbitMQ drops what these queues dead-letter: ${list(missing)}`);
  if (silent.length) notes.push(`queues without a dead-letter exchange drop messages unseen: ${list(silent)}`);
  return { taps, notes };
}

/**
 * Routing keys the dead letters of `q` carry, or null when they cannot be listed (the
 * queue is bound from a fanout or headers exchange, whose messages may have any key).
 */
function keysOf(q: DiscoveredQueue, m: ManagementSnapshot, types: Map<string, string>): string[] | null {
  const dlrk = q.limits?.deadLetterRoutingKey;
  if (dlrk !== undefined) return [dlrk];
  const keys = [q.name];
  for (const b of m.bindings) {
    if (b.destinationType !== 'queue' || b.destination !== q.name) continue;
    const type = types.get(b.source);
    if (type !== 'direct' && type !== 'topic') return null;
    keys.push(b.routingKey);
  }
  return keys;
}

function bindingsFor(type: string, keys: Set<string>, wildcard: boolean): DeadLetterTap['bindings'] {
  switch (type) {
    case 'fanout':
      return [{ pattern: '' }];
    case 'headers':
      return [{ pattern: '', args: { 'x-match': 'all' } }];
    case 'topic':
      // A topic binding pattern matches what it matched on the source exchange.
      return wildcard ? [{ pattern: '#' }] : [...keys].sort().map((pattern) => ({ pattern }));
    default:
      // direct (and plugin types, bound like direct): exact keys; copies with other keys stay unseen.
      return [...keys].sort().map((pattern) => ({ pattern }));
  }
}

function list(items: string[], max = 3): string {
  return items.length > max ? `${items.slice(0, max).join(', ')} and ${items.length - max} more` : items.join(', ');
}

/**
 * The queues a message with `routingKey` reaches through `exchange`, by the management
 * API's bindings (direct, fanout and topic exchanges; null for the rest: unknown).
 */
export function routedByBindings(m: ManagementSnapshot, exchange: string, routingKey: string): string[] | null {
  const type = m.exchanges.find((e) => e.name === exchange)?.type;
  const match = type === 'direct' ? (p: string) => p === routingKey : type === 'fanout' ? () => true : type === 'topic' ? (p: string) => topicMatch(p, routingKey) : null;
  if (!match) return null;
  const out = new Set<string>();
  for (const b of m.bindings) if (b.source === exchange && b.destinationType === 'queue' && match(b.routingKey)) out.add(b.destination);
  return [...out];
}

/** AMQP topic matching: words split on '.', '*' is one word, '#' zero or more. */
export function topicMatch(pattern: string, key: string): boolean {
  const p = pattern.split('.');
  const k = key.split('.');
  const at = (i: number, j: number): boolean => {
    if (i === p.length) return j === k.length;
    if (p[i] === '#') {
      for (let n = j; n <= k.length; n++) if (at(i + 1, n)) return true;
      return false;
    }
    return j < k.length && (p[i] === '*' || p[i] === k[j]) && at(i + 1, j + 1);
  };
  return at(0, 0);
}
