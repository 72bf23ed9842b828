import type { Msg } from 'nats';
import type { CapturedMessage, JsonValue } from '../../../shared/model.ts';
import { setOwn } from '../../common/own-key.ts';
import { jetstreamMeta } from './jetstream.ts';

function now(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Reply subjects seen on requests, so the message later published on one is known as its
 * reply. nats.js and the NATS CLI give every request an inbox of its own, so the inbox is
 * the conversation's id; insertion order bounds the memory (oldest forgotten first).
 */
export class InboxBook {
  /** Reply subject → the subject of the request that named it. */
  private readonly seen = new Map<string, string>();

  constructor(private readonly max: number) {}

  remember(reply: string, requestSubject: string): void {
    this.seen.delete(reply);
    this.seen.set(reply, requestSubject);
    if (this.seen.size > this.max) this.seen.delete(this.seen.keys().next().value!);
  }

  has(subject: string): boolean {
    return this.seen.has(subject);
  }

  requestSubject(reply: string): string | null {
    return this.seen.get(reply) ?? null;
  }
}

/** A NATS message as read from nats.js or from the wire. */
export interface NatsFields {
  subject: string;
  reply: string | null;
  /** Header names in order, each with every value sent; null when none. */
  headers: Iterable<[string, string[]]> | null;
  /** Status of a status message (`NATS/1.0 503`). */
  code: number | null;
  description: string | null;
  data: Uint8Array;
}

/** A nats.js message's fields, its payload copied (nats.js hands out a view into its read buffer). */
export function natsFields(msg: Msg): NatsFields {
  const h = msg.headers;
  return {
    subject: msg.subject,
    reply: msg.reply || null,
    headers: h ? [...h.keys()].map((k) => [k, h.values(k)] as [string, string[]]) : null,
    code: h?.code || null,
    description: h?.description || null,
    data: new Uint8Array(msg.data),
  };
}

/**
 * One NATS message as Flowscope records it: the subject as the destination, the payload
 * bytes exactly, headers (repeated names as arrays), the reply subject as replyTo. A
 * request's correlation id is its reply subject; a message published on a reply subject
 * seen before carries it too, which is what pairs them. A status message (NATS/1.0 503
 * "no responders", which only the requester's own connection receives: the proxy sees it)
 * keeps its code in meta. `event`: publish (a client sent it) or deliver (the server handed it
 * to a client of the proxy).
 */
export function natsRecord(endpoint: string, connection: string, f: NatsFields, inboxes: InboxBook, event: 'publish' | 'deliver' = 'publish'): CapturedMessage {
  let headers: Record<string, JsonValue> | null = null;
  const meta: Record<string, JsonValue> = {};
  if (f.headers) {
    headers = {};
    // Any header name is data, `__proto__` too (see setOwn).
    for (const [k, v] of f.headers) setOwn(headers, k, v.length === 1 ? v[0]! : v);
  }
  if (f.code) {
    meta.status = f.code;
    if (f.description) meta.statusDescription = f.description;
    if (f.code === 503) meta.noResponders = true;
  }
  const reply = f.reply || null;
  let correlationId: string | null = null;
  const isReply = inboxes.has(f.subject);
  const js = jetstreamMeta(f.subject, reply, f.data, isReply ? inboxes.requestSubject(f.subject) : null);
  if (js) Object.assign(meta, js);
  if (js?.js === 'delivery') {
    // JetStream handing a stored message to a consumer: its reply subject is the ack
    // subject, not a conversation, and the message was published (and paired) before.
    event = 'deliver';
  } else if (isReply) {
    correlationId = f.subject;
    meta.reply = true;
  } else if (reply) {
    correlationId = reply;
  }
  if (reply && js?.js !== 'delivery') inboxes.remember(reply, f.subject);
  return {
    time: now(),
    transport: 'nats',
    endpoint,
    event,
    destKind: 'topic',
    destination: f.subject,
    connection,
    headers: headers && Object.keys(headers).length ? headers : null,
    payload: f.data,
    correlationId,
    replyTo: reply,
    meta: Object.keys(meta).length ? meta : null,
  };
}
