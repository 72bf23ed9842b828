import { Kafka, logLevel, type Admin, type KafkaConfig } from 'kafkajs';
import type { EndpointStatus } from '../../../shared/model.ts';
import type { CaptureSink, Connector } from '../types.ts';
import type { Discovery } from '../../../shared/discovery.ts';
import { registerCodecs } from './codecs.ts';
import { discoverCluster, startOffsets, userTopics } from './cluster.ts';
import { isConnectionTrouble, quietLogCreator, type KafkaLogEvent } from './logger.ts';
import { GroupOffsetsPoller } from './offsets-poller.ts';
import { toCaptured, type KafkaRecord } from './record.ts';
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

/** Errors that retrying cannot fix: the user has to change the settings. */
const FATAL = /SASL|authenticat|authoriz|invalid topic pattern|not a valid regular expression/i;

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
  private admin: Admin | null = null;
  private tap: TapConsumer | null = null;
  private topics: string[] = [];
  /** The broker's topics as last listed, to say what exists when a name or pattern finds nothing. */
  private existing: string[] = [];
  /** Topics that existed when the tap first reached the broker; later ones are read from their start. */
  private baselineTaken = false;
  private failedAttempts = 0;
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
    this.kafka = new Kafka({
      clientId: opts.clientId ?? 'flowscope',
      brokers: opts.brokers,
      ...(opts.ssl !== undefined ? { ssl: opts.ssl } : {}),
      ...(opts.sasl !== undefined ? { sasl: opts.sasl } : {}),
      connectionTimeout: 3000,
      retry: { retries: 2, initialRetryTime: 300, maxRetryTime: 2000 },
      logLevel: logLevel.WARN,
      logCreator: quietLogCreator((e) => this.onLog(e)),
    });
    this.poller = new GroupOffsetsPoller(this.id, sink);
  }

  /** The consumer group the tap reads through right now (null before the first attempt). */
  get groupId(): string | null {
    return this.groups.current;
  }

  /** All groups this tap has created on the broker so far. */
  get groupIds(): readonly string[] {
    return this.groups.all;
  }

  /** Topics the tap currently reads (for tests and the UI). */
  get tappedTopics(): readonly string[] {
    return this.topics;
  }

  async start(): Promise<void> {
    this.setStatus('connecting', `Connecting to Kafka at ${this.brokersLabel}`);
    this.loopDone = this.loop();
    const every = (ms: number, fn: () => Promise<void>): void => {
      if (ms > 0) this.timers.push(setInterval(() => this.track(fn()), ms));
    };
    every(this.opts.groupsPollMs ?? 2000, () => this.pollOffsets());
    every(this.opts.topicRefreshMs ?? 5000, () => this.refreshTopics());
    every(this.opts.discoveryMs ?? 30_000, () => this.emitDiscovery());
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    this.wake?.({ kind: 'stop' });
    this.cancelSleep?.();
    await this.loopDone;
    // An admin call still running when the admin disconnects retries on a fresh connection
    // that nothing closes, and the process cannot exit.
    await Promise.all(this.inFlight);
    if (this.groups.all.length > 0) {
      try {
        await this.groups.deleteAll(await this.ensureAdmin(), 20_000);
      } catch (err) {
        const names = this.groups.all.join(', ');
        this.sink.status('stopped', `Could not delete the tap's consumer groups ${names}: ${describe(err)}`);
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
            joined: () => this.onJoined(),
            fetched: () => {
              if (this.state === 'reconnecting' && this.joinedOnce) this.setStatus('recording', this.missingDetail());
            },
            crashed: (err) => this.wake?.({ kind: 'crash', err }),
          });
          const trouble = this.waitForTrouble();
          await this.tap.start(); // failedAttempts resets on join: a consumer that crashes at once still backs off
          await this.handle(await trouble);
        } else {
          this.setStatus('recording', this.missingDetail());
          this.failedAttempts = 0;
          await this.handle(await this.waitForTrouble());
        }
      } catch (err) {
        if (this.stopping) break;
        if (FATAL.test(describe(err))) {
          this.setStatus('failed', `Kafka at ${this.brokersLabel}: ${describe(err)}`);
          break;
        }
        this.failedAttempts += 1;
        const delay = Math.min(500 * 2 ** (this.failedAttempts - 1), 10_000);
        const text = describe(err);
        const unreachable = isConnectionTrouble({ level: 'error', namespace: '', message: text, error: null });
        const what = !this.joinedOnce ? 'Cannot reach' : unreachable ? 'Lost the connection to' : 'Error from';
        this.setStatus(
          this.joinedOnce ? 'reconnecting' : 'connecting',
          `${what} Kafka at ${this.brokersLabel}: ${text}; retrying in ${(delay / 1000).toFixed(1)} s`,
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
      const since = this.failedAttempts > 0 ? this.startedAt : null;
      const offsets = await startOffsets(admin, matchTopics(this.selector, existing), since);
      for (const [k, v] of offsets) this.positions.set(k, v);
    }
    this.baselineTaken = true;
  }

  private onJoined(): void {
    this.joinedOnce = true;
    this.failedAttempts = 0;
    if (this.admin) this.groups.retireOld(this.admin);
    this.setStatus('recording', this.missingDetail());
  }

  private missingDetail(): string | undefined {
    return unmatchedDetail(this.selector, this.existing);
  }

  private onRecords(topic: string, partition: number, recs: KafkaRecord[]): void {
    const now = Date.now();
    for (const r of recs) {
      const msg = toCaptured(this.id, topic, partition, r, now);
      const reason = msg.meta?.undecodable;
      if (typeof reason === 'string') this.warnUndecodable(topic, reason);
      this.sink.message(msg);
    }
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
    if (this.stopping || !isConnectionTrouble(e)) return;
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
    } catch {
      // Discovery is best effort; the next interval tries again.
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

function describe(err: unknown): string {
  const e = err as Error & { cause?: Error };
  const cause = e?.cause?.message && !e.message.includes(e.cause.message) ? ` (${e.cause.message})` : '';
  return `${e?.message ?? String(err)}${cause}`;
}
