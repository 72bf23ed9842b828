import zlib from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import type { JsonValue } from '../../shared/model.ts';
import { DECODE_MAX_OUTPUT_BYTES } from '../common/constants.ts';

export type Compression = 'gzip' | 'zstd';

const HEADER_NAMES = ['content-encoding', 'contentencoding', 'content_encoding'];

/**
 * The compression a message declares: a `content-encoding` header (Kafka, WebSocket, MQTT 5
 * user property, NATS) or the AMQP `contentEncoding` property. Payloads are never
 * decompressed on a guess: gzip-looking bytes in a binary format are data.
 */
export function declaredCompression(headers: Record<string, JsonValue> | null | undefined, properties: Record<string, JsonValue> | null | undefined): Compression | null {
  const values: JsonValue[] = [];
  for (const table of [properties, headers]) {
    if (!table) continue;
    for (const k of Object.keys(table)) if (HEADER_NAMES.includes(k.toLowerCase())) values.push(table[k]!);
  }
  for (const raw of values) {
    const v = Array.isArray(raw) ? raw[0] : raw;
    const text = typeof v === 'string' ? v : v && typeof v === 'object' && !Array.isArray(v) && typeof v.$base64 === 'string' ? Buffer.from(v.$base64, 'base64').toString('utf8') : null;
    const enc = text?.trim().toLowerCase();
    if (enc === 'gzip' || enc === 'x-gzip') return 'gzip';
    if (enc === 'zstd') return 'zstd';
  }
  return null;
}

/** Decompresses, bounded to DECODE_MAX_OUTPUT_BYTES (a small bomb must not fill the engine's memory). */
export function decompress(kind: Compression, bytes: Uint8Array): Uint8Array {
  if (kind === 'gzip') return zlib.gunzipSync(bytes, { maxOutputLength: DECODE_MAX_OUTPUT_BYTES });
  // zstd frames declare their content size; fzstd allocates from it, so check before.
  const declared = zstdContentSize(bytes);
  if (declared !== null && declared > DECODE_MAX_OUTPUT_BYTES) throw new Error(`zstd frame declares ${declared} bytes, over the ${DECODE_MAX_OUTPUT_BYTES}-byte limit`);
  const out = zstdDecompress(bytes);
  if (out.byteLength > DECODE_MAX_OUTPUT_BYTES) throw new Error(`zstd output over the ${DECODE_MAX_OUTPUT_BYTES}-byte limit`);
  return out;
}

/** The Frame_Content_Size of a zstd frame header (RFC 8878 §3.1.1.1), or null when absent. */
function zstdContentSize(b: Uint8Array): number | null {
  if (b.byteLength < 6 || b[0] !== 0x28 || b[1] !== 0xb5 || b[2] !== 0x2f || b[3] !== 0xfd) return null;
  const fhd = b[4]!;
  const fcsFlag = fhd >> 6;
  const single = (fhd >> 5) & 1;
  const didFlag = fhd & 3;
  const fcsBytes = [single ? 1 : 0, 2, 4, 8][fcsFlag]!;
  if (fcsBytes === 0) return null;
  const at = 5 + (single ? 0 : 1) + [0, 1, 2, 4][didFlag]!;
  if (b.byteLength < at + fcsBytes) return null;
  let n = 0;
  for (let i = fcsBytes - 1; i >= 0; i--) n = n * 256 + b[at + i]!;
  return fcsBytes === 2 ? n + 256 : n;
}
