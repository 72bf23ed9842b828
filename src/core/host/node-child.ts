/**
 * The engine process of `flowscope serve` and the tests: a Node child started with
 * child_process.fork, speaking over its IPC channel.
 */
import { serveEngine } from './child.ts';
import type { HostPort } from './protocol.ts';

if (!process.send) {
  console.error('the engine process is started by flowscope itself (it needs an IPC channel)');
  process.exit(2);
}

const port: HostPort = {
  post: (msg) => {
    // The parent may be gone already (then 'disconnect' below stops the engine).
    if (process.connected) process.send?.(msg);
  },
  onMessage: (fn) => process.on('message', fn),
};

const child = serveEngine(port, (code) => {
  process.exitCode = code;
  process.disconnect?.();
  // Sockets a connector leaves half-closed must not keep a stopped engine alive.
  setTimeout(() => process.exit(code), 2000).unref();
});

// The parent's death closes the IPC channel: flush what was recorded and go, so no
// recorder outlives the command that started it.
process.on('disconnect', () => void child.stop());
// Ctrl-C reaches the whole process group; the parent decides when the engine stops.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => void child.stop());
