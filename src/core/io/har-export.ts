import path from 'node:path';
import { isUtf8 } from 'node:buffer';
import type { MessageFilter } from '../../shared/filter.ts';
import type { JsonValue, StoredMessage } from '../../shared/model.ts';
import type { SessionStore } from '../store/session-store.ts';
import { snapshotChunks } from './chunks.ts';
import { exportToFile, watchErrors, writeText } from './export-file.ts';
import { HAR_OPCODE_BINARY, HAR_OPCODE_TEXT, type HarHeader, type HarWebSocketMessage } from './har.ts';
import { timeProblem } from './validate.ts';

/** One WebSocket connection of the session, as the first pass over it finds it. */
interface Connection {
  endpoint: string;
  connection: string | null;
  destination: string;
  /** When it opened (its `open` fact), else its first frame. */
  start: number;
  target: string | null;
  subprotocol: string | null;
  frames: number;
}

/**
 * Writes the session's WebSocket connections as a HAR 1.2 file in the form Chrome DevTools
 * writes and loads (Network panel → Import HAR): one entry per connection with its upgrade
 * request, a 101 response, `_resourceType: "websocket"` and its frames in
 * `_webSocketMessages` (har.ts). Frames are read in chunks, one connection after another, so
 * memory stays bounded; the file appears only when complete. Other transports have no place
 * in a HAR and are left out; a session with no WebSocket connection is refused.
 */
export async function exportHar(
  store: SessionStore,
  out: string | NodeJS.WritableStream,
  opts: { version: string; filter?: MessageFilter },
): Promise<{ connections: number; frames: number }> {
  const filter: MessageFilter = { ...opts.filter, transports: ['ws'] };
  const upTo = store.lastSeq;
  const conns = await connections(store, filter, upTo);
  if (conns.length === 0) throw new Error(`${path.basename(store.path)} has no WebSocket connections to write as HAR (HAR holds WebSocket traffic only; use --format jsonl or asyncapi for the rest).`);
  const write = async (stream: NodeJS.WritableStream) => {
    const errors = watchErrors(stream);
    try {
      let frames = 0;
      const creator = JSON.stringify({ name: 'Flowscope', version: opts.version });
      await writeText(stream, `{\n  "log": {\n    "version": "1.2",\n    "creator": ${creator},\n    "pages": [],\n    "entries": [\n`, errors.failure);
      const urlOf = endpointUrl(store);
      for (let i = 0; i < conns.length; i++) frames += await writeEntry(store, stream, conns[i]!, filter, upTo, i > 0, errors.failure, urlOf);
      await writeText(stream, '\n    ]\n  }\n}\n', errors.failure);
      return { connections: conns.length, frames };
    } finally {
      errors.dispose();
    }
  };
  if (typeof out === 'string' && out !== '-') return exportToFile(store, path.resolve(out), write);
  return write(typeof out === 'string' ? process.stdout : out);
}

async function connections(store: SessionStore, filter: MessageFilter, upTo: number): Promise<Connection[]> {
  const byKey = new Map<string, Connection>();
  for await (const chunk of snapshotChunks(store, filter, upTo, { bytes: 4 * 1024 * 1024 })) {
    for (const m of chunk) {
      const key = `${m.endpoint}\u0000${m.connection ?? ''}`;
      let c = byKey.get(key);
      const isFrame = m.event === 'frame-in' || m.event === 'frame-out';
      if (!c) {
        if (!isFrame && m.event !== 'open') continue;
        c = { endpoint: m.endpoint, connection: m.connection ?? null, destination: m.destination, start: m.time, target: null, subprotocol: null, frames: 0 };
        byKey.set(key, c);
      }
      if (m.event === 'open') {
        c.start = Math.min(c.start, m.time);
        c.target = typeof m.meta?.target === 'string' ? m.meta.target : null;
        c.subprotocol = typeof m.meta?.subprotocol === 'string' ? m.meta.subprotocol : null;
      } else if (isFrame) {
        c.frames += 1;
      }
    }
  }
  return [...byKey.values()].sort((a, b) => a.start - b.start);
}

/** The URL a connection went to: its `open` fact's target, else its endpoint's, else its endpoint as a host. */
function endpointUrl(store: SessionStore): (c: Connection) => URL {
  const configured = new Map<string, string>();
  for (const e of store.endpoints()) {
    const u = e.config.target ?? e.config.url;
    if (typeof u === 'string') configured.set(e.id, u);
  }
  return (c) => {
    for (const candidate of [c.target, configured.get(c.endpoint)]) {
      if (!candidate) continue;
      try {
        const u = new URL(candidate);
        if (u.protocol === 'ws:' || u.protocol === 'wss:') {
          if (candidate !== c.target) u.pathname = c.destination;
          return u;
        }
      } catch {
        // Not a URL: try the next.
      }
    }
    let host = 'localhost';
    try {
      if (new URL(`ws://${c.endpoint}`).host === c.endpoint) host = c.endpoint;
    } catch {
      // An endpoint id that is no host name (demo-ws): localhost stands in.
    }
    return new URL(`ws://${host}${c.destination.startsWith('/') ? c.destination : `/${c.destination}`}`);
  };
}

async function writeEntry(
  store: SessionStore,
  stream: NodeJS.WritableStream,
  c: Connection,
  filter: MessageFilter,
  upTo: number,
  comma: boolean,
  failure: () => Error | null,
  urlOf: (c: Connection) => URL,
): Promise<number> {
  const url = urlOf(c);
  const entry = harEntry(c, url);
  const text = JSON.stringify(entry, null, 2).replace(/\n/g, '\n      ');
  // The entry without its closing brace; the frames follow as its last field.
  await writeText(stream, `${comma ? ',\n' : ''}      ${text.slice(0, text.lastIndexOf('}')).trimEnd()},\n        "_webSocketMessages": [`, failure);
  const frameFilter: MessageFilter = { ...filter, endpoint: c.endpoint, events: ['frame-out', 'frame-in'], destinations: [c.destination] };
  if (c.connection !== null) frameFilter.connection = c.connection;
  let n = 0;
  for await (const chunk of snapshotChunks(store, frameFilter, upTo)) {
    let out = '';
    for (const m of chunk) {
      if ((m.connection ?? null) !== c.connection) continue;
      out += `${n > 0 ? ',' : ''}\n          ${JSON.stringify(harFrame(m))}`;
      n += 1;
    }
    await writeText(stream, out, failure);
  }
  await writeText(stream, `${n > 0 ? '\n        ' : ''}]\n      }`, failure);
  return n;
}

/** One frame as Chrome writes it; times in seconds since the epoch, as fractional as the capture. */
export function harFrame(m: StoredMessage): HarWebSocketMessage {
  const bytes = Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength);
  const binary = m.meta?.opcode === 'binary';
  const f: HarWebSocketMessage = {
    type: m.event === 'frame-out' ? 'send' : 'receive',
    time: m.time / 1000,
    opcode: binary ? HAR_OPCODE_BINARY : HAR_OPCODE_TEXT,
    data: bytes.toString(binary ? 'base64' : 'utf8'),
  };
  if (!binary && !isUtf8(bytes)) f._flowscopeBase64 = bytes.toString('base64');
  return f;
}

function harEntry(c: Connection, url: URL): Record<string, JsonValue> {
  const started = timeProblem(c.start) ? new Date(0) : new Date(c.start);
  const requestHeaders: HarHeader[] = [
    { name: 'Host', value: url.host },
    { name: 'Upgrade', value: 'websocket' },
    { name: 'Connection', value: 'Upgrade' },
    { name: 'Sec-WebSocket-Version', value: '13' },
  ];
  const responseHeaders: HarHeader[] = [
    { name: 'Upgrade', value: 'websocket' },
    { name: 'Connection', value: 'Upgrade' },
  ];
  if (c.subprotocol) {
    requestHeaders.push({ name: 'Sec-WebSocket-Protocol', value: c.subprotocol });
    responseHeaders.push({ name: 'Sec-WebSocket-Protocol', value: c.subprotocol });
  }
  const entry: Record<string, JsonValue> = {
    startedDateTime: started.toISOString(),
    time: 0,
    request: {
      method: 'GET',
      url: url.toString(),
      httpVersion: 'HTTP/1.1',
      headers: requestHeaders as unknown as JsonValue,
      queryString: [...url.searchParams].map(([name, value]) => ({ name, value })),
      cookies: [],
      headersSize: -1,
      bodySize: 0,
    },
    response: {
      status: 101,
      statusText: 'Switching Protocols',
      httpVersion: 'HTTP/1.1',
      headers: responseHeaders as unknown as JsonValue,
      cookies: [],
      content: { size: 0, mimeType: 'x-unknown' },
      redirectURL: '',
      headersSize: -1,
      bodySize: 0,
      _transferSize: 0,
      _error: null,
    },
    cache: {},
    timings: { blocked: -1, dns: -1, ssl: -1, connect: -1, send: 0, wait: 0, receive: 0 },
    _resourceType: 'websocket',
  };
  if (c.connection !== null) entry.connection = c.connection;
  return entry;
}
