// Stands in for Electron's utilityProcess runtime: gives the entry a process.parentPort
// over the Node IPC channel, then loads it. It does not end itself when its parent dies:
// the engine's own watch of the parent's pid is what the wiring test checks.
import { pathToFileURL } from 'node:url';

process.parentPort = {
  postMessage: (msg) => {
    if (process.connected) process.send(msg);
  },
  on: (event, fn) => {
    if (event === 'message') process.on('message', (data) => fn({ data }));
  },
};
process.on('disconnect', () => undefined);
await import(pathToFileURL(process.env.FLOWSCOPE_STANDIN_ENTRY).href);
