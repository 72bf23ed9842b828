import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { CapturedMessage } from '../../src/shared/model.ts';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { MAX_PAGES, PAGE_SIZE } from '../../src/renderer/src/views/messages/limits.ts';
import { eventually, launchBrowser, numAttr, startHarness, waitShown, type BrowserSession, type Harness } from '../helpers/browser.ts';

// A big saved session in the browser: the list shows its first rows at once, jumps to the
// middle and the end by scrolling, and never holds more than a bounded window of rows.
// Timings are printed for the report, never asserted (the machine is shared).

const N = Number(process.env.FLOWSCOPE_E2E_SCALE ?? 1_000_000);
const DESTS = ['orders', 'payments', 'audit', 'events'];

let h: Harness;
let b: BrowserSession;
let file: string;

before(async () => {
  h = await startHarness();
  file = path.join(h.dataDir, 'big.flowscope');
  const t0 = Date.now();
  const store = SessionStore.create(file, { flowscope_version: 'test' });
  const enc = new TextEncoder();
  const base = Date.now() - N;
  let batch: CapturedMessage[] = [];
  for (let i = 0; i < N; i++) {
    batch.push({
      time: base + i,
      transport: 'kafka',
      endpoint: 'kafka-1',
      event: 'publish',
      destKind: 'topic',
      destination: DESTS[i % DESTS.length]!,
      partition: i % 3,
      offset: String(Math.floor(i / 3)),
      key: enc.encode(`k${i % 100}`),
      payload: enc.encode(`{"n":${i},"kind":"${i % 2 ? 'odd' : 'even'}"}`),
    });
    if (batch.length === 10_000) {
      store.insertBatch(batch);
      batch = [];
    }
  }
  if (batch.length) store.insertBatch(batch);
  store.close();
  console.log(`# built a ${N.toLocaleString('en-US')}-message session in ${Date.now() - t0} ms`);
  b = await launchBrowser();
});

after(async () => {
  await b?.close();
  await h?.close();
});

interface Scrollable {
  scrollTop: number;
  scrollHeight: number;
  clientHeight: number;
}

/** The sequence numbers of the rows on screen. */
async function visibleSeqs(): Promise<number[]> {
  return b.page.evaluate(`(() => {
    const grid = document.querySelector('[data-testid="message-grid"]').getBoundingClientRect();
    return [...document.querySelectorAll('[data-testid="message-row"]')]
      .filter((r) => { const b = r.getBoundingClientRect(); return b.bottom > grid.top && b.top < grid.bottom; })
      .map((r) => Number(r.getAttribute('data-seq')));
  })()`);
}

test(`a ${N.toLocaleString('en-US')}-message session opens at once and scrolls anywhere with a bounded cache`, async () => {
  const { page } = b;
  await page.goto(h.bridge.url);
  await page.getByRole('button', { name: /Open a session file/ }).click();
  await page.getByTestId('path-dialog').getByLabel('File path').fill(file);
  const t0 = Date.now();
  await page.getByTestId('path-dialog').getByRole('button', { name: 'Open' }).click();
  await page.locator('[data-testid="message-row"][data-seq="1"]').waitFor();
  const firstRows = Date.now() - t0;
  await waitShown(page, (n) => n === N, 'the full count');
  const counted = Date.now() - t0;

  // Jump to the middle and to the end the way a user drags the scrollbar.
  const grid = page.getByTestId('message-grid');
  const jump = async (fraction: number): Promise<{ ms: number; seqs: number[] }> => {
    const start = Date.now();
    await grid.evaluate((el, f) => {
      const s = el as unknown as Scrollable;
      s.scrollTop = (s.scrollHeight - s.clientHeight) * f;
    }, fraction);
    const seqs = await eventually(`rows at ${fraction}`, async () => {
      const s = await visibleSeqs();
      return s.length > 10 && s.every((x) => x > 0) ? s : false;
    });
    return { ms: Date.now() - start, seqs };
  };
  const middle = await jump(0.5);
  assert.ok(Math.abs(middle.seqs[0]! - N / 2) < N / 50, `the middle shows seq ≈ ${N / 2} (got ${middle.seqs[0]})`);
  const end = await jump(1);
  assert.ok(end.seqs.includes(N), 'the last message is on screen at the end');

  // A scripted scroll through the list: long tasks (> 50 ms on the main thread) are counted.
  await page.evaluate(`(() => {
    window.__longTasks = [];
    new PerformanceObserver((l) => window.__longTasks.push(...l.getEntries().map((e) => e.duration))).observe({ type: 'longtask', buffered: false });
  })()`);
  await grid.evaluate((el) => void ((el as unknown as Scrollable).scrollTop = 0));
  const box = (await grid.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const scrollStart = Date.now();
  for (let i = 0; i < 120; i++) await page.mouse.wheel(0, 600);
  await eventually('rows after the wheel', async () => (await visibleSeqs()).every((x) => x > 0));
  const scrollMs = Date.now() - scrollStart;
  const longTasks = (await page.evaluate('window.__longTasks')) as number[];

  // The renderer holds a bounded window of rows, and only what is on screen is in the DOM.
  const cached = await numAttr(grid, 'data-cached-rows');
  const domRows = await page.getByTestId('message-row').count();
  assert.ok(cached <= PAGE_SIZE * MAX_PAGES, `at most ${PAGE_SIZE * MAX_PAGES} rows cached (got ${cached})`);
  assert.ok(domRows < 120, `only visible rows are rendered (got ${domRows})`);

  // A filter on the big session: answered by the store.
  const f0 = Date.now();
  await page.getByLabel('Key', { exact: true }).fill('k42');
  await waitShown(page, (n) => n === N / 100, 'key k42', 60_000);
  const keyFilter = Date.now() - f0;

  console.log(
    [
      `# ${N.toLocaleString('en-US')} messages: first rows ${firstRows} ms after Open, full count ${counted} ms`,
      `# jump to middle ${middle.ms} ms, to end ${end.ms} ms`,
      `# 120 wheel steps (72,000 px) in ${scrollMs} ms: ${longTasks.length} long tasks, longest ${Math.round(Math.max(0, ...longTasks))} ms`,
      `# key filter (1% of rows) answered in ${keyFilter} ms`,
      `# rows cached ${cached}, rows in the DOM ${domRows}`,
    ].join('\n'),
  );
});
