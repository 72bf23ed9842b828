// Runs the test suites with Node's test runner. Integration and end-to-end suites get a
// single-node Kafka broker started here (unless KAFKA_BROKERS points at one) and stopped
// afterwards by its pid. Usage: node scripts/test.mjs [unit|integration|e2e]... [-- file...]
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKafka, stopKafka } from './kafka/index.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const dashdash = args.indexOf('--');
const explicit = dashdash >= 0 ? args.slice(dashdash + 1) : [];
const suites = (dashdash >= 0 ? args.slice(0, dashdash) : args).filter(Boolean);
const wanted = suites.length ? suites : ['unit', 'integration', 'e2e'];

function findTests(dir: string): string[] {
  const abs = path.join(root, 'test', dir);
  if (!fs.existsSync(abs)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(abs, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.test.ts')) out.push(path.join(entry.parentPath ?? entry.path, entry.name));
  }
  return out.sort();
}

const files = explicit.length ? explicit.map((f) => path.resolve(f)) : wanted.flatMap(findTests);
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const needsBrokers = files.some((f) => !f.includes(`${path.sep}unit${path.sep}`));
const needsRenderer = files.some((f) => f.includes(`${path.sep}e2e${path.sep}`));

const env = { ...process.env };
/** The port of the broker this run started, to stop it by its pid at the end. */
let kafkaPort: number | null = null;

async function main(): Promise<void> {
  // Browser tests need the renderer; every non-unit suite spawns the CLI, which is run from
  // its build (out/cli) so the tests exercise what the npm package ships.
  const build = needsRenderer ? 'build' : needsBrokers ? 'build:cli' : null;
  if (build && !process.env.FLOWSCOPE_SKIP_BUILD) {
    const r = spawnSync('npm', ['run', '--silent', build], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  if (needsBrokers && !env.KAFKA_BROKERS) {
    const port = Number(env.KAFKA_TEST_PORT ?? 19092);
    const kafka = await startKafka({ port });
    kafkaPort = port;
    env.KAFKA_BROKERS = kafka.brokers;
    env.FLOWSCOPE_TEST_KAFKA_PORT = String(port);
    console.log(`test kafka on ${kafka.brokers} (pid ${kafka.pid})`);
  }
  const nodeArgs = ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${env.TEST_CONCURRENCY ?? 1}`, ...files];
  const child = spawn(process.execPath, nodeArgs, { cwd: root, env, stdio: 'inherit' });
  const forward = (sig: NodeJS.Signals): void => {
    child.kill(sig);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const code = await new Promise<number>((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
  await cleanup();
  process.exit(code);
}

async function cleanup(): Promise<void> {
  if (kafkaPort === null) return;
  const port = kafkaPort;
  kafkaPort = null;
  await stopKafka({ port }).catch((e: unknown) => console.error(e));
}

main().catch(async (err: unknown) => {
  console.error(err);
  await cleanup();
  process.exit(1);
});
