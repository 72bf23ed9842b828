import type { JsonValue, Transport } from '../../../shared/model.ts';
import type { EndpointRecord } from '../../store/session-store.ts';
import type { Observation, ObservedChannel, ObservedMessage, ObservedOperation } from './observe.ts';

/**
 * An AsyncAPI 3.0.0 document (https://www.asyncapi.com/docs/reference/specification/v3.0.0)
 * of what a session observed: a server per endpoint, a channel per destination, an operation
 * per direction seen on it (with `reply` where its requests were answered), and its messages
 * with an inferred payload schema and examples. It describes traffic, not promises: a field
 * marked required was present in every message seen, nothing more.
 */

const PROTOCOL: Record<Transport, string> = { kafka: 'kafka', amqp: 'amqp', ws: 'ws', mqtt: 'mqtt', nats: 'nats' };

/** Keys of servers, channels, operations and messages must match `^[\w\d.\-_]+$`. */
function ident(s: string): string {
  const out = s.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^_+|_+$/g, '');
  return out.slice(0, 100) || 'x';
}

/** Gives each name a unique identifier, suffixing a number where two sanitise alike. */
class Names {
  private readonly used = new Set<string>();
  private readonly byKey = new Map<string, string>();
  take(key: string, wanted: string): string {
    const known = this.byKey.get(key);
    if (known) return known;
    let id = ident(wanted);
    for (let n = 2; this.used.has(id); n++) id = `${ident(wanted)}_${n}`;
    this.used.add(id);
    this.byKey.set(key, id);
    return id;
  }
  get(key: string): string | undefined {
    return this.byKey.get(key);
  }
}

function serverOf(id: string, transport: Transport, record: EndpointRecord | undefined, target: string | undefined): Record<string, JsonValue> {
  const config: Record<string, JsonValue> = { ...record?.config };
  if (target && typeof config.target !== 'string') config.target = target;
  let host: string | null = null;
  let protocol = PROTOCOL[transport];
  for (const k of ['target', 'url'] as const) {
    const v = config[k];
    if (typeof v !== 'string' || host) continue;
    try {
      const u = new URL(v);
      if (u.host) host = u.host;
      if (u.protocol === 'wss:' || u.protocol === 'amqps:' || u.protocol === 'mqtts:') protocol = u.protocol.slice(0, -1);
    } catch {
      // Not a URL: the next candidate.
    }
  }
  const brokers = Array.isArray(config.brokers) ? config.brokers.filter((b): b is string => typeof b === 'string') : [];
  host ??= brokers[0] ?? id;
  const server: Record<string, JsonValue> = { host, protocol };
  const description = [record?.label, brokers.length > 1 ? `brokers: ${brokers.join(', ')}` : null].filter(Boolean).join('; ');
  if (description) server.description = description;
  return server;
}

function messageObject(m: ObservedMessage): Record<string, JsonValue> {
  let payload: Record<string, JsonValue>;
  let contentType = m.contentType;
  if (m.json === m.count) {
    payload = m.shape.schema();
    contentType ??= 'application/json';
  } else if (m.binary > 0) {
    payload = { type: 'string', format: 'binary', description: m.binary === m.count ? 'Binary payload' : 'Binary or text payload' };
    contentType ??= 'application/octet-stream';
  } else {
    payload = { type: 'string' };
    contentType ??= 'text/plain';
  }
  const out: Record<string, JsonValue> = {
    name: m.name,
    summary: `Observed ${m.count} time${m.count === 1 ? '' : 's'}.`,
    contentType,
    payload,
  };
  if (m.headers) out.headers = m.headers.schema();
  if (m.examples.length) out.examples = m.examples.map((payload, i) => ({ name: `observed_${i + 1}`, payload }));
  return out;
}

/** Builds the document. `title` names the session; `version` is Flowscope's. */
export function asyncApiDocument(obs: Observation, endpoints: EndpointRecord[], opts: { title: string; version: string }): Record<string, JsonValue> {
  const records = new Map(endpoints.map((e) => [e.id, e]));
  const serverNames = new Names();
  const servers: Record<string, JsonValue> = {};
  for (const [id, transport] of obs.endpoints) {
    const name = serverNames.take(id, id);
    servers[name] = serverOf(id, transport, records.get(id), obs.targets.get(id));
  }

  const channelNames = new Names();
  const sorted = [...obs.channels.values()].sort((a, b) => (a.endpoint === b.endpoint ? String(a.address).localeCompare(String(b.address)) : a.endpoint.localeCompare(b.endpoint)));
  const messageNames = new Map<string, Names>();
  for (const ch of sorted) {
    channelNames.take(ch.key, channelName(ch));
    const names = new Names();
    for (const m of ch.messages.values()) names.take(m.key, m.name);
    messageNames.set(ch.key, names);
  }
  const channelRef = (key: string) => ({ $ref: `#/channels/${channelNames.get(key)!}` });
  const messageRef = (chKey: string, msgKey: string) => ({ $ref: `#/channels/${channelNames.get(chKey)!}/messages/${messageNames.get(chKey)!.get(msgKey)!}` });

  const channels: Record<string, JsonValue> = {};
  const operations: Record<string, JsonValue> = {};
  const operationNames = new Names();
  for (const ch of sorted) {
    const id = channelNames.get(ch.key)!;
    const messages: Record<string, JsonValue> = {};
    for (const m of ch.messages.values()) messages[messageNames.get(ch.key)!.get(m.key)!] = messageObject(m);
    const channel: Record<string, JsonValue> = {
      address: ch.address,
      title: channelTitle(ch),
      servers: [{ $ref: `#/servers/${serverNames.get(ch.endpoint)!}` }],
      messages,
    };
    if (ch.address === null) channel.description = `A requester's reply inboxes (${ch.key.split('\u0000').at(-1)}.…), a new subject per request: the address is known only at run time.`;
    if (ch.amqp) {
      channel.bindings = {
        amqp: ch.amqp.is === 'routingKey' ? { is: 'routingKey', exchange: { name: ch.amqp.exchange || 'amq.default' }, bindingVersion: '0.3.0' } : { is: 'queue', queue: { name: ch.amqp.queue }, bindingVersion: '0.3.0' },
      };
    }
    channels[id] = channel;
    for (const op of ch.operations.values()) {
      operations[operationNames.take(`${ch.key}\u0000${op.action}`, `${op.action}_${id}`)] = operationObject(ch, op, channelRef, messageRef);
    }
  }

  const span = Number.isFinite(obs.first) ? ` between ${new Date(obs.first).toISOString()} and ${new Date(obs.last).toISOString()}` : '';
  return {
    asyncapi: '3.0.0',
    info: {
      title: opts.title,
      version: '1.0.0',
      description: `Generated by Flowscope ${opts.version} from ${obs.count} messages observed${span}. It describes the traffic that was seen: channels, who sent and received on them, message schemas inferred from the payloads (a field is required when every message seen had it), and request/reply where replies were matched to requests.`,
    },
    servers,
    channels,
    operations,
  };
}

function operationObject(
  ch: ObservedChannel,
  op: ObservedOperation,
  channelRef: (key: string) => JsonValue,
  messageRef: (ch: string, msg: string) => JsonValue,
): Record<string, JsonValue> {
  const who = ch.transport === 'ws' ? (op.action === 'send' ? 'clients' : 'the server') : op.action === 'send' ? 'producers' : 'consumers';
  const out: Record<string, JsonValue> = {
    action: op.action,
    channel: channelRef(ch.key),
    summary: `${op.count} message${op.count === 1 ? '' : 's'} ${op.action === 'send' ? 'sent' : 'received'}${ch.transport === 'ws' ? (op.action === 'send' ? ' by clients' : ' from the server') : ''}.`,
    messages: [...op.messages].map((k) => messageRef(ch.key, k)),
  };
  if (op.parties.size > 0) out.description = `Observed ${who}: ${[...op.parties].sort().join(', ')}.`;
  // AsyncAPI allows one reply per operation: the channel most of its requests were answered on.
  const reply = [...op.replies.entries()].sort((a, b) => b[1].size - a[1].size)[0];
  if (reply) {
    const [replyChannel, replyMessages] = reply;
    const r: Record<string, JsonValue> = {
      channel: channelRef(replyChannel),
      messages: [...replyMessages].map((k) => messageRef(replyChannel, k)),
    };
    // The request named its reply destination (AMQP reply_to, an MQTT response topic, a NATS inbox).
    if (op.replyAddressed) r.address = { location: '$message.header#/replyTo', description: 'The reply goes where the request names it.' };
    out.reply = r;
  }
  return out;
}

function channelName(ch: ObservedChannel): string {
  const where = ch.address ?? 'inbox';
  if (ch.amqp?.is === 'routingKey') return `${ch.endpoint}.${ch.amqp.exchange || 'default'}.${where || 'all'}`;
  if (ch.amqp?.is === 'queue') return `${ch.endpoint}.queue.${where}`;
  return `${ch.endpoint}.${where === '/' ? 'root' : where}`;
}

function channelTitle(ch: ObservedChannel): string {
  switch (ch.transport) {
    case 'ws':
      return `WebSocket ${ch.address}`;
    case 'amqp':
      return ch.amqp?.is === 'queue' ? `Queue ${ch.address}` : `Exchange ${ch.amqp?.is === 'routingKey' && ch.amqp.exchange ? ch.amqp.exchange : '(default)'}, routing key ${ch.address || '(empty)'}`;
    case 'kafka':
      return `Kafka topic ${ch.address}`;
    case 'mqtt':
      return `MQTT topic ${ch.address}`;
    case 'nats':
      return ch.address === null ? 'NATS reply inboxes' : `NATS subject ${ch.address}`;
  }
}
