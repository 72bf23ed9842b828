import type { JsonValue } from '../../../shared/model.ts';
import type { QueueLimits } from '../../../shared/discovery.ts';

/**
 * A queue's effective dead-lettering and limits from its x-arguments and the definition of
 * the policy (and operator policy) that applies to it, merged the way RabbitMQ does
 * (https://www.rabbitmq.com/docs/parameters#policies, /docs/dlx, /docs/ttl,
 * /docs/maxlength): the argument wins for the dead-letter exchange, its routing key and
 * the overflow behaviour; of two numeric limits the lower one applies.
 */
export function queueLimits(args: Record<string, JsonValue>, policy: Record<string, JsonValue> = {}): QueueLimits {
  const out: QueueLimits = {};
  const text = (argKey: string, policyKey: string): string | undefined => {
    const a = args[argKey];
    if (typeof a === 'string') return a;
    const p = policy[policyKey];
    return typeof p === 'string' ? p : undefined;
  };
  const lowest = (argKey: string, policyKey: string): number | undefined => {
    const values = [args[argKey], policy[policyKey]].map(num).filter((n): n is number => n !== undefined);
    return values.length ? Math.min(...values) : undefined;
  };
  const dlx = text('x-dead-letter-exchange', 'dead-letter-exchange');
  if (dlx !== undefined) out.deadLetterExchange = dlx;
  const dlrk = text('x-dead-letter-routing-key', 'dead-letter-routing-key');
  if (dlrk !== undefined) out.deadLetterRoutingKey = dlrk;
  const overflow = text('x-overflow', 'overflow');
  if (overflow !== undefined) out.overflow = overflow;
  const ttl = lowest('x-message-ttl', 'message-ttl');
  if (ttl !== undefined) out.messageTtlMs = ttl;
  const maxLength = lowest('x-max-length', 'max-length');
  if (maxLength !== undefined) out.maxLength = maxLength;
  const maxBytes = lowest('x-max-length-bytes', 'max-length-bytes');
  if (maxBytes !== undefined) out.maxLengthBytes = maxBytes;
  const limit = lowest('x-delivery-limit', 'delivery-limit');
  if (limit !== undefined) out.deliveryLimit = limit;
  return out;
}

function num(v: JsonValue | undefined): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  // Arguments declared through the management UI or some clients arrive as strings.
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return undefined;
}

/** Whether the queue can lose messages nobody consumed (TTL, a length limit, a delivery limit). */
export function dropsMessages(l: QueueLimits): boolean {
  return l.messageTtlMs !== undefined || l.maxLength !== undefined || l.maxLengthBytes !== undefined || l.deliveryLimit !== undefined;
}

/** "TTL 5 s, max length 10" for a status line. */
export function describeLimits(l: QueueLimits): string {
  const parts: string[] = [];
  if (l.messageTtlMs !== undefined) parts.push(`TTL ${l.messageTtlMs} ms`);
  if (l.maxLength !== undefined) parts.push(`max length ${l.maxLength}`);
  if (l.maxLengthBytes !== undefined) parts.push(`max ${l.maxLengthBytes} bytes`);
  if (l.deliveryLimit !== undefined) parts.push(`delivery limit ${l.deliveryLimit}`);
  return parts.join(', ');
}
