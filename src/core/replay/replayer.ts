import {
  REPLAY_MAX_IN_FLIGHT,
  REPLAY_MAX_IN_FLIGHT_BYTES,
  REPLAY_PROGRESS_MS,
  REPLAY_SETTLE_TIMEOUT_MS,
} from '../common/constants.ts';
import { getLogger } from '../common/logger.ts';
import { asSessionFileError, type SessionStore } from '../store/session-store.ts';
import { snapshotChunks } from '../io/chunks.ts';
import { actionFor, mapItem, selectForReplay, wsConnectionFacts, wsConnectionKey, type Selection } from './select.ts';
import { selectDeadLetters } from './dead-letters.ts';
import { parseTarget, scrubCredentials, targetLabel, type ReplayTarget } from './target.ts';
import { ReplayTally } from './tally.ts';
import type { Publisher, ReplayItem, ReplayOptions, ReplayReport, ReplayStatus, Settlement, WsConnectionFacts } from './types.ts';
import type { StoredMessage } from '../../shared/model.ts';

const log = getLogger('replay');

export async function createPublisher(target: ReplayTarget): Promise<Publisher> {
  // Each publisher's broker client loads when a replay first goes to its transport (see
  // engine/connector-factory.ts).
  switch (target.transport) {
    case 'kafka':
      return new (await import('./kafka-publisher.ts')).KafkaPublisher(target.brokers);
    case 'amqp':
      return new (await import('./amqp-publisher.ts')).AmqpPublisher(target.url, target.username);
    case 'ws':
      return new (await import('./ws-publisher.ts')).WsPublisher(target.url);
    case 'mqtt':
      return new (await import('./mqtt-publisher.ts')).MqttPublisher(target.url);
    case 'nats':
      return new (await import('./nats-publisher.ts')).NatsPublisher(target.url);
  }
}

/**
 * Re-publishes a saved session onto a broker or WebSocket server.
 *
 * It reads a fixed snapshot (seq ≤ the last seq when it starts, in chunks, never holding a
 * cursor across a wait), so what it sends can never be read back into the same replay even
 * when the session is still recording. Each message is due at t0 + (time − first)/speed on
 * the monotonic clock, so waiting errors do not add up over a long replay.
 */
export class Replayer {
  readonly target: string;
  private stopped = false;
  private cancelled = false;
  private wake: (() => void) | null = null;
  private readonly tally: ReplayTally;
  private publisher: Publisher | null = null;
  private schedule: { t0: number; first: number; last: number | null } | null = null;
  private lastTime: number | null = null;
  private readonly speed: number | 'max';

  constructor(
    private readonly store: SessionStore,
    private readonly opts: ReplayOptions,
  ) {
    this.target = opts.targetLabel ?? targetLabel(opts.to);
    this.speed = opts.speed ?? 1;
    if (this.speed !== 'max' && !(this.speed > 0 && Number.isFinite(this.speed))) {
      throw new Error(`Speed must be a positive number or "max", not ${String(this.speed)}.`);
    }
    this.tally = new ReplayTally(this.target, opts.dryRun ?? false);
  }

  /** Stops promptly: nothing more is sent, what is on the wire is awaited, and the report says exactly what went out. */
  cancel(): void {
    if (this.stopped) return;
    this.cancelled = true;
    this.stop();
  }

  private stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  async run(): Promise<ReplayReport> {
    const started = performance.now();
    const timer = setInterval(() => this.progress(false), REPLAY_PROGRESS_MS);
    const r = this.tally.report;
    try {
      const target = parseTarget(this.opts.to);
      const upTo = this.opts.upToSeq ?? this.store.lastSeq;
      const sel = this.select(target.transport, upTo);
      r.total = sel.total;
      this.lastTime = sel.lastTime;
      r.notes.push(...sel.notes);
      // Read before the first wait: after a cancel the store may be closing and is not touched again.
      const wsFacts = target.transport === 'ws' ? wsConnectionFacts(this.store, upTo) : null;
      if (sel.total > 0 && !this.tally.dryRun && !this.stopped) {
        this.publisher = await createPublisher(target);
        // Connecting can take long (an unreachable Kafka is retried); a cancel must not wait for it.
        await this.wakeable(this.publisher.open(sel.destinations).then((notes) => void r.notes.push(...notes)));
      }
      if (sel.total > 0 && !this.stopped) await this.loop(sel, upTo, wsFacts);
      if (this.publisher) {
        if (this.stopped) this.publisher.abort();
        await this.tally.drained(REPLAY_SETTLE_TIMEOUT_MS);
      }
      r.state = this.tally.fatal ? 'failed' : this.cancelled ? 'cancelled' : 'done';
    } catch (err) {
      r.state = 'failed';
      r.error ??= (asSessionFileError(err, this.store.path) as Error).message;
    } finally {
      clearInterval(timer);
      if (this.publisher) {
        // What was published is tallied already; a failing close only loses the connection.
        await this.publisher.close().catch((err: unknown) => log.debug('closing the replay target failed', err));
        r.notes.push(...(this.publisher.notes ?? []));
        r.unroutable = this.publisher.unroutable ?? 0;
      }
      if (r.error) r.error = scrubCredentials(r.error, this.opts.to);
      r.durationMs = Math.round(performance.now() - started);
    }
    this.progress(true);
    return r;
  }

  private select(transport: ReplayTarget['transport'], upTo: number): Selection {
    const filter = this.opts.filter ?? {};
    const map = this.opts.map ?? {};
    if (!this.opts.deadLettersToOrigin) return selectForReplay(this.store, transport, filter, upTo, map);
    if (transport !== 'amqp') throw new Error('Dead-lettered messages go back to RabbitMQ: the target must be amqp:// or amqps://.');
    return selectDeadLetters(this.store, filter, upTo, map, this.opts.deadLettersToOrigin);
  }

  private async loop(sel: Selection, upTo: number, wsFacts: Map<string, WsConnectionFacts> | null): Promise<void> {
    const map = this.opts.map ?? {};
    const route = sel.route ?? ((m: StoredMessage) => mapItem(m, map));
    for await (const chunk of snapshotChunks(this.store, sel.filter, upTo, { count: 500, bytes: 8 * 1024 * 1024 })) {
      for (const msg of chunk) {
        if (this.stopped) return;
        const action = actionFor(msg, sel.sendEvents);
        if (!action) continue;
        const item: ReplayItem = { msg, action, ...route(msg) };
        if (wsFacts) {
          const key = wsConnectionKey(msg.endpoint, msg.connection);
          item.ws = wsFacts.get(key) ?? { key, search: '', subprotocol: null };
        }
        if (!this.schedule) {
          if (await this.startClock(item)) continue;
          this.schedule = { t0: performance.now(), first: msg.time, last: this.lastTime };
        }
        const atMs = this.speed === 'max' ? 0 : (msg.time - this.schedule.first) / this.speed;
        if (this.tally.dryRun) {
          if (action === 'send') this.tally.planned(item);
          this.opts.onPlan?.(planOf(item, atMs));
          continue;
        }
        // A connection with no recorded open starts its handshake while the replay waits for its first frame.
        if (action === 'send' && item.ws && this.publisher?.prepare) void this.publisher.prepare(item);
        if (this.speed !== 'max') await this.sleepUntil(this.schedule.t0 + atMs);
        if (this.tally.inFlight >= REPLAY_MAX_IN_FLIGHT || this.tally.inFlightBytes >= REPLAY_MAX_IN_FLIGHT_BYTES) {
          await this.wakeable(this.tally.room(REPLAY_MAX_IN_FLIGHT / 2, REPLAY_MAX_IN_FLIGHT_BYTES / 2));
        }
        if (this.stopped) return;
        this.dispatch(item);
      }
      // Let sockets and timers run between chunks, even at max speed.
      await new Promise((r) => setImmediate(r));
      // Stopped: read nothing more (the session may be closing its store right now).
      if (this.stopped) return;
    }
  }

  /**
   * Starts the replay clock at the first message. A first send pays for connections and
   * metadata that later sends find ready, which would shorten the first recorded gap; so
   * the target is prepared first (a WebSocket handshake), and at a timed speed the first
   * message is sent and confirmed before the clock starts. Returns true when it sent `item`.
   */
  private async startClock(item: ReplayItem): Promise<boolean> {
    const p = this.publisher;
    if (p?.prepare) await this.wakeable(p.prepare(item));
    if (!p || this.speed === 'max' || item.action !== 'send' || this.stopped) return false;
    await this.wakeable(new Promise<void>((resolve) => this.dispatch(item, resolve)));
    this.schedule = { t0: performance.now(), first: item.msg.time, last: this.lastTime };
    return true;
  }

  private dispatch(item: ReplayItem, onSettled?: () => void): void {
    const p = this.publisher!;
    if (item.action !== 'send') {
      p.control?.(item);
      return;
    }
    this.tally.dispatched(item);
    p.send(item, (s: Settlement) => {
      this.tally.settled(item, s);
      if (s.fatal && !this.stopped) this.stop();
      onSettled?.();
    });
  }

  private sleepUntil(at: number): Promise<void> {
    const delay = at - performance.now();
    if (delay <= 0 || this.stopped) return Promise.resolve();
    return this.wakeable(new Promise((r) => setTimeout(r, delay)));
  }

  /** Waits for `p` (and its failure), or less when the replay is stopped meanwhile. */
  private wakeable(p: Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.wake = resolve;
      p.then(resolve, reject);
    }).finally(() => {
      this.wake = null;
    });
  }

  private progress(final: boolean): void {
    const cb = this.opts.onProgress;
    if (!cb) return;
    const s = this.status(final);
    if (final || this.tally.changedSinceLastProgress()) cb(s);
  }

  status(final = false): ReplayStatus {
    const r = this.tally.report;
    return {
      sent: r.dryRun ? r.planned : r.sent,
      total: r.total,
      failed: r.failed,
      etaMs: final ? 0 : this.eta(),
      state: final ? r.state : 'running',
      message: final ? this.tally.summary() : this.tally.runningMessage(),
    };
  }

  private eta(): number | null {
    const r = this.tally.report;
    const remaining = r.total - r.sent - r.failed;
    if (remaining <= 0) return 0;
    const s = this.schedule;
    if (!s) return null;
    const elapsed = performance.now() - s.t0;
    if (this.speed !== 'max' && s.last !== null) {
      return Math.max(0, Math.round((s.last - s.first) / this.speed - elapsed));
    }
    const done = r.sent + r.failed;
    return done > 0 ? Math.round((elapsed / done) * remaining) : null;
  }
}

function planOf(item: ReplayItem, atMs: number) {
  const m = item.msg;
  const detail =
    m.transport === 'kafka'
      ? `partition ${m.partition ?? 'by key'}${m.key ? `, key ${JSON.stringify(Buffer.from(m.key).toString('utf8').slice(0, 40))}` : ''}${m.meta?.tombstone ? ', tombstone' : ''}`
      : m.transport === 'amqp'
        ? `routing key ${item.routingKey ?? ''}`
        : m.transport === 'mqtt'
          ? `qos ${typeof m.meta?.qos === 'number' ? m.meta.qos : 0}${m.meta?.retain === true ? ', retain' : ''}`
          : m.transport === 'nats'
            ? m.replyTo ? `reply ${m.replyTo}` : 'no reply subject'
            : `connection ${m.connection ?? '?'}${m.meta?.opcode ? `, ${String(m.meta.opcode)}` : ''}`;
  return {
    seq: m.seq,
    atMs: Math.round(atMs),
    transport: m.transport,
    action: item.action,
    from: m.destination,
    to: item.label,
    detail,
    size: m.payload.byteLength,
  };
}
