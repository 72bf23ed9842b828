/** Fills a fresh 3-partition topic with N 200-byte records, with kcat (a reference client). */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { ROOT, run, sleep, start } from '../lib/proc.ts';

export const RECORD_BYTES = 200;

/** Record i: a JSON body padded to exactly RECORD_BYTES bytes, key spread over 1,000 values. */
function line(i: number): string {
  const head = `{"seq":${i},"kind":"bench","pad":"`;
  return `key-${i % 1000}\t${head}${'x'.repeat(RECORD_BYTES - head.length - 2)}"}`;
}

export async function createTopic(brokers: string, topic: string, partitions = 3): Promise<void> {
  const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

export async function fillTopic(brokers: string, topic: string, n: number, dir: string): Promise<void> {
  await createTopic(brokers, topic);
  const file = await writeRecords(dir, topic, n);
  await produceFile(brokers, topic, file);
}

/** Writes records 0…n-1 as kcat -P -K '\t' input lines into a file of `dir`; returns its path. */
export async function writeRecords(dir: string, topic: string, n: number): Promise<string> {
  const file = path.join(dir, `${topic}.txt`);
  const out = fs.createWriteStream(file);
  const chunk = 10_000;
  for (let from = 0; from < n; from += chunk) {
    const lines: string[] = [];
    for (let i = from; i < Math.min(n, from + chunk); i++) lines.push(line(i));
    if (!out.write(`${lines.join('\n')}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => {
    out.once('error', reject);
    out.end(() => resolve());
  });
  return file;
}

/** kcat producing writeRecords lines (key, tab, value) onto TOPIC, uncompressed. */
function kcatProducer(brokers: string, topic: string): string[] {
  return ['-P', '-b', brokers, '-t', topic, '-K', '\t', '-z', 'none'];
}

/** Produces a writeRecords file with kcat at its full speed, then removes the file. */
export async function produceFile(brokers: string, topic: string, file: string): Promise<void> {
  await run(start('kcat', [...kcatProducer(brokers, topic), '-l', file]), 'kcat -P');
  fs.rmSync(file, { force: true });
}

/**
 * Produces records 0…n-1 with kcat at `perS` records a second: every 50 ms, the lines the
 * clock has made due go to kcat's stdin, so a slow tick is caught up by the next one and the
 * rate holds on average. `fed` is how many lines kcat has been given so far. Resolves when
 * kcat has delivered everything and exited.
 */
export async function producePaced(brokers: string, topic: string, n: number, perS: number, fed: (count: number) => void = () => {}): Promise<void> {
  // Its own spawn, not proc.ts `start`: the lines go to kcat's stdin, which `start` closes.
  const kcat = spawn('kcat', kcatProducer(brokers, topic), { cwd: ROOT, stdio: ['pipe', 'ignore', 'pipe'] });
  let err = '';
  kcat.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number>((resolve) => kcat.once('exit', (code) => resolve(code ?? 1)));
  const t0 = performance.now();
  let sent = 0;
  while (sent < n) {
    const due = Math.min(n, Math.floor(((performance.now() - t0) / 1000) * perS));
    if (due > sent) {
      const lines: string[] = [];
      for (let i = sent; i < due; i++) lines.push(line(i));
      sent = due;
      if (!kcat.stdin.write(`${lines.join('\n')}\n`)) await new Promise<void>((r) => kcat.stdin.once('drain', () => r()));
      fed(sent);
    }
    await sleep(50);
  }
  kcat.stdin.end();
  const code = await exited;
  if (code !== 0) throw new Error(`kcat -P exited ${code}: ${err.slice(-2000)}`);
}
