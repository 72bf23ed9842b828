import type { IncomingHttpHeaders } from 'node:http';
import { WebSocket } from 'ws';
import type { CapturedMessage, JsonValue, MessageEventKind } from '../../../shared/model.ts';
import { setOwn } from '../../common/own-key.ts';

/** Who ended a connection. 'proxy' means Flowscope itself (stop, unreachable target). */
export type WsCloseBy = 'client' | 'server' | 'proxy';

const EMPTY = new Uint8Array(0);

/** Capture time with sub-millisecond resolution, so frames of one burst keep distinct times. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Builds the CapturedMessage of one WebSocket fact. */
export function wsMessage(
  endpoint: string,
  event: MessageEventKind,
  destination: string,
  connection: string,
  payload: Uint8Array | null,
  meta: Record<string, JsonValue>,
): CapturedMessage {
  return {
    time: now(),
    transport: 'ws',
    endpoint,
    event,
    destKind: 'socket',
    destination,
    connection,
    payload: payload ?? EMPTY,
    meta,
  };
}

/** A close reason must fit in 123 bytes (RFC 6455 §5.5); cut on a character boundary. */
export function closeReason(text: string): string {
  let out = text;
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}

/**
 * Mirrors a close onto the other leg. 1005 (no code) is sent as a code-less close, which
 * the peer reports as 1005 again; 1006/1015 mean the TCP connection died without a close
 * frame, which only dropping the other leg's TCP connection reproduces.
 */
export function mirrorClose(ws: WebSocket, code: number, reason: Buffer | string): void {
  if (ws.readyState === WebSocket.CLOSED) return;
  if (code === 1006 || code === 1015) {
    ws.terminate();
  } else if (code === 1005 || !validCloseCode(code)) {
    ws.close();
  } else {
    ws.close(code, reason);
  }
}

function validCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

/** Handshake headers ws builds itself, plus hop-by-hop headers that must not cross a proxy. */
const NOT_FORWARDED = new Set([
  'host',
  'connection',
  'upgrade',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'content-length',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
  'sec-websocket-accept',
]);

/**
 * The client's handshake headers to repeat towards the target: Authorization, Cookie,
 * Origin, User-Agent and custom headers. Returns the names separately so a recording can
 * say which headers crossed without ever storing their values. `rawHeaders` is the
 * request's own list (`IncomingMessage.rawHeaders`): Node's parser files each header into
 * `headers` by assignment, so one named `__proto__` never reaches it; it is taken from there.
 */
export function forwardHeaders(headers: IncomingHttpHeaders, rawHeaders: readonly string[] = []): { headers: Record<string, string>; names: string[] } {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || NOT_FORWARDED.has(name)) continue;
    out[name] = Array.isArray(value) ? value.join(name === 'cookie' ? '; ' : ', ') : value;
  }
  const proto: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === '__proto__') proto.push(rawHeaders[i + 1]!);
  if (proto.length > 0 && !Object.hasOwn(out, '__proto__')) setOwn(out, '__proto__', proto.join(', '));
  return { headers: out, names: Object.keys(out).sort() };
}

/** Subprotocols offered in a `Sec-WebSocket-Protocol` request header. */
export function offeredProtocols(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

/**
 * The target URL for a client request: the request's path is appended to the target's
 * base path and both query strings are kept (the target's first).
 */
export function targetFor(target: string, requestUrl: string): { url: string; path: string } {
  const base = new URL(target);
  const req = new URL(requestUrl, 'ws://placeholder');
  const basePath = base.pathname.replace(/\/+$/, '');
  const path = req.pathname;
  base.pathname = path === '/' ? basePath || '/' : basePath + path;
  for (const [k, v] of req.searchParams) base.searchParams.append(k, v);
  return { url: base.toString(), path };
}
