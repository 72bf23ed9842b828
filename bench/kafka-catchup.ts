/**
 * Kafka catch-up, side by side in one run: `kcat -C -e -o beginning` to /dev/null against
 * `flowscope record --from-beginning` (the built CLI, full analysis on) reading the same
 * topic, with Flowscope's peak RSS from /usr/bin/time -v.
 *
 *   KAFKA_BROKERS=127.0.0.1:19311 BENCH_KAFKA_N=1000000 node --import tsx bench/kafka-catchup.ts
 *
 * Without KAFKA_BROKERS a broker is started on 39092. BENCH_TOPIC reuses a topic that
 * already holds N records (skips producing). Two Flowscope rates are reported: the whole
 * command (start, group join, catch-up, close) and the catch-up itself (first to last
 * capture time in the session file), because kafkajs spends seconds joining its group.
 * BENCH_BASELINE_BIN=/path/to/other/bin/flowscope.mjs also measures another checkout (the
 * "before" of a change) in the same run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { Kafka, logLevel } from 'kafkajs';
import { startKafka, stopKafka } from '../scripts/kafka/index.ts';

const N = Number(process.env.BENCH_KAFKA_N ?? 200_000);
const root = path.resolve(import.meta.dirname, '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowscope-catchup-'));

async function produce(brokers: string, topic: string): Promise<void> {
  const admin = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  await admin.disconnect();
  const file = path.join(dir, 'records.txt');
  const fd = fs.openSync(file, 'w');
  const chunk: string[] = [];
  for (let i = 0; i < N; i++) {
    // 200-byte values, keys spread over the partitions.
    chunk.push(`key-${i % 1000}:${String(i).padStart(10, '0')}-${'v'.repeat(189)}`);
    if (chunk.length === 10_000) fs.writeSync(fd, chunk.splice(0).join('\n') + '\n');
  }
  if (chunk.length) fs.writeSync(fd, chunk.join('\n') + '\n');
  fs.closeSync(fd);
  const r = spawnSync('kcat', ['-P', '-b', brokers, '-t', topic, '-K', ':', '-z', 'none', '-l', file], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`kcat -P exited ${r.status}`);
  fs.rmSync(file);
}

function timed(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; stdout?: 'ignore' | 'inherit' } = {}): Promise<{ ms: number; rssKb: number; stderr: string }> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const c = spawn('/usr/bin/time', ['-v', cmd, ...args], { stdio: ['ignore', opts.stdout ?? 'ignore', 'pipe'], env: opts.env ?? process.env, cwd: root });
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('exit', (code) => {
      const ms = performance.now() - t;
      if (code !== 0) return reject(new Error(`${cmd} exited ${code}: ${stderr.slice(-2000)}`));
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      resolve({ ms, rssKb: rss ? Number(rss[1]) : NaN, stderr });
    });
  });
}

const rate = (n: number, ms: number) => `${Math.round((n / ms) * 1000).toLocaleString('en-US')}/s`;

async function main(): Promise<void> {
  let brokers = process.env.KAFKA_BROKERS;
  let started = false;
  if (!brokers) {
    brokers = (await startKafka({ port: 39092 })).brokers;
    started = true;
  }
  const topic = process.env.BENCH_TOPIC ?? `catchup-${Date.now()}`;
  if (!process.env.BENCH_TOPIC) await produce(brokers, topic);

  const kcat = await timed('kcat', ['-C', '-b', brokers, '-t', topic, '-o', 'beginning', '-e', '-q']);
  const lines = [
    `Kafka catch-up, ${N.toLocaleString('en-US')} × 200 B records, 3 partitions (topic ${topic})`,
    `  kcat -C -e to /dev/null:        ${rate(N, kcat.ms)} (${(kcat.ms / 1000).toFixed(2)} s)`,
  ];
  const bins: [string, string][] = [['flowscope', path.join(root, 'bin/flowscope.mjs')]];
  if (process.env.BENCH_BASELINE_BIN) bins.unshift(['baseline', path.resolve(process.env.BENCH_BASELINE_BIN)]);
  for (const [name, bin] of bins) {
    const out = path.join(dir, `${name}.flowscope`);
    const ours = await timed(process.execPath, [
      bin, 'record', '--kafka', brokers, '--topic', topic, '--from-beginning', '--max-messages', String(N), '--out', out, '--quiet',
    ]);
    const db = new Database(out, { readonly: true });
    const row = db.prepare('SELECT COUNT(*) AS n, MIN(time) AS first, MAX(time) AS last FROM messages').get() as { n: number; first: number; last: number };
    db.close();
    const catchupMs = Math.max(1, row.last - row.first);
    lines.push(
      `  ${name} record, whole command: ${rate(row.n, ours.ms)} (${(ours.ms / 1000).toFixed(2)} s), ${(kcat.ms / ours.ms).toFixed(2)}× kcat`,
      `  ${name} record, catch-up only: ${rate(row.n, catchupMs)} (${(catchupMs / 1000).toFixed(2)} s), ${(kcat.ms / catchupMs).toFixed(2)}× kcat`,
      `  ${name} peak RSS: ${Math.round(ours.rssKb / 1024)} MB; messages in the file: ${row.n.toLocaleString('en-US')}`,
    );
  }
  console.log(lines.join('\n'));
  fs.rmSync(dir, { recursive: true, force: true });
  if (started) await stopKafka({ port: 39092 });
}

await main();
