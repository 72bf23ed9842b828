import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, test } from 'node:test';
import { launchBrowser, screenshot, waitShown, type BrowserSession } from '../helpers/browser.ts';
import { tmpDir } from '../helpers/tmp.ts';

// What a user sees when the engine process dies under the UI (the same host code runs the
// desktop app's utilityProcess): a banner that says what happened and offers to reopen the
// session, whose file kept what was recorded.

let browser: BrowserSession | null = null;
let child: ChildProcess | null = null;

after(async () => {
  await browser?.close();
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  }
});

test('engine crash: the window shows a banner with the session to reopen, and reopening shows what was recorded', async () => {
  const dir = tmpDir();
  child = spawn(process.execPath, [path.resolve('bin/flowscope.mjs'), 'serve', '--demo'], {
    env: { ...process.env, FLOWSCOPE_DATA_DIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
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
  await waitShown(page, (n) => n >= 20, 'demo traffic in the list');
  process.kill(await enginePidOf(url), 'SIGKILL');

  const banner = page.getByTestId('engine-crash');
  await banner.waitFor();
  assert.match((await banner.textContent()) ?? '', /stopped unexpectedly \(ended by SIGKILL\).*reopen/s);
  await screenshot(page, 'engine-crash-banner');
  await banner.getByRole('button', { name: 'Reopen' }).click();
  await banner.waitFor({ state: 'detached' });
  await waitShown(page, (n) => n >= 20, 'the reopened session with what was recorded');
  await screenshot(page, 'engine-crash-reopened');
});

/** The engine's pid, asked over the bridge as the page would. */
async function enginePidOf(url: string): Promise<number> {
  const { default: WebSocket } = await import('ws');
  const u = new URL(url);
  const ws = new WebSocket(`ws://${u.host}/bridge?token=${u.searchParams.get('token')}`);
  await new Promise((r) => ws.once('open', r));
  const reply = await new Promise<{ result: { enginePid: number } }>((r) => {
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as { id?: number; result: { enginePid: number } };
      if (m.id === 1) r(m);
    });
    ws.send(JSON.stringify({ id: 1, channel: 'renderer:app:info', input: {} }));
  });
  ws.terminate();
  return reply.result.enginePid;
}
