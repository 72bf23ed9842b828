// Stands in for Electron's utilityProcess runtime: gives the entry a process.parentPort
// over the Node IPC channel, then loads it. Like a utility process, it ends with its parent.
import { pathToFileURL } from 'node:url';

process.parentPort = {
  postMessage: (msg) => {
    if (process.connected) process.send(msg);
  },
  on: (event, fn) => {
    if (event === 'message') process.on('message', (data) => fn({ data }));
  },
};
process.on('disconnect', () => process.exit(0));
await import(pathToFileURL(process.env.FLOWSCOPE_STANDIN_ENTRY).href);
