import type { CapturedMessage } from '../../shared/model.ts';
import type { DeadLetterLink } from '../../shared/views.ts';
import type { Death } from '../decode/x-death.ts';
import { isDefaultExchange } from './identity.ts';
import type { UndeliveredReason } from './undelivered-sink.ts';

/**
 * RabbitMQ facts that change what "delivered" means: dead-lettering (`x-death`,
 * https://www.rabbitmq.com/docs/dlx) and pseudo-destinations that deliver without a queue.
 */

export { deathOf, type Death } from '../decode/x-death.ts';

/**
 * Direct reply-to (https://www.rabbitmq.com/docs/direct-reply-to): a reply published to
 * `amq.rabbitmq.reply-to.<token>` through the default exchange goes straight to the
 * requesting channel. No queue is involved, so the firehose shows it routed nowhere
 * (newer brokers may name a volatile pseudo-queue instead) and never traces a delivery.
 * Such a publish is delivered, not unroutable (the same false alarm as rabbitmq-server #6124).
 */
export const DIRECT_REPLY_PREFIX = 'amq.rabbitmq.reply-to.';

export function isDirectReply(m: CapturedMessage): boolean {
  return m.transport === 'amqp' && isDefaultExchange(m.destination) && (m.routingKey ?? '').startsWith(DIRECT_REPLY_PREFIX);
}

/**
 * Routed queues whose deliveries cannot be seen and must not be waited for: direct
 * reply-to pseudo-queues, and queues the connector marked untraced (streams).
 */
export function unwatchedQueues(m: CapturedMessage): Set<string> {
  const out = new Set<string>();
  const v = m.meta?.untracedQueues;
  if (Array.isArray(v)) for (const q of v) if (typeof q === 'string') out.add(q);
  return out;
}

export function isPseudoQueue(name: string): boolean {
  return name.startsWith(DIRECT_REPLY_PREFIX);
}

/** RabbitMQ's dead-letter reason as an undelivered reason. */
export function deathReason(reason: string): UndeliveredReason {
  switch (reason) {
    case 'expired':
      return 'expired';
    case 'rejected':
      return 'rejected';
    case 'maxlen':
      return 'max-length';
    case 'delivery_limit':
      return 'delivery-limit';
    default:
      return 'dead-lettered';
  }
}

/** One line for the user: why it left the queue, and where it went. */
export function deathExplanation(link: DeadLetterLink): string {
  const q = `"${link.queue}"`;
  const times = link.count > 1 ? ` (${link.count} times)` : '';
  const why = ((): string => {
    switch (link.reason) {
      case 'expired':
        return `Expired in queue ${q}${times} (message TTL) before any consumer received it`;
      case 'rejected':
        return `Rejected by a consumer of queue ${q}${times} without requeue (basic.reject or basic.nack)`;
      case 'maxlen':
        return `Pushed out of queue ${q}${times} by its length limit (x-max-length) before any consumer received it`;
      case 'delivery_limit':
        return `Redelivered from queue ${q} more often than its delivery limit allows`;
      default:
        return `Dead-lettered from queue ${q}${times} (${link.reason})`;
    }
  })();
  const key = link.deadLetterRoutingKey ? ` with routing key "${link.deadLetterRoutingKey}"` : '';
  const into = link.deadLetterQueues.length ? `, into queue ${link.deadLetterQueues.map((x) => `"${x}"`).join(', ')}` : '';
  return `${why}; dead-lettered to exchange "${link.deadLetterExchange}"${key}${into}.`;
}

/** The link from an original to the recorded dead-lettered copy `m`. */
export function deadLetterLink(m: CapturedMessage & { seq: number }, d: Death): DeadLetterLink {
  const fromQueue = m.event === 'deliver' && m.destKind === 'queue';
  const exchange = fromQueue ? (typeof m.meta?.exchange === 'string' ? m.meta.exchange : '') : m.destination;
  const queues = fromQueue ? [m.destination] : Array.isArray(m.meta?.deadLetterQueues) ? m.meta.deadLetterQueues.filter((q): q is string => typeof q === 'string') : [];
  return {
    seq: m.seq,
    queue: d.queue,
    reason: d.reason,
    count: d.count,
    exchange: d.exchange === '' ? 'amq.default' : d.exchange,
    routingKeys: d.routingKeys,
    deadLetterExchange: exchange === '' ? 'amq.default' : exchange,
    deadLetterRoutingKey: m.routingKey ?? null,
    deadLetterQueues: queues,
  };
}

/** The label of where the original went (as destinationLabel would have named its publish). */
export function originLabel(link: DeadLetterLink): string {
  const rk = link.routingKeys[0] ?? '';
  if (isDefaultExchange(link.exchange)) return rk || 'amq.default';
  return rk ? `${link.exchange} → ${rk}` : link.exchange;
}
