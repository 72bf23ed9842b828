import path from 'node:path';
import { flag, numberFlag, parseArgs } from '../args.ts';
import { countMessages, createEngine, progressLine, rendererDir, untilSignal } from '../context.ts';
import { startBridge } from '../../core/bridge/server.ts';
import { closingLine, pausedLine, storageNote } from '../storage-lines.ts';
import type { StorageStatus } from '../../shared/views.ts';

/**
 * `flowscope demo`: an embedded WebSocket system (JSON-RPC requests, pub-sub fan-out,
 * fire-and-forget notifications) recorded through the proxy, so there is traffic to look
 * at without any broker.
 */
export async function demo(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const duration = numberFlag(args, 'duration');
  const out = flag(args, 'out');
  const engine = createEngine('bridge', true);
  const session = engine.newSession(out ? path.resolve(out) : undefined);
  await engine.startDemo(session.id, (line) => console.error(line));
  let bridge: Awaited<ReturnType<typeof startBridge>> | null = null;
  if (args.flags.has('serve')) {
    const staticDir = rendererDir();
    bridge = await startBridge({ engine, port: numberFlag(args, 'port') ?? 0, ...(staticDir ? { staticDir } : {}) });
    console.log(bridge.url);
  }
  console.error(`demo recording to ${session.store.path} (Ctrl-C to stop)`);
  const progress = progressLine();
  let storage: StorageStatus | null = null;
  engine.onEvent((msg) => {
    if (msg.event === 'main:session:storage') {
      const note = storageNote(storage, msg.payload.storage, session.store.path);
      storage = msg.payload.storage;
      if (note) progress.note(note);
      if (storage.state === 'paused') progress.update(pausedLine('demo', storage));
    } else if (msg.event === 'main:traffic:batch' && storage?.state !== 'paused') {
      progress.update(`demo: ${msg.payload.total} messages`);
    }
  });
  const signal = untilSignal();
  let timeout: NodeJS.Timeout | undefined;
  const timer = new Promise((r) => {
    if (duration !== undefined) timeout = setTimeout(r, duration * 1000);
  });
  await Promise.race([signal.promise, timer]);
  // A pending --duration timer would keep the process alive after a signal stopped the demo.
  clearTimeout(timeout);
  signal.dispose();
  const file = session.store.path;
  await engine.shutdown();
  await bridge?.close();
  progress.done();
  const closing = closingLine('demo stopped', file, countMessages(file), session.storage());
  console.error(closing.line);
  return closing.code;
}
