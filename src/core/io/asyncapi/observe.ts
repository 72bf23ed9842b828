import { isUtf8 } from 'node:buffer';
import type { JsonValue, StoredMessage, Transport } from '../../../shared/model.ts';
import { nestedDeeperThan } from '../validate.ts';
import { Shape } from './schema-infer.ts';

/**
 * What one pass over a session observes for an AsyncAPI document: each channel (a topic, an
 * exchange with a routing key, a queue, a socket path, an MQTT topic, a NATS subject) per
 * endpoint, who sent and received on it, its kinds of message with a schema inferred from
 * their payloads and a few examples, and which requests were answered on which channel.
 * Memory is bounded by the caps below, not by the session's size.
 */

export type Action = 'send' | 'receive';

/** Most kinds of message told apart on one channel; the rest are one "other" message. */
const MAX_MESSAGES_PER_CHANNEL = 12;
const MAX_CHANNELS = 2000;
const MAX_EXAMPLES = 2;
const MAX_EXAMPLE_BYTES = 4096;
/** Payloads above this size are counted, not parsed for a schema. */
const MAX_PARSED_BYTES = 1024 * 1024;
/** Requests remembered while waiting for their reply (oldest forgotten first). */
const MAX_OPEN_REQUESTS = 100_000;
const MAX_PARTIES = 20;

export interface ObservedMessage {
  key: string;
  name: string;
  count: number;
  json: number;
  text: number;
  binary: number;
  shape: Shape;
  headers: Shape | null;
  contentType: string | null;
  examples: JsonValue[];
  correlated: number;
}

export interface ObservedOperation {
  action: Action;
  count: number;
  /** Producer or consumer identities (connection, consumer tag, client id), bounded. */
  parties: Set<string>;
  messages: Set<string>;
  /** Where its requests were answered: reply channel key → the reply messages' keys. */
  replies: Map<string, Set<string>>;
  /** Its requests named where to reply (replyTo, a response topic, a NATS inbox). */
  replyAddressed: boolean;
}

export interface ObservedChannel {
  key: string;
  endpoint: string;
  transport: Transport;
  /** null: a per-request address nobody can know beforehand (NATS reply inboxes). */
  address: string | null;
  amqp: { is: 'routingKey'; exchange: string } | { is: 'queue'; queue: string } | null;
  messages: Map<string, ObservedMessage>;
  operations: Map<Action, ObservedOperation>;
}

interface OpenRequest {
  channel: string;
  action: Action;
  replyTo: string | null;
  connection: string | null;
}

export class Observation {
  readonly channels = new Map<string, ObservedChannel>();
  /** Endpoints that carried messages, with their transports. */
  readonly endpoints = new Map<string, Transport>();
  /** The URL each WebSocket endpoint's connections went to (their `open` facts' target). */
  readonly targets = new Map<string, string>();
  count = 0;
  first = Infinity;
  last = -Infinity;
  private readonly open = new Map<string, OpenRequest>();

  add(m: StoredMessage): void {
    if (m.event === 'open' && typeof m.meta?.target === 'string' && !this.targets.has(m.endpoint)) this.targets.set(m.endpoint, m.meta.target);
    const place = channelOf(m);
    if (!place) return;
    let ch = this.channels.get(place.key);
    if (!ch) {
      if (this.channels.size >= MAX_CHANNELS) return;
      ch = { ...place, endpoint: m.endpoint, transport: m.transport, messages: new Map(), operations: new Map() };
      this.channels.set(place.key, ch);
    }
    this.endpoints.set(m.endpoint, m.transport);
    this.count += 1;
    this.first = Math.min(this.first, m.time);
    this.last = Math.max(this.last, m.time);

    const action = place.action;
    const parsed = parse(m.payload);
    const msg = this.message(ch, messageKind(parsed, action));
    msg.count += 1;
    if (parsed.kind === 'json') {
      msg.json += 1;
      msg.shape.add(parsed.value);
    } else if (parsed.kind === 'text') msg.text += 1;
    else msg.binary += 1;
    if (m.headers && Object.keys(m.headers).length > 0) (msg.headers ??= new Shape()).add(m.headers);
    const ct = m.properties?.contentType ?? m.headers?.['content-type'] ?? m.headers?.['Content-Type'];
    if (typeof ct === 'string' && !msg.contentType) msg.contentType = ct;
    if (m.correlationId) msg.correlated += 1;
    if (msg.examples.length < MAX_EXAMPLES && parsed.example !== undefined && !msg.examples.some((e) => JSON.stringify(e) === JSON.stringify(parsed.example))) {
      msg.examples.push(parsed.example);
    }

    let op = ch.operations.get(action);
    if (!op) {
      op = { action, count: 0, parties: new Set(), messages: new Set(), replies: new Map(), replyAddressed: false };
      ch.operations.set(action, op);
    }
    op.count += 1;
    op.messages.add(msg.key);
    if (m.connection && op.parties.size < MAX_PARTIES) op.parties.add(m.connection);
    this.pair(m, ch, action, msg.key);
  }

  private message(ch: ObservedChannel, kind: { key: string; name: string }): ObservedMessage {
    let msg = ch.messages.get(kind.key);
    if (!msg && ch.messages.size >= MAX_MESSAGES_PER_CHANNEL) {
      kind = { key: 'other', name: 'other' };
      msg = ch.messages.get('other');
    }
    if (!msg) {
      msg = { key: kind.key, name: kind.name, count: 0, json: 0, text: 0, binary: 0, shape: new Shape(), headers: null, contentType: null, examples: [], correlated: 0 };
      ch.messages.set(kind.key, msg);
    }
    return msg;
  }

  /**
   * Request/reply as the analysis pairs them: a message with a correlation id is a request
   * until a message with the same id answers it: on a WebSocket the other direction of the
   * same connection; on a broker a later publish on another channel (the one the request's
   * replyTo named, when it named one). A delivery of the request itself is no reply.
   */
  private pair(m: StoredMessage, ch: ObservedChannel, action: Action, msgKey: string): void {
    if (!m.correlationId) return;
    const ws = m.transport === 'ws';
    if (!ws && m.event !== 'publish') return;
    const id = `${m.transport}\u0000${ws ? `${m.endpoint}\u0000${m.connection ?? ''}` : ''}\u0000${m.correlationId}`;
    const req = this.open.get(id);
    const answers =
      req &&
      (ws
        ? req.action !== action && req.connection === (m.connection ?? null)
        : req.channel !== ch.key && (req.replyTo === null || req.replyTo === m.destination || req.replyTo === m.routingKey));
    if (req && answers) {
      this.open.delete(id);
      const op = this.channels.get(req.channel)?.operations.get(req.action);
      if (!op) return;
      let replies = op.replies.get(ch.key);
      if (!replies) op.replies.set(ch.key, (replies = new Set()));
      replies.add(msgKey);
      if (req.replyTo !== null) op.replyAddressed = true;
      return;
    }
    if (req) return;
    if (this.open.size >= MAX_OPEN_REQUESTS) this.open.delete(this.open.keys().next().value!);
    this.open.set(id, { channel: ch.key, action, replyTo: m.replyTo ?? null, connection: m.connection ?? null });
  }
}

/** The channel a message is on and what it was to the system: sent to it or received from it. */
function channelOf(m: StoredMessage): Omit<ObservedChannel, 'endpoint' | 'transport' | 'messages' | 'operations'> & { action: Action } | null {
  const base = `${m.transport}\u0000${m.endpoint}\u0000`;
  switch (m.transport) {
    case 'ws':
      // Named from the client's side, as the recorder names the directions.
      if (m.event !== 'frame-out' && m.event !== 'frame-in') return null;
      return { key: `${base}${m.destination}`, address: m.destination, amqp: null, action: m.event === 'frame-out' ? 'send' : 'receive' };
    case 'amqp':
      if (m.event === 'publish') {
        const exchange = m.destination === 'amq.default' ? '' : m.destination;
        const rk = m.routingKey ?? '';
        return { key: `${base}x\u0000${exchange}\u0000${rk}`, address: rk, amqp: { is: 'routingKey', exchange }, action: 'send' };
      }
      if (m.event === 'deliver') return { key: `${base}q\u0000${m.destination}`, address: m.destination, amqp: { is: 'queue', queue: m.destination }, action: 'receive' };
      return null;
    case 'nats':
      if (m.event !== 'publish' && m.event !== 'deliver') return null;
      // A reply goes to the requester's inbox, a new subject per request (`_INBOX.<id>.<n>`):
      // one channel per requester (the subject less its last token, as the Flow graph groups
      // them), its address dynamic.
      if (m.meta?.reply === true) {
        const cut = m.destination.lastIndexOf('.');
        return { key: `${base}inbox\u0000${cut > 0 ? m.destination.slice(0, cut) : m.destination}`, address: null, amqp: null, action: m.event === 'publish' ? 'send' : 'receive' };
      }
      return { key: `${base}${m.destination}`, address: m.destination, amqp: null, action: m.event === 'publish' ? 'send' : 'receive' };
    default:
      if (m.event !== 'publish' && m.event !== 'deliver') return null;
      return { key: `${base}${m.destination}`, address: m.destination, amqp: null, action: m.event === 'publish' ? 'send' : 'receive' };
  }
}

type Parsed = { kind: 'json'; value: JsonValue; example: JsonValue | undefined } | { kind: 'text'; example: string | undefined } | { kind: 'binary'; example: undefined };

function parse(payload: Uint8Array): Parsed {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (!isUtf8(buf)) return { kind: 'binary', example: undefined };
  const small = buf.byteLength <= MAX_EXAMPLE_BYTES;
  if (buf.byteLength <= MAX_PARSED_BYTES) {
    const text = buf.toString('utf8');
    const first = text.trimStart()[0];
    if (first === '{' || first === '[') {
      try {
        const value = JSON.parse(text) as JsonValue;
        return { kind: 'json', value, example: small && !nestedDeeperThan(value, 16) ? value : undefined };
      } catch {
        // Text that only looks like JSON.
      }
    }
    return { kind: 'text', example: small ? text : undefined };
  }
  return { kind: 'text', example: undefined };
}

/**
 * Which kind of message a payload is, so a channel lists its requests by method and its
 * events by type: JSON-RPC `method`, a reply (`result`/`error` with an `id`), a `type` or
 * `event` field, else one message per direction.
 */
function messageKind(p: Parsed, action: Action): { key: string; name: string } {
  if (p.kind === 'json' && p.value !== null && typeof p.value === 'object' && !Array.isArray(p.value)) {
    const o = p.value;
    if (typeof o.method === 'string' && o.method.length <= 64) return { key: `method:${o.method}`, name: o.method };
    if ('id' in o && ('result' in o || 'error' in o)) return { key: 'reply', name: 'reply' };
    for (const f of ['type', 'event', 'kind'] as const) {
      const v = o[f];
      if (typeof v === 'string' && v.length > 0 && v.length <= 64) return { key: `${f}:${v}`, name: v };
    }
  }
  return { key: action, name: action === 'send' ? 'sent' : 'received' };
}
