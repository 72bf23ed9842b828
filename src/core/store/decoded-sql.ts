import type { Database as Db } from 'better-sqlite3';
import type { JsonValue } from '../../shared/model.ts';
import type { DecoderRegistry } from '../decode/registry.ts';

/** The SQL function the filters call: `flowscope_decoded(destination, payload, headers, properties)`. */
export const DECODED_SQL_FUNCTION = 'flowscope_decoded';
/** Its call over a `messages` row. */
export const DECODED_SQL = `${DECODED_SQL_FUNCTION}(messages.destination, messages.payload, messages.headers, messages.properties)`;

export interface DecodedFunction {
  set(registry: DecoderRegistry | null): void;
  /** Whether the text filter also searches decoded payloads: only a session with decoder rules pays for it. */
  searchesText(): boolean;
}

/**
 * Registers the decoded-payload function on a connection: the decoded value as JSON text
 * when a decoder reads the row's payload into a structure (Protobuf, Avro, MessagePack,
 * CBOR, compressed JSON), else NULL, so filters run in SQL beside the data (json_extract,
 * instr) rather than in JavaScript over a copy of the session.
 */
export function registerDecodedFunction(db: Db): DecodedFunction {
  let registry: DecoderRegistry | null = null;
  db.function(DECODED_SQL_FUNCTION, { deterministic: false, varargs: false }, (destination: unknown, payload: unknown, headers: unknown, properties: unknown) => {
    if (!registry || !(payload instanceof Uint8Array) || typeof destination !== 'string') return null;
    const view = registry.decode({ destination, payload, headers: parseTable(headers), properties: parseTable(properties) });
    if (!view || view.error || view.value === null || typeof view.value !== 'object') return null;
    return JSON.stringify(view.value);
  });
  return {
    set: (r) => {
      registry = r;
    },
    searchesText: () => (registry?.settings.rules.length ?? 0) > 0,
  };
}

function parseTable(v: unknown): Record<string, JsonValue> | null {
  if (typeof v !== 'string' || v === '') return null;
  try {
    const o = JSON.parse(v) as unknown;
    return o && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, JsonValue>) : null;
  } catch {
    return null;
  }
}
