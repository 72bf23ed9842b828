import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CaptureSink, Connector } from '../types.ts';
import { hideUserinfo } from '../../common/redact.ts';
import type { WsProxyOptions } from './proxy.ts';
import type { FromRelay, RelayData, ToRelay } from './relay-protocol.ts';
import { unpackRelayBatch } from './relay-batch.ts';

/**
 * A recording proxy on a thread of its own (relay-worker.ts), so relaying never waits for
 * the recording (issue 12): the same proxy, options and recorded facts as the in-thread
 * connector, whose captures reach this thread's sink in batches.
 */
export abstract class RelayThread implements Connector {
  abstract readonly transport: Connector['transport'];
  readonly id: string;
  private worker: Worker | null = null;
  protected boundPort = 0;
  private stopped: Promise<void> = Promise.resolve();

  constructor(
    private readonly data: RelayData,
    private readonly sink: CaptureSink,
  ) {
    this.id = data.opts.id;
  }

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    const worker = startRelay(this.data);
    this.worker = worker;
    let resolveStopped!: () => void;
    this.stopped = new Promise((r) => (resolveStopped = r));
    worker.once('exit', () => resolveStopped());
    await new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromRelay) => {
        switch (m.type) {
          case 'started':
            this.boundPort = m.port;
            resolve();
            break;
          case 'failed':
            reject(new Error(m.message));
            void worker.terminate();
            break;
          case 'status':
            this.sink.status(m.status, m.detail);
            break;
          case 'batch': {
            for (const msg of unpackRelayBatch(m.batch)) this.sink.message(msg);
            // Acknowledged once the recorder can take more: while its writer is behind, the
            // relay's own bound (WS_RECORD_HIGH_WATER) is what holds the connections back.
            const ack = (): void => worker.postMessage({ type: 'ack', bytes: m.cost } satisfies ToRelay);
            const waiting = this.sink.ready?.();
            if (waiting) void waiting.then(ack);
            else ack();
            break;
          }
          case 'stopped':
            void worker.terminate();
            break;
        }
      });
      worker.once('error', (err) => {
        reject(err);
        this.sink.status('failed', `proxy thread failed: ${err.message}`);
      });
    });
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    worker.postMessage({ type: 'stop' } satisfies ToRelay);
    await this.stopped;
  }
}

/** The recording WebSocket proxy on its own thread. */
export class WsProxyThread extends RelayThread {
  readonly transport = 'ws' as const;

  constructor(
    private readonly opts: WsProxyOptions,
    sink: CaptureSink,
  ) {
    super({ kind: 'ws', opts }, sink);
    // The same checks as the in-thread proxy, so a bad target fails here with its message.
    const protocol = (() => {
      try {
        return new URL(opts.target).protocol;
      } catch {
        throw new Error(`WebSocket target "${hideUserinfo(opts.target)}" is not a URL; expected ws://host:port/path or wss://…`);
      }
    })();
    if (protocol !== 'ws:' && protocol !== 'wss:') throw new Error(`WebSocket target "${hideUserinfo(opts.target)}" must start with ws:// or wss://`);
  }

  get url(): string {
    const host = this.opts.listenHost ?? '127.0.0.1';
    return `ws://${host.includes(':') ? `[${host}]` : host}:${this.boundPort}`;
  }
}

/**
 * The relay's thread. Built (the CLI's out/cli, the app's out/main), relay-worker.js sits
 * beside this code or one folder up (the app's chunks/); run from the sources (tests, development), the worker registers tsx
 * first, as the main thread did, to load relay-worker.ts.
 */
function startRelay(opts: RelayData): Worker {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // Beside the entry, whether this code was bundled into it or into a chunk folder below it.
  const built = [path.join(here, 'relay-worker.js'), path.join(here, '..', 'relay-worker.js')].find((f) => fs.existsSync(f));
  if (built) return new Worker(built, { workerData: opts });
  const source = path.join(here, 'relay-worker.ts');
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(pathToFileURL(source).href)}); })`;
  return new Worker(boot, { eval: true, workerData: opts });
}
