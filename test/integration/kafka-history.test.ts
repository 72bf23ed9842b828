import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, test } from 'node:test';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { analyzeSaved } from '../helpers/analysis.ts';
import { adminClient, createTopic, deleteTopics, kafkaBrokers, uniqueName } from '../helpers/kafka.ts';
import { tmpDir, waitFor } from '../helpers/tmp.ts';

/**
 * Request→reply over Kafka read as history (`record --from-beginning`) and recorded live
 * give the truth the generator knows: which requests were answered, with latencies taken
 * from the record timestamps it set. Replies come seconds after their requests, on other
 * partitions, some on a second reply topic whose name sorts first (so a catch-up reads those
 * replies before any request); some requests stay unanswered; two replies answer nothing.
 */

const BIN = path.resolve('bin/flowscope.mjs');
const brokers = await kafkaBrokers();
const admin = await adminClient(brokers);
const created: string[] = [];
after(async () => {
  await deleteTopics(admin, created);
  await admin.disconnect();
});

const N = 60;

interface Planned {
  topic: string;
  partition: number;
  message: Message;
  ts: number;
}

interface Truth {
  /** correlation id → latency in ms, for every answered request. */
  latency: Map<string, number>;
  unanswered: number;
  orphans: number;
  records: Planned[];
}

/** Topics of one run: requests, replies, a second reply topic read first, and two that must not be recorded. */
function topicsOf(prefix: string) {
  return {
    requests: `${prefix}.calc.requests`,
    replies: `${prefix}.calc.replies`,
    early: `${prefix}.calc.a-replies`,
    audit: `${prefix}.audit`,
    lookalike: `x.${prefix}.calc.requests`,
  };
}

/** Request i at T0 + 2 s·i (two minutes in all, past the 30 s timeout); its reply 1.5–7.5 s later. */
function plan(prefix: string, t0: number): Truth {
  const t = topicsOf(prefix);
  const records: Planned[] = [];
  const latency = new Map<string, number>();
  let unanswered = 0;
  for (let i = 0; i < N; i++) {
    const id = `${prefix}-c${i}`;
    const ts = t0 + i * 2000;
    const replyTopic = i % 4 === 1 ? t.early : t.replies;
    // Half name their reply topic, half rely on the correlation header alone.
    const headers: Record<string, string> = { 'correlation-id': id, ...(i % 2 === 0 ? { 'reply-to': replyTopic } : {}) };
    records.push({ topic: t.requests, partition: i % 3, ts, message: { key: `k${i}`, value: JSON.stringify({ op: 'add', i }), headers, timestamp: String(ts) } });
    records.push({ topic: t.audit, partition: 0, ts, message: { value: `audit ${i}`, headers: { 'correlation-id': id }, timestamp: String(ts) } });
    if (i % 6 === 5) {
      unanswered += 1;
      continue;
    }
    const lat = 1500 + (i % 7) * 1000;
    latency.set(id, lat);
    records.push({ topic: replyTopic, partition: (i + 1) % 3, ts: ts + lat, message: { key: `k${i}`, value: JSON.stringify({ result: i }), headers: { 'correlation-id': id }, timestamp: String(ts + lat) } });
  }
  for (const k of [0, 1]) {
    const ts = t0 + (N + k) * 2000;
    records.push({ topic: t.replies, partition: k, ts, message: { value: 'stray', headers: { 'correlation-id': `${prefix}-stray${k}` }, timestamp: String(ts) } });
  }
  records.push({ topic: t.lookalike, partition: 0, ts: t0, message: { value: 'not mine', timestamp: String(t0) } });
  return { latency, unanswered, orphans: 2, records };
}

async function createTopics(prefix: string): Promise<void> {
  const t = topicsOf(prefix);
  for (const topic of Object.values(t)) {
    created.push(topic);
    await createTopic(admin, topic, topic === t.audit || topic === t.lookalike ? 1 : 3);
  }
}

/** Produces `records` with the timestamps planned, in the order given, a few at a time. */
async function produce(records: Planned[]): Promise<void> {
  const producer = new Kafka({ brokers, clientId: 'history-test', logLevel: logLevel.NOTHING }).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < records.length; i += 8) {
      const chunk = records.slice(i, i + 8);
      await producer.sendBatch({ topicMessages: chunk.map((r) => ({ topic: r.topic, messages: [{ ...r.message, partition: r.partition }] })) });
    }
  } finally {
    await producer.disconnect();
  }
}

function flowscope(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<number>((resolve) => child.on('exit', (code, sig) => resolve(code ?? (sig ? 128 : 0))));
  return { child, stdout: () => out, stderr: () => err, exit };
}

interface Report {
  messages: number;
  destinations: { destination: string; count: number }[];
  pairs: {
    matched: number;
    unanswered: number;
    orphans: number;
    duplicates: number;
    late: number;
    unansweredByReason: Record<string, number>;
    latencyMs: { count: number; p50: number; p95: number; max: number; min: number; mean: number };
  };
  undelivered: { total: number; byReason: Record<string, number> };
}

async function inspect(file: string): Promise<Report> {
  const run = flowscope(['inspect', file, '--json']);
  assert.equal(await run.exit, 0, run.stderr());
  return JSON.parse(run.stdout()) as Report;
}

/** The README's way of naming topics: a pattern anchored at the start, searched in the name. */
function readmePattern(prefix: string): string {
  return `/^${prefix}\\.calc\\./`;
}

function recordedCount(truth: Truth, prefix: string): number {
  return truth.records.filter((r) => r.topic.startsWith(`${prefix}.calc.`)).length;
}

function nearestRank(sorted: number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

function assertTruth(report: Report, truth: Truth, prefix: string, what: string): void {
  const t = topicsOf(prefix);
  assert.deepEqual(
    report.destinations.map((d) => d.destination).sort(),
    [t.early, t.replies, t.requests].sort(),
    `${what}: every topic the pattern matches and nothing else`,
  );
  assert.equal(report.messages, recordedCount(truth, prefix), what);
  const p = report.pairs;
  assert.deepEqual(
    { matched: p.matched, unanswered: p.unanswered, orphans: p.orphans, duplicates: p.duplicates, late: p.late },
    { matched: truth.latency.size, unanswered: truth.unanswered, orphans: truth.orphans, duplicates: 0, late: 0 },
    what,
  );
  const sorted = [...truth.latency.values()].sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  assert.deepEqual(
    { count: p.latencyMs.count, p50: p.latencyMs.p50, p95: p.latencyMs.p95, max: p.latencyMs.max, min: p.latencyMs.min, mean: p.latencyMs.mean },
    { count: sorted.length, p50: nearestRank(sorted, 0.5), p95: nearestRank(sorted, 0.95), max: sorted[sorted.length - 1], min: sorted[0], mean: Math.round(mean * 1000) / 1000 },
    `${what}: latencies are the record timestamps' differences`,
  );
}

/** Every pair of a saved session, reopened in-process: id → latency of the matched ones. */
async function pairsOf(file: string): Promise<Map<string, number>> {
  const store = SessionStore.open(file, { readonly: true });
  try {
    const rows = (await analyzeSaved(store)).pairsPage({ limit: 1000, status: 'matched' }).rows;
    return new Map(rows.map((r) => [r.correlationId, r.latencyMs!]));
  } finally {
    store.close();
  }
}

test('a request/reply history recorded --from-beginning and the same traffic recorded live give the true pairs and latencies', { timeout: 300_000 }, async () => {
  const dir = tmpDir();

  // History: everything is in the topics before the recording starts, replies written first.
  const hist = uniqueName('fs-hist');
  await createTopics(hist);
  const histTruth = plan(hist, Date.now() - 20 * 60_000);
  await produce([...histTruth.records.filter((r) => !r.topic.endsWith('.requests')), ...histTruth.records.filter((r) => r.topic.endsWith('.requests'))]);
  const histFile = path.join(dir, 'history.flowscope');
  const rec = flowscope(['record', '--kafka', brokers.join(','), '--topic', readmePattern(hist), '--from-beginning', '--out', histFile, '--max-messages', String(recordedCount(histTruth, hist))]);
  const code = await Promise.race([rec.exit, new Promise<number>((r) => setTimeout(() => r(-1), 120_000))]);
  if (code === -1) rec.child.kill('SIGTERM');
  assert.equal(code, 0, `record --from-beginning stops once everything is read: ${rec.stderr()}`);
  const history = await inspect(histFile);
  assertTruth(history, histTruth, hist, 'history');

  // Live: the recorder runs while the same traffic is produced, in event order.
  const live = uniqueName('fs-live');
  await createTopics(live);
  const liveTruth = plan(live, Date.now() - 20 * 60_000);
  const liveFile = path.join(dir, 'live.flowscope');
  const liveRec = flowscope(['record', '--kafka', brokers.join(','), '--topic', readmePattern(live), '--out', liveFile, '--max-messages', String(recordedCount(liveTruth, live))]);
  await waitFor('the live recorder to follow its topics', () => /kafka[^\n]*: recording(?! — Waiting)/.test(liveRec.stderr()), 60_000);
  await produce([...liveTruth.records].sort((a, b) => a.ts - b.ts));
  const liveCode = await Promise.race([liveRec.exit, new Promise<number>((r) => setTimeout(() => r(-1), 120_000))]);
  if (liveCode === -1) liveRec.child.kill('SIGTERM');
  assert.equal(liveCode, 0, liveRec.stderr());
  const liveReport = await inspect(liveFile);
  assertTruth(liveReport, liveTruth, live, 'live');
  assert.deepEqual(liveReport.pairs.unansweredByReason, history.pairs.unansweredByReason, 'the same reasons: timeouts judged on event time');
  assert.deepEqual(liveReport.undelivered.byReason, history.undelivered.byReason);

  // Reopened: the same pairs, one by one, with the same latencies, in both files.
  const strip = (m: Map<string, number>, prefix: string) => new Map([...m].map(([k, v]) => [k.slice(prefix.length), v]));
  const expected = strip(histTruth.latency, hist);
  assert.deepEqual(strip(await pairsOf(histFile), hist), expected);
  assert.deepEqual(strip(await pairsOf(liveFile), live), expected);
});

test('a pattern that matches nothing says so and lists the topics that exist', { timeout: 120_000 }, async () => {
  const dir = tmpDir();
  const prefix = uniqueName('fs-nomatch');
  created.push(`${prefix}.orders`);
  await createTopic(admin, `${prefix}.orders`, 1);
  const rec = flowscope(['record', '--kafka', brokers.join(','), '--topic', `/^${prefix}\\.payments\\./`, '--out', path.join(dir, 'none.flowscope')]);
  try {
    await waitFor('the status to say what it waits for', () => /: recording — Waiting for a topic matching \/\^fs-nomatch/.test(rec.stderr()), 60_000);
    const line = rec.stderr().split(/[\r\n]/).find((l) => l.includes('Waiting for a topic matching'))!;
    assert.ok(line.includes(`topics on the broker: ${prefix}.orders`), `the closest existing topic comes first: ${line}`);
  } finally {
    rec.child.kill('SIGTERM');
    await rec.exit;
  }
});
