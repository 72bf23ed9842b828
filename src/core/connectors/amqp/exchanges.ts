import type { ChannelModel } from 'amqplib';

/**
 * Working out an exchange's type without the management API, and how to bind a tap so it
 * sees every message the exchange routes.
 */

const BUILTIN_TYPES: Record<string, string> = {
  'amq.direct': 'direct',
  'amq.fanout': 'fanout',
  'amq.topic': 'topic',
  'amq.headers': 'headers',
  'amq.match': 'headers',
  'amq.rabbitmq.trace': 'topic',
};

/**
 * The type of an existing exchange. AMQP has no "describe exchange" method, but RabbitMQ
 * checks the type first when an exchange is re-declared and names the current type in
 * the error: "inequivalent arg 'type' … received 'fanout' but current is 'topic'". A
 * declare that passes the type check and then fails on 'durable' confirms the type we
 * sent. Each attempt runs on its own throwaway channel because the error closes it.
 * The exchange is checked passively first (a missing one rejects with amqplib's 404
 * "NOT_FOUND - no exchange …") so this does not create one; only an exchange deleted in
 * the milliseconds between the two calls would be re-created.
 */
export async function probeExchangeType(conn: ChannelModel, name: string): Promise<string> {
  const builtin = BUILTIN_TYPES[name];
  if (builtin) return builtin;
  await onThrowaway(conn, (ch) => ch.checkExchange(name));
  try {
    await onThrowaway(conn, (ch) => ch.assertExchange(name, 'fanout', { durable: true }));
    // Same type and flags: the declare was a no-op on the existing exchange.
    return 'fanout';
  } catch (err) {
    const text = (err as Error).message;
    const current = /inequivalent arg 'type'.*current is '([^']+)'/.exec(text);
    if (current) return current[1]!;
    // The type check passed; another property (durable, internal, arguments) differs.
    if (/inequivalent arg '[^']+'/.test(text)) return 'fanout';
    // No configure permission: the type stays unknown, and planTap's '#' still covers
    // topic, fanout and headers exchanges.
    if ((err as { code?: number }).code === 403) return 'unknown';
    throw err;
  }
}

/** Runs one operation on a channel of its own, so a channel-closing error hurts nothing else. */
export async function onThrowaway<T>(conn: ChannelModel, fn: (ch: Awaited<ReturnType<ChannelModel['createChannel']>>) => Promise<T>): Promise<T> {
  const ch = await conn.createChannel();
  ch.on('error', () => {
    /* the rejected operation below reports it */
  });
  try {
    return await fn(ch);
  } finally {
    // A channel error has closed it already; that error is what `fn` rejected with.
    await ch.close().catch(() => {});
  }
}

export interface TapPlan {
  /** Bindings to make from the exchange to the tap queue. */
  bindings: { pattern: string; args?: Record<string, unknown> }[];
  /** Whether the bindings see every message the exchange routes. */
  complete: boolean;
  /** One line for the status message. */
  note: string;
}

/**
 * How to see every message an exchange routes:
 * - topic: `#` matches every routing key (including the empty one).
 * - fanout: ignores the key; one binding gets everything.
 * - headers: a binding with `x-match: all` and no other arguments matches every message
 *   (all of zero conditions hold), with or without headers.
 * - direct: matches keys exactly and has no wildcard, so only the keys we know (from the
 *   management API's bindings or the firehose) can be bound; other keys need the firehose.
 * - others (plugins, or a type we could not learn): `#` with no arguments is the best
 *   guess: it covers topic, fanout and headers, and misses direct keys.
 */
export function planTap(exchange: string, type: string, knownKeys: Iterable<string>): TapPlan {
  switch (type) {
    case 'topic':
      return { bindings: [{ pattern: '#' }], complete: true, note: `topic exchange '${exchange}' (all keys)` };
    case 'fanout':
      return { bindings: [{ pattern: '' }], complete: true, note: `fanout exchange '${exchange}'` };
    case 'headers':
      return {
        bindings: [{ pattern: '', args: { 'x-match': 'all' } }],
        complete: true,
        note: `headers exchange '${exchange}' (all messages)`,
      };
    case 'direct': {
      const keys = [...new Set(knownKeys)].sort();
      const shown = keys.length > 5 ? `${keys.slice(0, 5).join(', ')} and ${keys.length - 5} more` : keys.join(', ');
      return {
        bindings: keys.map((k) => ({ pattern: k })),
        complete: false,
        note: keys.length
          ? `direct exchange '${exchange}' (keys ${shown}; other keys are only seen with the firehose)`
          : `direct exchange '${exchange}' (no routing keys known yet; its messages are only seen with the firehose)`,
      };
    }
    default:
      // '#' without arguments matches everything on topic, fanout and headers exchanges.
      return {
        bindings: [{ pattern: '#' }],
        complete: false,
        note: `${type === 'unknown' ? 'exchange of unknown type' : `'${type}' exchange`} '${exchange}' (tapped with '#', may miss messages; the firehose sees all)`,
      };
  }
}
