/**
 * Side-by-side benchmarks: each figure is measured beside a reference in the same run and
 * reported as a ratio in BENCHMARKS.md (see bench/lib/report.ts).
 *
 *   npm run bench                 every figure
 *   npm run bench -- ws reopen    only these (names below)
 *   BENCH_QUICK=1 npm run bench   small N and short soak: checks the harness end to end
 *
 * The CLI figures spawn the built CLI (`node bin/flowscope.mjs`): the run starts with
 * `npm run build` (BENCH_SKIP_BUILD=1 skips it), so a stale build never falls back to tsx
 * and the figures measure the sources as they are. Kafka figures start a broker (scripts/kafka) on BENCH_KAFKA_PORT (default 39092)
 * unless KAFKA_BROKERS names one.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeSection, table } from './lib/report.ts';
import type { Suite } from './lib/suite.ts';
import { stopBroker } from './lib/context.ts';
import { ROOT } from './lib/proc.ts';
import { kafkaSuite } from './kafka/figure.ts';
import { soakSuite } from './kafka/soak.ts';
import { tailSuite } from './kafka/tail.ts';
import { reopenSuite } from './reopen/figure.ts';
import { analysisSuite } from './analysis/figure.ts';
import { wsSuite } from './ws/figure.ts';
import { startupSuite } from './startup.ts';
import { amqpSuite } from './amqp/figure.ts';
import { rendererSuite } from './renderer/figure.ts';

/** In this order, so reopen and analysis reuse the session the kafka figure recorded. */
const suites: Suite[] = [kafkaSuite, reopenSuite, analysisSuite, tailSuite, soakSuite, wsSuite, startupSuite, amqpSuite, rendererSuite];

const quick = process.env.BENCH_QUICK === '1';
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !suites.some((s) => s.key === w));
if (unknown.length) {
  console.error(`unknown figure ${unknown.join(', ')}; choose from: ${suites.map((s) => s.key).join(', ')}`);
  process.exit(2);
}
const chosen = wanted.length ? suites.filter((s) => wanted.includes(s.key)) : suites;
if (process.env.BENCH_SKIP_BUILD !== '1') {
  const built = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (built.status !== 0) {
    console.error('npm run build failed; the figures would measure a stale CLI');
    process.exit(1);
  }
}
let failed = 0;
// Sessions recorded by one figure are reused by the next, so the scratch space lives for the run.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowscope-bench-'));
try {
  for (const suite of chosen) {
    console.log(`\n== ${suite.title}`);
    try {
      const { figures, notes = [] } = await suite.run({ quick, dir });
      console.log(table(figures));
      for (const n of notes) console.log(`- ${n}`);
      writeSection(suite.key, suite.title, figures, notes, quick, suites.map((s) => s.key));
    } catch (err) {
      failed++;
      console.error(`${suite.key} failed: ${(err as Error).stack ?? String(err)}`);
    }
  }
} finally {
  await stopBroker();
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
