import { WebSocket } from 'ws';
import { isUtf8 } from 'node:buffer';
import type { DestinationPlan, Publisher, ReplayItem, Settlement } from './types.ts';
import { WS_HANDSHAKE_TIMEOUT_MS, WS_MAX_PAYLOAD } from '../common/constants.ts';
import { hidePassword } from '../common/redact.ts';

const CLOSE_WAIT_MS = 3000;

interface Queued {
  item: ReplayItem;
  settle: (s: Settlement) => void;
}

interface Conn {
  ws: WebSocket;
  url: string;
  open: boolean;
  /** Why the connection can no longer send. */
  dead: Error | null;
  queue: Queued[];
  inflight: number;
  closeWith: { code: number; reason: string } | null;
  /** Settles when the handshake succeeded or failed. */
  ready: Promise<void>;
}

/**
 * Replays the client side of recorded WebSocket connections: each recorded connection gets
 * its own new connection to the target, opened at its recorded `open` (or just before its
 * first frame), carrying its client → server frames in order with their text/binary opcode
 * and exact bytes, and closed where the client closed it. A frame counts as sent once it is
 * written to the socket. The URL is the target's when it has a path, else the target's
 * origin plus the recorded (mapped) path and query.
 */
export class WsPublisher implements Publisher {
  readonly transport = 'ws' as const;
  private readonly conns = new Map<string, Conn>();
  private everOpened = false;
  readonly notes: string[] = [];

  constructor(private readonly target: URL) {}

  async open(_destinations: DestinationPlan[]): Promise<string[]> {
    return [];
  }

  private urlFor(path: string, search: string): string {
    const t = this.target;
    if ((t.pathname === '/' || t.pathname === '') && !t.search) {
      const u = new URL(path.startsWith('/') ? path : `/${path}`, t);
      if (search && !u.search) u.search = search;
      return u.toString();
    }
    return t.toString();
  }

  private conn(item: ReplayItem): Conn {
    const id = item.ws?.key ?? `${item.msg.endpoint}\u0000${item.msg.connection ?? item.destination}`;
    const c = this.conns.get(id);
    if (c) return c;
    const url = this.urlFor(item.destination, item.ws?.search ?? '');
    const sub = item.ws?.subprotocol;
    const ws = new WebSocket(url, sub ? [sub] : [], {
      perMessageDeflate: false,
      maxPayload: WS_MAX_PAYLOAD,
      handshakeTimeout: WS_HANDSHAKE_TIMEOUT_MS,
      followRedirects: false,
    });
    let ready!: () => void;
    const conn: Conn = {
      ws, url, open: false, dead: null, queue: [], inflight: 0, closeWith: null,
      ready: new Promise<void>((r) => (ready = r)),
    };
    this.conns.set(id, conn);
    ws.once('open', () => ready());
    ws.once('close', () => ready());
    ws.on('open', () => {
      conn.open = true;
      this.everOpened = true;
      this.flush(conn);
    });
    ws.on('error', (err) => {
      const fatal = !this.everOpened && !conn.open;
      this.kill(conn, new Error(`cannot use ${hidePassword(url)}: ${err.message}`), fatal);
    });
    ws.on('close', (code, reason) => {
      this.kill(conn, new Error(`the server closed the connection (${code}${reason.length ? ` ${reason.toString()}` : ''})`), false);
    });
    // Frames the server sends back are not part of the replay; reading them keeps the socket flowing.
    ws.on('message', () => undefined);
    return conn;
  }

  prepare(item: ReplayItem): Promise<void> {
    return this.conn(item).ready;
  }

  control(item: ReplayItem): void {
    const c = this.conn(item);
    if (item.action === 'close') {
      const code = typeof item.msg.meta?.code === 'number' ? item.msg.meta.code : 1000;
      const reason = typeof item.msg.meta?.reason === 'string' ? item.msg.meta.reason : '';
      c.closeWith = { code, reason };
      this.maybeClose(c);
    }
  }

  send(item: ReplayItem, settle: (s: Settlement) => void): void {
    const c = this.conn(item);
    if (c.dead) {
      this.settle({ item, settle }, { ok: false, error: c.dead, fatal: !this.everOpened });
      return;
    }
    c.queue.push({ item, settle });
    this.flush(c);
  }

  private flush(c: Conn): void {
    while (c.open && !c.dead && c.queue.length) {
      const q = c.queue.shift()!;
      const bytes = Buffer.from(q.item.msg.payload);
      const opcode = q.item.msg.meta?.opcode;
      const binary = opcode === 'binary' || (opcode !== 'text' && !isUtf8(bytes));
      c.inflight += 1;
      c.ws.send(bytes, { binary, compress: false }, (err) => {
        c.inflight -= 1;
        this.settle(q, err ? { ok: false, error: c.dead ?? err } : { ok: true });
        this.maybeClose(c);
      });
    }
    this.maybeClose(c);
  }

  private maybeClose(c: Conn): void {
    if (!c.closeWith || !c.open || c.queue.length || c.inflight) return;
    const { code, reason } = c.closeWith;
    c.closeWith = null;
    try {
      c.ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // ws refuses codes a client may not send (1004, 1015, …): close normally instead.
      c.ws.close(1000);
    }
  }

  private kill(c: Conn, err: Error, fatal: boolean): void {
    if (c.dead) return;
    c.dead = err;
    c.open = false;
    for (const q of c.queue.splice(0)) this.settle(q, { ok: false, error: err, fatal });
  }

  private settle(q: Queued, s: Settlement): void {
    q.settle(s);
  }

  abort(): void {
    for (const c of this.conns.values()) {
      for (const q of c.queue.splice(0)) this.settle(q, { ok: false, cancelled: true });
    }
  }

  /** Ends every connection still open, as a client finishing normally would. */
  async close(): Promise<void> {
    await Promise.all(
      [...this.conns.values()].map(async (c) => {
        const ws = c.ws;
        if (ws.readyState === WebSocket.CLOSED) return;
        const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
        if (ws.readyState === WebSocket.OPEN) ws.close(1000, 'Flowscope replay finished');
        else if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
        const timer = setTimeout(() => ws.terminate(), CLOSE_WAIT_MS);
        await closed;
        clearTimeout(timer);
      }),
    );
  }
}
