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

/**
 * A Confluent-compatible Schema Registry's base URL as a session keeps it: http or https,
 * with no user info (credentials stay in memory, see `splitRegistryUrl`).
 */
export const registryUrlSchema = z
  .string()
  .max(2048)
  .superRefine((u, ctx) => {
    const problem = registryUrlProblem(u);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const decoderSettingsSchema = z
  .object({
    rules: z.array(decoderRuleSchema).max(500),
    schemas: z.array(schemaFileSchema).max(200),
    /** Where Confluent schema ids that no schema file stands for are fetched. */
    registryUrl: registryUrlSchema.optional(),
  })
  .strict();
export type DecoderSettings = z.infer<typeof decoderSettingsSchema>;

export const NO_DECODERS: DecoderSettings = { rules: [], schemas: [] };

/** Why a text is not a Schema Registry URL a session may keep, or null when it is one. */
export function registryUrlProblem(raw: string): string | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'the Schema Registry URL is not a URL (e.g. http://registry:8081)';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `the Schema Registry URL must be http or https, not ${u.protocol.replace(/:$/, '')}`;
  if (u.username || u.password) return 'the Schema Registry URL carries credentials, which a session file does not keep';
  return null;
}

/**
 * A registry URL as the user typed it, split into what a session keeps (no user info) and an
 * HTTP basic Authorization header for this process only. Throws with the reason for a URL
 * that is not http or https.
 */
export function splitRegistryUrl(raw: string): { url: string; authorization: string | null } {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new Error('the Schema Registry URL is not a URL (e.g. http://registry:8081)');
  }
  let authorization: string | null = null;
  if (u.username || u.password) {
    const user = decodeURIComponent(u.username);
    const pass = decodeURIComponent(u.password);
    authorization = `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(`${user}:${pass}`)))}`;
    u.username = '';
    u.password = '';
  }
  const url = u.toString().replace(/\/+$/, '');
  const problem = registryUrlProblem(url);
  if (problem) throw new Error(problem);
  return { url, authorization };
}

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
  /** True while the schema is being fetched from the Schema Registry: asking again soon may decode it. */
  pending?: boolean;
}

/**
 * One rule as the command line and the settings dialog write it:
 * `PATTERN=FORMAT[+gzip|+zstd][:FILE[#Type]]`, e.g. `orders.*=protobuf:shop.proto#shop.Order`.
 * Throws with the reason for a line that is not one.
 */
export function parseRuleLine(line: string): DecoderRule {
  const m = /^(.+?)=([a-z]+)(?:\+(gzip|zstd))?(?::([^#]+)(?:#(.+))?)?$/.exec(line.trim());
  if (!m) throw new Error(`a rule is PATTERN=FORMAT[:FILE[#Type]], got "${line}"`);
  const format = m[2] as DecoderFormat;
  if (!DECODER_FORMATS.includes(format)) throw new Error(`a rule's format is one of ${DECODER_FORMATS.join(', ')}, got "${m[2]}"`);
  const rule: DecoderRule = { match: m[1]!.trim(), format };
  if (m[3]) rule.compression = m[3] as 'gzip' | 'zstd';
  if (m[4]) rule.schema = m[4].trim();
  if (m[5]) rule.type = m[5].trim();
  return rule;
}

export function formatRuleLine(r: DecoderRule): string {
  return `${r.match}=${r.format}${r.compression ? `+${r.compression}` : ''}${r.schema ? `:${r.schema}${r.type ? `#${r.type}` : ''}` : ''}`;
}

/** The kind of a schema file by its name; null when the name says none. */
export function schemaKindOf(name: string): SchemaKind | null {
  if (/\.(avsc|json)$/i.test(name)) return 'avsc';
  if (/\.proto$/i.test(name)) return 'proto';
  if (/\.(desc|pb|binpb|protoset)$/i.test(name)) return 'descriptor-set';
  return null;
}
