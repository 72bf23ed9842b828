import type { CapturedMessage } from '../../shared/model.ts';
import { eventTimeOf } from '../common/event-time.ts';
import { DEFAULT_ANALYSIS_CONFIG } from './config.ts';
import type { PairingConfig } from './config.ts';
import type { Correlation } from './correlation.ts';
import type { LatencyHistogram } from './histogram.ts';
import { destinationLabel } from './identity.ts';
import { PairBook } from './pair-book.ts';
import type { PairOutcomes, PairsSummary, PendingRequest } from './pair-outcomes.ts';
import type { PairsPage } from '../../shared/views.ts';
import type { PairQuery } from './pair-store.ts';
import { DIRECT_REPLY_TO, Interner, asReply, pairIdentity, replyName, viewsOf, type Closed, type EarlyReply, type Seen } from './pair-seen.ts';

export type { PairsSummary, PendingRequest };

/**
 * Request → reply pairing, fed message by message in seq (capture) order, judged on event
 * time (core/common/event-time.ts).
 *
 * A request is a message that names a reply destination (replyTo), a JSON-RPC call
 * (method + id), or, with `implicitRequests`, the first message carrying a correlation id
 * (other than a bare W3C trace id) that is not itself a reply. Its reply carries the same id back: on the replyTo queue or
 * topic, on another destination when no replyTo was named, or in the opposite direction
 * of the same WebSocket connection (JSON-RPC ids repeat across connections, so WebSocket
 * ids are scoped per connection and direction).
 *
 * Capture order is not event order: a history read fetches topics and partitions one after
 * another, so a reply may be seen before its request. Such a reply waits for its request
 * (`early`); when the request shows up they pair. Of two implicit "requests" with one id on
 * two destinations, the earlier in event time is the request and the other its reply.
 *
 * The same message seen twice (the firehose records an AMQP publish and its delivery;
 * two taps may see one publish) is recognised by its identity (message id, else payload
 * hash) and never counts as a reply or a duplicate. A second, different reply is a
 * duplicate; a reply to an id never seen as a request is an orphan.
 *
 * Time: a request is unanswered when no reply came within `timeoutMs` of event time; a
 * reply after that is "late" (the request stays unanswered and shows the late reply).
 * Timeouts are judged against an event-time watermark: the newest event time seen, run on
 * at wall speed by a live clock (`advance`) while nothing arrives. Those judgements are
 * provisional until their entries leave memory (see PairBook). At `finish` every request
 * still open is unanswered (reason `session-ended` when its timeout had not passed) and
 * every waiting reply an orphan.
 */

type Stored = CapturedMessage & { seq: number };

const MAX_EARLY_OTHERS = 16;
/** A reply stamped this much before a request is still taken as its answer (producers' clocks differ). */
const MAX_CLOCK_SKEW_MS = 10_000;

export class PairTracker {
  private readonly book: PairBook;
  private readonly names = new Interner();

  constructor(private readonly cfg: PairingConfig = DEFAULT_ANALYSIS_CONFIG.pairing) {
    this.book = new PairBook(cfg);
  }

  /** The counts, latency figures and listed pairs decided so far. */
  get outcomes(): PairOutcomes {
    return this.book.out;
  }

  set outcomes(out: PairOutcomes) {
    this.book.out = out;
  }

  /** Called when a WebSocket request is left unanswered by its connection closing. */
  set onConnectionUnanswered(fn: ((req: PendingRequest, abnormal: boolean) => void) | null) {
    this.book.onConnectionUnanswered = fn;
  }

  /** Feeds one message (in seq order) with what `classifyMessage` read from it. */
  ingest(m: Stored, c: Correlation): void {
    const t = eventTimeOf(m);
    this.book.see(t, m.time);
    if (m.transport === 'ws') {
      if (m.event === 'open') this.book.connectionOpened(connKeyOf(m));
      if (m.event !== 'frame-in' && m.event !== 'frame-out') return;
    } else if (m.event !== 'publish' && m.event !== 'deliver') {
      return;
    }
    if (!c.correlationId || c.role === 'notification') return;
    const names = this.names;
    const seen: Seen = {
      seq: m.seq,
      time: t,
      transport: m.transport,
      label: names.get(destinationLabel(m)),
      identity: pairIdentity(m, c.messageId),
      name: names.get(replyName(m)),
      destination: names.get(m.destination),
      view: names.get(`${m.endpoint}\0${m.event}`),
      captured: m.time,
    };
    if (m.transport === 'ws') this.ingestWs(m, c, seen);
    else this.ingestBroker(m, c, seen);
  }

  private ingestBroker(m: Stored, c: Correlation, s: Seen): void {
    // Kafka ids are their own key (one string per waiting request, not two); a NUL never starts one.
    const key = m.transport === 'kafka' ? c.correlationId! : `a\0${c.correlationId}`;
    const req = this.book.open.get(key);
    if (m.meta?.noResponders === true && m.transport === 'nats') {
      // The server's 503 on the inbox is no reply: it says nobody could answer (undelivered-nats.ts).
      if (req) this.book.resolveUnanswered(req, 'no-responders');
      return;
    }
    if (req) {
      if (this.answersEarlier(req, c, s)) this.swap(req, m, c, s);
      else if (c.role === 'reply' || this.isReplyTo(req, s)) this.book.answer(req, s, [s.view]);
      // Otherwise: the request seen again (its delivery, a second tap) or re-sent.
      return;
    }
    const early = this.book.early.get(key);
    if (early && this.onEarly(early, m, c, s)) return;
    const closed = this.book.closed.get(key);
    if (closed && this.relevant(closed, s.time) && this.onClosed(closed, key, m, c, s)) return;
    if (c.role === 'reply' || (c.role === null && this.isReplyName(s))) {
      this.book.waitForRequest(key, c.correlationId!, s);
      return;
    }
    if (this.opensRequest(c)) this.openRequest(key, m, c, s, null);
  }

  private ingestWs(m: Stored, c: Correlation, s: Seen): void {
    const connKey = connKeyOf(m);
    const outbound = m.event === 'frame-out';
    const own = `w\0${connKey}\0${outbound ? 'o' : 'i'}\0${c.correlationId}`;
    const opposite = `w\0${connKey}\0${outbound ? 'i' : 'o'}\0${c.correlationId}`;
    if (c.role !== 'request') {
      const req = this.book.open.get(opposite);
      if (req) {
        this.book.answer(req, s, [s.view]);
        return;
      }
      const closed = this.book.closed.get(opposite);
      if (closed && this.relevant(closed, s.time) && this.onClosed(closed, opposite, m, c, s)) return;
      // One connection's frames are captured in order: a reply with no request before it has none.
      if (c.role === 'reply') {
        this.book.orphan(opposite, c.correlationId!, s, false);
        return;
      }
    }
    // A repeated id while the first request is still open is a retry, not a new conversation.
    if (this.book.open.has(own)) return;
    if (this.opensRequest(c)) this.openRequest(own, m, c, s, connKey);
  }

  /**
   * An implicit request (first with its id, naming nothing) followed by a message with the
   * same id that happened earlier on another destination: the newcomer is the request and
   * the open one its reply, read first.
   */
  private answersEarlier(req: PendingRequest, c: Correlation, s: Seen): boolean {
    return req.implicit && c.role !== 'reply' && s.time < req.time && s.label !== req.label && s.identity !== req.identity;
  }

  private swap(was: PendingRequest, m: Stored, c: Correlation, s: Seen): void {
    this.book.withdraw(was);
    const reply = asReply(was);
    this.book.answer(this.newRequest(was.key, m, c, s, null), reply, [reply.view]);
  }

  /** A message with the id of a reply that came before any request; false if it starts something else. */
  private onEarly(early: EarlyReply, m: Stored, c: Correlation, s: Seen): boolean {
    if (s.identity === early.reply.identity) {
      if (s.view !== early.reply.view && !early.views?.includes(s.view)) (early.views ??= []).push(s.view);
      return true;
    }
    if (c.role === 'reply' || (c.role === null && s.label === early.reply.label)) {
      const others = (early.others ??= []);
      if (others.some((o) => o.identity === s.identity)) return true;
      if (others.length < MAX_EARLY_OTHERS) {
        others.push(s);
        if (early.counted) this.book.out.addOrphan(s, early.correlationId);
      } else {
        this.book.out.addOrphan(s, early.correlationId);
      }
      return true;
    }
    if (!this.opensRequest(c)) return false;
    const req = this.newRequest(early.key, m, c, s, null);
    if (early.reply.time < s.time - MAX_CLOCK_SKEW_MS || !this.isReplyTo(req, early.reply)) {
      // Not this request's answer: the reply stays an orphan, the request opens on its own.
      this.book.finalizeEarly(early);
      return false;
    }
    this.book.claimEarly(early);
    this.book.rememberReplyName(c.replyTo);
    this.book.answer(req, early.reply, viewsOf(early));
    for (const o of early.others ?? []) this.book.out.addDuplicate(req, o, early.correlationId);
    return true;
  }

  /** Handles a message whose id belongs to a finished conversation; false if it starts a new one. */
  private onClosed(closed: Closed, key: string, m: Stored, c: Correlation, s: Seen): boolean {
    if (closed.replyIdentity === s.identity) {
      // The same reply again: another observer's view of it, or really sent twice.
      if (closed.views.includes(s.view) && m.meta?.redelivered !== true) this.book.out.addDuplicate(closed.req, s, c.correlationId!);
      else closed.views.push(s.view);
      return true;
    }
    const req = closed.req;
    if (req && s.identity === req.identity) return true;
    const isReply = c.role === 'reply' || (req ? this.isReplyTo(req, s) : c.role === null && this.isReplyName(s));
    if (!isReply) {
      if (closed.kind === 'orphan' && closed.reply && this.claimsOrphan(closed, key, m, c, s)) return true;
      if (c.role === 'request' || closed.kind === 'orphan') {
        // The id is reused by a new request, or an orphan's id starts one.
        this.book.closed.delete(key);
        return false;
      }
      return true;
    }
    if (closed.kind === 'answered') {
      this.book.out.addDuplicate(req, s, c.correlationId!);
    } else if (closed.kind === 'orphan') {
      this.book.out.addOrphan(s, c.correlationId!);
    } else if (req) {
      if ((closed.reason === 'timeout' || closed.reason === 'evicted') && s.time - req.time <= this.cfg.timeoutMs) {
        // Given up before its reply was read: the reply was in time after all.
        this.book.out.retract(req, closed.reason);
        this.book.closed.delete(key);
        this.book.answer({ ...req, timedOut: false }, s, [s.view]);
        return true;
      }
      this.book.out.addLate(req, s);
      closed.replyIdentity = s.identity;
      closed.views = [s.view];
    }
    return true;
  }

  /** A request for an orphan still remembered: they pair after all (its decision was not yet forgotten). */
  private claimsOrphan(closed: Closed, key: string, m: Stored, c: Correlation, s: Seen): boolean {
    const reply = closed.reply!;
    if (!this.opensRequest(c) || reply.time < s.time - MAX_CLOCK_SKEW_MS) return false;
    const req = this.newRequest(key, m, c, s, null);
    if (!this.isReplyTo(req, reply)) return false;
    this.book.closed.delete(key);
    this.book.out.retractOrphan(reply);
    this.book.rememberReplyName(c.replyTo);
    this.book.answer(req, reply, closed.views);
    return true;
  }

  /**
   * A message names a reply destination or is a JSON-RPC call; or, with implicit requests,
   * it carries an explicit correlation id. A trace id alone does not open a conversation:
   * with tracing on, every message of an event stream carries one.
   */
  private opensRequest(c: Correlation): boolean {
    return c.role === 'request' || (this.cfg.implicitRequests && c.source !== 'traceparent');
  }

  /** Whether a message at event time `time` still relates to a finished conversation. */
  private relevant(closed: Closed, time: number): boolean {
    if (closed.kind === 'unanswered') return Math.abs(time - closed.req!.time) <= this.cfg.lateReplyMs;
    return Math.abs(time - closed.at) <= this.cfg.duplicateWindowMs;
  }

  /** Whether r can be the reply to req (it is not req itself, and went where replies go). */
  private isReplyTo(req: PendingRequest, r: Seen): boolean {
    if (r.identity === req.identity) return false;
    if (req.transport === 'ws') return true;
    if (req.replyTo) {
      if (r.name === req.replyTo || r.destination === req.replyTo) return true;
      return req.replyTo.startsWith(DIRECT_REPLY_TO) && r.name !== null && r.name.startsWith(DIRECT_REPLY_TO);
    }
    return r.label !== req.label;
  }

  private isReplyName(s: Seen): boolean {
    return this.book.isReplyName(s.name) || (s.name !== null && s.name.startsWith(DIRECT_REPLY_TO));
  }

  private newRequest(key: string, m: Stored, c: Correlation, s: Seen, connKey: string | null): PendingRequest {
    return {
      key,
      seq: s.seq,
      time: s.time,
      captured: s.captured,
      correlationId: c.correlationId!,
      transport: m.transport,
      endpoint: this.names.get(m.endpoint),
      connKey,
      outbound: m.transport === 'ws' ? m.event === 'frame-out' : null,
      label: s.label,
      replyTo: this.names.get(c.replyTo),
      identity: s.identity,
      method: this.names.get(c.method),
      name: s.name,
      view: s.view,
      implicit: c.role === null && !c.replyTo,
      timedOut: false,
    };
  }

  private openRequest(key: string, m: Stored, c: Correlation, s: Seen, connKey: string | null): void {
    const req = this.newRequest(key, m, c, s, connKey);
    if (connKey && m.meta?.dropped === true) {
      this.book.rememberReplyName(req.replyTo);
      this.book.resolveUnanswered(req, 'sent-after-close');
      return;
    }
    this.book.openRequest(req);
  }

  /** A WebSocket connection closed: its open requests will never be answered. */
  closeConnection(m: CapturedMessage, abnormal: boolean): void {
    this.book.closeConnection(connKeyOf(m), abnormal);
  }

  /** The live clock (capture time) moved on; see PairBook.advance. */
  advance(now: number): void {
    this.book.advance(now);
  }

  /** The recording ended at `end` (capture time): whatever still waits is decided. */
  finish(end: number): void {
    this.book.finish(end);
  }

  summary(): PairsSummary {
    return this.book.summary();
  }

  page(q: PairQuery): PairsPage {
    return this.book.page(q);
  }

  histogram(destination?: string): LatencyHistogram {
    return this.book.histogram(destination);
  }
}

function connKeyOf(m: CapturedMessage): string {
  return `${m.endpoint}\0${m.connection ?? ''}`;
}

