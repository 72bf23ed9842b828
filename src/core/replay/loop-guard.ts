import type { JsonValue } from '../../shared/model.ts';
import type { DiscoveredBinding } from '../../shared/discovery.ts';
import type { DestinationPlan } from './types.ts';
import { hostKey, type ReplayTarget } from './target.ts';
import { isDefaultExchange } from './select.ts';

/** An endpoint of the session that is recording right now, with its stored (credential-free) settings. */
export interface RecordingEndpoint {
  id: string;
  label: string;
  config: Record<string, JsonValue>;
}

/**
 * "Replaying into the broker it came from must never loop back into the recording that is
 * playing." Two mechanisms keep that promise:
 *  1. A replay reads a fixed snapshot (seq ≤ the last seq when it starts), so what it sends
 *     is never read back by the same replay, whatever the target.
 *  2. This check: while the session is still recording, a replay whose messages would land
 *     where one of its live endpoints listens (same broker and a tapped topic, exchange or
 *     queue; the recording proxy's own port) is refused, because the recording would fill
 *     with its own replay. Mapping the destinations elsewhere (--map) or stopping the
 *     recording lifts it.
 * Returns the refusal for the user, or null.
 */
export function checkReplayLoop(
  target: ReplayTarget,
  targetLabel: string,
  recording: readonly RecordingEndpoint[],
  destinations: readonly DestinationPlan[],
  bindings: readonly DiscoveredBinding[] = [],
): string | null {
  for (const e of recording) {
    const hit = overlap(target, e.config, destinations, bindings);
    if (hit?.startsWith('the recording proxy')) {
      return `Refusing to replay into ${targetLabel}: it is ${hit} of this session, which would record the replayed frames into the session being replayed. Stop the recording first, or replay to the proxy's target URL directly.`;
    }
    if (hit) {
      return `Refusing to replay into ${targetLabel}: this session is still recording ${e.label}, which would record the replayed messages (${hit}) into the session being replayed. Stop the recording first, or map the destinations elsewhere (e.g. --map ${example(hit)}).`;
    }
  }
  return null;
}

function overlap(
  target: ReplayTarget,
  c: Record<string, JsonValue>,
  destinations: readonly DestinationPlan[],
  bindings: readonly DiscoveredBinding[],
): string | null {
  const strings = (v: JsonValue | undefined): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  if (target.transport === 'kafka' && c.kind === 'kafka') {
    const recorded = new Set(strings(c.brokers).map(brokerKey));
    if (!target.brokers.some((b) => recorded.has(brokerKey(b)))) return null;
    const topics = strings(c.topics);
    const hits = destinations.filter((d) => topics.some((t) => topicMatches(t, d.to)));
    return hits.length ? `topic ${hits.map((d) => d.to).join(', ')}` : null;
  }
  if (target.transport === 'amqp' && c.kind === 'amqp' && typeof c.url === 'string') {
    const u = safeUrl(c.url);
    if (!u) return null;
    const vhost = decodeURIComponent(u.pathname.replace(/^\//, '')) || '/';
    const port = Number(u.port || (u.protocol === 'amqps:' ? 5671 : 5672));
    if (hostKey(u.hostname, port) !== hostKey(target.host, target.port) || vhost !== target.vhost) return null;
    if (c.firehose === true) return 'every publish on this vhost, through the firehose tap';
    const exchanges = new Set(strings(c.exchanges));
    const queues = new Set(strings(c.queues));
    for (const d of destinations) {
      if (d.destKind === 'queue' && queues.has(d.to)) return `queue ${d.to}`;
      if (d.destKind !== 'queue' && !isDefaultExchange(d.to)) {
        if (exchanges.has(d.to)) return `exchange ${d.to}`;
        const bound = bindings.find((b) => b.source === d.to && b.destinationType === 'queue' && queues.has(b.destination));
        if (bound) return `exchange ${d.to}, bound to queue ${bound.destination}`;
      }
    }
    return null;
  }
  if ((target.transport === 'mqtt' && c.kind === 'mqtt') || (target.transport === 'nats' && c.kind === 'nats')) {
    const u = typeof c.url === 'string' ? safeUrl(c.url) : null;
    const defaultPort = c.kind === 'nats' ? 4222 : u?.protocol === 'mqtts:' ? 8883 : 1883;
    if (!u || hostKey(u.hostname.replace(/^\[|\]$/g, ''), Number(u.port || defaultPort)) !== hostKey(target.host.replace(/^\[|\]$/g, ''), target.port)) return null;
    const filters = strings(c.kind === 'nats' ? c.subjects : c.topics);
    const matches = c.kind === 'nats' ? subjectMatches : mqttFilterMatches;
    const hits = destinations.filter((d) => filters.some((f) => matches(f, d.to)));
    return hits.length ? `${c.kind === 'nats' ? 'subject' : 'topic'} ${hits.map((d) => d.to).join(', ')}` : null;
  }
  if (target.transport === 'nats' && c.kind === 'nats-proxy' && typeof c.listenPort === 'number') {
    return hostKey(target.host.replace(/^\[|\]$/g, ''), target.port) === hostKey('localhost', c.listenPort) ? `the recording proxy on port ${c.listenPort}` : null;
  }
  if (target.transport === 'ws' && c.kind === 'ws-proxy' && typeof c.listenPort === 'number') {
    const port = Number(target.url.port || (target.url.protocol === 'wss:' ? 443 : 80));
    const host = target.url.hostname.replace(/^\[|\]$/g, '');
    return hostKey(host, port) === hostKey('localhost', c.listenPort) ? `the recording proxy on port ${c.listenPort}` : null;
  }
  return null;
}

function brokerKey(b: string): string {
  const i = b.lastIndexOf(':');
  return hostKey(b.slice(0, i).replace(/^\[|\]$/g, ''), b.slice(i + 1));
}

/** A recorded topic is a name, or /regex/ as the CLI's --topic accepts. */
function topicMatches(recorded: string, topic: string): boolean {
  if (recorded.length > 2 && recorded.startsWith('/') && recorded.endsWith('/')) {
    try {
      // Anchored, as the Kafka tap reads its patterns (topics.ts).
      return new RegExp(`^(?:${recorded.slice(1, -1)})$`).test(topic);
    } catch {
      return false;
    }
  }
  return recorded === topic;
}

/** MQTT topic filter matching (MQTT 5 §4.7): `+` one level, `#` the rest (also the parent level). */
function mqttFilterMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return !(i === 0 && topic.startsWith('$'));
    if (i >= t.length) return false;
    if (f[i] === '+') {
      if (i === 0 && topic.startsWith('$')) return false;
      continue;
    }
    if (f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** NATS subject matching: `*` one token, `>` one or more trailing tokens. */
function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== '*' && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}

function safeUrl(s: string): URL | null {
  try {
    return new URL(s);
  } catch {
    return null;
  }
}

function example(hit: string): string {
  const name = hit.split(/[ ,]/)[1] ?? 'NAME';
  return `${name}=${name}-replay`;
}
