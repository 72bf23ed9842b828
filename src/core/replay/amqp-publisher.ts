import amqp from 'amqplib';
import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import type { JsonValue, StoredMessage } from '../../shared/model.ts';
import { setOwn } from '../common/own-key.ts';
import type { DestinationPlan, Publisher, ReplayItem, Settlement } from './types.ts';
import { isDefaultExchange } from './select.ts';

interface Queued {
  item: ReplayItem;
  settle: (s: Settlement) => void;
}

/**
 * Re-publishes AMQP messages on one confirm channel, in recorded order (one channel keeps
 * publish order), with the recorded exchange and routing key and every basic property.
 * Each message counts as sent when the broker confirms it. Publishes are `mandatory`, so a
 * message no queue takes comes back as a basic.return and is reported as unroutable
 * rather than vanishing silently; what the consumers see is the same as without it.
 */
export class AmqpPublisher implements Publisher {
  readonly transport = 'amqp' as const;
  private conn: ChannelModel | null = null;
  private ch: ConfirmChannel | null = null;
  private readonly waiting: Queued[] = [];
  private blocked = false;
  private fatal: Error | null = null;
  private returned = 0;
  private droppedUserId = false;
  private closing = false;
  notes: string[] = [];

  constructor(
    private readonly url: string,
    private readonly username: string,
  ) {}

  get unroutable(): number {
    return this.returned;
  }

  async open(destinations: DestinationPlan[]): Promise<string[]> {
    const notes: string[] = [];
    const conn = await amqp.connect(this.url, { clientProperties: { connection_name: 'flowscope replay' } });
    if (this.closing) {
      // Cancelled while connecting: close() already ran and found nothing to close.
      await conn.close().catch(() => undefined);
      throw new Error('cancelled while connecting');
    }
    this.conn = conn;
    // 'error' carries the broker's reason and comes before 'close'.
    this.conn.on('error', (err: Error) => this.fail(err));
    this.conn.on('close', (err?: Error) => this.fail(err ?? new Error('the connection to the broker closed')));
    await this.checkDestinations(destinations, notes);
    this.ch = await this.conn.createConfirmChannel();
    this.ch.on('error', (err: Error) => this.fail(err));
    this.ch.on('close', () => this.fail(new Error('the broker closed the channel')));
    this.ch.on('return', () => {
      this.returned += 1;
    });
    this.ch.on('drain', () => {
      this.blocked = false;
      this.pump();
    });
    return notes;
  }

  /**
   * A publish to a missing exchange closes the channel (404) and loses everything in flight,
   * so exchanges are checked first; each check on a throwaway channel, since a failed check
   * closes its channel too.
   */
  private async checkDestinations(destinations: DestinationPlan[], notes: string[]): Promise<void> {
    for (const d of destinations) {
      if (d.destKind === 'exchange' && !isDefaultExchange(d.to)) {
        if (!(await this.exists((c) => c.checkExchange(d.to)))) {
          throw new Error(`Exchange "${d.to}" does not exist on the target. Declare it there, or --map ${d.from}=AN_EXISTING_EXCHANGE.`);
        }
      } else if (d.destKind === 'queue' && !(await this.exists((c) => c.checkQueue(d.to)))) {
        notes.push(`Queue "${d.to}" does not exist on the target: its ${d.count} message(s) will come back unroutable.`);
      }
    }
  }

  private async exists(check: (c: amqp.Channel) => Promise<unknown>): Promise<boolean> {
    const c = await this.conn!.createChannel();
    // The check's own rejection carries the broker's reason.
    c.on('error', () => undefined);
    try {
      await check(c);
      await c.close();
      return true;
    } catch (err) {
      // amqplib puts the AMQP reply code of a channel close in `code`: 404 is NOT_FOUND.
      if ((err as { code?: unknown }).code === 404) return false;
      throw err;
    }
  }

  send(item: ReplayItem, settle: (s: Settlement) => void): void {
    if (this.fatal) {
      this.settleOne({ item, settle }, { ok: false, error: this.fatal, fatal: true });
      return;
    }
    this.waiting.push({ item, settle });
    this.pump();
  }

  private pump(): void {
    const ch = this.ch;
    while (ch && !this.blocked && !this.fatal && this.waiting.length) {
      const q = this.waiting.shift()!;
      const { exchange, routingKey } = addressOf(q.item);
      const options = this.publishOptions(q.item.msg, q.item.headers === undefined ? q.item.msg.headers : q.item.headers);
      // amqplib queues the frames even when publish returns false; it asks us to wait for 'drain'.
      this.blocked = !ch.publish(exchange, routingKey, Buffer.from(q.item.msg.payload), options, (err) => {
        if (!err) this.settleOne(q, { ok: true });
        else if (this.fatal) this.settleOne(q, { ok: false, error: this.fatal, fatal: true });
        else this.settleOne(q, { ok: false, error: new Error(`the broker refused the message (${(err as Error).message})`) });
      });
    }
  }

  private settleOne(q: Queued, s: Settlement): void {
    q.settle(s);
  }

  private fail(err: Error): void {
    if (this.fatal) return;
    this.fatal = err;
    // Unconfirmed publishes get amqplib's 'channel closed' callback; queued ones settle here.
    for (const q of this.waiting.splice(0)) this.settleOne(q, { ok: false, error: err, fatal: true });
  }

  /** Recorded properties → amqplib publish options (headers' binary values back to bytes). */
  private publishOptions(m: StoredMessage, headers: StoredMessage['headers']): Options.Publish {
    const p = m.properties ?? {};
    const o: Options.Publish = { mandatory: true };
    const str = (v: JsonValue | undefined): string | undefined => (v === undefined || v === null ? undefined : String(v));
    o.contentType = str(p.contentType);
    o.contentEncoding = str(p.contentEncoding);
    if (typeof p.deliveryMode === 'number' || typeof p.deliveryMode === 'boolean') o.deliveryMode = p.deliveryMode;
    if (typeof p.priority === 'number') o.priority = p.priority;
    o.correlationId = m.correlationId ?? str(p.correlationId);
    o.replyTo = m.replyTo ?? str(p.replyTo);
    o.messageId = m.messageId ?? str(p.messageId);
    o.expiration = str(p.expiration);
    const ts = p.timestamp;
    if (typeof ts === 'number') o.timestamp = ts;
    else if (ts && typeof ts === 'object' && !Array.isArray(ts) && typeof ts.value === 'number') o.timestamp = ts.value;
    o.type = str(p.type);
    o.appId = str(p.appId);
    const userId = str(p.userId);
    // RabbitMQ refuses (and closes the channel on) a user-id other than the connection's user.
    if (userId !== undefined && userId === this.username) o.userId = userId;
    else if (userId !== undefined && !this.droppedUserId) {
      this.droppedUserId = true;
      this.notes.push(`The user-id property ("${userId}") was left out: RabbitMQ only accepts the connecting user's name there.`);
    }
    if (headers) o.headers = toAmqpTable(headers);
    for (const k of Object.keys(o) as (keyof Options.Publish)[]) if (o[k] === undefined) delete o[k];
    return o;
  }

  abort(): void {
    for (const q of this.waiting.splice(0)) this.settleOne(q, { ok: false, cancelled: true });
  }

  async close(): Promise<void> {
    this.closing = true;
    const conn = this.conn;
    this.conn = null;
    this.fatal ??= new Error('closed');
    // A connection the broker already closed rejects close(); nothing is left to release.
    if (conn) await conn.close().catch(() => undefined);
  }
}

function addressOf(item: ReplayItem): { exchange: string; routingKey: string } {
  return {
    exchange: isDefaultExchange(item.destination) ? '' : item.destination,
    routingKey: item.routingKey ?? '',
  };
}

/** Stored header table → amqplib field values: `{ $base64 }` back to bytes, typed values (`{'!': …}`) kept. */
export function toAmqpTable(h: Record<string, JsonValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // amqplib encodes a table's own keys (for…in): `__proto__` is sent as a field when it is one.
  for (const [k, v] of Object.entries(h)) setOwn(out, k, toAmqpValue(v));
  return out;
}

function toAmqpValue(v: JsonValue): unknown {
  if (Array.isArray(v)) return v.map(toAmqpValue);
  if (v && typeof v === 'object') {
    if (typeof v.$base64 === 'string' && Object.keys(v).length === 1) return Buffer.from(v.$base64, 'base64');
    if ('!' in v) return v;
    return toAmqpTable(v);
  }
  return v;
}
