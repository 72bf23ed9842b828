import type { CapturedMessage } from '../../shared/model.ts';
import { isDefaultExchange, payloadHash } from './identity.ts';
import type { PendingRequest, ReplyRef } from './pair-outcomes.ts';
import type { UnansweredReason } from './pair-store.ts';

/** RabbitMQ's direct reply-to pseudo-queue; replies to it are addressed `amq.rabbitmq.reply-to.<token>`. */
export const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';

/**
 * What pairing keeps of one message with a correlation id, enough to take it later for a
 * request or a reply without holding the message (and its payload).
 */
export interface Seen extends ReplyRef {
  /** The same message seen twice has the same identity (see pairIdentity). */
  identity: Identity;
  /** The name a reply is addressed to (see replyName). */
  name: string | null;
  destination: string;
  /** Which observer saw it: endpoint and event. */
  view: string;
  /** Capture time. */
  captured: number;
}

/** A conversation decided for good, remembered to recognise duplicates and late replies. */
export interface Closed {
  kind: 'answered' | 'unanswered' | 'orphan';
  req: PendingRequest | null;
  /** The orphan itself (broker orphans), so a request coming after all can still claim it. */
  reply: Seen | null;
  /** Event time it was decided at (the reply's, or the request's for unanswered). */
  at: number;
  captured: number;
  reason: UnansweredReason | null;
  replyIdentity: Identity | null;
  views: string[];
}

/** A reply seen before any request with its id. */
export interface EarlyReply {
  key: string;
  correlationId: string;
  reply: Seen;
  /** Observers that saw it besides `reply.view` (null while there are none: most have none). */
  views: string[] | null;
  /** Counted as an orphan already (the watermark passed it); taken back if its request comes. */
  counted: boolean;
  /** Further, different replies with the same id before any request (duplicates once it comes). */
  others: Seen[] | null;
}

/** Every observer that saw a waiting reply. */
export function viewsOf(e: EarlyReply): string[] {
  return e.views ? [e.reply.view, ...e.views] : [e.reply.view];
}

/** A message id, or its payload hash and length packed into one number (a string per waiting message would cost more). */
export type Identity = string | number;

/** What makes two records of a message "the same message": its id, else its bytes. */
export function pairIdentity(m: CapturedMessage, messageId: string | null): Identity {
  if (messageId) return messageId;
  return payloadHash(m.payload) * 0x200000 + (m.payload.byteLength % 0x200000);
}

/**
 * Canonical instances of repeated names (destinations, observers): every row read from the
 * store brings its own copy, and an analysis may hold a million waiting entries naming them.
 */
export class Interner {
  private readonly names = new Map<string, string>();

  constructor(private readonly max = 50_000) {}

  get(s: string): string;
  get(s: string | null): string | null;
  get(s: string | null): string | null {
    if (s === null) return null;
    const known = this.names.get(s);
    if (known !== undefined) return known;
    if (this.names.size < this.max) this.names.set(s, s);
    return s;
  }
}

/** The name a reply is addressed to: the queue (routing key on the default exchange) or the topic. */
export function replyName(m: CapturedMessage): string | null {
  if (m.transport === 'amqp') {
    if (m.destKind === 'queue') return m.destination;
    return m.routingKey ?? (isDefaultExchange(m.destination) ? null : m.destination);
  }
  // A Kafka topic, an MQTT response topic, a NATS reply subject (inbox).
  if (m.transport === 'kafka' || m.transport === 'mqtt' || m.transport === 'nats') return m.destination;
  return null;
}

/** An implicit request taken for what it really was: a reply. */
export function asReply(req: PendingRequest): Seen {
  return {
    seq: req.seq,
    time: req.time,
    transport: req.transport,
    label: req.label,
    identity: req.identity,
    name: req.name,
    destination: req.label,
    view: req.view,
    captured: req.captured,
  };
}
