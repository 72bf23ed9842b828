import { Kafka, logLevel, type Admin, type KafkaConfig } from 'kafkajs';
import type { EndpointStatus } from '../../../shared/model.ts';
import type { CaptureSink, Connector } from '../types.ts';
import type { Discovery } from '../../../shared/discovery.ts';
import { Backoff } from '../../common/backoff.ts';
import {
  KAFKA_CONNECT_TIMEOUT_MS,
  KAFKA_DISCOVERY_MS,
  KAFKA_GROUP_DELETE_TIMEOUT_MS,
  KAFKA_GROUPS_POLL_MS,
  KAFKA_LAG_REPORT_MS,
  KAFKA_RECONNECT,
  KAFKA_TOPIC_REFRESH_MS,
} from '../../common/constants.ts';
import { ConnectionError, errorText } from '../../common/errors.ts';
import { getLogger } from '../../common/logger.ts';
import { registerCodecs } from './codecs.ts';
import { discoverCluster, startOffsets, userTopics } from './cluster.ts';
import { kafkaError } from './errors.ts';
import { quietLogCreator, type KafkaLogEvent } from './logger.ts';
import { LagMeter, seedLag } from './lag.ts';
import { GroupOffsetsPoller } from './offsets-poller.ts';
import { toCaptured, type KafkaRecord } from './record.ts';
import { installRecordDecoder } from './record-batch.ts';
import { TapGroups } from './tap-groups.ts';
import { TapConsumer } from './tap.ts';
import { matchTopics, parseTopics, unmatchedDetail, type TopicSelector, type TopicSpec } from './topics.ts';

export interface KafkaConnectorOptions {
  id: string;
  /** host:port of one or more brokers. */
  brokers: string[];
  /** Exact names and/or patterns; see topics.ts. */
  topics: TopicSpec;
  /** Record what is already in the topics too, not only what arrives from now on. */
  fromBeginning?: boolean;
  clientId?: string;
  ssl?: KafkaConfig['ssl'];
  sasl?: KafkaConfig['sasl'];
  /** How often application groups' committed offsets are polled; 0 turns polling off. */
  groupsPollMs?: number;
  /** How often the topic list is re-read, to follow topics created during the recording. */
  topicRefreshMs?: number;
  /** How often a full discovery snapshot is emitted. */
  discoveryMs?: number;
}

type Trouble = { kind: 'crash'; err: Error } | { kind: 'topics' } | { kind: 'stop' };

const log = getLogger('kafka');

/**
 * Records every record of the selected topics, from now or from the beginning, without
 * touching any application's consumer group (see TapConsumer for how). It reconnects on
 * its own with backoff, reports why through `sink.status`, and polls consumer-group
 * offsets and cluster facts while it runs.
 */
export class KafkaConnector implements Connector {
  readonly transport = 'kafka' as const;
  readonly id: string;
  private readonly groups: TapGroups;
  private readonly kafka: Kafka;
  private readonly selector: TopicSelector;
  private readonly startedAt = Date.now();
  /** Next offset to record per topic/partition: the tap's only source of truth for where to read. */
  private readonly positions = new Map<string, bigint>();
  private readonly poller: GroupOffsetsPoller;
  /** Records the tap has not captured yet, announced through `sink.lag` (issue 12). */
  private readonly lag: LagMeter;
  private admin: Admin | null = null;
  private tap: TapConsumer | null = null;
  private topics: string[] = [];
  /** The broker's topics as last listed, to say what exists when a name or pattern finds nothing. */
  private existing: string[] = [];
  /** Topics that existed when the tap first reached the broker; later ones are read from their start. */
  private baselineTaken = false;
  private readonly backoff = new Backoff(KAFKA_RECONNECT);
  private joinedOnce = false;
  private state: EndpointStatus = 'connecting';
  private stopping = false;
  private loopDone: Promise<void> | null = null;
  private wake: ((t: Trouble) => void) | null = null;
  private cancelSleep: (() => void) | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly warned = new Set<string>();
  /** Admin calls of the timers and discovery still running; stop waits for them. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly opts: KafkaConnectorOptions,
    private readonly sink: CaptureSink,
  ) {
    this.id = opts.id;
    this.selector = parseTopics(opts.topics);
    this.groups = new TapGroups(opts.id);
    registerCodecs();
    // kafkajs reads the records otherwise, as it always did, only slower (issue 12).
    if (!installRecordDecoder()) log.debug('kafkajs decodes the record batches itself (another kafkajs version, or its fetch decoder was loaded first)');
    this.kafka = new Kafka({
      clientId: opts.clientId ?? 'flowscope',
      brokers: opts.brokers,
      ...(opts.ssl !== undefined ? { ssl: opts.ssl } : {}),
      ...(opts.sasl !== undefined ? { sasl: opts.sasl } : {}),
      connectionTimeout: KAFKA_CONNECT_TIMEOUT_MS,
      // Few retries inside kafkajs: the connector's own loop retries with backoff and says so.
      retry: { retries: 2, initialRetryTime: 300, maxRetryTime: 2000 },
      logLevel: logLevel.WARN,
      logCreator: quietLogCreator((e) => this.onLog(e)),
    });
    this.poller = new GroupOffsetsPoller(this.id, sink);
    this.lag = new LagMeter(KAFKA_LAG_REPORT_MS, (records) => sink.lag?.(records));
  }

  /** The consumer group the tap reads through right now (null before the first attempt). */
  get groupId(): string | null {
    return this.groups.current;
  }

  /** All groups this tap has created on the broker so far. */
  get groupIds(): readonly string[] {
    return this.groups.all;
  }

  /** Reading is paused while the session file cannot be written (Connector.pause). */
  private paused = false;

  pause(): void {
    this.paused = true;
    this.tap?.pause();
  }

  resume(): void {
    this.paused = false;
    this.tap?.resume();
  }

  /** Topics the tap currently reads (for tests and the UI). */
  get tappedTopics(): readonly string[] {
    return this.topics;
  }

  async start(): Promise<void> {
    this.setStatus('connecting', `Connecting to Kafka at ${this.brokersLabel}`);
    this.loopDone = this.loop();
    const every = (ms: number, what: string, fn: () => Promise<void>): void => {
      // A failed round is tried again next interval; the main loop reports a dead broker.
      const run = (): void => this.track(fn().catch((err: unknown) => log.debug(`${this.id}: ${what} failed`, err)));
      if (ms > 0) this.timers.push(setInterval(run, ms));
    };
    every(this.opts.groupsPollMs ?? KAFKA_GROUPS_POLL_MS, 'polling group offsets', () => this.pollOffsets());
    every(this.opts.topicRefreshMs ?? KAFKA_TOPIC_REFRESH_MS, 'refreshing topics', () => this.refreshTopics());
    every(this.opts.discoveryMs ?? KAFKA_DISCOVERY_MS, 'discovery', () => this.emitDiscovery());
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    this.wake?.({ kind: 'stop' });
    this.cancelSleep?.();
    await this.loopDone;
    this.lag.stop();
    // An admin call still running when the admin disconnects retries on a fresh connection
    // that nothing closes, and the process cannot exit.
    await Promise.all(this.inFlight);
    if (this.groups.all.length > 0) {
      try {
        await this.groups.deleteAll(await this.ensureAdmin(), KAFKA_GROUP_DELETE_TIMEOUT_MS);
      } catch (err) {
        const names = this.groups.all.join(', ');
        this.sink.status('stopped', `Could not delete the tap's consumer groups ${names}: ${errorText(err)}`);
      }
    }
    await this.dropAdmin();
  }

  async discover(): Promise<Discovery> {
    return discoverCluster(await this.ensureAdmin(), this.id);
  }

  private get brokersLabel(): string {
    return this.opts.brokers.join(', ');
  }

  /** Connects, taps, waits for trouble, tears down, backs off; until stop(). */
  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        const admin = await this.ensureAdmin();
        const existing = await userTopics(admin);
        await this.takeBaseline(admin, existing);
        this.existing = existing;
        this.topics = matchTopics(this.selector, existing);
        this.track(this.emitDiscovery());
        if (this.topics.length > 0) {
          this.tap = new TapConsumer(this.kafka, this.groups.next(), this.topics, this.positions, {
            records: (topic, partition, recs) => this.onRecords(topic, partition, recs),
            captured: (topic, partition, highWatermark, next) => this.lag.update(topic, partition, highWatermark, next),
            joined: (assignment) => this.onJoined(assignment),
            fetched: () => {
              if (this.state === 'reconnecting' && this.joinedOnce) this.setStatus('recording', this.missingDetail());
            },
            crashed: (err) => this.wake?.({ kind: 'crash', err }),
          });
          const trouble = this.waitForTrouble();
          await this.tap.start(); // the backoff resets on join: a consumer that crashes at once still backs off
          // A consumer rebuilt while writes are paused stays paused too.
          if (this.paused) this.tap.pause();
          await this.handle(await trouble);
        } else {
          this.setStatus('recording', this.missingDetail());
          this.backoff.reset();
          await this.handle(await this.waitForTrouble());
        }
      } catch (err) {
        if (this.stopping) break;
        const problem = kafkaError(err);
        if (!problem.retriable) {
          this.setStatus('failed', `Kafka at ${this.brokersLabel}: ${problem.message}`);
          break;
        }
        const delay = this.backoff.next();
        const unreachable = problem instanceof ConnectionError;
        const what = !this.joinedOnce ? 'Cannot reach' : unreachable ? 'Lost the connection to' : 'Error from';
        this.setStatus(
          this.joinedOnce ? 'reconnecting' : 'connecting',
          `${what} Kafka at ${this.brokersLabel}: ${problem.message}; retrying in ${(delay / 1000).toFixed(1)} s`,
        );
        await this.teardown();
        await this.dropAdmin();
        await this.sleep(delay);
      } finally {
        await this.teardown();
      }
    }
  }

  private async handle(t: Trouble): Promise<void> {
    if (t.kind === 'crash') throw t.err;
    // 'topics': the loop rebuilds the consumer with the new topic list; 'stop': it ends.
  }

  private waitForTrouble(): Promise<Trouble> {
    return new Promise((resolve) => {
      this.wake = (t) => {
        this.wake = null;
        resolve(t);
      };
      if (this.stopping) this.wake({ kind: 'stop' });
    });
  }

  private async teardown(): Promise<void> {
    const tap = this.tap;
    this.tap = null;
    this.wake = null;
    if (tap) await tap.stop();
  }

  /**
   * Fixes where a "from now" tap starts in the topics that exist at first contact. If the
   * broker was unreachable when the user started, "now" is the start time, not first contact.
   */
  private async takeBaseline(admin: Admin, existing: string[]): Promise<void> {
    if (this.baselineTaken) return;
    if (!this.opts.fromBeginning) {
      const since = this.backoff.attempts > 0 ? this.startedAt : null;
      const offsets = await startOffsets(admin, matchTopics(this.selector, existing), since);
      for (const [k, v] of offsets) this.positions.set(k, v);
    }
    this.baselineTaken = true;
  }

  private onJoined(assignment: Record<string, number[]>): void {
    this.lag.assigned(assignment);
    this.track(this.seedLag(assignment));
    this.joinedOnce = true;
    this.backoff.reset();
    if (this.admin) this.groups.retireOld(this.admin);
    this.setStatus('recording', this.missingDetail());
  }

  private async seedLag(assignment: Record<string, number[]>): Promise<void> {
    if (this.admin) await seedLag(this.lag, this.admin, assignment, this.positions).catch((err: unknown) => log.debug(`${this.id}: reading offsets for the lag failed`, err));
    // Partitions still without a figure get one from their first batch.
    this.lag.settle();
  }

  private missingDetail(): string | undefined {
    return unmatchedDetail(this.selector, this.existing);
  }

  private onRecords(topic: string, partition: number, recs: KafkaRecord[]): Promise<void> | null {
    const now = Date.now();
    for (const r of recs) {
      const msg = toCaptured(this.id, topic, partition, r, now);
      const reason = msg.meta?.undecodable;
      if (typeof reason === 'string') this.warnUndecodable(topic, reason);
      this.sink.message(msg);
    }
    return this.sink.ready?.() ?? null;
  }

  private warnUndecodable(topic: string, reason: string): void {
    const codec = reason.split(':')[0] ?? 'an unknown';
    if (this.warned.has(`${topic}\u0000${codec}`)) return;
    this.warned.add(`${topic}\u0000${codec}`);
    this.setStatus(
      this.state === 'reconnecting' ? 'reconnecting' : 'recording',
      `Topic ${topic} uses ${codec} compression, which Flowscope cannot decode yet (${reason}); ` +
        'its records are recorded without key, headers or payload. Other topics are unaffected.',
    );
  }

  private onLog(e: KafkaLogEvent): void {
    if (this.stopping || !e.connectionLost) return;
    if (this.state === 'recording' && this.joinedOnce) {
      this.setStatus('reconnecting', `Lost the connection to Kafka at ${this.brokersLabel}: ${e.error ?? e.message}`);
    }
  }

  private setStatus(status: EndpointStatus, detail?: string): void {
    this.state = status;
    this.sink.status(status, detail);
  }

  private async refreshTopics(): Promise<void> {
    if (this.stopping || !this.admin || !this.wake) return;
    try {
      const existing = await userTopics(this.admin);
      const now = matchTopics(this.selector, existing);
      if (now.join('\u0000') !== this.topics.join('\u0000')) this.wake?.({ kind: 'topics' });
      else if (existing.join('\u0000') !== this.existing.join('\u0000')) {
        // Still waiting for a name or pattern: keep the list of what exists current.
        this.existing = existing;
        if (this.topics.length === 0) this.setStatus('recording', this.missingDetail());
      }
    } catch (err) {
      // With a consumer running, the consumer notices a dead broker itself; without one
      // (waiting for a topic to appear), this is the only thing talking to the broker.
      if (!this.tap) this.wake?.({ kind: 'crash', err: err as Error });
    }
  }

  private track(work: Promise<void>): void {
    const p = work.catch(() => undefined).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  private async pollOffsets(): Promise<void> {
    if (this.stopping || !this.admin || this.topics.length === 0) return;
    await this.poller.poll(this.admin, this.topics);
  }

  private async emitDiscovery(): Promise<void> {
    if (this.stopping || !this.admin || !this.sink.discovery) return;
    try {
      this.sink.discovery(await discoverCluster(this.admin, this.id));
    } catch (err) {
      // Discovery is best effort; the next interval tries again.
      log.debug(`${this.id}: discovery failed`, err);
    }
  }

  private async ensureAdmin(): Promise<Admin> {
    if (this.admin) return this.admin;
    const admin = this.kafka.admin({ retry: { retries: 1, initialRetryTime: 300 } });
    await admin.connect();
    this.admin = admin;
    return admin;
  }

  private async dropAdmin(): Promise<void> {
    const admin = this.admin;
    this.admin = null;
    // Dropped because it failed or the tap stops: a failing disconnect leaves nothing behind.
    if (admin) await admin.disconnect().catch(() => undefined);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.cancelSleep = done;
    });
  }
}

