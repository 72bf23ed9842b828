import type { CapturedMessage } from '../../shared/model.ts';
import { eventTimeOf } from '../common/event-time.ts';
import type { UndeliveredConfig } from './config.ts';
import type { Correlation } from './correlation.ts';
import { FifoMap } from './fifo-map.ts';
import { metaNumber, metaString } from './identity.ts';
import type { PendingRequest } from './pairing.ts';
import { ids } from './topology-ids.ts';
import type { EdgeHint, UndeliveredSink } from './undelivered-sink.ts';

interface Conn {
  endpoint: string;
  connection: string;
  path: string;
  closed: boolean;
  closedBy: string | null;
  code: number | null;
  /** The last frames sent, for deciding what was in flight when the connection dropped. */
  recent: RecentFrame[];
  /** Seqs already reported as lost when the connection dropped. */
  lost: Set<number> | null;
}

interface RecentFrame {
  seq: number;
  time: number;
  toServer: boolean;
  /** JSON-RPC request id, to know when its reply proved it arrived. */
  rpcId: string | null;
  answered: boolean;
}

const RECENT_FRAMES = 32;
const MAX_CLOSED = 10_000;

/**
 * Close codes after which nothing in flight can be trusted to have arrived: 1006 (the TCP
 * connection died without a close frame) and 1015 (TLS failure). RFC 6455 §7.4.1.
 */
export function isAbnormalClose(m: CapturedMessage): boolean {
  const code = metaNumber(m.meta, 'code');
  return code === null || code === 1006 || code === 1015;
}

/**
 * WebSocket (event time is capture time here: frames carry no clock of their own): frames the proxy could not deliver (`meta.dropped`: the other side was closing
 * or closed) or recorded after the connection's close; frames in flight towards a side
 * whose connection dropped abnormally; JSON-RPC requests still open when it closed (told by
 * the pair tracker through `requestLeftOpen`).
 */
export class WsUndelivered {
  private readonly open = new Map<string, Conn>();
  private readonly closed = new FifoMap<string, Conn>();

  constructor(
    private readonly cfg: UndeliveredConfig,
    private readonly sink: UndeliveredSink,
  ) {}

  ingest(m: CapturedMessage & { seq: number }, c: Correlation): void {
    const key = `${m.endpoint}\0${m.connection ?? ''}`;
    if (m.event === 'open') {
      this.closed.delete(key);
      this.open.set(key, this.fresh(m));
      return;
    }
    if (m.event === 'frame-in' || m.event === 'frame-out') {
      const conn = this.open.get(key) ?? this.closed.get(key) ?? this.adopt(key, m);
      const toServer = m.event === 'frame-out';
      if (m.meta?.dropped === true || conn.closed) {
        this.sink.add(this.item(m, 'sent-after-close', afterClose(toServer, conn)), [edgeOf(conn, toServer)]);
        return;
      }
      const r = conn.recent;
      if (c.role === 'reply' && c.correlationId !== null) {
        // A reply proves its request arrived.
        for (const f of r) if (f.rpcId === c.correlationId && f.toServer !== toServer) f.answered = true;
      }
      if (r.length >= RECENT_FRAMES) r.shift();
      r.push({ seq: m.seq, time: eventTimeOf(m), toServer, rpcId: c.role === 'request' ? c.correlationId : null, answered: false });
      return;
    }
    if (m.event === 'close') {
      const conn = this.open.get(key) ?? this.adopt(key, m);
      this.open.delete(key);
      conn.closed = true;
      conn.closedBy = metaString(m.meta, 'by');
      conn.code = metaNumber(m.meta, 'code');
      if (isAbnormalClose(m)) this.lostOnDrop(conn, eventTimeOf(m));
      conn.recent = [];
      if (this.closed.size >= MAX_CLOSED) this.closed.shift();
      this.closed.set(key, conn);
    }
  }

  /** Frames sent in the last moments towards the side whose connection died. */
  private lostOnDrop(conn: Conn, closeTime: number): void {
    // The side that dropped is the one that could not receive; 'proxy' or unknown: both.
    const toward = conn.closedBy === 'server' ? true : conn.closedBy === 'client' ? false : null;
    const code = conn.code ?? 'no code';
    for (const { seq, time, toServer, answered } of conn.recent) {
      if (answered || closeTime - time > this.cfg.wsInFlightMs || (toward !== null && toServer !== toward)) continue;
      (conn.lost ??= new Set()).add(seq);
      const side = toServer ? 'server' : 'client';
      this.sink.add(
        {
          seq,
          time,
          transport: 'ws',
          endpoint: conn.endpoint,
          destination: conn.path,
          reason: 'lost-on-drop',
          explanation: `In flight when the connection dropped without a close handshake (${code}): the ${side} may never have received it.`,
          atEnd: false,
        },
        [edgeOf(conn, toServer)],
      );
    }
  }

  /** The pair tracker found a request its connection closed on. */
  requestLeftOpen(req: PendingRequest, abnormal: boolean): void {
    const conn = this.closed.get(req.connKey ?? '');
    if (conn?.lost?.has(req.seq)) return;
    const what = `Request ${req.method ? `"${req.method}" ` : ''}(id ${req.correlationId})`;
    const code = conn?.code ?? null;
    const toServer = req.outbound !== false;
    this.sink.add(
      {
        seq: req.seq,
        time: req.time,
        transport: 'ws',
        endpoint: req.endpoint,
        destination: req.label,
        reason: abnormal ? 'lost-on-drop' : 'unanswered-before-close',
        explanation: abnormal
          ? `${what} was waiting for its reply when the connection dropped (${code ?? 'no code'}).`
          : `${what} got no reply before the connection closed${code !== null ? ` (${code})` : ''}.`,
        atEnd: false,
      },
      conn ? [edgeOf(conn, toServer)] : [],
    );
  }

  private fresh(m: CapturedMessage): Conn {
    return {
      endpoint: m.endpoint,
      connection: m.connection ?? '',
      path: m.destination,
      closed: false,
      closedBy: null,
      code: null,
      recent: [],
      lost: null,
    };
  }

  /** A connection whose open was not recorded (the tap started mid-conversation). */
  private adopt(key: string, m: CapturedMessage): Conn {
    const conn = this.fresh(m);
    this.open.set(key, conn);
    return conn;
  }

  private item(m: CapturedMessage & { seq: number }, reason: 'sent-after-close', explanation: string) {
    return { seq: m.seq, time: eventTimeOf(m), transport: m.transport, endpoint: m.endpoint, destination: m.destination, reason, explanation, atEnd: false };
  }
}

function edgeOf(conn: Conn, toServer: boolean): EdgeHint {
  const client = ids.wsClient(conn.endpoint, conn.connection);
  const server = ids.wsServer(conn.endpoint, conn.path);
  return toServer ? [client, server] : [server, client];
}

function afterClose(toServer: boolean, conn: Conn): string {
  const sender = toServer ? 'client' : 'server';
  const peer = toServer ? 'server' : 'client';
  if (!conn.closed) return `Sent by the ${sender} while the ${peer} was closing the connection: it was not delivered.`;
  const by = conn.closedBy === peer ? `the ${peer}` : conn.closedBy === sender ? `the ${sender} itself` : conn.closedBy === 'proxy' ? 'Flowscope' : null;
  const code = conn.code !== null ? ` (${conn.code})` : '';
  const closed = by ? `${by} had closed the connection` : 'the connection had closed';
  return `Sent by the ${sender} after ${closed}${code}: nobody read it.`;
}
