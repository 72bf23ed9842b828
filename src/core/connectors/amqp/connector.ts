import { randomBytes } from 'node:crypto';
import { connect } from 'amqplib';
import type { ChannelModel, ConsumeMessage } from 'amqplib';
import type { CaptureSink, Connector } from '../types.ts';
import type { Discovery } from '../../../shared/discovery.ts';
import { Backoff } from '../../common/backoff.ts';
import {
  AMQP_CONNECT_TIMEOUT_MS,
  AMQP_DISCOVERY_MS,
  AMQP_HEARTBEAT_S,
  AMQP_MANAGEMENT_REFRESH_MS,
  AMQP_RECONCILE_MS,
  AMQP_RECONCILE_SWEEP_MS,
  AMQP_RECONNECT,
} from '../../common/constants.ts';
import type { FlowscopeError } from '../../common/errors.ts';
import { passwordOf } from '../../common/redact.ts';
import { consumedToCaptured, isDeadLettered, tapToCaptured } from './capture.ts';
import { DeadLetterTaps } from './dead-letter-taps.ts';
import { amqpError } from './errors.ts';
import { exchangeLabel, isOwnQueue, parseTrace, PROBE_KEY_PREFIX, TAP_QUEUE_PREFIX, traceToCaptured } from './firehose.ts';
import { ManagementWatch } from './management-watch.ts';
import { ObservedTopology } from './observed.ts';
import { fingerprint, TapReconciler } from './reconcile.ts';
import { AmqpSession } from './session.ts';
import { parseAmqpUrl } from './url.ts';
import type { AmqpTarget } from './url.ts';
import type { AmqpConnectorOptions } from './options.ts';
import { TraceHealth } from './trace-health.ts';

import { installHeaderTableFix } from './raw-headers.ts';

export type { AmqpConnectorOptions } from './options.ts';

// Header fields named __proto__ are data too (raw-headers.ts): amqplib would drop or misplace them.
installHeaderTableFix();

/**
 * RabbitMQ capture (amqplib). Four sources, all optional:
 * - exchange taps: publishes seen through an exclusive queue bound to each exchange;
 * - the firehose: publishes with their real routing and deliveries to every consumer;
 * - queue consumption: messages taken from application queues;
 * - the dead-letter tap: copies RabbitMQ dead-letters, through the dead-letter exchanges
 *   the management API names (see dead-letter-taps.ts).
 * With both taps and the firehose on, the firehose's publish event is the record and the
 * tap copy only fills gaps (see TapReconciler). The connector reconnects by itself with
 * backoff after a connection loss and re-declares everything.
 */
export class AmqpConnector implements Connector {
  readonly transport = 'amqp' as const;
  readonly id: string;
  /** The URL without password, for endpoint lists and logs. */
  readonly label: string;
  private readonly target: AmqpTarget;
  private readonly password: string | null;
  private readonly reconciler: TapReconciler;
  private readonly topology = new ObservedTopology();
  private readonly consumedQueues: Set<string>;
  private session: AmqpSession | null = null;
  private running = false;
  private everRecorded = false;
  private generation = 0;
  private readonly backoff: Backoff;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly trace = new TraceHealth(() => this.reportRecording());
  private readonly management: ManagementWatch;
  private readonly deadLetters: DeadLetterTaps;
  /** The durable tap's queue name, fixed for this connector's life so a reconnect finds it. */
  private readonly durableTap: string | null;
  /** When the last connection was lost, and why, until a new session records again. */
  private lostAt: { time: number; reason: string } | null = null;

  constructor(
    private readonly opts: AmqpConnectorOptions,
    private readonly sink: CaptureSink,
  ) {
    this.id = opts.id;
    this.target = parseAmqpUrl(opts.url);
    this.password = passwordOf(opts.url);
    this.label = this.target.safeUrl;
    this.consumedQueues = new Set(opts.queues ?? []);
    this.reconciler = new TapReconciler(opts.reconcileMs ?? AMQP_RECONCILE_MS, (m) => this.sink.message(m));
    this.backoff = new Backoff({
      initialMs: opts.retry?.initialMs ?? AMQP_RECONNECT.initialMs,
      maxMs: opts.retry?.maxMs ?? AMQP_RECONNECT.maxMs,
    });
    this.management = new ManagementWatch(
      opts.managementUrl,
      this.target,
      { user: this.target.user, password: this.password ?? 'guest' },
      (d) => this.sink.discovery?.(d),
      this.id,
    );
    this.deadLetters = new DeadLetterTaps(this.management, this.id, (m) => this.sink.message(m));
    this.durableTap =
      opts.durableTap && opts.exchanges.length > 0
        ? `${TAP_QUEUE_PREFIX}durable.${opts.id.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 60)}.${randomBytes(4).toString('hex')}`
        : null;
  }

  /**
   * Connects and starts recording. Resolves once recording, or once a network failure is
   * being retried in the background. Rejects with a readable message (status 'failed')
   * for a configuration error: wrong credentials, a missing vhost, exchange or queue.
   */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.sink.status('connecting', `connecting to ${this.label}`);
    const every = (ms: number, fn: () => void): void => {
      const t = setInterval(fn, ms);
      t.unref();
      this.timers.push(t);
    };
    if (this.opts.firehose && this.opts.exchanges.length) every(AMQP_RECONCILE_SWEEP_MS, () => this.sweep());
    every(AMQP_DISCOVERY_MS, () => this.emitObserved());
    if (this.management.url) every(this.opts.managementRefreshMs ?? AMQP_MANAGEMENT_REFRESH_MS, () => void this.refreshManagement());
    const problem = await this.attempt();
    if (problem) throw problem;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.generation += 1;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.clearTimers();
    const s = this.session;
    this.session = null;
    if (s) await s.close();
    // Tap copies still waiting for a firehose twin are recorded rather than dropped.
    this.reconciler.sweep(Date.now(), true);
    this.emitObserved(true);
    this.sink.status('stopped');
  }

  async discover(): Promise<Discovery> {
    // Falls back to what was observed when the API is not there; the status says why.
    await this.management.refresh();
    return this.management.discovery() ?? this.topology.take(this.id, true)!;
  }

  /** One connection attempt. Returns the error when start must fail, else null. */
  private async attempt(): Promise<FlowscopeError | null> {
    const gen = this.generation;
    let conn: ChannelModel | null = null;
    try {
      conn = await connect(
        {
          protocol: this.target.protocol,
          hostname: this.target.host,
          port: this.target.port,
          username: this.target.user,
          password: this.password ?? (this.target.user === 'guest' ? 'guest' : ''),
          vhost: this.target.vhost,
          heartbeat: AMQP_HEARTBEAT_S,
        },
        {
          timeout: this.opts.connectTimeoutMs ?? AMQP_CONNECT_TIMEOUT_MS,
          clientProperties: { connection_name: `flowscope ${this.id}` },
        },
      );
      // amqplib emits 'error' before 'close'; without a listener it would throw. The
      // session's 'close' handler reports the reason.
      conn.on('error', () => {});
      // A failing management API is not fatal: its note in the status says so.
      if (!this.management.snapshot) await this.management.refresh();
      // A loss during setup rejects `open` itself; only a session that opened can be lost.
      let opened: AmqpSession | null = null;
      const session = await AmqpSession.open(conn, this.plan(), {
        tap: (m) => this.onTap(m),
        deadLetter: (m) => this.deadLetters.copy(m),
        trace: (m) => this.onTrace(m),
        consumed: (q, m) => this.sink.message(consumedToCaptured(q, m, this.id, Date.now())),
        lost: (err) => opened && this.onLost(opened, err),
      });
      opened = session;
      if (gen !== this.generation || !this.running) {
        await session.close();
        return null;
      }
      this.session = session;
      this.backoff.reset();
      this.everRecorded = true;
      this.recordGap(session);
      for (const [ex, type] of session.types) this.topology.exchange(ex, type);
      await this.deadLetters.apply(session);
      this.reportRecording();
      if (session.traceQueue) this.trace.probe(() => session.probe(), () => this.session === session, true);
      return null;
    } catch (err) {
      // The attempt failed already; a failing close of its connection adds nothing.
      if (conn) await conn.close().catch(() => {});
      if (gen !== this.generation || !this.running) return null;
      const problem = amqpError(err, this.target, this.password, 'setting up the tap');
      if (!problem.retriable && !this.everRecorded) {
        this.running = false;
        this.clearTimers();
        this.sink.status('failed', problem.message);
        return problem;
      }
      this.scheduleRetry(problem.message);
      return null;
    }
  }

  private plan() {
    const knownTypes = new Map<string, string>();
    const snap = this.management.snapshot;
    for (const e of snap?.exchanges ?? []) knownTypes.set(e.name, e.type);
    return {
      endpointId: this.id,
      exchanges: this.opts.exchanges,
      queues: this.opts.queues ?? [],
      firehose: Boolean(this.opts.firehose),
      durableTap: this.durableTap,
      knownTypes,
      directKeys: (ex: string) => [
        ...this.topology.keysOf(ex),
        ...(snap?.bindings ?? []).filter((b) => b.source === ex).map((b) => b.routingKey),
      ],
    };
  }

  private clearTimers(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
  }

  private scheduleRetry(reason: string): void {
    if (!this.running) return;
    const delay = this.backoff.next();
    const secs = delay < 1000 ? 'under a second' : `${Math.round(delay / 1000)} s`;
    this.sink.status('reconnecting', `${reason}; retry ${this.backoff.attempts} in ${secs}`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.attempt();
    }, delay);
  }

  private onLost(session: AmqpSession, err: unknown): void {
    if (this.session !== session || !this.running) return;
    this.session = null;
    void session.close(1000, true);
    const problem = amqpError(err, this.target, this.password);
    this.lostAt ??= { time: Date.now(), reason: problem.message };
    this.scheduleRetry(`connection lost: ${problem.message}`);
  }

  /**
   * A reconnect recorded what it could not recover: what was published while no exclusive
   * queue of ours existed, the firehose's events and the application queues' competing
   * consumers' share. With the durable tap alone nothing is missing, so no gap.
   */
  private recordGap(session: AmqpSession): void {
    const lost = this.lostAt;
    this.lostAt = null;
    if (!lost) return;
    const missed: string[] = [];
    if (session.tapQueue && !session.durable) missed.push('publishes to the tapped exchanges (the tap queue is exclusive and died with the connection; --amqp-durable-tap keeps it)');
    if (session.traceQueue) missed.push('firehose events');
    if (this.consumedQueues.size) missed.push('messages of the consumed queues went to their other consumers');
    if (missed.length === 0) return;
    this.sink.gap?.({
      start: lost.time,
      end: Date.now(),
      lost: null,
      reason: 'disconnected',
      detail: `connection lost (${lost.reason}); not recorded meanwhile: ${missed.join('; ')}`,
    });
  }

  private onTap(msg: ConsumeMessage): void {
    const now = Date.now();
    if (isDeadLettered(msg)) {
      // The dead-letter tap records these; and the firehose never traces a dead-lettering,
      // so a copy must not wait for a firehose twin.
      if (this.session?.tapsDeadLetter(msg.fields.exchange, msg.fields.routingKey)) return;
      return this.sink.message(tapToCaptured(msg, this.id, now));
    }
    const captured = tapToCaptured(msg, this.id, now);
    if (!this.opts.firehose) return this.sink.message(captured);
    const fp = fingerprint(msg.fields.exchange, msg.fields.routingKey, captured.messageId ?? null, msg.content);
    this.reconciler.tapped(fp, captured, now);
  }

  private onTrace(msg: ConsumeMessage): void {
    const s = this.session;
    const ev = parseTrace(msg, s?.tapQueue ?? null);
    if (!ev) return;
    const now = Date.now();
    this.trace.event(now);
    this.reconciler.alive(now);
    const key = ev.routingKeys[0] ?? '';
    if (ev.kind === 'publish') {
      if (ev.exchange === '' && key.startsWith(PROBE_KEY_PREFIX)) return;
      const captured = traceToCaptured(ev, msg, this.id, now);
      if (ev.reachedTap) this.reconciler.traced(fingerprint(ev.exchange, key, captured.messageId ?? null, msg.content), now);
      this.topology.routed(exchangeLabel(ev.exchange), ev.routedQueues ?? [], key);
      if (ev.routedQueues?.length) s?.bindDirect(ev.exchange, key);
      const untraced = this.management.streams(ev.routedQueues ?? []);
      if (untraced.length) captured.meta = { ...captured.meta, untracedQueues: untraced };
      this.sink.message(captured);
      return;
    }
    // Our own queues' deliveries, and those we record as their consumer, are not app traffic.
    if (!ev.queue || isOwnQueue(ev.queue) || this.consumedQueues.has(ev.queue)) return;
    this.topology.queue(ev.queue);
    this.sink.message(traceToCaptured(ev, msg, this.id, now));
  }

  private sweep(): void {
    const now = Date.now();
    const s = this.session;
    // Tap copies no firehose event claimed: if the firehose is silent too, tracing is off.
    if (this.reconciler.sweep(now) > 0 && s) {
      this.trace.unclaimed(now, this.opts.reconcileMs ?? AMQP_RECONCILE_MS, () => s.probe(), () => this.session === s);
    }
  }

  private reportRecording(): void {
    const s = this.session;
    if (!s || !this.running) return;
    const parts = [...s.notes];
    const vh = this.target.vhost;
    if (s.traceQueue) {
      parts.push(
        this.trace.off
          ? `firehose: no trace events, tracing looks off in vhost '${vh}'; turn it on with: rabbitmqctl trace_on -p ${vh}`
          : 'firehose: publishes with their routed queues, and deliveries',
      );
    }
    parts.push(...this.deadLetters.status(s));
    if (this.management.note) parts.push(this.management.note);
    this.sink.status('recording', `${this.label}: ${parts.join('; ') || 'connected, nothing to record'}`);
  }

  /** Reads the management API again and taps dead-letter exchanges that appeared. */
  private async refreshManagement(): Promise<void> {
    const before = this.management.note;
    await this.management.refresh();
    const s = this.session;
    if (!s || !this.running) return;
    const changed = await this.deadLetters.apply(s);
    if (changed || this.management.note !== before) this.reportRecording();
  }

  private emitObserved(force = false): void {
    const d = this.topology.take(this.id, force);
    if (d && (force ? d.exchanges?.length || d.queues?.length : true)) this.sink.discovery?.(d);
  }
}
