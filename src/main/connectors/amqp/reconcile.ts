import type { CapturedMessage } from '../../../shared/model.ts';

/**
 * Keeps the exchange tap and the firehose from recording the same publish twice.
 *
 * With the firehose on, its publish events are the record: they carry `routed_queues`
 * (the real fan-out) and the publisher's connection, which a tap copy cannot know. The
 * tap copy is then only a witness: it is held for `graceMs` and dropped when the firehose
 * reports the same publish; a copy that no firehose event claims in time (tracing turned
 * off, trace queue lagging past the grace) is recorded after all, marked `source: 'tap'`,
 * so nothing the tap saw is lost. The count of such copies also tells the connector that
 * tracing seems to be off.
 *
 * Matching is on a fingerprint (exchange, routing key, message id, size, payload hash).
 * Messages with equal fingerprints are interchangeable, so counting them as a multiset
 * is exact: n identical publishes cancel n identical tap copies.
 */
export class TapReconciler {
  /** Tap copies waiting for their firehose twin, per fingerprint, oldest first. */
  private readonly waitingTap = new Map<string, { at: number; msg: CapturedMessage }[]>();
  /** Firehose publishes that reached our tap queue before the tap copy arrived. */
  private readonly waitingTrace = new Map<string, number[]>();
  private waiting = 0;

  constructor(
    private readonly graceMs: number,
    private readonly record: (msg: CapturedMessage) => void,
  ) {}

  /** A firehose publish event whose routed queues included our tap queue. */
  traced(fp: string, now: number): void {
    const taps = this.waitingTap.get(fp);
    if (taps && taps.length) {
      taps.shift();
      this.waiting -= 1;
      if (!taps.length) this.waitingTap.delete(fp);
      return;
    }
    const list = this.waitingTrace.get(fp);
    if (list) list.push(now);
    else this.waitingTrace.set(fp, [now]);
  }

  /** A copy received on the tap queue. */
  tapped(fp: string, msg: CapturedMessage, now: number): void {
    const traces = this.waitingTrace.get(fp);
    if (traces && traces.length) {
      traces.shift();
      if (!traces.length) this.waitingTrace.delete(fp);
      return;
    }
    const list = this.waitingTap.get(fp);
    const entry = { at: now, msg };
    if (list) list.push(entry);
    else this.waitingTap.set(fp, [entry]);
    this.waiting += 1;
  }

  /** Records tap copies older than the grace period; returns how many were recorded. */
  sweep(now: number, all = false): number {
    let recorded = 0;
    const cutoff = all ? Infinity : now - this.graceMs;
    const expired: CapturedMessage[] = [];
    for (const [fp, list] of this.waitingTap) {
      while (list.length && list[0]!.at <= cutoff) {
        expired.push(list.shift()!.msg);
        this.waiting -= 1;
      }
      if (!list.length) this.waitingTap.delete(fp);
    }
    // Keep recording order close to capture order.
    expired.sort((a, b) => a.time - b.time);
    for (const m of expired) {
      this.record(m);
      recorded += 1;
    }
    for (const [fp, list] of this.waitingTrace) {
      while (list.length && list[0]! <= cutoff) list.shift();
      if (!list.length) this.waitingTrace.delete(fp);
    }
    return recorded;
  }

  get pending(): number {
    return this.waiting;
  }
}

/**
 * Fingerprint of a publish for matching a tap copy with its firehose event. FNV-1a over
 * the payload's first 512 and last 64 bytes keeps it cheap for large messages.
 */
export function fingerprint(exchange: string, routingKey: string, messageId: string | null, payload: Uint8Array): string {
  let h = 0x811c9dc5;
  const n = payload.length;
  const head = Math.min(n, 512);
  for (let i = 0; i < head; i++) h = Math.imul(h ^ payload[i]!, 0x01000193);
  for (let i = Math.max(head, n - 64); i < n; i++) h = Math.imul(h ^ payload[i]!, 0x01000193);
  return `${exchange}\u0000${routingKey}\u0000${messageId ?? ''}\u0000${n}\u0000${(h >>> 0).toString(36)}`;
}
