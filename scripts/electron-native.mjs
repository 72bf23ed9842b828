#!/usr/bin/env node
// better-sqlite3 is a native module: the copy in node_modules is built for Node (the CLI
// and the tests use it). The desktop app needs a build for Electron's ABI; this fetches the
// prebuilt one once into .cache/electron-native/, which the shell (src/main/index.ts) hands to the store.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const target = path.join(root, '.cache', 'electron-native', 'better_sqlite3.node');
if (fs.existsSync(target)) process.exit(0);

const electronVersion = require('electron/package.json').version;
const sqliteDir = path.dirname(require.resolve('better-sqlite3/package.json'));
// mkdtemp creates only the last path segment; a fresh clone has no .cache yet (issue 13).
fs.mkdirSync(path.join(root, '.cache'), { recursive: true });
const work = fs.mkdtempSync(path.join(root, '.cache', 'electron-native-'));
fs.cpSync(sqliteDir, work, { recursive: true });
fs.rmSync(path.join(work, 'build'), { recursive: true, force: true });
const prebuild = path.join(root, 'node_modules', '.bin', 'prebuild-install');
const r = spawnSync(prebuild, ['--runtime', 'electron', '--target', electronVersion], { cwd: work, stdio: 'inherit' });
const built = path.join(work, 'build', 'Release', 'better_sqlite3.node');
if (r.status !== 0 || !fs.existsSync(built)) {
  console.error(
    `Could not fetch better-sqlite3 for Electron ${electronVersion}. ` +
      'Run `npx @electron/rebuild -f -w better-sqlite3` instead, or use `npx flowscope demo --serve` in a browser.',
  );
  fs.rmSync(work, { recursive: true, force: true });
  process.exit(1);
}
fs.mkdirSync(path.dirname(target), { recursive: true });
fs.copyFileSync(built, target);
fs.rmSync(work, { recursive: true, force: true });
console.log(`better-sqlite3 for Electron ${electronVersion} ready`);
