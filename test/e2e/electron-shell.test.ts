import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

// The Electron binary cannot run on CI machines, so the shell is checked as built: the
// things that would break the desktop app or its security for a user.
const out = path.resolve('out');

test('the sandboxed preload needs nothing but electron at run time', () => {
  const preload = fs.readFileSync(path.join(out, 'preload/index.cjs'), 'utf8');
  const required = [...preload.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
  // A sandboxed preload can only require electron; any other package would fail to load
  // and leave the window without its API.
  assert.deepEqual([...new Set(required)], ['electron']);
  assert.match(preload, /exposeInMainWorld\(["']flowscope["']/);
  assert.doesNotMatch(preload, /exposeInMainWorld\(["']ipcRenderer/);
});

test('windows are isolated and sandboxed, and the page carries a strict CSP', () => {
  const main = fs.readFileSync(path.join(out, 'main/index.js'), 'utf8');
  assert.match(main, /contextIsolation: true/);
  assert.match(main, /sandbox: true/);
  assert.match(main, /nodeIntegration: false/);
  assert.match(main, /setWindowOpenHandler/);
  const html = fs.readFileSync(path.join(out, 'renderer/index.html'), 'utf8');
  const csp = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1] ?? '';
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /script-src 'self'(;|$)/, 'no inline or remote scripts');
  assert.doesNotMatch(csp, /unsafe-eval/);
});
