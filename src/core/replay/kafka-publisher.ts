import { Kafka, Partitioners, logLevel, type Admin, type IHeaders, type Message, type Producer } from 'kafkajs';
import type { JsonValue } from '../../shared/model.ts';
import { setOwn } from '../common/own-key.ts';
import { REPLAY_KAFKA_BATCH_BYTES, REPLAY_KAFKA_BATCH_COUNT } from '../common/constants.ts';
import type { DestinationPlan, Publisher, ReplayItem, Settlement } from './types.ts';

/** Kafka errors about one record; anything else (connection, auth, topic) stops the replay. */
const RECORD_ERRORS = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE', 'INVALID_TIMESTAMP']);

interface Queued {
  item: ReplayItem;
  settle: (s: Settlement) => void;
}

interface PartitionQueue {
  topic: string;
  /** Undefined: the target topic lacks the recorded partition, so the key picks one. */
  partition: number | undefined;
  items: Queued[];
  busy: boolean;
}

/**
 * Re-publishes Kafka records with their key, headers and value bytes. A record goes to its
 * recorded partition when the target topic has it, else the producer's default (murmur2,
 * Java-compatible) partitioner places it by key. Each partition has its own queue with one
 * produce request in flight, so records keep their per-partition order, and whatever queued
 * meanwhile goes out as the next batch. Record timestamps are new: an old CreateTime could
 * make the target's time-based retention delete the replayed records at once.
 */
export class KafkaPublisher implements Publisher {
  readonly transport = 'kafka' as const;
  private readonly kafka: Kafka;
  private producer: Producer | null = null;
  private admin: Admin | null = null;
  private readonly partitions = new Map<string, number>();
  private readonly queues = new Map<string, PartitionQueue>();
  private aborted = false;
  private closed = false;

  constructor(brokers: string[]) {
    this.kafka = new Kafka({
      clientId: 'flowscope-replay',
      brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 5000,
      retry: { retries: 3, initialRetryTime: 200 },
    });
  }

  async open(destinations: DestinationPlan[]): Promise<string[]> {
    const notes: string[] = [];
    this.admin = this.kafka.admin();
    await this.admin.connect();
    this.checkOpen();
    const existing = new Set(await this.admin.listTopics());
    const wanted = new Map<string, number>();
    for (const d of destinations) wanted.set(d.to, Math.max(wanted.get(d.to) ?? 1, d.partitions));
    const missing = [...wanted].filter(([t]) => !existing.has(t));
    if (missing.length) {
      // Create missing topics with as many partitions as the recording used, so records keep their partition.
      await this.admin.createTopics({
        waitForLeaders: true,
        topics: missing.map(([topic, numPartitions]) => ({ topic, numPartitions })),
      });
      for (const [t, n] of missing) notes.push(`Created topic ${t} with ${n} partition${n === 1 ? '' : 's'}.`);
    }
    const meta = await this.admin.fetchTopicMetadata({ topics: [...wanted.keys()] });
    for (const t of meta.topics) {
      this.partitions.set(t.name, t.partitions.length);
      const need = wanted.get(t.name) ?? 1;
      if (t.partitions.length < need) {
        notes.push(
          `Topic ${t.name} has ${t.partitions.length} partition(s) but the recording used ${need}: records of the missing partitions are placed by key.`,
        );
      }
    }
    // Idempotent: a produce request retried after a timeout cannot leave a duplicate, so the
    // target holds exactly what the report counts (costs some throughput on one connection).
    this.producer = this.kafka.producer({
      allowAutoTopicCreation: false,
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await this.producer.connect();
    this.checkOpen();
    // An empty send loads the producer's metadata for each topic now, not on the first record (it would shift the first gap).
    for (const topic of wanted.keys()) await this.producer.send({ topic, messages: [] });
    return notes;
  }

  send(item: ReplayItem, settle: (s: Settlement) => void): void {
    const topic = item.destination;
    const p = item.msg.partition;
    const partition = p !== null && p !== undefined && p < (this.partitions.get(topic) ?? 0) ? p : undefined;
    const key = `${topic}\u0000${partition ?? 'by-key'}`;
    let q = this.queues.get(key);
    if (!q) this.queues.set(key, (q = { topic, partition, items: [], busy: false }));
    q.items.push({ item, settle });
    this.kick(q);
  }

  private kick(q: PartitionQueue): void {
    if (q.busy || q.items.length === 0 || !this.producer) return;
    const batch: Queued[] = [];
    let bytes = 0;
    while (q.items.length && batch.length < REPLAY_KAFKA_BATCH_COUNT && (batch.length === 0 || bytes < REPLAY_KAFKA_BATCH_BYTES)) {
      const next = q.items.shift()!;
      bytes += next.item.msg.payload.byteLength;
      batch.push(next);
    }
    q.busy = true;
    void this.produce(q, batch).finally(() => {
      q.busy = false;
      if (!this.aborted) this.kick(q);
    });
  }

  private async produce(q: PartitionQueue, batch: Queued[]): Promise<void> {
    try {
      await this.producer!.send({ topic: q.topic, acks: -1, messages: batch.map((b) => toKafkaMessage(b.item, q.partition)) });
      this.settleAll(batch, { ok: true });
    } catch (err) {
      const error = err as Error;
      if (!isRecordError(error)) {
        this.settleAll(batch, { ok: false, error, fatal: true });
      } else if (batch.length === 1) {
        this.settleAll(batch, { ok: false, error });
      } else {
        // One bad record fails its whole request: resend one by one so only it is counted failed.
        for (const b of batch) await this.produce(q, [b]);
      }
    }
  }

  private settleAll(batch: Queued[], s: Settlement): void {
    for (const b of batch) b.settle(s);
  }

  abort(): void {
    this.aborted = true;
    for (const q of this.queues.values()) {
      const dropped = q.items.splice(0);
      for (const d of dropped) d.settle({ ok: false, cancelled: true });
    }
  }

  /** A replay cancelled while connecting closes the publisher under open(): stop there. */
  private checkOpen(): void {
    if (this.closed) {
      void this.close();
      throw new Error('cancelled while connecting');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([this.producer?.disconnect(), this.admin?.disconnect()]);
  }
}

function toKafkaMessage(item: ReplayItem, partition: number | undefined): Message {
  const m = item.msg;
  const out: Message = {
    key: m.key ? Buffer.from(m.key) : null,
    value: m.meta?.tombstone === true ? null : Buffer.from(m.payload),
  };
  if (partition !== undefined) out.partition = partition;
  if (m.headers) out.headers = toKafkaHeaders(m.headers);
  return out;
}

/** Stored headers (text, `{ $base64 }`, arrays for repeated names) → kafkajs headers, byte for byte. */
export function toKafkaHeaders(h: Record<string, JsonValue>): IHeaders {
  const out: IHeaders = {};
  // kafkajs writes the headers it finds with Object.keys: a `__proto__` one is sent too, if it is an own key.
  for (const [name, v] of Object.entries(h)) setOwn(out, name, Array.isArray(v) ? v.map(headerBytes) : headerBytes(v));
  return out;
}

function headerBytes(v: JsonValue): Buffer | string {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && !Array.isArray(v) && typeof v.$base64 === 'string') return Buffer.from(v.$base64, 'base64');
  // kafkajs writes a null header value as Kafka's null (length -1).
  if (v === null) return null as unknown as Buffer;
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function isRecordError(err: Error): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const type = (e as { type?: string }).type;
    if (type && RECORD_ERRORS.has(type)) return true;
    e = (e as { cause?: unknown; originalError?: unknown }).cause ?? (e as { originalError?: unknown }).originalError;
  }
  return false;
}
