import { z } from 'zod';
import { messageFilterSchema } from './filter.ts';

/** An MQTT topic filter: `#` only as the last level, `+` only as a whole level (MQTT 5 §4.7.1). */
const mqttTopicFilter = z
  .string()
  .min(1)
  .max(65535)
  .refine((f) => f.split('/').every((lvl, i, all) => (lvl.includes('#') ? lvl === '#' && i === all.length - 1 : !lvl.includes('+') || lvl === '+')), {
    message: "a topic filter may use '#' only as its last level and '+' only as a whole level",
  });

/** A NATS subject: dot-separated tokens, no blanks, `>` only as the last token. */
const natsSubject = z
  .string()
  .min(1)
  .max(1024)
  .refine((s) => !/\s/.test(s) && s.split('.').every((t, i, all) => t.length > 0 && (t.includes('>') ? t === '>' && i === all.length - 1 : !t.includes('*') || t === '*')), {
    message: "a subject is dot-separated tokens without blanks; '*' stands for one whole token, '>' only for the last",
  });

/** How the user asks to attach to an endpoint: the connect dialog and the CLI build these. */
export const endpointSpecSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('ws-proxy'),
      listenPort: z.number().int().min(0).max(65535),
      target: z.string().regex(/^wss?:\/\/.+/i, 'target must be a ws:// or wss:// URL').max(2048),
    })
    .strict(),
  z
    .object({
      kind: z.literal('ws-tap'),
      url: z.string().regex(/^wss?:\/\/.+/i, 'URL must start with ws:// or wss://').max(2048),
      send: z.array(z.string().max(65536)).max(20).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('kafka'),
      brokers: z.array(z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'brokers are host:port')).min(1).max(20),
      topics: z.array(z.string().min(1).max(512)).min(1).max(200),
      fromBeginning: z.boolean().optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('amqp'),
      url: z.string().regex(/^amqps?:\/\/.+/i, 'URL must start with amqp:// or amqps://').max(2048),
      exchanges: z.array(z.string().max(255)).max(100),
      queues: z.array(z.string().min(1).max(255)).max(100).optional(),
      firehose: z.boolean().optional(),
      /** Tap through a durable queue that survives a dropped connection (see AmqpConnectorOptions.durableTap). */
      durableTap: z.boolean().optional(),
      /** Left out: the broker's host on the plugin's default port is tried; false: never asked. */
      managementUrl: z.union([z.string().regex(/^https?:\/\/.+/i, 'the management URL must start with http:// or https://').max(2048), z.literal(false)]).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('mqtt'),
      url: z.string().regex(/^(mqtts?|wss?):\/\/.+/i, 'URL must start with mqtt://, mqtts://, ws:// or wss://').max(2048),
      /** Topic filters; `#` and `+` wildcards as MQTT defines them. */
      topics: z.array(mqttTopicFilter).min(1).max(200),
      /** MQTT protocol version: 4 is 3.1.1, 5 is MQTT 5 (the default: it carries the properties). */
      protocolVersion: z.union([z.literal(4), z.literal(5)]).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('mqtt-proxy'),
      listenPort: z.number().int().min(0).max(65535),
      /** The broker clients would otherwise connect to; their credentials cross the proxy unchanged. */
      target: z.string().regex(/^mqtts?:\/\/.+/i, 'the broker must be an mqtt:// or mqtts:// URL').max(2048),
    })
    .strict(),
  z
    .object({
      kind: z.literal('nats'),
      url: z.string().regex(/^(nats|tls):\/\/.+/i, 'URL must start with nats:// or tls://').max(2048),
      /** Subjects; `*` matches one token, `>` the rest. */
      subjects: z.array(natsSubject).min(1).max(200),
      /** Also record JetStream's max-deliveries and terminated advisories (undelivered reasons). */
      jetstream: z.boolean().optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('nats-proxy'),
      listenPort: z.number().int().min(0).max(65535),
      target: z.string().regex(/^nats:\/\/.+/i, 'target must be a nats:// URL').max(2048),
    })
    .strict(),
]);
export type EndpointSpec = z.infer<typeof endpointSpecSchema>;

/** Re-publishing a saved session onto a broker. */
export const replayRequestSchema = z
  .object({
    sessionId: z.string().min(1).max(64),
    /** kafka://host:port, amqp(s)://…, ws(s)://…, mqtt(s)://…, nats://… */
    to: z.string().regex(/^(kafka|amqps?|wss?|mqtts?|nats):\/\/.+/i, 'target must be kafka://, amqp(s)://, ws(s)://, mqtt(s):// or nats://').max(2048),
    speed: z.union([z.number().positive().max(10_000), z.literal('max')]).default(1),
    /** Destination remapping FROM → TO. */
    map: z.record(z.string().max(1024), z.string().max(1024)).optional(),
    filter: messageFilterSchema.optional(),
    dryRun: z.boolean().optional(),
    /**
     * Send dead-lettered AMQP copies back to the exchange and routing key they were first
     * published with (their x-death), all of them or those of one queue or reason.
     */
    deadLettersToOrigin: z
      .object({
        queue: z.string().min(1).max(255).optional(),
        reason: z.enum(['expired', 'rejected', 'maxlen', 'delivery_limit']).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type ReplayRequest = z.infer<typeof replayRequestSchema>;
