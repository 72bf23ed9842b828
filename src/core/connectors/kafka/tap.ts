import type { Consumer, Kafka } from 'kafkajs';
import {
  KAFKA_MAX_BYTES,
  KAFKA_MAX_BYTES_PER_PARTITION,
  KAFKA_MAX_WAIT_MS,
  KAFKA_SESSION_TIMEOUT_MS,
  KAFKA_HEARTBEAT_WAIT_MS,
} from '../../common/constants.ts';
import { partitionKey } from './cluster.ts';
import type { KafkaRecord } from './record.ts';

export interface TapHandlers {
  /**
   * Records of one partition, in offset order, that were never handed over before. A
   * promise returned holds the next fetch until it resolves (backpressure).
   */
  records(topic: string, partition: number, records: KafkaRecord[]): Promise<void> | null;
  /** The tap's consumer got its partitions (first join and every rebalance). */
  joined(assignment: Record<string, number[]>): void;
  /**
   * A batch of one partition was handed over: the tap has captured it up to (not including)
   * offset `next`, and the broker's high watermark was `highWatermark` (for the lag).
   */
  captured(topic: string, partition: number, highWatermark: string, next: bigint): void;
  /** A fetch completed: the broker is answering. */
  fetched(): void;
  /** The consumer stopped on an error; the owner rebuilds it. */
  crashed(err: Error): void;
}

/**
 * Waits for the owner to catch up while staying in the group: a wait longer than the
 * session timeout would otherwise cost a rebalance.
 */
async function waitBeating(wait: Promise<void>, heartbeat: () => Promise<void>): Promise<void> {
  let done = false;
  void wait.then(() => (done = true));
  while (!done) {
    await Promise.race([wait, new Promise((r) => setTimeout(r, KAFKA_HEARTBEAT_WAIT_MS))]);
    if (!done) await heartbeat().catch(() => undefined);
  }
}

/**
 * One kafkajs consumer reading `topics` for a tap.
 *
 * kafkajs has no group-less assignment (its consumer always joins a group), so the tap
 * joins a throwaway group of its own (TAP_GROUP_PREFIX + random) and never commits
 * (autoCommit off; a seek with autoCommit off only moves the in-memory position, see
 * kafkajs offsetManager.seek). Where to read is decided here, not by the group: on every
 * join each assigned partition is seeked to `positions` (the next offset the tap has not
 * recorded yet), so a rebalance, a broker restart or a rebuilt consumer neither skips nor
 * repeats a record. Partitions without a position (topics or partitions created after the
 * tap started) start at the beginning, because everything in them is new: hence the
 * subscription's `fromBeginning: true`. Records below a partition's position (redelivered
 * by a fetch that raced a seek) are dropped, so nothing is stored twice.
 */
export class TapConsumer {
  private readonly consumer: Consumer;

  constructor(
    kafka: Kafka,
    readonly groupId: string,
    private readonly topics: readonly string[],
    private readonly positions: Map<string, bigint>,
    private readonly on: TapHandlers,
  ) {
    this.consumer = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: KAFKA_MAX_WAIT_MS,
      maxBytesPerPartition: KAFKA_MAX_BYTES_PER_PARTITION,
      maxBytes: KAFKA_MAX_BYTES,
      sessionTimeout: KAFKA_SESSION_TIMEOUT_MS,
      // The owner rebuilds a crashed consumer itself (with its own backoff and status).
      retry: { retries: 3, initialRetryTime: 300, maxRetryTime: 3000, restartOnFailure: async () => false },
    });
  }

  async start(): Promise<void> {
    const c = this.consumer;
    c.on(c.events.GROUP_JOIN, (e) => {
      // Runs synchronously inside kafkajs's join, before the generation's first fetch.
      const assignment = e.payload.memberAssignment;
      for (const [topic, partitions] of Object.entries(assignment)) {
        for (const partition of partitions) {
          const next = this.positions.get(partitionKey(topic, partition));
          if (next !== undefined) c.seek({ topic, partition, offset: next.toString() });
        }
      }
      this.on.joined(assignment);
    });
    c.on(c.events.FETCH, () => this.on.fetched());
    c.on(c.events.CRASH, (e) => this.on.crashed(e.payload.error));
    await c.connect();
    await c.subscribe({ topics: [...this.topics], fromBeginning: true });
    await c.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        const key = partitionKey(batch.topic, batch.partition);
        const next = this.positions.get(key) ?? -1n;
        const all = batch.messages as KafkaRecord[];
        let fresh: KafkaRecord[];
        let last: bigint;
        // A batch is in offset order: when its first record is new, all are (two BigInts
        // per batch instead of two per record, at catch-up rate).
        if (all.length > 0 && BigInt(all[0]!.offset) >= next) {
          fresh = all;
          last = BigInt(all[all.length - 1]!.offset) + 1n;
        } else {
          fresh = [];
          last = next;
          for (const m of all) {
            const off = BigInt(m.offset);
            if (off < last) continue;
            fresh.push(m);
            last = off + 1n;
          }
        }
        if (fresh.length === 0) {
          if (next >= 0n) this.on.captured(batch.topic, batch.partition, batch.highWatermark, next);
          return;
        }
        this.positions.set(key, last);
        const wait = this.on.records(batch.topic, batch.partition, fresh);
        this.on.captured(batch.topic, batch.partition, batch.highWatermark, last);
        if (wait) await waitBeating(wait, heartbeat);
      },
    });
  }

  /**
   * Stops fetching (the session file cannot be written): the broker keeps the records, and
   * `resume` reads on from the position the tap had reached, so nothing is lost.
   */
  pause(): void {
    this.consumer.pause(this.topics.map((topic) => ({ topic })));
  }

  resume(): void {
    this.consumer.resume(this.topics.map((topic) => ({ topic })));
  }

  /** Leaves the group (nothing to commit) and closes the connections. */
  async stop(): Promise<void> {
    // A consumer that crashed or lost its broker may fail to leave; its throwaway group is deleted anyway.
    await this.consumer.disconnect().catch(() => undefined);
  }
}
