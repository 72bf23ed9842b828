import { execFile, spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { connect } from 'amqplib';
import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import type { MessageFilter } from '../../src/shared/filter.ts';
import type { JsonValue, StoredMessage } from '../../src/shared/model.ts';
import { storableConfig } from '../../src/core/common/endpoint-label.ts';
import { AmqpConnector } from '../../src/core/connectors/amqp/index.ts';
import type { AmqpConnectorOptions } from '../../src/core/connectors/amqp/index.ts';
import type { EndpointState } from '../../src/core/engine/recorder.ts';
import { Recorder } from '../../src/core/engine/recorder.ts';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { PYTHON, tmpDir } from './tmp.ts';

const run = promisify(execFile);
export const AMQP_HOST = process.env.AMQP_HOST ?? '127.0.0.1';
export const AMQP_PORT = Number(process.env.AMQP_PORT ?? 5672);
export const FIXTURES = path.resolve(import.meta.dirname, '..', 'fixtures');

export function suffix(): string {
  return randomBytes(4).toString('hex');
}

/** Runs rabbitmqctl (the broker is local to the tests); returns stdout. */
export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', args, { timeout: 120_000 });
  return stdout;
}

/** A vhost of the test's own, so the firehose and queues see only this test's traffic. */
export interface TestVhost {
  name: string;
  /** amqp://guest:guest@host:port/<vhost> */
  url: string;
  trace(on: boolean): Promise<void>;
  dispose(): Promise<void>;
}

export async function createVhost(): Promise<TestVhost> {
  const name = `flowscope-test-${suffix()}`;
  await rabbitmqctl('add_vhost', name);
  await rabbitmqctl('set_permissions', '-p', name, 'guest', '.*', '.*', '.*');
  return {
    name,
    url: `amqp://guest:guest@${AMQP_HOST}:${AMQP_PORT}/${encodeURIComponent(name)}`,
    trace: async (on) => void (await rabbitmqctl(on ? 'trace_on' : 'trace_off', '-p', name)),
    dispose: async () => {
      await rabbitmqctl('trace_off', '-p', name).catch(() => {});
      await rabbitmqctl('delete_vhost', name).catch(() => {});
    },
  };
}

/** A plain amqplib client: declares topology and publishes with confirms. */
export class AmqpClient {
  private constructor(
    readonly conn: ChannelModel,
    readonly ch: ConfirmChannel,
  ) {}

  static async open(url: string): Promise<AmqpClient> {
    const conn = await connect(url);
    conn.on('error', () => {});
    const ch = await conn.createConfirmChannel();
    ch.on('error', () => {});
    return new AmqpClient(conn, ch);
  }

  async publish(exchange: string, key: string, body: string | Buffer, opts: Options.Publish = {}): Promise<void> {
    this.ch.publish(exchange, key, Buffer.isBuffer(body) ? body : Buffer.from(body), opts);
    await this.ch.waitForConfirms();
  }

  async close(): Promise<void> {
    await this.conn.close().catch(() => {});
  }
}

/** Publishes one message with amqp-publish from amqp-tools (an ordinary C client). */
export async function amqpPublishCli(o: {
  url: string;
  exchange: string;
  key: string;
  body: string;
  contentType?: string;
  replyTo?: string;
  persistent?: boolean;
  headers?: Record<string, string>;
}): Promise<void> {
  const args = ['-u', o.url, '-e', o.exchange, '-r', o.key, '-b', o.body];
  if (o.contentType) args.push('-C', o.contentType);
  if (o.replyTo) args.push('-t', o.replyTo);
  if (o.persistent) args.push('-p');
  for (const [k, v] of Object.entries(o.headers ?? {})) args.push('-H', `${k}: ${v}`);
  await run('amqp-publish', args, { timeout: 30_000 });
}

/** Runs a python fixture to completion; returns its stdout. */
export async function runPython(script: string, args: string[]): Promise<string> {
  const { stdout } = await run(PYTHON, [path.join(FIXTURES, script), ...args], { timeout: 60_000 });
  return stdout;
}

/** A long-running python fixture whose stdout lines are collected. */
export interface PythonProc {
  child: ChildProcessWithoutNullStreams;
  lines: string[];
  exited: Promise<number>;
  stop(): void;
}

export function spawnPython(script: string, args: string[]): PythonProc {
  const child = spawn(PYTHON, [path.join(FIXTURES, script), ...args]);
  const lines: string[] = [];
  let buf = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number>((resolve) =>
    child.on('exit', (code) => {
      if (code) process.stderr.write(`${script} exited ${code}: ${err}\n`);
      resolve(code ?? 0);
    }),
  );
  return { child, lines, exited, stop: () => void (child.exitCode === null && child.kill('SIGTERM')) };
}

/** A recorder writing one AMQP endpoint into a fresh session file. */
export interface AmqpRecording {
  store: SessionStore;
  recorder: Recorder;
  connector: AmqpConnector;
  /** The endpoint's settings as a session file stores them. */
  storedConfig: Record<string, JsonValue>;
  /** Every status the endpoint went through, in order. */
  statuses: EndpointState[];
  /** Latest status. */
  status(): EndpointState | undefined;
  /** Stored messages matching a filter (flushes first). */
  messages(filter?: MessageFilter): StoredMessage[];
  /** Stops recording (connector and flush); the store stays readable. */
  stop(): Promise<void>;
  /** Stops and closes the store. */
  close(): Promise<void>;
}

export function amqpRecording(opts: Omit<AmqpConnectorOptions, 'id'> & { id?: string }): AmqpRecording {
  const dir = tmpDir('flowscope-amqp-');
  const store = SessionStore.create(path.join(dir, 'session.fsession'));
  const statuses: EndpointState[] = [];
  const recorder = new Recorder(store, { flushMs: 50, onStatus: (s) => statuses.push(s) });
  const id = opts.id ?? 'rabbit';
  const connector = new AmqpConnector({ ...opts, id }, recorder.sink(id));
  let stopped = false;
  let closed = false;
  const { url, exchanges, queues, firehose, managementUrl } = opts;
  const storedConfig = storableConfig({
    kind: 'amqp',
    url,
    exchanges,
    ...(queues ? { queues } : {}),
    ...(firehose !== undefined ? { firehose } : {}),
    ...(managementUrl ? { managementUrl } : {}),
  });
  return {
    store,
    recorder,
    connector,
    storedConfig,
    statuses,
    status: () => statuses.at(-1),
    messages(filter = {}) {
      recorder.flush();
      const rows = store.rows(filter, { limit: 100_000 });
      return rows.map((r) => store.get(r.seq)!);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await recorder.stop();
    },
    async close() {
      await this.stop();
      if (!closed) store.close();
      closed = true;
    },
  };
}
