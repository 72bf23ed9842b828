import type { JsonValue } from '../../shared/model.ts';

/**
 * RabbitMQ's `x-death` header, which the broker adds when it dead-letters a message
 * (https://www.rabbitmq.com/docs/dlx#effects): one entry per queue and reason, the most
 * recent first, each with the queue, the reason (expired, rejected, maxlen,
 * delivery_limit), a count, and the exchange and routing keys the message had before.
 * Read by the analysis (to link a copy to its original) and by replay (to send it back).
 */
export interface Death {
  queue: string;
  /** RabbitMQ's word: expired, rejected, maxlen, delivery_limit. */
  reason: string;
  count: number;
  /** Exchange ('' for the default one) and routing keys the message was published with before it died. */
  exchange: string;
  routingKeys: string[];
  routingKey: string | null;
}

/** The most recent entry of a message's `x-death` header, or null when it has none. */
export function deathOf(headers: Record<string, JsonValue> | null | undefined): Death | null {
  const xd = headers?.['x-death'];
  if (!Array.isArray(xd) || xd.length === 0) return null;
  const d = xd[0];
  if (!d || typeof d !== 'object' || Array.isArray(d)) return null;
  const queue = typeof d.queue === 'string' ? d.queue : null;
  if (!queue) return null;
  const rks = d['routing-keys'];
  const routingKeys = Array.isArray(rks) ? rks.filter((k): k is string => typeof k === 'string') : [];
  return {
    queue,
    reason: typeof d.reason === 'string' ? d.reason : 'dead-lettered',
    count: typeof d.count === 'number' ? d.count : 1,
    exchange: typeof d.exchange === 'string' ? d.exchange : '',
    routingKeys,
    routingKey: routingKeys[0] ?? null,
  };
}
