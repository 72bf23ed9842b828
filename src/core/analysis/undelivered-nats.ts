import type { CapturedMessage } from '../../shared/model.ts';
import { eventTimeOf } from '../common/event-time.ts';
import { FifoMap } from './fifo-map.ts';
import { ids } from './topology-ids.ts';
import type { EdgeHint, UndeliveredSink } from './undelivered-sink.ts';

/** Requests remembered by their reply inbox until an answer or a status comes (oldest forgotten first). */
const MAX_REQUESTS = 100_000;

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
 */
export class NatsUndelivered {
  private readonly requests = new FifoMap<string, Request>();

  constructor(private readonly sink: UndeliveredSink) {}

  ingest(m: CapturedMessage & { seq: number }, producer: string | null): void {
    const key = `${m.endpoint}\0${m.destination}`;
    if (m.meta?.noResponders === true) {
      const req = this.requests.get(key);
      this.requests.delete(key);
      this.noResponders(m, req ?? null);
      return;
    }
    if (m.meta?.reply === true) {
      this.requests.delete(key);
      return;
    }
    if (!m.replyTo) return;
    const inbox = `${m.endpoint}\0${m.replyTo}`;
    // The proxy sees a request twice when a client of it receives it: the publish counts.
    if (m.event === 'deliver' && this.requests.has(inbox)) return;
    if (this.requests.size >= MAX_REQUESTS) this.requests.shift();
    this.requests.set(inbox, { seq: m.seq, time: eventTimeOf(m), endpoint: m.endpoint, subject: m.destination, producer });
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
