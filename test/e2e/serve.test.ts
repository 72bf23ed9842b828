import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, test } from 'node:test';
import { eventually, launchBrowser, openView, screenshot, waitForNum, waitShown, type BrowserSession } from '../helpers/browser.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { freePort, runPythonClient, startPythonServer } from '../fixtures/ws_python.ts';

// `flowscope serve` as a user runs it: the CLI prints the URL (token included) on its
// first line, the browser opens it, the user records a WebSocket conversation through a
// proxy set up in the connect dialog, and watches it arrive.

const BIN = path.resolve('bin/flowscope.mjs');
const children: ChildProcess[] = [];
let browser: BrowserSession | null = null;

after(async () => {
  await browser?.close();
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGTERM');
      await new Promise((r) => c.once('exit', r));
    }
  }
});

/** Starts the CLI and resolves with the URL it prints first. */
async function startCli(args: string[], dataDir: string): Promise<{ url: string; child: ChildProcess; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, FLOWSCOPE_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve(line.trim());
    });
    child.once('exit', (code) => reject(new Error(`flowscope ${args[0]} exited with ${code}: ${err}`)));
  });
  return { url, child, stderr: () => err };
}

test('flowscope serve: the first line is the URL; a live proxy recording shows up in the browser', async () => {
  const dir = tmpDir();
  const { url } = await startCli(['serve', '--port', '0'], dir);
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);

  const server = await startPythonServer('ws_echo_server.py');
  try {
    browser = await launchBrowser();
    const { page } = browser;
    await page.goto(url);
    await page.getByTestId('empty-state').waitFor();
    assert.ok(!page.url().includes('token='), 'the token is taken out of the address bar');

    await page.getByRole('button', { name: /Record from an endpoint/ }).click();
    const dialog = page.getByTestId('connect-dialog');
    await dialog.getByRole('tab', { name: 'WebSocket proxy' }).click();
    const proxyPort = await freePort();
    await dialog.getByLabel('Listen port').fill(String(proxyPort));
    await dialog.getByLabel('Target URL').fill(`ws://127.0.0.1:${server.port}`);
    await dialog.getByRole('button', { name: 'Connect and record' }).click();
    await dialog.waitFor({ state: 'detached' });
    const chip = page.getByTestId('endpoint-chip').first();
    await eventually('the proxy to record', async () => (await chip.getAttribute('data-status')) === 'recording');

    // Real traffic from a python3-websockets client: text, binary, invalid UTF-8, 5 MB.
    const lines = await runPythonClient('ws_client.py', [`ws://127.0.0.1:${proxyPort}`]);
    const frames = lines.filter((l) => l.includes('"dir"')).length;
    await waitShown(page, (n) => n >= frames, `the list to show the ${frames} frames as they arrive`);

    // A click shows the frame's detail: the binary, invalid-UTF-8 frame is shown as hex.
    await page.getByLabel('Payload text', { exact: true }).fill('not utf-8');
    await waitShown(page, (n) => n >= 2 && n < frames, 'the invalid UTF-8 frame both ways, and nothing else');
    await page.getByTestId('message-row').first().click();
    const detail = page.getByTestId('detail-pane');
    await detail.waitFor();
    await detail.getByText(/ff fe 00 80/).waitFor();
    await screenshot(page, 'serve-live-proxy-detail');
  } finally {
    await server.stop();
  }
});

test('flowscope demo --serve: a newcomer sees the demo system as a flow graph with no broker', async () => {
  const dir = tmpDir();
  const { url } = await startCli(['demo', '--serve', '--port', '0'], dir);
  browser ??= await launchBrowser();
  const { page } = browser;
  await page.goto(url);
  await openView(page, 'Flow');
  await page.locator('[data-testid="flow-node"][data-kind="ws-server"]').first().waitFor();
  await waitForNum(page.getByTestId('flow-summary'), 'data-edges', (n) => n >= 6, 'publisher, subscribers and RPC edges');
  await screenshot(page, 'demo-flow-light');
  await openView(page, 'Conversations');
  await waitForNum(page.getByTestId('pairs-matched'), 'data-value', (n) => n >= 5, 'answered JSON-RPC requests');
  await screenshot(page, 'demo-conversations-light');
});
