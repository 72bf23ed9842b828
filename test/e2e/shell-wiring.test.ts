import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { DESKTOP_CHANNELS, REQUEST_CHANNELS } from '../../src/shared/api.ts';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';

// A CHECK OF THE SHELL'S WIRING, NOT OF ELECTRON. The Electron binary cannot run here, so
// the built main bundle (out/main/index.js) boots in plain Node with a minimal stand-in for
// the `electron` module (test/helpers/electron-standin/). It shows that the shell, as built,
// creates an isolated, sandboxed window, registers every contract channel, starts the engine
// in its own process from out/main/engine.js and relays to it, and that quitting flushes the
// session. Whether Electron honours those settings is Electron's to test, not this file's.

const MAIN = path.resolve('out/main/index.js');
const REGISTER = path.resolve('test/helpers/electron-standin/register.mjs');

type Report = { type: string } & Record<string, unknown>;

function bootShell(home: string, args: string[], env: Record<string, string> = {}) {
  const child = fork(MAIN, args, {
    execArgv: ['--import', REGISTER],
    env: { ...process.env, FLOWSCOPE_STANDIN_HOME: home, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  const reports: Report[] = [];
  child.on('message', (m) => reports.push(m as Report));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let ref = 0;
  const invoke = async (channel: string, input: unknown, frame: { frameUrl?: string; subframe?: boolean } = {}) => {
    const n = ++ref;
    child.send({ cmd: 'invoke', ref: n, channel, raw: { id: n, channel, input }, ...frame });
    const r = await waitFor(`the reply on ${channel}`, () => reports.find((x) => x.type === 'reply' && x.ref === n));
    return r.reply as { ok: boolean; result?: Record<string, unknown>; error?: { code: string; message: string } };
  };
  const find = (type: string, pred: (r: Report) => boolean = () => true) => waitFor(`a ${type} report`, () => reports.find((r) => r.type === type && pred(r)));
  return { child, reports, exited, invoke, find };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('shell wiring (a stand-in for electron, not Electron): the built main process never loads SQLite or a broker client', () => {
  // What index.js imports, with the chunks it pulls in: the engine's dependencies belong to engine.js.
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^import\s[^;]*?from\s+"([^"]+)"/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
      else assert.ok(!['better-sqlite3', 'kafkajs', 'amqplib', 'ws'].includes(spec), `${path.relative('out', file)} imports ${spec}`);
    }
  };
  visit(MAIN);
  assert.ok(fs.existsSync(path.resolve('out/main/engine.js')), 'the engine process entry is built');
});

test('shell wiring (a stand-in for electron, not Electron): window, channels, engine process, relay and quit', async () => {
  const home = tmpDir();
  const shell = bootShell(home, ['--demo']);
  try {
    const win = await shell.find('window');
    const prefs = win.webPreferences as Record<string, unknown>;
    assert.equal(prefs.contextIsolation, true);
    assert.equal(prefs.sandbox, true);
    assert.equal(prefs.nodeIntegration, false);
    assert.ok(fs.existsSync(prefs.preload as string), 'the preload it names is built');
    await shell.find('csp-hook');
    await shell.find('permissions');
    const load = await shell.find('load');
    assert.equal(load.file, path.resolve('out/renderer/index.html'));

    const fork = await shell.find('utility-fork');
    assert.equal(fork.file, path.resolve('out/main/engine.js'));

    shell.child.send({ cmd: 'channels' });
    const channels = (await shell.find('channels')).channels as string[];
    assert.deepEqual([...channels].sort(), [...REQUEST_CHANNELS, ...DESKTOP_CHANNELS].sort(), 'every contract channel, and the shell\'s own, is registered on ipcMain');

    // A request from the window reaches the engine process, not the main one.
    const info = await shell.invoke('renderer:app:info', {});
    assert.equal(info.ok, true, JSON.stringify(info));
    assert.equal(info.result!.enginePid, fork.pid);
    assert.notEqual(info.result!.enginePid, shell.child.pid);
    assert.equal(info.result!.transport, 'ipc');

    // The sender check and the contract's schema still stand in front of it.
    const foreign = await shell.invoke('renderer:app:info', {}, { frameUrl: 'https://evil.example/' });
    assert.equal(foreign.error?.code, 'unauthorized');
    const sub = await shell.invoke('renderer:app:info', {}, { subframe: true });
    assert.equal(sub.error?.code, 'unauthorized');
    const bad = await shell.invoke('renderer:session:info', { sessionId: 5 });
    assert.equal(bad.error?.code, 'bad-request');

    // --demo: the demo session is announced to the window and its traffic relayed.
    const changed = await shell.find('send', (r) => r.channel === 'main:session:changed');
    const file = (changed.payload as { path: string }).path;
    assert.ok(file.startsWith(path.join(home, 'userData', 'sessions')), file);
    await shell.find('send', (r) => r.channel === 'main:traffic:batch' && (r.payload as { total: number }).total >= 20);
    const logs = path.join(home, 'logs');
    assert.ok(fs.existsSync(path.join(logs, 'main.log')) && fs.existsSync(path.join(logs, 'engine.log')), 'both processes log in the app log folder');

    // Quit: the engine flushes and closes the session before the app goes.
    shell.child.send({ cmd: 'quit' });
    assert.equal(await shell.exited, 0);
    assert.ok(shell.reports.some((r) => r.type === 'quit'));
    await waitFor('the engine process to end', () => !alive(fork.pid as number));
    const announced = Math.max(
      ...shell.reports.filter((r) => r.type === 'send' && r.channel === 'main:traffic:batch').map((r) => (r.payload as { total: number }).total),
    );
    const store = SessionStore.open(file, { readonly: true });
    try {
      assert.ok(store.count() >= announced, `${store.count()} stored, ${announced} announced`);
    } finally {
      store.close();
    }
    assert.ok(!fs.existsSync(`${file}-wal`) || fs.statSync(`${file}-wal`).size === 0, 'the session was closed (WAL checkpointed)');
  } finally {
    if (shell.child.exitCode === null) shell.child.kill('SIGKILL');
  }
});

test('shell wiring (a stand-in for electron, not Electron): native dialogs, a dropped file checked before the engine opens it, files from a second start or open-file, recent documents', async () => {
  const home = tmpDir();
  // A session to drop and to open, made by the real store.
  const file = path.join(home, 'dropped.flowscope');
  SessionStore.create(file, { flowscope_version: 'test' }).close();
  const shell = bootShell(home, [], { FLOWSCOPE_STANDIN_CHOOSE: file });
  try {
    await shell.find('utility-fork');
    const chosen = await shell.invoke('renderer:dialog:choose-file', { purpose: 'open' });
    assert.deepEqual(chosen.result, { path: file });
    const dialogOptions = (await shell.find('open-dialog')).options as { filters: { extensions: string[] }[] };
    assert.deepEqual(dialogOptions.filters[0]!.extensions, ['flowscope']);
    const target = await shell.invoke('renderer:dialog:choose-target', { purpose: 'export', defaultPath: '/tmp/x.jsonl' });
    assert.deepEqual(target.result, { path: file });
    const badInput = await shell.invoke('renderer:dialog:choose-file', { purpose: 'anything' });
    assert.equal(badInput.error?.code, 'bad-request');
    const foreign = await shell.invoke('renderer:desktop:open-dropped', { path: file }, { frameUrl: 'https://evil.example/' });
    assert.equal(foreign.error?.code, 'unauthorized');

    // The shell refuses what is not a session file before the engine sees the path.
    const notSession = await shell.invoke('renderer:desktop:open-dropped', { path: '/etc/passwd' });
    assert.match(notSession.error?.message ?? '', /passwd is not a Flowscope session/);
    const relative = await shell.invoke('renderer:desktop:open-dropped', { path: 'x.flowscope' });
    assert.match(relative.error?.message ?? '', /absolute path/);
    const folder = path.join(home, 'folder.flowscope');
    fs.mkdirSync(folder);
    const dir = await shell.invoke('renderer:desktop:open-dropped', { path: folder });
    assert.match(dir.error?.message ?? '', /is not a file/);

    const opened = await shell.invoke('renderer:desktop:open-dropped', { path: file });
    assert.equal(opened.ok, true, JSON.stringify(opened));
    assert.equal((opened.result as { path: string }).path, file);
    await shell.find('recent', (r) => r.file === file);

    // A second start with a file (a double-click while Flowscope runs), and macOS's open-file,
    // hand the file to this app, which opens it and tells the window.
    const second = path.join(home, 'second.flowscope');
    SessionStore.create(second, { flowscope_version: 'test' }).close();
    shell.child.send({ cmd: 'second-instance', argv: ['/opt/Flowscope/flowscope', second] });
    await shell.find('send', (r) => r.channel === 'main:session:changed' && (r.payload as { path: string }).path === second);
    const third = path.join(home, 'third.flowscope');
    SessionStore.create(third, { flowscope_version: 'test' }).close();
    shell.child.send({ cmd: 'open-file', file: third });
    await shell.find('send', (r) => r.channel === 'main:session:changed' && (r.payload as { path: string }).path === third);
    await shell.find('recent', (r) => r.file === third);
    shell.child.send({ cmd: 'quit' });
    assert.equal(await shell.exited, 0);
  } finally {
    if (shell.child.exitCode === null) shell.child.kill('SIGKILL');
  }
});

test('shell wiring (a stand-in for electron, not Electron): the engine process stops by itself when the app is killed outright', async () => {
  const home = tmpDir();
  const shell = bootShell(home, ['--demo']);
  try {
    const engine = await shell.find('utility-fork');
    const changed = await shell.find('send', (r) => r.channel === 'main:session:changed');
    await shell.find('send', (r) => r.channel === 'main:traffic:batch' && (r.payload as { total: number }).total >= 20);
    const announced = Math.max(
      ...shell.reports.filter((r) => r.type === 'send' && r.channel === 'main:traffic:batch').map((r) => (r.payload as { total: number }).total),
    );
    shell.child.kill('SIGKILL');
    await shell.exited;
    // The stand-in's utility process does not end with its parent: the engine's watch of
    // the app's pid does it, after flushing.
    await waitFor('the engine process to notice and exit', () => !alive(engine.pid as number), 15_000);
    const store = SessionStore.open((changed.payload as { path: string }).path, { readonly: true });
    try {
      assert.ok(store.count() >= announced, `${store.count()} stored, ${announced} announced`);
    } finally {
      store.close();
    }
  } finally {
    if (shell.child.exitCode === null && shell.child.signalCode === null) shell.child.kill('SIGKILL');
  }
});

test('shell wiring (a stand-in for electron, not Electron): a killed engine process is reported to the window and replaced', async () => {
  const home = tmpDir();
  const shell = bootShell(home, ['--demo']);
  try {
    const first = await shell.find('utility-fork');
    const changed = await shell.find('send', (r) => r.channel === 'main:session:changed');
    await shell.find('send', (r) => r.channel === 'main:traffic:batch');
    process.kill(first.pid as number, 'SIGKILL');
    const crash = await shell.find('send', (r) => r.channel === 'main:engine:crashed');
    const payload = crash.payload as { message: string; files: string[]; restarted: boolean };
    assert.deepEqual(payload.files, [(changed.payload as { path: string }).path]);
    assert.equal(payload.restarted, true);
    const second = await shell.find('utility-fork', (r) => r.pid !== first.pid);
    const info = await shell.invoke('renderer:app:info', {});
    assert.equal(info.result!.enginePid, second.pid);
    shell.child.send({ cmd: 'quit' });
    assert.equal(await shell.exited, 0);
  } finally {
    if (shell.child.exitCode === null && shell.child.signalCode === null) shell.child.kill('SIGKILL');
  }
});
