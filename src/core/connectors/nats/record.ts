import type { Msg } from 'nats';
import type { CapturedMessage, JsonValue } from '../../../shared/model.ts';

function now(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Reply subjects seen on requests, so the message later published on one is known as its
 * reply. nats.js and the NATS CLI give every request an inbox of its own, so the inbox is
 * the conversation's id; insertion order bounds the memory (oldest forgotten first).
 */
export class InboxBook {
  private readonly seen = new Map<string, true>();

  constructor(private readonly max: number) {}

  remember(subject: string): void {
    this.seen.delete(subject);
    this.seen.set(subject, true);
    if (this.seen.size > this.max) this.seen.delete(this.seen.keys().next().value!);
  }

  has(subject: string): boolean {
    return this.seen.has(subject);
  }
}

/**
 * One NATS message as Flowscope records it: the subject as the destination, the payload
 * bytes exactly, headers (repeated names as arrays), the reply subject as replyTo. A
 * request's correlation id is its reply subject; a message published on a reply subject
 * seen before carries it too, which is what pairs them. A status message (NATS/1.0 503
 * "no responders", when the tap can see one) keeps its code in meta.
 */
export function natsMessage(endpoint: string, connection: string, msg: Msg, inboxes: InboxBook): CapturedMessage {
  let headers: Record<string, JsonValue> | null = null;
  const meta: Record<string, JsonValue> = {};
  const h = msg.headers;
  if (h) {
    headers = {};
    for (const k of h.keys()) {
      const v = h.values(k);
      headers[k] = v.length === 1 ? v[0]! : v;
    }
    if (h.code) {
      meta.status = h.code;
      if (h.description) meta.statusDescription = h.description;
      if (h.code === 503) meta.noResponders = true;
    }
  }
  const reply = msg.reply || null;
  let correlationId: string | null = null;
  if (inboxes.has(msg.subject)) {
    correlationId = msg.subject;
    meta.reply = true;
  } else if (reply) {
    correlationId = reply;
  }
  if (reply) inboxes.remember(reply);
  return {
    time: now(),
    transport: 'nats',
    endpoint,
    event: 'publish',
    destKind: 'topic',
    destination: msg.subject,
    connection,
    headers: headers && Object.keys(headers).length ? headers : null,
    // nats.js hands out a view into its read buffer: keep a copy of our own.
    payload: new Uint8Array(msg.data),
    correlationId,
    replyTo: reply,
    meta: Object.keys(meta).length ? meta : null,
  };
}
