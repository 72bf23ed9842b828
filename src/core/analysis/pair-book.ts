import type { PairingConfig } from './config.ts';
import { DeadlineHeap } from './deadline-heap.ts';
import type { LatencyHistogram } from './histogram.ts';
import { FifoMap } from './fifo-map.ts';
import { Connections, ReplyNames } from './pair-names.ts';
import { PairOutcomes } from './pair-outcomes.ts';
import type { PairsSummary, PendingRequest } from './pair-outcomes.ts';
import { asReply, viewsOf, type Closed, type EarlyReply, type Seen } from './pair-seen.ts';
import type { PairsPage } from '../../shared/views.ts';
import type { PairQuery, UnansweredReason } from './pair-store.ts';

type Waiting = PendingRequest | EarlyReply;

/** Decided conversations remembered at most (to recognise duplicates and late replies). */
const MAX_REMEMBERED = 50_000;
/**
 * Capture time an entry is held at least before its decision becomes final: long enough for
 * a history read to have fetched every partition's share around it.
 */
const HOLD_MS = 60_000;

/**
 * The bookkeeping of pairing: requests waiting for a reply (`open`), replies waiting for
 * their request (`early`) and decided conversations (`closed`), with the event-time
 * watermark that times them out and the counts those decisions add up to.
 *
 * Timing out is provisional: a request counted unanswered is taken back when its reply
 * comes in time, a waiting reply counted orphan when its request comes. A decision is final
 * when its entry leaves memory: past its windows and held for HOLD_MS of capture time, or
 * pushed out by the caps (`maxOpen` each for open requests and waiting replies: entries
 * already decided provisionally leave first, else the newcomer is decided at once); the
 * counts stay exact either way. A waiting entry costs about 350 bytes.
 */
export class PairBook {
  /** Replaced only by a state restored from kept results (AnalysisState.restoreResults). */
  out: PairOutcomes;
  // Entries are fresh objects, never set again once they left (see FifoMap's objectsOnce).
  readonly open = new FifoMap<string, PendingRequest>(true);
  readonly early = new FifoMap<string, EarlyReply>(true);
  readonly closed = new FifoMap<string, Closed>(true);
  private readonly deadlines = new DeadlineHeap<Waiting>();
  private readonly connections = new Connections();
  private readonly replyNames = new ReplyNames();
  /** Newest event time and newest capture time of the messages seen. */
  private eventMax = -Infinity;
  private captureMax = -Infinity;
  /** The event-time watermark timeouts are judged against, and the capture clock holds are. */
  private watermark = -Infinity;
  private captureClock = -Infinity;
  private timedOutOpen = 0;
  private countedEarly = 0;
  /** Keys counted provisionally, oldest first: the first to leave when a cap is reached. */
  private readonly decidedFirst = new FifoMap<string, Waiting>(true);
  /** Called when a WebSocket request is left unanswered by its connection closing. */
  onConnectionUnanswered: ((req: PendingRequest, abnormal: boolean) => void) | null = null;

  constructor(private readonly cfg: PairingConfig) {
    this.out = new PairOutcomes(cfg);
  }

  /** A message at event time `time`, captured at `captured`: the watermark moves to the newest event time. */
  see(time: number, captured: number): void {
    if (time > this.eventMax) this.eventMax = time;
    if (captured > this.captureMax) this.captureMax = captured;
    this.moveTo(this.eventMax, captured);
  }

  /**
   * The live clock (capture time) moved on: event time runs on from the newest message at
   * the same pace, so requests time out while nothing arrives. A history read whose event
   * times lie far behind the clock is not judged by it.
   */
  advance(now: number): void {
    if (this.captureMax === -Infinity) return;
    this.moveTo(this.eventMax + Math.max(0, now - this.captureMax), now);
  }

  openRequest(req: PendingRequest): void {
    this.rememberReplyName(req.replyTo);
    if (req.connKey && this.connections.isClosed(req.connKey)) {
      this.resolveUnanswered(req, 'sent-after-close');
      return;
    }
    if (this.open.size >= this.cfg.maxOpen && !this.makeRoom()) {
      // Nothing waiting is decided yet (a history read with topics far apart): keep what
      // waits, whose partners come first, and give up the newcomer.
      this.resolveUnanswered(req, 'evicted');
      return;
    }
    this.open.set(req.key, req);
    if (req.connKey) this.connections.hold(req.connKey, req.key);
    this.schedule(req.time, req);
  }

  waitForRequest(key: string, correlationId: string, s: Seen): void {
    const before = this.early.get(key);
    if (before) this.finalizeEarly(before);
    const e: EarlyReply = { key, correlationId, reply: s, views: null, counted: false, others: null };
    if (this.early.size >= this.cfg.maxOpen && !this.makeRoom()) {
      this.early.set(key, e);
      this.finalizeEarly(e);
      return;
    }
    this.early.set(key, e);
    this.schedule(s.time, e);
  }

  private schedule(time: number, w: Waiting): void {
    if (this.watermark - time > this.cfg.timeoutMs) {
      this.expireWaiting(w);
      return;
    }
    this.deadlines.push(time + this.cfg.timeoutMs, w);
    const live = this.open.size + this.early.size;
    if (this.deadlines.size > 2 * live + 4096) {
      const entries: [number, Waiting][] = [];
      for (const r of this.open.values()) if (!r.timedOut) entries.push([r.time + this.cfg.timeoutMs, r]);
      for (const e of this.early.values()) if (!e.counted) entries.push([e.reply.time + this.cfg.timeoutMs, e]);
      this.deadlines.rebuild(entries);
    }
  }

  /**
   * Frees a place by finalizing the oldest entry the watermark already decided
   * provisionally (least likely to be answered or claimed); false when there is none.
   */
  private makeRoom(): boolean {
    for (let f = this.decidedFirst.shift(); f; f = this.decidedFirst.shift()) {
      const w = f[1];
      if ('reply' in w) {
        if (this.early.get(w.key) === w && w.counted) {
          this.finalizeEarly(w);
          return true;
        }
      } else if (this.open.get(w.key) === w && w.timedOut) {
        this.resolveUnanswered(w, 'timeout');
        return true;
      }
    }
    return false;
  }

  /** The watermark passed a waiting entry's timeout: count it, provisionally. */
  private expireWaiting(w: Waiting): void {
    if ('reply' in w) {
      if (this.early.get(w.key) !== w || w.counted) return;
      w.counted = true;
      this.decidedFirst.set(w.key, w);
      this.countedEarly += 1;
      this.out.addOrphan(w.reply, w.correlationId);
      for (const o of w.others ?? []) this.out.addOrphan(o, w.correlationId);
    } else {
      if (this.open.get(w.key) !== w || w.timedOut) return;
      w.timedOut = true;
      this.decidedFirst.set(w.key, w);
      this.timedOutOpen += 1;
      this.out.addUnanswered(w, 'timeout');
    }
  }

  /** A waiting reply's request came: whatever was counted for it is taken back. */
  claimEarly(e: EarlyReply): void {
    this.early.delete(e.key);
    if (!e.counted) return;
    e.counted = false;
    this.countedEarly -= 1;
    this.decidedFirst.delete(e.key);
    this.out.retractOrphan(e.reply);
    for (const o of e.others ?? []) this.out.retractOrphan(o);
  }

  /** A waiting reply's request will not come (or is not remembered): it is an orphan. */
  finalizeEarly(e: EarlyReply): void {
    if (this.early.get(e.key) !== e) return;
    this.early.delete(e.key);
    if (e.counted) {
      this.countedEarly -= 1;
      this.decidedFirst.delete(e.key);
    } else {
      this.out.addOrphan(e.reply, e.correlationId);
      for (const o of e.others ?? []) this.out.addOrphan(o, e.correlationId);
    }
    this.remember(e.key, {
      kind: 'orphan',
      req: null,
      reply: e.reply,
      at: e.reply.time,
      captured: e.reply.captured,
      reason: null,
      replyIdentity: e.reply.identity,
      views: viewsOf(e),
    });
  }

  /** `reply` answers `req`: matched, or late past the timeout (the request then stays unanswered). */
  answer(req: PendingRequest, reply: Seen, views: string[]): void {
    const latency = Math.max(0, reply.time - req.time);
    this.rememberReplyName(reply.name);
    const wasCounted = req.timedOut;
    this.forget(req);
    if (latency > this.cfg.timeoutMs) {
      // Decided as if the timeout had fired first, whenever the watermark happened to pass it.
      if (!wasCounted) this.out.addUnanswered(req, 'timeout');
      this.out.addLate(req, reply);
      this.remember(req.key, { ...closedOf(req, 'unanswered', 'timeout'), replyIdentity: reply.identity, views: [...views] });
      return;
    }
    if (wasCounted) this.out.retract(req, 'timeout');
    this.out.addMatched(req, reply, latency);
    this.remember(req.key, { ...closedOf(req, 'answered', null), at: reply.time, replyIdentity: reply.identity, views: [...views] });
  }

  /** The request is given up for good (or was counted as timed out already). */
  resolveUnanswered(req: PendingRequest, reason: UnansweredReason): void {
    const wasCounted = req.timedOut;
    this.forget(req);
    if (!wasCounted) this.out.addUnanswered(req, reason);
    this.remember(req.key, closedOf(req, 'unanswered', wasCounted ? 'timeout' : reason));
    if (!wasCounted && (reason === 'connection-closed' || reason === 'connection-dropped') && this.onConnectionUnanswered) {
      this.onConnectionUnanswered(req, reason === 'connection-dropped');
    }
  }

  /** An open request was no request: taken back, whatever was counted for it. */
  withdraw(req: PendingRequest): void {
    const wasCounted = req.timedOut;
    this.forget(req);
    if (wasCounted) this.out.retract(req, 'timeout');
  }

  /** A reply to nothing; `claimable` keeps it for a request that may still come. */
  orphan(key: string, correlationId: string, s: Seen, claimable: boolean): void {
    this.out.addOrphan(s, correlationId);
    this.remember(key, { kind: 'orphan', req: null, reply: claimable ? s : null, at: s.time, captured: s.captured, reason: null, replyIdentity: s.identity, views: [s.view] });
  }

  private forget(req: PendingRequest): void {
    if (this.open.get(req.key) === req) {
      this.open.delete(req.key);
      if (req.timedOut) {
        this.timedOutOpen -= 1;
        this.decidedFirst.delete(req.key);
      }
    }
    if (req.connKey) this.connections.release(req.connKey, req.key);
  }

  private remember(key: string, closed: Closed): void {
    this.closed.delete(key);
    if (this.closed.size >= MAX_REMEMBERED) this.closed.shift();
    this.closed.set(key, closed);
  }

  rememberReplyName(name: string | null): void {
    this.replyNames.add(name);
  }

  /** Whether replies have been seen addressed to this name (or a request named it for them). */
  isReplyName(name: string | null): boolean {
    return this.replyNames.has(name);
  }

  connectionOpened(connKey: string): void {
    this.connections.opened(connKey);
  }

  /** A WebSocket connection closed: its open requests will never be answered. */
  closeConnection(connKey: string, abnormal: boolean): void {
    for (const key of this.connections.close(connKey)) {
      const req = this.open.get(key);
      if (req) this.resolveUnanswered(req, abnormal ? 'connection-dropped' : 'connection-closed');
    }
  }

  private moveTo(watermark: number, capture: number): void {
    if (capture > this.captureClock) this.captureClock = capture;
    if (watermark > this.watermark) {
      this.watermark = watermark;
      for (let d = this.deadlines.peek(); d !== undefined && d < watermark; d = this.deadlines.peek()) {
        this.expireWaiting(this.deadlines.pop()!);
      }
    }
    this.release();
  }

  /** Entries past their windows and held long enough leave memory: their decision is final. */
  private release(): void {
    const held = this.captureClock - HOLD_MS;
    const w = this.watermark;
    for (let f = this.open.first(); f && f[1].captured < held && f[1].timedOut && w - f[1].time > this.cfg.lateReplyMs; f = this.open.first()) {
      this.forget(f[1]);
    }
    for (let f = this.early.first(); f && f[1].reply.captured < held && f[1].counted; f = this.early.first()) {
      this.finalizeEarly(f[1]);
    }
    this.decidedFirst.first(); // drops the queue slots of entries that left
    const keep = Math.max(this.cfg.duplicateWindowMs, this.cfg.lateReplyMs);
    for (let f = this.closed.first(); f && f[1].captured < held && w - f[1].at > keep; f = this.closed.first()) {
      this.closed.delete(f[0]);
    }
  }

  /**
   * The recording ended at `end` (capture time): whatever still waits is decided. An
   * implicit request on a destination that turned out to carry replies was a reply read
   * before anything taught that (a history read): it is an orphan.
   */
  finish(end: number): void {
    this.advance(end);
    for (const req of [...this.open.values()]) {
      if (req.implicit && this.isReplyName(req.name)) {
        this.withdraw(req);
        this.orphan(req.key, req.correlationId, asReply(req), false);
        continue;
      }
      this.resolveUnanswered(req, this.watermark - req.time > this.cfg.timeoutMs ? 'timeout' : 'session-ended');
    }
    for (const e of [...this.early.values()]) this.finalizeEarly(e);
  }

  summary(): PairsSummary {
    return this.out.summary(this.open.size - this.timedOutOpen + this.early.size - this.countedEarly);
  }

  page(q: PairQuery): PairsPage {
    return this.out.page(q);
  }

  histogram(destination?: string): LatencyHistogram {
    return this.out.histogram(destination);
  }
}

function closedOf(req: PendingRequest, kind: Closed['kind'], reason: UnansweredReason | null): Closed {
  return { kind, req, reply: null, at: req.time, captured: req.captured, reason, replyIdentity: null, views: [] };
}
