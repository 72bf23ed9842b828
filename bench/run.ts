/**
 * Side-by-side benchmarks: each compares Flowscope with a reference in the same run and
 * reports the ratio, because absolute timings on a shared 2-core machine mean little.
 *
 *   npm run bench              (KAFKA_BROKERS=host:port to use a running broker; else one is started)
 *
 * 1. Kafka capture: kcat reading N records to /dev/null vs Flowscope recording the same N
 *    records into a session file.
 * 2. WebSocket: N echo round trips direct vs through the recording proxy.
 * 3. Memory: a steady stream recorded for a while; heap after GC at the start and the end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { WebSocketServer, WebSocket } from 'ws';
import { Kafka, logLevel } from 'kafkajs';
import { SessionStore } from '../src/core/store/session-store.ts';
import { Recorder } from '../src/core/engine/recorder.ts';
import { KafkaConnector } from '../src/core/connectors/kafka/index.ts';
import { WsProxyConnector } from '../src/core/connectors/ws/proxy.ts';
import { startKafka, stopKafka } from '../scripts/kafka/index.ts';

const N_KAFKA = Number(process.env.BENCH_KAFKA_N ?? 200_000);
const N_WS = Number(process.env.BENCH_WS_N ?? 20_000);
const SOAK_S = Number(process.env.BENCH_SOAK_S ?? 60);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowscope-bench-'));
const results: string[] = [];

function report(name: string, ref: string, refMs: number, oursMs: number, n: number): void {
  const line = `| ${name} | ${ref}: ${fmtRate(n, refMs)} | Flowscope: ${fmtRate(n, oursMs)} | ${(refMs / oursMs).toFixed(2)} |`;
  results.push(line);
  console.log(line);
}

function fmtRate(n: number, ms: number): string {
  return `${Math.round((n / ms) * 1000).toLocaleString('en-US')}/s (${(ms / 1000).toFixed(2)} s)`;
}

async function until(check: () => boolean, timeoutMs = 600_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('benchmark timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function kafkaBench(): Promise<void> {
  let brokers = process.env.KAFKA_BROKERS;
  let started = false;
  if (!brokers) {
    brokers = (await startKafka({ port: 39092 })).brokers;
    started = true;
  }
  const topic = `bench-${Date.now()}`;
  const file = path.join(dir, 'records.txt');
  const value = 'v'.repeat(200);
  fs.writeFileSync(file, Array.from({ length: N_KAFKA }, (_, i) => `key-${i % 1000}:${i}-${value}`).join('\n') + '\n');
  const admin = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  await admin.disconnect();
  spawnSync('kcat', ['-P', '-b', brokers, '-t', topic, '-K', ':', '-l', file], { stdio: 'inherit' });
  const total = N_KAFKA;

  let t = performance.now();
  await new Promise<void>((resolve, reject) => {
    const c = spawn('kcat', ['-C', '-b', brokers!, '-t', topic, '-o', 'beginning', '-e', '-q'], { stdio: ['ignore', 'ignore', 'inherit'] });
    c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}`))));
  });
  const kcatMs = performance.now() - t;

  const store = SessionStore.create(path.join(dir, 'kafka.flowscope'));
  const recorder = new Recorder(store);
  const connector = new KafkaConnector({ id: 'k', brokers: [brokers], topics: [topic], fromBeginning: true, groupsPollMs: 0 }, recorder.sink('k'));
  t = performance.now();
  await recorder.add(connector);
  await until(() => recorder.captured >= total);
  recorder.flush();
  const oursMs = performance.now() - t;
  await recorder.stop();
  store.close();
  report(`Kafka capture, ${total.toLocaleString('en-US')} × 200 B records`, 'kcat -C to /dev/null', kcatMs, oursMs, total);
  if (started) await stopKafka({ port: 39092 });
}

async function echoServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  await new Promise((r) => wss.once('listening', r));
  const { port } = wss.address() as { port: number };
  return { url: `ws://127.0.0.1:${port}`, close: () => new Promise((r) => wss.close(() => r())) };
}

/** N request→echo round trips, 100 in flight at a time. */
async function roundTrips(url: string, n: number): Promise<number> {
  const ws = new WebSocket(url);
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  const payload = JSON.stringify({ jsonrpc: '2.0', method: 'ping', params: { pad: 'x'.repeat(60) } });
  const t = performance.now();
  let sent = 0;
  let got = 0;
  await new Promise<void>((resolve) => {
    ws.on('message', () => {
      got++;
      if (got === n) resolve();
      else if (sent < n) {
        ws.send(payload);
        sent++;
      }
    });
    for (; sent < Math.min(100, n); sent++) ws.send(payload);
  });
  const ms = performance.now() - t;
  ws.close();
  return ms;
}

async function wsBench(): Promise<void> {
  const server = await echoServer();
  const direct = await roundTrips(server.url, N_WS);
  const store = SessionStore.create(path.join(dir, 'ws.flowscope'));
  const recorder = new Recorder(store);
  const proxy = new WsProxyConnector({ id: 'p', listenPort: 0, target: server.url }, recorder.sink('p'));
  await recorder.add(proxy);
  const proxied = await roundTrips(`ws://127.0.0.1:${proxy.port}`, N_WS);
  await recorder.stop();
  store.close();
  await server.close();
  report(`WebSocket echo, ${N_WS.toLocaleString('en-US')} round trips`, 'direct', direct, proxied, N_WS);
}

async function soak(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const server = await echoServer();
  const store = SessionStore.create(path.join(dir, 'soak.flowscope'));
  const recorder = new Recorder(store);
  const proxy = new WsProxyConnector({ id: 'p', listenPort: 0, target: server.url }, recorder.sink('p'));
  await recorder.add(proxy);
  const heap = (): number => {
    gc?.();
    return process.memoryUsage().heapUsed / 1024 / 1024;
  };
  await roundTrips(`ws://127.0.0.1:${proxy.port}`, 20_000);
  const start = heap();
  const end = Date.now() + SOAK_S * 1000;
  let rounds = 0;
  while (Date.now() < end) {
    await roundTrips(`ws://127.0.0.1:${proxy.port}`, 20_000);
    rounds++;
  }
  const finish = heap();
  const messages = store.lastSeq;
  await recorder.stop();
  store.close();
  await server.close();
  const line = `| Memory while recording ${SOAK_S} s (${messages.toLocaleString('en-US')} messages, ${rounds} bursts) | heap after GC at start: ${start.toFixed(1)} MB | at end: ${finish.toFixed(1)} MB | ${(finish / start).toFixed(2)} |`;
  results.push(line);
  console.log(line);
}

async function main(): Promise<void> {
  console.log('| benchmark | reference | Flowscope | ratio (reference time / ours) |\n|---|---|---|---|');
  if (!process.env.BENCH_SKIP_KAFKA) await kafkaBench();
  await wsBench();
  await soak();
  fs.rmSync(dir, { recursive: true, force: true });
}

await main();
