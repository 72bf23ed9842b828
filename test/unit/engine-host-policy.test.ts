import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineHost, type EngineProcess } from '../../src/core/host/parent.ts';
import { ApiError, type Events } from '../../src/shared/api.ts';

// The parent side's bookkeeping with a scripted engine process (the real one is exercised
// in integration/engine-host.test.ts): what is rejected, reported and restarted when the
// process dies, and when it stops being restarted.

interface Scripted extends EngineProcess {
  die(code: number | null, signal: string | null): void;
  requests: { id: number; channel: string }[];
}

function scripted(pid: number, answer = true): Scripted {
  let onMsg: (m: unknown) => void = () => undefined;
  let onExit: ((code: number | null, signal: string | null) => void) | null = null;
  const requests: { id: number; channel: string }[] = [];
  return {
    pid,
    requests,
    post: (msg) => {
      const m = msg as { control?: string; id?: number; channel?: string };
      if (m.control === 'init') setImmediate(() => onMsg({ control: 'ready', pid }));
      else if (m.control === 'shutdown') setImmediate(() => onExit?.(0, null));
      else if (m.id !== undefined) {
        requests.push({ id: m.id, channel: m.channel! });
        if (m.channel === 'renderer:session:open') setImmediate(() => onMsg({ control: 'sessions', files: ['/data/a.flowscope'] }));
        if (answer) setImmediate(() => onMsg({ id: m.id, ok: true, result: { pid } }));
      }
    },
    onMessage: (fn) => (onMsg = fn),
    onExit: (fn) => (onExit = fn),
    kill: () => onExit?.(null, 'SIGKILL'),
    die: (code, signal) => onExit?.(code, signal),
  };
}

test('engine host policy: a death rejects what was in flight, names the open files, and restarts, until it keeps dying', async () => {
  const procs: Scripted[] = [];
  const host = await EngineHost.start({
    spawn: () => {
      const p = scripted(100 + procs.length, procs.length !== 0);
      procs.push(p);
      return p;
    },
    engine: { dataDir: '/nowhere', version: 't', transport: 'bridge' },
  });
  const crashes: Events['main:engine:crashed'][] = [];
  host.onEvent((m) => {
    if (m.event === 'main:engine:crashed') crashes.push(m.payload);
  });

  // The first process never answers: its death rejects the request it held.
  const held = host.call('renderer:app:info', {});
  await new Promise((r) => setImmediate(r));
  procs[0]!.die(null, 'SIGSEGV');
  await assert.rejects(held, (e: unknown) => e instanceof ApiError && /stopped \(ended by SIGSEGV\) before it answered/.test(e.message));
  assert.equal(crashes.length, 1);
  assert.equal(crashes[0]!.restarted, true);
  assert.deepEqual(crashes[0]!.files, []);

  // The new one answers, and reports an open file that the next crash names.
  assert.deepEqual(await host.call('renderer:session:open', { path: '/data/a.flowscope' }), { pid: 101 });
  await new Promise((r) => setImmediate(r));
  procs[1]!.die(1, null);
  assert.deepEqual(crashes[1]!.files, ['/data/a.flowscope']);
  assert.match(crashes[1]!.message, /exit code 1.*reopen the sessions/s);
  assert.equal(await host.call('renderer:app:info', {}).then(() => host.pid), 102);

  // Three restarts in a minute are allowed; the fourth death is left dead, with advice.
  procs[2]!.die(1, null);
  await host.call('renderer:app:info', {});
  procs[3]!.die(1, null);
  assert.equal(crashes[3]!.restarted, false);
  assert.match(crashes[3]!.message, /restart Flowscope/);
  assert.equal(procs.length, 4, 'no fifth process');
  await assert.rejects(host.call('renderer:app:info', {}), /not running/);
  await host.shutdown();
});

test('engine host policy: a requested stop is not a crash', async () => {
  const host = await EngineHost.start({ spawn: () => scripted(7), engine: { dataDir: '/nowhere', version: 't', transport: 'bridge' } });
  const events: string[] = [];
  host.onEvent((m) => events.push(m.event));
  await host.shutdown();
  assert.deepEqual(events, []);
  await assert.rejects(host.call('renderer:app:info', {}), /not running/);
});

test('engine host policy: an engine that fails to start is reported once and not restarted', async () => {
  let spawned = 0;
  const failing: EngineProcess = {
    pid: 9,
    post: (msg) => {
      if ((msg as { control?: string }).control === 'init') {
        setImmediate(() => {
          onMsg({ control: 'failed', message: 'EACCES: permission denied, mkdir /data' });
          onExit?.(1, null);
        });
      }
    },
    onMessage: (fn) => (onMsg = fn),
    onExit: (fn) => (onExit = fn),
    kill: () => undefined,
  };
  let onMsg: (m: unknown) => void = () => undefined;
  let onExit: ((code: number | null, signal: string | null) => void) | null = null;
  const start = EngineHost.start({
    spawn: () => {
      spawned++;
      return failing;
    },
    engine: { dataDir: '/data', version: 't', transport: 'bridge' },
  });
  await assert.rejects(start, /could not start: EACCES: permission denied, mkdir \/data/);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(spawned, 1);
});
