import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import type { RawData } from 'ws';
import type { CapturedMessage, JsonValue } from '../../../shared/model.ts';
import { WS_CLOSE_GRACE_MS, WS_HIGH_WATER } from '../../common/constants.ts';
import { errorText } from '../../common/errors.ts';
import { closeReason, mirrorClose, wsMessage } from './common.ts';
import type { WsCloseBy } from './common.ts';

export interface LinkInfo {
  endpoint: string;
  connection: string;
  /** The client's request path: the recorded destination. */
  path: string;
}

/**
 * A frame's meta, one frozen object per kind: nothing changes a capture's meta once it is
 * made, and the relay thread's batches carry each distinct meta once (relay-batch.ts).
 */
const FRAME_META = {
  text: Object.freeze({ opcode: 'text' }),
  binary: Object.freeze({ opcode: 'binary' }),
  textDropped: Object.freeze({ opcode: 'text', dropped: true }),
  binaryDropped: Object.freeze({ opcode: 'binary', dropped: true }),
};

function frameMeta(binary: boolean, dropped: boolean): Readonly<Record<string, JsonValue>> {
  if (dropped) return binary ? FRAME_META.binaryDropped : FRAME_META.textDropped;
  return binary ? FRAME_META.binary : FRAME_META.text;
}

/**
 * One proxied connection: the client's leg (accepted by the proxy) and the server's leg
 * (opened by the proxy towards the target). Frames are relayed as whole messages, with
 * their text/binary opcode and their exact bytes; fragmentation is not reproduced.
 */
export class Link {
  private closeRecorded = false;
  private readonly done: Promise<void>;
  private closedLegs = 0;
  private resolveDone!: () => void;
  private graceTimer: NodeJS.Timeout | null = null;
  /** Reading held by the recorder falling behind (see `hold`), apart from each leg's own backpressure. */
  private held = false;
  /** Legs whose reading waits for the other leg's socket to drain. */
  private readonly draining = new Set<WebSocket>();

  constructor(
    private readonly info: LinkInfo,
    private readonly client: WebSocket,
    private readonly server: WebSocket,
    private readonly record: (msg: CapturedMessage) => void,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.relay(client, server, 'frame-out');
    this.relay(server, client, 'frame-in');
    this.relayControl(client, server);
    this.relayControl(server, client);
    this.watch(client, server, 'client');
    this.watch(server, client, 'server');
  }

  /** Resolves once both legs are closed. */
  get closed(): Promise<void> {
    return this.done;
  }

  /** Ends both legs with 1001 (going away), as the proxy shutting down. */
  shutdown(reason = 'Flowscope proxy stopped'): Promise<void> {
    this.recordClose('proxy', 1001, reason);
    for (const ws of [this.client, this.server]) {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1001, reason);
    }
    this.armGrace();
    return this.done;
  }

  /**
   * Stops reading both legs until `release`: the recorder is behind, so frames wait in the
   * peers' TCP buffers rather than in the proxy's memory.
   */
  hold(): void {
    this.held = true;
    for (const ws of [this.client, this.server]) if (ws.readyState === WebSocket.OPEN) ws.pause();
  }

  release(): void {
    this.held = false;
    for (const ws of [this.client, this.server]) if (ws.isPaused && !this.draining.has(ws)) ws.resume();
  }

  private relay(from: WebSocket, to: WebSocket, event: 'frame-out' | 'frame-in'): void {
    let corked: Socket | null = null;
    from.on('message', (data: RawData, isBinary: boolean) => {
      // binaryType is 'nodebuffer', so data is one Buffer even for a fragmented message.
      const bytes = data as Buffer;
      // The other side is closing or closed: the frame is on the wire but nobody will read it.
      const dropped = to.readyState !== WebSocket.OPEN;
      this.record(this.frame(event, bytes, frameMeta(isBinary, dropped)));
      if (dropped) return;
      const socket = (to as unknown as { _socket?: Socket })._socket;
      // One read from a busy peer often carries many small frames: cork the other leg's
      // socket until the burst is relayed, so they leave in one write instead of one each.
      if (!corked && socket) {
        corked = socket;
        socket.cork();
        process.nextTick(() => {
          corked = null;
          socket.uncork();
        });
      }
      // Forwarded at once, with no per-frame callback (issue 12: waiting on each frame's write
      // kept the proxy idle between bursts). Backpressure is by the other leg's buffer: past
      // the high-water mark this leg stops being read, and the other socket's 'drain' (its
      // buffer written out) resumes it. TCP then slows the fast peer, so memory stays bounded.
      to.send(bytes, { binary: isBinary, compress: false });
      if (!this.draining.has(from) && socket && to.bufferedAmount > WS_HIGH_WATER) {
        this.draining.add(from);
        from.pause();
        const resume = (): void => {
          this.draining.delete(from);
          socket.off('drain', resume);
          socket.off('close', resume);
          if (from.isPaused && !this.held) from.resume();
        };
        socket.on('drain', resume);
        socket.on('close', resume);
      }
    });
  }

  /**
   * Pings and pongs cross the proxy (both legs run with autoPong off) so liveness checks stay
   * end to end: a server pinging a client that vanished gets no pong from the proxy instead.
   * They are not recorded.
   */
  private relayControl(from: WebSocket, to: WebSocket): void {
    from.on('ping', (data: Buffer) => {
      if (to.readyState === WebSocket.OPEN) to.ping(data);
    });
    from.on('pong', (data: Buffer) => {
      if (to.readyState === WebSocket.OPEN) to.pong(data);
    });
  }

  private watch(ws: WebSocket, other: WebSocket, side: 'client' | 'server'): void {
    ws.on('error', (err) => {
      this.record(this.frame('error', null, { message: errorText(err), side }));
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.recordClose(side, code, reason.toString('utf8'));
      // Reading may have been paused for this leg's sake; the other leg must read its close.
      if (other.isPaused) other.resume();
      mirrorClose(other, code, reason);
      this.closedLegs += 1;
      if (this.closedLegs === 2) {
        if (this.graceTimer) clearTimeout(this.graceTimer);
        this.resolveDone();
      } else {
        this.armGrace();
      }
    });
  }

  /** A leg that never completes its closing handshake is cut, so stop() always ends. */
  private armGrace(): void {
    if (this.graceTimer) return;
    this.graceTimer = setTimeout(() => {
      this.client.terminate();
      this.server.terminate();
    }, WS_CLOSE_GRACE_MS);
    this.graceTimer.unref();
  }

  private recordClose(by: WsCloseBy, code: number, reason: string): void {
    if (this.closeRecorded) return;
    this.closeRecorded = true;
    this.record(this.frame('close', null, { code, reason: closeReason(reason), by }));
  }

  private frame(
    event: CapturedMessage['event'],
    payload: Uint8Array | null,
    meta: Readonly<Record<string, JsonValue>>,
  ): CapturedMessage {
    return wsMessage(this.info.endpoint, event, this.info.path, this.info.connection, payload, meta);
  }
}
