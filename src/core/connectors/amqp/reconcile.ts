import type { CapturedMessage } from '../../../shared/model.ts';
import { AMQP_RECONCILE_MAX_HELD } from '../../common/constants.ts';

/**
 * Keeps the exchange tap and the firehose from recording the same publish twice.
 *
 * With the firehose on, its publish events are the record: they carry `routed_queues`
 * (the real fan-out) and the publisher's connection, which a tap copy cannot know. The
 * tap copy is then only a witness, held until the firehose reports the same publish and
 * then dropped. Under load the firehose runs seconds behind the tap (its queue carries a
 * copy of every publish *and* every delivery), so a copy is not recorded on its own just
 * for being old: only once the firehose has been silent for `graceMs` (tracing turned
 * off, or never on), or when more than `maxHeld` copies wait. Such copies are recorded
 * marked `source: 'tap'`, so nothing the tap saw is lost; their count also tells the
 * connector that tracing seems to be off.
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
  private lastTraceAt = 0;

  constructor(
    private readonly graceMs: number,
    private readonly record: (msg: CapturedMessage) => void,
    private readonly maxHeld = AMQP_RECONCILE_MAX_HELD,
  ) {}

  /** A firehose publish event whose routed queues included our tap queue. */
  traced(fp: string, now: number): void {
    this.lastTraceAt = now;
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

  /** Any firehose event (not only publishes through our tap) shows the firehose is alive. */
  alive(now: number): void {
    this.lastTraceAt = now;
  }

  /**
   * Records the tap copies no firehose event will claim: those older than the grace period
   * when the firehose has been silent that long, the oldest ones beyond `maxHeld`, or all
   * of them (`all`, at stop: firehose events not received by then never will be).
   * Returns how many were recorded.
   */
  sweep(now: number, all = false): number {
    let recorded = 0;
    const silent = now - this.lastTraceAt > this.graceMs;
    let cutoff = all ? Infinity : silent ? now - this.graceMs : -Infinity;
    if (!all && this.waiting > this.maxHeld) cutoff = Math.max(cutoff, this.oldestAfterTrim());
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
    // Firehose events whose tap copy never came (the tap queue dropped it): forget them.
    const traceCutoff = all ? Infinity : now - Math.max(this.graceMs, 30_000);
    for (const [fp, list] of this.waitingTrace) {
      while (list.length && list[0]! <= traceCutoff) list.shift();
      if (!list.length) this.waitingTrace.delete(fp);
    }
    return recorded;
  }

  /** The capture time below which copies must go to bring the count back to maxHeld. */
  private oldestAfterTrim(): number {
    const times: number[] = [];
    for (const list of this.waitingTap.values()) for (const e of list) times.push(e.at);
    times.sort((a, b) => a - b);
    return times[this.waiting - this.maxHeld - 1] ?? -Infinity;
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
