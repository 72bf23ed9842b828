import type { ReplayItem, ReplayReport, Settlement } from './types.ts';

/** Counts what a replay sent, what is still in flight, and where it stands for the report. */
export class ReplayTally {
  readonly report: ReplayReport;
  inFlight = 0;
  inFlightBytes = 0;
  fatal = false;
  private roomWaiter: { count: number; bytes: number; resolve: () => void } | null = null;
  private drainWaiter: (() => void) | null = null;
  /** Seqs dispatched in order, and those confirmed, to know the last seq with nothing missing before it. */
  private order: number[] = [];
  private head = 0;
  private readonly confirmed = new Set<number>();
  private lastProgressKey = '';

  constructor(target: string, readonly dryRun: boolean) {
    this.report = {
      target,
      dryRun,
      state: 'done',
      sent: 0,
      failed: 0,
      planned: 0,
      total: 0,
      unroutable: 0,
      byDestination: {},
      lastSeq: 0,
      durationMs: 0,
      error: null,
      notes: [],
    };
  }

  private dest(label: string) {
    return (this.report.byDestination[label] ??= { sent: 0, failed: 0 });
  }

  planned(item: ReplayItem): void {
    this.report.planned += 1;
    this.dest(item.label).sent += 1;
    this.report.lastSeq = item.msg.seq;
  }

  dispatched(item: ReplayItem): void {
    this.inFlight += 1;
    this.inFlightBytes += item.msg.payload.byteLength;
    this.order.push(item.msg.seq);
  }

  settled(item: ReplayItem, s: Settlement): void {
    this.inFlight -= 1;
    this.inFlightBytes -= item.msg.payload.byteLength;
    const r = this.report;
    if (s.ok) {
      r.sent += 1;
      this.dest(item.label).sent += 1;
      this.confirmed.add(item.msg.seq);
      this.advance();
    } else if (!s.cancelled) {
      r.failed += 1;
      this.dest(item.label).failed += 1;
      if (s.error && r.error === null) r.error = `${item.label}: ${s.error.message}`;
      if (s.fatal) this.fatal = true;
    }
    const w = this.roomWaiter;
    if (w && this.inFlight <= w.count && this.inFlightBytes <= w.bytes) {
      this.roomWaiter = null;
      w.resolve();
    }
    if (this.inFlight === 0) this.drainWaiter?.();
  }

  private advance(): void {
    while (this.head < this.order.length && this.confirmed.has(this.order[this.head]!)) {
      const seq = this.order[this.head]!;
      this.confirmed.delete(seq);
      this.report.lastSeq = seq;
      this.head += 1;
    }
    if (this.head > 50_000) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }

  /** Resolves once in-flight messages and bytes are down to the given levels. */
  room(count: number, bytes: number): Promise<void> {
    if (this.inFlight <= count && this.inFlightBytes <= bytes) return Promise.resolve();
    return new Promise((resolve) => (this.roomWaiter = { count, bytes, resolve }));
  }

  /** Resolves when nothing is in flight, or after `timeoutMs` (what is unconfirmed then counts as failed). */
  drained(timeoutMs: number): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.report.failed += this.inFlight;
        this.report.error ??= `${this.inFlight} message(s) were not confirmed within ${timeoutMs / 1000} s`;
        this.inFlight = 0;
        resolve();
      }, timeoutMs);
      this.drainWaiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  changedSinceLastProgress(): boolean {
    const key = `${this.report.sent}/${this.report.failed}/${this.report.planned}/${Math.floor(performance.now() / 1000)}`;
    if (key === this.lastProgressKey) return false;
    this.lastProgressKey = key;
    return true;
  }

  runningMessage(): string {
    const r = this.report;
    return `${r.sent} of ${r.total} sent to ${r.target}${r.failed ? `, ${r.failed} failed` : ''}`;
  }

  summary(): string {
    return summarizeReport(this.report);
  }
}

/** One sentence saying what a replay did. */
export function summarizeReport(r: ReplayReport): string {
  if (r.dryRun && r.state === 'failed') {
    return `Dry run failed after planning ${r.planned} of ${r.total} message(s) to ${r.target}: ${r.error ?? 'unknown error'}`;
  }
  if (r.dryRun) return `Dry run: would send ${r.planned} of ${r.total} message(s) to ${r.target}; nothing was sent.`;
  if (r.total === 0 && r.state === 'done') return `Nothing to replay to ${r.target}.`;
  const extra = [r.failed ? `${r.failed} failed` : '', r.unroutable ? `${r.unroutable} unroutable` : ''].filter(Boolean).join(', ');
  const counts = `${r.sent} of ${r.total} message(s) to ${r.target}${extra ? ` (${extra})` : ''}`;
  if (r.state === 'cancelled') return `Cancelled: sent ${counts}.`;
  if (r.state === 'failed') return `Replay failed after sending ${counts}: ${r.error ?? 'unknown error'}`;
  return `Sent ${counts} in ${(r.durationMs / 1000).toFixed(1)} s.`;
}
