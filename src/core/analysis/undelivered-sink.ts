import type { Transport } from '../../shared/model.ts';

/**
 * Why a message never reached anyone, in words a user understands:
 * - `unroutable`: AMQP publish that no binding matched; the broker dropped it.
 * - `returned`: AMQP mandatory publish handed back to its publisher (basic.return).
 * - `never-delivered`: AMQP publish routed to a queue, but no consumer got it within the window.
 * - `expired` / `dead-lettered`: it left a queue through TTL expiry / rejection, overflow or a delivery limit.
 * - `not-consumed`: Kafka record no consumer group had committed past within the window.
 * - `no-consumer-group`: Kafka record on a topic no consumer group reads.
 * - `sent-after-close`: WebSocket frame sent while the peer was closing or after it closed.
 * - `lost-on-drop`: WebSocket frame in flight towards a side whose connection died (1006).
 * - `unanswered-before-close`: WebSocket JSON-RPC request the connection closed on before any reply.
 */
export type UndeliveredReason =
  | 'unroutable'
  | 'returned'
  | 'never-delivered'
  | 'expired'
  | 'dead-lettered'
  | 'not-consumed'
  | 'no-consumer-group'
  | 'sent-after-close'
  | 'lost-on-drop'
  | 'unanswered-before-close';

export interface UndeliveredItem {
  seq: number;
  /** Event time of the message. */
  time: number;
  transport: Transport;
  endpoint: string;
  /** Exchange (→ routing key), topic or socket path. */
  destination: string;
  reason: UndeliveredReason;
  /** One line for the user. */
  explanation: string;
  /** Decided when the recording ended, before the window had fully passed. */
  atEnd: boolean;
}

export interface UndeliveredGroup {
  reason: UndeliveredReason;
  transport: Transport;
  destination: string;
  count: number;
  /** Up to 5 example seqs, the first ones seen. */
  examples: number[];
  /** The explanation of the first example. */
  explanation: string;
}

export interface UndeliveredSummary {
  total: number;
  byReason: Partial<Record<UndeliveredReason, number>>;
  /** How many were decided at the end of the recording rather than after their window. */
  atEnd: number;
  /** Messages still inside their window (only before `finish`). */
  pending: number;
  /** The first items, in the order they were decided; `total` stays exact. */
  items: UndeliveredItem[];
  truncated: boolean;
}

/** Topology edges an undelivered message counts against, as node-id pairs. */
export type EdgeHint = [from: string, to: string];

const OTHER = '(other)';
const EXAMPLES = 5;

/** Collects decided items: exact counts, a capped list, and capped reason+destination groups. */
export class UndeliveredSink {
  total = 0;
  atEnd = 0;
  private readonly byReason: Partial<Record<UndeliveredReason, number>> = {};
  private readonly items: UndeliveredItem[] = [];
  private readonly groups = new Map<string, UndeliveredGroup>();
  onItem: ((item: UndeliveredItem, edges: EdgeHint[]) => void) | null = null;

  constructor(
    private readonly maxItems: number,
    private readonly maxGroups: number,
  ) {}

  add(item: UndeliveredItem, edges: EdgeHint[] = []): void {
    this.total += 1;
    if (item.atEnd) this.atEnd += 1;
    this.byReason[item.reason] = (this.byReason[item.reason] ?? 0) + 1;
    if (this.items.length < this.maxItems) this.items.push(item);
    this.group(item);
    this.onItem?.(item, edges);
  }

  private group(item: UndeliveredItem): void {
    let key = `${item.reason}\0${item.transport}\0${item.destination}`;
    let g = this.groups.get(key);
    if (!g && this.groups.size >= this.maxGroups) {
      key = `${item.reason}\0${item.transport}\0${OTHER}`;
      g = this.groups.get(key);
    }
    if (!g) {
      g = {
        reason: item.reason,
        transport: item.transport,
        destination: key.endsWith(`\0${OTHER}`) ? OTHER : item.destination,
        count: 0,
        examples: [],
        explanation: item.explanation,
      };
      this.groups.set(key, g);
    }
    g.count += 1;
    if (g.examples.length < EXAMPLES) g.examples.push(item.seq);
  }

  summary(pending: number): UndeliveredSummary {
    return {
      total: this.total,
      byReason: { ...this.byReason },
      atEnd: this.atEnd,
      pending,
      items: [...this.items],
      truncated: this.total > this.items.length,
    };
  }

  groupList(): UndeliveredGroup[] {
    return [...this.groups.values()]
      .map((g) => ({ ...g, examples: [...g.examples] }))
      .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason) || a.destination.localeCompare(b.destination));
  }

  /** Items in decision order; only the first `maxItems` are kept. */
  page(offset: number, limit: number, reason?: UndeliveredReason): { rows: UndeliveredItem[]; total: number } {
    const rows = reason ? this.items.filter((i) => i.reason === reason) : this.items;
    return { rows: rows.slice(offset, offset + limit), total: reason ? (this.byReason[reason] ?? 0) : this.total };
  }
}
