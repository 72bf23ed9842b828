import type { CapturedMessage, JsonValue } from '../../shared/model.ts';

/**
 * Message identity and naming helpers shared by pairing, undelivered detection and topology.
 */

/** Bytes hashed at each end of a large payload: identity needs to be cheap, not perfect. */
const HASH_SPAN = 32 * 1024;

/** FNV-1a over the payload (head and tail of large ones) mixed with its length. */
export function payloadHash(payload: Uint8Array): number {
  let h = 0x811c9dc5;
  const n = payload.byteLength;
  const headEnd = Math.min(n, HASH_SPAN);
  for (let i = 0; i < headEnd; i++) h = Math.imul(h ^ payload[i]!, 0x01000193);
  for (let i = Math.max(headEnd, n - HASH_SPAN); i < n; i++) h = Math.imul(h ^ payload[i]!, 0x01000193);
  h = Math.imul(h ^ (n & 0xffff), 0x01000193);
  h = Math.imul(h ^ (n >>> 16), 0x01000193);
  return h >>> 0;
}

/** What makes two records of a message "the same message": its id, else its bytes. */
export function messageIdentity(msg: CapturedMessage, messageId: string | null): string {
  if (messageId) return `m:${messageId}`;
  return `h:${payloadHash(msg.payload).toString(36)}:${msg.payload.byteLength}`;
}

export const DEFAULT_EXCHANGE = 'amq.default';

export function isDefaultExchange(name: string | null | undefined): boolean {
  return !name || name === DEFAULT_EXCHANGE;
}

/**
 * The name a user recognises for where a message went: the queue for the default
 * exchange (its routing key), `exchange → routing key` otherwise, the topic, the socket path.
 */
export function destinationLabel(msg: CapturedMessage): string {
  if (msg.transport === 'amqp' && msg.destKind === 'exchange') {
    if (isDefaultExchange(msg.destination)) return msg.routingKey || DEFAULT_EXCHANGE;
    return msg.routingKey ? `${msg.destination} → ${msg.routingKey}` : msg.destination;
  }
  return msg.destination;
}

/** AMQP `meta.routedQueues`, or null when the capture did not see routing. */
export function routedQueues(msg: CapturedMessage): string[] | null {
  const v = msg.meta?.routedQueues;
  if (!Array.isArray(v)) return null;
  return v.filter((q): q is string => typeof q === 'string');
}

export function metaString(meta: Record<string, JsonValue> | null | undefined, key: string): string | null {
  const v = meta?.[key];
  return typeof v === 'string' && v.length > 0 ? v : null;
}

export function metaNumber(meta: Record<string, JsonValue> | null | undefined, key: string): number | null {
  const v = meta?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Whether a queue or group name belongs to Flowscope's own taps. */
export function isOwnName(name: string, prefixes: readonly string[]): boolean {
  for (const p of prefixes) if (name.startsWith(p)) return true;
  return false;
}

/** ms as "850 ms", "4.2 s", "3 min". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toPrecision(ms < 10_000 ? 2 : 3))} s`;
  if (ms < 3600_000) return `${Number((ms / 60_000).toPrecision(2))} min`;
  return `${Number((ms / 3600_000).toPrecision(2))} h`;
}

