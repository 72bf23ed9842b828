import { WebSocket } from 'ws';
import type { RawData } from 'ws';

/** Small seeded PRNG (mulberry32): the same seed gives the same demo traffic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One demo client connection that comes back after the server closes it, like a real
 * client library would, until the demo stops.
 */
class Peer {
  private ws: WebSocket | null = null;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(
    private readonly url: string,
    private readonly onOpen: (peer: Peer) => void = () => undefined,
    private readonly onMessage: (peer: Peer, data: RawData, isBinary: boolean) => void = () => undefined,
  ) {}

  /** Resolves on the first open (or rejects when the first attempt fails). */
  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url);
      this.ws = ws;
      let opened = false;
      ws.on('open', () => {
        opened = true;
        this.onOpen(this);
        resolve();
      });
      ws.on('message', (data, isBinary) => this.onMessage(this, data, isBinary));
      ws.on('error', (err) => {
        if (!opened) reject(err);
      });
      ws.on('close', () => {
        if (this.ws === ws) this.ws = null;
        if (this.stopped) return;
        this.retry = setTimeout(() => {
          this.retry = null;
          // A failed connect closes the socket, and 'close' schedules the next try.
          this.connect().catch(() => undefined);
        }, 700);
      });
    });
  }

  get open(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  send(data: string | Buffer): void {
    const ws = this.ws;
    // Sends on a closing socket fail quietly, as fire-and-forget does.
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(data, { binary: typeof data !== 'string' }, () => undefined);
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    ws.close(1000, 'demo finished');
    const cut = setTimeout(() => ws.terminate(), 2000);
    await closed;
    clearTimeout(cut);
  }
}

const SYMBOLS = ['ACME', 'GLOBX', 'INITECH', 'UMBRL', 'WAYNE'];

export interface TrafficOptions {
  /** Client messages per second across all patterns. */
  rate: number;
  seed: number;
}

/**
 * The demo's clients, all connected through the recording proxy: a JSON-RPC caller, a
 * publisher with three subscribers, and a notifier that keeps talking to a server that
 * rotates its connection.
 */
export class DemoTraffic {
  private readonly peers: Peer[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly random: () => number;
  private rpcId = 0;
  private eventId = 0;
  private noteId = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly opts: TrafficOptions,
  ) {
    this.random = prng(opts.seed);
  }

  async start(): Promise<void> {
    const subscribe = (name: string) => (p: Peer) =>
      p.send(JSON.stringify({ type: 'subscribe', topics: ['prices'], subscriber: name }));
    const rpc = new Peer(`${this.baseUrl}/rpc`);
    const publisher = new Peer(`${this.baseUrl}/events?role=publisher`);
    const subscribers = ['alpha', 'beta', 'gamma'].map(
      (name) => new Peer(`${this.baseUrl}/events?role=subscriber&name=${name}`, subscribe(name)),
    );
    const notifier = new Peer(`${this.baseUrl}/notify`, undefined, (p, data) => {
      // Answer the server's goodbye at once: this lands on a peer that is already closing.
      if (String(data).includes('"session.closing"')) p.send(this.notification('audit.flush'));
    });
    this.peers.push(rpc, publisher, ...subscribers, notifier);
    await Promise.all(this.peers.map((p) => p.connect()));
    const interval = Math.max(5, Math.round(1000 / this.opts.rate));
    this.timer = setInterval(() => this.tick(rpc, publisher, notifier), interval);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.all(this.peers.map((p) => p.close()));
  }

  private tick(rpc: Peer, publisher: Peer, notifier: Peer): void {
    const r = this.random();
    const symbol = SYMBOLS[Math.floor(this.random() * SYMBOLS.length)]!;
    if (r < 0.4) {
      this.rpcId += 1;
      // Now and then a typo'd method, which the server answers with a JSON-RPC error.
      const method = this.random() < 0.04 ? 'getQuotes' : 'getQuote';
      rpc.send(JSON.stringify({ jsonrpc: '2.0', id: this.rpcId, method, params: { symbol } }));
    } else if (r < 0.75) {
      this.eventId += 1;
      if (this.eventId % 10 === 0) {
        publisher.send(binaryTick(this.eventId, symbol, this.random));
      } else {
        const price = Math.round((50 + this.random() * 150) * 100) / 100;
        publisher.send(JSON.stringify({ type: 'price', eventId: this.eventId, symbol, price, time: Date.now() }));
      }
    } else {
      notifier.send(this.notification('audit.log'));
    }
  }

  private notification(method: string): string {
    this.noteId += 1;
    return JSON.stringify({ jsonrpc: '2.0', method, params: { seq: this.noteId, level: 'info', time: Date.now() } });
  }
}

/** A compact binary market tick: magic "TICK", event id, symbol index, price (float64). */
function binaryTick(eventId: number, symbol: string, random: () => number): Buffer {
  const b = Buffer.alloc(18);
  b.write('TICK', 0, 'latin1');
  b.writeUInt32BE(eventId, 4);
  b.writeUInt16BE(SYMBOLS.indexOf(symbol), 8);
  b.writeDoubleBE(50 + random() * 150, 10);
  return b;
}
