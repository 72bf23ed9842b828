import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { tmpDir } from '../helpers/tmp.ts';

// `npm start` from a fresh clone (issue 13), every step before the Electron binary runs:
// the build, then the native-module preparation. The clone is of the committed HEAD, with
// no .cache/ and no out/; `npm install` itself is not repeated (it needs the registry and
// minutes of two shared cores), so node_modules is this checkout's, linked in.

test('fresh clone: the steps of npm start before Electron runs succeed, or say clearly what to do instead', () => {
  const clone = path.join(tmpDir(), 'flowscope');
  const git = spawnSync('git', ['clone', '--quiet', '--no-hardlinks', process.cwd(), clone], { encoding: 'utf8' });
  assert.equal(git.status, 0, git.stderr);
  assert.ok(!fs.existsSync(path.join(clone, '.cache')) && !fs.existsSync(path.join(clone, 'out')), 'a fresh clone has neither .cache/ nor out/');
  fs.symlinkSync(path.resolve('node_modules'), path.join(clone, 'node_modules'), 'dir');

  // `npm start` is `electron-vite build && node scripts/electron-native.mjs && electron . --demo`.
  const start = (JSON.parse(fs.readFileSync(path.join(clone, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start!;
  assert.match(start, /^electron-vite build && node scripts\/electron-native\.mjs && electron \. --demo$/);
  const vite = path.join(clone, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
  const build = spawnSync(process.execPath, [vite, 'build'], { cwd: clone, encoding: 'utf8', timeout: 300_000 });
  assert.equal(build.status, 0, build.stderr);
  for (const f of ['out/main/index.js', 'out/main/engine.js', 'out/preload/index.cjs', 'out/renderer/index.html']) assert.ok(fs.existsSync(path.join(clone, f)), f);

  const native = spawnSync(process.execPath, ['scripts/electron-native.mjs'], { cwd: clone, encoding: 'utf8', timeout: 300_000 });
  const said = `${native.stdout}${native.stderr}`;
  assert.doesNotMatch(said, /ENOENT|mkdtemp|at .*\.mjs:\d+/, 'no stack trace, no missing folder');
  if (native.status === 0) {
    assert.match(said, /better-sqlite3 for Electron [\d.]+ ready/);
    assert.ok(fs.existsSync(path.join(clone, '.cache', 'electron-native', 'better_sqlite3.node')));
  } else {
    // No network to GitHub (as here): one sentence with two ways on.
    assert.equal(native.status, 1);
    assert.match(said, /Could not fetch better-sqlite3 for Electron [\d.]+\. Run `npx @electron\/rebuild -f -w better-sqlite3` instead, or use `npx flowscope demo --serve` in a browser\./);
    assert.deepEqual(fs.readdirSync(path.join(clone, '.cache')), [], 'no half-made work folder is left');
  }
});
