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
  /** The group the last item went to, by what chose it (absent from snapshots of an older build: read as null). */
  private lastGroup: { reason: UndeliveredReason; transport: UndeliveredItem['transport']; destination: string; group: UndeliveredGroup } | null = null;

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

  /**
   * A decided item turned out otherwise: a message called never delivered was dead-lettered
   * later (its TTL outlasted the window). Counts move to the new reason; the item keeps its
   * place in the list. Topology edges are the same and are not counted again.
   */
  replace(old: UndeliveredItem, next: UndeliveredItem): void {
    const n = (this.byReason[old.reason] ?? 1) - 1;
    if (n > 0) this.byReason[old.reason] = n;
    else delete this.byReason[old.reason];
    this.byReason[next.reason] = (this.byReason[next.reason] ?? 0) + 1;
    if (old.atEnd) this.atEnd -= 1;
    if (next.atEnd) this.atEnd += 1;
    const i = this.items.indexOf(old);
    if (i >= 0) this.items[i] = next;
    const exact = `${old.reason}\0${old.transport}\0${old.destination}`;
    const key = this.groups.has(exact) ? exact : `${old.reason}\0${old.transport}\0${OTHER}`;
    const g = this.groups.get(key);
    if (g) {
      g.count -= 1;
      g.examples = g.examples.filter((seq) => seq !== old.seq);
      if (g.chains) g.chains = g.chains.filter((c) => c.seq !== old.seq);
      if (g.count === 0) {
        this.groups.delete(key);
        this.lastGroup = null;
      }
    }
    this.group(next);
  }

  private group(item: UndeliveredItem): void {
    // Items come in runs of one reason on one destination (a partition judged at a time).
    const last = this.lastGroup;
    if (last && last.reason === item.reason && last.transport === item.transport && last.destination === item.destination) {
      this.count(last.group, item);
      return;
    }
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
    this.lastGroup = { reason: item.reason, transport: item.transport, destination: item.destination, group: g };
    this.count(g, item);
  }

  private count(g: UndeliveredGroup, item: UndeliveredItem): void {
    g.count += 1;
    if (g.examples.length < EXAMPLES) {
      g.examples.push(item.seq);
      if (item.deadLetter) (g.chains ??= []).push({ seq: item.seq, deadLetter: item.deadLetter });
    }
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
      .map((g) => ({ ...g, examples: [...g.examples], ...(g.chains ? { chains: [...g.chains] } : {}) }))
      .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason) || a.destination.localeCompare(b.destination));
  }

  /** Items in decision order; only the first `maxItems` are kept. */
  page(offset: number, limit: number, reason?: UndeliveredReason): { rows: UndeliveredItem[]; total: number } {
    const rows = reason ? this.items.filter((i) => i.reason === reason) : this.items;
    return { rows: rows.slice(offset, offset + limit), total: reason ? (this.byReason[reason] ?? 0) : this.total };
  }
}
