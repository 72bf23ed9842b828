import http from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { answer, fromText, toText, type ServerMessage } from '../../shared/envelope.ts';
import type { Engine } from '../engine/engine.ts';
import { serveStatic } from './static.ts';

/** What the bridge needs of an engine: the in-process Engine, or an EngineHost relaying to its process. */
export type BridgeEngine = Pick<Engine, 'handle' | 'onEvent'>;

export interface BridgeOptions {
  engine: BridgeEngine;
  /** 0 picks a free port. */
  port?: number;
  /** The built renderer (out/renderer); without it only the socket is served. */
  staticDir?: string;
  /** Given for tests; otherwise a fresh random token. */
  token?: string;
}

export interface Bridge {
  port: number;
  token: string;
  /** The page to open, token included. */
  url: string;
  close(): Promise<void>;
}

/** Past this much unsent data a slow client misses live batches (it re-queries instead). */
const MAX_BUFFERED = 8 * 1024 * 1024;

function tokenMatches(expected: string, given: string | null): boolean {
  if (!given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The InspectorApi over a WebSocket, for the browser build, `flowscope serve` and the
 * end-to-end tests. Listens on 127.0.0.1 only and refuses any socket without the token.
 */
export async function startBridge(opts: BridgeOptions): Promise<Bridge> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  let port = 0;
  const server = http.createServer((req, res) => {
    if (opts.staticDir) serveStatic(opts.staticDir, port, req, res);
    else res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const clients = new Set<WebSocket>();

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const origin = req.headers.origin;
    const originOk = !origin || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
    if (url.pathname !== '/bridge' || !tokenMatches(token, url.searchParams.get('token')) || !originOk) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      ws.on('error', () => clients.delete(ws));
      ws.on('message', (data, isBinary) => void onMessage(ws, data.toString(), isBinary));
    });
  });

  const send = (ws: WebSocket, msg: ServerMessage): void => {
    if (ws.readyState === ws.OPEN) ws.send(toText(msg));
  };

  async function onMessage(ws: WebSocket, text: string, isBinary: boolean): Promise<void> {
    const raw = isBinary ? undefined : fromText(text);
    if (raw === undefined) {
      ws.close(1003, 'expected JSON requests');
      return;
    }
    send(ws, await answer(raw, (channel, input) => opts.engine.handle(channel, input)));
  }

  const unsubscribe = opts.engine.onEvent((msg) => {
    const text = toText(msg);
    for (const ws of clients) {
      if (msg.event === 'main:traffic:batch' && ws.bufferedAmount > MAX_BUFFERED) continue;
      if (ws.readyState === ws.OPEN) ws.send(text);
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    close: async () => {
      unsubscribe();
      for (const ws of clients) ws.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
