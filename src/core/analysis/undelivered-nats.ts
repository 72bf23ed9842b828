import type { CapturedMessage } from '../../shared/model.ts';
import { eventTimeOf } from '../common/event-time.ts';
import { FifoMap } from './fifo-map.ts';
import { ids } from './topology-ids.ts';
import type { EdgeHint, UndeliveredSink } from './undelivered-sink.ts';

/** Requests remembered by their reply inbox until an answer or a status comes (oldest forgotten first). */
const MAX_REQUESTS = 100_000;
/** JetStream stream sequences → the recorded publish they stored, for linking advisories. */
const MAX_STORED = 100_000;
const ADVISORY = '$JS.EVENT.ADVISORY.CONSUMER.';
const decoder = new TextDecoder();

interface Request {
  seq: number;
  time: number;
  endpoint: string;
  subject: string;
  producer: string | null;
}

/**
 * NATS requests that reached nobody. When no subscription matches a request's subject,
 * a server that knows the client takes headers answers it with a `NATS/1.0 503` status on
 * its reply inbox (the "no responders" feature of nats-server 2.2+, ADR-2). That status
 * goes to the requester's connection only, so it is recorded through the proxy; the
 * request it answers is then undelivered. A request nobody answered at all is the pair
 * tracker's business (unanswered), not a delivery fact.
 *
 * JetStream: a consumer that gave up on a stored message says so in an advisory,
 * `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.<stream>.<consumer>` (delivered max_deliver
 * times, never acked) or `….MSG_TERMINATED.…` (the client sent AckTerm). Each is an
 * undelivered item about the message with that stream sequence; when the recording saw the
 * publish and its PubAck ({"stream","seq"} on the publisher's inbox), the item is the publish.
 */
export class NatsUndelivered {
  private readonly requests = new FifoMap<string, Request>();
  private readonly stored = new FifoMap<string, Request>();

  constructor(private readonly sink: UndeliveredSink) {}

  ingest(m: CapturedMessage & { seq: number }, producer: string | null): void {
    const key = `${m.endpoint}\0${m.destination}`;
    if (m.meta?.noResponders === true) {
      const req = this.requests.get(key);
      this.requests.delete(key);
      this.noResponders(m, req ?? null);
      return;
    }
    if (m.meta?.js === 'delivery' || m.meta?.js === 'ack') return;
    if (m.destination.startsWith(ADVISORY)) {
      this.advisory(m);
      return;
    }
    if (m.meta?.reply === true) {
      const req = this.requests.get(key);
      this.requests.delete(key);
      if (req) this.pubAck(m, req);
      return;
    }
    if (!m.replyTo) return;
    const inbox = `${m.endpoint}\0${m.replyTo}`;
    // The proxy sees a request twice when a client of it receives it: the publish counts.
    if (m.event === 'deliver' && this.requests.has(inbox)) return;
    if (this.requests.size >= MAX_REQUESTS) this.requests.shift();
    this.requests.set(inbox, { seq: m.seq, time: eventTimeOf(m), endpoint: m.endpoint, subject: m.destination, producer });
  }

  /** A reply {"stream":S,"seq":N} to a publish: JetStream stored it as S#N. */
  private pubAck(m: CapturedMessage, req: Request): void {
    const ack = json(m.payload);
    if (!ack || typeof ack.stream !== 'string' || typeof ack.seq !== 'number' || ack.duplicate === true) return;
    if (this.stored.size >= MAX_STORED) this.stored.shift();
    this.stored.set(`${m.endpoint}\0${ack.stream}\0${ack.seq}`, req);
  }

  private advisory(m: CapturedMessage & { seq: number }): void {
    const kind = m.destination.slice(ADVISORY.length).split('.')[0];
    const reason = kind === 'MAX_DELIVERIES' ? 'max-deliveries' : kind === 'MSG_TERMINATED' ? 'terminated' : null;
    const a = reason ? json(m.payload) : null;
    if (!reason || !a || typeof a.stream !== 'string' || typeof a.stream_seq !== 'number') return;
    const stream = a.stream;
    const consumer = typeof a.consumer === 'string' ? a.consumer : '';
    const deliveries = typeof a.deliveries === 'number' ? a.deliveries : 0;
    const key = `${m.endpoint}\0${stream}\0${a.stream_seq}`;
    const orig = this.stored.get(key) ?? null;
    const why = typeof a.reason === 'string' && a.reason ? a.reason : undefined;
    const what = `Message ${a.stream_seq} of stream "${stream}"`;
    this.sink.add(
      {
        seq: orig?.seq ?? m.seq,
        time: orig?.time ?? eventTimeOf(m),
        transport: 'nats',
        endpoint: m.endpoint,
        destination: `${stream} › ${consumer}`,
        reason,
        explanation:
          reason === 'max-deliveries'
            ? `${what} was delivered ${deliveries} times to consumer "${consumer}" without an ack, its max_deliver: JetStream will not deliver it again.`
            : `${what} was terminated by consumer "${consumer}" (AckTerm${why ? `: ${why}` : ''}) after ${deliveries} deliver${deliveries === 1 ? 'y' : 'ies'}: it is never redelivered.`,
        atEnd: false,
        jetstream: { stream, consumer, streamSeq: a.stream_seq, deliveries, advisorySeq: m.seq, ...(why ? { reason: why } : {}) },
      },
      // Counted on the stream → consumer edge, where the message stopped.
      [[ids.jsStream(m.endpoint, stream), ids.jsConsumer(m.endpoint, stream, consumer)]],
    );
  }

  private noResponders(status: CapturedMessage & { seq: number }, req: Request | null): void {
    // The status message itself stands in for a request the recording did not see.
    const subject = req?.subject ?? null;
    const edges: EdgeHint[] = req?.producer ? [[req.producer, ids.topic(req.endpoint, req.subject, 'nats')]] : [];
    this.sink.add(
      {
        seq: req?.seq ?? status.seq,
        time: req?.time ?? eventTimeOf(status),
        transport: 'nats',
        endpoint: status.endpoint,
        destination: subject ?? status.destination,
        reason: 'no-responders',
        explanation: subject
          ? `No subscriber for subject "${subject}": the server answered the request with 503 "no responders".`
          : `The server answered a request on inbox "${status.destination}" with 503 "no responders" (the request itself was not recorded).`,
        atEnd: false,
      },
      edges,
    );
  }
}

function json(payload: Uint8Array): Record<string, unknown> | null {
  try {
    const v = JSON.parse(decoder.decode(payload)) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
