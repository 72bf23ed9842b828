import type { JsonValue } from '../../shared/model.ts';
import { MAX_JSON_DEPTH } from '../common/constants.ts';

/**
 * Turns what a decoder library returns into plain JSON: bytes as base64 text, 64-bit
 * integers (bigint, protobufjs Long) as decimal strings so no digit is lost, Maps as
 * objects, non-finite numbers as their names. Deeper than MAX_JSON_DEPTH is cut with a
 * marker rather than overflowing the stack on a hostile payload.
 */
export function toJsonValue(v: unknown, depth = 0): JsonValue {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) ? v : String(v);
    case 'bigint':
      return v.toString();
    case 'object':
      break;
    default:
      return String(v);
  }
  if (depth >= MAX_JSON_DEPTH) return '…(nested too deep)';
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? String(v) : v.toISOString();
  if (Array.isArray(v)) return v.map((x) => toJsonValue(x, depth + 1));
  if (v instanceof Map) {
    const out: Record<string, JsonValue> = {};
    for (const [k, x] of v) put(out, String(k), toJsonValue(x, depth + 1));
    return out;
  }
  if (isLong(v)) return v.toString();
  const out: Record<string, JsonValue> = {};
  for (const k of Object.keys(v)) put(out, k, toJsonValue((v as Record<string, unknown>)[k], depth + 1));
  return out;
}

/** A field named `__proto__` (a map key in a payload) is kept as a field, not taken as the object's prototype. */
export function put(out: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  else out[k] = v;
}

function isLong(v: object): v is { toString(): string } {
  const o = v as { low?: unknown; high?: unknown; unsigned?: unknown };
  return typeof o.low === 'number' && typeof o.high === 'number' && typeof o.unsigned === 'boolean';
}
