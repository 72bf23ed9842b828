import type { Admin } from 'kafkajs';
import { partitionKey } from './cluster.ts';

/**
 * Records a tap has not captured yet in one partition: the broker's high watermark is the
 * offset the next record will get, so the last record is `highWatermark - 1`; `next` is
 * the offset after the last record captured (the tap's position). Zero when caught up.
 * Never negative: a fetch's high watermark can trail a record the same fetch returned, and
 * a transaction's control record (never handed to the tap) can hold the last offset.
 */
export function partitionLag(highWatermark: string | bigint, next: bigint): bigint {
  const hw = typeof highWatermark === 'bigint' ? highWatermark : BigInt(highWatermark);
  const last = next - 1n;
  const lag = hw - 1n - last;
  return lag > 0n ? lag : 0n;
}

/**
 * The tap's consumer lag, per partition from the last fetched batch, summed for the
 * endpoint, announced at most every `everyMs` (a catch-up fetches many batches a second),
 * and always once more after the last change, so a tap that has caught up says `0`.
 *
 * A partition assigned but not fetched yet has no figure: nothing is announced until each
 * has one (from a batch, or `seed` from the broker's offsets, since kafkajs never hands over
 * an empty batch), so one partition caught up never reads as the whole tap caught up.
 */
export class LagMeter {
  private readonly byPartition = new Map<string, bigint>();
  private readonly unknown = new Set<string>();
  private lastReport = -Infinity;
  private reported: number | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly everyMs: number,
    private readonly report: (records: number) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** A batch of `topic`/`partition` was captured up to (not including) offset `next`. */
  update(topic: string, partition: number, highWatermark: string, next: bigint): void {
    const key = partitionKey(topic, partition);
    this.byPartition.set(key, partitionLag(highWatermark, next));
    this.unknown.delete(key);
    this.schedule();
  }

  /** The consumer got these partitions; those without a figure yet hold announcements back. */
  assigned(assignment: Record<string, number[]>): void {
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const p of partitions) {
        const key = partitionKey(topic, p);
        if (!this.byPartition.has(key)) this.unknown.add(key);
      }
    }
  }

  /** A figure from the broker's offsets for a partition no batch has come from yet. */
  seed(topic: string, partition: number, lag: bigint): void {
    const key = partitionKey(topic, partition);
    if (this.byPartition.has(key)) return;
    this.byPartition.set(key, lag);
    this.unknown.delete(key);
    this.schedule();
  }

  /** The offsets could not be read: announce what the batches say. */
  settle(): void {
    this.unknown.clear();
    this.schedule();
  }

  private schedule(): void {
    if (this.unknown.size > 0) return;
    const wait = this.lastReport + this.everyMs - this.now();
    if (wait <= 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), wait);
  }

  /** Records behind, over every partition a batch came from. */
  get total(): number {
    let sum = 0n;
    for (const v of this.byPartition.values()) sum += v;
    return Number(sum);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private flush(): void {
    this.stop();
    this.lastReport = this.now();
    const total = this.total;
    // An unchanged figure is not announced again (a tailing tap at lag 0 stays quiet).
    if (total === this.reported) return;
    this.reported = total;
    this.report(total);
  }
}

/**
 * The lag of each assigned partition before its first batch: the broker's high watermark
 * less the tap's position (`positions`, the next offset to record; the low watermark when
 * the tap reads a partition from its beginning).
 */
export async function seedLag(
  meter: LagMeter,
  admin: Admin,
  assignment: Record<string, number[]>,
  positions: ReadonlyMap<string, bigint>,
): Promise<void> {
  for (const [topic, partitions] of Object.entries(assignment)) {
    for (const o of await admin.fetchTopicOffsets(topic)) {
      if (!partitions.includes(o.partition)) continue;
      const next = positions.get(partitionKey(topic, o.partition)) ?? BigInt(o.low);
      meter.seed(topic, o.partition, partitionLag(o.high, next));
    }
  }
}
