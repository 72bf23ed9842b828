import type { CapturedMessage } from '../../shared/model.ts';
import type { UndeliveredConfig } from './config.ts';
import type { Correlation } from './correlation.ts';
import { deadLetterLink, deathExplanation, deathOf, deathReason, isDirectReply, isPseudoQueue, originLabel, unwatchedQueues } from './amqp-death.ts';
import type { Death } from './amqp-death.ts';
import { FifoMap } from './fifo-map.ts';
import { destinationLabel, formatDuration, isOwnName, messageIdentity, metaNumber, metaString, routedQueues } from './identity.ts';
import { ids } from './topology-ids.ts';
import type { UndeliveredItem, UndeliveredReason } from '../../shared/views.ts';
import type { UndeliveredSink } from './undelivered-sink.ts';

interface Publish {
  seq: number;
  time: number;
  endpoint: string;
  exchange: string;
  label: string;
  identity: string;
}

interface PendingPublish extends Publish {
  /** Routed queues that have not delivered it yet. */
  waiting: string[];
}

interface Verdict {
  item: UndeliveredItem;
  /** identity|queue of every queue it waited for. */
  slots: string[];
}

/** How long a basic.return and the firehose's unroutable publish of the same message are linked. */
const TWIN_MS = 10_000;
const MAX_TWINS = 10_000;
/** Delivered publishes and never-delivered verdicts remembered for a dead-lettering that may follow. */
const MAX_REMEMBERED = 10_000;

/**
 * RabbitMQ delivery facts from the firehose: which queues each publish was routed to
 * (`meta.routedQueues`) and which deliveries happened. A publish waits until every routed
 * queue delivered it; deliveries are matched to publishes by message identity (message id,
 * else payload hash) plus routing key. Publishes the capture saw no routing for (an
 * exchange tap without the firehose) are not judged.
 *
 * A dead-lettered copy (it carries `x-death`) names the queue the message left and why:
 * the original publish is then reported with that reason and a link to the copy, whether it
 * was still waiting (expired, pushed out by a length limit), already delivered (a consumer
 * rejected it, or it passed a delivery limit), or already called never delivered (its TTL
 * outlasted the window: the verdict is corrected).
 */
export class AmqpUndelivered {
  /** Waiting publishes in seq order; resolved ones are removed, so memory follows the backlog. */
  private readonly pending = new FifoMap<number, PendingPublish>();
  private readonly byIdentity = new Map<string, PendingPublish[]>();
  private readonly returned = new FifoMap<string, number>();
  private readonly unroutable = new FifoMap<string, number>();
  private readonly deaths = new FifoMap<string, number>();
  /** identity|queue → the publish that queue delivered: a consumer may still reject it. */
  private readonly deliveredFrom = new FifoMap<string, Publish>();
  /** identity|queue → the never-delivered verdict, which a later dead-lettering corrects. */
  private readonly verdicts = new FifoMap<string, Verdict>();
  private watermark = -Infinity;

  constructor(
    private readonly cfg: UndeliveredConfig,
    private readonly sink: UndeliveredSink,
  ) {}

  get waiting(): number {
    return this.pending.size;
  }

  ingest(m: CapturedMessage & { seq: number }, c: Correlation, producer: string | null): void {
    this.advance(m.time);
    const death = deathOf(m.headers);
    if (m.event === 'publish' && m.destKind === 'exchange') {
      // A dead-letter copy is the same message moving on, not a new one to judge.
      if (death) return this.onDeath(m, c, death);
      const routed = routedQueues(m);
      if (routed === null) return;
      const unwatched = unwatchedQueues(m);
      const queues = routed.filter((q) => !isOwnName(q, this.cfg.ownPrefixes) && !isPseudoQueue(q) && !unwatched.has(q));
      const identity = `${messageIdentity(m, c.messageId)}|${m.routingKey ?? ''}`;
      if (queues.length === 0) {
        // Delivered without a queue (direct reply-to), or only to queues we cannot watch.
        if (isDirectReply(m) || routed.some((q) => isPseudoQueue(q) || unwatched.has(q))) return;
        if (this.seenTwin(this.returned, identity, m.time)) return;
        this.remember(this.unroutable, identity, m.time);
        const onlyOwn = routed.length > 0;
        this.sink.add(
          this.item(m, 'unroutable', onlyOwn
            ? `Routed only to Flowscope's own tap queue: no application queue is bound for routing key "${m.routingKey ?? ''}".`
            : `No binding of exchange "${m.destination}" matched routing key "${m.routingKey ?? ''}": the broker dropped it.`),
          producer ? [[producer, ids.exchange(m.endpoint, m.destination)]] : [],
        );
        return;
      }
      this.track({ seq: m.seq, time: m.time, endpoint: m.endpoint, exchange: m.destination, label: destinationLabel(m), identity, waiting: queues });
    } else if (m.event === 'deliver' && m.destKind === 'queue') {
      if (death) return this.onDeath(m, c, death);
      const identity = `${messageIdentity(m, c.messageId)}|${m.routingKey ?? ''}`;
      const p = this.take(identity, m.destination);
      if (p) this.rememberKeyed(this.deliveredFrom, `${identity}|${m.destination}`, p);
    } else if (m.event === 'return') {
      const identity = `${messageIdentity(m, c.messageId)}|${m.routingKey ?? ''}`;
      if (this.seenTwin(this.unroutable, identity, m.time)) return;
      this.remember(this.returned, identity, m.time);
      const code = metaNumber(m.meta, 'replyCode');
      const text = metaString(m.meta, 'replyText');
      const why = code || text ? ` (${[code, text].filter(Boolean).join(' ')})` : '';
      this.sink.add(
        this.item(m, 'returned', `Returned to its publisher${why}: it was published as mandatory and no queue could take it.`),
        producer ? [[producer, ids.exchange(m.endpoint, m.destination)]] : [],
      );
    }
  }

  private track(p: PendingPublish): void {
    if (this.pending.size >= this.cfg.maxPendingAmqp) {
      const oldest = this.pending.first()![1];
      this.resolve(oldest, false, ` (decided early: more than ${this.cfg.maxPendingAmqp} messages were waiting)`);
    }
    this.pending.set(p.seq, p);
    const list = this.byIdentity.get(p.identity);
    if (list) list.push(p);
    else this.byIdentity.set(p.identity, [p]);
  }

  /** Finds the oldest waiting publish of this identity still expecting a delivery from `queue`. */
  private take(identity: string, queue: string): PendingPublish | null {
    const list = this.byIdentity.get(identity);
    if (!list) return null;
    for (const p of list) {
      const i = p.waiting.indexOf(queue);
      if (i < 0) continue;
      p.waiting.splice(i, 1);
      if (p.waiting.length === 0) this.drop(p);
      return p;
    }
    return null;
  }

  private drop(p: PendingPublish): void {
    this.pending.delete(p.seq);
    const list = this.byIdentity.get(p.identity);
    if (!list) return;
    const i = list.indexOf(p);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byIdentity.delete(p.identity);
  }

  private onDeath(m: CapturedMessage & { seq: number }, c: Correlation, d: Death): void {
    const base = messageIdentity(m, c.messageId);
    // The tap of the dead-letter exchange and a delivery from the dead-letter queue are one dead-lettering.
    const key = `${base}|${d.queue}|${d.count}|${d.reason}`;
    if (this.deaths.has(key)) return;
    this.remember(this.deaths, key, m.time);
    const reason = deathReason(d.reason);
    const deadLetter = deadLetterLink(m, d);
    const explanation = deathExplanation(deadLetter);
    const identity = `${base}|${d.routingKey ?? m.routingKey ?? ''}`;
    const slot = `${identity}|${d.queue}`;

    const verdict = this.verdicts.get(slot);
    if (verdict) {
      for (const s of verdict.slots) this.verdicts.delete(s);
      this.sink.replace(verdict.item, { ...verdict.item, reason, explanation, atEnd: false, deadLetter });
      return;
    }
    const original = this.take(identity, d.queue) ?? this.deliveredFrom.get(slot) ?? null;
    if (original) {
      this.deliveredFrom.delete(slot);
      this.sink.add(
        { seq: original.seq, time: original.time, transport: 'amqp', endpoint: original.endpoint, destination: original.label, reason, explanation, atEnd: false, deadLetter },
        [[ids.exchange(original.endpoint, original.exchange), ids.queue(original.endpoint, d.queue)]],
      );
      return;
    }
    // Published before the recording started: the dead-letter copy is all we have.
    this.sink.add({ ...this.item(m, reason, explanation), destination: originLabel(deadLetter), deadLetter }, []);
  }

  private item(m: CapturedMessage & { seq: number }, reason: UndeliveredReason, explanation: string): UndeliveredItem {
    return { seq: m.seq, time: m.time, transport: m.transport, endpoint: m.endpoint, destination: destinationLabel(m), reason, explanation, atEnd: false };
  }

  private resolve(p: PendingPublish, atEnd: boolean, note = ''): void {
    this.drop(p);
    const waited = formatDuration(Math.max(0, this.watermark - p.time));
    const queues = p.waiting.map((q) => `"${q}"`).join(', ');
    const explanation = atEnd
      ? `Routed to queue ${queues}, but no consumer received it before the recording ended (${waited} later).`
      : `Routed to queue ${queues}, but no consumer received it within ${formatDuration(this.cfg.amqpWindowMs)}${note}.`;
    const item: UndeliveredItem = { seq: p.seq, time: p.time, transport: 'amqp', endpoint: p.endpoint, destination: p.label, reason: 'never-delivered', explanation, atEnd };
    this.sink.add(
      item,
      p.waiting.map((q) => [ids.exchange(p.endpoint, p.exchange), ids.queue(p.endpoint, q)]),
    );
    if (atEnd) return;
    const verdict: Verdict = { item, slots: p.waiting.map((q) => `${p.identity}|${q}`) };
    for (const s of verdict.slots) this.rememberKeyed(this.verdicts, s, verdict);
  }

  advance(time: number): void {
    if (!(time > this.watermark)) return;
    this.watermark = time;
    for (;;) {
      const first = this.pending.first()?.[1];
      if (!first || time - first.time <= this.cfg.amqpWindowMs) break;
      this.resolve(first, false);
    }
  }

  /** The recording ended: what still waits was never delivered as far as anyone can tell. */
  finish(end: number): void {
    this.advance(end);
    for (const p of [...this.pending.values()]) this.resolve(p, true);
  }

  private seenTwin(map: FifoMap<string, number>, identity: string, time: number): boolean {
    const t = map.get(identity);
    if (t === undefined || Math.abs(time - t) > TWIN_MS) return false;
    map.delete(identity);
    return true;
  }

  private remember(map: FifoMap<string, number>, key: string, time: number): void {
    map.delete(key);
    if (map.size >= MAX_TWINS) map.shift();
    map.set(key, time);
  }

  private rememberKeyed<V>(map: FifoMap<string, V>, key: string, value: V): void {
    map.delete(key);
    if (map.size >= MAX_REMEMBERED) map.shift();
    map.set(key, value);
  }
}
