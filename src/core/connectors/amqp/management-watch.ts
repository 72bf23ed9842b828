import type { Discovery } from '../../../shared/discovery.ts';
import { getLogger } from '../../common/logger.ts';
import { routedByBindings } from './dead-letter-plan.ts';
import { fetchManagement } from './management.ts';
import type { ManagementAuth, ManagementSnapshot } from './management.ts';
import type { AmqpTarget } from './url.ts';

/** What Flowscope cannot know without the management API, said once in the status. */
const BLIND = 'queue arguments (dead-letter exchanges, TTL, length and delivery limits) are unknown, so expired, rejected and overflowing messages are seen only where their dead-letter queue is consumed';

const log = getLogger('amqp');

/** How often the snapshot is stored again when nothing but message counts changed. */
const RESTORE_EVERY_MS = 60_000;

/**
 * The management API as the connector uses it: a URL given by the user, or by default the
 * broker's own host on the plugin's standard port (15672, or 15671 for amqps), tried
 * without being asked; `false` never asks. It is read at connect and again every refresh, so queues
 * declared while recording have their dead-letter exchanges tapped too. `note` says in
 * words what is missing when it cannot be read.
 */
export class ManagementWatch {
  readonly url: string | null;
  snapshot: ManagementSnapshot | null = null;
  note: string | null = null;
  private readonly explicit: boolean;
  private lastStored = 0;
  private lastShape = '';
  private inFlight: Promise<ManagementSnapshot | null> | null = null;

  constructor(
    setting: string | false | undefined,
    private readonly target: AmqpTarget,
    private readonly auth: ManagementAuth,
    private readonly store: (d: Discovery) => void,
    private readonly endpoint: string,
  ) {
    this.url = setting === false ? null : (setting ?? defaultManagementUrl(target));
    this.explicit = typeof setting === 'string';
    if (!this.url) this.note = `management API not used: ${BLIND}`;
  }

  /** Reads the API once (joining a read under way). Never rejects; on failure the last snapshot stays and `note` says why. */
  refresh(): Promise<ManagementSnapshot | null> {
    this.inFlight ??= this.read().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  private async read(): Promise<ManagementSnapshot | null> {
    if (!this.url) return null;
    try {
      const snap = await fetchManagement(this.url, this.target.vhost, this.auth);
      this.snapshot = snap;
      this.note = null;
      const shape = JSON.stringify([snap.exchanges, snap.bindings, snap.queues.map((q) => [q.name, q.type, q.arguments, q.policy, q.limits])]);
      const now = Date.now();
      if (shape !== this.lastShape || now - this.lastStored >= RESTORE_EVERY_MS) {
        this.lastShape = shape;
        this.lastStored = now;
        this.store(this.discovery(now)!);
      }
    } catch (err) {
      log.debug(`${this.endpoint}: management API unavailable`, err);
      const where = this.explicit ? '' : ` (the default address; give the management URL if it runs elsewhere)`;
      this.note = this.snapshot
        ? `${(err as Error).message}; queue arguments and bindings as it last answered`
        : `${(err as Error).message}${where}; topology comes from observed traffic; ${BLIND}`;
    }
    return this.snapshot;
  }

  /** Queues a message with `routingKey` reaches through `exchange`, by the bindings; null when unknown. */
  routed(exchange: string, routingKey: string): string[] | null {
    return this.snapshot ? routedByBindings(this.snapshot, exchange, routingKey) : null;
  }

  /**
   * The stream queues among `queues`: their deliveries the firehose may never show (streams
   * are read over their own protocol too), and they keep every message, so nobody "not
   * consuming" one loses anything.
   */
  streams(queues: readonly string[]): string[] {
    if (!this.snapshot || queues.length === 0) return [];
    const streams = new Set(this.snapshot.queues.filter((q) => q.type === 'stream').map((q) => q.name));
    return queues.filter((q) => streams.has(q));
  }

  discovery(time = Date.now()): Discovery | null {
    return this.snapshot ? { endpoint: this.endpoint, time, source: 'management-api', ...this.snapshot } : null;
  }
}

/** http://host:15672 for amqp://host, https://host:15671 for amqps://host. */
export function defaultManagementUrl(t: AmqpTarget): string {
  const host = t.host.includes(':') && !t.host.startsWith('[') ? `[${t.host}]` : t.host;
  return t.protocol === 'amqps' ? `https://${host}:15671` : `http://${host}:15672`;
}
