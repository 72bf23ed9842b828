import type { CapturedMessage, GroupOffset } from '../../src/shared/model.ts';
import { Traffic } from '../unit/analysis-helpers.ts';

/** What the generated traffic really was: the figures a correct analysis reports. */
export interface KnownTruth {
  messages: number;
  matched: number;
  unanswered: number;
  orphans: number;
  /** Latency of every matched call, ms. */
  latencies: number[];
  unroutable: number;
  neverDelivered: number;
  noConsumerGroup: number;
}

export type KnownEvent = { message: CapturedMessage } | { offsets: GroupOffset[] };

const POLL_MS = 2000;

/**
 * Traffic whose truth is known by construction, in event-time order, deterministic from a
 * seed: Kafka request/reply calls by header (`calls.req` → `calls.rep`, 1–400 ms, 7% never
 * answered), orphan replies to ids nobody asked, AMQP fire-and-forget events (delivered,
 * unroutable, routed but never delivered), records on a topic nobody consumes, and records
 * on `orders` that a group reads. Every consumed topic's group commits everything at each
 * poll, so no Kafka record but the unconsumed topic's is undelivered.
 */
export class KnownTraffic {
  readonly truth: KnownTruth = { messages: 0, matched: 0, unanswered: 0, orphans: 0, latencies: [], unroutable: 0, neverDelivered: 0, noConsumerGroup: 0 };
  private readonly t = new Traffic();
  private readonly rand: () => number;
  private now: number;
  private nextPoll: number;
  private readonly offsets = new Map<string, number>();
  /** Scheduled messages (replies, deliveries) as a min-heap on time, then order. */
  private heap: { time: number; order: number; run: () => void }[] = [];
  private order = 0;
  private id = 0;
  private steps = 0;
  private out: KnownEvent[] = [];

  constructor(seed: number, start = Date.UTC(2026, 0, 5, 9)) {
    let s = seed >>> 0 || 1;
    this.rand = () => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return (s >>> 0) / 4294967296;
    };
    this.now = start;
    this.nextPoll = start + POLL_MS;
  }

  /** The next `count` or so events (messages and polls, in the order they happened). */
  take(count: number): KnownEvent[] {
    while (this.out.length < count) this.step();
    return this.drain();
  }

  /** Everything still scheduled, and a last poll that commits it all: the recording's end. */
  end(): KnownEvent[] {
    while (this.heap.length > 0) this.runFirst();
    this.t.time = this.now = this.now + 10;
    this.poll();
    return this.drain();
  }

  private drain(): KnownEvent[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  private emit(m: { seq: number; size: number } & CapturedMessage): void {
    const { seq: _seq, size: _size, ...message } = m;
    this.t.messages.length = 0;
    this.t.events.length = 0;
    this.truth.messages += 1;
    this.out.push({ message });
  }

  private step(): void {
    this.steps += 1;
    this.now += Math.floor(this.rand() * 2);
    while (this.heap.length > 0 && this.heap[0]!.time <= this.now) this.runFirst();
    this.t.time = this.now;
    if (this.now >= this.nextPoll) this.poll();
    const r = this.rand();
    if (r < 0.4) this.call();
    else if (r < 0.42 && this.steps > 1000) this.orphan();
    else if (r < 0.72) this.event();
    else if (r < 0.8) this.record('telemetry', `t ${++this.id}`);
    else this.record('orders', `{"order":${++this.id}}`);
  }

  private at(time: number, run: () => void): void {
    const h = this.heap;
    const item = { time, order: this.order++, run };
    let i = h.length;
    h.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (before(h[p]!, item)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = item;
  }

  private runFirst(): void {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const c = l + 1 < h.length && before(h[l + 1]!, h[l]!) ? l + 1 : l;
        if (before(last, h[c]!)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    this.t.time = top.time;
    top.run();
  }

  private nextOffset(topic: string): number {
    const n = this.offsets.get(topic) ?? 0;
    this.offsets.set(topic, n + 1);
    return n;
  }

  private record(topic: string, body: string, headers?: Record<string, string>): void {
    if (topic === 'telemetry') this.truth.noConsumerGroup += 1;
    this.emit(this.t.record({ topic, offset: this.nextOffset(topic), body, ...(headers ? { headers } : {}) }));
  }

  private call(): void {
    const id = `c-${++this.id}`;
    this.record('calls.req', `{"x":${this.id}}`, { 'correlation-id': id, 'reply-to': 'calls.rep' });
    if (this.rand() < 0.07) {
      this.truth.unanswered += 1;
      return;
    }
    const latency = 1 + Math.floor(this.rand() * 400);
    this.truth.matched += 1;
    this.truth.latencies.push(latency);
    const n = this.id;
    this.at(this.now + latency, () => this.record('calls.rep', `{"y":${n}}`, { 'correlation-id': id }));
  }

  private orphan(): void {
    this.truth.orphans += 1;
    this.record('calls.rep', `{"y":"nobody asked ${++this.id}"}`, { 'correlation-id': `o-${this.id}` });
  }

  private event(): void {
    const body = `{"event":"order.created","n":${++this.id}}`;
    const r = this.rand();
    if (r < 0.015) {
      this.truth.unroutable += 1;
      this.emit(this.t.publish({ exchange: 'events', routingKey: 'order.unknown', body, routed: [] }));
      return;
    }
    this.emit(this.t.publish({ exchange: 'events', routingKey: 'order.created', body, routed: ['billing'], props: { appId: 'shop' } }));
    if (r < 0.03) {
      this.truth.neverDelivered += 1;
      return;
    }
    this.at(this.now + 1 + Math.floor(this.rand() * 20), () =>
      this.emit(this.t.deliver({ queue: 'billing', routingKey: 'order.created', exchange: 'events', body })),
    );
  }

  /** Each reading group commits everything written so far. */
  private poll(): void {
    const rows: GroupOffset[] = [];
    const groups: [string, string][] = [['billing', 'orders'], ['calc-service', 'calls.req'], ['calc-client', 'calls.rep']];
    for (const [group, topic] of groups) {
      rows.push({ time: this.now, endpoint: 'kafka', groupId: group, topic, partition: 0, offset: String(this.offsets.get(topic) ?? 0) });
    }
    this.out.push({ offsets: rows });
    this.nextPoll = this.now + POLL_MS;
  }
}

function before(a: { time: number; order: number }, b: { time: number; order: number }): boolean {
  return a.time < b.time || (a.time === b.time && a.order < b.order);
}

/** Nearest-rank percentile of `values` (what the analysis reports, exactly or within its histogram's error). */
export function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}
