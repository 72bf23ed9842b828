import { connect, headers as natsHeaders } from 'nats';
import type { ConnectionOptions, NatsConnection } from 'nats';
import type { JsonValue } from '../../shared/model.ts';
import type { DestinationPlan, Publisher, ReplayItem, Settlement } from './types.ts';

interface Queued {
  item: ReplayItem;
  settle: (s: Settlement) => void;
}

/**
 * Re-publishes NATS messages over one connection, in recorded order, with the payload
 * bytes, headers (repeated names keep every value) and the recorded reply subject. Core
 * NATS acknowledges nothing, so a message counts as sent once the server has answered a
 * PING sent after it (flush): it then holds everything before it. Messages go out
 * together and one flush settles the batch.
 */
export class NatsPublisher implements Publisher {
  readonly transport = 'nats' as const;
  private nc: NatsConnection | null = null;
  private batch: Queued[] = [];
  private readonly flushing = new Set<Queued[]>();
  private fatal: Error | null = null;
  private closing = false;
  notes: string[] = [];

  constructor(private readonly url: string) {}

  async open(destinations: DestinationPlan[]): Promise<string[]> {
    void destinations;
    const u = new URL(this.url);
    const user = decodeURIComponent(u.username);
    const pass = decodeURIComponent(u.password);
    const options: ConnectionOptions = {
      servers: `${u.hostname.includes(':') ? `[${u.hostname}]` : u.hostname}:${u.port || '4222'}`,
      name: 'flowscope-replay',
      reconnect: false,
      ...(user && pass ? { user, pass } : user ? { token: user } : {}),
    };
    const nc = await connect(options);
    if (this.closing) {
      await nc.close().catch(() => undefined);
      throw new Error('cancelled while connecting');
    }
    this.nc = nc;
    void nc.closed().then((err) => this.fail(err ?? new Error('the connection to the NATS server closed')));
    return [];
  }

  send(item: ReplayItem, settle: (s: Settlement) => void): void {
    const nc = this.nc;
    if (this.fatal || !nc) {
      settle({ ok: false, error: this.fatal ?? new Error('not connected'), fatal: true });
      return;
    }
    const m = item.msg;
    try {
      const h = m.headers ? toHeaders(m.headers) : undefined;
      nc.publish(item.destination, new Uint8Array(m.payload), { ...(h ? { headers: h } : {}), ...(m.replyTo ? { reply: m.replyTo } : {}) });
    } catch (err) {
      // A payload over the server's max_payload, a bad subject: this message only.
      settle({ ok: false, error: err as Error });
      return;
    }
    this.batch.push({ item, settle });
    if (this.batch.length === 1) queueMicrotask(() => this.flush());
  }

  private flush(): void {
    const nc = this.nc;
    const batch = this.batch;
    this.batch = [];
    if (!nc || batch.length === 0) return;
    this.flushing.add(batch);
    nc.flush().then(
      () => {
        if (this.flushing.delete(batch)) for (const q of batch) q.settle({ ok: true });
      },
      (err: Error) => {
        if (this.flushing.delete(batch)) for (const q of batch) q.settle({ ok: false, error: err, fatal: true });
      },
    );
  }

  abort(): void {
    // Published messages are in the client's buffer, on their way: only a close drops them.
  }

  async close(): Promise<void> {
    this.closing = true;
    const nc = this.nc;
    this.nc = null;
    if (nc && !nc.isClosed()) await nc.drain().catch(() => nc.close().catch(() => undefined));
    this.fail(new Error('closed before the server confirmed'));
  }

  private fail(err: Error): void {
    this.fatal ??= err;
    for (const batch of [this.batch, ...this.flushing]) for (const q of batch) q.settle({ ok: false, error: err, fatal: true });
    this.batch = [];
    this.flushing.clear();
  }
}

function toHeaders(recorded: Record<string, JsonValue>): ReturnType<typeof natsHeaders> | undefined {
  const h = natsHeaders();
  let any = false;
  for (const [k, v] of Object.entries(recorded)) {
    for (const one of Array.isArray(v) ? v : [v]) {
      h.append(k, typeof one === 'string' ? one : JSON.stringify(one));
      any = true;
    }
  }
  return any ? h : undefined;
}
