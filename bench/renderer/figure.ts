/**
 * Renderer responsiveness while recording at full rate: `flowscope serve` (the built CLI) in
 * its own process, the UI in Chromium (playwright-core, the flags of test/helpers/browser.ts),
 * a WebSocket proxy set up in the connect dialog, and an echo client driving round trips
 * through it as fast as it can, first with the Messages view live, then with Flow. A
 * PerformanceObserver for 'longtask' in the page reports every main-thread task over 50 ms.
 * BENCH_PROFILE=DIR also writes a CPU profile of the page per view (open it in DevTools);
 * screenshots of each view at the end of its burst go to test-artifacts/.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { eventually, launchBrowser, openView, screenshot } from '../../test/helpers/browser.ts';
import { freePort, run, startCli, startTs, stop, waitFor } from '../lib/proc.ts';
import type { Figure, FigureContext } from '../lib/report.ts';
import type { Suite } from '../lib/suite.ts';

interface LongTasks {
  count: number;
  longestMs: number;
  totalMs: number;
}

/** Installed before the page's own scripts: every long task since the last reset. */
const OBSERVE = `
  window.__longtasks = [];
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longtasks.push(e.duration); })
    .observe({ type: 'longtask', buffered: true });
`;

async function collect(page: Page): Promise<LongTasks> {
  const d = await page.evaluate(`window.__longtasks.splice(0)`) as number[];
  return { count: d.length, longestMs: d.length ? Math.max(...d) : 0, totalMs: d.reduce((a, b) => a + b, 0) };
}

async function shown(page: Page): Promise<number> {
  return Number(await page.getByTestId('message-count').getAttribute('data-total', { timeout: 5000 }));
}

async function rendererFigures(ctx: FigureContext): Promise<{ figures: Figure[]; notes: string[] }> {
  const trips = ctx.quick ? 10_000 : Number(process.env.BENCH_UI_TRIPS ?? 60_000);
  const echo = startTs('bench/ws/echo-server.ts', []);
  const target = `ws://127.0.0.1:${(await waitFor(echo, /port (\d+)/))[1]}`;
  const serve = startCli(['serve', '--port', '0'], { FLOWSCOPE_DATA_DIR: path.join(ctx.dir, 'ui-data') });
  const url = (await waitFor(serve, /(http:\/\/127\.0\.0\.1:\d+\/\S*)/))[1]!;
  const browser = await launchBrowser();
  const profileDir = process.env.BENCH_PROFILE;
  try {
    const { page } = browser;
    await page.addInitScript(OBSERVE);
    await page.goto(url);
    await page.getByRole('button', { name: /Record from an endpoint/ }).click();
    const dialog = page.getByTestId('connect-dialog');
    await dialog.getByRole('tab', { name: 'WebSocket proxy' }).click();
    const proxyPort = await freePort();
    await dialog.getByLabel('Listen port').fill(String(proxyPort));
    await dialog.getByLabel('Target URL').fill(target);
    await dialog.getByRole('button', { name: 'Connect and record' }).click();
    await dialog.waitFor({ state: 'detached' });
    const chip = page.getByTestId('endpoint-chip').first();
    await eventually('endpoint recording', async () => (await chip.getAttribute('data-status')) === 'recording');

    // Same-run reference: the open window with no traffic, for as long as a short burst, so
    // what the shared machine does to the page's tasks shows beside the figure.
    await collect(page);
    await page.waitForTimeout(5000);
    const idle = await collect(page);
    const results: Array<{ view: string; tasks: LongTasks; rate: number; shownAfter: number }> = [];
    let expected = 1; // the connection's open
    for (const view of ['Messages', 'Flow']) {
      await openView(page, view);
      await collect(page);
      const cdp = profileDir ? await page.context().newCDPSession(page) : null;
      if (cdp) {
        await cdp.send('Profiler.enable');
        await cdp.send('Profiler.start');
      }
      const out = await run(startTs('bench/ws/echo-client.ts', [`ws://127.0.0.1:${proxyPort}/ui`, String(trips), '256']), 'ws client');
      const r = JSON.parse(out.trim().split('\n').pop()!) as { n: number; ms: number };
      expected += 2 * trips + 2; // frames both ways, open and close of this connection
      // The window catches up with what was recorded: the tasks of that catch-up count too.
      if (view === 'Messages') await eventually('the list to show every message', async () => (await shown(page)) >= expected - 1, 60_000).catch(() => undefined);
      else await page.waitForTimeout(1500);
      if (cdp) {
        const { profile } = await cdp.send('Profiler.stop');
        fs.mkdirSync(profileDir!, { recursive: true });
        fs.writeFileSync(path.join(profileDir!, `renderer-${view.toLowerCase()}.cpuprofile`), JSON.stringify(profile));
        await cdp.detach();
      }
      // What the window showed at the end of the burst, kept beside the e2e screenshots.
      await screenshot(page, `bench-renderer-${view.toLowerCase()}`);
      const tasks = await collect(page);
      await openView(page, 'Messages');
      // A list opened again counts from its first query: wait for it rather than read 0.
      const total = await eventually('the list to count every message', async () => ((await shown(page)) >= expected - 1 ? shown(page) : false), 60_000).catch(() => shown(page));
      results.push({ view, tasks, rate: (r.n / r.ms) * 1000, shownAfter: total });
    }
    const cmd = 'npm run bench -- renderer';
    return {
      figures: results.map((r) => ({
        name: `Renderer main thread while recording ${trips.toLocaleString('en-US')} round trips at full rate (${Math.round(r.rate).toLocaleString('en-US')}/s), ${r.view} view open`,
        reference: `same window, 5 s without traffic: longest task ${idle.longestMs.toFixed(0)} ms, ${idle.count} over 50 ms`,
        ours: `longest task ${r.tasks.longestMs.toFixed(0)} ms; ${r.tasks.count} tasks over 50 ms, ${r.tasks.totalMs.toFixed(0)} ms in all`,
        ratio: null,
        target: 'no task over 100 ms',
        command: cmd,
      })),
      notes: [`The Messages view listed ${results.at(-1)?.shownAfter.toLocaleString('en-US') ?? '?'} messages at the end (the session held ${expected.toLocaleString('en-US')}).`],
    };
  } finally {
    await browser.close();
    await stop(serve, 'SIGINT');
    await stop(echo);
  }
}

export const rendererSuite: Suite = { key: 'renderer', title: 'Renderer responsiveness while recording', run: rendererFigures };
