// Renders build/icon.svg to build/icon.png (1024×1024) with Chromium, the one SVG renderer
// every development machine here has; electron-builder makes the .icns and .ico from the PNG.
// Run after editing the SVG: node --import tsx scripts/icon.ts
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const svg = fs.readFileSync(path.join(root, 'build/icon.svg'), 'utf8');
const browser = await chromium.launch({ executablePath: process.env.FLOWSCOPE_CHROMIUM ?? '/usr/bin/chromium' });
try {
  const page = await browser.newPage({ viewport: { width: 1024, height: 1024 } });
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
  await page.locator('svg').screenshot({ path: path.join(root, 'build/icon.png'), omitBackground: true });
} finally {
  await browser.close();
}
console.log('build/icon.png written');
