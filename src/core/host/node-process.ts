/** The engine process as a Node child (child_process.fork), for `flowscope serve` and the tests. */
import { fork } from 'node:child_process';
import type { EngineProcess } from './parent.ts';

export interface NodeEngineEntry {
  /** node-child.js from the build, or node-child.ts run through tsx. */
  file: string;
  execArgv?: string[];
}

export function forkEngine(entry: NodeEngineEntry): EngineProcess {
  const child = fork(entry.file, [], {
    execArgv: entry.execArgv ?? [],
    // The engine logs to stderr beside the command's own; stdout stays the command's.
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  let gone = false;
  const exitListeners: ((code: number | null, signal: string | null) => void)[] = [];
  child.on('exit', (code, signal) => {
    gone = true;
    for (const fn of exitListeners.splice(0)) fn(code, signal);
  });
  child.on('error', () => undefined);
  return {
    pid: child.pid,
    post: (msg) => {
      if (!gone && child.connected) child.send(msg as object);
    },
    onMessage: (fn) => child.on('message', fn),
    onExit: (fn) => {
      if (gone) fn(child.exitCode, child.signalCode);
      else exitListeners.push(fn);
    },
    kill: () => child.kill('SIGKILL'),
  };
}
