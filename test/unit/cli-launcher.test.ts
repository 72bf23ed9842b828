import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { tmpDir } from '../helpers/tmp.ts';

// bin/flowscope.mjs picks what runs: the build in out/cli when it holds every change to its
// sources, the TypeScript sources through tsx in a checkout where it does not, and the build
// alone in an installed package, which has no sources. A stand-in checkout whose "build" and
// "sources" each print their name shows which one ran.

function checkout(): string {
  const dir = tmpDir('flowscope-launcher-');
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.copyFileSync(path.resolve('bin/flowscope.mjs'), path.join(dir, 'bin/flowscope.mjs'));
  fs.symlinkSync(path.resolve('node_modules'), path.join(dir, 'node_modules'));
  // ES modules, as in the repository and the package: tsx's ESM hooks compile the sources.
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  fs.mkdirSync(path.join(dir, 'src/cli'), { recursive: true });
  // A type annotation: this file only runs through tsx.
  fs.writeFileSync(path.join(dir, 'src/cli/index.ts'), "const from: string = 'sources';\nconsole.log(from, process.argv.slice(2).join(' '));\n");
  build(dir);
  return dir;
}

/** What `npm run build:cli` leaves: the bundle and its manifest, made after the sources. */
function build(dir: string): void {
  fs.mkdirSync(path.join(dir, 'out/cli'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'out/cli/index.js'), "console.log('build', process.argv.slice(2).join(' '));\n");
  const builtAt = fs.statSync(path.join(dir, 'src/cli/index.ts')).mtimeMs + 1000;
  fs.writeFileSync(path.join(dir, 'out/cli/sources.json'), JSON.stringify({ builtAt, sources: ['src/cli/index.ts'] }));
}

function start(dir: string): string {
  const r = spawnSync(process.execPath, [path.join(dir, 'bin/flowscope.mjs'), '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

test('a checkout runs its build while the build holds every change to its sources', () => {
  assert.equal(start(checkout()), 'build --help');
});

test('a checkout runs its sources through tsx once one of them is newer than the build', () => {
  const dir = checkout();
  const later = new Date(Date.now() + 5000);
  fs.utimesSync(path.join(dir, 'src/cli/index.ts'), later, later);
  assert.equal(start(dir), 'sources --help');
});

test('a checkout runs its sources when it has no build, or a source of the build is gone', () => {
  const unbuilt = checkout();
  fs.rmSync(path.join(unbuilt, 'out'), { recursive: true });
  assert.equal(start(unbuilt), 'sources --help');

  const moved = checkout();
  fs.writeFileSync(path.join(moved, 'out/cli/sources.json'), JSON.stringify({ builtAt: Date.now() + 5000, sources: ['src/cli/index.ts', 'src/cli/gone.ts'] }));
  assert.equal(start(moved), 'sources --help');
});

test('an installed package, which ships no sources, runs its build', () => {
  const dir = checkout();
  fs.rmSync(path.join(dir, 'src'), { recursive: true });
  fs.rmSync(path.join(dir, 'node_modules'));
  assert.equal(start(dir), 'build --help');
});
