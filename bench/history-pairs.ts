/**
 * Request→reply pairing over a Kafka history read, against the truth the generator knows.
 *
 *   KAFKA_BROKERS=127.0.0.1:9092 node --import tsx bench/history-pairs.ts [REQUESTS] [REPLIES]
 *
 * Produces REQUESTS requests (default 500,000) and REPLIES replies (default 490,000: the
 * first REPLIES requests are answered) on two 3-partition topics, header `correlation-id`
 * (and, with BENCH_REPLY_TO=1, a `reply-to` header naming the replies topic on requests),
 * with record timestamps set explicitly: requests spread over one second, each reply 1–5 ms
 * after its request. Then records both topics with `flowscope record --from-beginning`
 * (the CLI, as a user runs it) and prints what `flowscope inspect --json` reports beside
 * the truth. Not a test: a measurement to run before and after a change.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';

const REQUESTS = Number(process.argv[2] ?? 500_000);
const REPLIES = Number(process.argv[3] ?? 490_000);
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const prefix = `hist-${Date.now().toString(36)}`;
const reqTopic = `${prefix}.requests`;
const repTopic = `${prefix}.replies`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowscope-history-'));
const file = path.join(dir, 'history.flowscope');
const BIN = path.resolve('bin/flowscope.mjs');
const replyTo = process.env.BENCH_REPLY_TO === '1';

/** Truth: request i at T0 + i·(1000/REQUESTS) ms, its reply 1 + i mod 5 ms later. */
const T0 = Date.now() - 3_600_000;
const reqTime = (i: number): number => T0 + Math.floor((i * 1000) / REQUESTS);
const latency = (i: number): number => 1 + (i % 5);

async function produce(): Promise<void> {
  const kafka = new Kafka({ brokers, clientId: 'history-bench', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [reqTopic, repTopic].map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const batch = 10_000;
  for (let from = 0; from < REQUESTS; from += batch) {
    const n = Math.min(batch, REQUESTS - from);
    const reqs = Array.from({ length: n }, (_, k) => {
      const i = from + k;
      const headers: Record<string, string> = { 'correlation-id': `c${i}` };
      if (replyTo) headers['reply-to'] = repTopic;
      return { key: `k${i}`, value: JSON.stringify({ q: i }), timestamp: String(reqTime(i)), headers };
    });
    const reps = reqs
      .map((_, k) => from + k)
      .filter((i) => i < REPLIES)
      .map((i) => ({ key: `k${i}`, value: JSON.stringify({ a: i }), timestamp: String(reqTime(i) + latency(i)), headers: { 'correlation-id': `c${i}` } }));
    await producer.sendBatch({
      compression: CompressionTypes.None,
      topicMessages: [
        { topic: reqTopic, messages: reqs },
        ...(reps.length ? [{ topic: repTopic, messages: reps }] : []),
      ],
    });
  }
  await producer.disconnect();
}

function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => resolve({ code: code ?? 1, out, err }));
  });
}

function truthPercentile(p: number): number {
  // Latencies 1..5 ms in equal shares (REPLIES is a multiple of 5 by default).
  const sorted = Array.from({ length: REPLIES }, (_, i) => latency(i)).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const t0 = Date.now();
await produce();
console.log(`produced ${REQUESTS} requests and ${REPLIES} replies in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
const t1 = Date.now();
const rec = await run(['record', '--kafka', brokers.join(','), '--topic', reqTopic, '--topic', repTopic, '--from-beginning', '--out', file, '--max-messages', String(REQUESTS + REPLIES)]);
if (rec.code !== 0) throw new Error(`record failed: ${rec.err}`);
console.log(`recorded in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
const t2 = Date.now();
const ins = await run(['inspect', file, '--json']);
if (ins.code !== 0) throw new Error(`inspect failed: ${ins.err}`);
const report = JSON.parse(ins.out) as {
  messages: number;
  pairs: { matched: number; unanswered: number; orphans: number; duplicates: number; latencyMs: { p50: number | null; p99: number | null; max: number | null } };
};
console.log(`inspected in ${((Date.now() - t2) / 1000).toFixed(1)} s`);
const p = report.pairs;
console.log(`| | matched | unanswered | orphans | duplicates | p50 | p99 | max |`);
console.log(`|---|---|---|---|---|---|---|---|`);
console.log(`| truth | ${REPLIES} | ${REQUESTS - REPLIES} | 0 | 0 | ${truthPercentile(50)} ms | ${truthPercentile(99)} ms | 5 ms |`);
console.log(`| inspect | ${p.matched} | ${p.unanswered} | ${p.orphans} | ${p.duplicates} | ${p.latencyMs.p50} ms | ${p.latencyMs.p99} ms | ${p.latencyMs.max} ms |`);
console.log(`messages in the session: ${report.messages}; file ${file}`);
