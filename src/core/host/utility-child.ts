/**
 * The engine process of the desktop app: an Electron utilityProcess, speaking over
 * process.parentPort (a MessagePort to the main process). It imports nothing from Electron;
 * the port arrives as a property of `process`. Chromium ends a utility process whose
 * browser process is gone, so it cannot outlive the app.
 */
import { serveEngine } from './child.ts';
import type { HostPort } from './protocol.ts';

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
