import path from 'node:path';
import type { CapturedMessage, JsonValue } from '../../shared/model.ts';
import { HAR_MAX_BYTES } from '../common/constants.ts';
import type { StoreOptions } from '../store/session-store.ts';
import { createSessionAtomically } from './atomic-session.ts';
import { ImportDocumentError, readJsonDocument } from './json-document.ts';
import { isBase64 } from './lines.ts';
import { timeProblem } from './validate.ts';
import { HAR_OPCODE_BINARY, HAR_OPCODE_TEXT } from './har.ts';

export { ImportDocumentError } from './json-document.ts';

export interface HarImport {
  /** Messages stored: one `open` per WebSocket entry, then its frames. */
  count: number;
  /** WebSocket entries imported, each a connection. */
  connections: number;
  /** Entries that were not WebSockets (ordinary HTTP requests), left out. */
  skipped: number;
}

/**
 * Imports a HAR file's WebSocket entries (Chrome DevTools, mitmproxy; see har.ts) into a new
 * session file, atomically: each entry becomes a connection (an `open` at its start, then its
 * frames, directions and times), on an endpoint per host. A file that is not such a HAR, or a
 * field that is wrong, is refused with the place it is at (ImportDocumentError) and no file
 * is left behind.
 */
export async function importHar(
  inPath: string,
  outPath: string,
  meta: Record<string, string>,
  /** The desktop app passes its Electron build of better-sqlite3 here. */
  storeOptions: StoreOptions = {},
): Promise<HarImport> {
  const doc = readJsonDocument(inPath, HAR_MAX_BYTES, 'HAR');
  const read = harMessages(doc);
  const info = { ...meta, imported_from: path.basename(inPath), import_format: 'har' };
  await createSessionAtomically(
    outPath,
    info,
    async (w) => {
      for (const m of read.messages) w.add(m);
      w.registerEndpoints(inPath, 'har');
    },
    storeOptions,
    inPath,
  );
  return { count: read.messages.length, connections: read.connections, skipped: read.skipped };
}

type Fail = (where: string, problem: string) => never;
const fail: Fail = (where, problem) => {
  throw new ImportDocumentError(where, problem);
};

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function kind(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : typeof v;
}

function object(v: unknown, where: string): Record<string, unknown> {
  return isObject(v) ? v : fail(where, v === undefined ? 'missing' : `must be a JSON object, found ${kind(v)}`);
}

/** Entries of a WebSocket: what Chrome and mitmproxy mark, or a ws:// URL. */
function isWebSocketEntry(e: Record<string, unknown>): boolean {
  if (e._resourceType === 'websocket' || Array.isArray(e._webSocketMessages)) return true;
  const url = isObject(e.request) ? e.request.url : undefined;
  return typeof url === 'string' && /^wss?:/i.test(url);
}

/**
 * A parsed HAR document's WebSocket traffic as messages, in time order across connections
 * (the order the session lists them in). Pure, so the fuzz tests call it directly.
 */
export function harMessages(doc: unknown): { messages: CapturedMessage[]; connections: number; skipped: number } {
  const root = object(doc, 'the document');
  const log = object(root.log, 'log');
  if (!Array.isArray(log.entries)) fail('log.entries', log.entries === undefined ? 'missing (a HAR file lists its requests in log.entries)' : `must be an array, found ${kind(log.entries)}`);
  const entries = log.entries as unknown[];
  const messages: CapturedMessage[] = [];
  const usedConnections = new Map<string, Set<string>>();
  let connections = 0;
  let skipped = 0;
  for (let i = 0; i < entries.length; i++) {
    const where = `log.entries[${i}]`;
    const e = object(entries[i], where);
    if (!isWebSocketEntry(e)) {
      skipped += 1;
      continue;
    }
    connections += 1;
    entryMessages(e, where, usedConnections, messages);
  }
  if (connections === 0) {
    fail('log.entries', `no WebSocket entries among ${entries.length} (Flowscope imports a HAR's WebSocket connections; record them in DevTools with the page open)`);
  }
  // Stable: frames of one connection keep their file order when times tie.
  messages.sort((a, b) => a.time - b.time);
  return { messages, connections, skipped };
}

function entryMessages(e: Record<string, unknown>, where: string, used: Map<string, Set<string>>, out: CapturedMessage[]): void {
  const request = object(e.request, `${where}.request`);
  if (typeof request.url !== 'string') fail(`${where}.request.url`, request.url === undefined ? 'missing' : `must be a string, found ${kind(request.url)}`);
  let url: URL;
  try {
    url = new URL(request.url as string);
  } catch {
    return fail(`${where}.request.url`, 'is not a URL');
  }
  // mitmproxy names the upgrade request by its HTTP URL.
  const scheme = { 'ws:': 'ws:', 'wss:': 'wss:', 'http:': 'ws:', 'https:': 'wss:' }[url.protocol];
  if (!scheme || !url.host) fail(`${where}.request.url`, 'must be a ws://, wss://, http:// or https:// URL with a host');
  const endpoint = url.host;
  const destination = url.pathname || '/';
  const target = `${scheme}//${url.host}${url.pathname}${url.search}`;

  const frames = e._webSocketMessages ?? [];
  if (!Array.isArray(frames)) fail(`${where}._webSocketMessages`, `must be an array, found ${kind(frames)}`);
  const list = frames as unknown[];

  let started: number | null = null;
  if (e.startedDateTime !== undefined) {
    if (typeof e.startedDateTime !== 'string') fail(`${where}.startedDateTime`, `must be an ISO 8601 date string, found ${kind(e.startedDateTime)}`);
    started = Date.parse(e.startedDateTime as string);
    if (!Number.isFinite(started)) fail(`${where}.startedDateTime`, 'is not an ISO 8601 date');
    const bad = timeProblem(started);
    if (bad) fail(`${where}.startedDateTime`, bad);
  }

  const connection = connectionId(e.connection, endpoint, used);
  const base = { transport: 'ws' as const, endpoint, destKind: 'socket' as const, destination, connection };
  const parsed = list.map((f, j) => frame(f, `${where}._webSocketMessages[${j}]`));
  const status = isObject(e.response) && typeof e.response.status === 'number' ? e.response.status : null;
  const openTime = started ?? parsed[0]?.time;
  if (openTime === undefined) return;
  if (status !== null && status !== 101 && parsed.length === 0) {
    // A handshake the server refused (Chrome records it with its status): what the tap records then.
    out.push({ ...base, time: openTime, event: 'error', payload: new Uint8Array(0), meta: { message: `handshake refused: HTTP ${status}`, target, status } });
    return;
  }
  out.push({ ...base, time: openTime, event: 'open', payload: new Uint8Array(0), meta: { target, subprotocol: subprotocol(e.response) } });
  for (const f of parsed) {
    out.push({ ...base, time: f.time, event: f.out ? 'frame-out' : 'frame-in', payload: f.payload, meta: { opcode: f.binary ? 'binary' : 'text' } });
  }
}

function frame(v: unknown, where: string): { time: number; out: boolean; binary: boolean; payload: Buffer } {
  const f = object(v, where);
  if (f.type !== 'send' && f.type !== 'receive') fail(`${where}.type`, `must be "send" or "receive", found ${typeof f.type === 'string' ? JSON.stringify(f.type.slice(0, 40)) : kind(f.type)}`);
  if (typeof f.time !== 'number') fail(`${where}.time`, f.time === undefined ? 'missing' : `must be a number (seconds since the epoch), found ${kind(f.time)}`);
  const time = (f.time as number) * 1000;
  const bad = timeProblem(time);
  if (bad) fail(`${where}.time`, bad);
  if (f.opcode !== HAR_OPCODE_TEXT && f.opcode !== HAR_OPCODE_BINARY) {
    fail(`${where}.opcode`, `must be 1 (text) or 2 (binary), found ${typeof f.opcode === 'number' ? String(f.opcode) : kind(f.opcode)}`);
  }
  if (typeof f.data !== 'string') fail(`${where}.data`, f.data === undefined ? 'missing' : `must be a string, found ${kind(f.data)}`);
  const data = f.data as string;
  const binary = f.opcode === HAR_OPCODE_BINARY;
  let payload: Buffer;
  if (binary) {
    if (!isBase64(data)) fail(`${where}.data`, 'a binary frame (opcode 2) must hold base64');
    payload = Buffer.from(data, 'base64');
  } else if (f._flowscopeBase64 !== undefined) {
    if (typeof f._flowscopeBase64 !== 'string' || !isBase64(f._flowscopeBase64)) fail(`${where}._flowscopeBase64`, 'must be base64');
    payload = Buffer.from(f._flowscopeBase64 as string, 'base64');
  } else {
    payload = Buffer.from(data, 'utf8');
  }
  return { time, out: f.type === 'send', binary, payload };
}

/**
 * The entry's connection id: HAR's `connection` when it names one not yet used on the
 * endpoint (Flowscope writes its own ids there; Chrome a socket id), else the next `cN`.
 */
function connectionId(v: unknown, endpoint: string, used: Map<string, Set<string>>): string {
  let ids = used.get(endpoint);
  if (!ids) used.set(endpoint, (ids = new Set()));
  let id = typeof v === 'string' && v.length > 0 && v.length <= 128 && !ids.has(v) ? v : null;
  for (let n = ids.size + 1; id === null; n++) if (!ids.has(`c${n}`)) id = `c${n}`;
  ids.add(id);
  return id;
}

/** The subprotocol the server chose, from the 101 response's headers. */
function subprotocol(response: unknown): JsonValue {
  if (!isObject(response) || !Array.isArray(response.headers)) return null;
  for (const h of response.headers as unknown[]) {
    if (isObject(h) && typeof h.name === 'string' && h.name.toLowerCase() === 'sec-websocket-protocol' && typeof h.value === 'string') return h.value;
  }
  return null;
}
