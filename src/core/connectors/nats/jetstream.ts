import type { JsonValue } from '../../../shared/model.ts';

/**
 * What JetStream's own subjects say about a message (ADR-15 for the ack subject; the
 * server's jsapi types for PubAck). Read from the subject and a few payload bytes, so a tap
 * that sees JetStream traffic tells stored messages, deliveries and acks apart.
 */

const ACK = '$JS.ACK.';
const decoder = new TextDecoder();

export interface JsDelivery {
  stream: string;
  consumer: string;
  /** 1 for the first delivery, more for a redelivery. */
  delivered: number;
  streamSeq: number;
}

/**
 * `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>` (9 tokens), or the
 * newer form with domain and account hash before the stream (11 or 12 tokens).
 */
export function parseAckSubject(subject: string): JsDelivery | null {
  if (!subject.startsWith(ACK)) return null;
  const t = subject.split('.');
  const at = t.length === 9 ? 2 : t.length >= 11 ? 4 : -1;
  if (at < 0) return null;
  const delivered = Number(t[at + 2]);
  const streamSeq = Number(t[at + 3]);
  if (!Number.isInteger(delivered) || !Number.isInteger(streamSeq)) return null;
  return { stream: t[at]!, consumer: t[at + 1]!, delivered, streamSeq };
}

const ACK_KINDS: Record<string, string> = { '+ACK': 'ack', '-NAK': 'nak', '+TERM': 'term', '+WPI': 'progress', '+NXT': 'next' };

/** The acknowledgement a client published on an ack subject (an empty body is an ack too). */
export function ackKind(payload: Uint8Array): string {
  if (payload.byteLength === 0) return 'ack';
  const text = decoder.decode(payload.subarray(0, 16));
  const word = text.split(/\s/)[0]!;
  return ACK_KINDS[word] ?? 'other';
}

/** A PubAck `{"stream":"S","seq":N}` (JetStream stored a publish as S#N), else null. */
export function parsePubAck(payload: Uint8Array): { stream: string; seq: number } | null {
  if (payload.byteLength < 12 || payload.byteLength > 1024 || payload[0] !== 0x7b) return null;
  try {
    const v = JSON.parse(decoder.decode(payload)) as Record<string, unknown>;
    if (typeof v.stream === 'string' && typeof v.seq === 'number' && !('error' in v)) return { stream: v.stream, seq: v.seq };
  } catch {
    // Not JSON: an ordinary reply.
  }
  return null;
}

/** meta facts of a JetStream delivery, ack or PubAck (null when the message is none of them). */
export function jetstreamMeta(subject: string, reply: string | null, payload: Uint8Array, requestSubject: string | null): Record<string, JsonValue> | null {
  const delivery = reply ? parseAckSubject(reply) : null;
  if (delivery) return { js: 'delivery', ...delivery };
  const acked = parseAckSubject(subject);
  if (acked) return { js: 'ack', ack: ackKind(payload), ...acked };
  if (requestSubject !== null) {
    const stored = parsePubAck(payload);
    if (stored) return { js: 'stored', stream: stored.stream, streamSeq: stored.seq, subject: requestSubject };
  }
  return null;
}
