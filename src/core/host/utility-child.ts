/**
 * The engine process of the desktop app: an Electron utilityProcess, speaking over
 * process.parentPort (a MessagePort to the main process). It imports nothing from Electron;
 * the port arrives as a property of `process`.
 */
import { serveEngine } from './child.ts';
import type { HostPort } from './protocol.ts';
import { ENGINE_PARENT_CHECK_MS } from '../common/constants.ts';

interface ParentPort {
  postMessage(msg: unknown): void;
  on(event: 'message', fn: (e: { data: unknown }) => void): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
if (!parentPort) {
  console.error('the engine process runs inside the Flowscope desktop app (it needs process.parentPort)');
  process.exit(2);
}

const port: HostPort = {
  post: (msg) => parentPort.postMessage(msg),
  onMessage: (fn) => parentPort.on('message', (e) => fn(e.data)),
};

const child = serveEngine(port, (code) => process.exit(code));
process.on('SIGTERM', () => void child.stop());

// No recorder may outlive the app. Chromium normally ends a utility process with its
// browser process; in case it does not (the main process killed outright), the engine
// watches the pid the shell passed and, once it is gone, flushes and exits.
const parentPid = Number(/^--parent-pid=(\d+)$/.exec(process.argv.find((a) => a.startsWith('--parent-pid=')) ?? '')?.[1]);
if (parentPid > 0) {
  setInterval(() => {
    try {
      process.kill(parentPid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') void child.stop();
    }
  }, ENGINE_PARENT_CHECK_MS).unref();
}
