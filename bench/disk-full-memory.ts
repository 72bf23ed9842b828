/**
 * Memory of a recording whose disk is full (issue 14), this tree against another checkout.
 *
 *   node --expose-gc --import tsx bench/disk-full-memory.ts [CHECKOUT] [MB]
 *
 * Mounts a 160 MB tmpfs (needs root) for the session file, fills it, and relays MB megabytes
 * (default 150) of 512 KiB WebSocket frames through the recording proxy of CHECKOUT (default:
 * this tree) to a server that only reads. Prints the RSS growth, what the recorder says it
 * holds and dropped, and whether recording resumes once the disk is freed. Run it for /work/main
 * and for this tree in the same minute and compare. Not a test.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import type * as StoreModule from '../src/core/store/session-store.ts';
import type * as RecorderModule from '../src/core/engine/recorder.ts';
import type * as ProxyModule from '../src/core/connectors/ws/proxy.ts';

const root = path.resolve(process.argv[2] ?? '.');
const mb = Number(process.argv[3] ?? 150);
const { SessionStore } = (await import(path.join(root, 'src/core/store/session-store.ts'))) as typeof StoreModule;
const { Recorder } = (await import(path.join(root, 'src/core/engine/recorder.ts'))) as typeof RecorderModule;
const { WsProxyConnector } = (await import(path.join(root, 'src/core/connectors/ws/proxy.ts'))) as typeof ProxyModule;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowscope-bench-disk-'));
execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=160m', 'tmpfs', dir]);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const rss = () => (gc(), process.memoryUsage().rss / 2 ** 20);
try {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  let received = 0;
  wss.on('connection', (ws) => ws.on('message', () => (received += 1)));
  const store = SessionStore.create(path.join(dir, 'bench.flowscope'));
  const recorder = new Recorder(store, { onError: () => undefined });
  const proxy = new WsProxyConnector({ id: 'proxy', listenPort: 0, target: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}` }, recorder.sink('proxy'));
  await recorder.add(proxy);
  const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/bench`);
  await new Promise((r) => ws.once('open', r));
  const frame = Buffer.alloc(512 * 1024, 0x61);
  const send = async (n: number) => {
    for (let i = 0; i < n; i++) {
      await new Promise<void>((r, j) => ws.send(frame, (err) => (err ? j(err) : r())));
      if (i % 8 === 7) await new Promise((r) => setTimeout(r, 5));
    }
  };
  await send(4);
  await new Promise((r) => setTimeout(r, 300));
  const filler = path.join(dir, 'filler');
  const fd = fs.openSync(filler, 'a');
  try {
    for (;;) fs.writeSync(fd, Buffer.alloc(65536));
  } catch {
    // full
  }
  fs.closeSync(fd);
  const before = rss();
  const frames = Math.round((mb * 2 ** 20) / frame.length);
  await send(frames);
  await new Promise((r) => setTimeout(r, 1000));
  const after = rss();
  const storedBefore = store.count();
  fs.rmSync(filler);
  await send(20);
  await new Promise((r) => setTimeout(r, 6000));
  const storedAfter = store.count();
  const storage = (recorder as { storage?: () => unknown }).storage?.() ?? null;
  console.log(
    JSON.stringify({
      checkout: root,
      relayedMB: Math.round((frames * frame.length) / 2 ** 20),
      serverReceived: received,
      rssBeforeMB: Math.round(before),
      rssAfterMB: Math.round(after),
      rssGrowthMB: Math.round(after - before),
      storedWhileFull: storedBefore,
      storedAfterFreeing: storedAfter,
      framesSentAfterFreeingStored: storedAfter > storedBefore,
      storage,
    }),
  );
  ws.close();
  await recorder.stop().catch(() => undefined);
  store.close();
  await new Promise((r) => wss.close(r));
} finally {
  execFileSync('umount', ['-l', dir]);
  fs.rmSync(dir, { recursive: true, force: true });
}
