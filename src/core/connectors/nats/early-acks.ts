import { parsePubAck } from './jetstream.ts';
import type { InboxBook, NatsFields } from './record.ts';

/** How long a PubAck may wait for the publish it answers before it is recorded anyway. */
export const EARLY_ACK_MS = 50;

/**
 * PubAcks that reach the tap before the publish they answer. The server hands a publish to
 * the tap and to the stream in one pass, but JetStream stores it and sends the PubAck on a
 * goroutine of its own, so now and then (under load: CI saw it) the PubAck is on the tap's
 * socket first. Recorded then, its inbox is not yet known as a request's reply subject, so
 * it is neither the publish's reply nor "stored": the subject → stream edge loses a count
 * and the advisories cannot be linked to the publish. A PubAck on an inbox no request has
 * named is therefore held until the next message names it (the publish, usually right
 * after), then recorded just after that publish, or after EARLY_ACK_MS as it is.
 */
export class EarlyAcks {
  private held: { fields: NatsFields; timer: NodeJS.Timeout }[] = [];

  constructor(
    private readonly inboxes: InboxBook,
    /** Builds and records one message (natsRecord into the sink). */
    private readonly record: (f: NatsFields) => void,
  ) {}

  /** Records `f`, or holds it when it is a PubAck whose request has not been seen yet. */
  receive(f: NatsFields): void {
    if (f.reply === null && !this.inboxes.has(f.subject) && parsePubAck(f.data) !== null) {
      const entry = { fields: f, timer: setTimeout(() => this.release(entry), EARLY_ACK_MS) };
      entry.timer.unref();
      this.held.push(entry);
      return;
    }
    this.record(f);
    // The publish just recorded may be the request a held PubAck answers.
    if (this.held.length > 0) for (const e of this.held.filter((h) => this.inboxes.has(h.fields.subject))) this.release(e);
  }

  /** Records everything held, in arrival order (the connection is closing). */
  flush(): void {
    for (const e of [...this.held]) this.release(e);
  }

  private release(entry: { fields: NatsFields; timer: NodeJS.Timeout }): void {
    const at = this.held.indexOf(entry);
    if (at < 0) return;
    this.held.splice(at, 1);
    clearTimeout(entry.timer);
    this.record(entry.fields);
  }
}
