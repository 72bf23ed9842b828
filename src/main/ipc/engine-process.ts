import { utilityProcess } from 'electron';
import type { EngineProcess } from '../../core/host/parent.ts';

/**
 * The desktop app's engine process: an Electron utilityProcess running out/main/engine.js
 * (src/core/host/utility-child.ts), spoken to over its MessagePort. It is told this
 * process's pid, so that it stops if the app dies without ending it.
 */
export function forkUtilityEngine(file: string): EngineProcess {
  const child = utilityProcess.fork(file, [`--parent-pid=${process.pid}`], { serviceName: 'Flowscope engine', stdio: 'inherit' });
  let exitCode: number | null | undefined;
  const exitListeners: ((code: number | null, signal: string | null) => void)[] = [];
  child.on('exit', (code) => {
    exitCode = code;
    for (const fn of exitListeners.splice(0)) fn(code, null);
  });
  return {
    get pid() {
      return child.pid;
    },
    post: (msg) => {
      if (exitCode === undefined) child.postMessage(msg);
    },
    onMessage: (fn) => child.on('message', fn),
    onExit: (fn) => {
      if (exitCode !== undefined) fn(exitCode, null);
      else exitListeners.push(fn);
    },
    kill: () => void child.kill(),
  };
}
