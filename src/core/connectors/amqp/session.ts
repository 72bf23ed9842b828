import { randomBytes } from 'node:crypto';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { AMQP_CONSUMER_PREFETCH, AMQP_DURABLE_TAP_EXPIRES_MS, AMQP_DURABLE_TAP_PREFETCH, AMQP_OWN_QUEUE_MAX_LENGTH } from '../../common/constants.ts';
import { getLogger } from '../../common/logger.ts';
import { topicMatch } from './dead-letter-plan.ts';
import type { DeadLetterTap } from './dead-letter-plan.ts';
import { onThrowaway, planTap, probeExchangeType } from './exchanges.ts';
import { PROBE_KEY_PREFIX, TAP_QUEUE_PREFIX, TRACE_QUEUE_PREFIX } from './firehose.ts';

/**
 * Everything one live AMQP connection carries for a connector: the exchange tap, the
 * firehose queue and the queue consumers, all on one channel. A session never outlives
 * its connection; after a connection loss the connector opens a new one.
 */

const log = getLogger('amqp');
/** Our queues are bounded (see AMQP_OWN_QUEUE_MAX_LENGTH) so a stalled Flowscope never fills the broker. */
const OWN_QUEUE = { exclusive: true, autoDelete: true, durable: false, maxLength: AMQP_OWN_QUEUE_MAX_LENGTH };
/** The opt-in durable tap (AmqpConnectorOptions.durableTap): survives its connection, expires when abandoned. */
const DURABLE_TAP = { exclusive: false, autoDelete: false, durable: true, maxLength: AMQP_OWN_QUEUE_MAX_LENGTH, expires: AMQP_DURABLE_TAP_EXPIRES_MS };

export interface SessionPlan {
  endpointId: string;
  exchanges: readonly string[];
  queues: readonly string[];
  firehose: boolean;
  /** The durable tap's name, the same across reconnects; null for an exclusive tap per connection. */
  durableTap: string | null;
  /** Exchange types known from the management API; the rest are probed. */
  knownTypes: ReadonlyMap<string, string>;
  /** Routing keys a direct-exchange tap may bind (already routed to an application queue). */
  directKeys(exchange: string): string[];
}

export interface SessionHandlers {
  tap(msg: ConsumeMessage): void;
  /** A copy from the dead-letter tap (any message routed through a tapped dead-letter exchange). */
  deadLetter(msg: ConsumeMessage): void;
  trace(msg: ConsumeMessage): void;
  /** A message consumed from an application queue; the session acks it after this returns. */
  consumed(queue: string, msg: ConsumeMessage): void;
  /** The connection or channel went away; called at most once. */
  lost(err: unknown): void;
}

export class AmqpSession {
  readonly tapQueue: string | null;
  readonly traceQueue: string | null;
  /** Exchange types found, for discovery and direct-key binding. */
  readonly types = new Map<string, string>();
  /** One line per tapped exchange / consumed queue for the status message. */
  readonly notes: string[] = [];
  /** Dead-letter exchanges bound to the dead-letter tap: their type and the bindings made. */
  readonly deadLetterTaps = new Map<string, { type: string; bound: Set<string>; patterns: string[] }>();
  /** Dead-letter exchanges the broker would not let us bind, with why. */
  readonly deadLetterRefusals = new Map<string, string>();
  private readonly boundDirect = new Set<string>();
  private deadLetterQueue: string | null = null;
  private deadLetterWork: Promise<void> = Promise.resolve();
  private closing = false;
  private lostCalled = false;
  /** The exchange tap is the durable queue (kept when the connection is lost). */
  durable = false;

  private constructor(
    private readonly conn: ChannelModel,
    private readonly ch: Channel,
    tapQueue: string | null,
    traceQueue: string | null,
    private readonly suffix: string,
    private readonly handlers: SessionHandlers,
    private readonly lose: (err: unknown) => void,
  ) {
    this.tapQueue = tapQueue;
    this.traceQueue = traceQueue;
  }

  /** Sets everything up on an open connection. Rejects (with amqplib's error) on any failure. */
  static async open(conn: ChannelModel, plan: SessionPlan, h: SessionHandlers): Promise<AmqpSession> {
    const suffix = `${plan.endpointId.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 60)}.${randomBytes(4).toString('hex')}`;
    // Checks that may fail run on throwaway channels first, so their errors read cleanly.
    const types = new Map<string, string>();
    for (const ex of plan.exchanges) {
      if (ex === '' || ex === 'amq.default') continue;
      await onThrowaway(conn, (c) => c.checkExchange(ex));
      types.set(ex, plan.knownTypes.get(ex) ?? (await probeExchangeType(conn, ex)));
    }
    for (const q of plan.queues) await onThrowaway(conn, (c) => c.checkQueue(q));

    const ch = await conn.createChannel();
    let lastChannelError: unknown = null;
    ch.on('error', (err) => {
      lastChannelError = err;
    });
    const tapped = plan.exchanges.length > 0;
    const lost = (err: unknown): void => {
      if (session.closing || session.lostCalled) return;
      session.lostCalled = true;
      h.lost(err);
    };
    const session: AmqpSession = new AmqpSession(
      conn,
      ch,
      tapped ? (plan.durableTap ?? `${TAP_QUEUE_PREFIX}${suffix}`) : null,
      plan.firehose ? `${TRACE_QUEUE_PREFIX}${suffix}` : null,
      suffix,
      h,
      lost,
    );
    for (const [k, v] of types) session.types.set(k, v);
    let lastConnError: unknown = null;
    conn.on('error', (err) => {
      lastConnError = err;
    });
    conn.on('close', (err?: Error) => lost(err ?? lastConnError ?? lastChannelError ?? new Error('connection closed')));
    // amqplib closes the channels before it emits the connection's 'close': prefer the
    // connection's reason (e.g. CONNECTION_FORCED on a broker shutdown) when there is one.
    ch.on('close', () =>
      setImmediate(() => lost(lastConnError ?? lastChannelError ?? new Error('the broker closed the tap channel'))),
    );

    session.durable = plan.durableTap !== null;
    if (session.tapQueue) {
      await ch.assertQueue(session.tapQueue, session.durable ? DURABLE_TAP : OWN_QUEUE);
      for (const ex of plan.exchanges) {
        if (ex === '' || ex === 'amq.default') {
          session.notes.push(
            plan.firehose
              ? 'the default exchange cannot be bound; the firehose records it'
              : 'the default exchange cannot be bound: enable the firehose to see its messages',
          );
          continue;
        }
        const tap = planTap(ex, types.get(ex) ?? 'unknown', plan.directKeys(ex));
        for (const b of tap.bindings) {
          await ch.bindQueue(session.tapQueue, ex, b.pattern, b.args);
          if (types.get(ex) === 'direct') session.boundDirect.add(`${ex}\u0000${b.pattern}`);
        }
        session.notes.push(tap.note);
      }
      if (session.durable) {
        // Acked once handed to the recorder: what a dropped connection had in flight is
        // redelivered from the queue after the reconnect instead of being lost.
        await ch.prefetch(AMQP_DURABLE_TAP_PREFETCH);
        await ch.consume(session.tapQueue, (m) => {
          if (!m) return lost(new Error('the broker cancelled the tap'));
          h.tap(m);
          ch.ack(m);
        });
        session.notes.push(`durable tap queue '${session.tapQueue}' (kept through reconnects, deleted at stop)`);
      } else {
        // No ack: the queue is ours alone, and TCP backpressure paces the broker.
        await ch.consume(session.tapQueue, (m) => (m ? h.tap(m) : lost(new Error('the broker cancelled the tap'))), {
          noAck: true,
        });
      }
    }
    if (session.traceQueue) {
      await ch.assertQueue(session.traceQueue, OWN_QUEUE);
      await ch.bindQueue(session.traceQueue, 'amq.rabbitmq.trace', 'publish.#');
      await ch.bindQueue(session.traceQueue, 'amq.rabbitmq.trace', 'deliver.#');
      await ch.consume(session.traceQueue, (m) => (m ? h.trace(m) : lost(new Error('the broker cancelled the firehose queue'))), {
        noAck: true,
      });
    }
    if (plan.queues.length) {
      await ch.prefetch(AMQP_CONSUMER_PREFETCH);
      for (const q of plan.queues) {
        // A plain consumer competes with the application's consumers for messages: the
        // broker gives each message to one of them. Acked on receipt: the message is in
        // the recorder's memory then, written within its flush interval.
        await ch.consume(q, (m) => {
          if (!m) return lost(new Error(`the broker cancelled the consumer of queue '${q}' (was it deleted?)`));
          h.consumed(q, m);
          ch.ack(m);
        });
        session.notes.push(`consuming queue '${q}' (competes with its other consumers)`);
      }
    }
    return session;
  }

  /**
   * Binds the dead-letter tap (a queue of ours, declared on first use) to each dead-letter
   * exchange with the tap's keys. Each binding runs on a throwaway channel: a user who may
   * not read one exchange loses that tap only, noted in `deadLetterRefusals`. Calls run one
   * after another, so a refresh never races the previous one.
   */
  tapDeadLetters(taps: readonly DeadLetterTap[]): Promise<void> {
    this.deadLetterWork = this.deadLetterWork.then(() => this.bindDeadLetters(taps)).catch((err: unknown) => this.lose(err));
    return this.deadLetterWork;
  }

  private async bindDeadLetters(taps: readonly DeadLetterTap[]): Promise<void> {
    // A refused exchange is not asked again every refresh; a reconnect tries it afresh.
    const wanted = taps.filter((t) => !this.deadLetterRefusals.has(t.exchange) && t.bindings.some((b) => !this.deadLetterTaps.get(t.exchange)?.bound.has(bindingId(b))));
    if (this.closing || wanted.length === 0) return;
    if (!this.deadLetterQueue) {
      const q = `${TAP_QUEUE_PREFIX}dl.${this.suffix}`;
      await this.ch.assertQueue(q, OWN_QUEUE);
      // No ack, as for the exchange tap: the queue is ours alone.
      await this.ch.consume(q, (m) => (m ? this.handlers.deadLetter(m) : this.lose(new Error('the broker cancelled the dead-letter tap'))), {
        noAck: true,
      });
      this.deadLetterQueue = q;
    }
    for (const t of wanted) {
      let tap = this.deadLetterTaps.get(t.exchange);
      for (const b of t.bindings) {
        if (this.closing || tap?.bound.has(bindingId(b))) continue;
        try {
          await onThrowaway(this.conn, (c) => c.bindQueue(this.deadLetterQueue!, t.exchange, b.pattern, b.args));
        } catch (err) {
          this.deadLetterRefusals.set(t.exchange, (err as Error).message.replace(/^Channel closed by server: \d+ \(([^)]*)\) with message "(.*)"$/, '$1: $2'));
          break;
        }
        if (!tap) this.deadLetterTaps.set(t.exchange, (tap = { type: t.type, bound: new Set(), patterns: [] }));
        tap.bound.add(bindingId(b));
        tap.patterns.push(b.pattern);
      }
    }
  }

  /** Whether a copy through `exchange` with `routingKey` also reaches the dead-letter tap. */
  tapsDeadLetter(exchange: string, routingKey: string): boolean {
    const tap = this.deadLetterTaps.get(exchange);
    if (!tap) return false;
    if (tap.type === 'fanout' || tap.type === 'headers') return true;
    if (tap.type === 'topic') return tap.patterns.some((p) => topicMatch(p, routingKey));
    return tap.patterns.includes(routingKey);
  }

  /** Adds a direct-exchange binding for a routing key learned while recording. */
  bindDirect(exchange: string, key: string): void {
    if (!this.tapQueue || this.types.get(exchange) !== 'direct') return;
    const id = `${exchange}\u0000${key}`;
    if (this.boundDirect.has(id) || this.closing) return;
    this.boundDirect.add(id);
    // A failure closes the channel, which the 'close' handler reports as a loss.
    this.ch.bindQueue(this.tapQueue, exchange, key).catch(() => {});
  }

  /**
   * Publishes an empty message to the default exchange with a key no queue has. It is
   * dropped, but with tracing on it shows up as a firehose publish: proof the firehose works.
   */
  probe(): void {
    if (this.closing) return;
    // On a throwaway channel: a user without write permission on the default exchange
    // gets a channel error, which must not take the tap channel down with it.
    const key = `${PROBE_KEY_PREFIX}${randomBytes(6).toString('hex')}`;
    onThrowaway(this.conn, async (c) => {
      c.publish('', key, Buffer.alloc(0), { appId: 'flowscope' });
    }).catch((err: unknown) => {
      // TraceHealth reports a firehose that stays silent; this says why the probe did not go out.
      log.debug('firehose probe not published', err);
    });
  }

  /**
   * Deletes our queues and closes the connection. Never rejects, never hangs long.
   * `keepDurable`: after a lost connection, the durable tap stays to be read again.
   */
  async close(timeoutMs = 3000, keepDurable = false): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    // Best effort on a connection that may be gone already: exclusive queues die with it anyway.
    const work = (async () => {
      await this.deadLetterWork.catch(() => {});
      const tap = this.durable && keepDurable ? null : this.tapQueue;
      for (const q of [tap, this.traceQueue, this.deadLetterQueue]) {
        if (q) await this.ch.deleteQueue(q).catch(() => {});
      }
      await this.ch.close().catch(() => {});
      await this.conn.close().catch(() => {});
    })();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([work, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }
}

function bindingId(b: DeadLetterTap['bindings'][number]): string {
  return `${b.pattern}\u0000${b.args ? JSON.stringify(b.args) : ''}`;
}
