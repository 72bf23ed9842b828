import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { launchBrowser, numAttr, openView, screenshot, startHarness, waitForNum, type BrowserSession, type Harness } from '../helpers/browser.ts';
import { writeRpcSession, type RpcSessionTruth } from '../helpers/rpc-session.ts';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { keepAnalysis } from '../../src/core/engine/session-analysis.ts';
import { formatCountShort } from '../../src/renderer/src/lib/format.ts';

// Opening a big saved session with request/reply pairs: the analysis views say how far the
// analysis has got, never an empty answer, and then show the true pairs. Timings are
// printed for the report, never asserted (the machine is shared).

const REQUESTS = Number(process.env.FLOWSCOPE_E2E_RPC_REQUESTS ?? 500_000);

let h: Harness;
let b: BrowserSession;
let file: string;
let truth: RpcSessionTruth;

before(async () => {
  h = await startHarness();
  file = path.join(h.dataDir, 'rpc.flowscope');
  const t0 = Date.now();
  truth = writeRpcSession(file, { requests: REQUESTS });
  console.log(`# built a ${truth.messages.toLocaleString('en-US')}-message request/reply session in ${Date.now() - t0} ms`);
  b = await launchBrowser();
});

after(async () => {
  await b?.close();
  await h?.close();
});

/**
 * Watches the page for what must not be shown while the analysis runs: an empty answer
 * ("no pairs", "nothing undelivered", "no flow") or figures beside the progress bar.
 */
const WATCH = `(() => {
  const seen = (window.__seen = { progress: 0, empty: [], figuresWhileRunning: 0 });
  const EMPTY = /No request→reply pairs found yet|No pairs yet|Nothing undelivered|No flow yet/;
  const check = () => {
    const running = document.querySelector('[data-testid="analysis-progress"], [data-testid="header-analysis-progress"]');
    if (running) seen.progress += 1;
    const m = document.body.textContent.match(EMPTY);
    if (m && !seen.empty.includes(m[0])) seen.empty.push(m[0]);
    if (running && document.querySelector('[data-testid="pairs-matched"], [data-testid="undelivered-total"], [data-testid="flow-summary"]')) seen.figuresWhileRunning += 1;
  };
  new MutationObserver(check).observe(document.body, { childList: true, subtree: true, characterData: true });
})()`;

test(`opening a ${REQUESTS.toLocaleString('en-US')}-call saved session shows the analysis progress, then the pairs`, { timeout: 900_000 }, async () => {
  const { page } = b;
  await page.goto(h.bridge.url);
  await page.evaluate(WATCH);
  await page.getByRole('button', { name: /Open a session file/ }).click();
  await page.getByTestId('path-dialog').getByLabel('File path').fill(file);
  const t0 = Date.now();
  await page.getByTestId('path-dialog').getByRole('button', { name: 'Open' }).click();

  // The header says the analysis is running wherever the user is; the analysis views show it instead of results.
  const header = page.getByTestId('header-analysis-progress');
  await header.waitFor();
  assert.equal(await numAttr(header, 'data-total'), truth.messages);
  await openView(page, 'Conversations');
  const progress = page.getByTestId('analysis-progress');
  await progress.waitFor();
  const firstShown = Date.now() - t0;
  assert.equal(await numAttr(progress, 'data-total'), truth.messages);
  const done = await numAttr(progress, 'data-done');
  assert.ok(done > 0 && done < truth.messages, `progress ${done} of ${truth.messages}`);
  assert.match((await progress.textContent()) ?? '', /Analysing… [\d,]+ of [\d,]+ messages/);
  assert.equal(await progress.getByRole('progressbar').getAttribute('max'), String(truth.messages));
  await screenshot(page, 'analysis-progress-conversations');

  // Then the pairs, exactly as they were recorded.
  await waitForNum(page.getByTestId('pairs-matched'), 'data-value', (n) => n === truth.matched, 'the matched pairs', 800_000);
  const ready = Date.now() - t0;
  assert.equal(await numAttr(page.getByTestId('pairs-unanswered'), 'data-value'), truth.unanswered);
  assert.equal(await numAttr(page.getByTestId('pairs-orphans'), 'data-value'), 0);
  await page.getByTestId('pair-row').first().waitFor();
  assert.equal(await header.count(), 0, 'the header no longer shows progress');
  assert.equal(await progress.count(), 0);
  assert.ok(await page.getByRole('cell', { name: 'rpc.requests', exact: false }).first().isVisible(), 'the latency table lists the request topic');
  await screenshot(page, 'analysis-ready-conversations');

  await openView(page, 'Undelivered');
  await waitForNum(page.getByTestId('undelivered-total'), 'data-total', (n) => n === truth.messages, 'every record undelivered: no group reads either topic');
  await openView(page, 'Flow');
  await waitForNum(page.getByTestId('flow-summary'), 'data-edges', (n) => n === 2, 'producers → rpc.requests and → rpc.replies');

  const seen = (await page.evaluate('window.__seen')) as { progress: number; empty: string[]; figuresWhileRunning: number };
  assert.ok(seen.progress > 0, 'progress was on screen');
  assert.deepEqual(seen.empty, [], 'no empty answer was shown at any time');
  assert.equal(seen.figuresWhileRunning, 0, 'no figures were shown beside the progress');
  console.log(`# ${truth.messages.toLocaleString('en-US')} messages: progress on screen ${firstShown} ms after Open, pairs shown after ${ready} ms`);
});

// The file above has no kept analysis (written straight into the store, as an older
// Flowscope's file), so it was read with progress, and opening it wrote nothing. Once its
// analysis is kept in the file (as a recording or an import keeps it, issue 12), the same
// session reopened shows its pairs at once, with no progress on screen at all.
test('reopened, the same session shows its pairs at once: the analysis is kept in the file', { timeout: 300_000 }, async () => {
  const { page } = b;
  await page.locator('header.session-header').getByRole('button', { name: 'Close', exact: true }).click();
  await page.getByRole('button', { name: /Open a session file/ }).waitFor();
  const store = SessionStore.open(file);
  try {
    assert.equal(store.snapshots.kept(), null, 'opening the file wrote no kept analysis into it');
    assert.deepEqual(await keepAnalysis(store), { state: 'ready' });
  } finally {
    store.close();
  }
  await page.evaluate(WATCH);
  await page.getByRole('button', { name: /Open a session file/ }).click();
  await page.getByTestId('path-dialog').getByLabel('File path').fill(file);
  const t0 = Date.now();
  await page.getByTestId('path-dialog').getByRole('button', { name: 'Open' }).click();
  await openView(page, 'Conversations');
  await waitForNum(page.getByTestId('pairs-matched'), 'data-value', (n) => n === truth.matched, 'the matched pairs', 60_000);
  const ready = Date.now() - t0;
  assert.equal(await numAttr(page.getByTestId('pairs-unanswered'), 'data-value'), truth.unanswered);
  assert.equal(await numAttr(page.getByTestId('pairs-orphans'), 'data-value'), 0);
  await page.getByTestId('pair-row').first().waitFor();
  // Hundreds of thousands of pairs in a latency bucket: the histogram's top label must fit in
  // the chart (the full "490,000" was cut to "0,000" at its edge), the exact count in its title.
  const top = page.getByTestId('histogram-max');
  await top.waitFor();
  const exact = (await top.locator('title').textContent()) ?? '';
  const biggest = Number(exact.replaceAll(',', ''));
  assert.ok(biggest > 100_000 && biggest <= truth.matched, `the biggest bucket holds ${exact}`);
  assert.equal((await top.textContent())?.slice(exact.length), formatCountShort(biggest));
  const inside = await top.evaluate((el) => {
    const text = el.getBoundingClientRect();
    const chart = el.closest('svg')!.getBoundingClientRect();
    return text.left >= chart.left && text.right <= chart.right;
  });
  assert.ok(inside, 'the label lies inside the chart');
  await screenshot(page, 'analysis-kept-conversations');
  await openView(page, 'Undelivered');
  await waitForNum(page.getByTestId('undelivered-total'), 'data-total', (n) => n === truth.messages, 'every record undelivered');
  await openView(page, 'Flow');
  await waitForNum(page.getByTestId('flow-summary'), 'data-edges', (n) => n === 2, 'the two edges');
  const seen = (await page.evaluate('window.__seen')) as { progress: number; empty: string[]; figuresWhileRunning: number };
  assert.equal(seen.progress, 0, 'no progress: nothing was read again');
  assert.deepEqual(seen.empty, [], 'no empty answer was shown at any time');
  console.log(`# ${truth.messages.toLocaleString('en-US')} messages reopened with the kept analysis: pairs shown after ${ready} ms`);
});
