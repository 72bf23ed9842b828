import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

/**
 * The demo's backend: one WebSocket server with three routes, each showing one pattern.
 *
 * - `/rpc`: JSON-RPC 2.0 `getQuote`. Most replies come within tens of milliseconds, every
 *   7th id takes up to 1.5 s, every 19th is never answered, unknown methods get an error.
 * - `/events`: publish-subscribe. `?role=publisher` connections publish; every other
 *   connection is a subscriber and receives each publication (text or binary) verbatim.
 * - `/notify`: JSON-RPC notifications (no id, no reply). After `rotateEvery` of them the
 *   server announces `session.closing` and closes at once, so a client that answers the
 *   announcement sends to a peer that is already closing.
 */
export interface DemoServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface DemoServerOptions {
  /** Notifications a /notify connection carries before the server rotates it. */
  rotateEvery?: number;
}

const SYMBOLS = ['ACME', 'GLOBX', 'INITECH', 'UMBRL', 'WAYNE'];

export async function startDemoServer(opts: DemoServerOptions = {}): Promise<DemoServer> {
  const rotateEvery = opts.rotateEvery ?? 25;
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', () => resolve());
    wss.once('error', reject);
  });
  const timers = new Set<NodeJS.Timeout>();
  const subscribers = new Set<WebSocket>();
  const prices = new Map(SYMBOLS.map((s, i) => [s, 40 + i * 35]));

  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const rpc = (ws: WebSocket, text: string): void => {
    let req: { id?: unknown; method?: unknown; params?: { symbol?: unknown } };
    try {
      req = JSON.parse(text) as typeof req;
    } catch {
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }));
      return;
    }
    if (req.id === undefined) return; // a notification: JSON-RPC says no reply
    const id = req.id;
    if (req.method !== 'getQuote') {
      ws.send(JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32601, message: `Method not found: ${String(req.method)}` } }));
      return;
    }
    const n = typeof id === 'number' ? id : 1;
    if (n % 19 === 0) return; // the request the demo "loses"
    const symbol = typeof req.params?.symbol === 'string' && prices.has(req.params.symbol) ? req.params.symbol : 'ACME';
    const delay = n % 7 === 0 ? 600 + ((n * 37) % 900) : 5 + ((n * 13) % 40);
    later(delay, () => {
      if (ws.readyState !== WebSocket.OPEN) return;
      const price = (prices.get(symbol) ?? 50) * (1 + (((n * 7919) % 21) - 10) / 1000);
      prices.set(symbol, price);
      const result = { symbol, price: Math.round(price * 100) / 100, currency: 'EUR', asOf: new Date().toISOString() };
      ws.send(JSON.stringify({ jsonrpc: '2.0', id, result }));
    });
  };

  wss.on('connection', (ws, req) => {
    ws.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'ws://demo');
    if (url.pathname === '/rpc') {
      ws.on('message', (data, isBinary) => {
        if (!isBinary) rpc(ws, String(data));
      });
    } else if (url.pathname === '/events' && url.searchParams.get('role') === 'publisher') {
      ws.on('message', (data, isBinary) => {
        for (const sub of subscribers) if (sub.readyState === WebSocket.OPEN) sub.send(data as Buffer, { binary: isBinary });
      });
    } else if (url.pathname === '/events') {
      subscribers.add(ws);
      ws.on('close', () => subscribers.delete(ws));
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        const msg = safeJson(String(data)) as { type?: string; topics?: unknown } | null;
        if (msg?.type === 'subscribe') ws.send(JSON.stringify({ type: 'subscribed', topics: msg.topics ?? [] }));
      });
    } else if (url.pathname === '/notify') {
      let seen = 0;
      ws.on('message', () => {
        seen += 1;
        if (seen !== rotateEvery) return;
        ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'session.closing', params: { reason: 'rotating connection' } }));
        ws.close(1001, 'rotating connection');
      });
    } else {
      ws.close(4404, `no such demo route: ${url.pathname}`);
    }
  });

  const { port } = wss.address() as AddressInfo;
  return {
    port,
    url: `ws://127.0.0.1:${port}`,
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
