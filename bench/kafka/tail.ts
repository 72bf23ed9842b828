/**
 * Live tailing: `flowscope record --kafka` (live, not from the beginning) on a topic that kcat
 * fills while it records, twice: at kcat's full speed (the overload case: how fast the
 * recording drains what it could not keep up with), and held at a steady rate (100k/s by
 * default: does the recording keep up). Reported: the producer's rate, the rate at which the
 * recording stored everything (from the producer's first record to the file holding the
 * last), how long after the producer finished it caught up, how far the file fell behind,
 * and the lag it showed on the way (the status line's `lag N records`, which the window's
 * endpoint chip shows too).
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { kafkaBrokers } from '../lib/context.ts';
import { sleep, startCli, stop, waitFor } from '../lib/proc.ts';
import type { Figure, FigureContext } from '../lib/report.ts';
import { rate } from '../lib/report.ts';
import type { Suite } from '../lib/suite.ts';
import { RECORD_BYTES, createTopic, produceFile, producePaced, writeRecords } from './produce.ts';

/** How long the recording may take to store everything after the producer finished. */
const CATCH_UP_LIMIT_MS = 600_000;

/** Every lag the recording's status lines showed (`lag 12,345 records`, `lag 0`), in order. */
function lags(stderr: string): number[] {
  return [...stderr.matchAll(/\blag ([\d,]+)(?: records?)?/g)].map((m) => Number(m[1]!.replaceAll(',', '')));
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

interface Tail {
  /** From the producer's first record to kcat's exit. */
  producedMs: number;
  /** From the producer's first record to the session file holding the last one. */
  allMs: number;
  /** Every `lag N records` the status lines showed. */
  shown: number[];
  /** The most records the file was behind what the producer had been given, sampled every 100 ms. */
  behind: number;
}

/**
 * Records TOPIC live (not from the beginning) while `produce` fills it with n records, then
 * waits until the session file holds all n. `produce` reports how many records it has handed
 * to the producer so far, which the sampler compares with what the file holds.
 */
async function tail(brokers: string, dir: string, topic: string, n: number, produce: (fed: (count: number) => void) => Promise<void>): Promise<Tail> {
  await createTopic(brokers, topic);
  const file = path.join(dir, `${topic}.flowscope`);
  const rec = startCli(['record', '--kafka', brokers, '--topic', topic, '--out', file]);
  let fedSoFar = 0;
  let behind = 0;
  let producing = true;
  let producedMs = 0;
  let allMs = 0;
  try {
    // The endpoint reports `recording` once its group has joined, before the producer starts.
    await waitFor(rec, /: recording/, 60_000);
    const sampler = (async () => {
      while (producing) {
        behind = Math.max(behind, fedSoFar - stored(file));
        await sleep(100);
      }
    })();
    const t0 = performance.now();
    await produce((count) => (fedSoFar = count));
    producedMs = performance.now() - t0;
    producing = false;
    await sampler;
    while (stored(file) < n) {
      if (performance.now() - t0 - producedMs > CATCH_UP_LIMIT_MS) throw new Error(`the recording held ${stored(file)} of ${n} records ${CATCH_UP_LIMIT_MS / 1000} s after the producer finished`);
      await sleep(100);
    }
    allMs = performance.now() - t0;
  } finally {
    producing = false;
    await stop(rec, 'SIGINT');
  }
  return { producedMs, allMs, shown: lags(rec.err()), behind };
}

async function tailFigures(ctx: FigureContext): Promise<{ figures: Figure[]; notes: string[] }> {
  const n = ctx.quick ? 50_000 : Number(process.env.BENCH_TAIL_N ?? 500_000);
  const paceRate = ctx.quick ? 20_000 : Number(process.env.BENCH_TAIL_RATE ?? 100_000);
  const paceS = ctx.quick ? 3 : Number(process.env.BENCH_TAIL_S ?? 10);
  const paced = paceRate * paceS;
  const brokers = await kafkaBrokers();
  const id = Date.now().toString(36);
  const records = await writeRecords(ctx.dir, `bench-tail-${id}`, n);
  const full = await tail(brokers, ctx.dir, `bench-tail-${id}`, n, () => produceFile(brokers, `bench-tail-${id}`, records));
  const steady = await tail(brokers, ctx.dir, `bench-pace-${id}`, paced, (fed) => producePaced(brokers, `bench-pace-${id}`, paced, paceRate, fed));
  const perS = (count: number, ms: number): number => (count / ms) * 1000;
  const peak = (t: Tail): string => `lag shown peaked at ${(t.shown.length ? Math.max(...t.shown) : 0).toLocaleString('en-US')} records (${t.shown.length} status lines)`;
  const after = (t: Tail): string => `${((t.allMs - t.producedMs) / 1000).toFixed(1)} s after the producer finished`;
  return {
    figures: [
      {
        name: `Live tail, ${n.toLocaleString('en-US')} × ${RECORD_BYTES} B records produced at full speed onto 3 partitions while recording`,
        reference: `kcat -P ${rate(perS(n, full.producedMs))} (${(full.producedMs / 1000).toFixed(2)} s)`,
        ours: `\`record\` stored all ${n.toLocaleString('en-US')} at ${rate(perS(n, full.allMs))}, ${after(full)}; ${peak(full)}`,
        ratio: full.producedMs / full.allMs,
        command: `BENCH_TAIL_N=${n} npm run bench -- tail`,
      },
      {
        name: `Live tail, a producer held at ${rate(paceRate)} for ${paceS} s (${paced.toLocaleString('en-US')} × ${RECORD_BYTES} B records, 3 partitions)`,
        reference: `kcat -P fed at that pace: ${rate(perS(paced, steady.producedMs))} (${(steady.producedMs / 1000).toFixed(2)} s)`,
        ours: `\`record\` stored all ${paced.toLocaleString('en-US')}, ${after(steady)}; the file was at most ${steady.behind.toLocaleString('en-US')} records (${(steady.behind / paceRate).toFixed(2)} s) behind the producer; ${peak(steady)}`,
        ratio: steady.producedMs / steady.allMs,
        target: 'keeps up with a producer at ≥ 100k/s, with the lag shown',
        command: `BENCH_TAIL_RATE=${paceRate} BENCH_TAIL_S=${paceS} npm run bench -- tail`,
      },
    ],
    notes: [
      'The ratio is the recording\'s rate over the producer\'s: 1× keeps up. The rate is from the producer\'s first record to the session file holding the last one, read from the file beside the recording.',
      'The held producer is kcat fed on its stdin as the clock makes records due (every 50 ms); "behind" compares the records handed to kcat with the rows in the session file, sampled every 100 ms, so it includes kcat\'s and the broker\'s own delay and the recorder\'s 0.1 s flush.',
    ],
  };
}

export const tailSuite: Suite = { key: 'tail', title: 'Kafka live tail', run: tailFigures };
