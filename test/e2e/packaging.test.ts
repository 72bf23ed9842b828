import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { tmpDir } from '../helpers/tmp.ts';

// The electron-builder configuration, checked by electron-builder itself as far as it runs
// without Electron's binary (which cannot be downloaded here). What this checks: that
// electron-builder accepts electron-builder.yml (it validates the whole file, every
// platform's section, against its schema before it builds anything), and the app it lays
// out for Linux with `--dir`: what goes into app.asar and what is unpacked beside it.
// What it does not check: the installers themselves (AppImage, deb, dmg, NSIS), signing,
// or the rebuild of better-sqlite3 for Electron's ABI (npmRebuild is turned off because it
// downloads Electron's headers). The Electron it packs is a stand-in folder with a shell
// script named `electron`: the packed app is not run.

const require = createRequire(import.meta.url);
const BUILDER = path.join(path.dirname(require.resolve('electron-builder/package.json')), 'cli.js');
const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string>; version: string };

function standInElectron(): string {
  const dir = tmpDir('flowscope-electron-standin-');
  fs.writeFileSync(path.join(dir, 'electron'), '#!/bin/sh\necho "a stand-in for Electron: this packaging check does not run the app"\n', { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'version'), (require('electron/package.json') as { version: string }).version);
  return dir;
}

function builder(args: string[]) {
  const r = spawnSync(process.execPath, [BUILDER, ...args], {
    encoding: 'utf8',
    // No publishing, no update checks, no code signing: none of it can run here.
    env: { ...process.env, CSC_IDENTITY_AUTO_DISCOVERY: 'false', ELECTRON_BUILDER_DISABLE_UPDATE_CHECK: 'true', CI: '' },
    timeout: 300_000,
  });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

test('packaging: electron-builder refuses a configuration its schema does not allow (so the check below means something)', () => {
  const dir = tmpDir();
  const bad = path.join(dir, 'bad.yml');
  // A misspelt key in the macOS section, which a Linux build would otherwise never read.
  const config = fs.readFileSync('electron-builder.yml', 'utf8');
  assert.ok(config.includes('  category: public.app-category.developer-tools'));
  fs.writeFileSync(bad, config.replace('  category: public.app-category.developer-tools', '  targett: dmg'));
  const r = builder(['--linux', 'dir', '--config', bad, `-c.electronDist=${standInElectron()}`, `-c.directories.output=${path.join(dir, 'dist')}`]);
  assert.notEqual(r.status, 0);
  assert.match(r.output, /Invalid configuration object[\s\S]*configuration\.mac/);
});

test('packaging: electron-builder accepts electron-builder.yml and lays out the Linux app with the engine, SQLite unpacked and no dev files', () => {
  const out = tmpDir();
  const r = builder(['--linux', 'dir', `-c.electronDist=${standInElectron()}`, '-c.npmRebuild=false', `-c.directories.output=${out}`]);
  assert.equal(r.status, 0, r.output);
  const resources = path.join(out, 'linux-unpacked', 'resources');
  const asar = require('@electron/asar') as { listPackage(file: string): string[]; extractFile(archive: string, file: string): Buffer; statFile(archive: string, file: string): { unpacked?: boolean } };
  const archive = path.join(resources, 'app.asar');
  const files = new Set(asar.listPackage(archive).map((f) => f.replace(/\\/g, '/')));

  for (const f of ['/out/main/index.js', '/out/main/engine.js', '/out/preload/index.cjs', '/out/renderer/index.html', '/package.json']) {
    assert.ok(files.has(f), `app.asar holds ${f}`);
  }
  const packed = JSON.parse(asar.extractFile(archive, 'package.json').toString()) as { main: string; version: string };
  assert.equal(packed.main, './out/main/index.js');
  assert.equal(packed.version, pkg.version);
  for (const dep of Object.keys(pkg.dependencies)) assert.ok(files.has(`/node_modules/${dep}/package.json`), `the runtime dependency ${dep} is packed`);
  for (const dev of ['electron', 'react', 'typescript', 'electron-builder', 'playwright-core', 'tsx']) {
    assert.ok(!files.has(`/node_modules/${dev}/package.json`), `the dev dependency ${dev} is not packed`);
  }
  for (const f of files) assert.ok(!/^\/(src|test|scripts|bench|\.cache)\//.test(f) && !f.endsWith('.map'), `${f} does not belong in the app`);

  // The native module sits outside the archive, where Electron can load it, and the
  // archive's header points there.
  const binding = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';
  assert.ok(fs.existsSync(path.join(resources, 'app.asar.unpacked', binding)), 'better_sqlite3.node is unpacked');
  assert.equal(asar.statFile(archive, binding).unpacked, true);
  assert.ok(fs.existsSync(path.join(out, 'linux-unpacked', 'flowscope')), 'the executable is named after the package');
});
