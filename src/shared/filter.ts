import { z } from 'zod';

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
    /** Substring of the payload, case-insensitive for ASCII. */
    text: z.string().max(4096).optional(),
    /** Only these sequence numbers. */
    seqs: z.array(z.number().int().nonnegative()).max(10_000).optional(),
  })
  .strict();

export type MessageFilter = z.infer<typeof messageFilterSchema>;
