import { z } from 'zod';

/** A field path: names of letters, digits, `_`, `-` or `$` joined by dots, each name optionally followed by `[N]`. */
export const FIELD_PATH = /^[A-Za-z0-9_$-]+(\[\d+\])*(\.[A-Za-z0-9_$-]+(\[\d+\])*)*$/;

/** The SQLite JSON path (`$."order"."id"[0]`) of a field path that matched FIELD_PATH. */
export function sqliteJsonPath(path: string): string {
  return `$${path
    .split('.')
    .map((part) => part.replace(/^([^[]+)/, '."$1"'))
    .join('')}`;
}

/**
 * A message filter. Every field narrows the set; all of them run in the store's SQL.
 * The same object is kept in the renderer's URL so a view can be restored and linked.
 */
export const messageFilterSchema = z
  .object({
    transports: z.array(z.enum(['kafka', 'amqp', 'ws', 'mqtt', 'nats'])).max(5).optional(),
    events: z
      .array(z.enum(['publish', 'deliver', 'return', 'frame-out', 'frame-in', 'open', 'close', 'error', 'subscribe', 'unsubscribe', 'ack']))
      .max(8)
      .optional(),
    destinations: z.array(z.string().max(1024)).max(200).optional(),
    endpoint: z.string().max(256).optional(),
    connection: z.string().max(256).optional(),
    /** Event time (see CapturedMessage.eventTime), epoch ms, inclusive. */
    fromTime: z.number().finite().optional(),
    /** Event time, epoch ms, inclusive. */
    toTime: z.number().finite().optional(),
    /** Capture time, epoch ms, inclusive: nothing recorded after it (a playback's playhead). */
    untilCapture: z.number().finite().optional(),
    correlationId: z.string().max(1024).optional(),
    /** Exact key (UTF-8). */
    key: z.string().max(1024).optional(),
    /** A header or AMQP property by name, optionally with an exact value. */
    header: z.object({ name: z.string().min(1).max(256), value: z.string().max(4096).optional() }).optional(),
    /**
     * A field of the payload by dot path (`order.id`, `lines[0].sku`), in a JSON body or one a
     * session decoder reads (Protobuf, Avro, MessagePack, CBOR); with `value`, equal to it as text.
     */
    field: z
      .object({
        path: z.string().min(1).max(512).regex(FIELD_PATH, 'a field path is names joined by dots, with [N] for an array item'),
        value: z.string().max(4096).optional(),
      })
      .strict()
      .optional(),
    /** Substring of the payload (and of its decoded form, in a session with decoder rules), case-insensitive for ASCII. */
    text: z.string().max(4096).optional(),
    /** Only these sequence numbers. */
    seqs: z.array(z.number().int().nonnegative()).max(10_000).optional(),
  })
  .strict();

export type MessageFilter = z.infer<typeof messageFilterSchema>;
