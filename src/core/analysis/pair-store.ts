import type { Transport } from '../../shared/model.ts';
import type { DestinationPairs, PairCounts, PairStatus, PairView, UnansweredReason } from '../../shared/views.ts';
import { LatencyHistogram } from './histogram.ts';

export type { PairView, UnansweredReason };

export interface PairQuery {
  offset?: number;
  limit: number;
  /** Rows whose request or reply went to this destination label. */
  destination?: string;
  status?: PairStatus;
}

function num(v: number): number | null {
  return Number.isNaN(v) ? null : v;
}

const STATUSES: PairStatus[] = ['matched', 'unanswered', 'orphan', 'duplicate'];
const REASONS: UnansweredReason[] = ['timeout', 'session-ended', 'connection-closed', 'connection-dropped', 'sent-after-close', 'evicted', 'no-responders'];
const TRANSPORTS: Transport[] = ['kafka', 'amqp', 'ws', 'mqtt', 'nats'];
const DELETED = -1;

/**
 * The listed pairs, column by column: numbers in packed arrays and labels interned, so
 * 100,000 rows cost a few megabytes. Each status has its own cap; counts live elsewhere.
 */
export class PairStore {
  private readonly status: number[] = [];
  private readonly reqSeq: number[] = [];
  private readonly repSeq: number[] = [];
  private readonly latency: number[] = [];
  private readonly reqTime: number[] = [];
  private readonly repTime: number[] = [];
  private readonly corr: string[] = [];
  private readonly dest: number[] = [];
  private readonly replyDest: number[] = [];
  private readonly method: number[] = [];
  /** Reason index for unanswered rows; +100 when a late reply came. */
  private readonly reason: number[] = [];
  private readonly transport: number[] = [];
  private readonly listed = [0, 0, 0, 0];
  private readonly labels: string[] = [];
  private readonly labelIndex = new Map<string, number>();
  /** Row of each listed unanswered request, to mark a late reply or take it back. */
  private readonly unansweredRow = new Map<number, number>();
  /** Row of each listed orphan reply, to take it back when its request shows up. */
  private readonly orphanRow = new Map<number, number>();

  constructor(private readonly caps: Record<PairStatus, number>) {}

  add(p: Omit<PairView, 'late'>): void {
    const s = STATUSES.indexOf(p.status);
    if (this.listed[s]! >= this.caps[p.status]) return;
    this.listed[s]! += 1;
    const row = this.status.length;
    this.status.push(s);
    this.reqSeq.push(p.requestSeq ?? -1);
    this.repSeq.push(p.replySeq ?? -1);
    this.latency.push(p.latencyMs ?? -1);
    this.reqTime.push(p.requestTime ?? NaN);
    this.repTime.push(p.replyTime ?? NaN);
    this.corr.push(p.correlationId);
    this.dest.push(this.intern(p.destination));
    this.replyDest.push(this.intern(p.replyDestination));
    this.method.push(this.intern(p.method));
    this.reason.push(p.reason ? REASONS.indexOf(p.reason) : -1);
    this.transport.push(TRANSPORTS.indexOf(p.transport));
    if (p.status === 'unanswered' && p.requestSeq !== null) this.unansweredRow.set(p.requestSeq, row);
    if (p.status === 'orphan' && p.replySeq !== null) this.orphanRow.set(p.replySeq, row);
  }

  /** Records that an unanswered request's reply came late. */
  markLate(requestSeq: number, replySeq: number, replyTime: number, replyDestination: string, latencyMs: number): void {
    const row = this.unansweredRow.get(requestSeq);
    if (row === undefined) return;
    this.repSeq[row] = replySeq;
    this.repTime[row] = replyTime;
    this.replyDest[row] = this.intern(replyDestination);
    this.latency[row] = latencyMs;
    this.reason[row] = (this.reason[row]! % 100) + 100;
  }

  /** Takes back an unanswered row (its reply turned out to be in time after all). */
  removeUnanswered(requestSeq: number): void {
    const row = this.unansweredRow.get(requestSeq);
    if (row === undefined) return;
    this.unansweredRow.delete(requestSeq);
    this.status[row] = DELETED;
    this.listed[1]! -= 1;
  }

  /** Takes back an orphan row (its request came after all). */
  removeOrphan(replySeq: number): void {
    const row = this.orphanRow.get(replySeq);
    if (row === undefined) return;
    this.orphanRow.delete(replySeq);
    this.status[row] = DELETED;
    this.listed[2]! -= 1;
  }

  listedCount(status: PairStatus): number {
    return this.listed[STATUSES.indexOf(status)]!;
  }

  page(q: PairQuery): { rows: PairView[]; matching: number } {
    const want = q.status ? STATUSES.indexOf(q.status) : null;
    const dests = q.destination === undefined ? null : this.labelsFor(q.destination);
    const offset = q.offset ?? 0;
    const rows: PairView[] = [];
    let matching = 0;
    for (let i = 0; i < this.status.length; i++) {
      const s = this.status[i]!;
      if (s === DELETED || (want !== null && s !== want)) continue;
      if (dests !== null && !dests.has(this.dest[i]!) && !dests.has(this.replyDest[i]!)) continue;
      if (matching >= offset && rows.length < q.limit) rows.push(this.view(i));
      matching += 1;
    }
    return { rows, matching };
  }

  /**
   * Label indices a destination filter stands for: the label itself, and for an AMQP
   * exchange its "exchange → routing key" labels, so a click on an exchange node narrows
   * the pairs to what went through it.
   */
  private labelsFor(destination: string): Set<number> {
    const out = new Set<number>();
    const exact = this.labelIndex.get(destination);
    if (exact !== undefined) out.add(exact);
    const prefix = `${destination} → `;
    this.labels.forEach((label, i) => {
      if (label.startsWith(prefix)) out.add(i);
    });
    return out;
  }

  private view(i: number): PairView {
    const r = this.reason[i]!;
    return {
      status: STATUSES[this.status[i]!]!,
      correlationId: this.corr[i]!,
      transport: TRANSPORTS[this.transport[i]!]!,
      requestSeq: this.reqSeq[i]! >= 0 ? this.reqSeq[i]! : null,
      replySeq: this.repSeq[i]! >= 0 ? this.repSeq[i]! : null,
      requestTime: num(this.reqTime[i]!),
      replyTime: num(this.repTime[i]!),
      destination: this.label(this.dest[i]!),
      replyDestination: this.label(this.replyDest[i]!),
      latencyMs: this.latency[i]! >= 0 ? this.latency[i]! : null,
      method: this.label(this.method[i]!),
      reason: r >= 0 ? REASONS[r % 100]! : null,
      late: r >= 100,
    };
  }

  private intern(s: string | null): number {
    if (s === null) return -1;
    let i = this.labelIndex.get(s);
    if (i === undefined) {
      i = this.labels.length;
      this.labels.push(s);
      this.labelIndex.set(s, i);
    }
    return i;
  }

  private label(i: number): string | null {
    return i >= 0 ? this.labels[i]! : null;
  }
}

export interface DestStats extends PairCounts {
  hist: LatencyHistogram;
}

export const OTHER_DESTINATIONS = '(other destinations)';

/** Per-destination counters and latency, capped in number of destinations. */
export class DestinationTable {
  private readonly rows = new Map<string, DestStats>();
  constructor(private readonly max: number) {}

  get(transport: Transport, destination: string): DestStats {
    const key = `${transport}\0${destination}`;
    let s = this.rows.get(key);
    if (s) return s;
    if (this.rows.size >= this.max) return this.get(transport, OTHER_DESTINATIONS);
    s = { transport, destination, matched: 0, unanswered: 0, orphans: 0, duplicates: 0, late: 0, hist: new LatencyHistogram() };
    this.rows.set(key, s);
    return s;
  }

  find(destination: string): DestStats[] {
    return [...this.rows.values()].filter((s) => s.destination === destination);
  }

  summary(): DestinationPairs[] {
    return [...this.rows.values()]
      .map((s) => ({
        transport: s.transport,
        destination: s.destination,
        matched: s.matched,
        unanswered: s.unanswered,
        orphans: s.orphans,
        duplicates: s.duplicates,
        late: s.late,
        ...s.hist.summary(),
      }))
      .sort((a, b) => b.matched + b.unanswered - (a.matched + a.unanswered) || a.destination.localeCompare(b.destination));
  }
}
