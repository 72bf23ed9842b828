/**
 * The engine process's side of the host: it owns one Engine, answers the contract's
 * requests that arrive on its port and sends every engine event back. Both the Node child
 * of `flowscope serve` (node-child.ts) and the desktop app's utilityProcess
 * (utility-child.ts) run exactly this.
 */
import { answer } from '../../shared/envelope.ts';
import type { RequestChannel } from '../../shared/api.ts';
import { Engine } from '../engine/engine.ts';
import { configureLogging, fileSink, getLogger } from '../common/logger.ts';
import { keepHeapTight } from '../common/heap.ts';
import { isControl, type FromEngine, type HostPort, type ToEngine } from './protocol.ts';

const log = getLogger('engine-host');

/** Requests after which the set of open session files may differ. */
const SESSION_CHANNELS: ReadonlySet<RequestChannel> = new Set<RequestChannel>([
  'renderer:session:new',
  'renderer:session:open',
  'renderer:session:close',
  'renderer:session:save-as',
  'renderer:session:import',
  'renderer:demo:start',
]);

export interface EngineChild {
  /** Flushes and closes every session (what a parent's shutdown, SIGTERM or a lost parent does). */
  stop(): Promise<void>;
}

/**
 * Serves an engine on `port`. `exit` ends the process; it is called once the engine has
 * stopped, or when the init message cannot build one.
 */
export function serveEngine(port: HostPort, exit: (code: number) => void): EngineChild {
  keepHeapTight();
  const send = (msg: FromEngine): void => port.post(msg);
  let engine: Engine | null = null;
  let stopping: Promise<void> | null = null;

  const reportSessions = (): void => {
    if (!engine) return;
    void engine.call('renderer:session:list', {}).then((list) => send({ control: 'sessions', files: list.map((s) => s.path) }));
  };

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      try {
        await engine?.shutdown();
      } catch (err) {
        log.error('engine shutdown failed', err);
      }
      send({ control: 'stopped' });
      exit(0);
    })();
    return stopping;
  };

  const init = (msg: Extract<ToEngine, { control: 'init' }>): void => {
    if (engine) return;
    try {
      if (msg.logFile) configureLogging({ sink: fileSink(msg.logFile), level: 'info' });
      engine = new Engine(msg.options);
    } catch (err) {
      send({ control: 'failed', message: (err as Error).message });
      exit(1);
      return;
    }
    engine.onEvent((ev) => {
      send(ev);
      if (ev.event === 'main:session:closed') reportSessions();
    });
    log.info(`engine process ${process.pid} ready`);
    send({ control: 'ready', pid: process.pid });
  };

  port.onMessage((msg) => {
    if (isControl(msg)) {
      if (msg.control === 'init') init(msg as Extract<ToEngine, { control: 'init' }>);
      else if (msg.control === 'shutdown') void stop();
      return;
    }
    const channel = (msg as { channel?: unknown } | null)?.channel;
    void answer(msg, (c, input) => {
      if (!engine) throw new Error('The engine is not started yet.');
      if (stopping) throw new Error('The engine is shutting down.');
      return engine.handle(c, input);
    }).then((reply) => {
      send(reply);
      if (reply.ok && SESSION_CHANNELS.has(channel as RequestChannel)) reportSessions();
    });
  });

  return { stop };
}
