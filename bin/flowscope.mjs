#!/usr/bin/env node
// Starts the CLI from its JavaScript build, out/cli (`npm run build:cli`; `npm install` in a
// clone and `npm pack` make it through `prepare`); the npm package holds only that build. A
// development checkout runs its TypeScript sources through tsx instead when the build is
// missing or older than any file it was made from (out/cli/sources.json), so a stale build
// never runs after an edit, a checkout or a merge.
import fs from 'node:fs';

const root = new URL('../', import.meta.url);
const build = new URL('out/cli/index.js', root);
const source = new URL('src/cli/index.ts', root);

/** True when the build exists and every source it lists is unchanged since it was made. */
function buildIsCurrent() {
  try {
    const { builtAt, sources } = JSON.parse(fs.readFileSync(new URL('out/cli/sources.json', root), 'utf8'));
    return fs.existsSync(build) && sources.every((file) => fs.statSync(new URL(file, root)).mtimeMs < builtAt);
  } catch {
    return false;
  }
}

async function start() {
  if (!fs.existsSync(source) || buildIsCurrent()) return import(build.href);
  const tsx = await import('tsx/esm/api').catch(() => null);
  if (tsx) {
    tsx.register();
    return import(source.href);
  }
  if (!fs.existsSync(build)) throw new Error('no CLI build in out/cli and no tsx to run the sources: run `npm install`');
  console.error('flowscope: out/cli is older than src/ and tsx is not installed; `npm run build:cli` refreshes it');
  return import(build.href);
}

await start().catch((err) => {
  console.error(`flowscope: ${err.message}`);
  process.exitCode = 1;
});
