import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { tmpDir } from '../helpers/tmp.ts';

// An install whose store-writer thread is missing or does not load (a damaged or partial
// build) records anyway: on the recording's own thread, every message kept, with a warning.
// It used to pause the recording for good ("recording is paused and retried. Free space on
// that disk"), holding what it captured in memory until the user gave up.

const REPO = path.resolve('.');

/** A copy of the built CLI as a package install has it (no sources), with its writer thread as `writer` leaves it. */
function install(dir: string, writer: (file: string) => void): string {
  const root = path.join(dir, 'install');
  fs.cpSync(path.join(REPO, 'out/cli'), path.join(root, 'out/cli'), { recursive: true });
  fs.mkdirSync(path.join(root, 'bin'));
  fs.copyFileSync(path.join(REPO, 'bin/flowscope.mjs'), path.join(root, 'bin/flowscope.mjs'));
  fs.copyFileSync(path.join(REPO, 'package.json'), path.join(root, 'package.json'));
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'));
  writer(path.join(root, 'out/cli/writer-worker.js'));
  return path.join(root, 'bin/flowscope.mjs');
}

function demo(bin: string, out: string, dataDir: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, 'demo', '--out', out, '--duration', '3'], {
      env: { ...process.env, FLOWSCOPE_DATA_DIR: dataDir },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code, sig) => resolve({ code: code ?? (sig ? 128 : 0), stderr }));
  });
}

for (const [kind, leave, says] of [
  ['missing', (file: string) => fs.rmSync(file), /the store writer thread cannot start: the writer-worker thread \(writer-worker\.js\) is missing beside the Flowscope build/],
  ['broken', (file: string) => fs.writeFileSync(file, "throw new Error('a broken build');\n"), /the store writer thread could not run: a broken build/],
] as const) {
  test(`a build whose writer thread is ${kind} records every message on the recording's own thread, and says so`, { timeout: 120_000 }, async () => {
    const dir = tmpDir();
    const bin = install(dir, leave);
    const out = path.join(dir, `${kind}.flowscope`);
    const r = await demo(bin, out, dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, says);
    assert.match(r.stderr, /is written on the recording's own thread instead/);
    assert.doesNotMatch(r.stderr, /paused|WRITE FAILED/i, 'the recording never paused');
    const printed = Number(/demo stopped: ([\d,]+) messages/.exec(r.stderr)?.[1]?.replaceAll(',', ''));
    const db = new Database(out, { readonly: true });
    const rows = db.prepare('SELECT COUNT(*) AS n, MIN(seq) AS first, MAX(seq) AS last FROM messages').get() as { n: number; first: number; last: number };
    db.close();
    assert.ok(rows.n > 0, 'the demo traffic is in the file');
    assert.deepEqual([rows.n, rows.first, rows.last], [printed, 1, printed], 'every message the command counted is stored, seqs without a hole');
  });
}
