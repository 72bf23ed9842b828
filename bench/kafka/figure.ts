/**
 * Kafka catch-up: N records already on a 3-partition topic, read from the beginning by kcat
 * (to /dev/null), by a bare kafkajs `eachBatch` counter, and by `flowscope record
 * --from-beginning` (the built CLI, full analysis on, into a session file), with the
 * recorder's peak RSS. The session is kept for the reopen figure.
 */
import path from 'node:path';
import { kafkaBrokers, sessions } from '../lib/context.ts';
import { peakRssMb, run, start, startCliMeasured, startTs } from '../lib/proc.ts';
import type { Figure, FigureContext } from '../lib/report.ts';
import { rate } from '../lib/report.ts';
import type { Suite } from '../lib/suite.ts';
import { RECORD_BYTES, fillTopic } from './produce.ts';

/** Rows the store-floor reference inserts (enough for several WAL checkpoints). */
const FLOOR_ROWS = 300_000;

export function kafkaN(quick: boolean): number {
  return quick ? 20_000 : Number(process.env.BENCH_KAFKA_N ?? 1_000_000);
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** Records TOPIC's first N records with the CLI; wall time and the recorder's peak RSS. */
export async function recordCatchUp(brokers: string, topic: string, n: number, file: string): Promise<{ ms: number; peakMb: number }> {
  const t = performance.now();
  const child = startCliMeasured(['record', '--kafka', brokers, '--topic', topic, '--from-beginning', '--out', file, '--max-messages', String(n)]);
  await run(child, 'flowscope record');
  const ms = performance.now() - t;
  const peakMb = peakRssMb(child);
  if (peakMb === null) throw new Error('flowscope record reported no peak RSS at exit');
  return { ms, peakMb };
}

async function kafkaFigures(ctx: FigureContext): Promise<{ figures: Figure[]; notes: string[] }> {
  const n = kafkaN(ctx.quick);
  const brokers = await kafkaBrokers();
  const topic = `bench-catchup-${Date.now().toString(36)}`;
  await fillTopic(brokers, topic, n, ctx.dir);

  const kcatMs = await timed(() => run(start('kcat', ['-C', '-b', brokers, '-t', topic, '-o', 'beginning', '-e', '-q'], {}, { discardStdout: true }), 'kcat -C'));
  const counter = JSON.parse(await run(startTs('bench/kafka/kafkajs-counter.ts', [brokers, topic, String(n)]), 'kafkajs counter')) as { ms: number };
  const file = path.join(ctx.dir, `catchup-${n}.flowscope`);
  const ours = await recordCatchUp(brokers, topic, n, file);
  sessions.set('catchup', file);
  sessions.set('catchup-topic', topic);
  const floor = JSON.parse(await run(startTs('bench/kafka/store-floor.ts', [file, String(Math.min(n, FLOOR_ROWS))]), 'store floor')) as { rows: number; insertMs: number; cpuMs: number };
  const floorPerS = (floor.rows / floor.insertMs) * 1000;

  const perS = (ms: number): number => (n / ms) * 1000;
  const cmd = `BENCH_KAFKA_N=${n} npm run bench -- kafka`;
  const label = `${n.toLocaleString('en-US')} × ${RECORD_BYTES} B records, 3 partitions`;
  return {
    figures: [
      {
        name: `Kafka catch-up, ${label}`,
        reference: `kcat -C to /dev/null ${rate(perS(kcatMs))}`,
        ours: `\`record --from-beginning\` ${rate(perS(ours.ms))}`,
        ratio: kcatMs / ours.ms,
        target: '≥ 100k/s and ≥ 0.33× kcat',
        command: cmd,
      },
      {
        name: `Kafka catch-up, ${label}`,
        reference: `bare kafkajs eachBatch counter (committing nothing) ${rate(perS(counter.ms))}`,
        ours: `\`record --from-beginning\` ${rate(perS(ours.ms))}`,
        ratio: counter.ms / ours.ms,
        command: cmd,
      },
      {
        name: `Kafka catch-up, ${label}`,
        reference: `the store's insert floor: the same rows inserted again into a new session file on one thread, nothing else running, ${rate(floorPerS)} (${((floor.cpuMs * 1000) / floor.rows).toFixed(1)} µs CPU a row)`,
        ours: `\`record --from-beginning\` ${rate(perS(ours.ms))}`,
        ratio: floor.insertMs / floor.rows / (ours.ms / n),
        command: cmd,
      },
      {
        name: `Peak RSS of \`record\` during that catch-up`,
        reference: '–',
        ours: `${ours.peakMb.toFixed(0)} MB (the process's maxRSS at exit)`,
        ratio: null,
        target: '< 300 MB',
        command: cmd,
      },
    ],
    notes: [
      "The store's insert floor bounds every recording rate from above: it is SQLite alone writing the catch-up's rows with Flowscope's schema, indexes and writer settings (bench/kafka/store-floor.ts). A ratio near 1× says the recording runs as fast as its session file can be written on this machine.",
      'Each time runs from process start to exit (kcat, the kafkajs counter and the CLI each pay their own start-up and connection); `record` stops at `--max-messages N` after flushing every record to the session file.',
    ],
  };
}

export const kafkaSuite: Suite = { key: 'kafka', title: 'Kafka catch-up', run: kafkaFigures };
