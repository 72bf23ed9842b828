import type { CapturedMessage } from '../../shared/model.ts';
import { DEFAULT_ANALYSIS_CONFIG } from './config.ts';
import type { PairingConfig } from './config.ts';
import type { Correlation } from './correlation.ts';
import type { LatencyHistogram } from './histogram.ts';
import { destinationLabel, isDefaultExchange, messageIdentity } from './identity.ts';
import { FifoMap } from './fifo-map.ts';
import { PairOutcomes } from './pair-outcomes.ts';
import type { PairsSummary, PendingRequest } from './pair-outcomes.ts';
import type { PairQuery, PairView, UnansweredReason } from './pair-store.ts';

export type { PairsSummary, PendingRequest };

/**
 * Request → reply pairing, fed message by message in seq order.
 *
 * A request is a message that names a reply destination (replyTo), a JSON-RPC call
 * (method + id), or, with `implicitRequests`, the first message carrying a correlation id
 * (other than a bare W3C trace id) that is not itself a reply. Its reply carries the same id back: on the replyTo queue or
 * topic, on another destination when no replyTo was named, or in the opposite direction
 * of the same WebSocket connection (JSON-RPC ids repeat across connections, so WebSocket
 * ids are scoped per connection and direction).
 *
 * The same message seen twice (the firehose records an AMQP publish and its delivery;
 * two taps may see one publish) is recognised by its identity (message id, else payload
 * hash) and never counts as a reply or a duplicate. A second, different reply is a
 * duplicate; a reply to an id never seen as a request is an orphan.
 *
 * Time is capture time. A request is unanswered when no reply came within `timeoutMs`;
 * a reply after that is "late" (the request stays unanswered and shows the late reply).
 * At the end of a recording (`finish`) every request still open is unanswered, with reason
 * `session-ended` when its timeout had not yet passed. Outcomes depend only on the
 * messages, never on when `advance` ran, so live and saved analysis agree.
 */

interface Closed {
  kind: 'answered' | 'unanswered' | 'orphan';
  req: PendingRequest | null;
  at: number;
  reason: UnansweredReason | null;
  replyIdentity: string | null;
  views: string[];
}

type Stored = CapturedMessage & { seq: number };

/** Answered and timed-out conversations remembered at most (to recognise duplicates and late replies). */
const MAX_REMEMBERED = 50_000;
const MAX_REPLY_NAMES = 10_000;
const MAX_CLOSED_CONNECTIONS = 10_000;
const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';

export class PairTracker {
  private readonly open = new FifoMap<string, PendingRequest>();
  private readonly closed = new FifoMap<string, Closed>();
  private readonly byConnection = new Map<string, Set<string>>();
  private readonly closedConnections = new FifoMap<string, number>();
  private readonly replyNames = new FifoMap<string, number>();
  private stamp = 0;
  private readonly out: PairOutcomes;
  private watermark = -Infinity;
  /** Called when a WebSocket request is left unanswered by its connection closing. */
  onConnectionUnanswered: ((req: PendingRequest, abnormal: boolean) => void) | null = null;

  constructor(private readonly cfg: PairingConfig = DEFAULT_ANALYSIS_CONFIG.pairing) {
    this.out = new PairOutcomes(cfg);
  }

  /** Feeds one message (in seq order) with what `classifyMessage` read from it. */
  ingest(m: Stored, c: Correlation): void {
    this.advance(m.time);
    if (m.transport === 'ws') {
      if (m.event === 'open') this.closedConnections.delete(connKeyOf(m));
      if (m.event !== 'frame-in' && m.event !== 'frame-out') return;
    } else if (m.event !== 'publish' && m.event !== 'deliver') {
      return;
    }
    if (!c.correlationId || c.role === 'notification') return;
    const identity = messageIdentity(m, c.messageId);
    const view = `${m.endpoint}\0${m.event}`;
    if (m.transport === 'ws') this.ingestWs(m, c, identity, view);
    else this.ingestBroker(m, c, identity, view);
  }

  private ingestBroker(m: Stored, c: Correlation, identity: string, view: string): void {
    const key = `${m.transport}\0${c.correlationId}`;
    const req = this.open.get(key);
    if (req) {
      if (c.role === 'reply' || this.isReplyTo(req, m, identity)) this.match(req, m, identity, view);
      // Otherwise: the request seen again (its delivery, a second tap) or re-sent.
      return;
    }
    const closed = this.closed.get(key);
    if (closed && this.relevant(closed, m.time) && this.onClosed(closed, key, m, c, identity, view)) return;
    if (c.role === 'reply' || (c.role === null && this.isReplyName(m))) {
      this.orphan(key, m, c.correlationId!, identity, view);
      return;
    }
    if (this.opensRequest(c)) this.openRequest(key, m, c, identity, null);
  }

  private ingestWs(m: Stored, c: Correlation, identity: string, view: string): void {
    const connKey = connKeyOf(m);
    const outbound = m.event === 'frame-out';
    const own = `w\0${connKey}\0${outbound ? 'o' : 'i'}\0${c.correlationId}`;
    const opposite = `w\0${connKey}\0${outbound ? 'i' : 'o'}\0${c.correlationId}`;
    if (c.role !== 'request') {
      const req = this.open.get(opposite);
      if (req) {
        this.match(req, m, identity, view);
        return;
      }
      const closed = this.closed.get(opposite);
      if (closed && this.relevant(closed, m.time) && this.onClosed(closed, opposite, m, c, identity, view)) return;
      if (c.role === 'reply') {
        this.orphan(opposite, m, c.correlationId!, identity, view);
        return;
      }
    }
    // A repeated id while the first request is still open is a retry, not a new conversation.
    if (this.open.has(own)) return;
    if (this.opensRequest(c)) this.openRequest(own, m, c, identity, connKey);
  }

  /** Handles a message whose id belongs to a finished conversation; false if it starts a new one. */
  private onClosed(closed: Closed, key: string, m: Stored, c: Correlation, identity: string, view: string): boolean {
    if (closed.replyIdentity === identity) {
      // The same reply again: another observer's view of it, or really sent twice.
      if (closed.views.includes(view) && m.meta?.redelivered !== true) this.out.addDuplicate(closed.req, m, c.correlationId!);
      else closed.views.push(view);
      return true;
    }
    const req = closed.req;
    if (req && identity === req.identity) return true;
    const isReply = c.role === 'reply' || (req ? this.isReplyTo(req, m, identity) : c.role === null && this.isReplyName(m));
    if (!isReply) {
      if (c.role === 'request') {
        // The id is reused by a new request.
        this.closed.delete(key);
        return false;
      }
      return closed.kind !== 'orphan';
    }
    if (closed.kind === 'answered') {
      this.out.addDuplicate(req, m, c.correlationId!);
    } else if (closed.kind === 'orphan') {
      this.out.addOrphan(m, c.correlationId!);
    } else if (req) {
      if (closed.reason === 'timeout' && m.time - req.time <= this.cfg.timeoutMs) {
        // Capture times of different connectors can interleave: the reply was in time after all.
        this.out.retract(req, 'timeout');
        this.closed.delete(key);
        this.match(req, m, identity, view);
        return true;
      }
      this.out.addLate(req, m);
      closed.replyIdentity = identity;
      closed.views = [view];
    }
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

  private relevant(closed: Closed, time: number): boolean {
    if (closed.kind === 'unanswered') return time - closed.req!.time <= this.cfg.lateReplyMs;
    return time - closed.at <= this.cfg.duplicateWindowMs;
  }

  /** Whether m can be the reply to req (it is not req itself, and went where replies go). */
  private isReplyTo(req: PendingRequest, m: CapturedMessage, identity: string): boolean {
    if (identity === req.identity) return false;
    if (req.transport === 'ws') return true;
    if (req.replyTo) {
      const name = replyName(m);
      if (name === req.replyTo || m.destination === req.replyTo) return true;
      return req.replyTo.startsWith(DIRECT_REPLY_TO) && name !== null && name.startsWith(DIRECT_REPLY_TO);
    }
    return destinationLabel(m) !== req.label;
  }

  private isReplyName(m: CapturedMessage): boolean {
    const name = replyName(m);
    return name !== null && (this.replyNames.has(name) || name.startsWith(DIRECT_REPLY_TO));
  }

  private rememberReplyName(name: string | null): void {
    if (!name || this.replyNames.has(name)) return;
    if (this.replyNames.size >= MAX_REPLY_NAMES) this.replyNames.shift();
    this.replyNames.set(name, ++this.stamp);
  }

  private openRequest(key: string, m: Stored, c: Correlation, identity: string, connKey: string | null): void {
    const req: PendingRequest = {
      key,
      seq: m.seq,
      time: m.time,
      correlationId: c.correlationId!,
      transport: m.transport,
      endpoint: m.endpoint,
      connection: m.connection ?? null,
      connKey,
      outbound: m.transport === 'ws' ? m.event === 'frame-out' : null,
      label: destinationLabel(m),
      replyTo: c.replyTo,
      identity,
      method: c.method,
    };
    this.rememberReplyName(c.replyTo);
    if (connKey && (m.meta?.dropped === true || this.closedConnections.has(connKey))) {
      this.resolveUnanswered(req, 'sent-after-close');
      return;
    }
    if (this.open.size >= this.cfg.maxOpen) this.resolveUnanswered(this.open.first()![1], 'evicted');
    this.open.set(key, req);
    if (connKey) {
      let set = this.byConnection.get(connKey);
      if (!set) this.byConnection.set(connKey, (set = new Set()));
      set.add(key);
    }
  }

  private match(req: PendingRequest, m: Stored, identity: string, view: string): void {
    const latency = Math.max(0, m.time - req.time);
    this.rememberReplyName(replyName(m));
    if (latency > this.cfg.timeoutMs) {
      // Decided as if the timeout had fired first, whenever `advance` happened to run.
      this.resolveUnanswered(req, 'timeout');
      const closed = this.closed.get(req.key)!;
      this.out.addLate(req, m);
      closed.replyIdentity = identity;
      closed.views = [view];
      return;
    }
    this.forget(req);
    this.out.addMatched(req, m, latency);
    this.remember(req.key, { kind: 'answered', req, at: m.time, reason: null, replyIdentity: identity, views: [view] });
  }

  private resolveUnanswered(req: PendingRequest, reason: UnansweredReason): void {
    this.forget(req);
    this.out.addUnanswered(req, reason);
    this.remember(req.key, { kind: 'unanswered', req, at: req.time, reason, replyIdentity: null, views: [] });
    if ((reason === 'connection-closed' || reason === 'connection-dropped') && this.onConnectionUnanswered) {
      this.onConnectionUnanswered(req, reason === 'connection-dropped');
    }
  }

  private orphan(key: string, m: Stored, correlationId: string, identity: string, view: string): void {
    this.out.addOrphan(m, correlationId);
    this.remember(key, { kind: 'orphan', req: null, at: m.time, reason: null, replyIdentity: identity, views: [view] });
  }

  private forget(req: PendingRequest): void {
    this.open.delete(req.key);
    if (req.connKey) {
      const set = this.byConnection.get(req.connKey);
      set?.delete(req.key);
      if (set && set.size === 0) this.byConnection.delete(req.connKey);
    }
  }

  private remember(key: string, closed: Closed): void {
    this.closed.delete(key);
    if (this.closed.size >= MAX_REMEMBERED) this.closed.shift();
    this.closed.set(key, closed);
  }

  /** A WebSocket connection closed: its open requests will never be answered. */
  closeConnection(m: CapturedMessage, abnormal: boolean): void {
    const connKey = connKeyOf(m);
    if (this.closedConnections.size >= MAX_CLOSED_CONNECTIONS) {
      this.closedConnections.shift();
    }
    this.closedConnections.set(connKey, ++this.stamp);
    const keys = this.byConnection.get(connKey);
    if (!keys) return;
    for (const key of [...keys]) {
      const req = this.open.get(key);
      if (req) this.resolveUnanswered(req, abnormal ? 'connection-dropped' : 'connection-closed');
    }
    this.byConnection.delete(connKey);
  }

  /** Moves time forward (message time, or a live clock): requests past their timeout become unanswered. */
  advance(time: number): void {
    if (!(time > this.watermark)) return;
    this.watermark = time;
    for (;;) {
      const first = this.open.first()?.[1];
      if (!first || time - first.time <= this.cfg.timeoutMs) break;
      this.resolveUnanswered(first, 'timeout');
    }
    const keep = Math.max(this.cfg.duplicateWindowMs, this.cfg.lateReplyMs);
    for (;;) {
      const first = this.closed.first();
      if (!first || time - first[1].at <= keep) break;
      this.closed.delete(first[0]);
    }
  }

  /** The recording ended at `end`: whatever is still open is unanswered. */
  finish(end: number): void {
    this.advance(end);
    for (const req of [...this.open.values()]) {
      this.resolveUnanswered(req, end - req.time > this.cfg.timeoutMs ? 'timeout' : 'session-ended');
    }
  }

  summary(): PairsSummary {
    return this.out.summary(this.open.size);
  }

  page(q: PairQuery): { rows: PairView[]; total: number; listed: number } {
    return this.out.page(q);
  }

  histogram(destination?: string): LatencyHistogram {
    return this.out.histogram(destination);
  }
}

function connKeyOf(m: CapturedMessage): string {
  return `${m.endpoint}\0${m.connection ?? ''}`;
}

/** The name a reply is addressed to: the queue (routing key on the default exchange) or the topic. */
function replyName(m: CapturedMessage): string | null {
  if (m.transport === 'amqp') {
    if (m.destKind === 'queue') return m.destination;
    return m.routingKey ?? (isDefaultExchange(m.destination) ? null : m.destination);
  }
  if (m.transport === 'kafka') return m.destination;
  return null;
}
