import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { launchBrowser, openView, waitForNum, waitShown, type BrowserSession } from '../helpers/browser.ts';
import { tmpDir } from '../helpers/tmp.ts';

// The npm package as a user gets it: `npm pack` (which builds through `prepare`), the tarball
// installed into an empty prefix with its dependencies from the registry, and `flowscope` run
// from there — no sources, no tsx, no Electron beside it.
//
// One stand-in: better-sqlite3's install script fetches a prebuilt addon from GitHub, which
// this machine cannot reach, and compiling it takes minutes. The install skips scripts and,
// when the registry gave the same better-sqlite3 version as the repository's own install,
// takes that install's addon (built for this Node); otherwise it runs the real script.

const ROOT = path.resolve(import.meta.dirname, '../..');
const work = tmpDir('flowscope-pack-');
const prefix = path.join(work, 'prefix');
const installed = path.join(prefix, 'node_modules');
const BIN = path.join(installed, '.bin', 'flowscope');
/** The environment of a user's shell: nothing inherited from the `npm test` that runs this. */
const userEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));

const children: ChildProcess[] = [];
let browser: BrowserSession | null = null;
let tarballFiles: string[] = [];

after(async () => {
  await browser?.close();
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGTERM');
      await new Promise((r) => c.once('exit', r));
    }
  }
});

interface Done {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end, killed after `timeoutMs`. */
function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Done> {
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? userEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 0), stdout, stderr });
    }),
  );
}

function ok(r: Done, what: string): Done {
  assert.equal(r.code, 0, `${what} failed:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  return r;
}

const flowscope = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  run(process.execPath, [BIN, ...args], { cwd: work, env: { ...userEnv, FLOWSCOPE_DATA_DIR: path.join(work, 'data'), ...env } });

before(
  async () => {
    ok(await run('npm', ['pack', '--pack-destination', work], { cwd: ROOT, timeoutMs: 300_000 }), 'npm pack');
    const tarball = fs.readdirSync(work).find((f) => f.endsWith('.tgz'));
    assert.ok(tarball, 'npm pack wrote a tarball');
    tarballFiles = ok(await run('tar', ['-tzf', tarball], { cwd: work }), 'tar -t').stdout.split('\n').filter(Boolean);

    const env = { ...userEnv, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' };
    const install = ['install', '--prefix', prefix, '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', path.join(work, tarball)];
    ok(await run('npm', install, { cwd: work, env, timeoutMs: 300_000 }), 'npm install of the tarball');

    const ours = createRequire(path.join(ROOT, 'package.json'))('better-sqlite3/package.json') as { version: string };
    const theirs = JSON.parse(fs.readFileSync(path.join(installed, 'better-sqlite3/package.json'), 'utf8')) as { version: string };
    if (ours.version === theirs.version) {
      const addon = path.join('build', 'Release', 'better_sqlite3.node');
      const from = path.join(path.dirname(createRequire(path.join(ROOT, 'package.json')).resolve('better-sqlite3/package.json')), addon);
      fs.mkdirSync(path.dirname(path.join(installed, 'better-sqlite3', addon)), { recursive: true });
      fs.copyFileSync(from, path.join(installed, 'better-sqlite3', addon));
    } else {
      ok(await run('npm', ['rebuild', 'better-sqlite3', '--prefix', prefix], { cwd: work, env, timeoutMs: 900_000 }), 'npm rebuild better-sqlite3');
    }
  },
  { timeout: 1_500_000 },
);

test('the tarball ships the compiled CLI and the built UI, and installs without sources, tsx or Electron', () => {
  for (const file of ['package/bin/flowscope.mjs', 'package/out/cli/index.js', 'package/out/renderer/index.html', 'package/README.md']) {
    assert.ok(tarballFiles.includes(file), `${file} is in the tarball`);
  }
  const stray = tarballFiles.filter((f) => f.endsWith('.ts') || f.startsWith('package/src/') || f.startsWith('package/test/'));
  assert.deepEqual(stray, [], 'no TypeScript sources or tests ship');
  for (const dev of ['tsx', 'typescript', 'electron', 'vite']) {
    assert.ok(!fs.existsSync(path.join(installed, dev)), `${dev} is not installed with the package`);
  }
  assert.ok(fs.existsSync(BIN), 'npm linked the flowscope bin');
});

test('the installed flowscope prints its usage and its own version', async () => {
  const help = ok(await flowscope(['--help']), 'flowscope --help');
  assert.match(help.stdout, /^flowscope — inspect asynchronous message flows/);
  const pkg = JSON.parse(fs.readFileSync(path.join(installed, 'flowscope/package.json'), 'utf8')) as { version: string };
  // As npx or an npm script in another project starts it, with that project's version about.
  const version = ok(await flowscope(['--version'], { npm_package_version: '7.7.7' }), 'flowscope --version');
  assert.equal(version.stdout.trim(), pkg.version);
});

let recorded: { file: string; messages: number; matched: number } | null = null;

test('the installed flowscope records the demo and inspects the session', { timeout: 120_000 }, async () => {
  const file = path.join(work, 'demo.flowscope');
  const demo = ok(await flowscope(['demo', '--duration', '2', '--out', file]), 'flowscope demo');
  const stopped = /demo stopped: (\d+) messages/.exec(demo.stderr);
  assert.ok(stopped, `the demo reports what it recorded: ${demo.stderr}`);

  const report = JSON.parse(ok(await flowscope(['inspect', file, '--json']), 'flowscope inspect').stdout) as {
    messages: number;
    destinations: { transport: string; destination: string; count: number }[];
    pairs: { matched: number };
  };
  assert.equal(report.messages, Number(stopped[1]), 'inspect counts what the demo said it recorded');
  assert.ok(report.messages > 0);
  // The demo system: JSON-RPC on /rpc, pub-sub on /events, notifications on /notify (and
  // MQTT and NATS beside it where those brokers answer: test/integration/cli-demo-brokers.test.ts).
  assert.deepEqual(report.destinations.filter((d) => d.transport === 'ws').map((d) => d.destination).sort(), ['/events', '/notify', '/rpc']);
  assert.ok(report.pairs.matched > 0, 'JSON-RPC requests are paired with their replies');
  recorded = { file, messages: report.messages, matched: report.pairs.matched };
});

test('the installed flowscope serves the UI: the page loads and shows the recorded session', { timeout: 120_000 }, async () => {
  assert.ok(recorded, 'the demo test recorded a session');
  const child = spawn(process.execPath, [BIN, 'serve', recorded.file, '--port', '0'], {
    cwd: work,
    env: { ...userEnv, FLOWSCOPE_DATA_DIR: path.join(work, 'data') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!.trim());
    });
    child.once('exit', (code) => reject(new Error(`flowscope serve exited with ${code}: ${err}`)));
  });
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
  assert.doesNotMatch(err, /UI is not built/, 'the CLI finds the renderer inside the package');

  const page = await fetch(url);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /<title>Flowscope<\/title>/);
  const script = /<script[^>]+src="([^"]+)"/.exec(html)?.[1];
  assert.ok(script, 'the page loads a script');
  assert.equal((await fetch(new URL(script, url))).status, 200, 'the page\'s script is served');

  browser = await launchBrowser();
  await browser.page.goto(url);
  await waitShown(browser.page, (n) => n === recorded!.messages, `the ${recorded.messages} recorded messages in the list`);
  await openView(browser.page, 'Conversations');
  await waitForNum(browser.page.getByTestId('pairs-matched'), 'data-value', (n) => n === recorded!.matched, `${recorded.matched} matched pairs, as inspect counted`);
});
