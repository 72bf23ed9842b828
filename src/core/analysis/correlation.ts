import type { CapturedMessage, JsonValue } from '../../shared/model.ts';
import { payloadTextOf } from '../common/payload-text.ts';
import { DEFAULT_ANALYSIS_CONFIG } from './config.ts';
import type { CorrelationConfig } from './config.ts';

/**
 * What a message says about conversations: its correlation id, its own id, where its reply
 * should go, and whether its body declares it a request or a reply (JSON-RPC).
 */
export interface Correlation {
  correlationId: string | null;
  messageId: string | null;
  replyTo: string | null;
  /**
   * `request`: names a reply destination or is a JSON-RPC call (method + id).
   * `reply`: a JSON-RPC result or error. `notification`: JSON-RPC method without id.
   * null: the message does not say; pairing decides from what it has seen.
   */
  role: 'request' | 'reply' | 'notification' | null;
  /**
   * Where the correlation id was found. A `traceparent` trace id relates messages of one
   * trace but does not by itself make a message a request (see pairing).
   */
  source: 'message' | 'property' | 'header' | 'traceparent' | 'json-rpc' | 'json' | null;
  /** JSON-RPC method of a request or notification. */
  method: string | null;
}

const decoder = new TextDecoder('utf-8', { fatal: false });
/** What a message that says nothing about conversations reads as: one value for all of them, not an object each. */
const SAYS_NOTHING: Correlation = Object.freeze({ correlationId: null, messageId: null, replyTo: null, role: null, source: null, method: null });
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}/;
const ZERO_TRACE = '0'.repeat(32);
const TRACEPARENT_NAME = ['traceparent'];

/**
 * The decoded body of a message when a decoder reads it (Protobuf, Avro, MessagePack, CBOR:
 * core/decode/registry.ts), so JSON paths and JSON-RPC apply to it as to a JSON body; null
 * leaves the payload to be read as JSON.
 */
export type BodyReader = (msg: CapturedMessage) => Record<string, JsonValue> | null;

/** Reads the correlation facts of a message without changing it. */
export function classifyMessage(msg: CapturedMessage, config: CorrelationConfig = DEFAULT_ANALYSIS_CONFIG.correlation, body?: BodyReader, keepBody = false): Correlation {
  const props = msg.properties ?? null;
  const headers = msg.headers ?? null;
  if (props === null && headers === null && msg.correlationId == null && msg.messageId == null && msg.replyTo == null) {
    // Most of a catch-up: only the body can say anything, and most bodies say nothing.
    const obj = config.jsonRpc || config.jsonPaths.length > 0 ? ((body && body(msg)) ?? jsonBody(msg, config, keepBody)) : null;
    if (obj === null) return SAYS_NOTHING;
    const out: Correlation = { ...SAYS_NOTHING };
    readBody(obj, config, out);
    return out;
  }
  const out: Correlation = {
    correlationId: msg.correlationId ?? null,
    messageId: msg.messageId ?? null,
    replyTo: msg.replyTo ?? null,
    role: null,
    source: msg.correlationId ? 'message' : null,
    method: null,
  };
  if (props) {
    if (!out.correlationId) {
      out.correlationId = scalar(props.correlationId ?? props.correlation_id);
      if (out.correlationId) out.source = 'property';
    }
    out.messageId ??= scalar(props.messageId ?? props.message_id);
    out.replyTo ??= scalar(props.replyTo ?? props.reply_to);
  }
  if (headers) {
    if (!out.correlationId) {
      out.correlationId = header(headers, config.headerNames);
      if (out.correlationId) out.source = 'header';
    }
    if (config.traceparent && (!out.correlationId || out.source === 'message')) {
      const tp = header(headers, TRACEPARENT_NAME);
      const m = tp ? TRACEPARENT.exec(tp) : null;
      const trace = m && m[1] !== ZERO_TRACE ? m[1]! : null;
      // A stored trace id (filled by the enricher) is still known as one when read back.
      if (trace && (!out.correlationId || out.correlationId === trace)) {
        out.correlationId = trace;
        out.source = 'traceparent';
      }
    }
    out.messageId ??= header(headers, config.messageIdHeaderNames);
    out.replyTo ??= header(headers, config.replyHeaderNames);
  }
  if (config.jsonRpc || config.jsonPaths.length > 0) readBody((body && body(msg)) ?? jsonBody(msg, config, keepBody), config, out);
  if (out.replyTo && out.role === null) out.role = 'request';
  return out;
}

/**
 * Fills `correlationId`, `messageId` and `replyTo` where the connector left them empty,
 * so the store can index them. Returns everything it read.
 */
export function extractCorrelation(msg: CapturedMessage, config: CorrelationConfig = DEFAULT_ANALYSIS_CONFIG.correlation, body?: BodyReader, keepBody = false): Correlation {
  const c = classifyMessage(msg, config, body, keepBody);
  if (!msg.correlationId && c.correlationId) msg.correlationId = c.correlationId;
  if (!msg.messageId && c.messageId) msg.messageId = c.messageId;
  if (!msg.replyTo && c.replyTo) msg.replyTo = c.replyTo;
  return c;
}

/** The Recorder's `enrich` option: correlation facts are filled before a batch is stored. */
export function createEnricher(config: CorrelationConfig = DEFAULT_ANALYSIS_CONFIG.correlation, body?: BodyReader): (msg: CapturedMessage) => void {
  return (msg) => {
    // Open/close/error facts carry no body worth reading.
    if (msg.event === 'open' || msg.event === 'close' || msg.event === 'error') return;
    // The analysis classifies the same message once it is stored: it takes this parse.
    extractCorrelation(msg, config, body, true);
  };
}

function readBody(obj: Record<string, JsonValue> | null, config: CorrelationConfig, out: Correlation): void {
  if (!obj) return;
  if (config.jsonRpc) {
    const id = obj.id;
    const idText = typeof id === 'string' || typeof id === 'number' ? String(id) : null;
    const method = typeof obj.method === 'string' ? obj.method : null;
    if (method !== null) {
      out.method = method;
      out.role = idText === null ? 'notification' : 'request';
    } else if (idText !== null && ('result' in obj || 'error' in obj)) {
      out.role = 'reply';
    }
    if (idText !== null && out.role !== null && !out.correlationId) {
      out.correlationId = idText;
      out.source = 'json-rpc';
    }
  }
  if (!out.correlationId) {
    for (const path of config.jsonPaths) {
      const v = scalar(atPath(obj, path));
      if (v) {
        out.correlationId = v;
        out.source = 'json';
        break;
      }
    }
  }
}

/**
 * A body as readBody reads it: the payload's JSON object, or null when it is none or holds
 * none of the keys readBody looks at (`bodyKeys`), which skips the parse of most event
 * streams' bodies. From the text a reader left (PayloadText) when it is exact, else from
 * the bytes.
 */
function jsonBody(msg: CapturedMessage, config: CorrelationConfig, keep: boolean): Record<string, JsonValue> | null {
  const keys = bodyKeys(config);
  const kept = takeParsed(msg, keys);
  if (kept !== undefined) return kept;
  const obj = parseBody(msg, config, keys);
  if (keep && obj !== null) keepParsed(msg, keys, obj);
  return obj;
}

function parseBody(msg: CapturedMessage, config: CorrelationConfig, keys: BodyKeys): Record<string, JsonValue> | null {
  const text = payloadTextOf(msg);
  if (text === null) return null;
  // Invalid UTF-8 shows as U+FFFD: the bytes are decoded as the live path decodes them.
  if (text === undefined || text.includes('\uFFFD')) return parseJsonObject(msg.payload, config.maxJsonBytes, keys);
  return parseJsonText(text, (msg as { size?: number }).size ?? msg.payload.byteLength, config.maxJsonBytes, keys);
}

/**
 * A body the enricher parsed, kept on the message object for the analysis, which classifies
 * the same object once its batch is stored: one JSON.parse a message instead of two on the
 * live path (parsing was the largest part of recording a JSON WebSocket's frames, issue 12).
 * On the object rather than in a Map keyed by it: a Map entry cost a hash of the object and
 * a delete per message, about as much as the parse saved. A message the analysis never reads
 * (a batch the disk refused and dropped) takes its body with it. Symbol-keyed, so it is in
 * no copy sent to the window nor in any JSON. A body is only reused for the payload it was
 * parsed from and under the same parse settings (the same `BodyKeys`); nothing mutates one.
 */
const PARSED = Symbol('flowscope.parsedBody');

interface Parsed {
  keys: BodyKeys;
  payload: Uint8Array;
  obj: Record<string, JsonValue>;
}

type WithParsed = CapturedMessage & { [PARSED]?: Parsed | undefined };

function keepParsed(msg: CapturedMessage, keys: BodyKeys, obj: Record<string, JsonValue>): void {
  (msg as WithParsed)[PARSED] = { keys, payload: msg.payload, obj };
}

/** The body kept for `msg` under `keys` (dropped from it), else undefined. */
function takeParsed(msg: CapturedMessage, keys: BodyKeys): Record<string, JsonValue> | undefined {
  const e = (msg as WithParsed)[PARSED];
  if (e === undefined) return undefined;
  (msg as WithParsed)[PARSED] = undefined;
  return e.payload === msg.payload && (e.keys === keys || e.keys.parse === keys.parse) ? e.obj : undefined;
}

/**
 * Parses a payload only when it plausibly is one JSON object: first and last non-blank
 * bytes are braces and it is below the size limit. Anything else costs two byte reads.
 * With `keys` (bodyKeys), a body holding none of them, unescaped, is not parsed either.
 */
export function parseJsonObject(payload: Uint8Array, maxBytes: number, keys?: BodyKeys): Record<string, JsonValue> | null {
  const n = payload.byteLength;
  if (n < 2 || n > maxBytes) return null;
  let a = 0;
  while (a < n && isBlank(payload[a]!)) a++;
  let b = n - 1;
  while (b > a && isBlank(payload[b]!)) b--;
  if (payload[a] !== 0x7b || payload[b] !== 0x7d) return null;
  if (keys && Buffer.isBuffer(payload) && !bytesMayHold(payload, keys)) return null;
  try {
    const v = JSON.parse(decoder.decode(payload)) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, JsonValue>) : null;
  } catch {
    return null;
  }
}

/**
 * parseJsonObject for a payload of `bytes` bytes already decoded (exactly: no U+FFFD) to
 * `text`. The decoder drops one leading byte-order mark, so this does; after it, a JSON
 * object is JSON blanks, a brace … a brace, JSON blanks, which is what the bytes' test lets
 * through, so both give the same objects.
 */
function parseJsonText(text: string, bytes: number, maxBytes: number, keys: BodyKeys): Record<string, JsonValue> | null {
  if (bytes < 2 || bytes > maxBytes) return null;
  const n = text.length;
  let a = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const from = a;
  while (a < n && isJsonBlank(text.charCodeAt(a))) a++;
  let b = n - 1;
  while (b > a && isJsonBlank(text.charCodeAt(b))) b--;
  if (text.charCodeAt(a) !== 0x7b || text.charCodeAt(b) !== 0x7d) return null;
  if (!text.includes('\\') && !keys.text.test(text)) return null;
  try {
    const v = JSON.parse(from === 0 ? text : text.slice(from)) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, JsonValue>) : null;
  } catch {
    return null;
  }
}

/**
 * The keys readBody reads at the top of a body, quoted as JSON writes them: `id` and
 * `method` (JSON-RPC; `result` and `error` count only beside an id) and the first name of
 * each JSON path. A key can only be missed by a search for these when it is escaped, so a
 * body with a backslash is always parsed.
 */
interface BodyKeys {
  /** Any of the keys (one pass over a text; a backslash is looked for apart: a common first character keeps the search fast). */
  text: RegExp;
  bytes: Buffer[];
  /** Every key is ASCII, so `text` can search the bytes read as Latin-1 (one pass, no native call per key). */
  ascii: boolean;
  /** What a parse depends on (size limit and keys): equal texts give equal bodies, whichever config object. */
  parse: string;
}

const keysCache = new WeakMap<CorrelationConfig, BodyKeys>();

/** The last config asked for and its keys: one config reads a whole session (a WeakMap lookup a message was 2% of a recompute). */
let lastKeys: { config: CorrelationConfig; keys: BodyKeys } | null = null;

function bodyKeys(config: CorrelationConfig): BodyKeys {
  if (lastKeys !== null && lastKeys.config === config) return lastKeys.keys;
  let k = keysCache.get(config);
  if (!k) {
    const names = new Set<string>(config.jsonRpc ? ['id', 'method'] : []);
    for (const p of config.jsonPaths) names.add(p.split('.')[0]!);
    const quoted = [...names].map((n) => JSON.stringify(n));
    const text = quoted.length > 0 ? new RegExp(`"(?:${quoted.map((q) => escapeRegExp(q.slice(1, -1))).join('|')})"`) : /$^/;
    k = {
      text,
      bytes: quoted.map((t) => Buffer.from(t, 'utf8')),
      ascii: quoted.every((q) => [...q].every((c) => c.charCodeAt(0) < 0x80)),
      parse: `${config.maxJsonBytes} ${text.source}`,
    };
    keysCache.set(config, k);
  }
  lastKeys = { config, keys: k };
  return k;
}

/**
 * What a plain record's body text must match for classifyMessage to read anything from it
 * (a regular expression's source): a text with no backslash and no U+FFFD that matches
 * none of it is never parsed, so a reader may leave it out (store/analysis-read-worker.ts).
 */
export function bodyTextKeys(config: CorrelationConfig): string {
  return bodyKeys(config).text.source;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function bytesMayHold(payload: Buffer, keys: BodyKeys): boolean {
  // Read as Latin-1, an ASCII key's bytes are the same characters, and no byte of a longer
  // UTF-8 sequence reads as ASCII: one regular-expression pass instead of an indexOf per key
  // (issue 12: those calls were 8% of a Kafka catch-up's engine thread).
  if (keys.ascii) {
    const text = payload.toString('latin1');
    return text.includes('\\') || keys.text.test(text);
  }
  if (payload.indexOf(0x5c) >= 0) return true;
  for (const k of keys.bytes) if (payload.indexOf(k) >= 0) return true;
  return false;
}

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0xef || c === 0xbb || c === 0xbf;
}

function isJsonBlank(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function atPath(obj: Record<string, JsonValue>, path: string): JsonValue | undefined {
  if (!path.includes('.')) return obj[path];
  let cur: JsonValue | undefined = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

/** A header value by any of the names, case-insensitively, earlier names first; binary values decode as UTF-8. */
export function header(headers: Record<string, JsonValue>, names: readonly string[]): string | null {
  const rank = ranks(names);
  let best: string | null = null;
  let bestRank = Infinity;
  for (const k in headers) {
    const r = rank.get(k) ?? rank.get(k.toLowerCase());
    if (r === undefined || r >= bestRank) continue;
    // Kafka allows a header name more than once (stored as an array): the first one counts.
    const raw = headers[k];
    const v = scalar(Array.isArray(raw) ? raw[0] : raw);
    if (v) {
      best = v;
      bestRank = r;
      if (r === 0) break;
    }
  }
  return best;
}

const rankCache = new WeakMap<readonly string[], Map<string, number>>();

/** Lower-cased name → priority, computed once per names list (the hot path reads headers of every message). */
function ranks(names: readonly string[]): Map<string, number> {
  let m = rankCache.get(names);
  if (!m) {
    m = new Map();
    names.forEach((n, i) => {
      const lower = n.toLowerCase();
      if (!m!.has(lower)) m!.set(lower, i);
      if (!m!.has(n)) m!.set(n, i);
    });
    rankCache.set(names, m);
  }
  return m;
}

/** A string or number as text; `{ $base64 }` decoded when it is printable UTF-8. */
export function scalar(v: JsonValue | undefined): string | null {
  if (typeof v === 'string') return v.length > 0 ? v : null;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (v && typeof v === 'object' && !Array.isArray(v) && typeof v.$base64 === 'string') {
    const text = Buffer.from(v.$base64, 'base64').toString('utf8');
    // eslint-disable-next-line no-control-regex
    return text.length > 0 && !/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text) ? text : null;
  }
  return null;
}
