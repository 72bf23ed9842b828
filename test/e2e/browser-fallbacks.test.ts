import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, test } from 'node:test';
import { launchBrowser, type BrowserSession } from '../helpers/browser.ts';
import { tmpDir } from '../helpers/tmp.ts';

// The desktop app's native dialogs and dropped files have no counterpart in a browser:
// there the typed-path dialog stays, and a dropped file says what to do instead.

let browser: BrowserSession | null = null;
let child: ChildProcess | null = null;

after(async () => {
  await browser?.close();
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  }
});

test('browser build: Open… is the typed-path dialog without Browse…, and a dropped file points to it', async () => {
  child = spawn(process.execPath, [path.resolve('bin/flowscope.mjs'), 'serve'], {
    env: { ...process.env, FLOWSCOPE_DATA_DIR: tmpDir() },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve) => {
    let out = '';
    child!.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!.trim());
    });
  });
  browser = await launchBrowser();
  const { page } = browser;
  await page.goto(url);
  await page.getByTestId('empty-state').waitFor();

  // A file dropped from the desktop onto the page (run in the page, which has the DOM types).
  await page.evaluate(`(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['x'], 'incident.flowscope'));
    window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  })()`);
  const toast = page.getByTestId('toast');
  await toast.waitFor();
  assert.match((await toast.textContent()) ?? '', /works in the desktop app; here, use Open…/);

  await page.getByRole('button', { name: 'Open a session file' }).click();
  const dialog = page.getByTestId('path-dialog');
  await dialog.waitFor();
  await dialog.getByLabel('File path').waitFor();
  assert.equal(await dialog.getByRole('button', { name: 'Browse…' }).count(), 0);
});
