/**
 * The benchmark's WebSocket client, its own process: N request→echo round trips with
 * IN_FLIGHT outstanding, over one connection. Echoes come back in order on one connection,
 * so a FIFO of send times gives each round trip's latency.
 *
 *   node --import tsx bench/ws/echo-client.ts URL N IN_FLIGHT
 *
 * Prints one JSON line: { n, ms, p50, p99 } (latencies in ms).
 */
import { WebSocket } from 'ws';

const [url, nArg, inFlightArg] = process.argv.slice(2);
const n = Number(nArg ?? 60_000);
const inFlight = Number(inFlightArg ?? 256);
const payload = JSON.stringify({ jsonrpc: '2.0', method: 'ping', params: { pad: 'x'.repeat(60) } });

const ws = new WebSocket(url!, { perMessageDeflate: false });
await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
const sentAt = new Float64Array(n);
const latency = new Float64Array(n);
let sent = 0;
let got = 0;
const send = (): void => {
  sentAt[sent++] = performance.now();
  ws.send(payload);
};
const t0 = performance.now();
await new Promise<void>((resolve) => {
  ws.on('message', () => {
    latency[got] = performance.now() - sentAt[got]!;
    got++;
    if (got === n) resolve();
    else if (sent < n) send();
  });
  while (sent < Math.min(inFlight, n)) send();
});
const ms = performance.now() - t0;
latency.sort();
const pct = (p: number): number => latency[Math.min(n - 1, Math.ceil((p / 100) * n) - 1)]!;
process.stdout.write(`${JSON.stringify({ n, ms, p50: pct(50), p99: pct(99) })}\n`);
ws.close();
ws.once('close', () => process.exit(0));
