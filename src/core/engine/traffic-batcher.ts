import type { MessageRow, StoredMessage } from '../../shared/model.ts';
import type { TrafficBatch } from '../../shared/views.ts';
import { previewPayload } from '../decode/payload.ts';
import { KEY_PREVIEW_BYTES, NEWEST_ROWS, PREVIEW_BYTES, TRAFFIC_EVENT_INTERVAL_MS } from '../common/constants.ts';
import { resolveEventTime } from '../common/event-time.ts';

export function toRow(m: StoredMessage): MessageRow {
  return {
    seq: m.seq,
    time: m.time,
    ...resolveEventTime(m),
    transport: m.transport,
    endpoint: m.endpoint,
    event: m.event,
    destKind: m.destKind,
    destination: m.destination,
    partition: m.partition ?? null,
    offset: m.offset ?? null,
    routingKey: m.routingKey ?? null,
    connection: m.connection ?? null,
    key: m.key ? previewPayload(m.key, KEY_PREVIEW_BYTES) : null,
    size: m.size,
    correlationId: m.correlationId ?? null,
    messageId: m.messageId ?? null,
    replyTo: m.replyTo ?? null,
    preview: previewPayload(m.payload, PREVIEW_BYTES),
  };
}

/**
 * Coalesces stored batches into at most one UI event per interval (ten a second by
 * default), however fast the broker is: the renderer never sees one event per message.
 */
export class TrafficBatcher {
  private newest: MessageRow[] = [];
  private added = 0;
  private lastSeq = 0;
  private total = 0;
  private timer: NodeJS.Timeout | null = null;
  private lastEmit = 0;
  /** The decoded payload's list cell (the session's decoders), or null to show the bytes' preview. */
  private decodedPreview: ((m: StoredMessage) => string | null) | null = null;

  constructor(
    private readonly sessionId: string,
    private readonly emit: (batch: TrafficBatch) => void,
    private readonly intervalMs = TRAFFIC_EVENT_INTERVAL_MS,
  ) {}

  push(messages: readonly StoredMessage[], total: number): void {
    if (messages.length === 0) return;
    this.added += messages.length;
    this.total = total;
    this.lastSeq = messages[messages.length - 1]!.seq;
    const preview = this.decodedPreview;
    const tail = messages.slice(-NEWEST_ROWS).map((m) => {
      const row = toRow(m);
      const decoded = preview?.(m);
      if (decoded) row.preview = decoded;
      return row;
    });
    this.newest = this.newest.concat(tail).slice(-NEWEST_ROWS);
    const wait = this.intervalMs - (Date.now() - this.lastEmit);
    if (wait <= 0) this.fire();
    else if (!this.timer) this.timer = setTimeout(() => this.fire(), wait);
  }

  previewWith(fn: ((m: StoredMessage) => string | null) | null): void {
    this.decodedPreview = fn;
  }

  private fire(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.added === 0) return;
    this.lastEmit = Date.now();
    const batch: TrafficBatch = {
      sessionId: this.sessionId,
      total: this.total,
      lastSeq: this.lastSeq,
      added: this.added,
      newest: this.newest,
    };
    this.added = 0;
    this.newest = [];
    this.emit(batch);
  }

  dispose(): void {
    this.fire();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
