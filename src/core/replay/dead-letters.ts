import { createHash } from 'node:crypto';
import type { JsonValue, StoredMessage } from '../../shared/model.ts';
import { setOwn } from '../common/own-key.ts';
import type { MessageFilter } from '../../shared/filter.ts';
import type { SessionStore } from '../store/session-store.ts';
import { deathOf } from '../decode/x-death.ts';
import type { Death } from '../decode/x-death.ts';
import { mapItem } from './select.ts';
import type { Selection } from './select.ts';
import type { DeadLetterNarrowing, DestinationPlan, ReplayItem } from './types.ts';

/**
 * "Send back to origin": re-publishing dead-lettered copies to the exchange and routing key
 * they were first published with, as their `x-death` header records them
 * (https://www.rabbitmq.com/docs/dlx#effects).
 *
 * A dead-lettering may be recorded twice (the tap of the dead-letter exchange and a
 * delivery from the dead-letter queue); each is sent once, the first record of it. A
 * firehose publish is never a dead-lettering (the broker does not trace those), so one
 * carrying `x-death` is an application's own re-publish and is left alone. The headers the
 * broker added when it dead-lettered the message (x-death, x-first-death-*, x-last-death-*)
 * are left out, so the message starts afresh: the broker would otherwise count the next
 * dead-lettering onto the old history.
 */

/** The most dead-lettered copies one replay sends back (an SQL IN list of seqs). */
const MAX_COPIES = 20_000;

const BROKER_HEADERS = /^x-(death|first-death-.+|last-death-.+)$/;

export function selectDeadLetters(
  store: SessionStore,
  userFilter: MessageFilter,
  upToSeq: number,
  map: Record<string, string>,
  narrow: DeadLetterNarrowing,
): Selection {
  const base: MessageFilter = { ...userFilter, transports: ['amqp'], header: { name: 'x-death' } };
  if (!base.events) base.events = ['publish', 'deliver'];
  // Payloads are read for the identity hash; the store streams them, nothing is held.
  const rows = store.iterate(base);
  const seen = new Set<string>();
  const seqs: number[] = [];
  const deaths = new Map<number, Death>();
  let firstTime: number | null = null;
  let lastTime: number | null = null;
  let more = 0;
  for (const r of rows) {
    if (r.seq > upToSeq) break;
    const d = deathOf(r.headers);
    if (!d) continue;
    if (r.event === 'publish' && r.meta?.source === 'firehose') continue;
    if (narrow.queue !== undefined && d.queue !== narrow.queue) continue;
    if (narrow.reason !== undefined && d.reason !== narrow.reason) continue;
    const identity = r.messageId ? `m:${r.messageId}` : `h:${createHash('sha1').update(r.payload).digest('base64')}`;
    const key = `${identity}|${d.queue}|${d.count}|${d.reason}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (seqs.length >= MAX_COPIES) {
      more += 1;
      continue;
    }
    seqs.push(r.seq);
    deaths.set(r.seq, d);
    firstTime ??= r.time;
    lastTime = r.time;
  }

  const route = (msg: StoredMessage): Pick<ReplayItem, 'destination' | 'routingKey' | 'label' | 'headers'> => {
    const d = deaths.get(msg.seq) ?? deathOf(msg.headers);
    const origin = { transport: 'amqp' as const, destKind: 'exchange' as const, destination: d?.exchange || 'amq.default', routingKey: d?.routingKey ?? '' };
    return { ...mapItem(origin, map), headers: withoutBrokerHeaders(msg.headers) };
  };
  const destinations = new Map<string, DestinationPlan>();
  for (const d of deaths.values()) {
    const r = mapItem({ transport: 'amqp', destKind: 'exchange', destination: d.exchange || 'amq.default', routingKey: d.routingKey ?? '' }, map);
    const isDefault = r.destination === 'amq.default';
    const from = isDefault ? (d.routingKey ?? '') : d.exchange;
    const plan = destinations.get(r.label) ?? { from, to: r.label, destKind: isDefault ? 'queue' : 'exchange', partitions: 1, count: 0 };
    plan.count += 1;
    destinations.set(r.label, plan);
  }
  const notes = [
    seqs.length
      ? `Sending ${seqs.length} dead-lettered message(s) back to the exchange and routing key they were first published with, without the broker's x-death headers.`
      : 'No dead-lettered message in this session matches (they carry an x-death header once RabbitMQ dead-letters them).',
  ];
  if (more) notes.push(`Only the first ${MAX_COPIES} dead-lettered messages are sent back; ${more} more match: narrow the selection and send them in another run.`);
  return {
    filter: { transports: ['amqp'], seqs },
    sendEvents: ['publish', 'deliver'],
    total: seqs.length,
    firstTime,
    lastTime,
    destinations: [...destinations.values()],
    notes,
    route,
  };
}

/** The recorded headers minus what the broker added when it dead-lettered the message. */
export function withoutBrokerHeaders(headers: Record<string, JsonValue> | null | undefined): Record<string, JsonValue> | null {
  if (!headers) return null;
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(headers)) if (!BROKER_HEADERS.test(k)) setOwn(out, k, v);
  return Object.keys(out).length ? out : null;
}
