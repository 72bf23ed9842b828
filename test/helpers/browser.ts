import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { Engine } from '../../src/core/engine/engine.ts';
import { startBridge, type Bridge } from '../../src/core/bridge/server.ts';
import type { AnalysisConfig } from '../../src/core/analysis/config.ts';

/** Debian's Chromium; playwright-core never downloads a browser. */
export const CHROMIUM = process.env.FLOWSCOPE_CHROMIUM ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/** Launches Chromium with a fresh, throw-away profile and opens one page. */
export async function launchBrowser(opts: { colorScheme?: 'light' | 'dark'; width?: number; height?: number } = {}): Promise<BrowserSession> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'flowscope-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ARGS,
    headless: true,
    viewport: { width: opts.width ?? 1440, height: opts.height ?? 900 },
    colorScheme: opts.colorScheme ?? 'light',
    deviceScaleFactor: 1,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close().catch(() => undefined);
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Where end-to-end screenshots go (kept as CI artifacts). */
export const ARTIFACTS = path.resolve('test-artifacts');

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

// ---- the end-to-end harness: a real engine behind the WebSocket bridge ------------------

export interface Harness {
  engine: Engine;
  bridge: Bridge;
  dataDir: string;
  close(): Promise<void>;
}

/** An in-process engine serving the built renderer (out/renderer) over the bridge. */
export async function startHarness(analysis?: Partial<AnalysisConfig>): Promise<Harness> {
  const renderer = path.resolve('out/renderer');
  if (!fs.existsSync(path.join(renderer, 'index.html'))) throw new Error('out/renderer is missing: run `npx electron-vite build` first');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowscope-e2e-'));
  const engine = new Engine({ dataDir, version: 'test', transport: 'bridge', ...(analysis ? { analysis } : {}) });
  const bridge = await startBridge({ engine, staticDir: renderer, port: 0 });
  return {
    engine,
    bridge,
    dataDir,
    close: async () => {
      await bridge.close();
      await engine.shutdown();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` holds, like an assertion that waits for what the user will see. */
export async function eventually<T>(what: string, check: () => Promise<T | false | null | undefined> | T | false | null | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await check();
      if (v !== false && v !== null && v !== undefined) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A numeric data-* attribute of an element (the UI exposes counts this way for tests). */
export async function numAttr(locator: Locator, name: string): Promise<number> {
  const v = await locator.getAttribute(name, { timeout: 5_000 });
  return v === null ? Number.NaN : Number(v);
}

/** Waits until a numeric attribute satisfies `ok`; returns the value. */
export async function waitForNum(locator: Locator, name: string, ok: (n: number) => boolean, what: string, timeoutMs = 30_000): Promise<number> {
  return eventually(what, async () => {
    const n = await numAttr(locator, name);
    return ok(n) ? n : false;
  }, timeoutMs);
}

// ---- what a user does and sees ------------------------------------------------------------

/** Clicks one of the view tabs (Messages, Flow, Conversations, Undelivered, Timeline). */
export async function openView(page: Page, name: string): Promise<void> {
  const tab = page.getByRole('tablist', { name: 'Views' }).getByRole('tab', { name, exact: true });
  await tab.click();
  await eventually(`${name} tab selected`, async () => (await tab.getAttribute('aria-selected')) === 'true');
}

/** The number of messages the Messages view says it lists (after the filter). */
export async function shownCount(page: Page): Promise<number> {
  return numAttr(page.getByTestId('message-count'), 'data-total');
}

export async function waitShown(page: Page, ok: (n: number) => boolean, what: string, timeoutMs = 30_000): Promise<number> {
  return waitForNum(page.getByTestId('message-count'), 'data-total', ok, what, timeoutMs);
}

/** The active session id, from the URL the view state lives in. */
export function sessionFromUrl(page: Page): string | null {
  return new URL(page.url()).searchParams.get('session');
}
