import type { Transport } from '../../shared/model.ts';
import type { PairsPage, PairsSummary, UnansweredReason } from '../../shared/views.ts';
import type { PairingConfig } from './config.ts';
import { LatencyHistogram } from './histogram.ts';
import { DestinationTable, PairStore } from './pair-store.ts';
import type { PairQuery } from './pair-store.ts';

export type { PairsSummary };

/** A request waiting for its reply. */
export interface PendingRequest {
  key: string;
  seq: number;
  /** Event time. */
  time: number;
  /** Capture time (how long it has been held is measured on this clock). */
  captured: number;
  correlationId: string;
  transport: Transport;
  endpoint: string;
  connKey: string | null;
  /** WebSocket: true for a client→server request, false for server→client; null elsewhere. */
  outbound: boolean | null;
  /** Destination label of the request. */
  label: string;
  replyTo: string | null;
  /** Message id, or payload hash and length (see pair-seen.ts pairIdentity). */
  identity: string | number;
  method: string | null;
  /** The name a reply to it would be addressed to, were it itself a reply (see pairing's replyName). */
  name: string | null;
  /** Which observer saw it (endpoint and event). */
  view: string;
  /** Opened only because it was the first message with its id: it names no reply destination and no method. */
  implicit: boolean;
  /** Already counted as unanswered (timeout): the watermark passed it. A reply in time takes that back. */
  timedOut: boolean;
}

/** A reply, as the outcomes record it. */
export interface ReplyRef {
  seq: number;
  /** Event time. */
  time: number;
  transport: Transport;
  /** Destination label of the reply. */
  label: string;
}

/** Counts, latency figures and the listed rows of every decided conversation. */
export class PairOutcomes {
  private readonly overall = new LatencyHistogram();
  private readonly dests: DestinationTable;
  private readonly list: PairStore;
  private matched = 0;
  private unanswered = 0;
  private orphans = 0;
  private duplicates = 0;
  private late = 0;
  private readonly byReason: Partial<Record<UnansweredReason, number>> = {};

  constructor(cfg: PairingConfig) {
    this.dests = new DestinationTable(cfg.maxDestinations);
    this.list = new PairStore({
      matched: cfg.maxListedMatched,
      unanswered: cfg.maxListedUnanswered,
      orphan: cfg.maxListedOrphans,
      duplicate: Math.min(cfg.maxListedOrphans, 1000),
    });
  }

  addMatched(req: PendingRequest, reply: ReplyRef, latency: number): void {
    this.matched += 1;
    const dest = this.dests.get(req.transport, req.label);
    dest.matched += 1;
    dest.hist.record(latency);
    this.overall.record(latency);
    this.list.add({
      status: 'matched',
      correlationId: req.correlationId,
      transport: req.transport,
      requestSeq: req.seq,
      replySeq: reply.seq,
      requestTime: req.time,
      replyTime: reply.time,
      destination: req.label,
      replyDestination: reply.label,
      latencyMs: round(latency),
      method: req.method,
      reason: null,
    });
  }

  addUnanswered(req: PendingRequest, reason: UnansweredReason): void {
    this.unanswered += 1;
    this.byReason[reason] = (this.byReason[reason] ?? 0) + 1;
    this.dests.get(req.transport, req.label).unanswered += 1;
    this.list.add({
      status: 'unanswered',
      correlationId: req.correlationId,
      transport: req.transport,
      requestSeq: req.seq,
      replySeq: null,
      requestTime: req.time,
      replyTime: null,
      destination: req.label,
      replyDestination: req.replyTo,
      latencyMs: null,
      method: req.method,
      reason,
    });
  }

  /** Takes back an unanswered request whose reply turned out to be in time. */
  retract(req: PendingRequest, reason: UnansweredReason): void {
    this.unanswered -= 1;
    this.byReason[reason] = (this.byReason[reason] ?? 1) - 1;
    this.dests.get(req.transport, req.label).unanswered -= 1;
    this.list.removeUnanswered(req.seq);
  }

  addLate(req: PendingRequest, reply: ReplyRef): void {
    this.late += 1;
    this.dests.get(req.transport, req.label).late += 1;
    this.list.markLate(req.seq, reply.seq, reply.time, reply.label, round(Math.max(0, reply.time - req.time)));
  }

  addOrphan(reply: ReplyRef, correlationId: string): void {
    this.orphans += 1;
    this.dests.get(reply.transport, reply.label).orphans += 1;
    this.list.add({
      status: 'orphan',
      correlationId,
      transport: reply.transport,
      requestSeq: null,
      replySeq: reply.seq,
      requestTime: null,
      replyTime: reply.time,
      destination: null,
      replyDestination: reply.label,
      latencyMs: null,
      method: null,
      reason: null,
    });
  }

  /** Takes back an orphan reply whose request showed up after all. */
  retractOrphan(reply: ReplyRef): void {
    this.orphans -= 1;
    this.dests.get(reply.transport, reply.label).orphans -= 1;
    this.list.removeOrphan(reply.seq);
  }

  addDuplicate(req: PendingRequest | null, reply: ReplyRef, correlationId: string): void {
    this.duplicates += 1;
    this.dests.get(req?.transport ?? reply.transport, req?.label ?? reply.label).duplicates += 1;
    this.list.add({
      status: 'duplicate',
      correlationId,
      transport: reply.transport,
      requestSeq: req?.seq ?? null,
      replySeq: reply.seq,
      requestTime: req?.time ?? null,
      replyTime: reply.time,
      destination: req?.label ?? null,
      replyDestination: reply.label,
      latencyMs: req ? round(Math.max(0, reply.time - req.time)) : null,
      method: req?.method ?? null,
      reason: null,
    });
  }

  summary(pending: number): PairsSummary {
    return {
      matched: this.matched,
      unanswered: this.unanswered,
      orphans: this.orphans,
      duplicates: this.duplicates,
      late: this.late,
      pending,
      unansweredByReason: Object.fromEntries(Object.entries(this.byReason).filter(([, n]) => n > 0)),
      latencyMs: this.overall.summary(),
      byDestination: this.dests.summary(),
    };
  }

  /** A page of the listed rows; `total` is the exact count behind the query. */
  page(q: PairQuery): PairsPage {
    const { rows, matching } = this.list.page(q);
    return { rows, listed: matching, total: this.totalFor(q) };
  }

  private totalFor(q: PairQuery): number {
    const pick = (r: { matched: number; unanswered: number; orphans: number; duplicates: number }): number =>
      q.status === 'matched'
        ? r.matched
        : q.status === 'unanswered'
          ? r.unanswered
          : q.status === 'orphan'
            ? r.orphans
            : q.status === 'duplicate'
              ? r.duplicates
              : r.matched + r.unanswered + r.orphans + r.duplicates;
    if (q.destination === undefined) {
      return pick({ matched: this.matched, unanswered: this.unanswered, orphans: this.orphans, duplicates: this.duplicates });
    }
    return this.dests.find(q.destination).reduce((n, r) => n + pick(r), 0);
  }

  histogram(destination?: string): LatencyHistogram {
    if (destination === undefined) return this.overall;
    const h = new LatencyHistogram();
    for (const r of this.dests.find(destination)) h.merge(r.hist);
    return h;
  }
}

export function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
