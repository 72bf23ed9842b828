import { Traffic } from './analysis-helpers.ts';

/**
 * Generates a realistic mix of traffic, deterministically from a seed: AMQP RPC calls
 * (answered, unanswered, late, duplicated), fire-and-forget publishes (delivered,
 * unroutable, stuck), Kafka records on a consumed and an unconsumed topic with periodic
 * consumer-group polls, Kafka request/reply by header, and WebSocket JSON-RPC connections
 * that close normally or drop. Events are emitted in time order, so replies land after
 * other traffic the way they do on a wire.
 */
export class MixedTraffic {
  readonly t = new Traffic();
  private rand: () => number;
  private readonly queue: { time: number; order: number; run: () => void }[] = [];
  private order = 0;
  private now: number;
  private nextPoll: number;
  private readonly kafkaNext = [0, 0, 0];
  private readonly consumed: { partition: number; offset: number; time: number }[] = [];
  private readonly committed = [0, 0, 0];
  private readonly slow: { partition: number; offset: number; time: number }[] = [];
  private auditOffset = 0;
  private calcOffset = 0;
  private calcReplyOffset = 0;
  private id = 0;
  private ws: { conn: string; nextId: number; left: number } | null = null;
  private wsCount = 0;

  constructor(
    seed: number,
    private readonly timeoutMs = 30_000,
  ) {
    let s = seed >>> 0 || 1;
    this.rand = () => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return (s >>> 0) / 4294967296;
    };
    this.now = this.t.time;
    this.nextPoll = this.now + 5000;
  }

  /** Generates until at least `count` messages are waiting in `t`, then drains them. */
  take(count: number): ReturnType<Traffic['drain']> {
    while (this.t.messages.length < count) this.step();
    return this.t.drain();
  }

  /** Runs what is scheduled, leaving nothing pending. */
  end(): ReturnType<Traffic['drain']> {
    while (this.queue.length > 0) this.runNext(Infinity);
    return this.t.drain();
  }

  private at(time: number, run: () => void): void {
    const item = { time, order: this.order++, run };
    let i = this.queue.length;
    while (i > 0 && (this.queue[i - 1]!.time > time || (this.queue[i - 1]!.time === time && this.queue[i - 1]!.order > item.order))) i--;
    this.queue.splice(i, 0, item);
  }

  private runNext(until: number): boolean {
    const first = this.queue[0];
    if (!first || first.time > until) return false;
    this.queue.shift();
    this.t.time = first.time;
    first.run();
    return true;
  }

  private step(): void {
    this.now += Math.floor(this.rand() * 3);
    while (this.runNext(this.now));
    this.t.time = this.now;
    if (this.now >= this.nextPoll) this.poll();
    const r = this.rand();
    if (r < 0.22) this.amqpRpc();
    else if (r < 0.42) this.amqpEvent();
    else if (r < 0.62) this.kafkaRecord();
    else if (r < 0.7) this.kafkaAudit();
    else if (r < 0.78) this.kafkaCall();
    else this.wsStep();
  }

  private amqpRpc(): void {
    const id = `rpc-${++this.id}`;
    const client = `amq.gen-client${this.id % 7}`;
    const props = { correlationId: id, replyTo: client };
    const request = `{"op":"add","n":${this.id}}`;
    this.t.publish({ routingKey: 'rpc_queue', body: request, props });
    this.at(this.now + 1, () => this.t.deliver({ queue: 'rpc_queue', body: request, props }));
    const r = this.rand();
    if (r > 0.96) return; // never answered
    const late = r > 0.95;
    const latency = late ? this.timeoutMs + 1000 : 2 + Math.floor(this.rand() * 80);
    const body = `{"sum":${this.id}}`;
    const reply = (): void => {
      this.t.publish({ routingKey: client, body, props: { correlationId: id } });
      this.at(this.t.time + 1, () => this.t.deliver({ queue: client, body, props: { correlationId: id } }));
    };
    this.at(this.now + latency, reply);
    if (r < 0.01) this.at(this.now + latency + 5, () => this.t.publish({ routingKey: client, body: `${body} again`, props: { correlationId: id } }));
  }

  private amqpEvent(): void {
    const n = ++this.id;
    const r = this.rand();
    const body = `{"event":"order.created","n":${n}}`;
    if (r < 0.02) {
      this.t.publish({ exchange: 'events', routingKey: 'order.unknown', body, routed: [] });
      return;
    }
    this.t.publish({ exchange: 'events', routingKey: 'order.created', body, routed: ['billing', 'shipping'], props: { appId: 'shop' } });
    this.at(this.now + 1 + Math.floor(this.rand() * 20), () => this.t.deliver({ queue: 'billing', routingKey: 'order.created', exchange: 'events', body }));
    if (r > 0.03) this.at(this.now + 2 + Math.floor(this.rand() * 20), () => this.t.deliver({ queue: 'shipping', routingKey: 'order.created', exchange: 'events', body }));
  }

  private kafkaRecord(): void {
    const partition = Math.floor(this.rand() * 3);
    const offset = this.kafkaNext[partition]!++;
    this.t.record({ topic: 'orders', partition, offset, body: `{"order":${++this.id}}`, headers: { producer: 'checkout' } });
    this.consumed.push({ partition, offset, time: this.now });
  }

  private kafkaAudit(): void {
    this.t.record({ topic: 'audit', offset: this.auditOffset++, body: `audit ${++this.id}` });
  }

  private kafkaCall(): void {
    const id = `k-${++this.id}`;
    this.t.record({ topic: 'calc.req', offset: this.calcOffset++, body: `{"x":${this.id}}`, headers: { 'correlation-id': id } });
    if (this.rand() < 0.05) return;
    this.at(this.now + 5 + Math.floor(this.rand() * 25), () =>
      this.t.record({ topic: 'calc.rep', offset: this.calcReplyOffset++, body: `{"y":${this.id}}`, headers: { 'correlation-id': id } }),
    );
  }

  /** The group reads records older than 2 s and commits at each poll; partition 2 is slow (40 s behind). */
  private poll(): void {
    while (this.consumed.length > 0 && this.consumed[0]!.time < this.now - 2000) {
      const c = this.consumed.shift()!;
      if (c.partition === 2) this.slow.push(c);
      else this.committed[c.partition] = c.offset + 1;
    }
    while (this.slow.length > 0 && this.slow[0]!.time < this.now - 40_000) this.committed[2] = this.slow.shift()!.offset + 1;
    for (let p = 0; p < 3; p++) this.t.commit('billing', 'orders', p, this.committed[p]!);
    this.t.commit('flowscope-tap-1', 'orders', 0, this.kafkaNext[0]!);
    this.nextPoll = this.now + 5000;
  }

  private wsStep(): void {
    if (!this.ws) {
      this.ws = { conn: `c${++this.wsCount}`, nextId: 1, left: 3 + Math.floor(this.rand() * 20) };
      this.t.wsOpen(this.ws.conn);
      return;
    }
    const ws = this.ws;
    if (ws.left-- <= 0) {
      const drop = this.rand() < 0.1;
      const conn = ws.conn;
      this.ws = null;
      // Close after the replies in flight have landed (or, for a drop, while one is in flight).
      this.at(this.now + (drop ? 3 : 200), () => {
        this.t.wsClose(conn, drop ? 1006 : 1000, drop ? 'server' : 'client');
        if (this.rand() < 0.5) this.t.wsOut(conn, '{"jsonrpc":"2.0","method":"bye"}', { dropped: true });
      });
      return;
    }
    const r = this.rand();
    if (r < 0.2) {
      this.t.wsIn(ws.conn, `{"jsonrpc":"2.0","method":"tick","params":[${this.id++}]}`);
      return;
    }
    const id = ws.nextId++;
    this.t.wsOut(ws.conn, `{"jsonrpc":"2.0","method":"get","params":[${id}],"id":${id}}`);
    if (r > 0.97) return;
    const conn = ws.conn;
    this.at(this.now + 1 + Math.floor(this.rand() * 20), () => this.t.wsIn(conn, `{"jsonrpc":"2.0","result":${id},"id":${id}}`));
  }
}
