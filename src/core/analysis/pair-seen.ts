import type { CapturedMessage } from '../../shared/model.ts';
import { isDefaultExchange } from './identity.ts';
import type { PendingRequest, ReplyRef } from './pair-outcomes.ts';

/** RabbitMQ's direct reply-to pseudo-queue; replies to it are addressed `amq.rabbitmq.reply-to.<token>`. */
export const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';

/**
 * What pairing keeps of one message with a correlation id, enough to take it later for a
 * request or a reply without holding the message (and its payload).
 */
export interface Seen extends ReplyRef {
  /** Message id, else payload hash: the same message seen twice has the same identity. */
  identity: string;
  /** The name a reply is addressed to (see replyName). */
  name: string | null;
  destination: string;
  /** Which observer saw it: endpoint and event. */
  view: string;
  /** Capture time. */
  captured: number;
}

/** The name a reply is addressed to: the queue (routing key on the default exchange) or the topic. */
export function replyName(m: CapturedMessage): string | null {
  if (m.transport === 'amqp') {
    if (m.destKind === 'queue') return m.destination;
    return m.routingKey ?? (isDefaultExchange(m.destination) ? null : m.destination);
  }
  if (m.transport === 'kafka') return m.destination;
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
