/**
 * Live tailing: `flowscope record --kafka` (live, not from the beginning) on a topic that kcat
 * fills at its full speed while it records. Reported: kcat's rate, the rate at which the
 * recording stored everything (from the producer's first record to the file holding the
 * last), how long after the producer finished it caught up, and the lag it showed on the way
 * (the status line's `lag N records`, which the window's endpoint chip shows too).
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { kafkaBrokers } from '../lib/context.ts';
import { sleep, startCli, stop, waitFor } from '../lib/proc.ts';
import type { Figure, FigureContext } from '../lib/report.ts';
import { rate } from '../lib/report.ts';
import type { Suite } from '../lib/suite.ts';
import { RECORD_BYTES, createTopic, produceFile, writeRecords } from './produce.ts';

/** How long the recording may take to store everything after the producer finished. */
const CATCH_UP_LIMIT_MS = 600_000;

/** Every `lag N records` the recording's status lines showed, in order. */
function lags(stderr: string): number[] {
  return [...stderr.matchAll(/lag ([\d,]+) records/g)].map((m) => Number(m[1]!.replaceAll(',', '')));
}

/** Messages in the session file so far, read beside the recording (WAL readers do not block it). */
function stored(file: string): number {
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT COALESCE(MAX(seq), 0) AS n FROM messages').get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0;
  }
}

async function tailFigures(ctx: FigureContext): Promise<{ figures: Figure[]; notes: string[] }> {
  const n = ctx.quick ? 50_000 : Number(process.env.BENCH_TAIL_N ?? 500_000);
  const brokers = await kafkaBrokers();
  const topic = `bench-tail-${Date.now().toString(36)}`;
  await createTopic(brokers, topic);
  const records = await writeRecords(ctx.dir, topic, n);
  const file = path.join(ctx.dir, 'tail.flowscope');
  const rec = startCli(['record', '--kafka', brokers, '--topic', topic, '--out', file]);
  let producedMs: number;
  let allMs: number;
  try {
    // The endpoint reports `recording` once its group has joined, before the producer starts.
    await waitFor(rec, /: recording/, 60_000);
    const t0 = performance.now();
    await produceFile(brokers, topic, records);
    producedMs = performance.now() - t0;
    while (stored(file) < n) {
      if (performance.now() - t0 - producedMs > CATCH_UP_LIMIT_MS) throw new Error(`the recording held ${stored(file)} of ${n} records ${CATCH_UP_LIMIT_MS / 1000} s after the producer finished`);
      await sleep(100);
    }
    allMs = performance.now() - t0;
  } finally {
    await stop(rec, 'SIGINT');
  }
  const shown = lags(rec.err());
  const peak = shown.length ? Math.max(...shown) : 0;
  const perS = (ms: number): number => (n / ms) * 1000;
  const cmd = `BENCH_TAIL_N=${n} npm run bench -- tail`;
  return {
    figures: [
      {
        name: `Live tail, ${n.toLocaleString('en-US')} × ${RECORD_BYTES} B records produced at full speed onto 3 partitions while recording`,
        reference: `kcat -P ${rate(perS(producedMs))} (${(producedMs / 1000).toFixed(2)} s)`,
        ours: `\`record\` stored all ${n.toLocaleString('en-US')} at ${rate(perS(allMs))}, ${((allMs - producedMs) / 1000).toFixed(1)} s after the producer finished; lag shown peaked at ${peak.toLocaleString('en-US')} records (${shown.length} status lines)`,
        ratio: producedMs / allMs,
        target: 'keeps up with a producer at ≥ 100k/s, with the lag shown',
        command: cmd,
      },
    ],
    notes: [
      'The ratio is the recording\'s rate over the producer\'s: 1× keeps up. The rate is from the producer\'s first record to the session file holding the last one, read from the file beside the recording.',
    ],
  };
}

export const tailSuite: Suite = { key: 'tail', title: 'Kafka live tail', run: tailFigures };
