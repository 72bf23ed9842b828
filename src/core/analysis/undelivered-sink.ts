import type { UndeliveredGroup, UndeliveredItem, UndeliveredReason, UndeliveredSummary } from '../../shared/views.ts';

export type { UndeliveredReason };

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
