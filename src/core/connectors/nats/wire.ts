/**
 * A passive reader of the NATS client protocol (docs.nats.io, "Client Protocol"): it is fed
 * the bytes the proxy relays, unchanged, and reports the messages in them. Client → server
 * carries PUB/HPUB, server → client MSG/HMSG; every other operation (CONNECT, INFO, SUB,
 * PING, +OK …) is a single line and is skipped.
 */

export interface WireMessage {
  subject: string;
  reply: string | null;
  /** The NATS/1.0 header block as sent (HPUB/HMSG), else null. */
  headers: Uint8Array | null;
  payload: Uint8Array;
}

const CRLF = Buffer.from('\r\n');
/** The server's default max_payload is 1 MiB and its ceiling 64 MiB: anything larger is not NATS. */
const MAX_FRAME = 64 * 1024 * 1024 + 4096;
/** A control line longer than this (a subject is at most a few KiB) means we lost the framing. */
const MAX_LINE = 64 * 1024;

export class NatsWireReader {
  private buf: Buffer = Buffer.alloc(0);
  /** Waiting for a payload: the message's line fields and the byte counts. */
  private pending: { subject: string; reply: string | null; hdr: number; total: number } | null = null;
  /** Set once the stream could not be read; the proxy still relays, the reader stops. */
  broken: string | null = null;

  constructor(private readonly onMessage: (m: WireMessage) => void) {}

  push(chunk: Buffer): void {
    if (this.broken) return;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let at = 0;
    for (;;) {
      if (this.pending) {
        const need = this.pending.total + 2;
        if (this.buf.length - at < need) break;
        const { subject, reply, hdr, total } = this.pending;
        const body = this.buf.subarray(at, at + total);
        this.pending = null;
        at += need;
        // Copies: the relay hands the same buffer to the socket.
        this.onMessage({
          subject,
          reply,
          headers: hdr > 0 ? new Uint8Array(body.subarray(0, hdr)) : null,
          payload: new Uint8Array(body.subarray(hdr)),
        });
        continue;
      }
      const end = this.buf.indexOf(CRLF, at);
      if (end < 0) {
        if (this.buf.length - at > MAX_LINE) this.broken = 'a protocol line too long to be NATS';
        break;
      }
      const line = this.buf.toString('latin1', at, end);
      at = end + 2;
      this.line(line);
      if (this.broken) break;
    }
    this.buf = at >= this.buf.length ? Buffer.alloc(0) : this.buf.subarray(at);
  }

  private line(line: string): void {
    const parts = line.split(/[ \t]+/).filter(Boolean);
    const op = (parts[0] ?? '').toUpperCase();
    // PUB <subject> [reply] <#bytes>; MSG <subject> <sid> [reply] <#bytes>; H… with <#hdr> before <#total>.
    const headers = op === 'HPUB' || op === 'HMSG';
    const fixed = (op === 'MSG' || op === 'HMSG' ? 3 : 2) + (headers ? 1 : 0);
    if (op !== 'PUB' && op !== 'HPUB' && op !== 'MSG' && op !== 'HMSG') return;
    const args = parts.slice(1);
    if (args.length !== fixed && args.length !== fixed + 1) {
      this.broken = `unreadable ${op} line`;
      return;
    }
    const withReply = args.length === fixed + 1;
    const subject = args[0]!;
    const replyAt = op === 'MSG' || op === 'HMSG' ? 2 : 1;
    const reply = withReply ? args[replyAt]! : null;
    const total = Number(args[args.length - 1]);
    const hdr = headers ? Number(args[args.length - 2]) : 0;
    if (!Number.isInteger(total) || !Number.isInteger(hdr) || total < 0 || hdr < 0 || hdr > total || total > MAX_FRAME) {
      this.broken = `unreadable sizes on a ${op} line`;
      return;
    }
    this.pending = { subject, reply, hdr, total };
  }
}

export interface NatsHeaders {
  code: number | null;
  description: string | null;
  /** Names in the order sent; a repeated name keeps every value. */
  values: Map<string, string[]>;
}

/** Reads a `NATS/1.0[ code[ description]]` header block. */
export function parseNatsHeaders(block: Uint8Array): NatsHeaders {
  const text = Buffer.from(block).toString('utf8');
  const lines = text.split('\r\n');
  const first = /^NATS\/1\.0(?:\s+(\d{3}))?(?:\s+(.*))?$/.exec(lines[0] ?? '');
  const values = new Map<string, string[]>();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i <= 0) continue;
    const k = l.slice(0, i).trim();
    const v = l.slice(i + 1).trim();
    const list = values.get(k);
    if (list) list.push(v);
    else values.set(k, [v]);
  }
  return { code: first?.[1] ? Number(first[1]) : null, description: first?.[2]?.trim() || null, values };
}
