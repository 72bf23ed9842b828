import fs from 'node:fs';
import path from 'node:path';
import { UsageError, endpointSpecs, flag, numberFlag, parseArgs } from '../args.ts';
import { analysisOptions, countMessages, createEngine, decoderOptions, progressLine, untilSignal } from '../context.ts';
import { forTerminal } from '../terminal.ts';
import { LagLine } from '../lag-line.ts';
import { closingLine, pausedLine, storageNote } from '../storage-lines.ts';
import type { StorageStatus } from '../../shared/views.ts';

/** `flowscope record`: any mix of endpoints into one session file, until stopped. */
export async function record(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const specs = endpointSpecs(args);
  const out = flag(args, 'out');
  if (!out) throw new UsageError('record needs --out FILE');
  if (specs.length === 0) throw new UsageError('record needs at least one endpoint (--ws-proxy, --ws, --kafka, --amqp, --mqtt, --mqtt-proxy, --nats)');
  const duration = numberFlag(args, 'duration');
  const maxMessages = numberFlag(args, 'max-messages');
  const decoders = decoderOptions(args);

  const engine = createEngine('bridge', false, analysisOptions(args));
  const session = engine.newSession(path.resolve(out));
  // Before the first endpoint: correlation paths read decoded fields from the first message on.
  if (decoders) session.setDecoders(decoders.settings, decoders.authorization);
  const signal = untilSignal();
  const progress = progressLine();
  let total = 0;
  const started = Date.now();
  let stopReason: string | null = null;
  let wake: () => void = () => undefined;
  const stopped = new Promise<void>((r) => {
    wake = r;
  });
  const stop = (why: string) => {
    stopReason ??= why;
    wake();
  };

  let storage: StorageStatus | null = null;
  const lags = new LagLine();
  /** What each endpoint's last status line said, so a lag-only change is not printed as a status. */
  const said = new Map<string, string>();
  const live = () => {
    const secs = (Date.now() - started) / 1000;
    const lag = lags.text;
    progress.update(`recording: ${total} messages (${(total / Math.max(secs, 0.001)).toFixed(0)}/s)${lag ? ` · ${lag}` : ''}`);
  };
  engine.onEvent((msg) => {
    if (msg.event === 'main:session:storage') {
      const note = storageNote(storage, msg.payload.storage, session.store.path);
      storage = msg.payload.storage;
      if (note) progress.note(note);
      if (storage.state === 'paused') progress.update(pausedLine('recording', storage));
    } else if (msg.event === 'main:traffic:batch') {
      // While paused the paused line stays; a batch now is one the guard just wrote.
      if (storage?.state === 'paused') return;
      total = msg.payload.total;
      live();
      if (maxMessages !== undefined && total >= maxMessages) stop(`reached ${maxMessages} messages`);
    } else if (msg.event === 'main:endpoint:status') {
      const { endpoint } = msg.payload;
      const line = `${endpoint.label}: ${endpoint.status}${endpoint.detail ? ` — ${endpoint.detail}` : ''}`;
      if (said.get(endpoint.id) !== line) progress.note(line);
      said.set(endpoint.id, line);
      // Caught up stays on screen (a pipe sees the live line only every 2 s).
      if (lags.update(endpoint)) progress.note(`${endpoint.id}: caught up, lag 0`);
      if (endpoint.lag !== undefined && storage?.state !== 'paused') live();
    }
  });

  console.error(`recording to ${session.store.path} (Ctrl-C to stop)`);
  let running = 0;
  for (const spec of specs) {
    try {
      await engine.call('renderer:endpoint:connect', { sessionId: session.id, spec });
      running += 1;
    } catch (err) {
      // The endpoint stays in the session as failed; the others keep recording.
      console.error(forTerminal(`could not start ${spec.kind}: ${(err as Error).message}`));
    }
  }
  if (running === 0) {
    signal.dispose();
    const file = session.store.path;
    await engine.closeSession(session.id);
    progress.done();
    // Nothing was recorded: a failed command leaves no file behind (the reasons are above).
    const kept = countMessages(file) > 0;
    if (!kept) for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
    console.error(`flowscope: no endpoint could be started, so nothing was recorded${kept ? '' : ` (${file} was not kept)`}.`);
    return 1;
  }
  const timer = duration !== undefined ? setTimeout(() => stop(`${duration}s elapsed`), duration * 1000) : null;
  void signal.promise.then((sig) => stop(sig === 'SIGINT' ? 'interrupted' : sig));
  await stopped;
  if (timer) clearTimeout(timer);
  signal.dispose();
  const file = session.store.path;
  await engine.closeSession(session.id);
  progress.done();
  const closing = closingLine(`stopped (${stopReason})`, file, countMessages(file), session.storage());
  console.error(closing.line);
  return closing.code;
}
