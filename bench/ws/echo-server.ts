/**
 * The benchmark's WebSocket echo server, run as its own process so the proxy and the client
 * do not share its event loop. Prints `port N` on stdout once listening; ends on SIGTERM.
 */
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
wss.once('listening', () => {
  const { port } = wss.address() as { port: number };
  process.stdout.write(`port ${port}\n`);
});
process.on('SIGTERM', () => wss.close(() => process.exit(0)));
