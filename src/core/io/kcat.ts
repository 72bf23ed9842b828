import { isUtf8 } from 'node:buffer';
import type { CapturedMessage, JsonValue } from '../../shared/model.ts';
import { ImportLineError, isBlank, parseObject } from './lines.ts';
import { importLineFile } from './atomic-session.ts';
import type { StoreOptions } from '../store/session-store.ts';
import { setOwn } from '../common/own-key.ts';
import { MAX_JSON_DEPTH, nestedDeeperThan, partitionProblem, timeProblem } from './validate.ts';

/** The endpoint id imported kcat records carry. */
export const KCAT_ENDPOINT = 'kcat';

/**
 * Imports kcat's `-J` consumer output (`kcat -C -J -b … -t …`): one JSON envelope per line,
 *   {"topic","partition","offset","tstype","ts","broker","headers":[k,v,k,v…],"key","payload"}
 * with `key`/`payload` null when absent and `headers` left out when the record has none.
 *
 * kcat (through yajl) writes key, payload and header bytes into its JSON strings as they
 * are, escaping only quotes, backslashes and control characters; bytes that are not UTF-8
 * land in the file raw. Each line is therefore decoded as Latin-1 (one char per byte) and
 * every string turned back into the exact bytes kcat read from Kafka. Lines starting with
 * `%` are kcat's own notices (when stderr was captured too) and are skipped.
 */
export async function importKcat(
  inPath: string,
  outPath: string,
  meta: Record<string, string>,
  /** The desktop app passes its Electron build of better-sqlite3 here. */
  storeOptions: StoreOptions = {},
): Promise<{ count: number }> {
  return importLineFile(inPath, outPath, meta, 'kcat', kcatLine, storeOptions);
}

function kcatLine(bytes: Buffer, line: number): CapturedMessage | null {
  if (isBlank(bytes) || bytes[0] === 0x25 /* % */) return null;
  return fromKcatEnvelope(parseObject(bytes.toString('latin1'), line), line);
}

/** One kcat `-J` envelope → a Kafka `publish` fact. */
export function fromKcatEnvelope(o: Record<string, unknown>, line: number): CapturedMessage {
  const fail = (problem: string): never => {
    throw new ImportLineError(line, problem);
  };
  if (o.transport !== undefined && o.topic === undefined) {
    fail('this looks like Flowscope JSON Lines, not kcat -J output; import it with the jsonl format');
  }
  if (typeof o.topic !== 'string') fail(o.topic === undefined ? 'missing "topic"' : '"topic" must be a string');
  if (o.partition === undefined) fail('missing "partition"');
  const partitionBad = partitionProblem(o.partition);
  if (partitionBad) fail(`"partition" ${partitionBad}`);
  if (o.offset === undefined) fail('missing "offset"');
  if (typeof o.offset !== 'number') fail('"offset" must be an integer');
  const offsetBad = !Number.isInteger(o.offset)
    ? 'must be an integer'
    : !Number.isSafeInteger(o.offset) || (o.offset as number) < 0
      ? `is out of range (offsets from 0 to ${Number.MAX_SAFE_INTEGER} read exactly from JSON)`
      : null;
  if (offsetBad) fail(`"offset" ${String(o.offset)} ${offsetBad}`);
  if (!('payload' in o)) fail('missing "payload"');
  const ts = o.ts;
  if (ts !== undefined && typeof ts !== 'number') fail('"ts" must be a number (epoch milliseconds)');
  // -1 is Kafka's "no timestamp"; anything else must be a time a calendar can show.
  const tsBad = typeof ts === 'number' && ts !== -1 ? timeProblem(ts) : null;
  if (tsBad) fail(`"ts" ${String(ts)} ${tsBad}`);

  const meta: Record<string, JsonValue> = {};
  if (typeof o.tstype === 'string') meta.timestampType = Object.hasOwn(TSTYPES, o.tstype) ? TSTYPES[o.tstype]! : o.tstype;
  if (Number.isSafeInteger(o.broker)) meta.broker = o.broker as number;
  const payload = kcatBytes(o.payload, 'payload', fail);
  if (payload === null) meta.tombstone = true;
  // kcat has no capture time of its own: the record's timestamp stands in for it.
  const brokerTime = typeof ts === 'number' && ts !== -1 ? ts : null;
  return {
    time: brokerTime ?? Date.now(),
    brokerTime,
    transport: 'kafka',
    endpoint: KCAT_ENDPOINT,
    event: 'publish',
    destKind: 'topic',
    destination: latin1ToUtf8Text(o.topic as string),
    partition: o.partition as number,
    offset: String(o.offset),
    key: kcatBytes(o.key ?? null, 'key', fail),
    headers: kcatHeaders(o.headers, fail),
    payload: payload ?? new Uint8Array(0),
    meta: Object.keys(meta).length ? meta : null,
  };
}

/** kcat's names for timestamp types, as the Kafka connector stores them. */
const TSTYPES: Record<string, string> = { create: 'CreateTime', logappend: 'LogAppendTime' };

function kcatBytes(v: unknown, field: string, fail: (p: string) => never): Buffer | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return rawBytes(v);
  // With a deserializer (-s avro) kcat prints decoded values as JSON: keep their JSON text.
  if (typeof v === 'object' || typeof v === 'number' || typeof v === 'boolean') {
    if (nestedDeeperThan(v)) fail(`"${field}" is nested deeper than ${MAX_JSON_DEPTH} levels`);
    return Buffer.from(JSON.stringify(v), 'utf8');
  }
  return fail(`"${field}" must be a string or null`);
}

function kcatHeaders(v: unknown, fail: (p: string) => never): Record<string, JsonValue> | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || v.length % 2 !== 0) fail('"headers" must be a flat array of name, value pairs');
  const arr = v as unknown[];
  const out: Record<string, JsonValue> = {};
  for (let i = 0; i < arr.length; i += 2) {
    const name = arr[i];
    const value = arr[i + 1];
    if (typeof name !== 'string') fail(`header name at position ${i} must be a string`);
    if (value !== null && typeof value !== 'string') fail(`header "${String(name)}" must have a string or null value`);
    const key = latin1ToUtf8Text(name as string);
    const stored = value === null ? null : headerValue(rawBytes(value as string));
    // A name repeated in one record becomes an array in record order, as the Kafka tap stores it.
    if (Object.prototype.hasOwnProperty.call(out, key)) {
      const prev = out[key]!;
      setOwn(out, key, Array.isArray(prev) ? [...prev, stored] : [prev, stored]);
    } else {
      // A header named __proto__ is stored like any other (see setOwn).
      setOwn(out, key, stored);
    }
  }
  return Object.keys(out).length ? out : null;
}

function headerValue(b: Buffer): JsonValue {
  return isUtf8(b) ? b.toString('utf8') : { $base64: b.toString('base64') };
}

/**
 * The bytes a string parsed from a Latin-1-decoded line stands for. Characters up to U+00FF
 * are bytes (raw file bytes, or kcat's \u00XX escapes of control bytes); anything above can
 * only come from a \uXXXX escape some other tool wrote, and is taken as UTF-8.
 */
export function rawBytes(s: string): Buffer {
  let simple = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0xff) {
      simple = false;
      break;
    }
  }
  if (simple) return Buffer.from(s, 'latin1');
  const parts: Buffer[] = [];
  let run = '';
  for (const ch of s) {
    if (ch.codePointAt(0)! <= 0xff) {
      run += ch;
    } else {
      if (run) parts.push(Buffer.from(run, 'latin1'));
      run = '';
      parts.push(Buffer.from(ch, 'utf8'));
    }
  }
  if (run) parts.push(Buffer.from(run, 'latin1'));
  return Buffer.concat(parts);
}

/** A name (topic, header name) as text: its raw bytes read as UTF-8. */
function latin1ToUtf8Text(s: string): string {
  return rawBytes(s).toString('utf8');
}
