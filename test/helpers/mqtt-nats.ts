import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createConnection, type Socket } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { Recorder } from '../../src/core/engine/recorder.ts';
import type { EndpointState } from '../../src/core/engine/recorder.ts';
import type { Connector, CaptureSink } from '../../src/core/connectors/types.ts';
import { createEnricher } from '../../src/core/analysis/correlation.ts';
import { tmpDir, waitFor } from './tmp.ts';

const run = promisify(execFile);

export const MQTT_URL = `mqtt://${process.env.MQTT_HOST ?? '127.0.0.1'}:${process.env.MQTT_PORT ?? 1883}`;
export const NATS_HOST = process.env.NATS_HOST ?? '127.0.0.1';
export const NATS_PORT = Number(process.env.NATS_PORT ?? 4222);
export const NATS_URL = `nats://${NATS_HOST}:${NATS_PORT}`;

/** A topic or subject prefix no other run uses. */
export function runPrefix(): string {
  return `fsbrokers${randomBytes(4).toString('hex')}`;
}

/** Debian's mosquitto_pub (mosquitto-clients): a client Flowscope does not share code with. */
export async function mosquittoPub(args: string[], input?: Buffer): Promise<void> {
  const host = new URL(MQTT_URL);
  const child = run('mosquitto_pub', ['-h', host.hostname, '-p', host.port, ...args]);
  if (input) {
    child.child.stdin!.end(input);
  }
  await child;
}

export interface TapRecording {
  store: SessionStore;
  recorder: Recorder;
  states: EndpointState[];
  /** Flushes and counts what is stored. */
  stored(filter?: Parameters<SessionStore['count']>[0]): number;
  close(): Promise<void>;
}

/** A session with one connector, started and recording (its subscriptions in place). */
export async function tapRecording(make: (sink: CaptureSink) => Connector): Promise<TapRecording> {
  const store = SessionStore.create(path.join(tmpDir(), 'tap.flowscope'));
  const states: EndpointState[] = [];
  const recorder = new Recorder(store, { flushMs: 50, enrich: createEnricher(), onStatus: (s) => states.push(s) });
  const connector = make(recorder.sink('tap'));
  await recorder.add(connector);
  await waitFor('the tap recording', () => states.at(-1)?.status === 'recording', 15_000);
  return {
    store,
    recorder,
    states,
    stored: (filter = {}) => {
      recorder.flush();
      return store.count(filter);
    },
    close: async () => {
      await recorder.stop();
      store.close();
    },
  };
}

/**
 * A NATS client written against the wire protocol (docs.nats.io, "Client Protocol"), so the
 * traffic the tap records comes from code that shares nothing with nats.js.
 */
export interface RawNatsMsg {
  subject: string;
  reply: string | null;
  /** The header block as received (HMSG), else null. */
  headers: string | null;
  payload: Buffer;
}

export class RawNats {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private readonly subs = new Map<string, (m: RawNatsMsg) => void>();
  private nextSid = 0;

  private constructor(private readonly sock: Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (;;) {
        const i = this.buf.indexOf('\r\n');
        if (i < 0) return;
        const line = this.buf.toString('latin1', 0, i);
        const msg = /^(H?MSG) (\S+) (\S+)(?: (\S+))?(?: (\d+))? (\d+)$/.exec(line);
        if (msg) {
          // MSG subject sid [reply] size; HMSG subject sid [reply] hdr total.
          const isH = msg[1] === 'HMSG';
          const total = Number(msg[6]);
          if (this.buf.length < i + 2 + total + 2) return;
          let reply: string | null = msg[4] ?? null;
          let hdr = msg[5] !== undefined ? Number(msg[5]) : 0;
          if (isH && msg[5] === undefined) {
            // HMSG without reply: the optional group took the header size.
            hdr = Number(reply);
            reply = null;
          }
          const body = this.buf.subarray(i + 2, i + 2 + total);
          this.buf = this.buf.subarray(i + 2 + total + 2);
          this.subs.get(msg[3]!)?.({ subject: msg[2]!, reply, headers: isH ? body.subarray(0, hdr).toString('utf8') : null, payload: Buffer.from(body.subarray(hdr)) });
          continue;
        }
        this.buf = this.buf.subarray(i + 2);
        if (line === 'PING') sock.write('PONG\r\n');
        else if (line === 'PONG') this.waiters.shift()?.();
        else if (line.startsWith('-ERR')) sock.destroy(new Error(line));
      }
    });
  }

  /** `port`: another port than the server's (a proxy in front of it). */
  static async connect(port = NATS_PORT): Promise<RawNats> {
    const sock = createConnection({ host: NATS_HOST, port });
    await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
    const c = new RawNats(sock);
    sock.write(`CONNECT ${JSON.stringify({ verbose: false, pedantic: false, headers: true, name: 'raw-test-client', lang: 'raw', version: '0' })}\r\n`);
    await c.ping();
    return c;
  }

  /** SUB; resolves once the server has it. */
  async sub(subject: string, onMsg: (m: RawNatsMsg) => void): Promise<void> {
    const sid = String(++this.nextSid);
    this.subs.set(sid, onMsg);
    this.sock.write(`SUB ${subject} ${sid}\r\n`);
    await this.ping();
  }

  /** PUB, or HPUB when there are headers; payload bytes as given. */
  pub(subject: string, payload: Buffer | string, opts: { reply?: string; headers?: [string, string][] } = {}): void {
    const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
    const reply = opts.reply ? ` ${opts.reply}` : '';
    if (opts.headers) {
      const hdr = Buffer.from(`NATS/1.0\r\n${opts.headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`, 'utf8');
      this.sock.write(Buffer.concat([Buffer.from(`HPUB ${subject}${reply} ${hdr.length} ${hdr.length + body.length}\r\n`), hdr, body, Buffer.from('\r\n')]));
    } else {
      this.sock.write(Buffer.concat([Buffer.from(`PUB ${subject}${reply} ${body.length}\r\n`), body, Buffer.from('\r\n')]));
    }
  }

  /** Resolves once the server has processed everything sent before it. */
  ping(): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.sock.write('PING\r\n');
    });
  }

  close(): void {
    this.sock.end();
  }
}
