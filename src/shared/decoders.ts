import { z } from 'zod';
import type { JsonValue } from './model.ts';

/**
 * Decoder settings of a session (issue 15): which decoder reads which destination, and the
 * schema texts they need, embedded so that a session file decodes on any machine. Saved in
 * the session's `meta` table under `decoders`; the payload bytes never change.
 */

/** Formats a rule can name. `json` and `text` are for payloads a header says are compressed. */
export const DECODER_FORMATS = ['protobuf', 'avro', 'msgpack', 'cbor', 'json', 'text'] as const;
export type DecoderFormat = (typeof DECODER_FORMATS)[number];

export const SCHEMA_KINDS = ['proto', 'avsc', 'descriptor-set'] as const;
export type SchemaKind = (typeof SCHEMA_KINDS)[number];

const name = z.string().min(1).max(256);

export const decoderRuleSchema = z
  .object({
    /** A destination (topic, exchange, queue, socket path) by exact name, or a glob with `*` and `?`. */
    match: z.string().min(1).max(1024),
    format: z.enum(DECODER_FORMATS),
    /** The schema file (by its name in `schemas`) for protobuf and avro. */
    schema: name.optional(),
    /** The Protobuf message type (`shop.Order`); optional when the file has one message. */
    type: name.optional(),
    /** Decompress first even when no header says so. */
    compression: z.enum(['gzip', 'zstd']).optional(),
  })
  .strict();
export type DecoderRule = z.infer<typeof decoderRuleSchema>;

export const schemaFileSchema = z
  .object({
    /** File name as the user gave it (`shop.proto`); .proto imports are resolved among these names. */
    name,
    kind: z.enum(SCHEMA_KINDS),
    /** The file's text; a descriptor set (binary) in base64. */
    text: z.string().max(4 * 1024 * 1024),
    /** Confluent schema ids this file stands for (the wire format's 4-byte id). */
    ids: z.array(z.number().int().nonnegative().max(0xffffffff)).max(100).optional(),
  })
  .strict();
export type SchemaFile = z.infer<typeof schemaFileSchema>;

export const decoderSettingsSchema = z
  .object({
    rules: z.array(decoderRuleSchema).max(500),
    schemas: z.array(schemaFileSchema).max(200),
  })
  .strict();
export type DecoderSettings = z.infer<typeof decoderSettingsSchema>;

export const NO_DECODERS: DecoderSettings = { rules: [], schemas: [] };

/** What a decoder made of one payload, for the detail pane, export and filters. */
export interface DecodedPayloadView {
  format: 'protobuf' | 'avro' | 'msgpack' | 'cbor' | 'json' | 'text';
  /** The decoded value; null when decoding failed (see `error`). */
  value: JsonValue | null;
  /** The steps taken, in order, e.g. `gzip`, `Confluent schema id 7`, `Avro shop.Order`. */
  via: string[];
  /** Message type or record name, when a schema named one. */
  typeName: string | null;
  /** The Confluent schema id, when the payload was framed the Confluent way. */
  schemaId: number | null;
  /** Why decoding failed; null when it succeeded. */
  error: string | null;
}
