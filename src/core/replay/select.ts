import type { MessageEventKind, StoredMessage, Transport } from '../../shared/model.ts';
import type { MessageFilter } from '../../shared/filter.ts';
import type { SessionStore } from '../store/session-store.ts';
import type { DestinationPlan, ReplayItem, WsConnectionFacts } from './types.ts';

/**
 * Which recorded facts a replay re-sends. Only "source" events are replayed, never what a
 * broker or server did with them, so one message is not sent twice:
 * - kafka: `publish` (the records seen in the log).
 * - amqp: `publish` (exchange + routing key). When the selection holds no publish at all
 *   (a queue tap records only deliveries) its `deliver` events are replayed instead, to the
 *   default exchange with the queue's name. A filter naming `deliver` explicitly replays
 *   deliveries even beside publishes.
 * - ws: `frame-out` (client → server frames), each recorded connection over a new
 *   connection; its recorded `open` and client-side `close` are reproduced at their times.
 * - mqtt: `publish` (what the tap received: topic, payload, QoS, retain, MQTT 5 properties).
 * - nats: `publish` (what a client published, from a tap or the proxy); the proxy's
 *   `deliver` events are the server handing those on, and its 503 statuses the server's own.
 * Messages of other transports than the target's are left out.
 */
export const SENDABLE: Record<Transport, readonly MessageEventKind[]> = {
  kafka: ['publish'],
  amqp: ['publish', 'deliver'],
  ws: ['frame-out'],
  mqtt: ['publish'],
  nats: ['publish'],
};
const WS_CONTROL: readonly MessageEventKind[] = ['open', 'close'];

export interface Selection {
  /** What to iterate (sendable events plus ws connection control events). */
  filter: MessageFilter;
  /** Events that count as messages to send. */
  sendEvents: readonly MessageEventKind[];
  total: number;
  firstTime: number | null;
  lastTime: number | null;
  destinations: DestinationPlan[];
  notes: string[];
  /** Where each message goes, when not where it was recorded (after `map`). */
  route?: (msg: StoredMessage) => Pick<ReplayItem, 'destination' | 'routingKey' | 'label' | 'headers'>;
}

export class NothingToReplayError extends Error {}

/** Works out what a replay of `transport` will send from the snapshot seq ≤ upToSeq. */
export function selectForReplay(
  store: SessionStore,
  transport: Transport,
  userFilter: MessageFilter,
  upToSeq: number,
  map: Record<string, string>,
): Selection {
  if (userFilter.transports && !userFilter.transports.includes(transport)) {
    throw new NothingToReplayError(`The filter selects no ${transport} messages, and the target is ${transport}.`);
  }
  const base: MessageFilter = { ...userFilter, transports: [transport] };
  let sendEvents: MessageEventKind[];
  if (userFilter.events) {
    sendEvents = userFilter.events.filter((e) => SENDABLE[transport].includes(e));
    if (sendEvents.length === 0) {
      throw new NothingToReplayError(
        `Nothing to replay: a ${transport} target replays ${SENDABLE[transport].join(' or ')} events, and the filter selects only ${userFilter.events.join(', ')}.`,
      );
    }
  } else if (transport === 'amqp') {
    sendEvents = count(store, { ...base, events: ['publish'] }, upToSeq) > 0 ? ['publish'] : ['deliver'];
  } else {
    sendEvents = [...SENDABLE[transport]];
  }
  const sendFilter: MessageFilter = { ...base, events: sendEvents };
  const stats = store.rangeUpTo(sendFilter, upToSeq);
  const iterEvents = transport === 'ws' ? [...sendEvents, ...WS_CONTROL] : sendEvents;
  let destinations = destinationPlans(store, sendFilter, upToSeq, transport, map);
  const notes: string[] = [];
  if (transport === 'nats') {
    // JetStream's acks and advisories speak about messages of the recorded server: re-sent,
    // an ack would settle whatever message of the target has that stream sequence.
    const internal = destinations.filter((d) => isJetStreamInternal(d.from));
    if (internal.length) {
      const n = internal.reduce((a, d) => a + d.count, 0);
      stats.total -= n;
      destinations = destinations.filter((d) => !isJetStreamInternal(d.from));
      notes.push(`${n} JetStream ack${n === 1 ? '' : 's'} and advisor${n === 1 ? 'y' : 'ies'} ($JS.…) not replayed.`);
    }
  }
  const used = new Set(destinations.map((d) => d.from));
  for (const from of Object.keys(map)) {
    if (![...used].some((d) => d === from || pathOf(d) === from)) notes.push(`--map ${from}=… matched no replayed destination.`);
  }
  if (transport === 'amqp' && sendEvents.includes('deliver') && !userFilter.events) {
    notes.push('No AMQP publish was recorded: replaying the recorded deliveries to their queues (default exchange).');
  }
  return { filter: { ...base, events: iterEvents }, sendEvents, ...stats, destinations, notes };
}

function count(store: SessionStore, filter: MessageFilter, upToSeq: number): number {
  return store.rangeUpTo(filter, upToSeq).total;
}

function destinationPlans(
  store: SessionStore,
  filter: MessageFilter,
  upToSeq: number,
  transport: Transport,
  map: Record<string, string>,
): DestinationPlan[] {
  return store.destinationsUpTo(filter, upToSeq).map((r) => {
    const probe = { transport, destination: r.destination, destKind: r.destKind, routingKey: r.rk } as StoredMessage;
    const m = mapItem(probe, map);
    return {
      from: r.rk !== null ? r.rk : r.destination,
      to: m.label,
      destKind: r.rk !== null ? 'queue' : r.destKind,
      partitions: r.maxPartition === null ? 1 : r.maxPartition + 1,
      count: r.n,
    };
  });
}

/** JetStream's own subjects: acks, advisories, API. */
function isJetStreamInternal(subject: string): boolean {
  return subject.startsWith('$JS.');
}

/** True for AMQP's default exchange as recorded ('amq.default', or '' from some taps). */
export function isDefaultExchange(name: string): boolean {
  return name === '' || name === 'amq.default';
}

/** Where a recorded message goes after `--map FROM=TO`, and the name the report counts it under. */
export function mapItem(
  msg: Pick<StoredMessage, 'transport' | 'destination' | 'destKind' | 'routingKey'>,
  map: Record<string, string>,
): Pick<ReplayItem, 'destination' | 'routingKey' | 'label'> {
  if (msg.transport === 'amqp') {
    if (msg.destKind === 'queue') {
      const q = map[msg.destination] ?? msg.destination;
      return { destination: 'amq.default', routingKey: q, label: q };
    }
    if (isDefaultExchange(msg.destination)) {
      // The default exchange routes by queue name: mapping the queue means mapping the routing key.
      const rk = msg.routingKey ?? '';
      const q = map[rk] ?? rk;
      return { destination: 'amq.default', routingKey: q, label: q };
    }
    const ex = map[msg.destination] ?? msg.destination;
    return { destination: ex, routingKey: msg.routingKey ?? '', label: ex };
  }
  if (msg.transport === 'ws') {
    const p = mapWsPath(msg.destination, map);
    return { destination: p, label: p };
  }
  const topic = map[msg.destination] ?? msg.destination;
  return { destination: topic, label: topic };
}

/** A ws path maps by its exact recorded value, or by its path alone keeping the query. */
function mapWsPath(recorded: string, map: Record<string, string>): string {
  if (map[recorded] !== undefined) return map[recorded]!;
  const q = recorded.indexOf('?');
  if (q < 0) return recorded;
  const mapped = map[recorded.slice(0, q)];
  return mapped === undefined ? recorded : `${mapped}${recorded.slice(q)}`;
}

function pathOf(d: string): string {
  const q = d.indexOf('?');
  return q < 0 ? d : d.slice(0, q);
}

/** The action a recorded message stands for in this replay, or null to skip it. */
export function actionFor(msg: StoredMessage, sendEvents: readonly MessageEventKind[]): ReplayItem['action'] | null {
  if (msg.transport === 'nats' && isJetStreamInternal(msg.destination)) return null;
  if (sendEvents.includes(msg.event)) return 'send';
  if (msg.transport !== 'ws') return null;
  if (msg.event === 'open') return 'open';
  // Only a close the client started is the client's doing; the server's is not replayed.
  if (msg.event === 'close' && msg.meta?.by === 'client') return 'close';
  return null;
}

/**
 * How each recorded WebSocket connection was opened, from its `open` event: the recording
 * proxy stores the path as the destination and the full upstream URL (query included) in
 * meta.target. Read in one pass up front, so a time filter that starts after a connection
 * opened still replays it with its query and subprotocol.
 */
export function wsConnectionFacts(store: SessionStore, upToSeq: number): Map<string, WsConnectionFacts> {
  const out = new Map<string, WsConnectionFacts>();
  for (const r of store.wsOpensUpTo(upToSeq)) {
    const key = wsConnectionKey(r.endpoint, r.connection);
    let meta: Record<string, unknown> = {};
    try {
      meta = r.meta ? (JSON.parse(r.meta) as Record<string, unknown>) : {};
    } catch {
      // A hand-edited import: no facts for this connection.
    }
    let search = '';
    if (typeof meta.target === 'string') {
      try {
        search = new URL(meta.target).search;
      } catch {
        search = '';
      }
    }
    const sub = meta.subprotocol;
    out.set(key, { key, search, subprotocol: typeof sub === 'string' && sub ? sub : null });
  }
  return out;
}

export function wsConnectionKey(endpoint: string, connection: string | null | undefined): string {
  return `${endpoint}\u0000${connection ?? ''}`;
}
